"""Test doubles for the TCP core: a fake TransportEnv, a single-connection harness that
builds any state with crafted segments, and a two-layer virtual-time wire with loss,
duplication, reordering, corruption and delay.  No real time, no real sockets."""

from __future__ import annotations

import heapq
import random
from collections import Counter

from stack.addr import ip
from stack.seq import MASK, seq_add
from stack.tcp import SocketOptions, State, TcpConfig, TcpLayer
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, FIN, PSH, SYN, TcpOptions

A = ip("192.0.2.1")
B = ip("192.0.2.2")
A6 = ip("2001:db8::1")
B6 = ip("2001:db8::2")


class FakeEnv:
    """Records every ip_send; answers routing questions from a fixed table."""

    def __init__(self, addrs=(A,), seed: int = 1, mtu: int = 1500) -> None:
        self.stats = Counter()
        self.rng = random.Random(seed)
        self.addrs = tuple(addrs)  # ordered: the first of a family is the route's source
        self.mtu = mtu
        self.sent: list[tuple[bytes, bytes, bytes]] = []
        self.traces: list[tuple] = []
        self.send_hook = None
        self.ip_errno = 0

    def ip_send(self, src, dst, proto, payload, *, ttl=None, tos=0, df=None) -> int:
        assert proto == 6
        payload = bytes(payload)
        if self.send_hook is not None:
            self.send_hook(src, dst, payload)
        else:
            self.sent.append((src, dst, payload))
        return self.ip_errno

    def source_for(self, dst):
        for a in self.addrs:
            if len(a) == len(dst):
                return a
        return None

    def path_mtu(self, dst) -> int:
        return self.mtu

    def is_local(self, addr) -> bool:
        return addr in self.addrs

    def trace(self, layer, event, **fields) -> None:
        self.traces.append((layer, event, fields))

    def events(self, event):
        return [f for (_l, e, f) in self.traces if e == event]


class Seg:
    """A segment our layer emitted, parsed (and checksum-verified) for assertions."""

    def __init__(self, src, dst, raw) -> None:
        self.src, self.dst, self.raw = src, dst, raw
        self.hdr, payload = tcp_wire.parse(memoryview(raw), src, dst)
        self.data = bytes(payload)

    def __getattr__(self, name):
        return getattr(self.hdr, name)

    @property
    def f(self) -> str:
        return tcp_wire.flags_str(self.hdr.flags)

    def __repr__(self) -> str:
        h = self.hdr
        return f"<Seg {self.f} seq={h.seq} ack={h.ack} win={h.window} len={len(self.data)} {h.options}>"


class Harness:
    """One TcpLayer at address A talking to a scripted peer at B:PEER_PORT."""

    PEER_PORT = 5555
    PEER_ISS = 0xFFFFFF00  # the peer's sequence numbers cross 2**32 within 256 bytes

    def __init__(self, config: TcpConfig | None = None, mtu: int = 1500, addrs=(A,), peer=B, **cfg) -> None:
        self.env = FakeEnv(addrs, mtu=mtu)
        self.config = config or TcpConfig(**cfg)
        self.layer = TcpLayer(self.env, self.config)
        self.now = 0
        self.peer = peer
        self.local_addr = next(a for a in addrs if len(a) == len(peer))
        self.conn = None
        self.listener = None
        self.peer_nxt = self.PEER_ISS  # next sequence number the peer will send
        self.peer_ts = None  # the peer's tsval when it uses timestamps

    # -- time
    def advance(self, us: int) -> None:
        self.run_to(self.now + us)

    def run_to(self, t: int) -> None:
        while True:
            at = self.layer.poll_at()
            if at is None or at > t:
                break
            self.now = max(self.now, at)
            self.layer.poll(self.now)
        self.now = t

    def fire(self) -> int:
        """Jump from deadline to deadline until a timer does something visible (a segment
        sent or a state change); returns the new time.  Early heap entries left by
        cancelled timers are skipped over, as a host would."""
        state = self.conn.state if self.conn else None
        while True:
            at = self.layer.poll_at()
            assert at is not None, "no timer armed"
            self.now = max(self.now, at)
            self.layer.poll(self.now)
            if self.env.sent or (self.conn is not None and self.conn.state is not state):
                return self.now

    # -- segments
    def sent(self) -> list[Seg]:
        out = [Seg(*s) for s in self.env.sent]
        self.env.sent.clear()
        return out

    def one(self) -> Seg:
        segs = self.sent()
        assert len(segs) == 1, segs
        return segs[0]

    def none(self) -> None:
        segs = self.sent()
        assert not segs, segs

    def push(self, flags: int, seq: int | None = None, ack: int = 0, data: bytes = b"", window: int = 65535,
             options: TcpOptions | bytes = b"", sport: int | None = None, dport: int | None = None,
             at: int | None = None) -> None:
        if at is not None:
            self.run_to(at)
        if seq is None:
            seq = self.peer_nxt
        if self.peer_ts is not None and options == b"":
            options = tcp_wire.encode_ts(self.peer_ts, self._ts_echo())
        lport = dport if dport is not None else (self.conn.local[1] if self.conn else self.listener.local[1])
        raw = tcp_wire.build(sport or self.PEER_PORT, lport, seq, ack, flags, window, data, self.peer,
                             self.local_addr, options=options)
        self.layer.input(self.peer, self.local_addr, memoryview(raw), self.now)

    def _ts_echo(self) -> int:
        return self.last_tsval

    last_tsval = 0

    def send_data(self, data: bytes, flags: int = ACK | PSH, **kw) -> None:
        """The peer sends in-order data acknowledging everything we sent."""
        kw.setdefault("ack", self.conn.snd_max)
        self.push(flags, self.peer_nxt, data=data, **kw)
        self.peer_nxt = seq_add(self.peer_nxt, len(data) + (1 if flags & FIN else 0))

    # -- states
    def syn_sent(self, opts: SocketOptions | None = None) -> Seg:
        self.conn = self.layer.connect(None, (self.peer, self.PEER_PORT), self.now, opts)
        syn = self.one()
        assert syn.flags == SYN
        return syn

    def established(self, peer_options: TcpOptions = TcpOptions(mss=1460), window: int = 65535,
                    opts: SocketOptions | None = None):
        syn = self.syn_sent(opts)
        if peer_options.timestamps is not None:
            self.peer_ts = peer_options.timestamps[0]
            peer_options = peer_options._replace(timestamps=(self.peer_ts, syn.options.tsval))
        self.push(SYN | ACK, self.PEER_ISS, ack=(syn.seq + 1) & MASK, window=window,
                  options=tcp_wire.encode_options(peer_options))
        self.peer_nxt = seq_add(self.PEER_ISS, 1)
        ack = self.one()
        assert ack.flags == ACK and ack.ack == self.peer_nxt
        if ack.options.timestamps:
            self.last_tsval = ack.options.tsval
        assert self.conn.state is State.ESTABLISHED
        return self.conn

    def listen(self, port: int = 80, backlog: int = 5, opts=None):
        b = self.layer.bind(self.local_addr, port, reuseaddr=False)
        self.listener = self.layer.listen(b, backlog, opts)
        return self.listener

    def syn_received(self, port: int = 80, options: TcpOptions = TcpOptions(mss=1460)) -> Seg:
        if self.listener is None:
            self.listen(port)
        self.push(SYN, self.PEER_ISS, options=tcp_wire.encode_options(options), dport=self.listener.local[1])
        self.peer_nxt = seq_add(self.PEER_ISS, 1)
        synack = self.one()
        assert synack.flags == SYN | ACK
        key = (self.local_addr, self.listener.local[1], self.peer, self.PEER_PORT)
        self.conn = self.layer.conns[key]
        assert self.conn.state is State.SYN_RECEIVED
        return synack

    def passive_established(self, port: int = 80):
        synack = self.syn_received(port)
        self.push(ACK, self.peer_nxt, ack=(synack.seq + 1) & MASK)
        self.none()
        conn = self.listener.accept()
        assert conn is self.conn and conn.state is State.ESTABLISHED
        return conn

    def fin_wait_1(self):
        self.established()
        self.conn.close(self.now)
        fin = self.one()
        assert fin.flags == FIN | ACK and self.conn.state is State.FIN_WAIT_1
        return fin

    def fin_wait_2(self):
        fin = self.fin_wait_1()
        self.push(ACK, ack=(fin.seq + 1) & MASK)
        self.none()
        assert self.conn.state is State.FIN_WAIT_2
        return fin

    def closing(self):
        fin = self.fin_wait_1()
        self.push(FIN | ACK, ack=fin.seq)  # the peer's FIN crosses ours
        self.peer_nxt = seq_add(self.peer_nxt, 1)
        ack = self.one()
        assert ack.flags == ACK and ack.ack == self.peer_nxt
        assert self.conn.state is State.CLOSING
        return fin

    def time_wait(self):
        fin = self.fin_wait_2()
        self.push(FIN | ACK, ack=(fin.seq + 1) & MASK)
        self.peer_nxt = seq_add(self.peer_nxt, 1)
        ack = self.one()
        assert ack.flags == ACK and ack.ack == self.peer_nxt
        assert self.conn.state is State.TIME_WAIT
        return fin

    def close_wait(self):
        self.established()
        self.push(FIN | ACK, ack=self.conn.snd_nxt)
        self.peer_nxt = seq_add(self.peer_nxt, 1)
        assert self.conn.state is State.CLOSE_WAIT
        self.none()  # the FIN's ACK waits for the delayed-ACK timer (Linux's tcp_fin)
        t = self.now
        assert self.fire() == t + self.layer.config.delayed_ack
        ack = self.one()
        assert ack.flags == ACK and ack.ack == self.peer_nxt
        assert self.conn.state is State.CLOSE_WAIT
        return ack

    def last_ack(self):
        self.close_wait()
        self.conn.close(self.now)
        fin = self.one()
        assert fin.flags == FIN | ACK and self.conn.state is State.LAST_ACK
        return fin


class Wire:
    """Two (or more) TcpLayers joined by an impaired, deterministic virtual-time wire."""

    def __init__(self, seed: int = 1, loss: float = 0.0, dup: float = 0.0, reorder: float = 0.0,
                 corrupt: float = 0.0, delay: int = 1000, jitter: int = 0, config: TcpConfig | None = None,
                 config_b: TcpConfig | None = None, mtu: int = 1500, rate: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.loss, self.dup, self.reorder, self.corrupt = loss, dup, reorder, corrupt
        self.delay, self.jitter = delay, jitter
        self.rate = rate  # bytes per second per direction, None: infinite
        self.busy_until: dict = {}
        self.now = 0
        self.q: list = []
        self.n = 0
        self.frames = 0
        self.dropped = 0
        self.envs = {}
        self.layers = {}
        for addr, seed_, cfg in ((A, seed * 2 + 1, config), (B, seed * 2 + 2, config_b or config)):
            env = FakeEnv((addr,), seed=seed_, mtu=mtu)
            env.send_hook = self._sender(addr)
            self.envs[addr] = env
            self.layers[addr] = TcpLayer(env, cfg or TcpConfig())
        self.a = self.layers[A]
        self.b = self.layers[B]
        self.blackhole = False

    def _sender(self, src_addr):
        def send(src, dst, payload):
            self.frames += 1
            if self.blackhole or (self.loss and self.rng.random() < self.loss):
                self.dropped += 1
                return
            t = self.now + self.delay
            if self.rate:
                start = max(self.now, self.busy_until.get(src_addr, 0))
                done = start + (len(payload) + 40) * 1_000_000 // self.rate
                self.busy_until[src_addr] = done
                t = done + self.delay
            if self.jitter:
                t += self.rng.randrange(self.jitter)
            if self.reorder and self.rng.random() < self.reorder:
                t += self.delay + self.rng.randrange(max(1, self.delay))
            if self.corrupt and self.rng.random() < self.corrupt:
                b = bytearray(payload)
                b[self.rng.randrange(len(b))] ^= 1 << self.rng.randrange(8)
                payload = bytes(b)
            copies = 2 if self.dup and self.rng.random() < self.dup else 1
            for _ in range(copies):
                self.n += 1
                heapq.heappush(self.q, (t, self.n, src, dst, payload))
        return send

    def step(self) -> bool:
        cands = []
        if self.q:
            cands.append(self.q[0][0])
        for layer in self.layers.values():
            at = layer.poll_at()
            if at is not None:
                cands.append(at)
        if not cands:
            return False
        t = min(cands)
        self.now = max(self.now, t)
        if self.q and self.q[0][0] <= self.now:
            _, _, src, dst, payload = heapq.heappop(self.q)
            self.layers[dst].input(src, dst, memoryview(payload), self.now)
        for layer in self.layers.values():
            at = layer.poll_at()
            if at is not None and at <= self.now:
                layer.poll(self.now)
        return True

    def run(self, until: int | None = None, stop=None, max_steps: int = 10_000_000) -> None:
        for _ in range(max_steps):
            if stop is not None and stop():
                return
            if until is not None:
                nxt = self._next()
                if nxt is None or nxt > until:
                    self.now = until
                    return
            if not self.step():
                return
        raise AssertionError("wire did not settle")

    def _next(self):
        cands = [self.q[0][0]] if self.q else []
        for layer in self.layers.values():
            at = layer.poll_at()
            if at is not None:
                cands.append(at)
        return min(cands) if cands else None

    def connect(self, port: int = 80, opts_a=None, opts_b=None, backlog: int = 5, reuseaddr: bool = False):
        lb = self.b.listen(self.b.bind(B, port, reuseaddr=reuseaddr), backlog, opts_b)
        ca = self.a.connect(None, (B, port), self.now, opts_a)
        self.run(stop=lambda: ca.state is State.ESTABLISHED and lb.accept_queue)
        cb = lb.accept()
        assert cb is not None, (ca.state, self.envs[A].stats, self.envs[B].stats)
        return ca, cb, lb


def transfer(wire: Wire, sender, receiver, data: bytes, chunk: int = 65536, limit_us: int | None = None,
             close: bool = True) -> bytes:
    """Push `data` through sender -> receiver with the virtual clock; returns what arrived."""
    got = bytearray()
    pos = 0
    done_sending = False

    def pump():
        nonlocal pos, done_sending
        while pos < len(data):
            n = sender.send(memoryview(data)[pos:pos + chunk], wire.now)
            if not n:
                break
            pos += n
        if pos >= len(data) and not done_sending and close:
            done_sending = True
            sender.shutdown(1, wire.now)
        while True:
            try:
                d = receiver.recv(1 << 20, wire.now)
            except BlockingIOError:
                break
            if not d:
                return True
            got.extend(d)
        return (not close) and len(got) >= len(data)

    sender.watch(lambda: None)
    deadline = None if limit_us is None else wire.now + limit_us
    while True:
        if pump():
            break
        if deadline is not None and wire.now > deadline:
            break
        if not wire.step():
            pump()
            break
    return bytes(got)
