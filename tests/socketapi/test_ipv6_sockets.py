"""AF_INET6 sockets over the simulated network: what a program using IPv6 sees.

The differential cases (test_differential_ipv6.py) pin the API's details against CPython on
::1; these exercise what needs a network: link-local addresses and scope ids, routing,
fragmentation, impaired links, RFC 6724 ordering, dual-stack servers reached both ways.
"""

from __future__ import annotations

import errno
import hashlib
import struct

import pytest

from stack import Network
from stack.addr import ip


def dual_lan(**link):
    net = Network(seed=3)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24", ip6="2001:db8::1/64")
    h2 = net.add_host("h2", ip="192.0.2.2/24", ip6="2001:db8::2/64")
    net.add_link(h1, s1, delay=0.001, **link)
    net.add_link(h2, s1, delay=0.001, **link)
    return net, h1, h2


def routed(mtu=1500, **link):
    net = Network(seed=4)
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r, delay=0.002)
    net.add_link(r, h2, delay=0.002, mtu=mtu, **link)
    return net, h1, r, h2


def test_link_local_udp_needs_and_reports_the_scope_id():
    net, h1, h2 = dual_lan()
    ll2 = next(a for a in h2.interfaces[1].ipv6 if a.origin == "link")
    text = str(ll2).split("/")[0]

    def server(socket):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", 5353))
        data, addr = s.recvfrom(100)
        s.sendto(data.upper(), addr)
        return addr

    def client(socket):
        h1.sleep(2.0)
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.settimeout(2)
        out = []
        try:
            s.sendto(b"x", (text, 5353, 0, 99))
        except OSError as e:
            out.append(e.errno)
        try:
            s.connect((text, 5353))  # no scope id and no interface bound: Linux refuses
        except OSError as e:
            out.append(e.errno)
        s.sendto(b"hello", (text + "%eth0", 5353))
        out.append(s.recvfrom(100))
        return out

    srv = h2.spawn(server)
    cli = h1.spawn(client)
    net.run(until=5)
    ll1 = str(next(a for a in h1.interfaces[1].ipv6 if a.origin == "link")).split("/")[0]
    assert cli.result[0] == errno.ENETUNREACH  # no interface 99, so no route (Linux's answer)
    assert cli.result[1] == errno.EINVAL
    data, addr = cli.result[2]
    assert data == b"HELLO" and addr == (text, 5353, 0, 2)  # eth0 is interface index 2, as on Linux
    assert srv.result[0] == ll1 and srv.result[3] == 2



def test_raw_ping_to_all_nodes_hears_itself_and_reports_scope_ids():
    """A raw ICMPv6 echo to ff02::1 loops back to this host (IPV6_MULTICAST_LOOP is on by
    default), which answers itself, as Linux's `ping ff02::1%eth0` shows; every link-local
    source comes with its interface's index as the scope id.  With the loop off, only the
    neighbour answers."""
    net, h1, h2 = dual_lan()
    lls = [str(next(a for a in h.interfaces[1].ipv6 if a.origin == "link")).split("/")[0] for h in (h1, h2)]

    def pinger(socket):
        h1.sleep(2.0)
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.settimeout(0.5)
        heard = []
        for loop, seq in ((1, 1), (0, 2)):
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, loop)
            s.sendto(struct.pack("!BBHHH", 128, 0, 0, 7, seq) + b"hi", ("ff02::1%eth0", 0))
            got = []
            while True:
                try:
                    data, addr = s.recvfrom(200)
                except TimeoutError:
                    break
                if data[0] in (128, 129):
                    got.append((data[0], addr))
            heard.append(got)
        return heard

    t = h1.spawn(pinger)
    net.run(until=5)
    with_loop, without = t.result
    assert sorted(with_loop) == sorted([(128, (lls[0], 0, 0, 2)), (129, (lls[0], 0, 0, 2)),
                                        (129, (lls[1], 0, 0, 2))])
    assert without == [(129, (lls[1], 0, 0, 2))]

def test_getaddrinfo_orders_destinations_by_rfc6724():
    net, h1, h2 = dual_lan()
    v6only = net.add_host("h3", ip6="2001:db8::3/64")
    v4only = net.add_host("h4", ip="192.0.2.4/24")
    for h in (v6only, v4only):
        net.add_link(h, net["s1"], delay=0.001)
    net.run(until=3)
    families = lambda host, name: [ai[0].name for ai in host.socket.getaddrinfo(name, 80, type=1)]  # noqa: E731
    assert families(h1, "h2") == ["AF_INET6", "AF_INET"]  # both usable: IPv6's precedence wins (rule 6)
    assert families(v4only, "h2") == ["AF_INET", "AF_INET6"]  # no IPv6 source: unusable last (rule 1)
    assert [ai[4][0] for ai in h1.socket.getaddrinfo("h2", 80, type=1)] == ["2001:db8::2", "192.0.2.2"]
    assert h1.socket.getaddrinfo("h3", 80, h1.socket.AF_INET6, 1)[0][4] == ("2001:db8::3", 80, 0, 0)
    with pytest.raises(h1.socket.gaierror):
        h1.socket.getaddrinfo("h4", 80, h1.socket.AF_INET6, 1)


def test_create_connection_falls_back_from_ipv6_to_ipv4():
    net, h1, h2 = dual_lan()

    def server(socket):
        with socket.create_server(("0.0.0.0", 7000)) as ls:  # IPv4 only
            c, addr = ls.accept()
            c.sendall(b"v4 server")
            c.close()
            return addr

    def client(socket):
        h1.sleep(0.01)
        with socket.create_connection(("h2", 7000), timeout=5) as s:
            return s.family.name, s.recv(100)

    srv = h2.spawn(server)
    cli = h1.spawn(client)
    net.run(until=10)
    assert cli.result == ("AF_INET", b"v4 server")
    assert srv.result[0] == "192.0.2.1"
    assert h2.stats["tcp.tx.rst"] >= 1  # the IPv6 attempt came first and was refused


def test_dualstack_server_serves_both_families():
    net, h1, h2 = dual_lan()

    def server(socket):
        out = []
        with socket.create_server(("", 7001), family=socket.AF_INET6, dualstack_ipv6=True) as ls:
            for _ in range(2):
                c, addr = ls.accept()
                out.append((addr[0], c.getsockname()[0], c.recv(10)))
                c.close()
        return out

    def client(socket):
        for fam, addr in ((socket.AF_INET, ("192.0.2.2", 7001)), (socket.AF_INET6, ("2001:db8::2", 7001))):
            with socket.socket(fam) as s:
                s.connect(addr)
                s.sendall(fam.name.encode())

    srv = h2.spawn(server)
    h1.spawn(client)
    net.run(until=10)
    assert srv.result == [("::ffff:192.0.2.1", "::ffff:192.0.2.2", b"AF_INET"),
                          ("2001:db8::1", "2001:db8::2", b"AF_INET6")]


def test_big_udp_datagram_is_fragmented_at_the_source_and_reassembled():
    net, h1, r, h2 = routed(mtu=1280)

    def server(socket):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", 9000))
        return s.recvfrom(10000)

    def client(socket):
        h1.sleep(1.0)
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.sendto(bytes(range(256)) * 12, ("2001:db8:2::20", 9000))  # 3072 bytes
        h1.sleep(0.5)
        s.sendto(bytes(range(256)) * 12, ("2001:db8:2::20", 9000))

    srv = h2.spawn(server)
    h1.spawn(client)
    net.run(until=5)
    data, addr = srv.result
    assert data == bytes(range(256)) * 12 and addr[0] == "2001:db8:1::10"
    # the first datagram left in 1500-byte fragments and met Packet Too Big at r; the
    # second was fragmented for the 1280-byte path MTU that taught h1
    assert r.stats["ip6.fwd.packet_too_big"] >= 1 and r.stats["ip6.fwd.fragmented"] == 0
    assert h1.path_mtu(ip("2001:db8:2::20")) == 1280
    assert h1.stats["ip6.tx.fragmented"] == 2 and h2.stats["ip6.reasm.ok"] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_tcp_over_ipv6_survives_an_impaired_link(seed):
    net = Network(seed=seed)
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r, delay=0.005)
    net.add_link(r, h2, delay=0.01, loss=0.03, reorder=0.02, duplicate=0.01, corrupt=0.005)
    blob = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB

    def server(socket):
        with socket.create_server(("::", 8000), family=socket.AF_INET6) as ls:
            c, _ = ls.accept()
            got = bytearray()
            while chunk := c.recv(65536):
                got += chunk
            return hashlib.sha256(got).hexdigest()

    def client(socket):
        with socket.create_connection(("2001:db8:2::20", 8000)) as s:
            s.sendall(blob)

    srv = h2.spawn(server)
    h1.spawn(client)
    net.run(until=600)
    assert srv.result == hashlib.sha256(blob).hexdigest()
    assert h1.stats["tcp.retransmits"] + h1.stats["tcp.fast_retransmit"] > 0 or net.links[1].stats["drop.loss"] == 0


def test_raw_icmpv6_filter_blocks_types():
    net, h1, h2 = dual_lan()

    def pinger(socket):
        h1.sleep(1.0)
        only_replies = bytearray(b"\xff" * 32)
        only_replies[129 >> 3] &= ~(1 << (129 & 7))  # ICMP6_FILTER_SETBLOCKALL, then SETPASS(129)
        a = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        a.setsockopt(socket.IPPROTO_ICMPV6, 1, bytes(only_replies))
        b = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        b.setsockopt(socket.IPPROTO_ICMPV6, 1, b"\xff" * 32)  # block everything
        for s in (a, b):
            s.settimeout(1.0)
        a.sendto(struct.pack("!BBHHH", 128, 0, 0, 1, 1), ("2001:db8::2", 0))
        out = []
        for s in (a, b):
            try:
                data, addr = s.recvfrom(100)
                out.append((data[0], addr[0]))
            except TimeoutError:
                out.append("timeout")
        return out

    t = h1.spawn(pinger)
    net.run(until=5)
    # a saw only the echo reply, though neighbor discovery messages arrived too; b saw nothing
    assert t.result == [(129, "2001:db8::2"), "timeout"]
    assert h1.stats["icmp6.rx.type135"] + h1.stats["icmp6.rx.type136"] >= 1


def test_v6only_socket_refuses_ipv4_and_mapped_addresses():
    net, h1, h2 = dual_lan()

    def go(socket):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::", 6000))
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.bind(("0.0.0.0", 6000))  # no conflict: the IPv6 socket does not take IPv4
        out = []
        try:
            s.sendto(b"x", ("::ffff:192.0.2.2", 9))
        except OSError as e:
            out.append(e.errno)
        return out

    t = h1.spawn(go)
    net.run(until=1)
    assert t.result == [errno.ENETUNREACH]
