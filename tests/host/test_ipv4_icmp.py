"""IPv4 input validation, routing, fragmentation and reassembly, ICMP answers and errors, routers."""

import pytest
from scapy.all import ICMP, IP, UDP, Ether, Raw, fragment as scapy_fragment
from scapy.layers.inet import IPerror, UDPerror

from stack import Network
from stack.addr import ip, mac
from tests.helpers import echo_frame

PMAC = mac("02:99:00:00:00:99")
HMAC = mac("02:00:00:00:00:01")


def host_and_probe():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24")
    p = net.add_probe("p")
    net.add_link(h, s1, delay=0.001)
    net.add_link(p, s1, delay=0.001)
    # teach h the probe's MAC so replies need no ARP
    h.arp.cache(h.interfaces[1]).add_permanent(ip("192.0.2.99"), PMAC, 0)
    net.run(until=3)
    p.clear()
    return net, h, p


def refix(frame: bytes) -> bytes:
    """Recompute the IPv4 header checksum after a test changed a header field."""
    from stack.wire.checksum import internet_checksum

    head = bytearray(frame[14:34])
    head[10:12] = b"\0\0"
    head[10:12] = internet_checksum(bytes(head)).to_bytes(2, "big")
    return frame[:14] + bytes(head) + frame[34:]


def sent(p, layer=None):
    out = [Ether(f) for _, f in p.frames]
    return [e for e in out if layer is None or layer in e]


def test_echo_request_is_answered_with_same_id_seq_payload():
    net, h, p = host_and_probe()
    p.send(echo_frame(PMAC, HMAC, "192.0.2.99", "192.0.2.1", ident=77, seq=5, payload=b"abc" * 20))
    net.run(until=3.1)
    (r,) = sent(p, ICMP)
    assert r[ICMP].type == 0 and r[ICMP].id == 77 and r[ICMP].seq == 5 and r[Raw].load == b"abc" * 20
    assert r[IP].src == "192.0.2.1" and r[IP].dst == "192.0.2.99"
    # scapy recomputes the checksums of a copy: ours must equal them
    again = Ether(bytes(r))
    del again[IP].chksum, again[ICMP].chksum
    assert Ether(bytes(again))[ICMP].chksum == r[ICMP].chksum and Ether(bytes(again))[IP].chksum == r[IP].chksum


@pytest.mark.parametrize("mangle, counter", [
    (lambda b: b[:14 + 10] + b"\xde\xad" + b[14 + 12:], "ip.rx.bad_checksum"),
    (lambda b: refix(b[:14] + b"\x65" + b[15:]), "ip.rx.malformed"),  # version 6 in an IPv4 ethertype
    (lambda b: b[:14 + 12], "ip.rx.truncated"),
    (lambda b: b[:14 + 30], "ip.rx.truncated"),  # total length beyond the frame
])
def test_bad_ip_headers_are_dropped_counted_and_traced(mangle, counter):
    net, h, p = host_and_probe()
    frame = echo_frame(PMAC, HMAC, "192.0.2.99", "192.0.2.1", payload=b"z" * 40)
    p.send(mangle(frame))
    net.run(until=3.1)
    assert h.stats[counter] == 1
    assert not sent(p, ICMP)
    assert net.tracer.select(host="h", layer="ip", event="drop")


def test_bad_icmp_checksum_dropped():
    net, h, p = host_and_probe()
    f = bytearray(echo_frame(PMAC, HMAC, "192.0.2.99", "192.0.2.1"))
    f[14 + 20 + 2] ^= 0xFF
    p.send(bytes(f))
    net.run(until=3.1)
    assert h.stats["icmp.rx.bad_checksum"] == 1 and not sent(p, ICMP)


def test_martian_sources_and_foreign_destinations_dropped():
    net, h, p = host_and_probe()
    p.send(echo_frame(PMAC, HMAC, "127.0.0.1", "192.0.2.1"))
    p.send(echo_frame(PMAC, HMAC, "224.0.0.5", "192.0.2.1"))
    p.send(echo_frame(PMAC, HMAC, "192.0.2.99", "192.0.2.200"))
    net.run(until=3.1)
    assert h.stats["ip.rx.martian"] == 2 and h.stats["ip.rx.not_for_us"] == 1


def test_broadcast_ping_ignored_as_linux_does():
    net, h, p = host_and_probe()
    p.send(echo_frame(PMAC, b"\xff" * 6, "192.0.2.99", "192.0.2.255"))
    net.run(until=3.1)
    assert h.stats["icmp.rx.echo_broadcast_ignored"] == 1 and not sent(p, ICMP)


def test_unknown_protocol_draws_protocol_unreachable():
    net, h, p = host_and_probe()
    p.send(Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1", proto=253)
           / Raw(b"12345678"))
    net.run(until=3.1)
    (r,) = sent(p, ICMP)
    assert (r[ICMP].type, r[ICMP].code) == (3, 2)
    assert r[IPerror].proto == 253  # the quoted header


def test_port_unreachable_quotes_header_and_eight_bytes_and_is_rate_limited():
    net, h, p = host_and_probe()
    for i in range(20):
        p.send(Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1")
               / UDP(sport=1000 + i, dport=4444) / Raw(b"hello"))
    net.run(until=3.1)
    errs = sent(p, ICMP)
    assert len(errs) == 6  # Linux's per-destination burst
    assert h.stats["icmp.tx.ratelimited"] == 14
    e = errs[0]
    assert (e[ICMP].type, e[ICMP].code) == (3, 3)
    assert (e[UDPerror].sport, e[UDPerror].dport) == (1000, 4444)
    net.run(until=5.2)  # tokens refill at one per second
    p.clear()
    p.send(Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1")
           / UDP(sport=1, dport=4444))
    net.run(until=5.3)
    assert len(sent(p, ICMP)) == 1


def test_reassembly_of_scapy_fragments_in_any_order_with_duplicates():
    net, h, p = host_and_probe()
    rx = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    rx.bind(("", 5000))
    payload = bytes(range(256)) * 12
    pkt = IP(src="192.0.2.99", dst="192.0.2.1", id=999) / UDP(sport=1, dport=5000) / Raw(payload)
    frags = scapy_fragment(pkt, fragsize=512)
    order = [3, 0, 5, 1, 1, 4, 2] + list(range(6, len(frags)))
    for i in order:
        p.send(Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01") / frags[i])
    data, addr = rx.recvfrom(65535)
    assert data == payload and addr == ("192.0.2.99", 1)
    assert h.stats["ip.reasm.ok"] == 1 and h.stats["ip.reasm.duplicate"] == 1


def test_overlapping_fragments_discard_the_datagram():
    net, h, p = host_and_probe()
    base = Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01")
    p.send(base / IP(src="192.0.2.99", dst="192.0.2.1", id=5, flags="MF", frag=0, proto=17) / Raw(b"A" * 16))
    p.send(base / IP(src="192.0.2.99", dst="192.0.2.1", id=5, flags="MF", frag=1, proto=17) / Raw(b"B" * 16))
    p.send(base / IP(src="192.0.2.99", dst="192.0.2.1", id=5, frag=3, proto=17) / Raw(b"C" * 8))
    net.run(until=3.1)
    assert h.stats["ip.reasm.overlap"] == 1 and h.stats["ip.reasm.ok"] == 0


def test_incomplete_datagram_times_out_after_30s_with_time_exceeded():
    net, h, p = host_and_probe()
    base = Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01")
    p.send(base / IP(src="192.0.2.99", dst="192.0.2.1", id=6, flags="MF", frag=0, proto=17) / Raw(b"A" * 64))
    net.run(until=32.9)
    assert not sent(p, ICMP)
    net.run(until=33.1)
    (e,) = sent(p, ICMP)
    assert (e[ICMP].type, e[ICMP].code) == (11, 1)
    assert h.stats["ip.reasm.timeout"] == 1 and h.reasm.mem == 0


def test_reassembly_memory_is_bounded():
    net, h, p = host_and_probe()
    h.reasm.config.high_thresh = 10_000
    base = Ether(src="02:99:00:00:00:99", dst="02:00:00:00:00:01")
    for i in range(40):
        p.send(base / IP(src="192.0.2.99", dst="192.0.2.1", id=100 + i, flags="MF", proto=17) / Raw(b"A" * 1000))
    net.run(until=3.1)
    assert h.reasm.mem <= 10_000 and h.stats["ip.reasm.memory"] == 30


def test_longest_prefix_match_and_static_routes():
    net = Network(seed=1)
    h = net.add_host("h", ip=["192.0.2.1/24", "198.51.100.1/24"])
    net.add_link(h, net.add_probe("p1"))
    net.add_link(h, net.add_probe("p2"))
    h.set_gateway("192.0.2.254")
    h.add_route("203.0.113.0/24", "198.51.100.254")
    h.add_route("203.0.113.128/25", "192.0.2.253")
    assert h.routes.lookup(ip("203.0.113.5")).gateway == ip("198.51.100.254")
    assert h.routes.lookup(ip("203.0.113.200")).gateway == ip("192.0.2.253")
    assert h.routes.lookup(ip("8.8.8.8")).gateway == ip("192.0.2.254")
    assert h.routes.lookup(ip("198.51.100.77")).gateway is None
    assert h.source_for(ip("203.0.113.5")) == ip("198.51.100.1")
    with pytest.raises(OSError):
        h.add_route("10.0.0.0/8", "203.0.113.1")  # gateway not on a connected network


def routed():
    net = Network(seed=1)
    h1 = net.add_host("h1", ip="192.0.2.1/24", gateway="192.0.2.254")
    r = net.add_router("r", ip=["192.0.2.254/24", "198.51.100.254/24"])
    h2 = net.add_host("h2", ip="198.51.100.1/24", gateway="198.51.100.254")
    net.add_link(h1, r, delay=0.001)
    net.add_link(r, h2, delay=0.001, mtu=600)
    return net, h1, r, h2


def test_router_sends_frag_needed_for_df_and_host_learns_pmtu():
    net, h1, r, h2 = routed()
    rx = h2.socket.socket(h2.socket.AF_INET, h2.socket.SOCK_DGRAM)
    rx.bind(("", 9))
    tx = h1.socket.socket(h1.socket.AF_INET, h1.socket.SOCK_DGRAM)
    tx.sendto(b"x" * 1000, ("198.51.100.1", 9))  # fits h1's link: sent with DF (PMTU discovery)
    net.run(until=1)
    assert r.stats["ip.fwd.frag_needed"] == 1
    assert h1.path_mtu(ip("198.51.100.1")) == 600
    tx.sendto(b"y" * 1000, ("198.51.100.1", 9))  # now fragmented at the source
    data, _ = rx.recvfrom(2000)
    assert data == b"y" * 1000 and h1.stats["ip.tx.fragmented"] == 1
    assert net.tracer.select(host="h1", event="pmtu")


def test_router_decrements_ttl_and_reports_no_route():
    net, h1, r, h2 = routed()
    rx = h2.socket.socket(h2.socket.AF_INET, h2.socket.SOCK_DGRAM)
    rx.bind(("", 9))
    raw = h2.socket.socket(h2.socket.AF_INET, h2.socket.SOCK_RAW, h2.socket.IPPROTO_UDP)
    tx = h1.socket.socket(h1.socket.AF_INET, h1.socket.SOCK_DGRAM)
    tx.sendto(b"ttl", ("198.51.100.1", 9))
    packet, _ = raw.recvfrom(2000)
    assert IP(packet).ttl == 63
    assert rx.recv(10) == b"ttl"
    tx.connect(("203.0.113.9", 9))  # h1 routes it to r, which has no route
    tx.send(b"lost")
    net.run(until=net.now + 1)
    assert r.stats["ip.fwd.no_route"] == 1
    with pytest.raises(OSError) as e:
        tx.recv(10)
    assert e.value.errno == 101  # ENETUNREACH from ICMP net unreachable


def test_sending_without_a_route_fails_with_enetunreach():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    with pytest.raises(OSError) as e:
        s.sendto(b"x", ("203.0.113.1", 9))
    assert e.value.errno == 101


def test_loopback_delivery():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")
    a = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 7000))
    b = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    b.sendto(b"self", ("127.0.0.1", 7000))
    b.sendto(b"via own address", ("192.0.2.1", 7000))  # a is bound to 127.0.0.1 only
    assert a.recvfrom(10) == (b"self", ("127.0.0.1", b.getsockname()[1]))
    c = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    c.bind(("", 7001))
    b.sendto(b"mine", ("192.0.2.1", 7001))
    assert c.recvfrom(10) == (b"mine", ("192.0.2.1", b.getsockname()[1]))
