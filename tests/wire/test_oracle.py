"""Codecs against scapy in both directions, hypothesis round-trips, and malformed-input tables.

Ethernet (with 802.1Q), ARP, IPv4 (with options and fragments), ICMP, UDP over both IP
families' pseudo-headers, and the Internet checksum against a slow reference.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.all import ARP, ICMP, IP, UDP, Dot1Q, Ether, IPv6, Raw
from scapy.layers.inet import IPerror, UDPerror

from stack.addr import ip, mac
from stack.wire import BadChecksum, Malformed, Truncated
from stack.wire import arp, checksum, ethernet, icmp, ipv4, udp

A, B = mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02")
S, D = ip("192.0.2.1"), ip("198.51.100.2")
S6, D6 = ip("2001:db8::1"), ip("2001:db8::2")


def slow_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# -- checksum -------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=3000))
def test_checksum_matches_the_reference(data):
    assert checksum.internet_checksum(data) == slow_checksum(data)


@pytest.mark.parametrize("data", [b"", b"\xff\xff", b"\xff\xff" * 50, b"\x00" * 7, b"\x01", b"\xff"])
def test_checksum_edge_cases(data):
    assert checksum.internet_checksum(data) == slow_checksum(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1600), st.booleans(), st.sampled_from([6, 17, 58]))
def test_transport_checksum_equals_reference_over_the_pseudo_header(seg, v6, proto):
    src, dst = (S6, D6) if v6 else (S, D)
    n = len(seg)
    pseudo = src + dst + (n.to_bytes(4, "big") + bytes([0, 0, 0, proto]) if v6 else bytes([0, proto]) +
                          n.to_bytes(2, "big"))
    assert checksum.transport_checksum(src, dst, proto, seg) == slow_checksum(pseudo + seg) % 0xFFFF or \
        slow_checksum(pseudo + seg) == 0xFFFF


# -- Ethernet ------------------------------------------------------------------------------

def test_ethernet_both_ways_with_vlan():
    ours = ethernet.build(B, A, 0x0800, b"p" * 50, vlan=42, pcp=5)
    s = Ether(ours)
    assert (s.dst, s.src, s[Dot1Q].vlan, s[Dot1Q].prio, s[Dot1Q].type) == (
        "02:00:00:00:00:02", "02:00:00:00:00:01", 42, 5, 0x0800)
    theirs = bytes(Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01") / Dot1Q(vlan=7) / IP())
    hdr, payload = ethernet.parse(memoryview(theirs))
    assert (hdr.vlan, hdr.ethertype, bytes(payload)) == (7, 0x0800, bytes(IP()))


def test_ethernet_pads_to_minimum_and_rejects_bad_input():
    assert len(ethernet.build(B, A, 0x0806, b"x")) == 60
    with pytest.raises(Truncated):
        ethernet.parse(memoryview(b"\x00" * 13))
    with pytest.raises(Truncated):
        ethernet.parse(memoryview(bytes(12) + b"\x81\x00\x00"))
    with pytest.raises(Malformed):
        ethernet.parse(memoryview(bytes(12) + b"\x05\xdc" + bytes(46)))


# -- ARP ----------------------------------------------------------------------------------

def test_arp_both_ways():
    ours = arp.build(arp.REQUEST, A, S, bytes(6), D)
    s = ARP(ours)
    assert (s.op, s.hwsrc, s.psrc, s.pdst) == (1, "02:00:00:00:00:01", "192.0.2.1", "198.51.100.2")
    p = arp.parse(memoryview(bytes(ARP(op=2, hwsrc="02:00:00:00:00:02", psrc="198.51.100.2", pdst="192.0.2.1"))))
    assert (p.op, p.sha, p.spa, p.tpa) == (2, B, D, S)


@pytest.mark.parametrize("raw, exc", [
    (bytes(27), Truncated),
    (b"\x00\x06" + bytes(ARP())[2:], Malformed),
    (bytes(ARP())[:2] + b"\x86\xdd" + bytes(ARP())[4:], Malformed),
    (bytes(ARP(op=9)), Malformed),
])
def test_arp_malformed(raw, exc):
    with pytest.raises(exc):
        arp.parse(memoryview(raw))


# -- IPv4 ----------------------------------------------------------------------------------

def test_ipv4_both_ways_with_options_and_fragment_fields():
    hdr = ipv4.IPv4Header(S, D, 17, ttl=9, tos=0x10, ident=4242, df=False, mf=True, frag_offset=1480,
                          options=b"\x94\x04\x00\x00")  # Router Alert
    ours = ipv4.build(hdr, b"d" * 24)
    s = IP(ours)
    assert (s.src, s.dst, s.ttl, s.tos, s.id, s.flags.MF, s.frag * 8, s.ihl, s.len) == (
        "192.0.2.1", "198.51.100.2", 9, 0x10, 4242, True, 1480, 6, 48)
    chk = s.chksum
    del s.chksum
    assert IP(bytes(s)).chksum == chk
    theirs = bytes(IP(src="192.0.2.1", dst="198.51.100.2", ttl=3, id=7, flags="DF", options=[b"\x01\x01\x01\x00"])
                   / Raw(b"abc"))
    h, payload = ipv4.parse(memoryview(theirs))
    assert (h.ttl, h.ident, h.df, h.options, bytes(payload)) == (3, 7, True, b"\x01\x01\x01\x00", b"abc")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF), st.booleans(), st.booleans(),
       st.integers(0, 8000).map(lambda x: x * 8), st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4]),
       st.binary(max_size=300))
def test_ipv4_round_trip(ttl, tos, ident, df, mf, off, options, payload):
    hdr = ipv4.IPv4Header(S, D, 17, ttl, tos, ident, df, mf, off, options)
    raw = ipv4.build(hdr, payload)
    got, body = ipv4.parse(memoryview(raw))
    assert got._replace(total_length=0) == hdr and bytes(body) == payload


def test_ipv4_check_order_length_then_checksum_then_semantics():
    good = ipv4.build(ipv4.IPv4Header(S, D, 17), b"x" * 8)
    bad_sum_and_version = bytearray(good)
    bad_sum_and_version[0] = 0x65
    with pytest.raises(BadChecksum):  # the version is wrong too, but the checksum is checked first
        ipv4.parse(memoryview(bytes(bad_sum_and_version)))
    with pytest.raises(Truncated):  # truncation wins over a bad checksum
        ipv4.parse(memoryview(bytes(bad_sum_and_version)[:19]))
    fixed = bytearray(good)
    fixed[0] = 0x65
    fixed[10:12] = b"\0\0"
    fixed[10:12] = checksum.internet_checksum(bytes(fixed[:20])).to_bytes(2, "big")
    with pytest.raises(Malformed):
        ipv4.parse(memoryview(bytes(fixed)))


@pytest.mark.parametrize("mutate, exc", [
    (lambda b: b[:19], Truncated),
    (lambda b: b[:2] + (100).to_bytes(2, "big") + b[4:], Truncated),  # total length beyond the buffer
    (lambda b: b[:10] + b"\x12\x34" + b[12:], BadChecksum),
])
def test_ipv4_malformed(mutate, exc):
    with pytest.raises(exc):
        ipv4.parse(memoryview(mutate(ipv4.build(ipv4.IPv4Header(S, D, 17), b"x" * 8))))


def test_ipv4_trims_ethernet_padding():
    raw = ipv4.build(ipv4.IPv4Header(S, D, 17), b"x" * 8) + b"\0" * 18
    _, body = ipv4.parse(memoryview(raw))
    assert bytes(body) == b"x" * 8


# -- ICMP ---------------------------------------------------------------------------------

def test_icmp_both_ways():
    ours = icmp.build(icmp.ECHO_REQUEST, 0, icmp.echo_rest(0x1234, 9), b"ping")
    s = ICMP(ours)
    assert (s.type, s.id, s.seq, bytes(s.payload)) == (8, 0x1234, 9, b"ping")
    chk = s.chksum
    del s.chksum
    assert ICMP(bytes(s)).chksum == chk
    err = bytes(ICMP(type=3, code=4, nexthopmtu=1280) / IP(src="192.0.2.1", dst="198.51.100.2") / UDP(sport=1, dport=2))
    hdr, body = icmp.parse(memoryview(err))
    assert (hdr.type, hdr.code, hdr.mtu) == (3, 4, 1280)
    assert IPerror(bytes(body))[UDPerror].dport == 2
    with pytest.raises(BadChecksum):
        icmp.parse(memoryview(err[:2] + b"\0\0" + err[4:]))
    with pytest.raises(Truncated):
        icmp.parse(memoryview(err[:7]))


# -- UDP ----------------------------------------------------------------------------------

@pytest.mark.parametrize("v6", [False, True])
def test_udp_both_ways_over_both_families(v6):
    src, dst = (S6, D6) if v6 else (S, D)
    seg = udp.build(5353, 53, b"query", src, dst)
    if v6:
        pkt = IPv6(bytes(IPv6(src="2001:db8::1", dst="2001:db8::2", nh=17, plen=len(seg))) + seg)
    else:
        pkt = IP(bytes(IP(src="192.0.2.1", dst="198.51.100.2", proto=17, len=20 + len(seg))) + seg)
    u = pkt[UDP]
    chk = u.chksum
    del u.chksum
    assert (type(pkt)(bytes(pkt)))[UDP].chksum == chk
    theirs = bytes((IPv6(src="2001:db8::1", dst="2001:db8::2") if v6 else IP(src="192.0.2.1", dst="198.51.100.2"))
                   / UDP(sport=1, dport=2) / Raw(b"hello"))[40 if v6 else 20:]
    hdr, body = udp.parse(memoryview(theirs), src, dst)
    assert (hdr.sport, hdr.dport, bytes(body)) == (1, 2, b"hello")


def test_udp_zero_checksum_rules_and_errors():
    seg = bytearray(udp.build(1, 2, b"abc", S, D))
    seg[6:8] = b"\0\0"
    hdr, body = udp.parse(memoryview(bytes(seg)), S, D)  # no checksum over IPv4: accepted
    assert bytes(body) == b"abc"
    with pytest.raises(Malformed):
        udp.parse(memoryview(bytes(seg)), S6, D6)  # forbidden over IPv6
    good = udp.build(1, 2, b"abc", S, D)
    with pytest.raises(BadChecksum):
        udp.parse(memoryview(good[:6] + bytes([good[6] ^ 1]) + good[7:]), S, D)
    with pytest.raises(Truncated):
        udp.parse(memoryview(good[:7]), S, D)
    with pytest.raises(Malformed):
        udp.parse(memoryview(good[:4] + (4).to_bytes(2, "big") + good[6:]), S, D)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=1500), st.booleans())
def test_udp_round_trip(sport, dport, payload, v6):
    src, dst = (S6, D6) if v6 else (S, D)
    hdr, body = udp.parse(memoryview(udp.build(sport, dport, payload, src, dst)), src, dst)
    assert (hdr.sport, hdr.dport, bytes(body)) == (sport, dport, payload) and hdr.checksum != 0
