"""The eleven connection states of RFC 9293 §3.3.2 and the transitions of its Figure 5.

Values are Linux's TCP_* numbers (include/net/tcp_states.h) so `tcp_info.tcpi_state`
and `ss` output need no translation.  `TRANSITIONS` is the single source of truth: a
connection's `_set_state()` refuses any change not listed, and the docs diagram is drawn
from the same table.
"""

from __future__ import annotations

import enum
from types import MappingProxyType


class State(enum.IntEnum):
    ESTABLISHED = 1
    SYN_SENT = 2
    SYN_RECEIVED = 3
    FIN_WAIT_1 = 4
    FIN_WAIT_2 = 5
    TIME_WAIT = 6
    CLOSED = 7
    CLOSE_WAIT = 8
    LAST_ACK = 9
    LISTEN = 10
    CLOSING = 11

    @property
    def ss_name(self) -> str:
        return SS_NAMES[self]


SS_NAMES = MappingProxyType({
    State.ESTABLISHED: "ESTAB", State.SYN_SENT: "SYN-SENT", State.SYN_RECEIVED: "SYN-RECV",
    State.FIN_WAIT_1: "FIN-WAIT-1", State.FIN_WAIT_2: "FIN-WAIT-2", State.TIME_WAIT: "TIME-WAIT",
    State.CLOSED: "UNCONN", State.CLOSE_WAIT: "CLOSE-WAIT", State.LAST_ACK: "LAST-ACK",
    State.LISTEN: "LISTEN", State.CLOSING: "CLOSING",
})

STATE_NAMES = MappingProxyType({st: st.name for st in State})  # enum .name is a slow descriptor on hot paths
STATE_STAT_KEYS = MappingProxyType({st: "tcp.state." + st.name for st in State})

S = State
# Figure 5 of RFC 9293, plus the arcs its text adds: any state -> CLOSED on RST / abort /
# timeout (§3.10.7.4 "reset processing", §3.10.5 ABORT, §3.8.3 R2), SYN_RECEIVED ->
# LISTEN for a passive open reset by the peer (§3.10.7.4 second check), and
# SYN_RECEIVED -> FIN_WAIT_1 when the user closes before the handshake completes (§3.10.4).
TRANSITIONS: MappingProxyType = MappingProxyType({
    S.CLOSED: frozenset({S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED}),
    S.LISTEN: frozenset({S.SYN_RECEIVED, S.SYN_SENT, S.CLOSED}),
    S.SYN_SENT: frozenset({S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSED}),
    S.SYN_RECEIVED: frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSE_WAIT, S.LISTEN, S.CLOSED}),
    S.ESTABLISHED: frozenset({S.FIN_WAIT_1, S.CLOSE_WAIT, S.CLOSED}),
    S.FIN_WAIT_1: frozenset({S.FIN_WAIT_2, S.CLOSING, S.TIME_WAIT, S.CLOSED}),
    S.FIN_WAIT_2: frozenset({S.TIME_WAIT, S.CLOSED}),
    S.CLOSE_WAIT: frozenset({S.LAST_ACK, S.CLOSED}),
    S.CLOSING: frozenset({S.TIME_WAIT, S.CLOSED}),
    S.LAST_ACK: frozenset({S.CLOSED}),
    S.TIME_WAIT: frozenset({S.CLOSED}),
})

SYNCHRONIZED = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK,
                          S.TIME_WAIT})
# States in which the peer may still send us data (§3.10.7.4 seventh step).
RECEIVING = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2})
# States in which our FIN has been queued or sent.
FIN_QUEUED = frozenset({S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})


def to_dot() -> str:
    """The transition table as a Graphviz digraph (the docs diagram is drawn from this)."""
    lines = ["digraph tcp {", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    for old in State:
        for new in sorted(TRANSITIONS[old], key=int):
            lines.append(f"  {old.name} -> {new.name};")
    lines.append("}")
    return "\n".join(lines)
