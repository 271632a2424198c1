"""A listening socket (RFC 9293 §3.10.7.2 LISTEN STATE) with Linux's two queues.

SYN queue: children in SYN-RECEIVED, bounded by `syn_max`.  Accept queue: children
whose handshake completed, waiting for accept(); Linux calls it full when it holds more
than `backlog` entries (sk_acceptq_is_full), so listen(5) admits six.  Without SYN
cookies, a full SYN queue or a full accept queue drops new SYNs (counted
`tcp.listen.syn_queue_full` / `tcp.listen.overflow`), which is what a SYN flood shows.
"""

from __future__ import annotations

from collections import deque

from ..waitable import Waitable
from ..wire import tcp as tcp_wire
from .config import DEFAULT_OPTIONS
from .connection import Connection
from .state import State

ACK, RST, SYN, FIN = tcp_wire.ACK, tcp_wire.RST, tcp_wire.SYN, tcp_wire.FIN


class Listener(Waitable):
    __slots__ = ("watchers", "layer", "binding", "backlog", "syn_max", "opts", "syn_queue", "accept_queue", "closed")

    state = State.LISTEN

    def __init__(self, layer, binding, backlog: int, opts) -> None:
        self.watchers: list = []
        self.layer = layer
        self.binding = binding
        self.opts = opts
        self.syn_queue: dict = {}
        self.accept_queue: deque = deque()
        self.closed = False
        self.set_backlog(backlog)

    def set_backlog(self, backlog: int) -> None:
        cfg = self.layer.config
        self.backlog = min(max(backlog, 0), cfg.somaxconn)
        # SYN queue: max(backlog, 8) up to tcp_max_syn_backlog (pre-4.4 Linux sizing).
        self.syn_max = min(max(self.backlog, 8), cfg.max_syn_backlog)

    @property
    def local(self):
        return (self.binding.addr, self.binding.port)

    def __repr__(self) -> str:
        return f"<Listener {self.layer._addr_str(*self.local)} backlog={self.backlog}>"

    @property
    def readable(self) -> bool:
        return bool(self.accept_queue) or self.closed

    def accept_full(self) -> bool:
        return len(self.accept_queue) > self.backlog

    def accept(self):
        """The oldest established child, or None.  (socketapi's _accept has it inlined:
        keep the two alike.)"""
        if not self.accept_queue:
            return None
        child = self.accept_queue.popleft()
        child.listener = None
        return child

    def segment_arrives(self, src: bytes, dst: bytes, hdr, data, now: int, isn_floor: int | None = None) -> None:
        """RFC 9293 §3.10.7.2."""
        layer = self.layer
        stats = layer.env.stats
        sport, dport, _, ack, flags, _, _, _ = hdr  # (one unpack: a NamedTuple's fields are slow descriptors)
        if flags & RST:
            stats["tcp.rx.rst_listen"] += 1  # first: an incoming RST is ignored
            return
        if flags & ACK:
            # second: any ACK is bad here: <SEQ=SEG.ACK><CTL=RST>
            stats["tcp.rx.ack_to_listener"] += 1
            layer._emit((dst, dport), (src, sport), ack, 0, RST, 0, b"", b"")
            stats["tcp.tx.rst"] += 1
            return
        if not flags & SYN:
            stats["tcp.rx.no_syn_listen"] += 1
            return
        if self.closed:
            return
        if len(self.accept_queue) > self.backlog:  # accept_full()
            stats["tcp.listen.overflow"] += 1
            layer.env.trace("tcp", "drop", reason="accept queue full", conn=layer._name((dst, dport), (src, sport)),
                            backlog=self.backlog)
            return
        if len(self.syn_queue) >= self.syn_max:
            stats["tcp.listen.syn_queue_full"] += 1
            layer.env.trace("tcp", "drop", reason="SYN queue full", conn=layer._name((dst, dport), (src, sport)),
                            syn_max=self.syn_max)
            return
        # third: SYN.  Data on a SYN is not queued (as Linux without TCP Fast Open): it
        # is left unacknowledged and the peer sends it again.
        # TcpLayer._child_binding(), inlined (the class is the listener's binding's: layer.py
        # imports this module, so Binding is not imported here).
        parent = self.binding
        binding = type(parent)(layer, dst, parent.port, parent.reuseaddr, False, False, parent.reuseport)
        layer.ports.setdefault(parent.port, []).append(binding)
        # The child's options: a copy of the listener's, as they are now; the shared defaults
        # as they are (nothing changes those: see DEFAULT_OPTIONS).
        opts = self.opts
        child = Connection(layer, (dst, dport), (src, sport), opts if opts is DEFAULT_OPTIONS else opts.copy(),
                           binding, now)
        binding.owner = child
        child.listener = self
        layer.conns[child.key] = child
        self.syn_queue[child.key] = child
        stats["tcp.listen.syn"] += 1
        child.open_passive(hdr, now, isn_floor)

    def _established(self, child) -> None:
        self.syn_queue.pop(child.key, None)
        self.accept_queue.append(child)
        self.layer.env.stats["tcp.listen.accept_queued"] += 1
        watchers = self.watchers
        if watchers:  # (_signal() has nothing to do without one)
            if len(watchers) == 1:
                watchers[0]()  # _signal(), inlined for its common case: one blocked accept()
            else:
                self._signal()

    def _forget(self, child) -> None:
        self.syn_queue.pop(child.key, None)

    def close(self, now: int) -> None:
        """Stop listening: every child not yet accepted is reset (Linux inet_csk_listen_stop)."""
        if self.closed:
            return
        self.closed = True
        for child in list(self.syn_queue.values()) + list(self.accept_queue):
            child.listener = None
            child.abort(now)
        self.syn_queue.clear()
        self.accept_queue.clear()
        self.layer._unlisten(self)
        self._signal()
