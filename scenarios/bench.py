"""Benchmarks: `python -m scenarios bench` prints a table and writes JSON.

Each benchmark returns (figure, unit, goal, details).  Wall-clock time is measured here
and only here; tests never time anything.
"""

from __future__ import annotations

import gc
import json
import platform
import sys
import time

from stack import Network


def bench_udp_datagrams(repeat: int = 3, **kw) -> dict:
    """Datagrams of 100 bytes per wall-clock second, h1 -> h2 across a switch (best of `repeat`
    runs: a shared machine's noise only ever slows a run down)."""
    runs = [_udp_run(**kw) for _ in _runs(repeat)]
    best = max(runs, key=lambda r: r["figure"])
    best["details"]["runs"] = [round(r["figure"]) for r in runs]
    return best


def _udp_run(n: int = 200_000, size: int = 100, burst: int = 64) -> dict:
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.0001)
    net.add_link(h2, s1, delay=0.0001)
    got = [0]

    def receiver(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", 9000))
        s.settimeout(1.0)
        while True:
            try:
                s.recv(2048)
            except TimeoutError:
                return
            got[0] += 1

    def sender(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("192.0.2.2", 9000))
        payload = b"x" * size
        h1.sleep(0.01)
        for i in range(n // burst):
            for _ in range(burst):
                s.send(payload)
            h1.sleep(0.0005)

    h2.spawn(receiver)
    h1.spawn(sender)
    t0 = time.perf_counter()
    net.run()
    wall = time.perf_counter() - t0
    return dict(figure=got[0] / wall, unit="datagrams/s", goal=50_000,
                details=dict(sent=n, received=got[0], wall_s=round(wall, 3), virtual_s=net.now))


def bench_scale_1000_hosts(n: int = 1000) -> dict:
    """1,000 hosts on one switch each resolve and ping one server (wall time)."""
    from scenarios.tools import echo_request

    t0 = time.perf_counter()
    net = Network(seed=1)
    sw = net.add_switch("s1")
    server = net.add_host("server", ip="198.51.100.1/16")
    net.add_link(server, sw, delay=0.0001)
    hosts = []
    for i in range(n):
        h = net.add_host(f"h{i}", ip=f"198.51.{101 + i // 250}.{1 + i % 250}/16")
        net.add_link(h, sw, delay=0.0001)
        hosts.append(h)
    answered = [0]

    def pinger(socket):
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
            s.settimeout(5)
            s.sendto(echo_request(7, 1, b"scale"), ("198.51.100.1", 0))
            while True:
                packet, _ = s.recvfrom(2048)
                if packet[20] == 0:
                    answered[0] += 1
                    return

    for h in hosts:
        h.spawn(pinger)
    built = time.perf_counter() - t0
    net.run()
    wall = time.perf_counter() - t0
    return dict(figure=wall, unit="s wall", goal=10.0, lower_is_better=True,
                details=dict(hosts=n, answered=answered[0], build_s=round(built, 3), virtual_s=net.now,
                             frames=sum(l.stats["frames"] for l in net.links)))


BENCHMARKS = {
    "udp-datagrams": bench_udp_datagrams,
    "scale-1000-hosts": bench_scale_1000_hosts,
}


def main(path: str = "bench-results.json", only=None) -> int:
    results = {}
    print(f"{'benchmark':28s} {'figure':>14s}  {'unit':14s} {'goal':>10s}  ok")
    for name, fn in BENCHMARKS.items():
        if only and name not in only:
            continue
        r = fn()
        ok = r["figure"] <= r["goal"] if r.get("lower_is_better") else r["figure"] >= r["goal"]
        r["met"] = ok
        results[name] = r
        fig = f"{r['figure']:,.1f}" if r["figure"] >= 100 else f"{r['figure']:.3f}"
        print(f"{name:28s} {fig:>14s}  {r['unit']:14s} {r['goal']:>10,}  {'yes' if ok else 'NO'}")
        for k, v in r.get("details", {}).items():
            print(f"{'':30s}{k}: {v}")
        sys.stdout.flush()
    with open(path, "w") as f:
        json.dump(dict(python=platform.python_version(), machine=platform.machine(), results=results), f, indent=2)
    print(f"wrote {path}")
    return 0


def _pair(seed=1, **link):
    net = Network(seed=seed)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.0001, **link)
    net.add_link(h2, s1, delay=0.0001, **link)
    return net, h1, h2


def _best_of(repeat: int, run, *args) -> dict:
    """The best of `repeat` runs, as the UDP benchmark takes it: on a shared machine other
    work only ever slows a run down, so the fastest run is the closest to the stack's own
    speed.  Every run's figure is kept in the details."""
    runs = [run(*args) for _ in _runs(repeat)]
    best = max(runs, key=lambda r: r["figure"])
    best["details"]["runs"] = [round(r["figure"], 1) for r in runs]
    return best


def _runs(repeat: int):
    """Count `repeat` runs, collecting garbage before each: a finished run's network is
    garbage the reference counts cannot free (hosts and their layers refer to each other),
    and without this the next run's timing would pay for the garbage collector freeing it."""
    for i in range(repeat):
        gc.collect()
        yield i


def bench_tcp_bulk(size: int = 50_000_000, repeat: int = 3) -> dict:
    """Bulk TCP goodput between two hosts across a switch, MTU 1500, no loss (best of `repeat`)."""
    return _best_of(repeat, _tcp_bulk_run, size)


def _tcp_bulk_run(size: int) -> dict:
    net, h1, h2 = _pair()
    chunk = b"\xa5" * 65536
    got = [0]

    def sink(socket):
        with socket.socket() as s:
            s.bind(("", 5001))
            s.listen()
            c, _ = s.accept()
            buf = bytearray(262144)
            while True:
                n = c.recv_into(buf)
                if not n:
                    break
                got[0] += n
            c.close()

    def source(socket):
        with socket.socket() as s:
            s.connect(("192.0.2.2", 5001))
            left = size
            while left > 0:
                n = s.send(chunk[:min(left, len(chunk))])
                left -= n

    h2.spawn(sink)
    h1.spawn(source)
    t0 = time.perf_counter()
    net.run()
    wall = time.perf_counter() - t0
    return dict(figure=got[0] / wall / 1e6, unit="MB/s", goal=50,
                details=dict(bytes=got[0], wall_s=round(wall, 3), virtual_s=round(net.now, 4),
                             virtual_goodput_MBps=round(got[0] / net.now / 1e6, 1)))


def bench_tcp_connections(n: int = 5000, repeat: int = 3) -> dict:
    """Full connect / accept / close cycles per wall-clock second (best of `repeat`)."""
    return _best_of(repeat, _tcp_connections_run, n)


def _tcp_connections_run(n: int) -> dict:
    net, h1, h2 = _pair()
    done = [0]

    def server(socket):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", 80))
            s.listen(128)
            for _ in range(n):
                c, _ = s.accept()
                c.close()

    def client(socket):
        for _ in range(n):
            s = socket.socket()
            s.connect(("192.0.2.2", 80))
            s.close()
            done[0] += 1

    h2.spawn(server)
    h1.spawn(client)
    t0 = time.perf_counter()
    net.run()
    wall = time.perf_counter() - t0
    return dict(figure=done[0] / wall, unit="cycles/s", goal=5000,
                details=dict(cycles=done[0], wall_s=round(wall, 3), virtual_s=round(net.now, 4)))


BENCHMARKS.update({
    "tcp-bulk": bench_tcp_bulk,
    "tcp-connections": bench_tcp_connections,
})


def bench_idle_connections(n: int = 10_000) -> dict:
    """Memory per idle established connection (tracemalloc, both ends counted, buffers empty)."""
    import tracemalloc

    net, h1, h2 = _pair()
    socks = []

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 80))
        ls.listen(4096)
        for _ in range(n):
            c, _ = ls.accept()
            socks.append(c)

    def client(socket):
        for _ in range(n):
            s = socket.socket()
            s.connect(("192.0.2.2", 80))
            socks.append(s)

    h2.spawn(server)
    net.run(until=0.001)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    h1.spawn(client)
    net.run()
    net.run(until=net.now + 1.0)  # let the last ACKs and delayed ACKs settle
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_end = (after - before) / (2 * n)
    established = sum(1 for k, c in h2.tcp.conns.items() if getattr(c, "state", None) is not None
                      and c.state.name == "ESTABLISHED")
    return dict(figure=per_end / 1024, unit="KiB/conn end", goal=10.0, lower_is_better=True,
                details=dict(connections=n, established_on_server=established, wall_s=round(time.perf_counter() - t0, 2),
                             note="socket objects and stack state of both ends, divided by 2n"))


def bench_long_virtual_time() -> dict:
    """Wall time of a run spending 60 s in TIME_WAIT and two hours of keepalive idle."""
    net, h1, h2 = _pair()
    out = {}

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 80))
        ls.listen()
        c, _ = ls.accept()
        c.recv(10)
        c.close()  # the server closes first: TIME_WAIT on h2 for 60 s
        k, _ = ls.accept()
        out["keepalive_peer"] = k

    def client(socket):
        s = socket.socket()
        s.connect(("192.0.2.2", 80))
        s.send(b"bye")
        s.recv(10)
        s.close()
        h1.sleep(61.0)
        out["timewait_after_61s"] = len([1 for c in h2.tcp.conns.values() if type(c).__name__ == "TimeWait"])
        k = socket.socket()
        k.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)  # default: idle 7200 s, 75 s x 9 probes
        k.connect(("192.0.2.2", 80))
        h1.sleep(7200 + 10 * 75)
        out["keepalive_alive"] = k.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0

    h2.spawn(server)
    h1.spawn(client)
    t0 = time.perf_counter()
    net.run()
    wall = time.perf_counter() - t0
    return dict(figure=wall, unit="s wall", goal=1.0, lower_is_better=True,
                details=dict(virtual_s=round(net.now, 1), **{k: v for k, v in out.items() if k != "keepalive_peer"},
                             keepalive_probes_sent=h1.stats.get("tcp.tx.keepalive", 0)))


BENCHMARKS.update({
    "idle-connections": bench_idle_connections,
    "long-virtual-time": bench_long_virtual_time,
})


def bench_round_trips(n: int = 20_000, repeat: int = 3) -> dict:
    """Socket-level request/response round trips per wall-clock second (TCP, 64-byte messages),
    in the SimRuntime (best of `repeat`) and in the RealtimeRuntime over an in-memory network."""
    import threading

    def run(realtime: bool, count: int):
        net = Network(seed=1, realtime=realtime)
        s1 = net.add_switch("s1")
        h1 = net.add_host("h1", ip="192.0.2.1/24")
        h2 = net.add_host("h2", ip="192.0.2.2/24")
        net.add_link(h1, s1, delay=0.00001)
        net.add_link(h2, s1, delay=0.00001)
        ready = threading.Event()

        def server(socket):
            with socket.socket() as ls:
                ls.bind(("", 7))
                ls.listen()
                ready.set()
                c, _ = ls.accept()
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                while True:
                    d = c.recv(64)
                    if not d:
                        break
                    c.sendall(d)

        def client(socket):
            s = socket.socket()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.connect(("192.0.2.2", 7))
            msg = b"m" * 64
            t0 = time.perf_counter()
            for _ in range(count):
                s.sendall(msg)
                got = 0
                while got < 64:
                    got += len(s.recv(64 - got))
            wall = time.perf_counter() - t0
            s.close()
            return wall

        if realtime:
            net.start()
            threading.Thread(target=server, args=(h2.socket,), daemon=True).start()
            ready.wait(5)
            wall = client(h1.socket)
            net.stop()
        else:
            h2.spawn(server)
            t = h1.spawn(client)
            net.run()
            wall = t.result
        return count / wall

    sims = [run(False, n) for _ in _runs(repeat)]
    sim = max(sims)
    real = run(True, max(1000, n // 10))
    return dict(figure=sim, unit="round trips/s", goal=20_000,
                details=dict(sim_per_s=round(sim), sim_runs=[round(x) for x in sims],
                             realtime_in_memory_per_s=round(real), message_bytes=64))


BENCHMARKS["round-trips"] = bench_round_trips


def _bulk(family: str, size: int) -> float:
    """MB/s of one bulk transfer between two dual-stack hosts across a switch."""
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24", ip6="2001:db8::1/64")
    h2 = net.add_host("h2", ip="192.0.2.2/24", ip6="2001:db8::2/64")
    net.add_link(h1, s1, delay=0.0001)
    net.add_link(h2, s1, delay=0.0001)
    chunk = b"\xa5" * 65536
    got = [0]
    dst = ("192.0.2.2", 5001) if family == "ipv4" else ("2001:db8::2", 5001, 0, 0)

    def sink(socket):
        af = socket.AF_INET if family == "ipv4" else socket.AF_INET6
        with socket.socket(af) as s:
            s.bind(("", 5001))
            s.listen()
            c, _ = s.accept()
            buf = bytearray(262144)
            while n := c.recv_into(buf):
                got[0] += n
            c.close()

    def source(socket):
        af = socket.AF_INET if family == "ipv4" else socket.AF_INET6
        with socket.socket(af) as s:
            s.connect(dst)
            left = size
            while left > 0:
                left -= s.send(chunk[:min(left, len(chunk))])

    h2.spawn(sink)
    h1.spawn(source)
    t0 = time.perf_counter()
    net.run()
    return got[0] / (time.perf_counter() - t0) / 1e6


def bench_tcp_bulk_ipv6(size: int = 20_000_000, repeat: int = 5) -> dict:
    """Bulk TCP over IPv6 against the same transfer over IPv4: the IPv6 issue asks for IPv6
    within 10% of IPv4.  The runs alternate (IPv4, IPv6, IPv4...) so that a slow spell of a
    shared machine hits both, and each family's best of `repeat` counts.  The figure is
    IPv6 as a percentage of IPv4."""
    runs = [(_bulk("ipv4", size), _bulk("ipv6", size)) for _ in _runs(repeat)]
    v4 = max(r[0] for r in runs)
    v6 = max(r[1] for r in runs)
    return dict(figure=100.0 * v6 / v4, unit="% of IPv4", goal=90,
                details=dict(ipv4_MBps=round(v4, 1), ipv6_MBps=round(v6, 1), bytes_each=size,
                             runs=[(round(a, 1), round(b, 1)) for a, b in runs]))


BENCHMARKS["tcp-bulk-ipv6"] = bench_tcp_bulk_ipv6


def bench_tap_interop() -> dict:
    """The stack against the Linux kernel over TAP, beside a veth baseline (scenarios/bench_tap.py)."""
    from .bench_tap import bench_tap

    return bench_tap()


BENCHMARKS["tap"] = bench_tap_interop
