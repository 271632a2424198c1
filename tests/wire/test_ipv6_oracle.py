"""IPv6, its extension headers, ICMPv6 and Neighbor Discovery against scapy, both directions;
round trips; and the malformed inputs each must refuse with the right typed error."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.all import (
    ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect,
    ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRedirectedHdr,
    ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6TimeExceeded, IPv6, IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, RouterAlert, UDP,
)

from stack.addr import ip, mac
from stack.wire import BadChecksum, Malformed, Truncated
from stack.wire import icmpv6 as i6
from stack.wire import ipv6
from stack.wire.errors import WireError

S, D = ip("2001:db8::1"), ip("2001:db8::2")
LL = ip("fe80::1")
A = mac("02:00:00:00:00:01")


# -- the fixed header ------------------------------------------------------------------------

def test_ipv6_header_ours_read_by_scapy():
    ours = ipv6.build(S, D, 17, b"x" * 12, hop_limit=7, traffic_class=0xB8, flow_label=0x12345)
    p = IPv6(ours)
    assert (p.src, p.dst, p.nh, p.hlim, p.tc, p.fl, p.plen) == ("2001:db8::1", "2001:db8::2", 17, 7, 0xB8, 0x12345, 12)


def test_ipv6_header_scapys_read_by_us_with_padding_trimmed():
    raw = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=3, tc=5, fl=9) / UDP(sport=1, dport=2) / b"abc")
    hdr, payload = ipv6.parse(memoryview(raw + b"\0" * 10))
    assert hdr == ipv6.IPv6Header(S, D, 17, 3, 5, 9, 11)
    assert bytes(payload) == raw[40:]


@pytest.mark.parametrize("raw, error", [
    (b"\x60" + bytes(38), Truncated),                                       # short of 40 bytes
    (b"\x40" + bytes(39), Malformed),                                      # version 4
    (ipv6.build(S, D, 59, b"abcd")[:-1], Truncated),                       # payload length beyond the buffer
    (ipv6.build_header(S, D, 0, 0) + bytes(8), Malformed),                 # jumbogram (plen 0 with hop-by-hop)
])
def test_ipv6_malformed(raw, error):
    with pytest.raises(error):
        ipv6.parse(memoryview(raw))


# -- extension headers ------------------------------------------------------------------------

def test_hop_by_hop_router_alert_and_unknown_options_read_by_scapy():
    ours = ipv6.build_options(0, 58, [(ipv6.OPT_ROUTER_ALERT, b"\0\0"), (0x3E, b"\x01\x02\x03")])
    assert len(ours) % 8 == 0
    p = IPv6ExtHdrHopByHop(ours)
    kinds = [o.otype for o in p.options if o.otype not in (0, 1)]
    assert p.nh == 58 and kinds == [ipv6.OPT_ROUTER_ALERT, 0x3E]
    assert bytes(ipv6.router_alert(58)) == bytes(IPv6ExtHdrHopByHop(nh=58, options=[RouterAlert(value=0)]))


def test_scapys_options_parsed_with_padding_skipped():
    raw = bytes(IPv6ExtHdrDestOpt(nh=17, options=[RouterAlert(value=0)]))
    ext = ipv6.parse_extension(ipv6.NH_DSTOPTS, memoryview(raw + b"rest"))
    assert ext.next_header == 17 and ext.length == len(raw)
    opts = ipv6.parse_options(ext)
    assert [(o.type, o.data) for o in opts] == [(ipv6.OPT_ROUTER_ALERT, b"\0\0")]


@pytest.mark.parametrize("otype, action", [(0x1E, ipv6.SKIP), (0x5E, ipv6.DISCARD), (0x9E, ipv6.DISCARD_ICMP),
                                           (0xDE, ipv6.DISCARD_ICMP_UNLESS_MULTICAST)])
def test_unknown_option_action_from_its_high_bits(otype, action):
    assert ipv6.option_action(otype) == action


def test_fragment_header_both_ways():
    ours = ipv6.build_fragment(17, 1448, True, 0xDEADBEEF)
    p = IPv6ExtHdrFragment(ours)
    assert (p.nh, p.offset, p.m, p.id) == (17, 1448 // 8, 1, 0xDEADBEEF)
    theirs = bytes(IPv6ExtHdrFragment(nh=6, offset=10, m=0, id=7))
    f = ipv6.parse_fragment(ipv6.parse_extension(ipv6.NH_FRAGMENT, memoryview(theirs)))
    assert f == ipv6.FragmentHeader(6, 80, False, 7)
    with pytest.raises(ValueError):
        ipv6.build_fragment(17, 3, False, 1)


def test_routing_header_both_ways():
    ours = ipv6.build_routing(17, 0, 1, bytes(4) + D)
    p = IPv6ExtHdrRouting(ours)
    assert (p.nh, p.type, p.segleft, p.addresses) == (17, 0, 1, ["2001:db8::2"])
    theirs = bytes(IPv6ExtHdrRouting(nh=59, type=0, segleft=0, addresses=["2001:db8::9"]))
    ext = ipv6.parse_extension(ipv6.NH_ROUTING, memoryview(theirs))
    assert ext.next_header == 59 and ext.body[0] == 0 and ext.body[1] == 0 and ext.length == 24


@pytest.mark.parametrize("nh, raw, error", [
    (ipv6.NH_HOPOPTS, b"\x11\x00\x01", Truncated),                          # shorter than 8
    (ipv6.NH_DSTOPTS, b"\x11\x01" + bytes(6), Truncated),                   # says 16, has 8
    (ipv6.NH_FRAGMENT, b"\x11\x00\x00", Truncated),
])
def test_extension_header_malformed(nh, raw, error):
    with pytest.raises(error):
        ipv6.parse_extension(nh, memoryview(raw))


def test_option_overrunning_its_header_is_malformed():
    ext = ipv6.parse_extension(ipv6.NH_HOPOPTS, memoryview(b"\x11\x00\x3e\x09" + bytes(4)))
    with pytest.raises(Malformed):
        ipv6.parse_options(ext)


# -- ICMPv6 ---------------------------------------------------------------------------------------

def test_echo_ours_checked_by_scapy():
    ours = i6.build(i6.ECHO_REQUEST, 0, i6.echo_rest(0x1234, 7), b"ping!", S, D)
    p = IPv6(ipv6.build(S, D, 58, ours))
    req = p[ICMPv6EchoRequest]
    assert (req.id, req.seq, req.data) == (0x1234, 7, b"ping!")
    theirs = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=9, seq=8, data=b"x"))
    assert theirs[40:] == i6.build(128, 0, i6.echo_rest(9, 8), b"x", S, D)  # the same bytes, checksum too


def test_scapys_echo_reply_and_errors_parsed():
    for pkt, typ, code, rest in [
        (ICMPv6EchoReply(id=1, seq=2, data=b"zz"), 129, 0, (1 << 16) | 2),
        (ICMPv6DestUnreach(code=4) / IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(), 1, 4, 0),
        (ICMPv6PacketTooBig(mtu=1280) / Raw(b"q" * 48), 2, 0, 1280),
        (ICMPv6TimeExceeded(code=1) / Raw(b"q" * 48), 3, 1, 0),
        (ICMPv6ParamProblem(code=2, ptr=42) / Raw(b"q" * 48), 4, 2, 42),
    ]:
        raw = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / pkt)[40:]
        hdr, body = i6.parse(memoryview(raw), S, D)
        assert (hdr.type, hdr.code, hdr.rest) == (typ, code, rest)


def test_icmpv6_bad_checksum_and_truncation():
    ours = bytearray(i6.build(i6.ECHO_REQUEST, 0, 0, b"abc", S, D))
    with pytest.raises(Truncated):
        i6.parse(memoryview(bytes(ours[:7])), S, D)
    with pytest.raises(BadChecksum):
        i6.parse(memoryview(bytes(ours)), S, ip("2001:db8::3"))  # another destination: the pseudo-header differs
    ours[-1] ^= 1
    with pytest.raises(BadChecksum):
        i6.parse(memoryview(bytes(ours)), S, D)


# -- Neighbor Discovery -------------------------------------------------------------------------

def _nd(msg, src=S, dst=D):
    ours = i6.build_nd(msg, src, dst)
    p = IPv6(ipv6.build(src, dst, 58, ours, 255))
    return ours, p


def test_neighbor_solicitation_both_ways():
    ours, p = _nd(i6.NeighborSolicit(D, i6.NdOptions(source_lladdr=A)))
    assert p[ICMPv6ND_NS].tgt == "2001:db8::2" and p[ICMPv6NDOptSrcLLAddr].lladdr == "02:00:00:00:00:01"
    theirs = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=255) / ICMPv6ND_NS(tgt="2001:db8::2") /
                   ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"))[40:]
    assert theirs == ours
    hdr, body = i6.parse(memoryview(theirs), S, D)
    assert i6.parse_nd(hdr, body) == i6.NeighborSolicit(D, i6.NdOptions(source_lladdr=A))


def test_neighbor_advertisement_flags_both_ways():
    msg = i6.NeighborAdvert(D, router=True, solicited=True, override=False, options=i6.NdOptions(target_lladdr=A))
    ours, p = _nd(msg)
    na = p[ICMPv6ND_NA]
    assert (na.R, na.S, na.O, na.tgt) == (1, 1, 0, "2001:db8::2")
    assert p[ICMPv6NDOptDstLLAddr].lladdr == "02:00:00:00:00:01"
    theirs = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6ND_NA(R=0, S=0, O=1, tgt="2001:db8::2"))[40:]
    hdr, body = i6.parse(memoryview(theirs), S, D)
    assert i6.parse_nd(hdr, body) == i6.NeighborAdvert(D, False, False, True)


def test_router_advertisement_with_prefix_and_mtu_both_ways():
    pi = i6.PrefixInfo(ip("2001:db8:1::"), 64, True, True, 86400, 14400)
    msg = i6.RouterAdvert(64, False, True, 1800, 30000, 1000,
                          i6.NdOptions(source_lladdr=A, prefixes=(pi,), mtu=1400))
    ours, p = _nd(msg, LL, ip("ff02::1"))
    ra = p[ICMPv6ND_RA]
    assert (ra.chlim, ra.M, ra.O, ra.routerlifetime, ra.reachabletime, ra.retranstimer) == (64, 0, 1, 1800, 30000, 1000)
    opt = p[ICMPv6NDOptPrefixInfo]
    assert (opt.prefix, opt.prefixlen, opt.L, opt.A, opt.validlifetime, opt.preferredlifetime) == \
        ("2001:db8:1::", 64, 1, 1, 86400, 14400)
    assert p[ICMPv6NDOptMTU].mtu == 1400
    theirs = bytes(IPv6(src="fe80::1", dst="ff02::1") / ICMPv6ND_RA(chlim=64, O=1, routerlifetime=1800,
                                                                     reachabletime=30000, retranstimer=1000) /
                   ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01") /
                   ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, validlifetime=86400,
                                         preferredlifetime=14400) / ICMPv6NDOptMTU(mtu=1400))[40:]
    hdr, body = i6.parse(memoryview(theirs), LL, ip("ff02::1"))
    assert i6.parse_nd(hdr, body) == msg


def test_router_solicitation_and_redirect_both_ways():
    ours, p = _nd(i6.RouterSolicit(i6.NdOptions(source_lladdr=A)), S, ip("ff02::2"))
    assert p.haslayer(ICMPv6ND_RS) and p[ICMPv6NDOptSrcLLAddr].lladdr == "02:00:00:00:00:01"
    quoted = ipv6.build(S, D, 59, b"")
    rd = i6.Redirect(ip("fe80::9"), D, i6.NdOptions(target_lladdr=A, redirected=quoted))
    ours, p = _nd(rd, LL, S)
    r = p[ICMPv6ND_Redirect]
    assert (r.tgt, r.dst) == ("fe80::9", "2001:db8::2")
    assert p.haslayer(ICMPv6NDOptRedirectedHdr)
    hdr, body = i6.parse(memoryview(ours), LL, S)
    back = i6.parse_nd(hdr, body)
    assert back.target == ip("fe80::9") and back.options.redirected.startswith(quoted)


@pytest.mark.parametrize("body, error", [
    (D + bytes([1, 0]) + bytes(6), Malformed),          # an option of length zero (§4.6)
    (D + bytes([1, 2]) + bytes(6), Truncated),          # an option longer than the message
    (D + bytes([3, 1]) + bytes(6), Malformed),          # a prefix option that is not 32 bytes
    (ip("ff02::1"), Malformed),                         # a multicast target
    (D[:10], Truncated),                                # shorter than the target
])
def test_neighbor_discovery_malformed(body, error):
    with pytest.raises(error):
        i6.parse_nd(i6.Icmp6Header(i6.NEIGHBOR_SOLICIT, 0, 0), memoryview(body))


def test_nd_with_a_code_is_malformed():
    with pytest.raises(Malformed):
        i6.parse_nd(i6.Icmp6Header(i6.NEIGHBOR_SOLICIT, 1, 0), memoryview(D))


# -- round trips and fuzz --------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1400), st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFFF),
       st.integers(0, 255))
def test_ipv6_round_trip(payload, hlim, tc, fl, nh):
    if nh == 0 and not payload:
        return  # that is the jumbogram form
    hdr, back = ipv6.parse(memoryview(ipv6.build(S, D, nh, payload, hlim, tc, fl)))
    assert hdr == ipv6.IPv6Header(S, D, nh, hlim, tc, fl, len(payload)) and bytes(back) == payload


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(2, 255), st.binary(max_size=20)), max_size=5))
def test_options_round_trip(options):
    options = [(t, d) for t, d in options if t != ipv6.OPT_PADN]
    ext = ipv6.parse_extension(ipv6.NH_DSTOPTS, memoryview(ipv6.build_options(ipv6.NH_DSTOPTS, 17, options)))
    assert [(o.type, o.data) for o in ipv6.parse_options(ext)] == options


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(sorted(i6.ND_TYPES)), st.integers(0, 1))
def test_random_bytes_never_raise_anything_but_wire_errors(data, nd_type, code):
    for fn in (lambda: ipv6.parse(memoryview(data)),
               lambda: i6.parse(memoryview(data), S, D),
               lambda: i6.parse_nd(i6.Icmp6Header(nd_type, code, 0), memoryview(data)),
               lambda: ipv6.parse_options(ipv6.parse_extension(ipv6.NH_HOPOPTS, memoryview(data))),
               lambda: ipv6.parse_extension(ipv6.NH_FRAGMENT, memoryview(data))):
        try:
            fn()
        except WireError:
            pass


# -- more of the same, option by option and message by message -----------------------------------
# (what follows checks padding choices, a whole extension chain, every ICMPv6 error and ND
# message in our bytes against scapy's own checksum, and the malformed cases not above)

from scapy.all import PadN, Pad1, HBHOptUnknown, ICMPv6NDOptUnknown, ICMPv6ND_NS as _NS  # noqa: E402
from stack.wire import udp  # noqa: E402


def _scapy_recomputes_the_same(raw: bytes, layer) -> None:
    """Delete the checksum of `layer` in scapy's dissection of `raw`, rebuild: the bytes must not change."""
    p = IPv6(raw)
    del p[layer].cksum
    assert bytes(IPv6(bytes(p))) == raw


@pytest.mark.parametrize("options, pads", [
    ([(0x3E, b"\x01\x02\x03")], ["Pad1"]),           # 7 octets used: one Pad1
    ([(0x3E, b"\x01\x02")], ["PadN"]),               # 6 used: a PadN of no data
    ([(0x3E, b"x" * 4)], []),                         # exactly 8: no padding at all
    ([(0x1E, b"x" * 5)], ["PadN"]),                  # 9 used: PadN of 5 data octets to 16
    ([(0x1E, b""), (0x7E, b"y" * 3)], ["PadN"]),
])
def test_destination_options_padded_with_pad1_or_padn_as_scapy_reads_them(options, pads):
    ours = ipv6.build_options(ipv6.NH_DSTOPTS, 17, options)
    assert len(ours) % 8 == 0
    p = IPv6ExtHdrDestOpt(ours)
    assert p.nh == 17 and p.len == len(ours) // 8 - 1
    got = [(o.otype, o.optdata) for o in p.options if not isinstance(o, (Pad1, PadN))]
    assert got == [(t, d) for t, d in options]
    assert [type(o).__name__ for o in p.options if isinstance(o, (Pad1, PadN))] == pads


def test_scapys_pad1_padn_and_unknown_options_parsed_with_offsets():
    raw = bytes(IPv6ExtHdrHopByHop(nh=58, autopad=0, options=[
        Pad1(), PadN(optdata=b"\0\0"), HBHOptUnknown(otype=0x9E, optdata=b"\xaa\xbb"), Pad1(), Pad1(),
        HBHOptUnknown(otype=0x3E, optdata=b""), Pad1()]))
    assert len(raw) == 16
    ext = ipv6.parse_extension(ipv6.NH_HOPOPTS, memoryview(raw))
    assert (ext.next_header, ext.length) == (58, 16)
    # offsets count from the start of the extension header: type octet of 0x9E at 2+1+4 = 7
    assert ipv6.parse_options(ext) == [ipv6.Option(0x9E, b"\xaa\xbb", 7), ipv6.Option(0x3E, b"", 13)]


def test_a_whole_extension_chain_built_by_us_is_walked_by_scapy_with_the_udp_checksum_agreeing():
    seg = udp.build(1000, 2000, b"payload", S, D)
    chain = (ipv6.build_options(ipv6.NH_HOPOPTS, ipv6.NH_ROUTING, [(0x1E, b"ab")]) +
             ipv6.build_routing(ipv6.NH_FRAGMENT, 0, 0, bytes(4) + ip("2001:db8::9")) +
             ipv6.build_fragment(ipv6.NH_DSTOPTS, 0, False, 0x01020304) +
             ipv6.build_options(ipv6.NH_DSTOPTS, 17, [(0x1E, b"")]) + seg)
    raw = ipv6.build(S, D, ipv6.NH_HOPOPTS, chain)
    p = IPv6(raw)
    assert p.plen == len(chain)
    assert p[IPv6ExtHdrHopByHop].nh == 43 and p[IPv6ExtHdrRouting].nh == 44 and p[IPv6ExtHdrFragment].nh == 60
    assert p[IPv6ExtHdrFragment].id == 0x01020304 and p[IPv6ExtHdrDestOpt].nh == 17
    assert (p[UDP].sport, p[UDP].dport, bytes(p[UDP].payload)) == (1000, 2000, b"payload")
    q = IPv6(raw)
    del q[UDP].chksum
    assert IPv6(bytes(q))[UDP].chksum == p[UDP].chksum
    # and we walk scapy's equivalent chain the same way
    theirs = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() /
                   IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / IPv6ExtHdrFragment(id=5) / IPv6ExtHdrDestOpt() /
                   UDP(sport=1, dport=2) / b"x")
    hdr, data = ipv6.parse(memoryview(theirs))
    nh, kinds = hdr.next_header, []
    while nh in ipv6.EXTENSION_HEADERS:
        ext = ipv6.parse_extension(nh, data)
        kinds.append(nh)
        nh, data = ext.next_header, data[ext.length:]
    assert kinds == [0, 43, 44, 60] and nh == 17 and bytes(data) == theirs[-9:]


def test_routing_header_not_a_multiple_of_8_refused_when_building():
    with pytest.raises(ValueError):
        ipv6.build_routing(17, 0, 1, b"\0\0\0")


def test_build_refuses_payloads_needing_a_jumbogram():
    with pytest.raises(ValueError):
        ipv6.build(S, D, 59, bytes(65536))


@pytest.mark.parametrize("typ, code, rest, layer, fields", [
    (i6.DEST_UNREACH, i6.PORT_UNREACH, 0, ICMPv6DestUnreach, {"code": 4}),
    (i6.DEST_UNREACH, i6.ADDR_UNREACH, 0, ICMPv6DestUnreach, {"code": 3}),
    (i6.PACKET_TOO_BIG, 0, 1280, ICMPv6PacketTooBig, {"mtu": 1280}),
    (i6.TIME_EXCEEDED, i6.REASSEMBLY_EXCEEDED, 0, ICMPv6TimeExceeded, {"code": 1}),
    (i6.PARAM_PROBLEM, i6.UNRECOGNIZED_OPTION, 42, ICMPv6ParamProblem, {"code": 2, "ptr": 42}),
    (i6.ECHO_REPLY, 0, i6.echo_rest(0xBEEF, 0xFFFF), ICMPv6EchoReply, {"id": 0xBEEF, "seq": 0xFFFF}),
])
def test_our_icmpv6_messages_dissected_by_scapy_with_its_checksum(typ, code, rest, layer, fields):
    quoted = ipv6.build(D, S, 17, udp.build(5, 9, b"q" * 30, D, S))
    ours = i6.build(typ, code, rest, quoted, S, D)
    raw = ipv6.build(S, D, 58, ours)
    p = IPv6(raw)
    assert p.haslayer(layer)
    assert {k: getattr(p[layer], k) for k in fields} == fields
    _scapy_recomputes_the_same(raw, layer)
    if i6.is_error(typ):
        assert p[layer].payload.src == "2001:db8::2"  # the quoted packet, as scapy sees it


def _every_nd_message():
    pi = i6.PrefixInfo(ip("2001:db8:1::"), 64, False, True, i6.INFINITY, 0)
    return [
        (i6.RouterSolicit(), S, ip("ff02::2"), ICMPv6ND_RS),
        (i6.RouterSolicit(i6.NdOptions(source_lladdr=A)), S, ip("ff02::2"), ICMPv6ND_RS),
        (i6.RouterAdvert(255, True, False, 0, 0, 0, i6.NdOptions(prefixes=(pi, pi._replace(prefix_len=48)),
                                                                 mtu=9000)), LL, ip("ff02::1"), ICMPv6ND_RA),
        (i6.NeighborSolicit(D), bytes(16), ip("ff02::1:ff00:2"), _NS),
        (i6.NeighborAdvert(D, False, False, False), D, ip("ff02::1"), ICMPv6ND_NA),
        (i6.NeighborAdvert(D, True, True, True, i6.NdOptions(target_lladdr=A)), D, S, ICMPv6ND_NA),
        (i6.Redirect(D, D, i6.NdOptions(target_lladdr=A, redirected=ipv6.build(S, D, 59, b"abc"))), LL, S,
         ICMPv6ND_Redirect),
    ]


@pytest.mark.parametrize("i", range(7))
def test_every_nd_message_checksum_equals_scapys_and_round_trips(i):
    msg, src, dst, layer = _every_nd_message()[i]
    ours = i6.build_nd(msg, src, dst)
    raw = ipv6.build(src, dst, 58, ours, 255)
    assert IPv6(raw).haslayer(layer)
    _scapy_recomputes_the_same(raw, layer)
    hdr, body = i6.parse(memoryview(ours), src, dst)
    back = i6.parse_nd(hdr, body)
    if isinstance(msg, i6.Redirect):  # the redirected packet comes back padded to 8 octets
        assert back.options.redirected == msg.options.redirected + bytes(-len(msg.options.redirected) % 8)
        back = back._replace(options=back.options._replace(redirected=msg.options.redirected))
    assert back == msg


def test_scapys_prefix_flags_off_and_infinite_lifetimes_parsed():
    theirs = bytes(IPv6(src="fe80::1", dst="ff02::1") / ICMPv6ND_RA(M=1, O=1, chlim=0, routerlifetime=0) /
                   ICMPv6NDOptPrefixInfo(prefix="2001:db8:2::", prefixlen=56, L=0, A=0, validlifetime=0xFFFFFFFF,
                                         preferredlifetime=0xFFFFFFFF))[40:]
    hdr, body = i6.parse(memoryview(theirs), LL, ip("ff02::1"))
    ra = i6.parse_nd(hdr, body)
    assert (ra.cur_hop_limit, ra.managed, ra.other, ra.router_lifetime) == (0, True, True, 0)
    assert ra.options.prefixes == (i6.PrefixInfo(ip("2001:db8:2::"), 56, False, False, i6.INFINITY, i6.INFINITY),)


def test_scapys_redirected_header_option_and_unknown_options_parsed():
    # 56 octets: scapy cuts a quoted packet to a multiple of 8 rather than padding it
    inner = IPv6(src="2001:db8::1", dst="2001:db8::7") / UDP(sport=1, dport=2) / b"hi345678"
    theirs = bytes(IPv6(src="fe80::1", dst="2001:db8::1") / ICMPv6ND_Redirect(tgt="fe80::9", dst="2001:db8::7") /
                   ICMPv6NDOptUnknown(type=200, len=1, data=b"\x01" * 6) /
                   ICMPv6NDOptRedirectedHdr(pkt=bytes(inner)))[40:]
    hdr, body = i6.parse(memoryview(theirs), LL, S)
    rd = i6.parse_nd(hdr, body)
    assert (rd.target, rd.destination) == (ip("fe80::9"), ip("2001:db8::7"))
    assert rd.options.redirected == bytes(inner)
    assert rd.options.unknown == ((200, b"\x01" * 6),)  # §4.6: unknown options kept aside, not fatal


def test_unknown_nd_options_encode_and_must_pad():
    msg = i6.NeighborSolicit(D, i6.NdOptions(unknown=((250, b"z" * 6),)))
    hdr, body = i6.parse(memoryview(i6.build_nd(msg, S, D)), S, D)
    assert i6.parse_nd(hdr, body) == msg
    with pytest.raises(ValueError):
        i6.NdOptions(unknown=((250, b"z" * 5),)).encode()


@pytest.mark.parametrize("typ, body, error", [
    (i6.ROUTER_ADVERT, bytes(7), Truncated),                                     # reachable/retrans cut
    (i6.ROUTER_ADVERT, bytes(8) + bytes([5, 2]) + bytes(14), Malformed),          # MTU option of 16 octets
    (i6.ROUTER_ADVERT, bytes(8) + bytes([3, 4]) + bytes(20), Truncated),          # prefix option cut short
    (i6.ROUTER_ADVERT, bytes(8) + bytes([1]), Truncated),                        # an option header cut in two
    (i6.REDIRECT, D + D[:15], Truncated),                                        # destination cut
    (i6.NEIGHBOR_ADVERT, ip("ff02::1"), Malformed),                              # multicast target
    (i6.ROUTER_SOLICIT, bytes([1, 0]) + bytes(6), Malformed),                    # option length zero
])
def test_more_nd_malformed(typ, body, error):
    with pytest.raises(error):
        i6.parse_nd(i6.Icmp6Header(typ, 0, 0), memoryview(body))


def test_bad_checksum_on_every_nd_message():
    for msg, src, dst, _ in _every_nd_message():
        ours = bytearray(i6.build_nd(msg, src, dst))
        ours[4] ^= 0x40
        with pytest.raises(BadChecksum):
            i6.parse(memoryview(bytes(ours)), src, dst)


_addr = st.binary(min_size=16, max_size=16)
_mac = st.binary(min_size=6, max_size=6)
_nd_options = st.builds(
    i6.NdOptions, st.none() | _mac, st.none() | _mac,
    st.lists(st.builds(i6.PrefixInfo, _addr, st.integers(0, 128), st.booleans(), st.booleans(),
                       st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF)), max_size=3).map(tuple),
    st.none() | st.integers(0, 0xFFFFFFFF), st.none(), st.just(()))
_unicast = _addr.filter(lambda a: a[0] != 0xFF)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.builds(i6.RouterSolicit, _nd_options),
    st.builds(i6.RouterAdvert, st.integers(0, 255), st.booleans(), st.booleans(), st.integers(0, 0xFFFF),
              st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF), _nd_options),
    st.builds(i6.NeighborSolicit, _unicast, _nd_options),
    st.builds(i6.NeighborAdvert, _unicast, st.booleans(), st.booleans(), st.booleans(), _nd_options),
    st.builds(i6.Redirect, _unicast, _addr, _nd_options)), _addr, _addr)
def test_nd_round_trip(msg, src, dst):
    hdr, body = i6.parse(memoryview(i6.build_nd(msg, src, dst)), src, dst)
    assert i6.parse_nd(hdr, body) == msg


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), _addr, _addr)
def test_random_bytes_after_a_valid_checksum_only_raise_wire_errors(data, src, dst):
    """The checksum is right, so the parsers behind it (ND, options, fragments) see the garbage."""
    for typ in sorted(i6.ND_TYPES) + [i6.ECHO_REQUEST, i6.PACKET_TOO_BIG]:
        msg = i6.build(typ, 0, 0, data, src, dst)
        try:
            hdr, body = i6.parse(memoryview(msg), src, dst)
            if typ in i6.ND_TYPES:
                i6.parse_nd(hdr, body)
        except WireError:
            pass
    for nh in (ipv6.NH_HOPOPTS, ipv6.NH_DSTOPTS, ipv6.NH_ROUTING, ipv6.NH_FRAGMENT):
        try:
            ext = ipv6.parse_extension(nh, memoryview(data))
            if nh == ipv6.NH_FRAGMENT:
                ipv6.parse_fragment(ext)
            elif nh != ipv6.NH_ROUTING:
                ipv6.parse_options(ext)
        except WireError:
            pass
    try:
        i6.parse_options(memoryview(data))
    except WireError:
        pass
