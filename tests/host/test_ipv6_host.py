"""A host's IPv6 layer driven with crafted packets from a probe: what it answers, drops, counts.

The probe plays a neighbor on the host's link (MAC 02:00:00:00:00:99, 2001:db8::99) and
scapy builds what it sends, so these packets come from an implementation that is not ours.
"""

import pytest
from scapy.all import (
    ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect,
    ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig,
    ICMPv6ParamProblem, ICMPv6TimeExceeded, UDP, Ether, HBHOptUnknown, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw,
)

from stack import Network
from stack.addr import ip, solicited_node

PMAC = "02:00:00:00:00:99"
PIP = "2001:db8::99"


def setup(**host_kw):
    net = Network(seed=7)
    h = net.add_host("h", ip6="2001:db8::1/64", **host_kw)
    p = net.add_probe("p")
    net.add_link(h, p, delay=0.001)
    net.run(until=3)  # DAD done, router solicitations sent
    p.frames.clear()
    hmac = ":".join("%02x" % b for b in h.interfaces[1].mac)
    return net, h, p, hmac


def to_host(hmac, *layers, src=PIP, dst="2001:db8::1", hlim=64):
    pkt = Ether(src=PMAC, dst=hmac) / IPv6(src=src, dst=dst, hlim=hlim)
    for layer in layers:
        pkt = pkt / layer
    return pkt


def replies(p, kind):
    out = []
    for _, f in p.frames:
        e = Ether(f)
        if e.haslayer(kind):
            out.append(e)
    return out


def neighbor_answered(net, h, p, hmac):
    """Make the probe known to the host (so its replies need no resolution)."""
    p.send(Ether(src=PMAC, dst="33:33:ff:00:00:01") / IPv6(src=PIP, dst="ff02::1:ff00:1", hlim=255) /
           ICMPv6ND_NS(tgt="2001:db8::1") / ICMPv6NDOptSrcLLAddr(lladdr=PMAC))
    net.run(until=net.now + 0.01)
    p.frames.clear()


def test_echo_request_answered_and_checksummed():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, ICMPv6EchoRequest(id=5, seq=6, data=b"hello")))
    net.run(until=net.now + 0.01)
    (r,) = replies(p, ICMPv6EchoReply)
    assert (r[ICMPv6EchoReply].id, r[ICMPv6EchoReply].seq, r[ICMPv6EchoReply].data) == (5, 6, b"hello")
    raw = bytes(r)
    again = Ether(raw)
    del again[ICMPv6EchoReply].cksum
    assert bytes(Ether(bytes(again))) == raw  # scapy computes the same checksum we sent


def test_neighbor_solicitation_answered_with_solicited_override_advert():
    net, h, p, hmac = setup()
    p.send(Ether(src=PMAC, dst="33:33:ff:00:00:01") / IPv6(src=PIP, dst="ff02::1:ff00:1", hlim=255) /
           ICMPv6ND_NS(tgt="2001:db8::1") / ICMPv6NDOptSrcLLAddr(lladdr=PMAC))
    net.run(until=net.now + 0.01)
    (na,) = replies(p, ICMPv6ND_NA)
    assert na[IPv6].dst == PIP and na[IPv6].hlim == 255 and na[Ether].dst == PMAC
    assert (na[ICMPv6ND_NA].S, na[ICMPv6ND_NA].O, na[ICMPv6ND_NA].R, na[ICMPv6ND_NA].tgt) == (1, 1, 0, "2001:db8::1")
    assert na[ICMPv6NDOptDstLLAddr].lladdr == hmac
    assert any(r[1] == PIP and r[2] == PMAC and r[3] == "STALE" for r in h.neighbors())  # §7.2.3


def test_nd_with_a_hop_limit_below_255_is_ignored():
    net, h, p, hmac = setup()
    p.send(Ether(src=PMAC, dst="33:33:ff:00:00:01") / IPv6(src=PIP, dst="ff02::1:ff00:1", hlim=254) /
           ICMPv6ND_NS(tgt="2001:db8::1") / ICMPv6NDOptSrcLLAddr(lladdr=PMAC))
    net.run(until=net.now + 0.01)
    assert replies(p, ICMPv6ND_NA) == [] and h.stats["ndp.rx.hop_limit"] == 1


def test_solicited_node_group_filters_frames():
    net, h, p, hmac = setup()
    # a solicitation for someone else's address goes to a group the host did not join: the NIC drops it
    p.send(Ether(src=PMAC, dst="33:33:ff:00:00:02") / IPv6(src=PIP, dst="ff02::1:ff00:2", hlim=255) /
           ICMPv6ND_NS(tgt="2001:db8::2"))
    net.run(until=net.now + 0.01)
    assert h.stats["eth.rx.filtered"] >= 1 and h.stats["ndp.rx.NeighborSolicit"] == 0
    assert solicited_node(ip("2001:db8::1")) in h.interfaces[1].mcast_groups


@pytest.mark.parametrize("otype, icmp_expected, mcast", [
    (0x1E, False, False),  # 00: skip and go on (the echo is answered)
    (0x5E, False, False),  # 01: discard silently
    (0x9E, True, False),   # 10: discard and send parameter problem, even to multicast
    (0x9E, True, True),
    (0xDE, True, False),   # 11: discard, and send parameter problem unless the destination was multicast
    (0xDE, False, True),
])
def test_unknown_destination_option_acts_by_its_high_bits(otype, icmp_expected, mcast):
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    dst = "ff02::1" if mcast else "2001:db8::1"
    pkt = Ether(src=PMAC, dst="33:33:00:00:00:01" if mcast else hmac) / IPv6(src=PIP, dst=dst) / \
        IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=otype, optdata=b"\x01\x02")]) / \
        ICMPv6EchoRequest(id=1, seq=1)
    p.send(pkt)
    net.run(until=net.now + 0.01)
    problems = replies(p, ICMPv6ParamProblem)
    echoed = replies(p, ICMPv6EchoReply)
    assert bool(problems) == icmp_expected
    assert bool(echoed) == (otype == 0x1E)
    if problems:
        pp = problems[0][ICMPv6ParamProblem]
        assert pp.code == 2 and pp.ptr == 40 + 2  # the option's type octet: fixed header, then 2 octets in


def test_routing_header_with_segments_left_draws_parameter_problem_at_its_type():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8::5"]), UDP(dport=9)))
    net.run(until=net.now + 0.01)
    (r,) = replies(p, ICMPv6ParamProblem)
    assert r[ICMPv6ParamProblem].code == 0 and r[ICMPv6ParamProblem].ptr == 42  # Segments Left... field 2 of it


def test_routing_header_with_no_segments_left_is_ignored():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8::5"]), ICMPv6EchoRequest()))
    net.run(until=net.now + 0.01)
    assert len(replies(p, ICMPv6EchoReply)) == 1


def test_hop_by_hop_not_first_is_a_parameter_problem_code_1():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop(), ICMPv6EchoRequest()))
    net.run(until=net.now + 0.01)
    (r,) = replies(p, ICMPv6ParamProblem)
    assert r[ICMPv6ParamProblem].code == 1 and r[ICMPv6ParamProblem].ptr == 40  # the Next Header naming it


def test_unknown_next_header_draws_parameter_problem_code_1():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    frame = bytearray(bytes(to_host(hmac, Raw(b"x" * 8))))
    frame[14 + 6] = 143 + 50  # an unassigned protocol number
    p.send(bytes(frame))
    net.run(until=net.now + 0.01)
    probs = replies(p, ICMPv6ParamProblem)
    assert probs and probs[-1][ICMPv6ParamProblem].code == 1 and probs[-1][ICMPv6ParamProblem].ptr == 6


def test_udp_to_a_closed_port_gets_port_unreachable_quoting_the_datagram():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, UDP(sport=1234, dport=9), Raw(b"q" * 20)))
    net.run(until=net.now + 0.01)
    (r,) = replies(p, ICMPv6DestUnreach)
    assert r[ICMPv6DestUnreach].code == 4
    assert bytes(r[ICMPv6DestUnreach].payload) == bytes(to_host(hmac, UDP(sport=1234, dport=9), Raw(b"q" * 20)))[14:]


def test_errors_are_never_sent_about_errors_or_to_multicast():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, ICMPv6TimeExceeded() / IPv6(src="2001:db8::1", dst="2001:db8::77") / UDP()))
    p.send(Ether(src=PMAC, dst="33:33:00:00:00:01") / IPv6(src=PIP, dst="ff02::1") / UDP(dport=9))
    net.run(until=net.now + 0.01)
    assert replies(p, ICMPv6DestUnreach) == [] and replies(p, ICMPv6ParamProblem) == []


def test_error_rate_limit():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    for i in range(50):
        p.send(to_host(hmac, UDP(sport=1000 + i, dport=9)))
    net.run(until=net.now + 0.01)
    sent = len(replies(p, ICMPv6DestUnreach))
    assert 0 < sent < 50 and h.stats["icmp6.tx.ratelimited"] == 50 - sent


def test_fragments_reassembled_in_any_order_and_overlap_discards():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    sock = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    sock.bind(("::", 5000 + 1))
    sock.settimeout(0)
    payload = bytes(range(256)) * 8
    whole = bytes(UDP(sport=7, dport=5001) / Raw(payload))
    udp_bytes = bytes(IPv6(src=PIP, dst="2001:db8::1") / UDP(sport=7, dport=5001) / Raw(payload))[40:]
    pieces = [(0, udp_bytes[:1024], True), (1024, udp_bytes[1024:2048], True), (2048, udp_bytes[2048:], False)]
    for off, data, more in reversed(pieces):
        p.send(to_host(hmac, IPv6ExtHdrFragment(nh=17, offset=off // 8, m=int(more), id=42), Raw(data)))
    net.run(until=net.now + 0.01)
    assert sock.recv(5000) == payload and h.stats["ip6.reasm.ok"] == 1
    # an overlapping fragment throws the whole datagram away (RFC 5722)
    p.send(to_host(hmac, IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=43), Raw(udp_bytes[:1024])))
    p.send(to_host(hmac, IPv6ExtHdrFragment(nh=17, offset=64, m=1, id=43), Raw(udp_bytes[512:1536])))
    p.send(to_host(hmac, IPv6ExtHdrFragment(nh=17, offset=1024 // 8, m=0, id=43), Raw(udp_bytes[1024:])))
    net.run(until=net.now + 0.01)
    assert h.stats["ip6.reasm.overlap"] == 1
    with pytest.raises(BlockingIOError):
        sock.recv(5000)
    del whole


def test_atomic_fragment_is_processed_at_once():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    p.send(to_host(hmac, IPv6ExtHdrFragment(nh=58, offset=0, m=0, id=9), ICMPv6EchoRequest(id=3)))
    net.run(until=net.now + 0.01)
    assert len(replies(p, ICMPv6EchoReply)) == 1 and h.stats["ip6.rx.atomic_fragment"] == 1
    assert not h.ip6.reasm.queues


def test_reassembly_timeout_sends_time_exceeded_only_when_the_first_fragment_came():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    udp_bytes = bytes(IPv6(src=PIP, dst="2001:db8::1") / UDP(sport=7, dport=9) / Raw(b"z" * 2000))[40:]
    p.send(to_host(hmac, IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=50), Raw(udp_bytes[:1024])))
    p.send(to_host(hmac, IPv6ExtHdrFragment(nh=17, offset=1024 // 8, m=1, id=51), Raw(udp_bytes[1024:1536])))
    net.run(until=net.now + 59)
    assert replies(p, ICMPv6TimeExceeded) == []
    neighbor_answered(net, h, p, hmac)  # the probe answers no solicitations: keep its cache entry fresh
    net.run(until=net.now + 2)
    (r,) = replies(p, ICMPv6TimeExceeded)
    assert r[ICMPv6TimeExceeded].code == 1 and h.stats["ip6.reasm.timeout"] == 2


def test_packet_too_big_lowers_the_path_mtu_but_never_below_1280():
    net, h, p, hmac = setup()
    neighbor_answered(net, h, p, hmac)
    dst = ip("2001:db8::99")
    quoted = IPv6(src="2001:db8::1", dst=PIP) / UDP(sport=1, dport=2) / Raw(b"x" * 100)
    p.send(to_host(hmac, ICMPv6PacketTooBig(mtu=1400) / quoted))
    net.run(until=net.now + 0.01)
    assert h.path_mtu(dst) == 1400
    p.send(to_host(hmac, ICMPv6PacketTooBig(mtu=600) / quoted))
    net.run(until=net.now + 0.01)
    assert h.path_mtu(dst) == 1280


def test_router_advertisement_configures_and_lifetimes_expire():
    net, h, p, hmac = setup()
    ll = "fe80::99"
    ra = (Ether(src=PMAC, dst="33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1", hlim=255) /
          ICMPv6ND_RA(routerlifetime=30, chlim=32) / ICMPv6NDOptSrcLLAddr(lladdr=PMAC) / ICMPv6NDOptMTU(mtu=1400) /
          ICMPv6NDOptPrefixInfo(prefix="2001:db8:5::", prefixlen=64, validlifetime=60, preferredlifetime=20))
    p.send(ra)
    net.run(until=net.now + 3)
    iface = h.interfaces[1]
    slaac = [a for a in iface.ipv6 if a.origin == "slaac"]
    assert len(slaac) == 1 and slaac[0].addr[:8] == ip("2001:db8:5::")[:8] and slaac[0].state.value == "preferred"
    assert iface.mtu6 == 1400 and h.ip6.hop_limit == 32
    default = [r for r in h.routes.routes if len(r.network) == 16 and r.prefix_len == 0]
    assert len(default) == 1 and default[0].gateway == ip(ll)
    net.run(until=net.now + 20)
    assert slaac[0].state.value == "deprecated"  # the preferred lifetime ran out
    net.run(until=net.now + 10)
    assert not [r for r in h.routes.routes if len(r.network) == 16 and r.prefix_len == 0]  # router lifetime
    net.run(until=net.now + 30)
    assert not [a for a in iface.ipv6 if a.origin == "slaac"]  # valid lifetime: the address is gone


def test_redirect_accepted_only_from_the_current_first_hop():
    net, h, p, hmac = setup()
    h.set_gateway("fe80::99")
    target = "fe80::77"
    far = "2001:db8:9::1"
    forged = (Ether(src="02:00:00:00:00:66", dst=hmac) / IPv6(src="fe80::66", dst="2001:db8::1", hlim=255) /
              ICMPv6ND_Redirect(tgt=target, dst=far) / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:77"))
    p.send(forged)
    net.run(until=net.now + 0.01)
    assert h.routes.lookup(ip(far)).gateway == ip("fe80::99") and h.stats["ndp.rx.redirect_not_from_router"] == 1
    real = (Ether(src=PMAC, dst=hmac) / IPv6(src="fe80::99", dst="2001:db8::1", hlim=255) /
            ICMPv6ND_Redirect(tgt=target, dst=far) / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:77"))
    p.send(real)
    net.run(until=net.now + 0.01)
    assert h.routes.lookup(ip(far)).gateway == ip(target) and h.stats["ndp.redirect.accepted"] == 1


def test_neighbor_queue_is_bounded_and_failure_reported():
    net, h, p, hmac = setup()
    s = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    for i in range(300):
        s.sendto(b"x" * 1000, ("2001:db8::55", 9))
    assert h.stats["ndp.drop.queue_full"] > 0
    net.run(until=net.now + 5)
    assert h.stats["ndp.failed"] == 1
    nss = replies(p, ICMPv6ND_NS)
    assert len(nss) == 3 and all(n[IPv6].dst == "ff02::1:ff00:55" for n in nss)


def test_hostile_ipv6_frames_never_raise():
    import random

    net, h, p, hmac = setup()
    rng = random.Random(3)
    base = bytes(to_host(hmac, IPv6ExtHdrHopByHop(), IPv6ExtHdrFragment(nh=17, m=1, id=1), UDP(), Raw(b"x" * 40)))
    for _ in range(400):
        b = bytearray(base)
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(14, len(b))] = rng.randrange(256)
        p.send(bytes(b[:rng.randrange(14, len(b) + 1)]))
    net.run(until=net.now + 70)
    assert h.stats["host.rx.internal_error"] == 0
    assert sum(v for k, v in h.stats.items() if k.startswith(("ip6.rx.", "ip6.reasm."))) > 0
