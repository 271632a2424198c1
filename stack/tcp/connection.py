"""One TCP connection: the RFC 9293 state machine, reliability, flow and congestion control.

Layout of the sequence space on the sending side (RFC 9293 §3.3.1, Figure 3):

       snd_una        snd_nxt        snd_max       snd_una + snd_wnd
    ----|--------------|--------------|-----------------|------->
        | unacknowledged (in sndq)    |  may send        |
    sndq[0] is the byte at `snd_buf_seq` (snd_una, or iss+1 while the SYN is unacknowledged).

`snd_max` is the highest sequence number ever sent; `snd_nxt` falls back to `snd_una`
after a retransmission timeout (go-back-N, skipping SACKed ranges) and stays equal to
`snd_max` otherwise.  Acceptable ACKs are checked against `snd_max`.

Every public entry (`segment_arrives`, `send`, `recv`, `close`, `on_timer`...) ends by
re-arming the layer's timer heap through `_rearm()`; timers are plain fields
(`t_rexmit`, `t_delack`, `t_persist`, `t_keep`, `t_close`) compared against `now`.
"""

from __future__ import annotations

import errno
import os
import struct
from types import MappingProxyType

from ..seq import HALF, MASK, MINUS_HALF, WRAP, seq_add, seq_ge, seq_gt, seq_le, seq_lt, seq_sub
from ..trace import TraceEvent
from ..waitable import Waitable
from ..wire import tcp as tcp_wire
from . import congestion
from .congestion.base import initial_cwnd
from .config import DEFAULT_OPTIONS, SocketOptions
from .info import TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE
from .info import pack as pack_info
from .reassembly import NO_REASSEMBLY, Reassembly
from .rtt import RttEstimator
from .sack import NO_SCOREBOARD, Scoreboard
from .state import RECEIVING, STATE_NAMES, STATE_STAT_KEYS, SYNCHRONIZED, TRANSITIONS, State
from .timewait import TimeWait

FIN, SYN, RST, PSH, ACK, URG = tcp_wire.FIN, tcp_wire.SYN, tcp_wire.RST, tcp_wire.PSH, tcp_wire.ACK, tcp_wire.URG
# States as module constants where the per-call paths test them: an Enum class attribute
# (State.X) costs ten times a global's lookup.
ESTABLISHED = State.ESTABLISHED
CLOSED = State.CLOSED
# Module-level names for the states: `State.SYN_SENT` goes through the enum class's member
# lookup (about 90 ns in CPython 3.11) every time it is written; a global is a dict hit.
SYN_SENT, SYN_RECEIVED, LISTEN = State.SYN_SENT, State.SYN_RECEIVED, State.LISTEN
FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT = State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSING, State.TIME_WAIT
CLOSE_WAIT, LAST_ACK = State.CLOSE_WAIT, State.LAST_ACK
SENDING = frozenset({State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK})
PAWS_IDLE = 24 * 86400 * 1_000_000  # RFC 7323 §5.5: ts_recent invalid after 24 days idle
_ts_block = tcp_wire.TS_BLOCK.pack  # encode_ts() without the call and the concatenation
_build_fast = tcp_wire.build_fast

# _set_state's table, [old][new]: None where RFC 9293 Figure 5 (TRANSITIONS) has no arc
# (a state to itself included), else what the change records: its stats key and the two
# names the trace shows.  One lookup per change instead of four.
_ARCS = {old: {new: (STATE_STAT_KEYS[new], STATE_NAMES[old], STATE_NAMES[new]) if new in TRANSITIONS[old] else None
               for new in State} for old in State}
_CC_CLASSES = dict(congestion.ALGORITHMS)  # name -> controller class (a plain dict: .get without the proxy)
_new_tuple = tuple.__new__  # a TraceEvent without NamedTuple's Python-level __new__ (as Tracer.emit)
_STATE_FIELDS = ("conn", "old", "new", "cause")  # a state change's trace fields (see _set_state)
KEY4 = struct.Struct("!4sH4sH").pack  # an IPv4 4-tuple as TcpLayer._key_hash hashes it
_HALVES = struct.Struct("!II").unpack  # the high and low 32 bits of a 64-bit digest
_from_bytes = int.from_bytes  # (a class method: `int.from_bytes(...)` looks it up the slow way each time)
_new_object = object.__new__  # an instance without its class's __init__ (which the caller has inlined)

ICMP_ERRNO = MappingProxyType({
    "port_unreach": errno.ECONNREFUSED, "proto_unreach": errno.ENOPROTOOPT, "net_unreach": errno.ENETUNREACH,
    "host_unreach": errno.EHOSTUNREACH, "ttl_exceeded": errno.EHOSTUNREACH, "frag_needed": errno.EMSGSIZE,
})


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class Connection(Waitable):
    __slots__ = (
        "watchers", "layer", "env", "cfg", "opts", "state", "local", "remote", "key", "binding", "listener",
        "passive", "closed", "shut_rd", "shut_wr", "error", "soft_error",
        # send side
        "iss", "snd_una", "snd_nxt", "snd_max", "snd_wnd", "snd_wl1", "snd_wl2", "max_snd_wnd", "snd_buf_seq",
        "sndq", "sndbuf", "fin_queued", "fin_seq",
        # receive side
        "irs", "rcv_nxt", "rcv_adv", "rcvq", "rcvbuf", "ooo", "fin_rcvd", "ooo_fin", "unacked_bytes",
        "last_ack_sent",
        # options
        "mss", "advmss", "peer_mss", "rcv_mss", "ws_ok", "snd_wscale", "rcv_wscale", "ts_ok", "ts_recent", "ts_recent_age",
        "ts_offset", "sack_ok", "pmtu",
        # reliability and congestion
        "rtt", "rtt_seq", "rtt_time", "cc", "dupacks", "in_recovery", "recover", "high_rxt", "scoreboard",
        "retries", "probes", "total_retrans", "retrans_out",
        # timers
        "t_rexmit", "t_delack", "t_persist", "t_keep", "t_close", "_sched", "last_rcv", "last_send",
        "nodelay", "keepalive",
        # accounting
        "segs_in", "segs_out", "bytes_acked", "bytes_received", "last_data_sent", "last_data_recv",
        "last_ack_recv", "series", "_label", "_isn_f", "_csum_base", "_fp",
    )

    def __init__(self, layer, local, remote, opts: SocketOptions | None, binding, now: int) -> None:
        self.watchers: list = []
        self.layer = layer
        self.env = layer.env
        cfg = self.cfg = layer.config
        opts = self.opts = opts if opts is not None else SocketOptions()
        self.state = CLOSED
        self.local = local
        self.remote = remote
        self.key = local + remote  # (laddr, lport, raddr, rport)
        la = local[0]
        ra = remote[0]
        # tcp_wire.checksum_base(local[1], remote[1], local[0], remote[0]), inlined: keep alike
        self._csum_base = _from_bytes(la + ra, "big") + 26 + local[1] + remote[1]  # 26: PROTO + HEADER_LEN
        # the host's cached transmit path for our segments (stack/fastpath.py): None until
        # one applies, False where there is none to have (a test's env; loopback, which
        # _send_syn finds out when the SYN finds no cached path).  A connection between the
        # same two addresses as the last one to look a path up starts with that one: its
        # send() checks it is still usable (else _send_syn looks again), so a connect or
        # accept loop skips the host's look-up and check.
        fp = layer._fp
        if fp is not None and fp.src == la and fp.dst == ra:
            self._fp = fp
        else:
            self._fp = None if layer._paths is not None else False
        self.binding = binding
        self.listener = None
        self.passive = False
        self.closed = False
        self.shut_rd = False
        self.shut_wr = False
        self.error = None
        self.soft_error = None
        self.iss = 0
        self.snd_una = self.snd_nxt = self.snd_max = 0
        self.snd_wnd = 0
        self.snd_wl1 = self.snd_wl2 = 0
        self.max_snd_wnd = 0
        self.snd_buf_seq = 0
        self.sndq = bytearray()
        self.sndbuf = opts.sndbuf or cfg.sndbuf
        self.fin_queued = False
        self.fin_seq = None
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_adv = 0
        self.rcvq = bytearray()
        rcvbuf = self.rcvbuf = opts.rcvbuf or cfg.rcvbuf
        self.ooo = NO_REASSEMBLY  # until a segment arrives out of order (see _synchronized_text)
        self.fin_rcvd = False
        self.ooo_fin = None
        self.unacked_bytes = 0
        self.last_ack_sent = 0
        pmtu = self.pmtu = layer.env.path_mtu(ra)
        if len(ra) == 4:
            headers, top, peer_mss = 40, 65495, 536  # (peer_mss: RFC 9293 §3.7.1 defaults)
        else:
            headers, top, peer_mss = 60, 65475, 1220
        # Linux advertises the route MTU minus headers (65483 on loopback); TCP_MAXSEG or
        # TcpConfig.mss lower it.  (max(88, min(cap, pmtu - 40|60, 65495|65475)), unrolled.)
        advmss = opts.maxseg or cfg.mss or 0xFFFF
        if advmss > pmtu - headers:
            advmss = pmtu - headers
        if advmss > top:
            advmss = top
        if advmss < 88:
            advmss = 88
        self.advmss = advmss
        self.peer_mss = peer_mss
        self.mss = self.rcv_mss = advmss if advmss < peer_mss else peer_mss
        self.ws_ok = False
        self.snd_wscale = 0
        # The smallest shift that brings the buffer under 64 KiB (RFC 7323 §2.3), at most 14:
        # rcvbuf >> ws <= 0xFFFF exactly when rcvbuf.bit_length() <= 16 + ws.
        ws = rcvbuf.bit_length() - 16
        self.rcv_wscale = (ws if ws < 14 else 14) if ws > 0 and cfg.window_scaling else 0
        self.ts_ok = False
        self.ts_recent = 0
        self.ts_recent_age = 0
        if len(la) == 4 and len(ra) == 4:
            # TcpLayer._key_hash(self.key), inlined for IPv4 (keep the two alike): RFC 6528's
            # F and RFC 7323's timestamp offset, the two halves of one keyed hash of the 4-tuple
            h = layer._keyed.copy()
            h.update(KEY4(la, local[1], ra, remote[1]))
            self._isn_f, self.ts_offset = _HALVES(h.digest())  # (without the 64-bit int between)
        else:
            h = layer._key_hash(self.key)
            self._isn_f = h >> 32
            self.ts_offset = h & MASK
        self.sack_ok = False
        # RttEstimator(cfg.rto_initial, cfg.rto_min, cfg.rto_max), inlined: keep the two alike
        rtt = self.rtt = _new_object(RttEstimator)
        rtt.srtt = rtt.rttvar = rtt.backoff = rtt.latest = rtt.min_rtt = 0
        rtt.rto = cfg.rto_initial
        rtt.rto_min = cfg.rto_min
        rtt.rto_max = cfg.rto_max
        self.rtt_seq = None
        self.rtt_time = 0
        name = opts.congestion or cfg.congestion
        cls = _CC_CLASSES.get(name)  # congestion.make() without its call (it raises for an unknown name)
        self.cc = cls(self.mss, cfg.initial_window) if cls is not None else congestion.make(name, self.mss,
                                                                                          cfg.initial_window)
        self.dupacks = 0
        self.in_recovery = False
        self.recover = 0
        self.high_rxt = 0
        self.scoreboard = NO_SCOREBOARD  # until a SACK block arrives (see _synchronized)
        self.retries = 0
        self.probes = 0
        self.total_retrans = 0
        self.retrans_out = 0
        self.t_rexmit = self.t_delack = self.t_persist = self.t_keep = self.t_close = None
        self._sched = None
        self.last_rcv = now
        self.last_send = now
        self.nodelay = opts.nodelay
        self.keepalive = opts.keepalive  # (its timings are read from opts: see keepidle)
        self.segs_in = self.segs_out = 0
        self.bytes_acked = self.bytes_received = 0
        self.last_data_sent = self.last_data_recv = self.last_ack_recv = now
        self.series = [] if opts.record else None
        # The `label` property's text, made here once: every connection's first state change
        # names it.  TcpLayer._name(local, remote), inlined for addresses named before (keep
        # the two alike).
        texts = layer._texts
        a = texts.get(la)
        b = texts.get(ra)
        if a is None or b is None:
            self._label = layer._name(local, remote)
        else:
            self._label = f"{a}:{local[1]}>{b}:{remote[1]}"

    def __repr__(self) -> str:
        return f"<Connection {self.label} {self.state.name}>"

    # Keep-alive's timings (RFC 1122 §4.2.3.6): the socket's TCP_KEEPIDLE, TCP_KEEPINTVL,
    # TCP_KEEPCNT, else the host's defaults.  Read from the options when keep-alive runs,
    # not copied into every new connection (set_keepalive changes them there).
    @property
    def keepidle(self) -> int:
        return self.opts.keepidle or self.cfg.keepalive_time

    @property
    def keepintvl(self) -> int:
        return self.opts.keepintvl or self.cfg.keepalive_intvl

    @property
    def keepcnt(self) -> int:
        return self.opts.keepcnt or self.cfg.keepalive_probes

    @property
    def label(self) -> str:
        """'192.0.2.1:40000>192.0.2.2:80', as traces name the connection (made once, by __init__)."""
        return self._label

    # ------------------------------------------------------------------ state
    def _set_state(self, new: State, cause: str) -> None:
        """The one place a state changes: checked against RFC 9293 Figure 5 and traced."""
        old = self.state
        arc = _ARCS[old][new]
        if arc is None:
            if new is old:
                return
            raise AssertionError(f"TCP transition {old.name} -> {new.name} ({cause}) not in RFC 9293 Figure 5")
        self.state = new
        env = self.env
        stat_key, old_name, new_name = arc
        env.stats[stat_key] += 1
        label = self._label  # (the `label` property, without its call)
        if self.layer._host_trace:
            # Host.trace() minus its **fields round trip (see TcpLayer), and Tracer.emit()
            # inlined: ten state changes per connection's life each save a call.
            tracer = env.tracer
            clock = env.clock  # (an attribute, not a method: `env.clock()` would look it up as one, slower)
            rec = (clock(), env.name, "tcp", "state", _STATE_FIELDS, label, old_name, new_name, cause)
            tracer.ring.append(rec)
            if tracer.subscribers:
                ev = _new_tuple(TraceEvent, (*rec[:4], dict(zip(_STATE_FIELDS, rec[5:]))))
                for fn in tracer.subscribers:
                    fn(ev)
        else:
            env.trace("tcp", "state", conn=label, old=old_name, new=new_name, cause=cause)
        if new is ESTABLISHED:
            env.stats["tcp.established"] += 1
        watchers = self.watchers
        if watchers:  # (_signal() has nothing to do without one)
            if len(watchers) == 1:
                watchers[0]()  # _signal(), inlined for its common case: one blocked caller
            else:
                self._signal()

    def _drop(self, reason: str, **fields) -> None:
        self.env.stats["tcp.rx." + reason] += 1
        self.env.trace("tcp", "drop", reason=reason, conn=self.label, **fields)

    def _fail(self, code: int | None, cause: str, now: int) -> None:
        """Enter CLOSED with a pending error (reset, timeout, ICMP hard error)."""
        if code is not None:
            self.error = code
        self._set_state(CLOSED, cause)
        self._teardown(now)

    def _teardown(self, now: int) -> None:
        self.t_rexmit = self.t_delack = self.t_persist = self.t_keep = self.t_close = None
        self._sched = None  # any heap entry left for us is now stale
        conns = self.layer.conns  # TcpLayer._unhash(), inlined
        if conns.get(self.key) is self:
            del conns[self.key]
        if self.listener is not None:
            self.listener._forget(self)
            self.listener = None
        binding = self.binding
        if binding is not None and (self.closed or not binding.explicit):
            binding.release()
            self.binding = None
        if self.watchers:  # (_signal() has nothing to do without one)
            self._signal()

    def _tw_closed(self, now: int) -> None:
        """Our TIME_WAIT entry expired while the user still holds this socket."""
        self._set_state(CLOSED, "2MSL timeout")
        self._signal()

    # ------------------------------------------------------------------ opens
    def open_active(self, now: int) -> None:
        """RFC 9293 §3.10.1 OPEN call, active: choose ISS, send SYN, enter SYN-SENT."""
        iss = self.iss = (now // 4 + self._isn_f) & MASK  # TcpLayer._isn(), inlined: keep the two alike
        self.snd_una = self.recover = self.high_rxt = iss
        self.snd_nxt = self.snd_max = self.snd_buf_seq = (iss + 1) & MASK
        self._set_state(SYN_SENT, "connect")
        self._send_syn(now)
        rtt = self.rtt  # rtt.current(), inlined: keep the two alike
        t = rtt.rto << rtt.backoff
        t = self.t_rexmit = now + (t if t < rtt.rto_max else rtt.rto_max)
        self.layer._schedule(self, t)  # _rearm(), for a new connection's only timer

    def open_passive(self, hdr, now: int, isn_floor: int | None = None) -> None:
        """RFC 9293 §3.10.7.2 third check: a SYN to a listener creates SYN-RECEIVED."""
        _, _, seq, ack, _, window, _, options = hdr  # (one unpack, as in _synchronized)
        self.passive = True
        self.state = LISTEN  # the child starts as a copy of the listening TCB
        self.irs = seq
        self.rcv_nxt = (seq + 1) & MASK
        iss = (now // 4 + self._isn_f) & MASK  # TcpLayer._isn(), inlined: keep the two alike
        if isn_floor is not None and seq_lt(iss, isn_floor):
            iss = isn_floor
        self.iss = self.snd_una = self.recover = self.high_rxt = iss
        self.snd_nxt = self.snd_max = self.snd_buf_seq = (iss + 1) & MASK
        self._negotiate(options, now)
        self.snd_wnd = window  # never scaled in a SYN (RFC 7323 §2.2)
        self.max_snd_wnd = self.snd_wnd
        self.snd_wl1 = seq
        self.snd_wl2 = ack
        self._set_state(SYN_RECEIVED, "rcv SYN")
        self._send_syn(now)
        rtt = self.rtt  # rtt.current(), inlined: keep the two alike
        t = rtt.rto << rtt.backoff
        t = self.t_rexmit = now + (t if t < rtt.rto_max else rtt.rto_max)
        self.layer._schedule(self, t)  # _rearm(), for a new connection's only timer

    def _negotiate(self, options, now: int) -> None:
        """Apply the options (a TcpOptions) of the peer's SYN (RFC 9293 §3.7.1, RFC 7323 §2-3,
        RFC 2018 §2)."""
        peer_mss, wscale, sack_permitted, ts, _, _ = options  # (one unpack, as in _synchronized)
        cfg = self.cfg
        if peer_mss is not None:
            self.peer_mss = peer_mss
        else:
            peer_mss = self.peer_mss
        if cfg.window_scaling and wscale is not None:
            self.ws_ok = True
            self.snd_wscale = wscale if wscale < 14 else 14  # RFC 7323 §2.3: values above 14 are used as 14
        else:
            self.snd_wscale = 0
            self.rcv_wscale = 0
        self.sack_ok = cfg.sack and sack_permitted
        if cfg.timestamps and ts is not None:
            self.ts_ok = True
            self.ts_recent = ts[0]
            self.ts_recent_age = now
        # The send MSS: the smaller of ours and the peer's, less the NOP NOP TS that data
        # segments carry (RFC 6691), at least 64.
        advmss = self.advmss
        mss = advmss if advmss < peer_mss else peer_mss
        if self.ts_ok:
            mss -= 12
        if mss < 64:
            mss = 64
        self.mss = mss
        rcv_mss = self.rcv_mss
        self.rcv_mss = (rcv_mss if rcv_mss < mss else mss) if rcv_mss else mss
        cc = self.cc
        if mss < cc.mss:
            cc.set_mss(mss)
        else:  # cc.set_mss(mss) without its call: a larger MSS (the usual case) changes nothing else
            cc.mss = mss

    def _send_syn(self, now: int) -> None:
        """SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with the options we offer or accept."""
        cfg = self.cfg
        if self.state is SYN_RECEIVED:
            # Answer only with what the peer offered (RFC 7323 §1.3, RFC 2018 §2).
            wscale = self.rcv_wscale if self.ws_ok else None
            sack = self.sack_ok
            tsval = ((now // 1000) + self.ts_offset) & MASK if self.ts_ok else None  # _tsval()
            tsecr = self.ts_recent
            flags = SYN | ACK
            ack = self.rcv_nxt
        else:
            wscale = self.rcv_wscale if cfg.window_scaling else None
            sack = cfg.sack
            tsval = ((now // 1000) + self.ts_offset) & MASK if cfg.timestamps else None  # _tsval()
            tsecr = 0
            flags = SYN
            ack = 0
        # TcpLayer._syn_options(), inlined for an options template made before (keep the two alike)
        layer = self.layer
        parts = layer._syn_templates.get((cfg.option_order, self.advmss, wscale, sack, tsval is not None))
        if parts is not None and parts[0] is not None:
            pack, head, tail = parts
            raw = pack(head, tsval, tsecr, tail)
        else:
            raw = layer._syn_options(self.advmss, wscale, sack, tsval, tsecr)
        wnd = self.rcvbuf if self.rcvbuf < 0xFFFF else 0xFFFF
        self.rcv_adv = (self.rcv_nxt + wnd) & MASK
        # TcpLayer._emit() without its call, through the connection's own cached path as
        # _send_segment() goes (keep the two alike): the path found for the SYN then serves
        # the connection's next segments too, without another look-up.
        local = self.local
        remote = self.remote
        fp = self._fp
        sent = False
        if fp is not False:
            if fp is not None:  # (its send() checks it is still usable: None when not)
                sent = fp.send(self._csum_base, local[1], remote[1], self.iss, ack, flags, wnd, b"", raw)
            if sent is None or fp is None:
                fp = self._fp = self.env.tcp_fast_path(local[0], remote[0])  # None while none applies
                if fp is not None:
                    self.layer._fp = fp  # (for the next connection between these addresses: see __init__)
                    sent = fp.send(self._csum_base, local[1], remote[1], self.iss, ack, flags, wnd, b"", raw)
                elif self.env.is_local(remote[0]):
                    self._fp = False  # loopback: none ever will
        if not sent:
            seg = _build_fast(self._csum_base, local[1], remote[1], self.iss, ack, flags, wnd, b"", raw)
            self.env.ip_send(local[0], remote[0], 6, seg, df=True)  # (an error: the SYN is retransmitted)
        self.segs_out += 1
        self.last_ack_sent = self.rcv_nxt
        if self.rtt_seq is None and self.retries == 0:
            self.rtt_seq = (self.iss + 1) & MASK  # seq_add()
            self.rtt_time = now

    def _tsval(self, now: int) -> int:
        return ((now // 1000) + self.ts_offset) & MASK

    # ------------------------------------------------------------------ user calls
    def send(self, data, now: int) -> int:
        """Queue bytes (RFC 9293 §3.10.2 SEND); returns how many fit in the send buffer."""
        if self.error is not None:
            raise self._take_error()
        st = self.state
        if self.shut_wr or self.fin_queued:
            raise oserror(errno.EPIPE)
        if st is not ESTABLISHED and st is not CLOSE_WAIT and st is not SYN_SENT \
                and st is not SYN_RECEIVED:
            raise oserror(errno.EPIPE)
        room = self.sndbuf - len(self.sndq)
        if room <= 0:
            return 0
        n = len(data)
        if n > room:
            n = room
            data = memoryview(data)[:n]
        sndq = self.sndq
        sndq += data
        if st is ESTABLISHED or st is CLOSE_WAIT:
            snd_nxt = self.snd_nxt
            if snd_nxt == self.snd_una and snd_nxt == self.snd_max and not (self.in_recovery and self.sack_ok):
                # An idle sender's write (a request, a response): nothing in flight, no FIN
                # (tested above).  When it fits one segment and both windows, _output() would
                # send just that segment (nothing in flight: no SWS or Nagle hold) and stop;
                # it is done here, without _output's loop and its call.
                buf_seq = self.snd_buf_seq
                qlen = len(sndq)
                off = 0 if snd_nxt == buf_seq else ((snd_nxt - buf_seq + HALF) & MASK) - HALF
                k = qlen - off
                if off >= 0 and 0 < k <= self.mss and k <= self.snd_wnd and k <= self.cc.cwnd \
                        and not self.scoreboard.sacked:
                    # (the whole queue, the usual case, goes as it is: the segment is built
                    # from it at once, so no view of it is needed)
                    payload = memoryview(sndq)[off:qlen] if off else sndq
                    fp = self._fp
                    if fp and self.ts_ok and not (self.sack_ok and self.ooo.pieces):
                        # _send_segment(snd_nxt, ACK | PSH, payload, now), inlined for its usual
                        # case: the timestamp option alone, on the cached path (keep the two
                        # alike).  When that path turns the segment down (before doing
                        # anything), the window is put back and _send_segment takes over.
                        rcv_nxt = self.rcv_nxt
                        rcv_adv = self.rcv_adv
                        free = self.rcvbuf - len(self.rcvq)
                        was = cur = rcv_adv - rcv_nxt
                        if cur < 0:
                            was = cur = cur + WRAP
                        if cur >= HALF:
                            cur = 0
                        step = self.rcvbuf >> 1
                        if step > self.rcv_mss:
                            step = self.rcv_mss
                        if free - cur >= step or free == self.rcvbuf:
                            cur = free
                        ws = self.rcv_wscale
                        win = (cur + (1 << ws) - 1) >> ws
                        if win > 0xFFFF:
                            win = 0xFFFF
                        if win << ws != was:
                            adv = rcv_nxt + (win << ws)
                            self.rcv_adv = adv if adv <= MASK else adv - WRAP
                        if fp.send(self._csum_base, self.local[1], self.remote[1], snd_nxt, rcv_nxt, ACK | PSH, win,
                                   payload, None, ((now // 1000) + self.ts_offset) & MASK, self.ts_recent):
                            self.segs_out += 1
                            self.last_ack_sent = rcv_nxt
                            self.t_delack = None
                            self.unacked_bytes = 0
                            self.last_send = now
                        else:
                            self.rcv_adv = rcv_adv
                            self._send_segment(snd_nxt, ACK | PSH, payload, now)
                    else:
                        self._send_segment(snd_nxt, ACK | PSH, payload, now)
                    self.snd_nxt = end = (buf_seq + qlen) & MASK
                    self.last_data_sent = now
                    # _sent(snd_nxt, k, False, now), inlined (with RttEstimator.current): end is
                    # k (0 < k <= MSS) past snd_nxt, which was snd_max, so seq_gt(end, snd_max)
                    self.snd_max = end
                    if self.rtt_seq is None:
                        self.rtt_seq = end
                        self.rtt_time = now
                    if self.t_rexmit is None:
                        rtt = self.rtt
                        t = rtt.rto << rtt.backoff
                        self.t_rexmit = now + (t if t < rtt.rto_max else rtt.rto_max)  # RFC 6298 §5.1
                    self.t_persist = None
                    # _rearm(), inlined (it runs after every segment)
                    m = self.t_rexmit
                    t = self.t_delack
                    if t is not None and (m is None or t < m):
                        m = t
                    t = self.t_persist
                    if t is not None and (m is None or t < m):
                        m = t
                    t = self.t_keep
                    if t is not None and (m is None or t < m):
                        m = t
                    t = self.t_close
                    if t is not None and (m is None or t < m):
                        m = t
                    if m is not None:
                        sched = self._sched
                        if sched is None or m < sched:
                            self.layer._schedule(self, m)
                    return n
            self._output(now)
            self._rearm()
        return n

    def recv(self, n: int, now: int, peek: bool = False) -> bytes:
        """Take up to n received bytes (RFC 9293 §3.10.3 RECEIVE); b'' at end of stream."""
        q = self.rcvq
        # No _rearm() after a read: reading sets no timer.  A window update only clears the
        # delayed ACK (and a PMTU change found while sending re-arms by itself).
        if q:
            if n >= len(q):
                data = bytes(q)  # all of it (the common case): one copy, no view
                if peek:
                    return data
                q.clear()
            else:
                data = bytes(memoryview(q)[:n])  # one copy (q[:n] would make a second); the view is gone before del
                if peek:
                    return data
                del q[:n]
            # The window update: after the user reads, advertise a window that opened by a
            # useful amount at once instead of waiting for the next segment (RFC 1122
            # §4.2.3.3); Linux tcp_cleanup_rbuf: only when the advertised window had shrunk
            # to half the buffer or less and would at least double.
            if self.state in RECEIVING and not self.fin_rcvd:
                cur = (self.rcv_adv - self.rcv_nxt) & MASK
                if cur >= HALF:
                    cur -= 0x100000000  # seq_sub(rcv_adv, rcv_nxt), with two operations fewer
                rcvbuf = self.rcvbuf
                if 2 * cur <= rcvbuf:
                    free = rcvbuf - len(q)
                    if free >= 2 * cur and free - cur >= self.rcv_mss:
                        self.env.stats["tcp.tx.window_update"] += 1
                        self._send_segment(self.snd_max, ACK, b"", now)
            return data
        if self.error is not None:
            raise self._take_error()
        if self.fin_rcvd or self.shut_rd or self.state is CLOSED or self.state is TIME_WAIT:
            return b""
        raise oserror(errno.EAGAIN)

    def _take_error(self) -> OSError:
        code = self.error
        self.error = None
        return oserror(code)

    def take_error(self) -> int | None:
        """SO_ERROR: the pending error, cleared."""
        code = self.error
        self.error = None
        return code

    @property
    def recv_available(self) -> int:
        return len(self.rcvq)

    @property
    def readable(self) -> bool:
        # (socketapi.sock's recv and _take have it inlined, behind their test of rcvq: keep alike)
        return bool(self.rcvq) or self.fin_rcvd or self.error is not None or self.shut_rd \
            or self.state is CLOSED or self.state is TIME_WAIT

    @property
    def writable(self) -> bool:
        st = self.state
        if self.error is not None or self.shut_wr or st is CLOSED:
            return True
        if st is not ESTABLISHED and st is not CLOSE_WAIT:
            return False
        queued = len(self.sndq)
        free = self.sndbuf - queued
        return free > 0 and free >= queued // 2  # Linux sk_stream_is_writeable

    @property
    def connected(self) -> bool:
        return self.state in SYNCHRONIZED

    @property
    def send_queued(self) -> int:
        return len(self.sndq)

    @property
    def recv_q(self) -> int:
        return len(self.rcvq)

    @property
    def send_q(self) -> int:
        return len(self.sndq)

    def set_nodelay(self, on: bool, now: int = 0) -> None:
        self.nodelay = bool(on)
        if on and self.state in SENDING:
            self._output(now)  # Linux pushes pending data when TCP_NODELAY is set
            self._rearm()

    def set_keepalive(self, on: bool, now: int, idle: int | None = None, intvl: int | None = None,
                      cnt: int | None = None) -> None:
        self.keepalive = bool(on)
        opts = self.opts  # (where the keepidle, keepintvl and keepcnt properties read them)
        if (idle or intvl or cnt) and opts is DEFAULT_OPTIONS:
            opts = self.opts = opts.copy()  # the shared defaults never change (see config.DEFAULT_OPTIONS)
        if idle:
            opts.keepidle = idle
        if intvl:
            opts.keepintvl = intvl
        if cnt:
            opts.keepcnt = cnt
        if on and self.state in SYNCHRONIZED:
            self.probes = 0
            self.t_keep = self.last_rcv + self.keepidle
            self._rearm()
        elif not on:
            self.t_keep = None

    def shutdown(self, how: int, now: int) -> None:
        st = self.state
        if st is CLOSED or st is LISTEN or st is SYN_SENT and how != 0:
            if st is SYN_SENT:
                self._fail(None, "shutdown in SYN-SENT", now)
                return
            raise oserror(errno.ENOTCONN)
        if how in (0, 2):
            self.shut_rd = True
            self._signal()
        if how in (1, 2) and not self.shut_wr:
            self.shut_wr = True
            self._queue_fin(now, "shutdown(SHUT_WR)")
        self._rearm()

    def _queue_fin(self, now: int, cause: str) -> None:
        """RFC 9293 §3.10.4 CLOSE: FIN after the queued data."""
        st = self.state
        if self.fin_queued:
            return
        if st is ESTABLISHED or st is SYN_RECEIVED:
            self._set_state(FIN_WAIT_1, cause)
        elif st is CLOSE_WAIT:
            self._set_state(LAST_ACK, cause)
        else:
            return
        self.fin_queued = True
        queued = len(self.sndq)
        self.fin_seq = fin_seq = (self.snd_buf_seq + queued) & MASK if queued else self.snd_buf_seq  # seq_add()
        if st is SYN_RECEIVED:
            return
        if not queued and self.snd_una == fin_seq and self.snd_nxt == fin_seq and self.snd_max == fin_seq \
                and not self.in_recovery and not self.scoreboard.sacked:
            # Nothing queued or in flight, the usual close: _output() would send the FIN alone
            # now (no window needed, nothing in flight for cwnd to hold back), with _sent()'s
            # updates.  Done here without its call and set-up (keep the two alike).
            self._send_segment(fin_seq, FIN | ACK, b"", now)
            self.snd_nxt = self.snd_max = nxt = fin_seq + 1 if fin_seq != MASK else 0  # seq_add(fin_seq, 1)
            if self.rtt_seq is None:
                self.rtt_seq = nxt
                self.rtt_time = now
            if self.t_rexmit is None:
                rtt = self.rtt
                t = rtt.rto << rtt.backoff
                self.t_rexmit = now + (t if t < rtt.rto_max else rtt.rto_max)  # RFC 6298 §5.1
            self.t_persist = None
        else:
            self._output(now)

    def close(self, now: int) -> None:
        """The socket is closed: FIN after queued data, or RST when unread data is thrown
        away (Linux tcp_close, RFC 2525 §2.17) or SO_LINGER is zero."""
        if self.closed:
            return
        self.closed = True
        st = self.state
        if st is CLOSED:
            self._teardown(now)
            return
        if st is TIME_WAIT:
            return
        if st is SYN_SENT:
            self._fail(None, "close in SYN-SENT", now)
            return
        if self.rcvq or (self.opts.linger == 0):
            self.env.stats["tcp.close.unread_rst" if self.rcvq else "tcp.close.linger_rst"] += 1
            self.rcvq.clear()
            self.abort(now)
            return
        self.shut_rd = self.shut_wr = True
        self._queue_fin(now, "close")
        if self.state is FIN_WAIT_2:
            if self.opts.linger2 == -1:  # Linux's tcp_close: TCP_LINGER2 < 0 resets at once
                self.env.stats["tcp.close.linger2_rst"] += 1
                self.abort(now)
                return
            self.t_close = now + (self.opts.linger2 or self.cfg.fin_timeout)
        # _rearm(), inlined (every connection is closed once)
        m = self.t_rexmit
        t = self.t_delack
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_persist
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_keep
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_close
        if t is not None and (m is None or t < m):
            m = t
        if m is not None:
            sched = self._sched
            if sched is None or m < sched:
                self.layer._schedule(self, m)

    def abort(self, now: int) -> None:
        """RFC 9293 §3.10.5 ABORT: RST if synchronized (or SYN-RECEIVED), then CLOSED."""
        st = self.state
        if st is CLOSED:
            return
        self.closed = True
        if st in SYNCHRONIZED or st is SYN_RECEIVED:
            self.layer._emit(self.local, self.remote, self.snd_max, 0, RST, 0, b"", b"")
            self.env.stats["tcp.tx.rst"] += 1
        self._fail(None, "abort", now)

    # ------------------------------------------------------------------ output
    def _rcv_window_field(self) -> int:
        """The window to advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance): the right
        edge moves only by at least min(rcvbuf/2, MSS), and never moves left.
        (The rule's reference: `_send_segment` and `send` have it inlined, one call less
        per segment: keep the three alike.)"""
        rcv_nxt = self.rcv_nxt
        free = self.rcvbuf - len(self.rcvq)
        was = cur = self.rcv_adv - rcv_nxt  # seq_sub(rcv_adv, rcv_nxt), at least 0
        if cur < 0:
            was = cur = cur + WRAP  # (onto the circle by hand: `& MASK` allocates on big ints)
        if cur >= HALF:
            cur = 0
        step = self.rcvbuf >> 1  # min(rcvbuf / 2, MSS)
        if step > self.rcv_mss:
            step = self.rcv_mss
        if free - cur >= step or free == self.rcvbuf:
            cur = free
        ws = self.rcv_wscale
        field = (cur + (1 << ws) - 1) >> ws
        if field > 0xFFFF:
            field = 0xFFFF
        if field << ws != was:  # (an unmoved right edge, the usual case, stays: no arithmetic)
            adv = rcv_nxt + (field << ws)
            self.rcv_adv = adv if adv <= MASK else adv - WRAP
        return field

    def _send_segment(self, seq: int, flags: int, payload, now: int) -> None:
        """Build and send one segment carrying our current ACK, window and options.
        (`send` has it inlined for an idle sender's write on the cached path: keep alike.)"""
        tsecr = self.ts_recent
        if self.ts_ok:
            tsval = now // 1000 + self.ts_offset  # _tsval(), with `& MASK` only past 2**32
            if tsval > MASK:
                tsval &= MASK
            if self.sack_ok and self.ooo.pieces:
                opts = _ts_block(0x0101, 0x080A, tsval, tsecr) + self._sack_option(3)
            else:
                opts = None  # the timestamp option alone: the cached path packs it with the headers
        else:
            tsval = 0
            opts = self._sack_option(4) if self.sack_ok and self.ooo.pieces else b""
        rcv_nxt = self.rcv_nxt
        # _rcv_window_field() inlined for the per-segment path.
        free = self.rcvbuf - len(self.rcvq)
        was = cur = self.rcv_adv - rcv_nxt
        if cur < 0:
            was = cur = cur + WRAP
        if cur >= HALF:
            cur = 0
        step = self.rcvbuf >> 1
        if step > self.rcv_mss:
            step = self.rcv_mss
        if free - cur >= step or free == self.rcvbuf:
            cur = free
        ws = self.rcv_wscale
        win = (cur + (1 << ws) - 1) >> ws
        if win > 0xFFFF:
            win = 0xFFFF
        if win << ws != was:
            adv = rcv_nxt + (win << ws)
            self.rcv_adv = adv if adv <= MASK else adv - WRAP
        local = self.local
        remote = self.remote
        fp = self._fp
        sent = False
        if fp is not False:
            if fp is not None:  # (its send() checks it is still usable: None when not)
                sent = fp.send(self._csum_base, local[1], remote[1], seq, rcv_nxt, flags, win, payload, opts, tsval,
                               tsecr)
            if sent is None or fp is None:
                fp = self._fp = self.env.tcp_fast_path(local[0], remote[0])  # None while none applies
                if fp is not None:
                    sent = fp.send(self._csum_base, local[1], remote[1], seq, rcv_nxt, flags, win, payload, opts,
                                   tsval, tsecr)
        if not sent:
            if opts is None:
                opts = _ts_block(0x0101, 0x080A, tsval, tsecr)
            seg = _build_fast(self._csum_base, local[1], remote[1], seq, rcv_nxt, flags, win, payload, opts)
            err = self.env.ip_send(local[0], remote[0], 6, seg, df=True)
            if err:
                self.env.stats["tcp.tx.ip_error"] += 1
                if err == errno.EMSGSIZE:
                    self._pmtu_lowered(self.env.path_mtu(remote[0]), now)
        self.segs_out += 1
        self.last_ack_sent = rcv_nxt
        self.t_delack = None
        self.unacked_bytes = 0
        self.last_send = now

    def _sack_option(self, limit: int) -> bytes:
        base = self.rcv_nxt
        blocks = [((base + s) & MASK, (base + e) & MASK) for s, e in self.ooo.blocks(limit)]
        return tcp_wire.encode_sack(blocks)

    def _send_ack(self, now: int) -> None:
        """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, where the RFC's SND.NXT is our snd_max:
        after an RTO rewinds snd_nxt, an ACK stamped with the rewound value would look
        old to the peer and be dropped before its ACK field is read (both ends rewound
        at once would deadlock)."""
        if self.state is State.SYN_RECEIVED:
            self._send_syn(now)  # the "ACK" of SYN-RECEIVED is our SYN-ACK again
            return
        self._send_segment(self.snd_max, ACK, b"", now)

    def _flight(self) -> int:
        if self.in_recovery and self.sack_ok:
            return self._pipe()
        f = seq_sub(self.snd_nxt, self.snd_una) - self.scoreboard.sacked
        return f if f > 0 else 0

    def _pipe(self) -> int:
        """RFC 6675 §4 SetPipe, in bytes: outstanding minus SACKed minus lost, plus lost
        bytes already retransmitted in this recovery."""
        sb = self.scoreboard
        out = seq_sub(self.snd_max, self.snd_una)
        if not sb:
            return out
        edge = sb.lost_edge(self.cfg.dupthresh * self.mss)
        lost = sb.hole_bytes_below(edge)
        rx = seq_sub(self.high_rxt, self.snd_una)
        retx = sb.hole_bytes_below(min(edge, rx)) if rx > 0 else 0
        return out - sb.sacked - lost + retx

    def _output(self, now: int) -> None:
        """Send what the windows, Nagle and SWS avoidance allow (RFC 9293 §3.8.6.2.1,
        RFC 1122 §4.2.3.4, RFC 5681), then the FIN when everything before it is out.

        Works in integer offsets from `snd_buf_seq` (the sequence number of sndq[0]) so
        the per-segment loop does no modular arithmetic; sequence numbers are formed
        only for the wire."""
        sack_recovery = self.in_recovery and self.sack_ok
        if not sack_recovery and not self.fin_queued and self.snd_nxt == (self.snd_buf_seq + len(self.sndq)) & MASK:
            return  # everything queued has been sent and no FIN waits: nothing below could act
        if sack_recovery:
            self._sack_retransmit(now)
        mss = self.mss
        sndq = self.sndq
        qlen = len(sndq)
        buf_seq = self.snd_buf_seq
        # seq_sub() inlined (this runs after every ACK and every write): the signed distance
        # on the circle is ((a - b + 2**31) mod 2**32) - 2**31
        una_off = ((self.snd_una - buf_seq + HALF) & MASK) - HALF
        max_off = ((self.snd_max - buf_seq + HALF) & MASK) - HALF
        win_end = una_off + self.snd_wnd
        cwnd = self.cc.cwnd
        sb = self.scoreboard
        fin_off = qlen if self.fin_queued else -1
        off = ((self.snd_nxt - buf_seq + HALF) & MASK) - HALF
        if off < 0:
            return  # our SYN is not acknowledged yet
        while True:
            retrans = off < max_off
            if retrans and sb.ranges:
                end = sb.sacked_end(off - una_off)
                if end is not None:  # after an RTO, skip what the peer already holds
                    off = min(una_off + end, max_off)
                    self.snd_nxt = (buf_seq + off) & MASK
                    continue
            avail = qlen - off
            if avail <= 0:
                if off == fin_off:
                    # the FIN alone (it needs no window, RFC 9293 §3.10.4)
                    flight = self._pipe() if sack_recovery else off - una_off - sb.sacked
                    if cwnd - flight <= 0 and flight > 0:
                        break
                    seq = (buf_seq + off) & MASK
                    self._send_segment(seq, FIN | ACK, b"", now)
                    off += 1
                    self.snd_nxt = nxt = (buf_seq + off) & MASK
                    if retrans:
                        self._count_retrans(seq, 1, "go-back-N (RTO or PMTU)")
                        self._sent(seq, 1, True, now)
                    else:
                        # _sent() inlined for a new FIN, as for new data below (with
                        # RttEstimator.current(): keep them alike, and _queue_fin's FIN alone)
                        if off > max_off:
                            self.snd_max = nxt
                        if self.rtt_seq is None:
                            self.rtt_seq = nxt
                            self.rtt_time = now
                        if self.t_rexmit is None:
                            rtt = self.rtt
                            t = rtt.rto << rtt.backoff
                            self.t_rexmit = now + (t if t < rtt.rto_max else rtt.rto_max)  # RFC 6298 §5.1
                        self.t_persist = None
                break
            flight = self._pipe() if sack_recovery else off - una_off - sb.sacked
            n = avail
            if n > mss:
                n = mss
            room = win_end - off
            if n > room:
                n = room
            cwnd_left = cwnd - flight
            if n > cwnd_left:
                n = cwnd_left
            if n <= 0:
                break
            if retrans:
                pass  # data already sent once goes again whatever its size (no SWS, no Nagle)
            elif n < mss and n < avail:
                if cwnd_left < room and flight:
                    break  # congestion-window limited: wait for ACKs rather than send slivers
                if n < (self.max_snd_wnd >> 1):
                    break  # sender SWS avoidance: at least half the largest window offered
            elif n < mss and not self.nodelay and flight and fin_off < 0:
                # Nagle (RFC 1122 §4.2.3.4): one small segment outstanding at most.
                self.env.stats["tcp.tx.nagle_delay"] += 1
                break
            end = off + n
            last = end == qlen
            if last:
                flags = FIN | ACK | PSH if fin_off >= 0 else ACK | PSH
            else:
                flags = ACK
            seq = (buf_seq + off) & MASK
            self._send_segment(seq, flags, memoryview(sndq)[off:end], now)
            off = end + 1 if flags & FIN else end
            self.snd_nxt = nxt = (buf_seq + off) & MASK
            self.last_data_sent = now
            if retrans:
                self._count_retrans(seq, n, "go-back-N (RTO or PMTU)")
                self._sent(seq, n + 1 if flags & FIN else n, True, now)
            else:
                # _sent() inlined for new data
                if off > max_off:
                    max_off = off
                    self.snd_max = nxt
                if self.rtt_seq is None:
                    self.rtt_seq = nxt
                    self.rtt_time = now
                if self.t_rexmit is None:
                    self.t_rexmit = now + self.rtt.current()  # RFC 6298 §5.1
                self.t_persist = None
            if last:
                # The queue is all out, with the FIN if one waited: another round would find
                # nothing (sequence space past the queue is at most that FIN).
                break
        # Zero window with data waiting and nothing in flight: persist (RFC 9293 §3.8.6.1).
        if self.snd_una == self.snd_max and self.t_rexmit is None and self.t_persist is None:
            if qlen > off or off == fin_off:
                self.t_persist = now + self.rtt.current()

    def _sent(self, seq: int, n: int, retrans: bool, now: int) -> None:
        end = seq_add(seq, n)
        if seq_gt(end, self.snd_max):
            self.snd_max = end
        if retrans:
            if self.rtt_seq is not None and seq_lt(seq, self.rtt_seq):
                self.rtt_seq = None  # Karn: the timed segment's sample is now ambiguous
        elif self.rtt_seq is None:
            self.rtt_seq = end
            self.rtt_time = now
        if self.t_rexmit is None:
            self.t_rexmit = now + self.rtt.current()  # RFC 6298 §5.1
        self.t_persist = None

    def _count_retrans(self, seq: int, n: int, why: str) -> None:
        """Every retransmitted segment is counted and traced with the reason."""
        self.total_retrans += 1
        stats = self.env.stats
        stats["tcp.tx.retransmit"] += 1
        stats["tcp.tx.retransmit_bytes"] += n
        self.env.trace("tcp", "retransmit", conn=self.label, seq=seq, len=n, why=why)

    def _retransmit(self, seq: int, n: int, now: int, why: str) -> int:
        """Resend n bytes from seq (no window check: RFC 5681 §3.2 step 2); returns bytes."""
        off = seq_sub(seq, self.snd_buf_seq)
        qlen = len(self.sndq)
        data = memoryview(self.sndq)[off:off + n] if off < qlen else b""
        flags = ACK | PSH if data else ACK
        used = len(data)
        if self.fin_seq is not None and seq_add(seq, used) == self.fin_seq and seq_gt(self.snd_max, self.fin_seq):
            flags |= FIN
            used += 1
        if not used:
            return 0
        self._send_segment(seq, flags, data, now)
        self._count_retrans(seq, used, why)
        end = seq_add(seq, used)
        if seq_gt(end, self.snd_max):
            self.snd_max = end  # (only when called with more than was outstanding)
        if self.rtt_seq is not None and seq_lt(seq, self.rtt_seq):
            self.rtt_seq = None
        if self.t_rexmit is None:
            self.t_rexmit = now + self.rtt.current()
        return used

    def _sack_retransmit(self, now: int) -> None:
        """RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, NextSeg() rule 1 (the first
        lost hole above HighRxt); new data (rule 2) is left to the normal output loop."""
        sb = self.scoreboard
        mss = self.mss
        cwnd = self.cc.cwnd
        while cwnd - self._pipe() >= mss:
            edge = sb.lost_edge(self.cfg.dupthresh * mss)
            start = seq_sub(self.high_rxt, self.snd_una)
            hole = next(sb.holes_below(edge, start if start > 0 else 0), None)
            if hole is None:
                return
            s, e = hole
            n = min(mss, e - s)
            seq = seq_add(self.snd_una, s)
            used = self._retransmit(seq, n, now, "sack hole")
            if not used:
                return
            self.high_rxt = seq_add(seq, used)

    # ------------------------------------------------------------------ timers
    def next_deadline(self) -> int | None:
        m = None
        for t in (self.t_rexmit, self.t_delack, self.t_persist, self.t_keep, self.t_close):
            if t is not None and (m is None or t < m):
                m = t
        return m

    def _rearm(self) -> None:
        # next_deadline() unrolled: this runs after every segment.  (`send`, `_fast_path`,
        # `_segment` and `close` have it inlined: keep them alike.)
        m = self.t_rexmit
        t = self.t_delack
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_persist
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_keep
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_close
        if t is not None and (m is None or t < m):
            m = t
        if m is not None:
            sched = self._sched
            if sched is None or m < sched:
                self.layer._schedule(self, m)

    def on_timer(self, now: int) -> None:
        if self.state is CLOSED or self.state is State.TIME_WAIT:
            return
        if self.t_delack is not None and now >= self.t_delack:
            self.t_delack = None
            self.env.stats["tcp.tx.delayed_ack"] += 1
            self._send_ack(now)
        if self.t_rexmit is not None and now >= self.t_rexmit:
            self.t_rexmit = None
            self._on_rto(now)
            if self.state is CLOSED:
                return
        if self.t_persist is not None and now >= self.t_persist:
            self.t_persist = None
            self._on_persist(now)
            if self.state is CLOSED:
                return
        if self.t_keep is not None and now >= self.t_keep:
            self.t_keep = None
            self._on_keepalive(now)
            if self.state is CLOSED:
                return
        if self.t_close is not None and now >= self.t_close:
            self.t_close = None
            self.env.stats["tcp.fin_wait_2.timeout"] += 1
            self._fail(None, "FIN-WAIT-2 timeout (tcp_fin_timeout)", now)
            return
        self._rearm()

    def _on_rto(self, now: int) -> None:
        """RFC 6298 §5.4-5.7 on expiry; RFC 5681 §3.1 loss window; retry limits (RFC 1122
        §4.2.3.5 R2, Linux tcp_syn_retries / tcp_retries2) end in ETIMEDOUT."""
        st = self.state
        stats = self.env.stats
        stats["tcp.rto"] += 1
        self.retries += 1
        self.rtt.on_timeout()
        self.rtt_seq = None
        name = self.label
        if st is State.SYN_SENT or st is State.SYN_RECEIVED:
            limit = self.opts.syncnt or (self.cfg.syn_retries if st is State.SYN_SENT else self.cfg.synack_retries)
            if self.retries > limit:
                stats["tcp.timeout.syn"] += 1
                if self.passive:
                    self.env.trace("tcp", "synack_timeout", conn=name)
                    self._fail(None, "SYN-ACK retries exhausted", now)
                else:
                    self._fail(self.soft_error or errno.ETIMEDOUT, "SYN retries exhausted", now)
                return
            self.env.trace("tcp", "retransmit", conn=name, seq=self.iss, len=0, why="syn timeout",
                           rto=self.rtt.current())
            self.total_retrans += 1
            stats["tcp.tx.retransmit"] += 1
            self._send_syn(now)
            self.t_rexmit = now + self.rtt.current()
            return
        if self.snd_una == self.snd_max:
            return
        user_timeout = self.opts.user_timeout
        zero_window = self.snd_wnd == 0
        if zero_window:
            # The peer shrank its window to zero under data in flight: our retransmissions
            # are window probes; give up only after rto_max without any ACK (Linux
            # tcp_retransmit_timer), never because of retries2.
            expired = now - self.last_rcv > self.cfg.rto_max
        else:
            expired = self.retries > self.cfg.retries2
        if expired or (user_timeout and now - self.last_rcv >= user_timeout):
            stats["tcp.timeout.data"] += 1
            self._fail(self.soft_error or errno.ETIMEDOUT, "retransmission retries exhausted", now)
            return
        flight = seq_sub(self.snd_max, self.snd_una)
        if self.retries == 1:
            self.cc.on_rto(flight, now)
        else:
            # RFC 5681 §3.1: a segment already retransmitted by the timer leaves ssthresh
            # unchanged; only the loss window applies again.
            self.cc.cwnd = self.cc.mss
        self.in_recovery = False
        self.dupacks = 0
        self.recover = self.snd_max  # RFC 6582 §3.2 step 4: no fast retransmit for old data
        self.high_rxt = self.snd_una
        self.snd_nxt = self.snd_una  # go-back-N from the first unacknowledged byte
        if zero_window:
            used = self._retransmit(self.snd_una, min(self.mss, flight), now, "rto into a zero window")
            self.snd_nxt = seq_add(self.snd_una, used)
        self.env.trace("tcp", "rto", conn=name, seq=self.snd_una, rto=self.rtt.current(), retries=self.retries,
                       cwnd=self.cc.cwnd, ssthresh=self.cc.ssthresh)
        self._output(now)
        if self.t_rexmit is None:
            self.t_rexmit = now + self.rtt.current()
        self._record(now)

    def _on_persist(self, now: int) -> None:
        """Zero-window probe (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17), sent as Linux does:
        an ACK one below SND.UNA, which any receiver answers with its current window."""
        if self.snd_una != self.snd_max:
            return
        if self.snd_wnd and self.snd_wnd >= min(self.mss, len(self.sndq)):
            self._output(now)
            return
        self.probes += 1
        if self.probes > self.cfg.retries2:
            self.env.stats["tcp.timeout.persist"] += 1
            self._fail(errno.ETIMEDOUT, "zero-window probes unanswered", now)
            return
        self.env.stats["tcp.tx.window_probe"] += 1
        self.env.trace("tcp", "window_probe", conn=self.label, probes=self.probes)
        self._send_segment(seq_add(self.snd_una, -1), ACK, b"", now)
        self.rtt.on_timeout()
        self.t_persist = now + self.rtt.current()

    def _on_keepalive(self, now: int) -> None:
        """RFC 1122 §4.2.3.6 keep-alive: after `keepidle` of silence, `keepcnt` probes
        `keepintvl` apart; no answer ends the connection with ETIMEDOUT (Linux sends RST)."""
        if not self.keepalive or self.state not in SYNCHRONIZED:
            return
        idle = now - self.last_rcv
        if idle < self.keepidle and self.probes == 0:
            self.t_keep = self.last_rcv + self.keepidle
            return
        if self.probes >= self.keepcnt:
            self.env.stats["tcp.timeout.keepalive"] += 1
            self.layer._emit(self.local, self.remote, self.snd_max, 0, RST, 0, b"", b"")
            self._fail(errno.ETIMEDOUT, "keepalive probes unanswered", now)
            return
        self.probes += 1
        self.env.stats["tcp.tx.keepalive"] += 1
        self.env.trace("tcp", "keepalive", conn=self.label, probes=self.probes)
        self._send_segment(seq_add(self.snd_una, -1), ACK, b"", now)
        self.t_keep = now + self.keepintvl

    # ------------------------------------------------------------------ input
    def segment_arrives(self, hdr, data, now: int) -> None:
        st = self.state
        # Header prediction turns down, first thing, a segment with FIN, SYN, RST or URG or
        # without ACK (_fast_path's first test, 0x37): such a segment does not call it.
        if st is ESTABLISHED and hdr.flags & 0x37 == ACK:
            o = hdr.options
            if self.ts_ok:
                ts = o.timestamps
                if ts is not None and not o.sack_blocks \
                        and self._fast_path(hdr.seq, hdr.ack, hdr.flags, hdr.window, ts[0], data, now):
                    return
            elif o is tcp_wire.NO_OPTIONS and self._fast_path(hdr.seq, hdr.ack, hdr.flags, hdr.window, None, data,
                                                             now):
                return
        if st is SYN_SENT:
            self.segs_in += 1  # (the fast path counts the segments it takes)
            self._syn_sent(hdr, data, now)
            if self.state is not CLOSED:
                self._rearm()
            return
        _, _, seq, ack, flags, window, _, o = hdr  # (one unpack: a NamedTuple's fields are slow reads)
        ts = o.timestamps
        self._segment(seq, ack, flags, window, ts[0] if ts is not None else None, o.sack_blocks, data, now)

    def _segment(self, seq: int, ack: int, flags: int, window: int, tsval, sack_blocks, data, now: int) -> None:
        """`segment_arrives` in a synchronized state, past header prediction, from the
        header's fields: `tsval` is the timestamp option's TSval (None without one),
        `sack_blocks` the SACK option's blocks as TcpOptions holds them.

        `TcpLayer.input` and `input_frame` call it themselves for a segment whose only
        option is a timestamp once header prediction has turned it down (or was not for
        it), so that no TcpHeader is made for it: a NamedTuple costs a few thousand
        instructions to build and read."""
        self.segs_in += 1  # (the fast path counts the segments it takes)
        self._synchronized(seq, ack, flags, window, tsval, sack_blocks, data, now)
        if self.state is not CLOSED:
            # _rearm(), inlined (it runs after every segment)
            m = self.t_rexmit
            t = self.t_delack
            if t is not None and (m is None or t < m):
                m = t
            t = self.t_persist
            if t is not None and (m is None or t < m):
                m = t
            t = self.t_keep
            if t is not None and (m is None or t < m):
                m = t
            t = self.t_close
            if t is not None and (m is None or t < m):
                m = t
            if m is not None:
                sched = self._sched
                if sched is None or m < sched:
                    self.layer._schedule(self, m)

    def _fast_path(self, seq: int, ack: int, flags: int, window: int, tsval, data, now: int) -> bool:
        """Header prediction (Van Jacobson; RFC 9293 leaves it to implementations): in-order
        data, an ACK of new data, or both at once (a request/response exchange) in
        ESTABLISHED with nothing unusual take the short road.

        The caller (`segment_arrives`, or `TcpLayer.input` / `input_frame` straight from the
        header's bytes) has checked the flags (ACK without SYN, FIN, RST or URG: `flags & 0x37`
        is ACK) and the options: a timestamp alone (`tsval`) on a connection that uses them,
        none at all (`tsval` None) on one that does not.  It does what
        `_synchronized` would do with such a segment, in the same order: PAWS, the ACK
        (fifth step) and the window (SND.WL1/WL2 always pass here: SEG.SEQ is RCV.NXT and
        SEG.ACK is not old), then the text (seventh step), then output.  It returns False
        before changing anything when the segment needs the full path.

        The sequence comparisons are `seq_lt`/`seq_gt`/`seq_le`, written out."""
        rcv_nxt = self.rcv_nxt
        if seq != rcv_nxt or self.ooo.pieces or self.ooo_fin is not None or self.in_recovery or self.dupacks:
            return False
        if tsval is not None:
            ts_recent = self.ts_recent
            if tsval != ts_recent:  # (equal values pass: the common case skips the arithmetic)
                d = (ts_recent - tsval) & MASK
                if 0 < d < HALF or (d == HALF and tsval > ts_recent):  # seq_lt(tsval, ts_recent): PAWS fails
                    return False
        una = self.snd_una
        new_ack = ack != una
        if new_ack:
            # seq_lt(ack, una) from the forward distance (una - ack is the distance the
            # other way round: past half the circle exactly when this one is short of it),
            # which also gives the amount acknowledged below
            dist = (ack - una) & MASK
            if dist > HALF or (dist == HALF and ack > una):  # seq_lt(ack, una): an old ACK
                return False
            snd_max = self.snd_max
            if ack != snd_max:  # (an ACK of everything sent, the common case, passes)
                d = (ack - snd_max) & MASK
                if 0 < d < HALF or (d == HALF and snd_max > ack):  # seq_gt(ack, snd_max): ACKs unsent data
                    return False
        wnd = window << self.snd_wscale
        n = len(data)
        if n:
            # n > seq_sub(rcv_adv, rcv_nxt): more than the window we offered (a distance past
            # half the circle is a negative window, which no data fits)
            room = (self.rcv_adv - rcv_nxt) & MASK
            if self.closed or room >= HALF or n > room:
                return False
            if not new_ack and wnd != self.snd_wnd:
                return False  # data with a window update: full processing
        elif not new_ack:
            return False  # a possible duplicate ACK or window update: full processing
        self.segs_in += 1
        self.last_rcv = now
        self.probes = 0
        if tsval is not None:
            last_ack_sent = self.last_ack_sent
            d = 0 if seq == last_ack_sent else (last_ack_sent - seq) & MASK
            if d < HALF or (d == HALF and seq > last_ack_sent):  # seq_le(seq, last_ack_sent)
                self.ts_recent = tsval
                self.ts_recent_age = now
        if new_ack:
            # _new_ack(ack, now), inlined: SND.UNA advances (RFC 9293 §3.10.7.4 fifth step).
            # Not in recovery here (tested above), so its recovery branch has nothing to do,
            # and dupacks is already 0.
            # (Where two sequence numbers are equal, the arithmetic they would go through is
            # skipped: an ACK of everything sent is the common case.)
            acked = dist if dist < HALF else dist - 0x100000000  # seq_sub(ack, una)
            flight_before = acked if ack == snd_max else ((snd_max - una + HALF) & MASK) - HALF
            self.snd_una = ack
            snd_nxt = self.snd_nxt
            if snd_nxt != ack:
                d = (ack - snd_nxt) & MASK
                if 0 < d < HALF or (d == HALF and snd_nxt > ack):  # seq_lt(snd_nxt, ack)
                    self.snd_nxt = ack
            self.last_ack_recv = now
            buf_seq = self.snd_buf_seq
            nbuf = acked if buf_seq == una else ((ack - buf_seq + HALF) & MASK) - HALF
            if nbuf > 0:
                sndq = self.sndq
                qlen = len(sndq)
                if nbuf > qlen:
                    nbuf = qlen
                del sndq[:nbuf]
                self.snd_buf_seq = ack if buf_seq == una and nbuf == acked else (buf_seq + nbuf) & MASK
                self.bytes_acked += nbuf
            if self.scoreboard.ranges:
                self.scoreboard.advance(acked)
            rtt_seq = self.rtt_seq
            if rtt_seq is not None:
                d = 0 if ack == rtt_seq else (ack - rtt_seq) & MASK
                if d < HALF or (d == HALF and rtt_seq > ack):  # seq_ge(ack, rtt_seq)
                    r = now - self.rtt_time
                    rtt = self.rtt
                    srtt = rtt.srtt
                    if srtt and r > 0:
                        # RttEstimator.sample(r), inlined for a sample after the first (one per
                        # round trip): RFC 6298 §2.3, then §2.4's clamping (as in _new_ack:
                        # keep the three alike)
                        rtt.latest = r
                        if r < rtt.min_rtt:
                            rtt.min_rtt = r
                        d = srtt - r
                        rtt.rttvar = rttvar = (3 * rtt.rttvar + (d if d >= 0 else -d)) >> 2
                        rtt.srtt = srtt = (7 * srtt + r) >> 3
                        d = 4 * rttvar  # K * RTTVAR (rtt.K = 4)
                        d = srtt + (d if d > 1000 else 1000)  # SRTT + max(G, K * RTTVAR) (rtt.G = 1000 us)
                        if d < rtt.rto_min:
                            d = rtt.rto_min
                        if d > rtt.rto_max:
                            d = rtt.rto_max
                        rtt.rto = d
                        rtt.backoff = 0
                    else:
                        rtt.sample(r)
                    self.rtt_seq = None
            self.retries = 0
            cc = self.cc
            if 2 * flight_before >= cc.cwnd:  # cwnd-limited (see _new_ack)
                cc.on_ack(acked, now, self.rtt.srtt)
            if ack == snd_max:
                self.t_rexmit = None  # RFC 6298 §5.2
                self.retrans_out = 0
            else:
                self.t_rexmit = now + self.rtt.current()  # RFC 6298 §5.3
            self.t_persist = None
            if self.series is not None:
                self._record(now)
            watchers = self.watchers
            if watchers and len(self.sndq) < self.sndbuf:
                if len(watchers) == 1:
                    watchers[0]()  # _signal(), inlined for its common case: one blocked caller
                else:
                    self._signal()
                signalled = True
            else:
                signalled = False
            if wnd != self.snd_wnd:
                if self.snd_wnd == 0 and wnd > 0:
                    self.env.stats["tcp.rx.window_opened"] += 1
                self.snd_wnd = wnd
                if wnd > self.max_snd_wnd:
                    self.max_snd_wnd = wnd
        self.snd_wl1 = seq
        self.snd_wl2 = ack
        if n:
            # In-order data (RFC 9293 §3.10.7.4 seventh step).
            self.rcvq += data
            self.rcv_nxt = (rcv_nxt + n) & MASK
            self.bytes_received += n
            self.last_data_recv = now
            if n > self.rcv_mss:
                self.rcv_mss = n
            unacked = self.unacked_bytes = self.unacked_bytes + n
            if unacked >= 2 * self.rcv_mss:
                self._send_segment(self.snd_max, ACK, b"", now)  # every second full segment
            elif self.t_delack is None:
                self.t_delack = now + self.cfg.delayed_ack
            # The readers learn of the data, unless the ACK above signalled already: every
            # watcher only marks its caller to look again (a task's wakeup, once per wait;
            # a condition's notify; a poll set's mark), so a second call in the same
            # segment would do nothing (a request's answer, data and ACK at once, is the
            # common case)
            if not (new_ack and signalled):
                watchers = self.watchers
                if watchers:
                    if len(watchers) == 1:
                        watchers[0]()  # _signal(), inlined for its common case
                    else:
                        self._signal()
        # After an ACK, output (after in-order data alone, nothing new could go); _output()
        # would return at once when all that is queued has been sent and no FIN waits.
        if new_ack:
            qlen = len(self.sndq)
            if self.fin_queued or self.snd_nxt != ((self.snd_buf_seq + qlen) & MASK if qlen else self.snd_buf_seq):
                self._output(now)
        # _rearm(), inlined (it runs after every segment)
        m = self.t_rexmit
        t = self.t_delack
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_persist
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_keep
        if t is not None and (m is None or t < m):
            m = t
        t = self.t_close
        if t is not None and (m is None or t < m):
            m = t
        if m is not None:
            sched = self._sched
            if sched is None or m < sched:
                self.layer._schedule(self, m)
        return True

    def _new_ack(self, ack: int, now: int) -> None:
        """SND.UNA advances (RFC 9293 §3.10.7.4 fifth step): free the buffer, take an RTT
        sample (RFC 6298, Karn), grow cwnd or progress recovery, restart the timer.
        (`_fast_path` has its own copy, without recovery: keep the two alike.)"""
        # (Where two sequence numbers are equal, the arithmetic they would go through is
        # skipped, as in _fast_path: an ACK of everything sent is the common case.)
        una = self.snd_una
        # seq_sub(ack, una) and seq_sub(snd_max, una) inlined: the difference, brought into
        # -2**31 .. 2**31-1 by hand (no `& MASK`, which allocates on big ints)
        acked = ack - una
        if acked >= HALF:
            acked -= WRAP
        elif acked < MINUS_HALF:
            acked += WRAP
        snd_max = self.snd_max
        if ack == snd_max:
            flight_before = acked
        else:
            flight_before = snd_max - una
            if flight_before >= HALF:
                flight_before -= WRAP
            elif flight_before < MINUS_HALF:
                flight_before += WRAP
        self.snd_una = ack
        snd_nxt = self.snd_nxt
        if snd_nxt != ack:
            d = (ack - snd_nxt) & MASK
            if 0 < d < HALF or (d == HALF and snd_nxt > ack):  # seq_lt(snd_nxt, ack), written out
                self.snd_nxt = ack
        self.last_ack_recv = now
        # seq_sub(ack, snd_buf_seq) > 0: a distance under half the circle (acked itself when
        # the buffer starts at SND.UNA, its usual place once our SYN is acknowledged)
        buf_seq = self.snd_buf_seq
        nbuf = acked if buf_seq == una else (ack - buf_seq) & MASK
        if 0 < nbuf < HALF:
            qlen = len(self.sndq)
            if nbuf > qlen:
                nbuf = qlen  # (the rest is our SYN or FIN)
            if nbuf:
                del self.sndq[:nbuf]
                self.snd_buf_seq = (buf_seq + nbuf) & MASK
                self.bytes_acked += nbuf
        if self.scoreboard.ranges:
            self.scoreboard.advance(acked)
        rtt_seq = self.rtt_seq
        if rtt_seq is not None:
            d = ack - rtt_seq
            if 0 <= d < HALF or d <= MINUS_HALF:  # seq_ge(ack, rtt_seq), written out
                r = now - self.rtt_time
                rtt = self.rtt
                srtt = rtt.srtt
                if srtt and r > 0:
                    # RttEstimator.sample(r), inlined for a sample after the first, as in
                    # _fast_path (keep the three alike)
                    rtt.latest = r
                    if r < rtt.min_rtt:
                        rtt.min_rtt = r
                    d = srtt - r
                    rtt.rttvar = rttvar = (3 * rtt.rttvar + (d if d >= 0 else -d)) >> 2
                    rtt.srtt = srtt = (7 * srtt + r) >> 3
                    d = 4 * rttvar  # K * RTTVAR (rtt.K = 4)
                    d = srtt + (d if d > 1000 else 1000)  # SRTT + max(G, K * RTTVAR) (rtt.G = 1000 us)
                    if d < rtt.rto_min:
                        d = rtt.rto_min
                    if d > rtt.rto_max:
                        d = rtt.rto_max
                    rtt.rto = d
                    rtt.backoff = 0
                else:
                    rtt.sample(r)
                self.rtt_seq = None
        self.retries = 0
        cc = self.cc
        if self.in_recovery:
            if seq_ge(ack, self.recover):
                # Full acknowledgment: leave recovery (RFC 6582 §3.2 step 3, RFC 6675 §5).
                self.in_recovery = False
                flight = seq_sub(self.snd_max, ack)
                if self.sack_ok:
                    cc.cwnd = cc.ssthresh
                else:
                    cc.cwnd = min(cc.ssthresh, max(flight, self.mss) + self.mss)
                self.env.trace("tcp", "recovery_exit", conn=self.label,
                               cwnd=cc.cwnd)
            elif not self.sack_ok:
                # Partial acknowledgment (RFC 6582 §3.2 step 5): retransmit the next hole,
                # deflate by the amount acknowledged, add back one SMSS.
                self._retransmit(ack, self.mss, now, "partial ack")
                cc.cwnd = max(cc.cwnd - acked, self.mss)
                if acked >= self.mss:
                    cc.cwnd += self.mss
                self.t_rexmit = now + self.rtt.current()  # once per partial ACK (RFC 6582 "impatient" off)
            else:
                if seq_lt(self.high_rxt, ack):
                    self.high_rxt = ack
        elif 2 * flight_before >= cc.cwnd:
            # Grow only a window that is being used (RFC 7661 §4.3 "cwnd-limited", as
            # Linux's tcp_is_cwnd_limited): a receiver- or application-limited sender
            # must not inflate cwnd without evidence the path carries it.
            cc.on_ack(acked, now, self.rtt.srtt)
        self.dupacks = 0
        if ack == self.snd_max:  # (read again: a partial ACK's retransmission may have moved it)
            self.t_rexmit = None  # RFC 6298 §5.2
            self.retrans_out = 0
        else:
            self.t_rexmit = now + self.rtt.current()  # RFC 6298 §5.3
        self.t_persist = None
        if self.series is not None:
            self._record(now)
        if self.watchers and len(self.sndq) < self.sndbuf:
            self._signal()

    def _record(self, now: int) -> None:
        if self.series is not None:
            self.series.append((now, self.cc.cwnd, self.cc.ssthresh, self.rtt.srtt, self.rtt.current(),
                                self._flight(), seq_sub(self.rcv_adv, self.rcv_nxt)))

    def _syn_sent(self, hdr, data, now: int) -> None:
        """RFC 9293 §3.10.7.3 SYN-SENT STATE."""
        _, _, seq, ack, flags, window, _, options = hdr  # (one unpack, as in _synchronized)
        layer = self.layer
        if flags & ACK:
            # first: an ACK outside (ISS, SND.NXT] is unacceptable: seq_le(ack, iss) or
            # seq_gt(ack, snd_max), written out (as in _synchronized).
            iss = self.iss
            snd_max = self.snd_max
            d = iss - ack
            e = 0 if ack == snd_max else ack - snd_max  # (the SYN-ACK's usual ACK: no arithmetic)
            if 0 <= d < HALF or d <= MINUS_HALF or 0 < e < HALF or e <= MINUS_HALF:
                if not flags & RST:
                    layer._emit(self.local, self.remote, ack, 0, RST, 0, b"", b"")
                    self.env.stats["tcp.tx.rst"] += 1
                self._drop("bad_ack_syn_sent", ack=ack)
                return
        if flags & RST:
            # second: RST acceptable only with an acceptable ACK (RFC 5961 §3.2 for SYN-SENT).
            if flags & ACK:
                self.env.stats["tcp.rx.rst"] += 1
                self._fail(errno.ECONNREFUSED, "rcv RST (connection refused)", now)
            else:
                self._drop("rst_without_ack")
            return
        if not flags & SYN:
            self._drop("no_syn_in_syn_sent")
            return
        # fourth: SYN.
        self.irs = seq
        rcv_nxt = self.rcv_nxt = seq + 1 if seq != MASK else 0  # seq_add(seq, 1)
        rcvbuf = self.rcvbuf
        adv = rcv_nxt + (rcvbuf if rcvbuf < 0xFFFF else 0xFFFF)  # what our SYN offered
        self.rcv_adv = adv if adv <= MASK else adv - WRAP
        self._negotiate(options, now)
        self.last_rcv = now
        if flags & ACK:
            self.snd_wnd = window << self.snd_wscale
            self.max_snd_wnd = self.snd_wnd
            self.snd_wl1 = seq
            self.snd_wl2 = ack
            self._ack_syn(ack, now)
            self._set_state(ESTABLISHED, "rcv SYN,ACK")
            if self.keepalive:
                self.t_keep = now + self.keepidle
            if data:
                self._synchronized_text(data, now, rcv_nxt)
            self._send_segment(self.snd_max, ACK, b"", now)  # _send_ack() in ESTABLISHED
            if self.shut_wr:
                self._queue_fin(now, "shutdown(SHUT_WR) before connect")
            # (_output() unless it would return at once, as at the end of _synchronized)
            qlen = len(self.sndq)
            if self.fin_queued or self.snd_nxt != ((self.snd_buf_seq + qlen) & MASK if qlen else self.snd_buf_seq):
                self._output(now)
        else:
            # Simultaneous open (Figure 8): SYN-RECEIVED and a SYN,ACK with our ISS.
            self.snd_wnd = window
            self.max_snd_wnd = self.snd_wnd
            self.snd_wl1 = seq
            self.snd_wl2 = ack
            self._set_state(SYN_RECEIVED, "rcv SYN (simultaneous open)")
            self._send_syn(now)
            self.t_rexmit = now + self.rtt.current()

    def _ack_syn(self, ack: int, now: int) -> None:
        """Our SYN is acknowledged: SND.UNA past ISS, first RTT sample, timer reset."""
        self.snd_una = ack
        self.retries = 0
        rtt = self.rtt
        if self.rtt_seq is not None:
            rtt.sample(now - self.rtt_time)  # (the handshake's sample: the first, RFC 6298 §2.2)
            self.rtt_seq = None
        rtt.backoff = 0
        if not rtt.srtt and self.total_retrans:
            # RFC 6298 §5.7: the SYN was retransmitted and no sample exists (Karn): data
            # transmission starts with an RTO of 3 s (Linux TCP_TIMEOUT_FALLBACK).
            rtt.rto = min(max(rtt.rto, 3 * 1_000_000), self.cfg.rto_max)
        self.t_rexmit = None
        # The controller starts over with the negotiated MSS; RFC 5681 §3.1: a lost SYN
        # or SYN-ACK reduces the initial window to one segment.
        cfg = self.cfg
        mss = self.mss
        name = self.opts.congestion or cfg.congestion
        cls = _CC_CLASSES.get(name)  # congestion.make(), as in __init__
        cc = self.cc
        if type(cc) is cls:
            # Until now the controller has only been told of MSS changes (set_mss): no ACK
            # has reached it and no loss, so only mss and cwnd differ from a new one's.  They
            # are set here instead of building one again.
            cc.mss = mss
            cc.cwnd = initial_cwnd(mss, cfg.initial_window)
        else:  # TCP_CONGESTION changed the algorithm while connecting
            cc = self.cc = cls(mss, cfg.initial_window) if cls is not None else congestion.make(name, mss,
                                                                                            cfg.initial_window)
        if self.total_retrans:
            cc.cwnd = mss

    def _synchronized(self, seq: int, ack: int, flags: int, window: int, tsval, sack_blocks, data, now: int) -> None:
        """RFC 9293 §3.10.7.4 (SYN-RECEIVED and every synchronized state), on the header's
        fields as `_segment` has them."""
        seg_seq = seq  # (SEG.SEQ as it came: the simultaneous open and the trimming move `seq`)
        st = self.state
        stats = self.env.stats
        if not self.ts_ok:
            tsval = None  # (a timestamp option on a connection that did not agree to them is ignored)
        n = len(data)
        rcv_nxt = self.rcv_nxt
        # seq_sub(rcv_adv, rcv_nxt), at least 0: a distance past half the circle is negative.
        # (The difference is brought onto the circle by hand, here and below: on ints above
        # 2**30, as sequence numbers mostly are, every `& MASK` is one more allocation.)
        rcv_wnd = self.rcv_adv - rcv_nxt
        if rcv_wnd < 0:
            rcv_wnd += WRAP
        if rcv_wnd >= HALF:
            rcv_wnd = 0
        if st is SYN_RECEIVED and not self.passive and flags & (SYN | ACK) == SYN | ACK and not n \
                and seq_add(seq, 1) == rcv_nxt and ack == self.snd_max:
            # Simultaneous open (RFC 9293 Figure 8 line 5): the peer's SYN,ACK repeats its
            # SYN, already acknowledged; its ACK is what matters (as Linux's special case).
            flags &= ~SYN
            seq = rcv_nxt
        # The seq_lt/seq_le/seq_gt/seq_ge comparisons below are written out (as in
        # _new_ack), on the plain difference as seq_lt explains: this runs for every segment
        # outside header prediction, five times per connection, and each call saved is a
        # tenth of a microsecond.
        # RFC 7323 §5.3 PAWS (R1), before the sequence check.
        if tsval is not None and not flags & RST:
            ts_recent = self.ts_recent
            d = ts_recent - tsval
            if (0 < d < HALF or d <= MINUS_HALF) and now - self.ts_recent_age < PAWS_IDLE:  # seq_lt(tsval, ts_recent)
                self._drop("paws", tsval=tsval, ts_recent=ts_recent)
                self._send_ack(now)
                return
        # first: sequence number acceptability (the four cases of §3.10.7.4), on the signed
        # offset of SEG.SEQ from RCV.NXT.
        if seq == rcv_nxt and not n and rcv_wnd:
            # The usual control segment (an ACK, a FIN), in order and without data, into an
            # open window: acceptable in each of the four cases, and nothing to trim.
            trimmed = False
        else:
            seg_len = n + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
            off = ((seq - rcv_nxt + HALF) & MASK) - HALF  # seq_sub() inlined
            if seg_len == 0:
                ok = off == 0 if rcv_wnd == 0 else 0 <= off < rcv_wnd
            elif rcv_wnd == 0:
                ok = False
            else:
                end = off + seg_len - 1
                ok = 0 <= off < rcv_wnd or 0 <= end < rcv_wnd
            if not ok:
                if flags & RST:
                    self._drop("rst_out_of_window")
                    return
                # Zero-window probes and keepalives land here too and get the ACK they ask for.
                if n and off < 0:
                    stats["tcp.rx.duplicate_data"] += 1
                self._drop("out_of_window", seq=seq, rcv_nxt=rcv_nxt, rcv_wnd=rcv_wnd)
                self._send_ack(now)
                return
            # Trim to the window: the front (already received) and the tail (beyond it).
            if off < 0:
                skip = -off
                if flags & SYN:
                    flags &= ~SYN
                    skip -= 1
                    seq = seq_add(seq, 1)
                if skip:
                    data = data[skip:]
                    seq = seq_add(seq, skip)
                    stats["tcp.rx.partial_duplicate"] += 1
                n = len(data)
                off = 0
            room = rcv_wnd - off
            if n > room:
                data = data[:max(room, 0)]
                n = len(data)
                flags &= ~FIN
                stats["tcp.rx.trimmed"] += 1
                trimmed = True
            else:
                trimmed = False
        # RFC 7323 §4.3 (R3): remember the timestamp of the segment ACKed next.
        if tsval is not None:
            las = self.last_ack_sent
            d = las - seq
            if 0 <= d < HALF or d <= MINUS_HALF:  # seq_le(seq, last_ack_sent)
                d = tsval - self.ts_recent
                if 0 <= d < HALF or d <= MINUS_HALF:  # seq_ge(tsval, ts_recent)
                    self.ts_recent = tsval
                    self.ts_recent_age = now
        self.last_rcv = now
        self.probes = 0
        # second: RST (RFC 5961 §3.2: exact match resets, in-window gets a challenge ACK).
        if flags & RST:
            if seg_seq != rcv_nxt:
                stats["tcp.rx.rst_challenged"] += 1
                self._challenge_ack(now, "in-window RST")
                return
            stats["tcp.rx.rst"] += 1
            if st is SYN_RECEIVED:
                if self.passive:
                    self._set_state(LISTEN, "rcv RST (back to LISTEN)")
                    self.state = CLOSED
                    self._teardown(now)
                else:
                    self._fail(errno.ECONNREFUSED, "rcv RST in SYN-RECEIVED", now)
            elif st is CLOSING or st is LAST_ACK:
                self._fail(None, "rcv RST", now)
            else:
                self._fail(errno.EPIPE if st is CLOSE_WAIT and self.shut_wr else errno.ECONNRESET,
                           "rcv RST", now)
            return
        # third: security (RFC 9293 §3.10.7.4 keeps only a placeholder; nothing to check).
        # fourth: SYN in a synchronized state (RFC 5961 §4): challenge ACK.
        if flags & SYN:
            if st is SYN_RECEIVED and self.passive and seq == self.irs:
                self._send_syn(now)
                return
            stats["tcp.rx.syn_challenged"] += 1
            self._challenge_ack(now, "SYN in synchronized state")
            return
        # fifth: ACK.
        if not flags & ACK:
            self._drop("no_ack")
            return
        if st is SYN_RECEIVED:
            snd_max = self.snd_max
            una = self.snd_una
            d = ack - una
            e = 0 if ack == snd_max else snd_max - ack  # (the usual ACK of our SYN: no arithmetic)
            # seq_lt(snd_una, ack) and seq_le(ack, snd_max)
            if (0 < d < HALF or d <= MINUS_HALF) and (0 <= e < HALF or e <= MINUS_HALF):
                listener = self.listener
                if listener is not None and len(listener.accept_queue) > listener.backlog:  # accept_full()
                    # Linux (tcp_abort_on_overflow = 0): ignore the ACK, the SYN-ACK timer
                    # will retransmit and the client's ACK will come again.
                    stats["tcp.listen.overflow"] += 1
                    self.env.trace("tcp", "drop", reason="accept queue full", conn=self.label)
                    return
                self.snd_wnd = window << self.snd_wscale
                self.max_snd_wnd = self.snd_wnd
                self.snd_wl1 = seq
                self.snd_wl2 = ack
                self._ack_syn(ack, now)
                self._set_state(ESTABLISHED, "rcv ACK of SYN")
                if self.keepalive:
                    self.t_keep = now + self.keepidle
                if listener is not None:
                    listener._established(self)
                st = ESTABLISHED
            else:
                # §3.10.7.4: <SEQ=SEG.ACK><CTL=RST>
                self.layer._emit(self.local, self.remote, ack, 0, RST, 0, b"", b"")
                stats["tcp.tx.rst"] += 1
                self._drop("bad_ack_syn_received")
                return
        una = self.snd_una
        snd_max = self.snd_max
        # (An ACK of SND.UNA, the FIN's usual ACK field, is neither of unsent data, SND.UNA
        # being at or before SND.MAX, nor too old, MAX.SND.WND being under half the circle:
        # its sequence arithmetic is skipped here and below, as in _fast_path.)
        # Nor is an ACK of SND.MAX, the usual ACK of a SYN or a FIN, too old: SND.MAX is at
        # most MAX.SND.WND (under 2**30 with the largest window scale) past SND.UNA, plus a
        # SYN or FIN, so SND.UNA - MAX.SND.WND is less than half the circle behind it.
        if ack != una and ack != snd_max:
            d = (ack - snd_max) & MASK
            if 0 < d < HALF or (d == HALF and snd_max > ack):  # seq_gt(ack, snd_max)
                # RFC 5961 §5.2 / RFC 9293: ACK of data not yet sent: ACK and drop.
                self._drop("ack_unsent", ack=ack, snd_max=snd_max)
                self._challenge_ack(now, "ACK of unsent data")
                return
            low = (una - (self.max_snd_wnd or 1)) & MASK  # SND.UNA - max(MAX.SND.WND, 1)
            d = (low - ack) & MASK
            if 0 < d < HALF or (d == HALF and ack > low):  # seq_lt(ack, low)
                # RFC 5961 §5.2: too old to be a duplicate.
                self._drop("ack_too_old", ack=ack)
                self._challenge_ack(now, "ACK too old")
                return
        wnd = window << self.snd_wscale
        if self.sack_ok and sack_blocks and seq_lt(una, snd_max):
            sb = self.scoreboard
            if sb is NO_SCOREBOARD:
                sb = self.scoreboard = Scoreboard()
            newly = sb.update(sack_blocks, una, snd_max)
            if newly:
                stats["tcp.rx.sacked_bytes"] += newly
        if ack == una:
            if n == 0 and not flags & FIN and wnd == self.snd_wnd and snd_max != una:
                self._dupack(now)
        elif ack == snd_max:  # (the usual new ACK, of everything sent: no arithmetic)
            fin_seq = self.fin_seq
            if self.closed and fin_seq is not None and snd_max == (fin_seq + 1) & MASK \
                    and (st is LAST_ACK or (st is FIN_WAIT_1 and flags & FIN and not n and seq == rcv_nxt)) \
                    and not self.in_recovery and self.series is None and not self.watchers:
                # The ACK of our FIN, on a socket its user has closed, in a segment that
                # ends the connection: in LAST-ACK (below, the test of SND.UNA against our
                # FIN), or in FIN-WAIT-1 with the peer's FIN in order (the eighth step goes
                # to TIME-WAIT, whose entry takes SND.NXT).  Of what _new_ack updates (RTT,
                # cwnd, buffer, timers) only SND.UNA and SND.NXT are read again.  (Not in
                # recovery, whose end is traced; nothing recorded or waiting.)
                self.snd_una = self.snd_nxt = ack
            else:
                self._new_ack(ack, now)
        else:
            d = ack - una
            if 0 < d < HALF or d <= MINUS_HALF:  # seq_gt(ack, una)
                self._new_ack(ack, now)
        # Window update (SND.WL1/WL2 rule of §3.10.7.4).
        wl1 = self.snd_wl1
        if wl1 == seq:
            wl2 = self.snd_wl2
            if wl2 == ack:
                update = True
            else:
                d = ack - wl2
                update = 0 <= d < HALF or d <= MINUS_HALF  # seq_le(snd_wl2, ack)
        else:
            d = seq - wl1
            update = 0 < d < HALF or d <= MINUS_HALF  # seq_lt(snd_wl1, seq)
        if update:
            if wnd != self.snd_wnd:
                if wnd > self.snd_wnd and self.snd_wnd == 0:
                    stats["tcp.rx.window_opened"] += 1
                self.snd_wnd = wnd
                if wnd > self.max_snd_wnd:
                    self.max_snd_wnd = wnd
            self.snd_wl1 = seq
            self.snd_wl2 = ack
        st = self.state
        fin_seq = self.fin_seq
        # (Whether our FIN is acknowledged matters only in FIN-WAIT-1, CLOSING and LAST-ACK;
        # a FIN in order in this very segment takes FIN-WAIT-1 to step 8, which tests it.)
        if fin_seq is None or not (st is LAST_ACK or st is CLOSING
                                   or (st is FIN_WAIT_1 and not (flags & FIN and seq == self.rcv_nxt))):
            fin_acked = False
        else:
            d = self.snd_una - fin_seq
            fin_acked = 0 < d < HALF or d <= MINUS_HALF  # seq_gt(snd_una, fin_seq)
        if st is FIN_WAIT_1 and fin_acked:
            # (a FIN in this very segment takes Figure 5's direct arc to TIME-WAIT in step 8)
            self._set_state(FIN_WAIT_2, "rcv ACK of FIN")
            if self.closed:
                linger2 = self.opts.linger2
                if linger2 == -1:  # an orphan with TCP_LINGER2 < 0 ends here (Linux's tcp_done)
                    self.env.stats["tcp.fin_wait_2.linger2_done"] += 1
                    self._fail(None, "FIN-WAIT-2 with TCP_LINGER2 < 0", now)
                    return
                self.t_close = now + (linger2 or self.cfg.fin_timeout)
            st = FIN_WAIT_2
        elif st is CLOSING and fin_acked:
            self._enter_time_wait(now, "rcv ACK of FIN")
            return
        elif st is LAST_ACK and fin_acked:
            self._set_state(CLOSED, "rcv ACK of FIN")  # _fail(None, ...), without its call
            self._teardown(now)
            return
        # sixth: URG is not supported beyond treating urgent data as ordinary data (RFC 6093).
        # seventh: segment text.
        if n:
            if st in RECEIVING:
                if self.closed:
                    # Linux: data for a socket the user has closed gets a RST.
                    stats["tcp.rx.data_after_close"] += 1
                    self.layer._emit(self.local, self.remote, self.snd_max, 0, RST, 0, b"", b"")
                    self._fail(None, "data after close", now)
                    return
                self._synchronized_text(data, now, seq)
            else:
                stats["tcp.rx.data_after_fin"] += 1
        # eighth: FIN.
        if flags & FIN:
            fin_seq = (seq + n) & MASK if n else seq  # seq_add()
            if fin_seq == self.rcv_nxt:
                self._fin_arrives(now)
            elif st in RECEIVING:
                self.ooo_fin = seq_sub(fin_seq, self.rcv_nxt)
                if not n:
                    self._send_ack(now)  # (with data, step seven already sent the duplicate ACK)
            elif self.fin_rcvd and fin_seq == seq_add(self.rcv_nxt, -1):
                self._send_ack(now)  # retransmitted FIN in CLOSE_WAIT / CLOSING / LAST_ACK
        if trimmed and self.t_delack is not None:
            self._send_ack(now)  # data beyond our window: tell the sender at once
        # _output() returns at once when all that is queued has been sent and no FIN waits
        # (outside SACK recovery): that test is made here first, without its call
        # (as in _fast_path, an empty queue ends at snd_buf_seq: no arithmetic)
        if self.state in SENDING:
            qlen = len(self.sndq)
            if self.fin_queued or self.in_recovery \
                    or self.snd_nxt != ((self.snd_buf_seq + qlen) & MASK if qlen else self.snd_buf_seq):
                self._output(now)

    def _synchronized_text(self, data, now: int, seq: int) -> None:
        """§3.10.7.4 seventh step: in-order data to the user, the rest to reassembly."""
        n = len(data)
        stats = self.env.stats
        if seq == self.rcv_nxt:
            had_hole = bool(self.ooo) or self.ooo_fin is not None
            self.rcvq += data
            self.rcv_nxt = seq_add(self.rcv_nxt, n)
            self.bytes_received += n
            if n > self.rcv_mss:
                self.rcv_mss = n
            if had_hole:
                more = self.ooo.advance(n)
                while more:
                    self.rcvq += more
                    self.rcv_nxt = seq_add(self.rcv_nxt, len(more))
                    self.bytes_received += len(more)
                    more = self.ooo.advance(len(more))
                if self.ooo_fin is not None:
                    self.ooo_fin -= seq_sub(self.rcv_nxt, seq) 
                    if self.ooo_fin == 0:
                        self.ooo_fin = None
                        self._fin_arrives(now, at_once=True)
                        return
                stats["tcp.rx.hole_filled"] += 1
                self._send_segment(self.snd_max, ACK, b"", now)  # RFC 5681 §4.2: ACK at once
            else:
                self.unacked_bytes += n
                if self.unacked_bytes >= 2 * self.rcv_mss:
                    self._send_segment(self.snd_max, ACK, b"", now)
                elif self.t_delack is None:
                    self.t_delack = now + self.cfg.delayed_ack
            self.last_data_recv = now
            self._signal()
        else:
            off = seq_sub(seq, self.rcv_nxt)
            limit = self.rcvbuf - len(self.rcvq)
            ooo = self.ooo
            if ooo is NO_REASSEMBLY:
                ooo = self.ooo = Reassembly(self.cfg.ooo_limit_segments)
            if ooo.add(off, data, max(limit, seq_sub(self.rcv_adv, self.rcv_nxt))):
                stats["tcp.rx.out_of_order"] += 1
                self.env.trace("tcp", "out_of_order", conn=self.label, seq=seq,
                               len=n, rcv_nxt=self.rcv_nxt)
            else:
                self._drop("ooo_queue_full", seq=seq, len=n)
            self._send_segment(self.snd_max, ACK, b"", now)  # RFC 5681 §4.2: duplicate ACK at once

    def _fin_arrives(self, now: int, at_once: bool = False) -> None:
        """§3.10.7.4 eighth step.

        "Send an acknowledgment for the FIN": at once when our own FIN is out (FIN-WAIT
        states: the peer is waiting to finish) or when the FIN fills a hole (RFC 5681
        §4.2).  A FIN that moves ESTABLISHED to CLOSE-WAIT is acknowledged as data is,
        through the delayed-ACK timer (RFC 1122 §4.2.3.2), as Linux does (`tcp_fin`
        schedules the ACK and enters its ping-pong mode): an application that closes
        within that time sends one FIN+ACK segment instead of an ACK and then a FIN."""
        rcv_nxt = self.rcv_nxt
        self.rcv_nxt = rcv_nxt + 1 if rcv_nxt != MASK else 0  # seq_add(rcv_nxt, 1)
        self.fin_rcvd = True
        self.env.stats["tcp.rx.fin"] += 1
        st = self.state
        if (st is ESTABLISHED or st is SYN_RECEIVED) and not at_once:
            if self.t_delack is None:
                self.t_delack = now + self.cfg.delayed_ack  # (segment_arrives re-arms)
        else:
            self._send_segment(self.snd_max, ACK, b"", now)
        if st is ESTABLISHED or st is SYN_RECEIVED:
            self._set_state(CLOSE_WAIT, "rcv FIN")
        elif st is FIN_WAIT_1:
            fin_seq = self.fin_seq
            if fin_seq is not None:
                d = self.snd_una - fin_seq
                if 0 < d < HALF or d <= MINUS_HALF:  # seq_gt(snd_una, fin_seq), written out
                    self._enter_time_wait(now, "rcv FIN")
                    return
            self._set_state(CLOSING, "rcv FIN (simultaneous close)")
        elif st is FIN_WAIT_2:
            self._enter_time_wait(now, "rcv FIN")
            return
        watchers = self.watchers
        if watchers:
            if len(watchers) == 1:
                watchers[0]()  # _signal(), inlined for its common case: one blocked caller
            else:
                self._signal()

    def _enter_time_wait(self, now: int, cause: str) -> None:
        """TIME-WAIT: the 4-tuple passes to a lightweight TimeWait entry (stack/tcp/timewait.py),
        which takes over the port reservation and the layer's table entry for 2MSL; this
        connection keeps no timer (any heap entry left for it is now stale)."""
        self._set_state(TIME_WAIT, cause)
        self.t_rexmit = self.t_delack = self.t_persist = self.t_keep = self.t_close = None
        self._sched = None
        if self.listener is not None:
            self.listener._forget(self)
            self.listener = None
        layer = self.layer
        tw = TimeWait(layer, self, now)
        binding = self.binding
        if binding is not None:
            binding.owner = tw
            self.binding = None
        layer.conns[self.key] = tw
        self.env.stats["tcp.timewait.entered"] += 1
        layer._schedule(tw, tw.deadline, True)
        if self.watchers:  # (_signal() has nothing to do without one)
            self._signal()

    def _dupack(self, now: int) -> None:
        """RFC 5681 §3.2 / RFC 6582 / RFC 6675 §5: the third duplicate ACK (or SACKed
        data showing the first segment lost) starts fast retransmit and recovery."""
        self.dupacks += 1
        self.env.stats["tcp.rx.dupack"] += 1
        cc = self.cc
        mss = self.mss
        if self.in_recovery:
            if not self.sack_ok:
                cc.cwnd += mss  # RFC 6582 §3.2 step 4 (window inflation)
            return
        lost = self.dupacks >= self.cfg.dupthresh or (
            self.sack_ok and self.scoreboard.sacked >= self.cfg.dupthresh * mss)
        if not lost:
            return
        if seq_lt(self.snd_una, self.recover):
            return  # RFC 6582 §3.2 step 2: the dupacks are for data sent before the last RTO
        flight = seq_sub(self.snd_max, self.snd_una)
        ssthresh = cc.ssthresh_after_loss(flight, now)
        self.in_recovery = True
        self.recover = self.snd_max
        self.high_rxt = self.snd_una
        self.env.stats["tcp.fast_retransmit"] += 1
        self.env.trace("tcp", "fast_retransmit", conn=self.label, seq=self.snd_una,
                       ssthresh=ssthresh, sack=self.sack_ok)
        used = self._retransmit(self.snd_una, mss, now, "fast retransmit")
        if self.sack_ok:
            cc.cwnd = ssthresh  # RFC 6675 §5 step (4.2)
            self.high_rxt = seq_add(self.snd_una, used)
        else:
            cc.cwnd = ssthresh + self.cfg.dupthresh * mss  # RFC 6582 §3.2 step 3
        self._record(now)

    def _challenge_ack(self, now: int, why: str) -> None:
        if self.layer._challenge_ack_ok(now):
            self.env.stats["tcp.tx.challenge_ack"] += 1
            self.env.trace("tcp", "challenge_ack", conn=self.label, why=why)
            self._send_ack(now)

    # ------------------------------------------------------------------ ICMP, PMTU
    def icmp_error(self, kind: str, seq: int, info, now: int) -> None:
        """RFC 5927 §4.1: only errors quoting a sequence number we have outstanding count;
        RFC 1122 §4.2.3.9 / RFC 5461: soft errors, except in SYN-SENT as Linux does."""
        if not (seq_le(self.snd_una, seq) and seq_le(seq, self.snd_max)) and not (
                self.state is SYN_SENT and seq == self.iss):
            self.env.stats["tcp.icmp.bad_seq"] += 1
            return
        if kind == "frag_needed":
            self._pmtu_lowered(int(info or 0), now)
            return
        code = ICMP_ERRNO.get(kind)
        if code is None:
            return
        self.env.stats["tcp.icmp." + kind] += 1
        if self.state is SYN_SENT or (self.state is SYN_RECEIVED and not self.passive):
            self._fail(code, f"ICMP {kind} while connecting", now)
            return
        self.soft_error = code

    def _pmtu_lowered(self, mtu: int, now: int) -> None:
        """RFC 1191 §6.3: a smaller path MTU lowers the MSS; retransmit what no longer fits."""
        iphdr = 20 if len(self.remote[0]) == 4 else 40
        floor = 68 if iphdr == 20 else 1280
        if mtu < floor:
            mtu = floor
        new = mtu - iphdr - 20 - (12 if self.ts_ok else 0)
        if new >= self.mss:
            return
        self.pmtu = mtu
        self.env.stats["tcp.pmtu.lowered"] += 1
        self.env.trace("tcp", "pmtu", conn=self.label, mtu=mtu, mss=new)
        self.mss = new
        self.cc.set_mss(new)
        if self.state in SENDING and self.snd_una != self.snd_max:
            self.snd_nxt = self.snd_una  # resend everything in flight in smaller segments
            self.rtt_seq = None
            self._output(now)
        self._rearm()

    # ------------------------------------------------------------------ reporting
    def tcp_info(self, now: int | None = None) -> bytes:
        opts = (TCPI_OPT_TIMESTAMPS if self.ts_ok else 0) | (TCPI_OPT_SACK if self.sack_ok else 0) | \
            (TCPI_OPT_WSCALE if self.snd_wscale or self.rcv_wscale else 0)
        mss = self.mss
        cc = self.cc
        unacked = -(-seq_sub(self.snd_max, self.snd_una) // mss) if self.state in SYNCHRONIZED else 0
        ca_state = 3 if self.in_recovery else (4 if self.retries and self.state in SYNCHRONIZED else 0)
        return pack_info(
            state=int(self.state), ca_state=ca_state, retransmits=self.retries, probes=self.probes,
            backoff=self.rtt.backoff, options=opts, wscale=(self.snd_wscale & 15) | ((self.rcv_wscale & 15) << 4),
            rto=self.rtt.current(), ato=self.cfg.delayed_ack, snd_mss=mss, rcv_mss=self.rcv_mss,
            unacked=unacked, sacked=-(-self.scoreboard.sacked // mss), retrans=self.retrans_out,
            last_data_sent=(now - self.last_data_sent) // 1000 if now is not None else 0,
            last_data_recv=(now - self.last_data_recv) // 1000 if now is not None else 0,
            last_ack_recv=(now - self.last_ack_recv) // 1000 if now is not None else 0,
            pmtu=self.pmtu, rcv_ssthresh=self.rcvbuf, rtt=self.rtt.srtt, rttvar=self.rtt.rttvar,
            snd_ssthresh=cc.ssthresh // mss if cc.ssthresh < 0x7FFFFFFF else 0x7FFFFFFF,
            snd_cwnd=cc.cwnd // mss, advmss=self.advmss, reordering=self.cfg.dupthresh,
            rcv_space=self.rcvbuf, total_retrans=self.total_retrans, bytes_acked=self.bytes_acked,
            bytes_received=self.bytes_received, segs_out=self.segs_out, segs_in=self.segs_in)
