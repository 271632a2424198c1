"""The IPv6 layer's input and output rules on the simulator: the extension header chain,
fragments at the source and in reassembly, ICMPv6 errors and their limits, routers'
errors, path MTU, hostile frames, and tshark's reading of a capture.

The probe plays a neighbor (2001:db8::99, MAC 02:00:00:00:00:99) already in the host's
neighbor cache, so every answer goes straight back to it.
"""

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.all import (
    UDP, HBHOptUnknown, ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
    ICMPv6ND_RA, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, ICMPv6ParamProblem,
    ICMPv6TimeExceeded, Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
    PadN, Raw, defragment6, rdpcap,
)

from stack import Network
from stack.addr import ip, mac_str
from stack.wire import ethernet
from stack.wire import icmpv6 as i6
from stack.wire import ipv6 as ipv6_wire
from tests.tshark import tshark_problems

PMAC = "02:00:00:00:00:99"
PIP = "2001:db8::99"
HIP = "2001:db8::1"


def setup(seed=7, **kw):
    net = Network(seed=seed)
    h = net.add_host("h", ip6=HIP + "/64", **kw)
    p = net.add_probe("p")
    net.add_link(h, p, delay=0.001)
    net.run(until=3)
    h.ndp.cache(h.interfaces[1]).add_permanent(ip(PIP), bytes.fromhex(PMAC.replace(":", "")), 0)
    p.clear()
    return net, h, p, mac_str(h.interfaces[1].mac)


def send(net, p, pkt, dt=0.01):
    p.send(pkt)
    net.run(until=net.now + dt)


def to_host(hmac, *layers, src=PIP, dst=HIP, hlim=64, edst=None):
    pkt = Ether(src=PMAC, dst=edst or hmac) / IPv6(src=src, dst=dst, hlim=hlim)
    for layer in layers:
        pkt = pkt / layer
    return pkt


def got(p, layer):
    return [Ether(f) for _, f in p.frames if Ether(f).haslayer(layer)]


def udp_bytes(payload, sport=7, dport=9, src=PIP, dst=HIP):
    return bytes(IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload))[40:]


def frag(hmac, off, more, ident, data, nh=17):
    return to_host(hmac, IPv6ExtHdrFragment(nh=nh, offset=off // 8, m=int(more), id=ident), Raw(data))


def listener(h, port):
    s = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    s.bind(("::", port))
    s.settimeout(0)
    return s


# -- the extension header chain (RFC 8200 §4) -----------------------------------------------

@pytest.mark.parametrize("otype, problem, echoed", [
    (0x3E, False, True),   # 00: skip
    (0x7E, False, False),  # 01: discard silently
    (0xBE, True, False),   # 10: discard, parameter problem
    (0xFE, True, False),   # 11: discard, parameter problem (unicast destination)
])
def test_unknown_hop_by_hop_option_after_padding_points_at_its_type_octet(otype, problem, echoed):
    net, h, p, hmac = setup()
    hbh = IPv6ExtHdrHopByHop(nh=58, autopad=0, options=[PadN(optdata=b"\0\0"), HBHOptUnknown(otype=otype,
                                                                                               optdata=b"")])
    send(net, p, to_host(hmac, hbh, ICMPv6EchoRequest(id=2, seq=2)))
    pp = got(p, ICMPv6ParamProblem)
    assert bool(pp) == problem and bool(got(p, ICMPv6EchoReply)) == echoed
    if problem:
        (e,) = pp
        assert (e[ICMPv6ParamProblem].code, e[ICMPv6ParamProblem].ptr) == (2, 40 + 2 + 4)
        assert e[IPv6].dst == PIP and e[IPv6].src == HIP
    assert h.stats["ip6.rx.unknown_option"] == (0 if otype == 0x3E else 1)


def test_hop_by_hop_unknown_option_in_a_multicast_packet_follows_the_multicast_rule():
    net, h, p, hmac = setup()
    for otype in (0xBE, 0xFE):
        hbh = IPv6ExtHdrHopByHop(nh=58, options=[HBHOptUnknown(otype=otype, optdata=b"ab")])
        send(net, p, to_host(hmac, hbh, ICMPv6EchoRequest(), dst="ff02::1", edst="33:33:00:00:00:01"))
    (e,) = got(p, ICMPv6ParamProblem)  # only the 10 option; never for 11 to a multicast address
    assert e[ICMPv6ParamProblem].code == 2 and e[IPv6ExtHdrHopByHop].options[0].otype == 0xBE
    assert e[IPv6].src == HIP  # from a unicast address of ours, never the group (§2.2)


def test_unknown_next_header_after_a_destination_options_header_points_at_that_headers_next_header():
    net, h, p, hmac = setup()
    frame = bytearray(bytes(to_host(hmac, IPv6ExtHdrDestOpt(nh=17), Raw(b"z" * 16))))
    frame[14 + 40] = 253  # the destination options header now names an experimental protocol
    send(net, p, bytes(frame))
    (e,) = got(p, ICMPv6ParamProblem)
    assert (e[ICMPv6ParamProblem].code, e[ICMPv6ParamProblem].ptr) == (1, 40)
    assert h.stats["ip6.rx.unknown_protocol"] == 1


@pytest.mark.parametrize("rtype, segleft, problem", [(0, 0, False), (253, 0, False), (253, 2, True), (4, 1, True)])
def test_routing_header_ignored_without_segments_left_else_parameter_problem_at_its_type(rtype, segleft, problem):
    net, h, p, hmac = setup()
    rh = IPv6ExtHdrRouting(nh=58, type=rtype, segleft=segleft, addresses=["2001:db8::5"])
    send(net, p, to_host(hmac, rh, ICMPv6EchoRequest(id=4)))
    pp = got(p, ICMPv6ParamProblem)
    assert bool(pp) == problem and bool(got(p, ICMPv6EchoReply)) == (not problem)
    if problem:
        assert (pp[0][ICMPv6ParamProblem].code, pp[0][ICMPv6ParamProblem].ptr) == (0, 42)


def test_no_next_header_is_dropped_without_an_error_and_a_cut_extension_header_is_counted():
    net, h, p, hmac = setup()
    send(net, p, to_host(hmac, IPv6ExtHdrDestOpt(nh=59), Raw(b"ignored trailer")))
    frame = bytearray(bytes(to_host(hmac, IPv6ExtHdrDestOpt(nh=17), UDP(dport=9))))
    frame[14 + 41] = 9  # the header now claims 80 octets in a 16-octet payload
    send(net, p, bytes(frame))
    assert not got(p, ICMPv6ParamProblem) and not got(p, ICMPv6DestUnreach)
    assert h.stats["ip6.rx.no_next_header"] == 1 and h.stats["ip6.rx.truncated"] == 1
    assert h.stats["host.rx.internal_error"] == 0


# -- fragments at the source and in reassembly (RFC 8200 §4.5, RFC 5722, RFC 6946, RFC 7112) -------

def test_a_big_datagram_is_fragmented_at_the_source_to_the_link_mtu_and_reassembled_by_the_peer(tmp_path):
    net = Network(seed=3)
    a = net.add_host("a", ip6="2001:db8::a/64")
    b = net.add_host("b", ip6="2001:db8::b/64")
    net.add_link(a, b, delay=0.001, mtu=1280)
    path = str(tmp_path / "frag.pcapng")
    net.capture(path)
    rx = listener(b, 4000)
    payload = bytes(range(256)) * 16  # 4096 octets
    a.socket.socket(a.socket.AF_INET6, a.socket.SOCK_DGRAM).sendto(payload, ("2001:db8::b", 4000))
    net.run(until=0.1)
    assert rx.recvfrom(5000)[0] == payload
    net.stop_capture()
    frags = [f for f in rdpcap(path) if f.haslayer(IPv6ExtHdrFragment)]
    assert len(frags) == 4 and all(len(bytes(f[IPv6])) <= 1280 for f in frags)
    assert len({f[IPv6ExtHdrFragment].id for f in frags}) == 1
    assert [f[IPv6ExtHdrFragment].m for f in frags] == [1, 1, 1, 0]
    assert [f[IPv6ExtHdrFragment].offset * 8 for f in frags] == [0, 1232, 2464, 3696]
    whole = defragment6([IPv6(bytes(f[IPv6])) for f in frags])  # scapy puts them back together as well
    assert bytes(whole[UDP].payload) == payload and a.stats["ip6.tx.fragmented"] == 1 and b.stats["ip6.reasm.ok"] == 1


def test_fragments_out_of_order_and_duplicated_are_reassembled_once():
    net, h, p, hmac = setup()
    rx = listener(h, 9)
    data = udp_bytes(b"q" * 3000)
    pieces = [(0, data[:1000 // 8 * 8], True), (1000 // 8 * 8, data[1000 // 8 * 8:2000], True),
              (2000, data[2000:], False)]
    order = [2, 0, 2, 1, 0]
    for i in order:
        off, chunk, more = pieces[i]
        p.send(frag(hmac, off, more, 77, chunk))
    net.run(until=net.now + 0.01)
    assert rx.recv(4000) == b"q" * 3000
    with pytest.raises(BlockingIOError):
        rx.recv(4000)
    assert h.stats["ip6.reasm.ok"] == 1 and h.stats["ip6.reasm.duplicate"] == 1


@pytest.mark.parametrize("case, code, pointer, counter", [
    ("length not a multiple of 8 with M set", 0, 4, "ip6.rx.param_problem0"),
    ("beyond 65535 octets", 0, 42, "ip6.rx.param_problem0"),
    ("first fragment without the upper-layer header", 3, 0, "ip6.rx.incomplete_chain"),
])
def test_bad_fragments_draw_parameter_problems_with_rfc_pointers(case, code, pointer, counter):
    net, h, p, hmac = setup()
    if case.startswith("length"):
        pkt = frag(hmac, 0, True, 1, udp_bytes(b"x" * 20)[:27])
    elif case.startswith("beyond"):
        pkt = frag(hmac, 65528, False, 2, b"y" * 16)
    else:  # the fragment header, a destination options header, then 16 of TCP's 20 header octets
        pkt = to_host(hmac, IPv6ExtHdrFragment(nh=60, offset=0, m=1, id=3),
                      Raw(bytes(IPv6ExtHdrDestOpt(nh=6)) + bytes(16)))
    send(net, p, pkt)
    (e,) = got(p, ICMPv6ParamProblem)
    assert (e[ICMPv6ParamProblem].code, e[ICMPv6ParamProblem].ptr) == (code, pointer)
    assert h.stats[counter] == 1 and not h.ip6.reasm.queues


def test_an_atomic_fragment_is_delivered_at_once_and_leaves_a_pending_datagram_with_its_id_alone():
    net, h, p, hmac = setup()
    rx = listener(h, 9)
    data = udp_bytes(b"w" * 2000)
    send(net, p, frag(hmac, 0, True, 5, data[:1024]))
    send(net, p, frag(hmac, 0, False, 5, udp_bytes(b"atomic")))  # RFC 6946: same id, processed in isolation
    assert rx.recv(3000) == b"atomic"
    send(net, p, frag(hmac, 1024, False, 5, data[1024:]))
    assert rx.recv(3000) == b"w" * 2000
    assert h.stats["ip6.rx.atomic_fragment"] == 1 and h.stats["ip6.reasm.ok"] == 1


def test_a_datagram_that_came_in_fragments_to_a_closed_port_draws_port_unreachable_quoting_it_whole():
    # Linux answers the reassembled datagram (udpv6_rcv -> icmpv6_send); the error quotes it
    # without the fragment header, cut to fit the minimum MTU
    net, h, p, hmac = setup()
    data = udp_bytes(b"c" * 1500, sport=4444, dport=9)
    send(net, p, frag(hmac, 0, True, 31, data[:1024]))
    send(net, p, frag(hmac, 1024, False, 31, data[1024:]))
    (e,) = got(p, ICMPv6DestUnreach)
    assert e[ICMPv6DestUnreach].code == 4 and len(bytes(e[IPv6])) == 1280
    quoted = e[ICMPv6DestUnreach].payload
    assert quoted.nh == 17 and quoted.plen == len(data) and not quoted.haslayer(IPv6ExtHdrFragment)
    raw = bytes(e[IPv6])[48:]  # after our header and the ICMPv6 header
    assert len(raw) == 1232 and raw[40:] == data[:1192]


def test_an_icmpv6_error_that_came_in_fragments_is_never_answered():
    net, h, p, hmac = setup()
    err = bytes(IPv6(src=PIP, dst=HIP) / ICMPv6DestUnreach(code=4) / IPv6(src=HIP, dst=PIP) / UDP() / Raw(b"e" * 1200))
    body = err[40:]
    send(net, p, frag(hmac, 0, True, 32, body[:1024], nh=58))
    send(net, p, frag(hmac, 1024, False, 32, body[1024:], nh=58))
    assert h.stats["ip6.reasm.ok"] == 1 and h.stats["icmp6.rx.type1"] == 1
    assert p.frames == []


def test_reassembly_times_out_after_sixty_seconds_with_time_exceeded_quoting_the_first_fragment():
    net, h, p, hmac = setup()
    data = udp_bytes(b"t" * 2000)
    send(net, p, frag(hmac, 0, True, 9, data[:1024]))
    start = net.now - 0.01
    net.run(until=start + 59.99)
    assert not got(p, ICMPv6TimeExceeded) and h.ip6.reasm.queues
    net.run(until=start + 60.01)
    (e,) = got(p, ICMPv6TimeExceeded)
    assert e[ICMPv6TimeExceeded].code == 1 and e[IPv6].dst == PIP
    quoted = e[ICMPv6TimeExceeded].payload
    assert quoted.src == PIP and quoted.dst == HIP and quoted[IPv6ExtHdrFragment].id == 9
    assert not h.ip6.reasm.queues and h.stats["ip6.reasm.timeout"] == 1


def test_reassembly_memory_is_bounded_by_evicting_the_oldest_datagrams():
    net, h, p, hmac = setup()
    h.ip6.reasm.config.high_thresh = 4096
    data = udp_bytes(b"m" * 3000)
    for ident in range(1, 7):
        p.send(frag(hmac, 0, True, ident, data[:1024]))
        net.run(until=net.now + 0.001)
    assert h.ip6.reasm.mem <= 4096 and h.stats["ip6.reasm.memory"] == 2
    assert sorted(k[3] for k in h.ip6.reasm.queues) == [3, 4, 5, 6]
    evicted = [ev.fields["id"] for ev in net.tracer.select(host="h", event="reassembly_drop")]
    assert evicted == [1, 2]


# -- ICMPv6 errors (RFC 4443 §2.4) ------------------------------------------------------------

def test_no_error_to_the_unspecified_source_nor_about_a_redirect_nor_to_a_link_multicast_frame():
    net, h, p, hmac = setup()
    send(net, p, to_host(hmac, UDP(dport=9), src="::"))
    send(net, p, to_host(hmac, UDP(dport=9), dst="ff02::1", edst="33:33:00:00:00:01"))
    send(net, p, to_host(hmac, Raw(bytes([137, 0, 0, 0]) + bytes(36)), hlim=255))  # a redirect with a bad checksum
    assert p.frames == []
    assert h.stats["icmp6.tx.type1"] == 0


def test_an_error_never_exceeds_the_minimum_mtu():
    net, h, p, hmac = setup()
    send(net, p, to_host(hmac, UDP(sport=3, dport=9), Raw(b"b" * 1400)))
    (e,) = got(p, ICMPv6DestUnreach)
    assert len(bytes(e[IPv6])) == 1280 and e[ICMPv6DestUnreach].code == 4
    raw = bytes(e[IPv6])
    again = IPv6(raw)
    del again[ICMPv6DestUnreach].cksum
    assert bytes(IPv6(bytes(again))) == raw  # our checksum is scapy's


def test_errors_to_one_peer_are_limited_to_a_burst_of_six_then_one_a_second():
    net, h, p, hmac = setup()
    for i in range(20):
        p.send(to_host(hmac, UDP(sport=2000 + i, dport=9)))
    net.run(until=net.now + 0.01)
    assert len(got(p, ICMPv6DestUnreach)) == 6 and h.stats["icmp6.tx.ratelimited"] == 14
    net.run(until=net.now + 1.0)
    for i in range(5):
        p.send(to_host(hmac, UDP(sport=3000 + i, dport=9)))
    net.run(until=net.now + 0.01)
    assert len(got(p, ICMPv6DestUnreach)) == 7
    assert net.tracer.select(host="h", layer="icmp6", event="ratelimited")
    # another peer has its own bucket
    h.ndp.cache(h.interfaces[1]).add_permanent(ip("2001:db8::98"), bytes.fromhex("020000000098"), 0)
    send(net, p, to_host(hmac, UDP(dport=9), src="2001:db8::98"))
    assert len(got(p, ICMPv6DestUnreach)) == 8


# -- routers: errors on the way, and path MTU (RFC 8201) -----------------------------------

def routed(small=1280, seed=11):
    net = Network(seed=seed)
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r, delay=0.001)
    net.add_link(r, h2, delay=0.001, mtu=small)
    net.run(until=2)
    return net, h1, r, h2


def icmp6_socket(h):
    s = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_RAW, h.socket.IPPROTO_ICMPV6)
    s.settimeout(0)
    return s


def drain(s):
    out = []
    while True:
        try:
            data, src = s.recvfrom(3000)
        except BlockingIOError:
            return out
        if data[0] < 133 or data[0] > 137:  # Neighbor Discovery reaches raw sockets too, as on Linux
            out.append((data[0], data[1], src[0], data))


def test_router_errors_hop_limit_no_route_and_scope_each_from_the_router():
    net, h1, r, h2 = routed()
    s = icmp6_socket(h1)
    s.setsockopt(h1.socket.IPPROTO_IPV6, h1.socket.IPV6_UNICAST_HOPS, 1)
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, 1, 1), ("2001:db8:2::20", 0))
    net.run(until=2.1)
    s.setsockopt(h1.socket.IPPROTO_IPV6, h1.socket.IPV6_UNICAST_HOPS, 64)
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, 1, 2), ("2001:db8:3::30", 0))  # the router has no route there
    net.run(until=2.2)
    assert [(t, c, src) for t, c, src, _ in drain(s)] == [(3, 0, "2001:db8:1::1"), (1, 0, "2001:db8:1::1")]
    assert r.stats["ip6.fwd.hop_limit_exceeded"] == 1 and r.stats["ip6.fwd.no_route"] == 1


def test_router_sends_packet_too_big_the_source_lowers_its_path_mtu_and_fragments_next_time():
    net, h1, r, h2 = routed()
    rx = listener(h2, 6000)
    tx = h1.socket.socket(h1.socket.AF_INET6, h1.socket.SOCK_DGRAM)
    dst = ip("2001:db8:2::20")
    assert h1.path_mtu(dst) == 1500
    tx.sendto(b"p" * 1400, ("2001:db8:2::20", 6000))
    net.run(until=2.1)
    assert r.stats["ip6.fwd.packet_too_big"] == 1 and r.stats["ip6.fwd.fragmented"] == 0  # routers never fragment
    assert h1.path_mtu(dst) == 1280
    with pytest.raises(BlockingIOError):
        rx.recv(2000)
    (ev,) = net.tracer.select(host="h1", layer="ip6", event="pmtu")
    assert ev.fields["mtu"] == 1280
    tx.sendto(b"p" * 1400, ("2001:db8:2::20", 6000))
    net.run(until=2.2)
    assert rx.recv(2000) == b"p" * 1400 and h1.stats["ip6.tx.fragmented"] == 1


def test_path_mtu_floor_ignores_bigger_reports_and_expires_after_ten_minutes():
    net, h, p, hmac = setup()
    dst = ip(PIP)
    quoted = IPv6(src=HIP, dst=PIP) / UDP(sport=1, dport=2) / Raw(b"x" * 100)
    send(net, p, to_host(hmac, ICMPv6PacketTooBig(mtu=1300) / quoted))
    assert h.path_mtu(dst) == 1300
    send(net, p, to_host(hmac, ICMPv6PacketTooBig(mtu=1400) / quoted))  # never raised by a report
    assert h.path_mtu(dst) == 1300
    send(net, p, to_host(hmac, ICMPv6PacketTooBig(mtu=100) / quoted))
    assert h.path_mtu(dst) == 1280  # RFC 8200 §5: no link is smaller
    net.run(until=net.now + 599)
    assert h.path_mtu(dst) == 1280
    net.run(until=net.now + 2)
    assert h.path_mtu(dst) == 1500  # RFC 8201 §4: try the bigger size again after a while


def test_tcp_over_a_small_mtu_path_adapts_its_segments_to_the_packet_too_big(tmp_path):
    # h1 =1500= r =1280= r2 =1500= h2: both ends see 1500-octet links and announce MSS 1440
    net = Network(seed=12)
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:9::1/64"])
    r2 = net.add_router("r2", ip6=["2001:db8:9::2/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r, delay=0.001)
    middle = net.add_link(r, r2, delay=0.001, mtu=1280)
    net.add_link(r2, h2, delay=0.001)
    r.add_route("2001:db8:2::/64", "2001:db8:9::2")
    r2.add_route("2001:db8:1::/64", "2001:db8:9::1")
    net.run(until=2)
    path = str(tmp_path / "tcp.pcapng")
    net.capture(path, [middle])
    srv = h2.socket.socket(h2.socket.AF_INET6, h2.socket.SOCK_STREAM)
    srv.bind(("::", 8080))
    srv.listen()
    blob = bytes(range(256)) * 200

    def client(socket):
        c = socket.create_connection(("2001:db8:2::20", 8080))
        c.sendall(blob)
        c.close()

    def server(socket):
        conn, _ = srv.accept()
        out = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return out
            out += chunk

    h1.spawn(client)
    task = h2.spawn(server)
    net.run(until=30)
    assert task.result == blob
    assert h1.path_mtu(ip("2001:db8:2::20")) == 1280
    net.stop_capture()
    sizes = [len(bytes(f[IPv6])) for f in rdpcap(path) if f.haslayer(IPv6)]
    assert max(sizes) <= 1280 and r.stats["ip6.fwd.packet_too_big"] >= 1


# -- hostile frames ----------------------------------------------------------------------------

def _frame(hmac, payload, nh, src=PIP, dst=HIP, hlim=64):
    return ethernet.build(bytes.fromhex(hmac.replace(":", "")), bytes.fromhex("020000000099"), 0x86DD,
                          ipv6_wire.build(ip(src), ip(dst), nh, payload, hlim))


_ext = st.sampled_from([0, 43, 44, 60, 58, 17, 6, 59, 253])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(_ext, st.binary(min_size=0, max_size=40)), min_size=1, max_size=5),
       st.sampled_from([None, 135, 136, 134, 133, 137, 1, 2, 3, 4, 128]), st.binary(max_size=80),
       st.booleans())
def test_random_extension_chains_and_nd_messages_never_raise_and_are_counted(chain, icmp_type, icmp_body, mcast):
    net, h, p, hmac = _hostile_target()
    before = sum(h.stats.values())
    body = b""
    first = chain[0][0]
    for i, (nh, data) in enumerate(chain):
        nxt = chain[i + 1][0] if i + 1 < len(chain) else (58 if icmp_type is not None else 59)
        if nh in (0, 43, 60):
            data = data[:6 + 8 * (len(data) // 8)]
            body += bytes([nxt, len(data) // 8]) + data + bytes(6 - len(data) % 8 if len(data) % 8 > 6 else
                                                               (6 - len(data) % 8) % 8)
        elif nh == 44:
            body += bytes([nxt, 0]) + (data + bytes(6))[:6]
        else:
            body += data
            break
    dst = "ff02::1" if mcast else HIP
    if icmp_type is not None and chain[-1][0] in (0, 43, 44, 60):
        body += i6.build(icmp_type, 0, 0, icmp_body, ip(PIP), ip(dst))
    frame = bytearray(_frame(hmac, body, first, dst=dst, hlim=255))
    if mcast:
        frame[0:6] = bytes.fromhex("333300000001")
    p.send(bytes(frame))
    net.run(until=net.now + 0.01)
    assert h.stats["host.rx.internal_error"] == 0
    assert sum(h.stats.values()) > before  # whatever happened was counted


_TARGET = {}


def _hostile_target():
    if "t" not in _TARGET:
        _TARGET["t"] = setup(seed=13)
    return _TARGET["t"]


def test_table_of_hostile_ipv6_frames_each_dropped_counted_and_traced():
    net, h, p, hmac = setup()
    cases = [
        (_frame(hmac, b"", 17)[:14 + 39], "ip6.rx.truncated"),
        (_frame(hmac, udp_bytes(b"x"), 17, src="ff02::1"), "ip6.rx.martian"),
        (_frame(hmac, udp_bytes(b"x"), 17, src="::1"), "ip6.rx.martian"),
        (_frame(hmac, udp_bytes(b"x"), 17, dst="2001:db8::77"), "ip6.rx.not_for_us"),
        (_frame(hmac, i6.build(135, 0, 0, ip(HIP), ip(PIP), ip(HIP)), 58, hlim=200), "ndp.rx.hop_limit"),
        (_frame(hmac, i6.build(135, 0, 0, ip(HIP) + bytes([1, 0]) + bytes(6), ip(PIP), ip(HIP)), 58, hlim=255),
         "ndp.rx.malformed"),
        (_frame(hmac, i6.build(136, 0, 0x40000000, ip(HIP), ip(PIP), ip("ff02::1")), 58, dst="ff02::1",
                hlim=255).replace(bytes.fromhex(hmac.replace(":", "")), bytes.fromhex("333300000001"), 1),
         "ndp.rx.invalid"),
        (_frame(hmac, bytes(i6.build(128, 0, 0, b"", ip(PIP), ip(HIP)))[:2] + b"\0\0" + bytes(4), 58),
         "icmp6.rx.bad_checksum"),
        (_frame(hmac, i6.build(2, 0, 1280, b"\x45" + bytes(50), ip(PIP), ip(HIP)), 58), "icmp6.rx.bad_quote"),
    ]
    for frame, counter in cases:
        before = h.stats[counter]
        send(net, p, frame)
        assert h.stats[counter] == before + 1, counter
    assert h.stats["host.rx.internal_error"] == 0
    assert len(net.tracer.select(host="h", event="drop")) >= len(cases) - 1
    assert not got(p, ICMPv6ParamProblem) and not got(p, ICMPv6DestUnreach)


# -- a capture tshark finds clean -----------------------------------------------------------------

def test_a_capture_of_ndp_dad_slaac_ping_fragments_and_errors_reads_clean_in_tshark(tmp_path):
    net = Network(seed=21)
    s1 = net.add_switch("s1")
    s2 = net.add_switch("s2")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h1 = net.add_host("h1")
    h1.add_interface()
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    dup = net.add_host("dup", ip6="2001:db8:2::20/64")
    net.add_link(h1, s1, delay=0.001)
    net.add_link(r, s1, delay=0.001)
    net.add_link(r, s2, delay=0.001, mtu=1280)
    net.add_link(h2, s2, delay=0.001, mtu=1280)
    path = str(tmp_path / "v6.pcapng")
    net.capture(path)
    r.advertise(r.interfaces[1], ["2001:db8:1::/64"], mtu=1500)
    net.run(until=10)
    net.add_link(dup, s2, delay=0.001)  # a duplicate joins h2's link: DAD fails
    s = icmp6_socket(h1)
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, 1, 1) + bytes(56), ("2001:db8:2::20", 0))
    u = h1.socket.socket(h1.socket.AF_INET6, h1.socket.SOCK_DGRAM)
    u.sendto(b"f" * 1400, ("2001:db8:2::20", 9))  # too big for r's second link: packet too big
    u.sendto(b"g" * 3000, ("2001:db8:2::20", 9))  # fragments at the source
    net.run(until=10.5)
    u.sendto(b"f" * 1400, ("2001:db8:2::20", 9))  # now fragmented; a port unreachable comes back
    net.run(until=13)
    net.stop_capture()
    assert dup.interfaces[1].addrs6[ip("2001:db8:2::20")].state.value == "dadfailed"
    kinds = {f[IPv6].payload.name for f in rdpcap(path) if f.haslayer(IPv6)}
    assert {"ICMPv6 Neighbor Discovery - Neighbor Solicitation", "ICMPv6 Neighbor Discovery - Router Advertisement",
            "ICMPv6 Neighbor Discovery - Neighbor Advertisement", "ICMPv6 Echo Request", "ICMPv6 Echo Reply",
            "ICMPv6 Packet Too Big", "IPv6 Extension Header - Fragmentation header",
            "ICMPv6 Destination Unreachable"} <= kinds, (kinds, h2.stats, r.stats)
    assert tshark_problems(path) == []


def test_no_error_about_an_icmpv6_error_behind_extension_headers():
    # RFC 4443 §2.4 e.1; Linux's is_ineligible() skips the extension headers to find the type
    net, h, p, hmac = setup()
    err = ICMPv6DestUnreach(code=4) / IPv6(src=HIP, dst=PIP) / UDP()
    send(net, p, to_host(hmac, IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=b"ab")]), err))
    send(net, p, to_host(hmac, IPv6ExtHdrRouting(type=253, segleft=1, addresses=["2001:db8::5"]), err))
    assert h.stats["ip6.rx.unknown_option"] == 1 and h.stats["ip6.rx.param_problem0"] == 1
    assert not got(p, ICMPv6ParamProblem) and h.stats["icmp6.tx.type4"] == 0
    # an echo request behind the same headers does draw the error
    send(net, p, to_host(hmac, IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=b"ab")]),
                         ICMPv6EchoRequest()))
    assert len(got(p, ICMPv6ParamProblem)) == 1


def test_reassembly_timeout_of_a_fragmented_icmpv6_error_sends_nothing():
    net, h, p, hmac = setup()
    body = bytes(IPv6(src=PIP, dst=HIP) / ICMPv6DestUnreach(code=4) / IPv6(src=HIP, dst=PIP) / UDP() /
                 Raw(b"e" * 1200))[40:]
    send(net, p, frag(hmac, 0, True, 33, body[:1024], nh=58))
    net.run(until=net.now + 61)
    assert h.stats["ip6.reasm.timeout"] == 1 and not got(p, ICMPv6TimeExceeded)
    assert h.stats["icmp6.tx.type3"] == 0
