"""The kernel's probes answered, transfers through kernel-side impairments, and 100 MB each way.

Impairments go on the kernel's side of the TAP link.  netem is the tool for it; where the
kernel lacks it (the CI machines' kernel is built without sch_netem and loads no modules),
the same loss and duplication are made with nftables on the device's ingress and egress
hooks, and a token bucket (tbf) adds queueing delay.  Which one ran is printed.
"""

import hashlib
import subprocess
import threading
import time

import pytest


def impair(k) -> str:
    """Loss, duplication, delay and (with netem) reordering on the kernel side; returns how."""
    dev = k.ifname
    r = k.run(f"tc qdisc add dev {dev} root netem loss 2% delay 5ms 2ms reorder 5% duplicate 1%", check=False)
    k.impaired = True
    if r.returncode == 0:
        return "netem: loss 2%, delay 5 ms +- 2 ms, reorder 5%, duplicate 1%"
    rules = (f'table netdev impair {{\n'
             f'  chain out {{\n    type filter hook egress device "{dev}" priority 0;\n'
             f'    numgen random mod 100 < 2 counter drop\n'
             f'    numgen random mod 100 < 1 counter dup to "{dev}"\n  }}\n'
             f'  chain in {{\n    type filter hook ingress device "{dev}" priority 0;\n'
             f'    numgen random mod 100 < 2 counter drop\n  }}\n'
             f'}}\n')
    r2 = subprocess.run(["ip", "netns", "exec", k.ns, "nft", "-f", "-"], input=rules, text=True,
                        capture_output=True)
    if r2.returncode != 0:
        pytest.fail(f"neither netem ({r.stderr.strip()}) nor nftables ({r2.stderr.strip()}) could impair the link")
    k.run(f"tc qdisc add dev {dev} root tbf rate 400mbit burst 256kb latency 20ms")
    how = ("nftables (netem unavailable: " + r.stderr.strip() + "): loss 2% each way, duplicate 1% toward us; "
           "tbf queueing delay")
    print(how)
    return how


def _sink_server(sk, port, got, family=None):
    ls = sk.create_server(("", port))
    ready = threading.Event()

    def serve():
        ready.set()
        c, _ = ls.accept()
        c.settimeout(60)
        h = hashlib.sha256()
        n = 0
        while chunk := c.recv(262144):
            h.update(chunk)
            n += len(chunk)
        got["sha"], got["n"] = h.hexdigest(), n
        c.close()
        ls.close()

    t = threading.Thread(target=serve)
    t.start()
    ready.wait(5)
    return t


def _transfer_both_ways(host, k, size: int, port: int, timeout: float):
    sk = host.socket
    got = {}
    t = _sink_server(sk, port, got)
    cli = k.python(
        "import socket,hashlib\n"
        f"s=socket.create_connection(('192.0.2.2', {port}), timeout=30)\n"
        f"block=hashlib.sha256(b'k').digest()*2048; left={size}\n"
        "while left>0:\n"
        "    b=block[:min(left,len(block))]; s.sendall(b); left-=len(b)\n"
        "s.close()\n")
    cli.wait(timeout)
    t.join(timeout)
    block = hashlib.sha256(b"k").digest() * 2048
    want = hashlib.sha256()
    left = size
    while left > 0:
        b = block[:min(left, len(block))]
        want.update(b)
        left -= len(b)
    assert got.get("n") == size and got["sha"] == want.hexdigest(), got

    srv = k.python(
        "import socket,hashlib\n"
        "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('192.0.2.1', {port + 1})); s.listen(); c,_=s.accept(); h=hashlib.sha256(); n=0\n"
        "while True:\n"
        "    b=c.recv(262144)\n"
        "    if not b: break\n"
        "    h.update(b); n+=len(b)\n"
        "print(n, h.hexdigest())\n", stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    s = sk.create_connection(("192.0.2.1", port + 1), timeout=30)
    left = size
    while left > 0:
        b = block[:min(left, len(block))]
        s.sendall(b)
        left -= len(b)
    s.close()
    out, _ = srv.communicate(timeout=timeout)
    assert out.split() == [str(size), want.hexdigest()]


def test_transfers_survive_kernel_side_impairments(tap_pair):
    host, k = tap_pair
    how = impair(k)
    print("impairment:", how)
    _transfer_both_ways(host, k, 4_000_000, 42000, 120)
    if how.startswith("nftables"):  # the impairment really bit: its counters moved
        counted = k.run("nft list table netdev impair").stdout
        assert sum(int(n) for n in __import__("re").findall(r"counter packets (\d+)", counted)) > 0, counted


@pytest.mark.tap_snaplen(160)
def test_100_mb_each_way_byte_identical(tap_pair):
    host, k = tap_pair
    _transfer_both_ways(host, k, 100_000_000, 42010, 300)


def test_the_kernels_zero_window_probes_are_answered(tap_pair):
    """Our receiver stops reading: our window closes, the kernel's persist timer probes it,
    we answer each probe, and when the application reads again the transfer completes."""
    host, k = tap_pair
    sk = host.socket
    ls = sk.socket()
    ls.setsockopt(sk.SOL_SOCKET, sk.SO_RCVBUF, 16384)
    ls.bind(("", 42020))
    ls.listen()
    cli = k.python(
        "import socket\n"
        "s=socket.create_connection(('192.0.2.2', 42020), timeout=30); s.sendall(b'z' * 2_000_000); s.close()\n")
    c, _ = ls.accept()
    time.sleep(3.0)  # not reading: the window is zero and the kernel probes it
    probes_seen = dict(host.stats)
    total = 0
    c.settimeout(30)
    while chunk := c.recv(65536):
        total += len(chunk)
    c.close()
    ls.close()
    cli.wait(30)
    assert total == 2_000_000
    with host.runtime.lock:  # the stack thread writes the capture too
        host.tap_channel.captures[0][0].flush()
    from tshark import tshark_fields

    path = host.tap_channel.captures[0][0].path
    # Linux's window probes carry seq = SND.UNA - 1 and no data (tcp_xmit_probe_skb), which
    # tshark files as keep-alives; each must draw an ACK from us still showing the zero window
    probes = tshark_fields(path, ["frame.number"], "tcp.port == 42020 && ip.src == 192.0.2.1 && "
                                                   "(tcp.analysis.keep_alive || tcp.analysis.zero_window_probe)")
    zero_acks = tshark_fields(path, ["frame.number"], "tcp.port == 42020 && ip.src == 192.0.2.2 && "
                                                      "tcp.analysis.zero_window")
    assert len(probes) >= 1 and len(zero_acks) >= len(probes), (probes, zero_acks, probes_seen)
    answered = [int(p[0]) for p in probes if any(int(z[0]) > int(p[0]) for z in zero_acks)]
    assert answered == [int(p[0]) for p in probes]


def test_the_kernels_keepalive_probes_are_answered(tap_pair):
    host, k = tap_pair
    sk = host.socket
    ls = sk.create_server(("", 42030))
    cli = k.python(
        "import socket,time\n"
        "s=socket.create_connection(('192.0.2.2', 42030), timeout=30)\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
        "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)\n"
        "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)\n"
        "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)\n"
        "time.sleep(5); s.sendall(b'still here'); print(s.recv(100).decode())\n", stdout=subprocess.PIPE, text=True)
    c, _ = ls.accept()
    c.settimeout(20)
    assert c.recv(100) == b"still here"  # two missed probes would have killed it after 3 s
    c.sendall(b"alive")
    out, _ = cli.communicate(timeout=20)
    c.close()
    ls.close()
    assert out.strip() == "alive"
    from tshark import tshark_fields

    w = host.tap_channel.captures[0][0]
    with host.runtime.lock:
        w.flush()
    probes = tshark_fields(w.path, ["frame.number"], "tcp.analysis.keep_alive && ip.src == 192.0.2.1")
    acks = tshark_fields(w.path, ["frame.number"], "tcp.analysis.keep_alive_ack && ip.src == 192.0.2.2")
    assert len(probes) >= 3 and len(acks) >= 3, (probes, acks)
