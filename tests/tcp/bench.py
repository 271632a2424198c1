"""Micro-benchmarks of the TCP per-segment path (not a test: run by hand).

    python -m tests.tcp.bench
"""

from __future__ import annotations

import random
import time
import timeit

from stack.clock import MS, SECOND
from stack.tcp import State, TcpConfig
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, PSH, TcpOptions

from .harness import A, B, Harness, Wire, transfer


def per_call(stmt, number=200_000, **ns):
    t = min(timeit.repeat(stmt, number=number, repeat=3, globals=ns))
    return t / number * 1e6


def main() -> None:
    payload = random.Random(2).randbytes(1448)
    opts = tcp_wire.encode_ts(123456, 654321)
    seg = tcp_wire.build(80, 5555, 1000, 2000, ACK | PSH, 512, payload, A, B, options=opts)
    mv = memoryview(seg)
    print(f"parse data segment (NOP NOP TS, 1448 B, checksum): "
          f"{per_call('parse(mv, A, B)', parse=tcp_wire.parse, mv=mv, A=A, B=B):.2f} us")
    print(f"parse without checksum:                            "
          f"{per_call('parse(mv, A, B, False)', parse=tcp_wire.parse, mv=mv, A=A, B=B):.2f} us")
    syn = tcp_wire.build(80, 5555, 1000, 0, 2, 512, b"", A, B,
                         options=TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(1, 0)))
    print(f"parse SYN with 4 options:                          "
          f"{per_call('parse(mv, A, B)', parse=tcp_wire.parse, mv=memoryview(syn), A=A, B=B):.2f} us")
    buf = bytearray(random.Random(3).randbytes(1448 * 100))
    view = memoryview(buf)
    print(f"build data segment from a bytearray slice:         "
          f"{per_call('build(80, 5555, 1000, 2000, 24, 512, view[1448:2896], A, B, options=opts)', build=tcp_wire.build, view=view, A=A, B=B, opts=opts):.2f} us")

    # receiver fast path: in-order data segments into an established connection
    h = Harness()
    h.established(TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(1, 0)))
    c = h.conn
    c.rcvbuf = 1 << 40
    n = 50_000
    segs = []
    seq = h.peer_nxt
    for i in range(n):
        segs.append(memoryview(tcp_wire.build(5555, c.local[1], seq, c.snd_nxt, ACK | PSH, 65535, payload, B, A,
                                              options=tcp_wire.encode_ts(10 + i, 0))))
        seq = (seq + 1448) & 0xFFFFFFFF
    h.env.sent.clear()
    layer = h.layer
    t0 = time.perf_counter()
    for i, s in enumerate(segs):
        layer.input(B, A, s, i)
        if not i & 63:
            c.rcvq.clear()
    dt = time.perf_counter() - t0
    print(f"receive path, in-order data (parse+demux+deliver+ACK every 2nd): {dt / n * 1e6:.2f} us/segment "
          f"({len(h.env.sent)} ACKs)")

    # sender path: ACKs arriving for full segments, each releasing new data
    h = Harness()
    h.established(TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(1, 0)), window=65535)
    c = h.conn
    c.sndbuf = 1 << 30
    c.send(random.Random(4).randbytes(1448 * (n + 200)), 0)
    h.env.sent.clear()
    counted = []
    h.env.send_hook = lambda src, dst, seg: counted.append(len(seg))  # keep no copies
    acks = []
    una = c.snd_una
    for i in range(n):
        una = (una + 2 * 1448) & 0xFFFFFFFF
        acks.append(memoryview(tcp_wire.build(5555, c.local[1], h.peer_nxt, una, ACK, 65535, b"", B, A,
                                              options=tcp_wire.encode_ts(10 + i, 0))))
    t0 = time.perf_counter()
    done = 0
    for i, s in enumerate(acks):
        if c.snd_max == c.snd_una:
            break
        layer = h.layer
        layer.input(B, A, s, 1000 + i)
        done += 1
    dt = time.perf_counter() - t0
    nseg = len(counted)
    print(f"send path, ACK in -> new segments out: {dt / done * 1e6:.2f} us per ACK, "
          f"{dt / max(nseg, 1) * 1e6:.2f} us per data segment sent ({nseg} segments)")

    # end to end over the ideal test wire (includes the harness's wire and heap)
    w = Wire(delay=1 * MS)
    ca, cb, _ = w.connect()
    data = random.Random(1).randbytes(20 << 20)
    t0 = time.perf_counter()
    got = transfer(w, ca, cb, data, chunk=1 << 20)
    dt = time.perf_counter() - t0
    assert got == data
    print(f"two layers over the test wire, 20 MB: {len(data) / dt / 1e6:.1f} MB/s wall "
          f"({w.frames} frames, {dt / w.frames * 1e6:.2f} us per frame incl. wire)")

    # connection setup + teardown through both layers
    w = Wire(delay=100)
    lb = w.b.listen(w.b.bind(B, 80), 4096)
    n = 2000
    t0 = time.perf_counter()
    for i in range(n):
        ca = w.a.connect(None, (B, 80), w.now)
        w.run(stop=lambda: bool(lb.accept_queue))
        cb = lb.accept()
        ca.close(w.now)
        w.run(stop=lambda: cb.state is State.CLOSE_WAIT)
        cb.close(w.now)
        w.run(stop=lambda: cb.state is State.CLOSED)
    dt = time.perf_counter() - t0
    print(f"connect/accept/close cycles: {n / dt:.0f} per second ({len(w.a.conns)} TIME_WAIT entries)")

    # idle connections memory
    import tracemalloc
    w = Wire(config=TcpConfig(max_syn_backlog=20000, somaxconn=20000))
    lb = w.b.listen(w.b.bind(B, 80), 20000)
    tracemalloc.start()
    m0 = tracemalloc.get_traced_memory()[0]
    _held = [w.a.connect(None, (B, 80), 0) for _ in range(10_000)]  # kept alive while measuring
    w.run(until=SECOND)
    acc = []
    while (x := lb.accept()) is not None:
        acc.append(x)
    m1 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    t0 = time.perf_counter()
    for _ in range(100_000):
        w.a.poll_at()
    dt = time.perf_counter() - t0
    print(f"10,000 idle connections per side: {(m1 - m0) / 20_000:.0f} bytes per connection end; "
          f"poll_at {dt / 100_000 * 1e6:.2f} us")


if __name__ == "__main__":
    main()
