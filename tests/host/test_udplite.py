"""UDP-Lite (RFC 3828): checksum coverage on the wire (tshark verifies our checksums), what a
receiver does with damage outside the coverage, and the socket options Linux offers."""

from scapy.all import IP, IPv6, Ether, Raw

from stack import Network
from stack.addr import ip
from stack.wire import udplite
from tshark import tshark_fields, tshark_problems

PMAC = "02:99:00:00:00:99"


def pair(capture=None):
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24", ip6="2001:db8::1/64")
    h2 = net.add_host("h2", ip="192.0.2.2/24", ip6="2001:db8::2/64")
    p = net.add_probe("p")
    for n in (h1, h2, p):
        net.add_link(n, s1, delay=0.0001)
    if capture:
        net.capture(capture)
    return net, h1, h2, p


def test_coverage_and_checksums_as_tshark_reads_them(tmp_path):
    pcap = str(tmp_path / "udplite.pcapng")
    net, h1, h2, _ = pair(pcap)

    def rx(socket):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDPLITE)
        s.bind(("::", 4000))
        return sorted(s.recvfrom(100)[0] for _ in range(4))

    def tx(socket):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDPLITE)
        s.sendto(b"full coverage", ("2001:db8::2", 4000))
        s.sendto(b"full v4", ("::ffff:192.0.2.2", 4000))
        s.setsockopt(socket.IPPROTO_UDPLITE, socket.UDPLITE_SEND_CSCOV, 12)
        s.sendto(b"partial coverage", ("2001:db8::2", 4000))
        s.sendto(b"partial v4 .", ("::ffff:192.0.2.2", 4000))

    t = h2.spawn(rx)
    h1.spawn(tx)
    net.run()
    assert t.result == [b"full coverage", b"full v4", b"partial coverage", b"partial v4 ."]
    prefs = ["-o", "udplite.check_checksum:TRUE", "-o", "udplite.ignore_checksum_coverage:FALSE"]
    rows = tshark_fields(pcap, ["ip.proto", "ipv6.nxt", "udp.checksum_coverage", "udp.length", "udp.checksum.status"],
                         "udplite && eth.src == 02:00:00:00:00:01", extra=prefs)
    # Linux sends the datagram's length as the coverage unless a smaller one was asked for
    # (each datagram is captured on both links of its way)
    got = {(r[2], r[3], r[4]) for r in rows}
    assert len(rows) == 8 and got == {("21", "21", "1"), ("15", "15", "1"), ("12", "24", "1"), ("12", "20", "1")}, rows
    assert {r[0] or r[1] for r in rows} == {"136"}
    assert tshark_problems(pcap) == []


def _frame(h2, payload: bytes, coverage: int, flip: int | None = None, v6=False) -> bytes:
    src, dst = (ip("2001:db8::99"), ip("2001:db8::2")) if v6 else (ip("192.0.2.99"), ip("192.0.2.2"))
    seg = bytearray(udplite.build(5555, 4000, payload, src, dst, coverage))
    if flip is not None:
        seg[flip] ^= 0x40
    l3 = IPv6(src="2001:db8::99", dst="2001:db8::2", nh=136) if v6 else IP(src="192.0.2.99", dst="192.0.2.2",
                                                                            proto=136)
    return bytes(Ether(src=PMAC, dst=h2.interfaces[1].mac.hex(":")) / l3 / Raw(bytes(seg)))


def test_damage_outside_the_coverage_is_delivered_inside_it_dropped():
    net, h1, h2, p = pair()
    s = h2.socket.socket(h2.socket.AF_INET, h2.socket.SOCK_DGRAM, h2.socket.IPPROTO_UDPLITE)
    s.bind(("", 4000))
    s.setblocking(False)
    p.send(_frame(h2, b"header+4 covered, rest not", 12, flip=20))  # a bit flipped past the coverage
    net.run(until=net.now + 1000)
    data, addr = s.recvfrom(100)
    assert addr == ("192.0.2.99", 5555) and data != b"header+4 covered, rest not" and len(data) == 26
    p.send(_frame(h2, b"header+4 covered, rest not", 12, flip=9))  # inside: the checksum catches it
    net.run(until=net.now + 1000)
    assert h2.stats["udplite.rx.bad_checksum"] == 1
    p.send(_frame(h2, b"x", 5))  # coverage 1-7 is illegal (RFC 3828 section 3.1)
    p.send(_frame(h2, b"x", 0)[:-1] + b"\0")  # a zero checksum is illegal too, and so is this one
    net.run(until=net.now + 1000)
    assert h2.stats["udplite.rx.malformed"] >= 1
    # a receiver that asks for full coverage, or for more than was covered, drops partial datagrams
    s.setsockopt(h2.socket.IPPROTO_UDPLITE, h2.socket.UDPLITE_RECV_CSCOV, 0)
    p.send(_frame(h2, b"partial", 12))
    p.send(_frame(h2, b"whole", 0))
    net.run(until=net.now + 1000)
    assert s.recv(100) == b"whole"
    s.setsockopt(h2.socket.IPPROTO_UDPLITE, h2.socket.UDPLITE_RECV_CSCOV, 16)
    p.send(_frame(h2, b"twelve bytes", 12))
    p.send(_frame(h2, b"sixteen .. bytes", 16))
    net.run(until=net.now + 1000)
    assert s.recv(100) == b"sixteen .. bytes"
    assert h2.stats["udplite.rx.coverage_too_small"] == 2
    s6 = h2.socket.socket(h2.socket.AF_INET6, h2.socket.SOCK_DGRAM, h2.socket.IPPROTO_UDPLITE)
    s6.bind(("2001:db8::2", 4000))
    s6.setblocking(False)
    p.send(_frame(h2, b"over IPv6, damaged past coverage", 10, flip=30, v6=True))
    net.run(until=net.now + 1000)
    data, addr = s6.recvfrom(100)
    assert addr[:2] == ("2001:db8::99", 5555) and len(data) == 32 and data != b"over IPv6, damaged past coverage"
    assert h2.stats["udp.rx.datagrams"] == 0  # a separate protocol, with its own counters


def test_icmp_port_unreachable_reaches_a_connected_udplite_socket():
    net, h1, h2, _ = pair()

    def client(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDPLITE)
        s.connect(("192.0.2.2", 4001))
        s.send(b"anyone?")
        s.settimeout(1)
        try:
            s.recv(10)
        except OSError as e:
            return e.errno

    t = h1.spawn(client)
    net.run()
    assert t.result == 111
    assert h2.stats["udplite.rx.no_port"] == 1
