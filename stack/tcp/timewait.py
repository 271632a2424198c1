"""Lightweight TIME_WAIT entries (RFC 9293 §3.10.7.4 "TIME-WAIT STATE", RFC 1337, RFC 6191).

A connection entering TIME_WAIT hands the 4-tuple to one of these: a dozen slots
instead of a full connection with buffers, queues and estimators, so a server closing
thousands of connections a second keeps only what TIME_WAIT needs: the sequence
numbers to re-ACK a retransmitted FIN, the last timestamp for PAWS and for RFC 6191's
reuse test, and the port reservation.
"""

from __future__ import annotations

from ..seq import MASK, seq_gt, seq_lt
from ..wire import tcp as tcp_wire
from .state import State

ACK, FIN, RST, SYN = tcp_wire.ACK, tcp_wire.FIN, tcp_wire.RST, tcp_wire.SYN


class TimeWait:
    __slots__ = ("layer", "key", "local", "remote", "snd_nxt", "rcv_nxt", "ts_recent", "ts_offset", "ts_ok",
                 "window", "deadline", "_sched", "binding", "conn", "alive")

    state = State.TIME_WAIT

    def __init__(self, layer, conn, now: int) -> None:
        self.layer = layer
        self.key = conn.key
        self.local = conn.local
        self.remote = conn.remote
        self.snd_nxt = conn.snd_nxt
        self.rcv_nxt = conn.rcv_nxt
        self.ts_ok = conn.ts_ok
        self.ts_recent = conn.ts_recent
        self.ts_offset = conn.ts_offset
        self.window = conn._rcv_window_field()  # what our final ACKs advertise
        self.binding = conn.binding
        self.conn = None if conn.closed else conn  # still held by a user who only shut down writing
        self.deadline = now + 2 * layer.config.msl
        self._sched = None
        self.alive = True

    # Recv-Q/Send-Q for ss
    recv_q = 0
    send_q = 0

    def next_deadline(self) -> int | None:
        return self.deadline if self.alive else None

    def on_timer(self, now: int) -> None:
        if self.alive and now >= self.deadline:
            self.expire(now, "2MSL timeout")
        elif self.alive:
            self.layer._schedule(self, self.deadline, True)

    def expire(self, now: int, cause: str) -> None:
        self.alive = False
        layer = self.layer
        layer._unhash(self)
        if self.binding is not None:
            self.binding.release()
            self.binding = None
        layer.env.stats["tcp.timewait.expired"] += 1
        layer.env.trace("tcp", "state", conn=layer._name(self.local, self.remote), old="TIME_WAIT", new="CLOSED",
                        cause=cause)
        if self.conn is not None:
            self.conn._tw_closed(now)
            self.conn = None

    def _ack(self, now: int) -> None:
        opts = b""
        if self.ts_ok:
            opts = tcp_wire.encode_ts(((now // 1000) + self.ts_offset) & MASK, self.ts_recent)
        self.layer._emit(self.local, self.remote, self.snd_nxt, self.rcv_nxt, ACK, self.window, b"", opts)

    def segment_arrives(self, hdr, data, now: int) -> None:
        """RFC 9293 §3.10.7.4 for TIME-WAIT, with RFC 1337 and RFC 6191."""
        layer = self.layer
        stats = layer.env.stats
        flags = hdr.flags
        ts = hdr.options.timestamps
        if flags & RST:
            # RFC 1337 TIME-WAIT assassination hazard: ignore RSTs in TIME_WAIT.
            stats["tcp.timewait.rst_ignored"] += 1
            layer.env.trace("tcp", "drop", reason="rst in TIME_WAIT (RFC 1337)", conn=layer._name(self.local, self.remote))
            return
        if flags & SYN and not flags & ACK:
            # RFC 6191 §2 (timestamps) / RFC 9293 §3.10.7.4 note: a new incarnation is
            # acceptable when its timestamp, or without timestamps its ISN, is beyond ours.
            if (ts is not None and self.ts_ok and seq_gt(ts[0], self.ts_recent)) or \
                    ((ts is None or not self.ts_ok) and seq_gt(hdr.seq, self.rcv_nxt)):
                listener = layer._find_listener(self.local[0], self.local[1])
                if listener is not None and layer.reuseport_groups:
                    listener = layer._pick_in_group(listener, self.remote[0], self.remote[1], *self.local)
                if listener is not None:
                    stats["tcp.timewait.reused"] += 1
                    isn_floor = (self.snd_nxt + 65535 + 2) & MASK
                    self.expire(now, "SYN for a new incarnation (RFC 6191)")
                    listener.segment_arrives(self.remote[0], self.local[0], hdr, data, now, isn_floor=isn_floor)
                    return
            # Otherwise RFC 5961 §4: challenge ACK.
            if layer._challenge_ack_ok(now):
                self._ack(now)
            return
        if self.ts_ok and ts is not None and seq_lt(ts[0], self.ts_recent):
            stats["tcp.rx.paws"] += 1
            self._ack(now)
            return
        fin_end = (hdr.seq + len(data) + 1) & MASK
        if flags & FIN and fin_end == self.rcv_nxt:
            # A retransmitted FIN: acknowledge it and restart the 2MSL timeout.
            stats["tcp.timewait.fin_retransmit"] += 1
            if ts is not None:
                self.ts_recent = ts[0]
            self._ack(now)
            self.deadline = now + 2 * layer.config.msl
            layer._schedule(self, self.deadline, True)
            return
        if data or flags & FIN:
            self._ack(now)
