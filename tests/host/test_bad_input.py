"""Hostile and random frames never raise out of the stack, are counted, and do not disturb real traffic."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw

from stack import Network
from stack.addr import mac
from stack.wire import ethernet

PMAC = mac("02:99:00:00:00:99")
HMAC = mac("02:00:00:00:00:01")


def victim():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    p = net.add_probe("p")
    for n in (h, h2, p):
        net.add_link(n, s1, delay=0.0001)
    return net, h, h2, p


def valid_traffic_still_flows(net, h, h2):
    rx = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    rx.bind(("", 6000))
    tx = h2.socket.socket(h2.socket.AF_INET, h2.socket.SOCK_DGRAM)
    tx.sendto(b"still alive", ("192.0.2.1", 6000))
    rx.settimeout(1)
    assert rx.recvfrom(100)[0] == b"still alive"


def ip_over_eth(payload: bytes) -> bytes:
    return ethernet.build(HMAC, PMAC, ethernet.ETH_P_IP, payload)


TABLE = [
    b"",
    b"\x00" * 5,
    ethernet.build(HMAC, PMAC, 0x0800, b"")[:14],
    ethernet.build(HMAC, PMAC, 0x0806, b"\x00\x01\x08\x00\x06"),  # truncated ARP
    ethernet.build(HMAC, PMAC, 0x0806, b"\x00\x06\x08\x00\x06\x04\x00\x01" + bytes(20)),  # wrong htype
    ethernet.build(HMAC, PMAC, 0x0806, b"\x00\x01\x08\x00\x06\x04\x00\x09" + bytes(20)),  # unknown op
    ethernet.build(HMAC, PMAC, 0x8100, b"\x00"),  # cut 802.1Q tag
    ethernet.build(HMAC, PMAC, 0x0100, b"802.3 length"),
    ip_over_eth(b"\x4f" + bytes(59)),  # IHL 60 in a short packet
    ip_over_eth(b"\x44" + bytes(30)),  # IHL 16 < 20
    bytes(Ether(dst="02:00:00:00:00:01", src="02:99:00:00:00:99") / IP(src="192.0.2.99", dst="192.0.2.1", ihl=15,
                                                                       options=[]) / Raw(b"x" * 60)),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1", len=10) / UDP()),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / UDP(len=4)),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / UDP(len=400) / Raw(b"a")),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / UDP(chksum=0x1234) / Raw(b"a")),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / ICMP(type=3, code=4) / Raw(b"q")),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / ICMP(type=3, code=3)
          / IP(src="192.0.2.1", dst="192.0.2.99", ihl=2)),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / ICMP(type=11)
          / IP(src="192.0.2.1", dst="192.0.2.99") / UDP()),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1", flags="MF", frag=8190) / Raw(b"a" * 8)),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1", flags="MF") / Raw(b"abc")),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1", flags=4) / Raw(b"abc")),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="0.0.0.0", dst="192.0.2.1") / UDP(dport=9)),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / TCP(dataofs=15)),
    bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / TCP(dataofs=2)),
    bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / IP(src="192.0.2.99", dst="192.0.2.1") / UDP(dport=9)),
]


def test_table_of_malformed_frames():
    net, h, h2, p = victim()
    for f in TABLE:
        p.send(f)
        net.run(until=net.now + 0.01)
    assert h.stats["host.rx.internal_error"] == 0
    drops = sum(v for k, v in h.stats.items() if ".rx." in k and k.split(".")[-1] in (
        "truncated", "malformed", "bad_checksum", "martian", "not_for_us", "vlan", "unknown_ethertype",
        "bad_fragment", "short_quote", "bad_quote", "filtered"))
    assert drops >= 15
    assert len(net.tracer.select(host="h", event="drop")) >= 15
    valid_traffic_still_flows(net, h, h2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=200), st.sampled_from([0x0800, 0x0806, 0x86DD, 0x8100, 0x1234]))
def test_random_payloads_after_a_valid_ethernet_header(payload, ethertype):
    net, h, h2, p = victim()
    p.send(ethernet.build(HMAC, PMAC, ethertype, payload))
    net.run(until=0.01)
    assert h.stats["host.rx.internal_error"] == 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_bit_flips_in_valid_packets(data):
    net, h, h2, p = victim()
    base = bytearray(data.draw(st.sampled_from([
        bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / UDP(dport=9) / Raw(b"x" * 20)),
        bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / ICMP() / Raw(b"x" * 20)),
        bytes(Ether(dst="02:00:00:00:00:01") / IP(src="192.0.2.99", dst="192.0.2.1") / ICMP(type=3, code=4)
              / IP(src="192.0.2.1", dst="192.0.2.99") / UDP()),
    ])))
    for bit in data.draw(st.lists(st.integers(0, len(base) * 8 - 1), min_size=1, max_size=6)):
        base[bit >> 3] ^= 0x80 >> (bit & 7)
    p.send(bytes(base))
    net.run(until=0.01)
    assert h.stats["host.rx.internal_error"] == 0


def test_a_storm_of_random_frames_leaves_legitimate_traffic_unaffected():
    net, h, h2, p = victim()
    rng = random.Random(5)
    for _ in range(2000):
        n = rng.randrange(0, 120)
        body = bytes(rng.randrange(256) for _ in range(n))
        p.send(ethernet.build(HMAC, PMAC, rng.choice([0x0800, 0x0806]), body))
    net.run(until=0.1)
    assert h.stats["host.rx.internal_error"] == 0
    valid_traffic_still_flows(net, h, h2)
