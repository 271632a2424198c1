"""TCP (RFC 9293) as a sans-IO layer: `TcpLayer(env, config)` is what a host composes.

Layout, split along the protocol's seams:

- `state.py`: the eleven states (Linux's numbering) and the allowed-transitions table
  that every `_set_state()` checks.
- `connection.py`: one connection: "segment arrives" (§3.10.7) with a header-prediction
  fast path, output (windows, Nagle, SWS), retransmission, recovery, timers, ICMP/PMTU.
- `listener.py`: LISTEN with Linux's SYN queue and accept queue.
- `timewait.py`: the lightweight TIME_WAIT entry (RFC 1337, RFC 6191).
- `layer.py`: demultiplexing, port reservations (Linux bind rules), the timer heap,
  RSTs for closed ports, RFC 6528 ISNs, the RFC 5961 challenge-ACK budget, `ss`.
- `rtt.py` (RFC 6298), `congestion/` (NewReno RFC 5681/6582, CUBIC RFC 9438),
  `reassembly.py` (bounded out-of-order queue, RFC 2018 block order), `sack.py`
  (RFC 6675 scoreboard), `info.py` (Linux struct tcp_info), `config.py`.

The socket layer calls: `layer.bind/connect/listen`, `Binding.release`,
`Listener.accept/close`, `Connection.send/recv/shutdown/close/abort/take_error/
tcp_info/set_nodelay/set_keepalive`; the host calls `layer.input/icmp_error/poll_at/poll`.
Time is integer microseconds passed in as `now`; nothing here reads a clock.
"""

from .config import SocketOptions, TcpConfig
from .connection import Connection
from .layer import Binding, TcpLayer
from .listener import Listener
from .state import State
from .timewait import TimeWait

__all__ = ["Binding", "Connection", "Listener", "SocketOptions", "State", "TcpConfig", "TcpLayer", "TimeWait"]
