"""The TCP layer of one host: demultiplexing, port reservations, timers, RSTs for
closed ports, ISNs, the challenge-ACK budget and the `ss` view.

Demultiplexing is one dict lookup on the 4-tuple (connections and TIME_WAIT entries),
then the listener on (address, port) or (wildcard, port), else RFC 9293 §3.10.7.1.

Timers: each connection (or TIME_WAIT entry) exposes `next_deadline()`; the layer keeps
a heap of (deadline, n, owner) with lazy invalidation: an entry is live only while it
equals the owner's `_sched`; a deadline that moves later leaves the old entry to fire
early and harmlessly (the owner finds nothing due and re-arms), one that moves earlier
pushes a new entry.  `poll_at()` is the heap's top, O(1) amortised.

TIME_WAIT entries, 2MSL from when each is entered, come in deadline order: theirs go to
a FIFO beside the heap (`_late`), in (deadline, n) order like the heap, so a host with
thousands of them does not make every connection's timer climb a heap of their height.
The two together behave as the one heap would: the earliest entry of either is the top.
"""

from __future__ import annotations

from collections import deque
import errno
import hashlib
import heapq
import itertools
import os
import struct

from ..addr import ip_str
from ..clock import SECOND
from ..seq import MASK
from ..wire import tcp as tcp_wire
from ..wire.errors import WireError
from .config import SocketOptions, TcpConfig
from .connection import KEY4, Connection
from .listener import Listener
from .state import State
from .timewait import TimeWait

ACK, RST, SYN, FIN = tcp_wire.ACK, tcp_wire.RST, tcp_wire.SYN, tcp_wire.FIN
ESTABLISHED, SYN_SENT = State.ESTABLISHED, State.SYN_SENT
NOP_NOP_TS_WORD = tcp_wire.NOP_NOP_TS_WORD
_HDR_TS = tcp_wire.HDR_TS.unpack_from
_HDR_SYN = tcp_wire.HDR_SYN.unpack_from
SYN_MSS_HEAD, SYN_SACK_TS_WORD, SYN_NOP_WS = tcp_wire.SYN_MSS_HEAD, tcp_wire.SYN_SACK_TS_WORD, tcp_wire.SYN_NOP_WS
EPHEMERAL_LOW = 32768  # Linux net.ipv4.ip_local_port_range
EPHEMERAL_HIGH = 60999
SPAN_BITS = (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1).bit_length()  # (connect's draw of a port)
_KEY6 = struct.Struct("!16sH16sH").pack  # a 4-tuple as _key_hash hashes it (IPv4's: KEY4)
_heappush, _heappop = heapq.heappush, heapq.heappop
_ANY4, _ANY6 = bytes(4), bytes(16)  # the wildcard addresses, as listener keys
_from_bytes = int.from_bytes  # (a class method: `int.from_bytes(...)` looks it up the slow way each time)
TcpHeader, TcpOptions = tcp_wire.TcpHeader, tcp_wire.TcpOptions
_new_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__ (as tcp_wire's header builders)


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class Binding:
    """A reserved local (address, port); `owner` is the socket holding it (None while
    only bound, a Listener, a Connection or a TimeWait entry)."""

    __slots__ = ("layer", "addr", "port", "reuseaddr", "owner", "explicit", "released", "dual", "reuseport")

    def __init__(self, layer, addr: bytes, port: int, reuseaddr: bool, explicit: bool, dual: bool = False,
                 reuseport: bool = False) -> None:
        self.layer = layer
        self.addr = addr
        self.port = port
        self.reuseaddr = reuseaddr
        self.reuseport = reuseport  # SO_REUSEPORT when bound: such bindings may share a port
        self.dual = dual  # the IPv6 wildcard of a socket without IPV6_V6ONLY: it takes IPv4 too
        self.owner = None
        self.explicit = explicit
        self.released = False

    @property
    def local(self):
        return (self.addr, self.port)

    def kind(self) -> str:
        owner = self.owner
        if isinstance(owner, Listener):
            return "listen"
        if isinstance(owner, TimeWait):
            return "timewait"
        return "other"

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        lst = self.layer.ports.get(self.port)
        if lst is not None:
            try:
                lst.remove(self)
            except ValueError:
                pass
            if not lst:
                del self.layer.ports[self.port]

    def __repr__(self) -> str:
        return f"<Binding {self.layer._addr_str(self.addr, self.port)} {self.kind()}>"


class TcpLayer:
    def __init__(self, env, config: TcpConfig | None = None) -> None:
        self.env = env
        self.config = config if config is not None else TcpConfig()
        self.conns: dict = {}  # (laddr, lport, raddr, rport) -> Connection | TimeWait
        self.listeners: dict = {}  # (laddr, lport) -> Listener
        self.reuseport_groups: dict = {}  # (laddr, lport) -> [Listener, ...] sharing it (SO_REUSEPORT)
        self.ports: dict[int, list[Binding]] = {}
        self._heap: list = []
        self._late: deque = deque()  # TIME_WAIT deadlines in order (see the module's docstring)
        self._stale_top = None  # see _schedule
        self._tick = itertools.count()
        # RFC 6528 §3: a secret key per host, here drawn from the host's seeded RNG.
        self._secret = env.rng.getrandbits(256).to_bytes(32, "big")
        self._syn_templates: dict = {}  # see _syn_options
        self._keyed = hashlib.blake2s(key=self._secret, digest_size=8)  # see _key_hash
        self._ca_second = -1
        self._ca_count = 0
        self._texts: dict[bytes, str] = {}  # address -> its text in connection labels
        self._paths = getattr(env, "tcp_fast_path", None)
        self._fp = None  # the transmit path the last connection looked up (see Connection.__init__)
        # A Host's trace(layer, event, **fields) only stamps the event with its clock and
        # name for its tracer: connections' state changes (five per end) call the tracer
        # themselves.  Any other env (a test's) keeps its own trace().
        from ..host import Host

        self._host_trace = isinstance(env, Host) and type(env).trace is Host.trace and "trace" not in vars(env)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _addr_str(addr: bytes, port) -> str:
        if len(addr) == 16:
            return f"[{ip_str(addr)}]:{port}"
        return f"{ip_str(addr)}:{port}"

    def _name(self, local, remote) -> str:
        # (Connection.__init__ has it inlined for addresses named before: keep the two alike)
        texts = self._texts  # every connection's label names its addresses: format each once
        a = texts.get(local[0])
        if a is None:
            a = texts[local[0]] = self._addr_str(local[0], "")[:-1]
        b = texts.get(remote[0])
        if b is None:
            if len(texts) > 4096:
                texts.clear()
            b = texts[remote[0]] = self._addr_str(remote[0], "")[:-1]
        return f"{a}:{local[1]}>{b}:{remote[1]}"

    def _key_hash(self, key: tuple) -> int:
        """64 secret-keyed bits per 4-tuple: the high half is RFC 6528's F() for the ISN,
        the low half the connection's timestamp offset (RFC 7323 §7.1), from one hash.

        The hash is keyed BLAKE2s over laddr|lport|raddr|rport.  Keying absorbs a whole
        block of key first, so the layer keeps a keyed hasher that has absorbed only the
        key and copies it per 4-tuple: the same digest for about half the work.
        (Connection.__init__ has it inlined for IPv4: keep the two alike.)"""
        la, lp, ra, rp = key
        n = len(la)
        if n == len(ra) and (n == 4 or n == 16):
            data = (KEY4 if n == 4 else _KEY6)(la, lp, ra, rp)
        else:
            data = la + lp.to_bytes(2, "big") + ra + rp.to_bytes(2, "big")
        h = self._keyed.copy()
        h.update(data)
        return _from_bytes(h.digest(), "big")

    def _isn(self, key: tuple, now: int, f: int | None = None) -> int:
        """RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
        M a 4-microsecond timer (`f` is F when the caller already has it).  (Connection's
        open_active and open_passive have it inlined, with the F its __init__ took from
        `_key_hash`: keep the three alike.)"""
        if f is None:
            f = self._key_hash(key) >> 32
        return (now // 4 + f) & MASK

    def _syn_options(self, mss: int, wscale: int | None, sack, tsval: int | None, tsecr: int = 0) -> bytes:
        """The options of a SYN or SYN-ACK: `encode_options` of TcpOptions(mss, wscale,
        sack, timestamps=(tsval, tsecr) unless tsval is None) in the configured order,
        byte for byte.

        Only the timestamp values change from one SYN to the next, so the encoding is done
        once per (order, mss, wscale, sack, timestamps or not) and kept as the bytes before
        and after the eight TSval/TSecr bytes (found by encoding with all-zero and
        all-one values and comparing), with a struct that packs the three together.
        (Connection._send_syn has the use of a template inlined: keep the two alike.)"""
        order = self.config.option_order
        key = (order, mss, wscale, sack, tsval is not None)  # (a truthy sack equals True as a key)
        parts = self._syn_templates.get(key)
        if parts is None:
            opts = tcp_wire.TcpOptions(mss=mss, wscale=wscale, sack_permitted=bool(sack))
            if tsval is None:
                parts = (None, tcp_wire.encode_options(opts, order), None)
            else:
                lo = tcp_wire.encode_options(opts._replace(timestamps=(0, 0)), order)
                hi = tcp_wire.encode_options(opts._replace(timestamps=(MASK, MASK)), order)
                at = next((i for i in range(len(lo)) if lo[i] != hi[i]), 0)
                if lo[at:at + 8] == bytes(8) and hi[at:at + 8] == b"\xff" * 8 and lo[at + 8:] == hi[at + 8:]:
                    head, tail = lo[:at], lo[at + 8:]
                    parts = (struct.Struct(f"!{len(head)}sII{len(tail)}s").pack, head, tail)
                else:  # not laid out as one TSval/TSecr run: encode every time
                    parts = (None, None, opts)
            self._syn_templates[key] = parts
        pack, head, tail = parts
        if pack is not None:
            return pack(head, tsval, tsecr, tail)
        if head is not None:
            return head
        return tcp_wire.encode_options(tail._replace(timestamps=(tsval, tsecr)), order)

    def _challenge_ack_ok(self, now: int) -> bool:
        """RFC 5961 §7: at most `challenge_ack_limit` challenge ACKs per second per host."""
        sec = now // SECOND
        if sec != self._ca_second:
            self._ca_second = sec
            self._ca_count = 0
        self._ca_count += 1
        if self._ca_count > self.config.challenge_ack_limit:
            self.env.stats["tcp.challenge_ack.limited"] += 1
            return False
        return True

    def _emit(self, local, remote, seq: int, ack: int, flags: int, window: int, payload, opts: bytes,
              csum_base: int | None = None) -> int:
        """Send one segment outside a connection's data path (SYNs, RSTs, TIME_WAIT ACKs);
        `csum_base` is the 4-tuple's `checksum_base` when the caller has it already."""
        if flags & RST:
            self.env.trace("tcp", "rst", conn=self._name(local, remote), seq=seq, ack=ack)
        paths = self._paths
        if paths is not None:  # the host's cached transmit path (stack/fastpath.py) when one applies
            fp = paths(local[0], remote[0])
            if csum_base is None and fp is not None:
                csum_base = tcp_wire.checksum_base(local[1], remote[1], local[0], remote[0])
            if fp is not None and fp.send(csum_base, local[1], remote[1], seq, ack, flags, window, payload, opts):
                return 0
        seg = tcp_wire.build(local[1], remote[1], seq, ack, flags, window, payload, local[0], remote[0],
                             options=opts)
        return self.env.ip_send(local[0], remote[0], 6, seg, df=True)

    def _schedule(self, obj, when: int, late: bool = False) -> None:
        """Make sure `obj` is polled at `when`.  `late`: a TIME_WAIT deadline, which goes to
        the FIFO when no earlier than the last one there (else to the heap)."""
        sched = obj._sched
        if sched is None or when < sched:
            obj._sched = when
            heap = self._heap
            fifo = self._late
            # (see Node._timers_dirty) The host need not ask poll_at() again for a deadline
            # no earlier than one it already has a wakeup pending at or before: the top (it
            # was queued when poll_at() was last asked, which answered it or something
            # earlier, or it was queued since, no earlier than such a one, or the push that
            # made it the top set the flag), or a top dropped as stale since that question
            # (`_stale_top`, below).  That wakeup polls, and the runtime asks again.  A
            # connect/close loop queues a few deadlines per connection, nearly all later
            # than those; the host's poll_at() used to run after each.
            if heap and when >= heap[0][0]:
                # The usual case, no earlier than the heap's top, so no earlier than the top
                # of both or `_stale_top`: nothing to tell the host.  Stale entries on the
                # heap's top go, as below (the FIFO's wait for the next poll_at()).
                top_when, _, top_obj = heap[0]
                if top_obj._sched != top_when:
                    stale = self._stale_top
                    if stale is None or top_when < stale:
                        self._stale_top = top_when
                    _heappop(heap)
                    while heap and heap[0][2]._sched != heap[0][0]:
                        _heappop(heap)
            else:
                stale = self._stale_top
                top = heap[0] if heap else None
                if fifo and (top is None or fifo[0] < top):  # (the counter n decides a tie: owners never compare)
                    top = fifo[0]
                if top is not None:
                    top_when, _, top_obj = top
                    known = top_when if stale is None or top_when < stale else stale
                    if when < known:
                        self.env._timers_dirty = True
                    if top_obj._sched != top_when:
                        # Stale entries on top go now, as poll_at() drops them: each holds its
                        # owner, a whole closed connection, until popped, and poll_at() is
                        # seldom asked.
                        if stale is None or top_when < stale:
                            self._stale_top = top_when
                        while True:
                            if fifo and top is fifo[0]:
                                fifo.popleft()
                            else:
                                _heappop(heap)
                            top = heap[0] if heap else None
                            if fifo and (top is None or fifo[0] < top):
                                top = fifo[0]
                            if top is None or top[2]._sched == top[0]:
                                break
                elif stale is None or when < stale:
                    self.env._timers_dirty = True
            entry = (when, next(self._tick), obj)
            if late and (not fifo or when >= fifo[-1][0]):
                fifo.append(entry)
            else:
                _heappush(heap, entry)

    def _unhash(self, obj) -> None:
        if self.conns.get(obj.key) is obj:
            del self.conns[obj.key]

    def _pick_in_group(self, listener, src: bytes, sport: int, dst: bytes, dport: int):
        """SO_REUSEPORT: the listener of the group on listener's (address, port) that takes
        a new connection, chosen by a hash of its 4-tuple (Linux's reuseport_select_sock),
        so a flow always lands on the same one and flows spread over all of them."""
        group = self.reuseport_groups.get((listener.binding.addr, listener.binding.port))
        if group is None or len(group) < 2:
            return listener
        return group[self._key_hash((dst, dport, src, sport)) % len(group)]

    def _find_listener(self, addr: bytes, port: int):
        listeners = self.listeners
        lst = listeners.get((addr, port))
        if lst is None:
            n = len(addr)
            lst = listeners.get((_ANY4 if n == 4 else _ANY6 if n == 16 else bytes(n), port))
            if lst is None and n == 4:  # a dual-stack listener on [::] takes IPv4 too
                lst = listeners.get((_ANY6, port))
                if lst is not None and not lst.binding.dual:
                    lst = None
        return lst

    def _unlisten(self, listener: Listener) -> None:
        key = (listener.binding.addr, listener.binding.port)
        group = self.reuseport_groups.get(key)
        if group is not None and listener in group:
            group.remove(listener)
            if len(group) < 2:
                del self.reuseport_groups[key]
        if self.listeners.get(key) is listener:
            del self.listeners[key]
            if group:
                self.listeners[key] = group[0]  # the group's next listener answers for the port
        listener.binding.release()

    def _child_binding(self, parent: Binding, addr: bytes) -> Binding:
        b = Binding(self, addr, parent.port, parent.reuseaddr, False, False, parent.reuseport)
        self.ports.setdefault(parent.port, []).append(b)
        return b

    # ------------------------------------------------------------------ host entry points
    def input(self, src: bytes, dst: bytes, payload: memoryview, now: int, csum_ok: bool = False) -> None:
        """A TCP segment for one of our addresses.  Garbage is counted and traced.

        `csum_ok` says the frame's checksums are already known good (see VerifiedFrame).

        The usual segment of an established connection is unpacked in one go: one known
        good (or not to be verified), ACK without SYN, RST or URG, whose only option is a
        timestamp.  Header prediction takes it from the fields, without a TcpHeader, unless
        it carries a FIN; a FIN, or a segment prediction turns down, goes on from the fields
        too (`Connection._segment`), or to `segment_arrives` with the TcpHeader `parse` would
        have made where one is read (SYN-SENT, TIME-WAIT).  Any other segment is parsed in
        full, with every check."""
        # (the data offset and flags bytes are tested before the whole header is unpacked:
        # from input_frame, only SYNs and segments of no connection reach here, and SYNs
        # fail that test)
        if len(payload) >= 32 and payload[13] & 0x36 == ACK and payload[12] & 0xF0 == 0x80 \
                and (csum_ok or not self.config.verify_checksum):
            sport, dport, seq, ack, offflags, window, _, urgent, opt, tsval, tsecr = _HDR_TS(payload)
            # data offset 32, NOP NOP TS alone, ACK without SYN, RST or URG
            if opt == NOP_NOP_TS_WORD:
                if type(src) is not bytes:
                    src = bytes(src)
                if type(dst) is not bytes:
                    dst = bytes(dst)
                conn = self.conns.get((dst, dport, src, sport))
                if conn is not None:
                    data = payload[32:]
                    if not offflags & FIN and conn.state is ESTABLISHED and conn.ts_ok \
                            and conn._fast_path(seq, ack, offflags & 0xFF, window, tsval, data, now):
                        return
                    if type(conn) is Connection and conn.state is not SYN_SENT:
                        conn._segment(seq, ack, offflags & 0xFF, window, tsval, (), data, now)  # (no TcpHeader)
                    else:  # (SYN-SENT's and TIME-WAIT's handlers read a TcpHeader)
                        conn.segment_arrives(tcp_wire.ts_header(sport, dport, seq, ack, offflags, window, urgent,
                                                                tsval, tsecr), data, now)
                    return
        try:
            hdr, data = tcp_wire.parse(payload, src, dst, self.config.verify_checksum and not csum_ok)
        except WireError as e:
            self.env.stats["tcp.rx." + e.reason] += 1
            self.env.trace("tcp", "drop", reason=e.reason, detail=str(e))
            return
        if type(src) is not bytes:
            src = bytes(src)
        if type(dst) is not bytes:
            dst = bytes(dst)
        self._demultiplex(src, dst, hdr, data, now)

    def _demultiplex(self, src: bytes, dst: bytes, hdr, data, now: int) -> None:
        """A parsed segment to its connection (or TIME_WAIT entry), else to the listener
        of its port, else to `_closed` (RFC 9293 §3.10.7: the TCB it belongs to, or none)."""
        dport = hdr.dport
        conn = self.conns.get((dst, dport, src, hdr.sport))
        if conn is not None:
            conn.segment_arrives(hdr, data, now)
            return
        listener = self._find_listener(dst, dport)
        if listener is not None:
            if self.reuseport_groups:
                listener = self._pick_in_group(listener, src, hdr.sport, dst, dport)
            listener.segment_arrives(src, dst, hdr, data, now)
            return
        self._closed(src, dst, hdr, data)

    def input_frame(self, src: bytes, dst: bytes, frame, start: int, end: int, now: int) -> None:
        """`input(src, dst, memoryview(frame)[start:end], now, True)` for a segment in a
        frame this stack built (checksums known good), from `Host.receive`: the usual
        established segment, with or without FIN (as `input` picks it out), is unpacked
        from the frame itself, without the two views `input` would be given and make;
        anything else goes to `input`, which makes the same checks again and the rest."""
        if end - start >= 32:
            sport, dport, seq, ack, offflags, window, _, urgent, opt, tsval, tsecr = _HDR_TS(frame, start)
            # data offset 32, NOP NOP TS alone, ACK without SYN, RST or URG (FIN or not)
            if offflags & 0xF036 == 0x8000 | ACK and opt == NOP_NOP_TS_WORD:
                conn = self.conns.get((dst, dport, src, sport))  # (src and dst are slices: bytes)
                if conn is not None:
                    # (header prediction only measures the data and appends it to the receive
                    # queue: a slice of the frame serves, one object where a view is two)
                    if not offflags & FIN and conn.state is ESTABLISHED and conn.ts_ok \
                            and conn._fast_path(seq, ack, offflags & 0xFF, window, tsval, frame[start + 32:end], now):
                        return
                    # The rest of segment_arrives, from the fields: no TcpHeader is made (a
                    # NamedTuple costs a few thousand instructions to build and read), except
                    # for the two handlers that read one
                    data = memoryview(frame)[start + 32:end]
                    if type(conn) is Connection and conn.state is not SYN_SENT:
                        conn._segment(seq, ack, offflags & 0xFF, window, tsval, (), data, now)
                    else:
                        conn.segment_arrives(tcp_wire.ts_header(sport, dport, seq, ack, offflags, window, urgent,
                                                                tsval, tsecr), data, now)
                    return
            elif offflags & 0xF000 == 0xA000 and offflags & SYN and end - start >= 40:
                # A SYN or SYN-ACK (data offset 40) with the options this stack and Linux
                # send: its TcpHeader from one unpack, as `parse` would make it (without
                # the parse of its options), then the same demultiplexing as `input`'s
                sport, dport, seq, ack, offflags, window, _, urgent, mss_head, mss, sack_ts, tsval, tsecr, nop_ws \
                    = _HDR_SYN(frame, start)
                if mss_head == SYN_MSS_HEAD and sack_ts == SYN_SACK_TS_WORD and nop_ws >> 8 == SYN_NOP_WS:
                    # tcp_wire.syn_header(), inlined (a call less per SYN): keep the two alike
                    hdr = _new_tuple(TcpHeader, (sport, dport, seq, ack, offflags & 0xFF, window, urgent,
                                                 _new_tuple(TcpOptions, (mss, nop_ws & 0xFF, True, (tsval, tsecr), (),
                                                                         ()))))
                    data = memoryview(frame)[start + 40:end] if end - start > 40 else tcp_wire.EMPTY
                    self._demultiplex(src, dst, hdr, data, now)
                    return
        self.input(src, dst, memoryview(frame)[start:end], now, True)

    def _closed(self, src: bytes, dst: bytes, hdr, data) -> None:
        """RFC 9293 §3.10.7.1 CLOSED: a RST for anything but a RST."""
        stats = self.env.stats
        flags = hdr.flags
        if flags & RST:
            stats["tcp.rx.rst_no_socket"] += 1
            return
        stats["tcp.rx.no_socket"] += 1
        self.env.trace("tcp", "drop", reason="no socket", conn=self._name((dst, hdr.dport), (src, hdr.sport)))
        if flags & ACK:
            self._emit((dst, hdr.dport), (src, hdr.sport), hdr.ack, 0, RST, 0, b"", b"")
        else:
            seg_len = len(data) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
            self._emit((dst, hdr.dport), (src, hdr.sport), 0, (hdr.seq + seg_len) & MASK, RST | ACK, 0, b"", b"")
        stats["tcp.tx.rst"] += 1

    def icmp_error(self, kind: str, src: bytes, dst: bytes, quoted: memoryview, info, now: int) -> None:
        """An ICMP error about a segment we sent (`src` is ours).  RFC 5927 checks inside."""
        stats = self.env.stats
        if len(quoted) < 8:
            stats["tcp.icmp.short"] += 1
            return
        sport = (quoted[0] << 8) | quoted[1]
        dport = (quoted[2] << 8) | quoted[3]
        seq = int.from_bytes(quoted[4:8], "big")
        conn = self.conns.get((bytes(src), sport, bytes(dst), dport))
        if conn is None or not isinstance(conn, Connection):
            stats["tcp.icmp.no_socket"] += 1
            return
        self.env.trace("tcp", "icmp", conn=self._name(conn.local, conn.remote), kind=kind, info=info)
        conn.icmp_error(kind, seq, info, now)

    def poll_at(self) -> int | None:
        self._stale_top = None  # (see _schedule) the answer covers everything queued
        heap = self._heap
        while heap and heap[0][2]._sched != heap[0][0]:
            heapq.heappop(heap)  # stale
        fifo = self._late
        while fifo and fifo[0][2]._sched != fifo[0][0]:
            fifo.popleft()  # stale
        if fifo and (not heap or fifo[0] < heap[0]):
            return fifo[0][0]
        return heap[0][0] if heap else None

    def poll(self, now: int) -> None:
        heap = self._heap
        fifo = self._late
        while True:
            # the earlier of the two tops, as one heap would give it
            if fifo and (not heap or fifo[0] < heap[0]):
                if fifo[0][0] > now:
                    return
                when, _, obj = fifo.popleft()
            elif heap and heap[0][0] <= now:
                when, _, obj = heapq.heappop(heap)
            else:
                return
            if obj._sched != when:
                continue
            obj._sched = None
            obj.on_timer(now)

    # ------------------------------------------------------------------ socket-facing API
    def _overlaps(self, a: bytes, b: bytes, a_dual: bool = False, b_dual: bool = False) -> bool:
        if len(a) != len(b):  # only a dual-stack wildcard spans both families
            return (a_dual and len(b) == 4) or (b_dual and len(a) == 4)
        return a == b or not any(a) or not any(b)

    def _conflict(self, addr: bytes, port: int, reuseaddr: bool, exclude=None, dual: bool = False,
                  reuseport: bool = False) -> bool:
        """Linux's bind conflict rules (inet_csk_bind_conflict): two bindings with
        SO_REUSEPORT never conflict (one user owns every socket here); otherwise a listener
        always does, and anything else unless both set SO_REUSEADDR."""
        for b in self.ports.get(port, ()):
            if b is exclude or not self._overlaps(b.addr, addr, b.dual, dual):
                continue
            if reuseport and b.reuseport:
                continue
            if b.kind() == "listen":
                return True
            # A TIME_WAIT entry keeps the SO_REUSEADDR of the socket it came from: as on Linux,
            # a new socket may bind over it only when both set SO_REUSEADDR (which is why the
            # CPython documentation's example server sets it before every bind).
            if not (reuseaddr and b.reuseaddr):
                return True
        return False

    def _pick_port(self, ok) -> int:
        span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
        start = self.env.rng.randrange(span)
        for i in range(span):
            port = EPHEMERAL_LOW + (start + i) % span
            if ok(port):
                return port
        raise oserror(errno.EADDRNOTAVAIL)

    def bind(self, addr: bytes, port: int, *, reuseaddr: bool = False, family_len: int | None = None,
             dual: bool = False, reuseport: bool = False) -> Binding:
        addr = bytes(addr)
        if family_len is not None and len(addr) != family_len:
            raise oserror(errno.EINVAL)
        if any(addr) and not self.env.is_local(addr):
            raise oserror(errno.EADDRNOTAVAIL)
        if not 0 <= port <= 0xFFFF:
            raise OverflowError("bind(): port must be 0-65535.")
        dual = dual and len(addr) == 16 and not any(addr)
        if port == 0:
            port = self._pick_port(lambda p: p not in self.ports)
        elif self._conflict(addr, port, reuseaddr, dual=dual, reuseport=reuseport):
            self.env.stats["tcp.bind.eaddrinuse"] += 1
            raise oserror(errno.EADDRINUSE)
        b = Binding(self, addr, port, reuseaddr, True, dual, reuseport)
        self.ports.setdefault(port, []).append(b)
        return b

    def connect(self, binding: Binding | None, remote, now: int, opts: SocketOptions | None = None) -> Connection:
        raddr, rport = bytes(remote[0]), remote[1]
        if binding is None or not any(binding.addr):
            src = self.env.source_for(raddr)
            if src is None:
                raise oserror(errno.ENETUNREACH)
        else:
            src = binding.addr
        if binding is None or binding.port == 0:
            # _pick_port() with its test written in (no closure made and called per connect):
            # the first port from a random start that no explicit bind or listener holds and
            # that makes a 4-tuple not in use.
            ports = self.ports
            conns = self.conns
            span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
            # rng.randrange(span), inlined as random.Random draws it (_randbelow_with_getrandbits:
            # span's bit length of random bits until below span): the same numbers from the
            # same generator, without two Python calls
            getrandbits = self.env.rng.getrandbits
            start = getrandbits(SPAN_BITS)
            while start >= span:
                start = getrandbits(SPAN_BITS)
            for i in range(span):
                port = EPHEMERAL_LOW + (start + i) % span
                for b in ports.get(port, ()):
                    if b.explicit or b.kind() == "listen":
                        break
                else:
                    if (src, port, raddr, rport) not in conns:
                        break
            else:
                raise oserror(errno.EADDRNOTAVAIL)
            if binding is None:
                binding = Binding(self, src, port, False, False)
            binding.port = port
            self.ports.setdefault(port, []).append(binding)
        elif (src, binding.port, raddr, rport) in self.conns:  # (a port just picked is free of that)
            raise oserror(errno.EADDRNOTAVAIL)
        binding.addr = src
        conn = Connection(self, (src, binding.port), (raddr, rport), opts, binding, now)
        binding.owner = conn
        self.conns[conn.key] = conn
        self.env.stats["tcp.active_opens"] += 1
        conn.open_active(now)
        return conn

    def listen(self, binding: Binding, backlog: int, opts: SocketOptions | None = None) -> Listener:
        if binding.port == 0:
            binding.port = self._pick_port(lambda p: p not in self.ports)
            self.ports.setdefault(binding.port, []).append(binding)
        owner = binding.owner
        if isinstance(owner, Listener):
            owner.set_backlog(backlog)  # listen() again only changes the backlog
            return owner
        for b in self.ports.get(binding.port, ()):
            if b is not binding and self._overlaps(b.addr, binding.addr) and not (b.reuseport and binding.reuseport) \
                    and (b.kind() == "listen" or (b.kind() == "other" and not (b.reuseaddr and binding.reuseaddr))):
                raise oserror(errno.EADDRINUSE)
        listener = Listener(self, binding, backlog, opts if opts is not None else SocketOptions())
        binding.owner = listener
        key = (binding.addr, binding.port)
        first = self.listeners.get(key)
        if first is None:
            self.listeners[key] = listener
        else:  # SO_REUSEPORT: a group of listeners shares the port (bind allowed it)
            group = self.reuseport_groups.get(key)
            if group is None:
                group = self.reuseport_groups[key] = [first]
            group.append(listener)
        return listener

    # ------------------------------------------------------------------ reporting
    def table(self) -> list[tuple]:
        """(State, Recv-Q, Send-Q, Local, Peer) rows like `ss -tan`."""
        rows = []
        for lst in [x for key, first in self.listeners.items() for x in self.reuseport_groups.get(key, [first])]:
            addr, port = lst.local
            wild = "[::]:*" if len(addr) == 16 else "0.0.0.0:*"
            rows.append(("LISTEN", len(lst.accept_queue), lst.backlog, self._addr_str(addr, port), wild))
        for c in self.conns.values():
            rows.append((c.state.ss_name, c.recv_q, c.send_q, self._addr_str(*c.local), self._addr_str(*c.remote)))
        return rows

    def ss(self) -> str:
        lines = ["%-11s %-6s %-6s %-25s %s" % ("State", "Recv-Q", "Send-Q", "Local Address:Port",
                                               "Peer Address:Port")]
        for r in self.table():
            lines.append("%-11s %-6d %-6d %-25s %s" % r)
        return "\n".join(lines)
