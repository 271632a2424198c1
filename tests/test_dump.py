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
     "IP6 2001:db8::1 > 2001:db8::2: next-header 17, length 8"),
])
def test_lines_match_tcpdump_style(pkt, text):
    assert describe(bytes(pkt)) == text


def test_link_prefix_and_never_raising():
    f = bytes(Ether(**E) / ARP(op=1, psrc="192.0.2.1", pdst="192.0.2.2"))
    assert describe(f, link=True).startswith("02:00:00:00:00:01 > 02:00:00:00:00:02, ARP")
    for junk in (b"", b"\x00" * 13, f[:20], bytes(Ether(**E) / IP(ihl=15) / Raw(b"a")), b"\xff" * 60):
        assert isinstance(describe(junk), str)
    assert describe(b"").startswith("[malformed ethernet")
