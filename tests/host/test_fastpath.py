"""The cached UDP transmit path gives the same bytes as the ordinary path and notices changes."""

from scapy.all import IP, UDP, Ether

from stack import Network
from stack.addr import ip, mac

PMAC = mac("02:99:00:00:00:99")


def setup():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24")
    p = net.add_probe("p")
    net.add_link(h, s1)
    net.add_link(p, s1)
    h.arp.cache(h.interfaces[1]).add_permanent(ip("192.0.2.99"), PMAC, 0)
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    s.connect(("192.0.2.99", 9))
    return net, h, p, s


def frames(net, p):
    net.run(until=net.now + 0.01)
    out = [Ether(f) for _, f in p.frames if Ether(f).type == 0x0800]
    p.clear()
    return out


def test_fast_path_bytes_equal_the_ordinary_path():
    net, h, p, s = setup()
    for size in (0, 1, 17, 100, 1471):
        s.send(bytes(i % 251 for i in range(size)))
    slow = frames(net, p)
    assert s._ep.fast is not None
    h2_fast_before = s._ep.fast
    for size in (0, 1, 17, 100, 1471):
        s.send(bytes(i % 251 for i in range(size)))
    fast = frames(net, p)
    assert s._ep.fast is h2_fast_before
    for a, b in zip(slow, fast):
        for f in (a, b):  # checksums verify (scapy recomputes them on a copy)
            c = Ether(bytes(f))
            del c[IP].chksum, c[UDP].chksum
            again = Ether(bytes(c))
            assert (again[IP].chksum, again[UDP].chksum) == (f[IP].chksum, f[UDP].chksum)
        a2, b2 = Ether(bytes(a)), Ether(bytes(b))
        a2[IP].id = b2[IP].id = 0
        a2[IP].chksum = b2[IP].chksum = 0
        assert bytes(a2) == bytes(b2)


def test_fast_path_follows_a_neighbor_change_and_skips_oversized():
    net, h, p, s = setup()
    s.send(b"a")
    s.send(b"b")
    frames(net, p)
    cache = h.arp.cache(h.interfaces[1])
    new = mac("02:77:00:00:00:77")
    cache.entries.pop(ip("192.0.2.99"))
    cache.add_permanent(ip("192.0.2.99"), new, 0)
    s.send(b"c")
    (f,) = frames(net, p)
    assert f.dst == "02:77:00:00:00:77"
    s.send(b"x" * 3000)  # needs fragmentation: the ordinary path
    got = frames(net, p)
    assert len(got) >= 1 and all(g.dst == "02:77:00:00:00:77" for g in got)


# -- TCP ------------------------------------------------------------------------------

from scapy.all import TCP  # noqa: E402

from stack.wire.ethernet import VerifiedFrame  # noqa: E402
from stack.wire.tcp import ACK, PSH, SYN, encode_ts  # noqa: E402


def tcp_setup():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24")
    p = net.add_probe("p")
    net.add_link(h, s1)
    net.add_link(p, s1)
    h.arp.cache(h.interfaces[1]).add_permanent(ip("192.0.2.99"), PMAC, 0)
    return net, h, p


def emit_both(net, h, p, *segment):
    """The same segment through the ordinary path (no cached path) and the cached one."""
    layer = h.tcp
    paths = layer._paths
    layer._paths = None
    layer._emit(*segment)
    slow = frames(net, p)
    layer._paths = paths
    layer._emit(*segment)
    fast = frames(net, p)
    assert (ip("192.0.2.1"), ip("192.0.2.99")) in h._tcp_paths
    return slow, fast


def test_tcp_fast_path_bytes_equal_the_ordinary_path():
    net, h, p = tcp_setup()
    local, remote = (ip("192.0.2.1"), 40000), (ip("192.0.2.99"), 80)
    payloads = [b"", b"x", bytes(range(200)), bytes(i % 253 for i in range(1447))]
    for data in payloads:
        for opts in (b"", encode_ts(123456, 654321)):
            (a,), (b,) = emit_both(net, h, p, local, remote, 0xFFFFFF00, 77, ACK | PSH if data else SYN, 501,
                                   data, opts)
            for f in (a, b):  # both checksums verify (scapy recomputes them on a copy)
                c = Ether(bytes(f))
                del c[IP].chksum, c[TCP].chksum
                again = Ether(bytes(c))
                assert (again[IP].chksum, again[TCP].chksum) == (f[IP].chksum, f[TCP].chksum)
            assert b[IP].id == (a[IP].id + 1) & 0xFFFF  # the host's one IP ident counter, advanced by both
            a2, b2 = Ether(bytes(a)), Ether(bytes(b))
            a2[IP].id = b2[IP].id = 0
            a2[IP].chksum = b2[IP].chksum = 0
            assert bytes(a2) == bytes(b2)


def test_tcp_fast_path_follows_changes_and_leaves_oversized_segments():
    net, h, p = tcp_setup()
    local, remote = (ip("192.0.2.1"), 40000), (ip("192.0.2.99"), 80)
    emit_both(net, h, p, local, remote, 1, 2, ACK, 100, b"", b"")
    fp = h._tcp_paths[(local[0], remote[0])]
    cache = h.arp.cache(h.interfaces[1])
    new = mac("02:77:00:00:00:77")
    cache.entries.pop(remote[0])
    cache.add_permanent(remote[0], new, 0)
    assert not fp.usable()
    h.tcp._emit(local, remote, 1, 2, ACK, 100, b"", b"")
    (f,) = frames(net, p)
    assert f.dst == "02:77:00:00:00:77"
    fp = h._tcp_paths[(local[0], remote[0])]
    h.add_route("198.51.100.0/24", "192.0.2.99")
    assert not fp.usable()  # any routing change: checked afresh
    assert h.tcp._emit(local, remote, 1, 2, ACK, 100, b"y" * 1461, b"") == 90  # EMSGSIZE: DF, too big
    assert frames(net, p) == []


def test_connections_use_the_cached_path_and_loopback_does_not():
    net, h, p = tcp_setup()
    s = h.socket.socket()
    s.setblocking(False)
    try:
        s.connect(("192.0.2.99", 80))
    except BlockingIOError:
        pass
    (syn,) = frames(net, p)
    assert syn[TCP].flags == "S"
    c = s._conn
    path = h._tcp_paths[(ip("192.0.2.1"), ip("192.0.2.99"))]
    assert c._fp is path  # the SYN went by the cached path, which the connection keeps
    c._send_ack(net.events.now)
    assert c._fp is path
    lo = h.socket.socket()
    lo.bind(("127.0.0.1", 0))
    lo.listen()
    t = h.socket.socket()
    t.setblocking(False)
    try:
        t.connect(lo.getsockname())
    except BlockingIOError:
        pass
    assert t._conn._fp is False


def test_transport_fast_receive_leaves_unusual_packets_to_the_full_path():
    """A frame marked verified still takes the full IPv4 path when anything is unusual:
    the reserved flag (Malformed), fragments, options.  And a datagram to a closed port
    taken by the short road still draws the port unreachable."""
    net, h, p = tcp_setup()
    me = "192.0.2.1"
    port = h.interfaces[1].port

    def deliver(pkt):
        h.receive(port, VerifiedFrame(bytes(Ether(dst=h.interfaces[1].mac, src=PMAC) / pkt)), net.events.now)

    deliver(IP(src="192.0.2.99", dst=me, flags="evil") / UDP(sport=1, dport=9) / b"x")
    assert h.stats["ip.rx.malformed"] == 1
    deliver(IP(src="192.0.2.99", dst=me, flags="MF", id=7) / UDP(sport=1, dport=9) / b"x")
    assert h.stats["ip.reasm.bad_fragment"] == 1 and h.stats["udp.rx.datagrams"] == 0  # reassembly saw it
    before = h.stats["icmp.tx.type3"]
    deliver(IP(src="192.0.2.99", dst=me) / UDP(sport=1, dport=9) / b"x")
    assert h.stats["udp.rx.no_port"] == 1 and h.stats["icmp.tx.type3"] == before + 1
    deliver(IP(src="224.0.0.1", dst=me) / UDP(sport=1, dport=9) / b"x")
    assert h.stats["ip.rx.martian"] == 1


def test_tcp_fast_path_over_ipv6_bytes_equal_the_ordinary_path():
    from scapy.all import IPv6

    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24", ip6="2001:db8::1/64")
    p = net.add_probe("p")
    net.add_link(h, s1)
    net.add_link(p, s1)
    me, peer = ip("2001:db8::1"), ip("2001:db8::99")
    h.ndp.cache(h.interfaces[1]).add_permanent(peer, PMAC, 0)
    net.run(until=3.0)  # duplicate address detection ends: the address becomes usable
    p.clear()
    layer = h.tcp
    before = h.stats["ip6.tx.packets"]
    for data in (b"", b"x", bytes(i % 253 for i in range(1427))):
        seg = ((me, 40000), (peer, 80), 7, 9, ACK | PSH if data else SYN, 300, data, encode_ts(5, 6))
        paths = layer._paths
        layer._paths = None
        layer._emit(*seg)
        layer._paths = paths
        layer._emit(*seg)
        net.run(until=net.now + 0.01)
        a, b = [Ether(f) for _, f in p.frames if Ether(f).type == 0x86DD]
        p.clear()
        assert bytes(a) == bytes(b)
        c = Ether(bytes(b))
        del c[TCP].chksum
        assert Ether(bytes(c))[TCP].chksum == b[TCP].chksum and b[IPv6].plen == 32 + len(data)
    assert (me, peer) in h._tcp_paths
    assert h.stats["ip6.tx.packets"] == before + 6  # counted on both paths


def test_ipv6_transport_fast_receive_matches_the_full_path():
    from scapy.all import IPv6, IPv6ExtHdrDestOpt

    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip6="2001:db8::1/64")
    p = net.add_probe("p")
    net.add_link(h, s1)
    net.add_link(p, s1)
    net.run(until=3.0)
    port = h.interfaces[1].port
    h.ndp.cache(h.interfaces[1]).add_permanent(ip("2001:db8::99"), PMAC, net.events.now)

    def deliver(pkt):
        h.receive(port, VerifiedFrame(bytes(Ether(dst=h.interfaces[1].mac, src=PMAC) / pkt)), net.events.now)

    rx = h.stats["ip6.rx.packets"]
    deliver(IPv6(src="2001:db8::99", dst="2001:db8::1") / UDP(sport=1, dport=9) / b"x")
    assert h.stats["udp.rx.no_port"] == 1 and h.stats["icmp6.tx.type1"] == 1  # port unreachable
    assert h.stats["ip6.rx.packets"] == rx + 1
    deliver(IPv6(src="2001:db8::99", dst="2001:db8::1") / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=9) / b"x")
    assert h.stats["udp.rx.no_port"] == 2 and h.stats["ip6.rx.packets"] == rx + 2  # the full path
    deliver(IPv6(src="ff02::1", dst="2001:db8::1") / UDP(sport=1, dport=9) / b"x")
    assert h.stats["ip6.rx.martian"] == 1


def test_udp_fast_path_follows_ttl_tos_and_default_ttl_changes():
    net, h, p, s = setup()
    s.send(b"a")
    s.send(b"b")
    frames(net, p)
    assert s._ep.fast is not None
    h.config.ttl = 33
    s.send(b"c")
    s.setsockopt(h.socket.IPPROTO_IP, h.socket.IP_TOS, 0x10)
    s.send(b"d")
    s.setsockopt(h.socket.IPPROTO_IP, h.socket.IP_TTL, 7)
    s.send(b"e")
    c, d, e = frames(net, p)
    assert (c[IP].ttl, c[IP].tos) == (33, 0)
    assert (d[IP].ttl, d[IP].tos) == (33, 0x10)
    assert (e[IP].ttl, e[IP].tos) == (7, 0x10)
