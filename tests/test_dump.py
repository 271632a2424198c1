"""tcpdump-style one-line rendering of frames, checked against frames scapy builds."""

import pytest
from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, Raw
from scapy.layers.inet import IPerror, UDPerror  # noqa: F401

from stack.dump import describe

E = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


@pytest.mark.parametrize("pkt, text", [
    (Ether(**E) / ARP(op=1, psrc="192.0.2.1", pdst="192.0.2.2"),
     "ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28"),
    (Ether(**E) / ARP(op=2, psrc="192.0.2.2", hwsrc="02:00:00:00:00:02", pdst="192.0.2.1"),
     "ARP, Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 28"),
    (Ether(**E) / ARP(op=1, psrc="192.0.2.9", pdst="192.0.2.9"), "ARP, Announcement 192.0.2.9, length 28"),
    (Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=5000, dport=7) / Raw(b"x" * 100),
     "IP 192.0.2.1.5000 > 192.0.2.2.7: UDP, length 100"),
    (Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=8, id=7, seq=3) / Raw(b"y" * 56),
     "IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 7, seq 3, length 64"),
    (Ether(**E) / IP(src="192.0.2.254", dst="192.0.2.1") / ICMP(type=3, code=4, nexthopmtu=576)
     / IP(src="192.0.2.1", dst="198.51.100.1") / UDP(sport=1, dport=2),
     "IP 192.0.2.254 > 192.0.2.1: ICMP 192.0.2.1.1 > 198.51.100.1.2 udp need to frag unreachable (mtu 576), "
     "length 36"),
    (Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2") / TCP(sport=40000, dport=80, flags="S", seq=1, window=65535,
                                                             options=[("MSS", 1460), ("SAckOK", b""),
                                                                      ("Timestamp", (1, 0)), ("NOP", None),
                                                                      ("WScale", 7)]),
     "IP 192.0.2.1.40000 > 192.0.2.2.80: Flags [S], seq 1, win 65535, "
     "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"),
    (Ether(**E) / IP(src="192.0.2.2", dst="192.0.2.1") / TCP(sport=80, dport=40000, flags="PA", seq=10, ack=2,
                                                             window=501) / Raw(b"z" * 10),
     "IP 192.0.2.2.80 > 192.0.2.1.40000: Flags [P.], seq 10:20, ack 2, win 501, length 10"),
    (Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2", id=5, flags="MF") / UDP(sport=1, dport=2) / Raw(b"q" * 16),
     "IP 192.0.2.1.1 > 192.0.2.2.2: UDP (frag id 5, offset 0, flags [+])"),
    (Ether(**E) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2),
     "IP6 2001:db8::1.1 > 2001:db8::2.2: UDP, length 0"),
])
def test_lines_match_tcpdump_style(pkt, text):
    assert describe(bytes(pkt)) == text


def test_link_prefix_and_never_raising():
    f = bytes(Ether(**E) / ARP(op=1, psrc="192.0.2.1", pdst="192.0.2.2"))
    assert describe(f, link=True).startswith("02:00:00:00:00:01 > 02:00:00:00:00:02, ARP")
    for junk in (b"", b"\x00" * 13, f[:20], bytes(Ether(**E) / IP(ihl=15) / Raw(b"a")), b"\xff" * 60):
        assert isinstance(describe(junk), str)
    assert describe(b"").startswith("[malformed ethernet")


def test_ipv6_lines_read_like_tcpdump():
    from stack.addr import ip
    from stack.wire import ethernet, icmpv6 as i6, ipv6, tcp, udp

    s, d = ip("2001:db8::1"), ip("2001:db8::2")
    mac = b"\x02" * 6

    def frame(nh, payload, hlim=64):
        return ethernet.build(mac, mac, ethernet.ETH_P_IPV6, ipv6.build(s, d, nh, payload, hlim))

    ns = i6.build_nd(i6.NeighborSolicit(d, i6.NdOptions(source_lladdr=mac)), s, d)
    assert describe(frame(58, ns, 255)) == \
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32"
    na = i6.build_nd(i6.NeighborAdvert(d, False, True, True, i6.NdOptions(target_lladdr=mac)), s, d)
    assert describe(frame(58, na, 255)).endswith("neighbor advertisement, tgt is 2001:db8::2, length 32, "
                                                 "Flags [solicited, override]")
    assert describe(frame(17, udp.build(1, 2, b"abc", s, d))) == "IP6 2001:db8::1.1 > 2001:db8::2.2: UDP, length 3"
    assert describe(frame(44, ipv6.build_fragment(17, 0, True, 5) + udp.build(1, 2, b"abcdefgh", s, d))) == \
        "IP6 2001:db8::1.1 > 2001:db8::2.2: frag (0x00000005:0|16+) UDP, length 8"
    assert describe(frame(6, tcp.build(1, 2, 3, 4, 0x12, 100, b"", s, d))) == \
        "IP6 2001:db8::1.1 > 2001:db8::2.2: Flags [S.], seq 3, ack 4, win 100, length 0"
    ptb = i6.build(2, 0, 1280, b"", s, d)
    assert describe(frame(58, ptb)) == "IP6 2001:db8::1 > 2001:db8::2: ICMP6, packet too big, mtu 1280, length 8"
    assert describe(frame(58, b"\x80")).startswith("IP6 2001:db8::1 > 2001:db8::2: next-header 58")
