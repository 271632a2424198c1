"""Multicast between our stack and the Linux kernel over TAP: both join a group, datagrams
flow both ways (IPv4 239.0.0.0/8 and IPv6 ff05::/16 groups only)."""

import struct
import subprocess
import time

GROUP4, GROUP6, PORT = "239.1.2.3", "ff05::1:3", 45000


def _join4(sk, s, group=GROUP4):
    s.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, sk.inet_aton(group) + sk.inet_aton("192.0.2.2"))


def test_ipv4_group_datagrams_both_ways(tap_pair):
    host, k = tap_pair
    sk = host.socket
    r = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    r.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    r.bind(("", PORT))
    _join4(sk, r)
    r.settimeout(5)
    # the kernel, a member too, receives what we send to the group, and sends to it
    kern = k.python(
        "import socket,struct\n"
        "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('', {PORT}))\n"
        f"s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('{GROUP4}') + "
        "socket.inet_aton('192.0.2.1'))\n"
        "s.settimeout(5); print('joined', flush=True)\n"
        "d,a=s.recvfrom(100); print(d.decode(), a[0], flush=True)\n"
        "t=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "t.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('192.0.2.1'))\n"
        f"t.sendto(b'from the kernel', ('{GROUP4}', {PORT}))\n", stdout=subprocess.PIPE, text=True)
    assert kern.stdout.readline().strip() == "joined"
    time.sleep(0.2)
    w = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    w.setsockopt(sk.IPPROTO_IP, sk.IP_MULTICAST_IF, sk.inet_aton("192.0.2.2"))
    w.setsockopt(sk.IPPROTO_IP, sk.IP_MULTICAST_LOOP, 0)
    w.sendto(b"from the stack", (GROUP4, PORT))
    out = kern.stdout.readline().split()
    assert out == ["from", "the", "stack", "192.0.2.2"], out
    data, addr = r.recvfrom(100)
    assert data == b"from the kernel" and addr[0] == "192.0.2.1"
    kern.wait(5)
    # nothing of ours looped back: IP_MULTICAST_LOOP was off on the sender
    r.settimeout(0.3)
    try:
        extra = r.recvfrom(100)
    except TimeoutError:
        extra = None
    assert extra is None, extra


def test_ipv6_group_datagrams_both_ways(tap_pair):
    host, k = tap_pair
    sk = host.socket
    r = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    r.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    r.bind(("", PORT))
    r.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, sk.inet_pton(sk.AF_INET6, GROUP6) + struct.pack("@I", 2))
    r.settimeout(5)
    kern = k.python(
        "import socket,struct\n"
        f"ix=socket.if_nametoindex('{k.ifname}')\n"
        "s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('', {PORT}))\n"
        f"s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, '{GROUP6}') + "
        "struct.pack('@I', ix))\n"
        "s.settimeout(5); print('joined', flush=True)\n"
        "d,a=s.recvfrom(100); print(d.decode(), a[0], flush=True)\n"
        "t=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
        "t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ix)\n"
        f"t.sendto(b'from the kernel', ('{GROUP6}', {PORT}))\n", stdout=subprocess.PIPE, text=True)
    assert kern.stdout.readline().strip() == "joined"
    time.sleep(0.2)
    w = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    w.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_IF, 2)
    w.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_LOOP, 0)
    w.sendto(b"from the stack", (GROUP6, PORT))
    out = kern.stdout.readline().split()
    assert out == ["from", "the", "stack", "2001:db8::2"], out
    data, addr = r.recvfrom(100)
    assert data == b"from the kernel" and addr[0] == "2001:db8::1"
    kern.wait(5)


def test_the_kernel_learns_our_memberships_from_our_reports(tap_pair):
    """The kernel's side of the TAP goes into a bridge that snoops IGMP and MLD and queries
    (the kernel acting as multicast router): `bridge mdb` then lists the groups we joined,
    learnt from our reports, and the reports on the wire read cleanly in tshark."""
    host, k = tap_pair
    dev = k.ifname
    for cmd in ("ip link add br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_query_interval 200 "
                "mcast_igmp_version 3 mcast_mld_version 2",  # Linux's default v2/v1 queries would (rightly)
                # put our host in IGMPv2 / MLDv1 compatibility mode; the test below accepts either version
                f"ip addr flush dev {dev}", f"ip link set {dev} master br0",
                "ip addr add 192.0.2.1/24 dev br0", "ip -6 addr add 2001:db8::1/64 dev br0 nodad",
                "ip link set br0 up"):
        k.run(cmd)
    sk = host.socket
    s4 = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    s4.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, sk.inet_aton(GROUP4) + sk.inet_aton("192.0.2.2"))
    s6 = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    s6.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, sk.inet_pton(sk.AF_INET6, GROUP6) + struct.pack("@I", 2))
    deadline = time.monotonic() + 20
    mdb = ""
    while time.monotonic() < deadline:
        mdb = k.run("bridge mdb show").stdout
        if GROUP4 in mdb and GROUP6 in mdb:
            break
        time.sleep(0.5)
    assert GROUP4 in mdb and GROUP6 in mdb, mdb
    assert all(f"port {dev}" in line for line in mdb.splitlines() if GROUP4 in line or GROUP6 in line), mdb
    from tshark import tshark_fields

    w = host.tap_channel.captures[0][0]
    with host.runtime.lock:  # the stack thread writes the capture too
        w.flush()
    v4 = tshark_fields(w.path, ["igmp.maddr"], "(igmp.type == 0x22 || igmp.type == 0x16) && ip.src == 192.0.2.2")
    v6 = tshark_fields(w.path, ["icmpv6.mldr.mar.multicast_address", "icmpv6.mld.multicast_address"],
                       "icmpv6.type == 143 || icmpv6.type == 131")
    assert any(GROUP4 in row[0] for row in v4), v4
    assert any(GROUP6 in " ".join(row) for row in v6), v6
    s4.close()
    s6.close()
