"""IPv6 interoperability with the Linux kernel's stack over a TAP link (in its own namespace).

The kernel side has 2001:db8::1/64 (added without DAD); our host has 2001:db8::2/64 and its
EUI-64 link-local address.
"""

import hashlib
import re
import subprocess
import threading
import time

from scenarios.tools import ping6


def _our_link_local(host) -> str:
    a = next(a for a in host.interfaces[1].ipv6 if a.origin == "link")
    return str(a).split("/")[0]


def test_kernel_pings_us_over_ipv6_global_and_link_local(tap_pair):
    host, k = tap_pair
    r = k.run("ping -6 -c 5 -i 0.1 -W 2 2001:db8::2", check=False)
    assert "5 received" in r.stdout, r.stdout
    r = k.run(f"ping -6 -c 2 -i 0.1 -W 2 {_our_link_local(host)}%{k.ifname}", check=False)
    assert "2 received" in r.stdout, r.stdout
    assert host.stats["icmp6.tx.echo_reply"] >= 7


def test_we_ping_the_kernel_with_a_raw_icmpv6_socket(tap_pair):
    host, k = tap_pair
    results = ping6(host.socket, "2001:db8::1", count=3, interval=0.05, timeout=2.0, clock=time.monotonic)
    assert all(rtt is not None for _, rtt in results), results


def test_ndp_both_ways_and_the_kernels_probes_of_our_address(tap_pair):
    host, k = tap_pair
    k.run("ping -6 -c 1 -W 2 2001:db8::2")
    mac = ":".join("%02x" % b for b in host.interfaces[1].mac)
    neigh = k.run("ip -6 neigh show 2001:db8::2").stdout
    assert mac in neigh.lower(), neigh
    assert any(r[1] == "2001:db8::1" for r in host.neighbors()), host.neighbors()
    # make the kernel doubt us: its entry goes STALE; the next packet sends it through DELAY
    # and PROBE, a unicast solicitation that we must answer to become REACHABLE again
    k.run(f"ip -6 neigh change 2001:db8::2 dev {k.ifname} lladdr {mac} nud stale")
    before = host.stats["ndp.rx.NeighborSolicit"]
    k.run("ping -6 -c 1 -W 2 2001:db8::2")
    deadline = time.monotonic() + 15
    state = ""
    while time.monotonic() < deadline:
        state = k.run("ip -6 neigh show 2001:db8::2").stdout
        if "REACHABLE" in state and host.stats["ndp.rx.NeighborSolicit"] > before:
            break
        time.sleep(0.5)
    assert "REACHABLE" in state, state
    assert host.stats["ndp.rx.NeighborSolicit"] > before


def test_tcp_over_ipv6_both_directions_byte_identical(tap_pair):
    host, k = tap_pair
    data = bytes(range(256)) * 8192  # 2 MiB
    srv = k.python(
        "import socket,hashlib\n"
        "s=socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('2001:db8::1', 5001)); s.listen(); c,_=s.accept(); h=hashlib.sha256()\n"
        "while True:\n"
        "    b=c.recv(65536)\n"
        "    if not b: break\n"
        "    h.update(b)\n"
        "c.sendall(h.hexdigest().encode()); c.close()\n")
    time.sleep(0.3)
    sk = host.socket
    s = sk.socket(sk.AF_INET6)
    s.settimeout(10)
    s.connect(("2001:db8::1", 5001))
    s.sendall(data)
    s.shutdown(sk.SHUT_WR)
    digest = s.recv(100)
    s.close()
    srv.wait(10)
    assert digest.decode() == hashlib.sha256(data).hexdigest()

    ls = sk.create_server(("::", 41006), family=sk.AF_INET6, dualstack_ipv6=True)
    got = {}

    def serve():
        c, addr = ls.accept()
        c.settimeout(10)
        buf = bytearray()
        while chunk := c.recv(65536):
            buf += chunk
        got["data"], got["peer"] = bytes(buf), addr
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = k.python("import socket\n"
                   "s=socket.create_connection(('2001:db8::2', 41006), timeout=10); s.sendall(bytes(range(256))*8192)\n"
                   "s.close()\n")
    cli.wait(20)
    t.join(20)
    ls.close()
    assert got["data"] == data and got["peer"][0] == "2001:db8::1"


def test_kernel_reaches_our_dual_stack_listener_over_ipv4_too(tap_pair):
    host, k = tap_pair
    sk = host.socket
    ls = sk.create_server(("::", 41007), family=sk.AF_INET6, dualstack_ipv6=True)
    got = []

    def serve():
        for _ in range(2):
            c, addr = ls.accept()
            c.sendall(addr[0].encode())
            c.close()

    t = threading.Thread(target=serve)
    t.start()
    for target in ("192.0.2.2", "2001:db8::2"):
        r = k.run(f"python3 -c \"import socket; s=socket.create_connection(('{target}', 41007), timeout=5);"
                  f" print(s.recv(100).decode())\"")
        got.append(r.stdout.strip())
    t.join(10)
    ls.close()
    assert got == ["::ffff:192.0.2.1", "2001:db8::1"]


def test_udp_over_ipv6_both_ways(tap_pair):
    host, k = tap_pair
    sk = host.socket
    u = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    u.bind(("::", 6006))
    u.settimeout(5)
    k.run("python3 -c \"import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);"
          " s.sendto(b'from kernel', ('2001:db8::2', 6006))\"")
    data, addr = u.recvfrom(100)
    assert data == b"from kernel" and addr[0] == "2001:db8::1" and len(addr) == 4
    srv = k.python("import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5);"
                   " s.bind(('2001:db8::1', 6007)); d,a=s.recvfrom(100); s.sendto(d.upper(), a)")
    time.sleep(0.3)
    u.sendto(b"from stack", ("2001:db8::1", 6007))
    assert u.recvfrom(100)[0] == b"FROM STACK"
    srv.wait(5)


def test_kernel_fragments_reach_us_reassembled(tap_pair):
    """The kernel fragments a 4000-byte datagram at the source (IPv6 never fragments on the
    way); we reassemble it, and our own big datagram reaches the kernel the same way."""
    host, k = tap_pair
    sk = host.socket
    u = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    u.bind(("::", 6008))
    u.settimeout(5)
    k.run("python3 -c \"import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);"
          " s.sendto(bytes(range(250))*16, ('2001:db8::2', 6008))\"")
    data, _ = u.recvfrom(10000)
    assert data == bytes(range(250)) * 16 and host.stats["ip6.reasm.ok"] >= 1
    srv = k.python("import socket,hashlib; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5);"
                   " s.bind(('2001:db8::1', 6009)); d,a=s.recvfrom(10000); print(len(d), hashlib.sha256(d).hexdigest())",
                   stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    blob = bytes(range(200)) * 20
    u.sendto(blob, ("2001:db8::1", 6009))
    out, _ = srv.communicate(timeout=10)
    assert out.split() == [str(len(blob)), hashlib.sha256(blob).hexdigest()]
    assert host.stats["ip6.tx.fragmented"] >= 1


def test_rst_to_closed_ipv6_port_both_ways(tap_pair):
    host, k = tap_pair
    r = k.run("python3 -c \"import socket; s=socket.socket(socket.AF_INET6); s.settimeout(3)\n"
              "try:\n    s.connect(('2001:db8::2', 9))\nexcept ConnectionRefusedError: print('refused')\"")
    assert "refused" in r.stdout
    s = host.socket.socket(host.socket.AF_INET6)
    s.settimeout(3)
    try:
        s.connect(("2001:db8::1", 9))
        raise AssertionError("connect to a closed kernel port succeeded")
    except ConnectionRefusedError:
        pass
    assert re.search(r"tcp\.tx\.rst", " ".join(host.stats)) is not None
