"""TAP benchmarks: the stack against the Linux kernel over a TAP link, beside a kernel-to-kernel
baseline over a veth pair measured in the same run with the same programs.

Each runs in network namespaces of its own (documentation addresses only) and removes them
afterwards.  Where TAP or namespaces are unavailable the benchmark says why and reports
nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

SENDER = """
import socket, sys, time
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=60)
block = b"\\xa5" * 262144
left = size
while left > 0:
    left -= s.send(block[:min(left, len(block))])
s.close()
"""

RECEIVER = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port)); ls.listen(); print("ready", flush=True)
c, _ = ls.accept(); t0 = time.perf_counter(); n = 0
buf = bytearray(1 << 20)
while True:
    k = c.recv_into(buf)
    if not k: break
    n += k
print(n, time.perf_counter() - t0, flush=True)
"""


def _sh(cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True, **kw)


def unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (namespaces and TAP devices)"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun does not exist"
    r = _sh("ip netns add pystbenchprobe", check=False)
    if r.returncode:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    _sh("ip netns del pystbenchprobe", check=False)
    return None


def _ns_python(ns: str, code: str, *args, stdout=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code, *map(str, args)],
                            stdout=stdout, stderr=subprocess.PIPE, text=True)


def veth_baseline(size: int) -> float:
    """MB/s between two kernel namespaces over a veth pair, same sender and receiver programs."""
    a, b = f"pystva{os.getpid() % 10000}", f"pystvb{os.getpid() % 10000}"
    try:
        _sh(f"ip netns add {a} && ip netns add {b}")
        _sh(f"ip link add pystv0 netns {a} type veth peer name pystv1 netns {b}")
        _sh(f"ip -n {a} addr add 198.51.100.1/24 dev pystv0 && ip -n {a} link set pystv0 up")
        _sh(f"ip -n {b} addr add 198.51.100.2/24 dev pystv1 && ip -n {b} link set pystv1 up")
        rx = _ns_python(b, RECEIVER, "198.51.100.2", 5201)
        rx.stdout.readline()
        tx = _ns_python(a, SENDER, "198.51.100.2", 5201, size)
        tx.wait(120)
        n, secs = rx.stdout.readline().split()
        rx.wait(10)
        return int(n) / float(secs) / 1e6
    finally:
        _sh(f"ip netns del {a}", check=False)
        _sh(f"ip netns del {b}", check=False)


class _TapBench:
    def __init__(self) -> None:
        import tap

        self.ns = f"pystbn{os.getpid() % 10000}"
        self.ifname = f"pystbt{os.getpid() % 10000}"
        _sh(f"ip netns add {self.ns}")
        self.host = tap.attach(self.ifname, ip="192.0.2.2/24", ip6=None, gateway=None, netns=self.ns)
        _sh(f"ip -n {self.ns} link set lo up && ip -n {self.ns} addr add 192.0.2.1/24 dev {self.ifname} && "
            f"ip -n {self.ns} link set {self.ifname} up")
        time.sleep(0.3)

    def close(self) -> None:
        self.host.close()
        _sh(f"ip netns del {self.ns}", check=False)

    def kernel_to_stack(self, size: int) -> float:
        sk = self.host.socket
        ls = sk.create_server(("", 5202))
        out = {}

        def serve():
            c, _ = ls.accept()
            t0 = time.perf_counter()
            n = 0
            buf = bytearray(1 << 20)
            while k := c.recv_into(buf):
                n += k
            out["rate"] = n / (time.perf_counter() - t0) / 1e6
            c.close()

        t = threading.Thread(target=serve)
        t.start()
        tx = _ns_python(self.ns, SENDER, "192.0.2.2", 5202, size)
        tx.wait(300)
        t.join(300)
        ls.close()
        return out["rate"]

    def stack_to_kernel(self, size: int) -> float:
        rx = _ns_python(self.ns, RECEIVER, "192.0.2.1", 5203)
        rx.stdout.readline()
        s = self.host.socket.create_connection(("192.0.2.1", 5203), timeout=60)
        block = b"\xa5" * 262144
        left = size
        while left > 0:
            left -= s.send(block[:min(left, len(block))])
        s.close()
        n, secs = rx.stdout.readline().split()
        rx.wait(30)
        return int(n) / float(secs) / 1e6

    def ping_flood(self, count: int, cpu: int | None = None) -> tuple[float, str]:
        """Echo replies per second under the kernel's `ping -f`, which sends the next request
        as soon as a reply comes.  With `cpu`, ping and our stack thread share that core (as
        one steers a NIC's interrupts and its consumer together): no cross-core wakeups."""
        pin = ""
        if cpu is not None:
            pin = f"taskset -c {cpu} "
            os.sched_setaffinity(self.host.runtime._thread.native_id, {cpu})
        try:
            r = _sh(f"ip netns exec {self.ns} {pin}ping -f -q -c {count} -w 60 192.0.2.2", check=False)
        finally:
            if cpu is not None:
                os.sched_setaffinity(self.host.runtime._thread.native_id, os.sched_getaffinity(0))
        m = re.search(r"(\d+) packets transmitted, (\d+) received.*time (\d+)ms", r.stdout.replace("\n", " "))
        if not m:
            return 0.0, r.stdout + r.stderr
        received, ms = int(m.group(2)), int(m.group(3))
        return received / (ms / 1000), f"{m.group(1)} sent, {received} received in {ms} ms"

    def accepts(self, n: int) -> float:
        sk = self.host.socket
        ls = sk.create_server(("", 5204), backlog=128)
        done = {}

        def serve():
            t0 = None
            for i in range(n):
                c, _ = ls.accept()
                if t0 is None:
                    t0 = time.perf_counter()
                c.close()
            done["rate"] = (n - 1) / (time.perf_counter() - t0)

        t = threading.Thread(target=serve)
        t.start()
        code = ("import socket\n"
                f"for i in range({n}):\n"
                "    s = socket.create_connection(('192.0.2.2', 5204), timeout=10); s.close()\n")
        _ns_python(self.ns, code).wait(300)
        t.join(300)
        ls.close()
        return done["rate"]


def bench_tap(size: int = 200_000_000, pings: int = 20_000, conns: int = 2000) -> dict:
    why = unavailable()
    if why:
        print(f"tap: skipped: {why}")
        return dict(figure=0.0, unit="MB/s", goal=30, details=dict(skipped=why))
    base = veth_baseline(size)
    b = _TapBench()
    try:
        free = max(b.ping_flood(pings) for _ in range(3))
        pinned = max(b.ping_flood(pings, cpu=0) for _ in range(3))
        rate, ping_text = max(free, pinned)
        k2s = b.kernel_to_stack(size // 2)
        s2k = b.stack_to_kernel(size // 2)
        acc = b.accepts(conns)
    finally:
        b.close()
    return dict(figure=min(k2s, s2k), unit="MB/s (worse way)", goal=30,
                details=dict(kernel_to_stack_MBps=round(k2s, 1), stack_to_kernel_MBps=round(s2k, 1),
                             veth_baseline_MBps=round(base, 1),
                             ratio_to_veth=f"{k2s / base:.3f} / {s2k / base:.3f}",
                             ping_flood_replies_per_s=round(rate), ping_flood=ping_text,
                             ping_flood_unpinned_per_s=round(free[0]), ping_flood_one_core_per_s=round(pinned[0]),
                             ping_flood_goal=20_000, kernel_connections_accepted_per_s=round(acc)))
