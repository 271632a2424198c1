"""IGMP (v1, v2, v3) and MLD (v1, v2) codecs: scapy both ways, golden bytes, round trips,
malformed tables, and random bytes that may raise nothing but the typed wire errors."""

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
with warnings.catch_warnings():  # the contrib names (deprecated for scapy.layers.igmp) are the same classes
    warnings.simplefilter("ignore", DeprecationWarning)
    from scapy.contrib.igmp import IGMP
    from scapy.contrib.igmpv3 import IGMPv3, IGMPv3gr, IGMPv3mq, IGMPv3mr
from scapy.layers.inet6 import (ICMPv6MLDMultAddrRec, ICMPv6MLDone, ICMPv6MLQuery, ICMPv6MLQuery2, ICMPv6MLReport,
                                ICMPv6MLReport2, IPv6)

from stack.addr import ip, ipv4_mcast_mac, is_link_scope_multicast, mac_str, multicast_mac
from stack.wire import BadChecksum, Malformed, Truncated
from stack.wire import igmp, mld
from stack.wire.errors import WireError
from stack.wire.igmp import GroupRecord

G, G2 = ip("239.1.2.3"), ip("232.9.9.9")
S1, S2 = ip("192.0.2.10"), ip("192.0.2.11")
LL, LL2 = ip("fe80::1"), ip("fe80::2")
G6 = ip("ff0e::1234")
A6, B6 = ip("2001:db8::a"), ip("2001:db8::b")


def slow_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# -- address to MAC mapping -----------------------------------------------------------------

@pytest.mark.parametrize("group, mac", [
    ("224.0.0.1", "01:00:5e:00:00:01"),
    ("239.255.255.250", "01:00:5e:7f:ff:fa"),
    ("224.128.1.2", "01:00:5e:00:01:02"),  # the 24th bit is dropped: 32 groups per MAC (RFC 1112 §6.4)
    ("ff02::1", "33:33:00:00:00:01"),
    ("ff02::1:ff12:3456", "33:33:ff:12:34:56"),
    ("ff0e::dead:beef", "33:33:de:ad:be:ef"),
])
def test_multicast_mac_mapping(group, mac):
    assert mac_str(multicast_mac(ip(group))) == mac
    if ":" not in group:
        assert ipv4_mcast_mac(ip(group)) == multicast_mac(ip(group))


@pytest.mark.parametrize("group, local", [
    ("224.0.0.1", True), ("224.0.0.251", True), ("224.0.1.1", False), ("239.1.2.3", False),
    ("ff02::1", True), ("ff02::1:ff00:1", True), ("ff01::1", True), ("ff05::2", False), ("ff0e::1", False),
])
def test_link_scope_groups(group, local):
    assert is_link_scope_multicast(ip(group)) is local


# -- float codes ----------------------------------------------------------------------------

@pytest.mark.parametrize("code, width, value", [
    (0, 8, 0), (100, 8, 100), (127, 8, 127), (0x80, 8, 128), (0x8F, 8, 248), (0xFF, 8, 31744),
    (10000, 16, 10000), (0x8000, 16, 32768), (0xFFFF, 16, 8387584),
])
def test_float_codes(code, width, value):
    assert igmp.code_to_value(code, width) == value
    assert igmp.value_to_code(value, width) == code


@given(st.integers(0, 40000))
def test_value_to_code_rounds_down_never_up(v):
    got = igmp.code_to_value(igmp.value_to_code(v, 8), 8)
    assert got <= v or v > 31744
    assert got == v or v >= 128


# -- IGMPv1/v2 ------------------------------------------------------------------------------

def test_igmpv2_report_golden_bytes():
    raw = igmp.build(igmp.V2_REPORT, 0, G)
    body = bytes([0x16, 0, 0, 0]) + G
    assert raw == body[:2] + slow_checksum(body).to_bytes(2, "big") + body[4:]


@pytest.mark.parametrize("typ, mrt, group", [
    (igmp.QUERY, 100, bytes(4)), (igmp.QUERY, 10, G), (igmp.V2_REPORT, 0, G), (igmp.LEAVE, 0, G),
    (igmp.V1_REPORT, 0, G), (igmp.QUERY, 0, bytes(4)),
])
def test_igmp_v1_v2_both_ways(typ, mrt, group):
    s = IGMP(igmp.build(typ, mrt, group))
    assert (s.type, s.mrcode, s.gaddr) == (typ, mrt, ".".join(map(str, group)))
    chk = s.chksum
    del s.chksum
    assert IGMP(bytes(s)).chksum == chk
    theirs = bytes(IGMP(type=typ, mrcode=mrt, gaddr=".".join(map(str, group))))
    m = igmp.parse(memoryview(theirs))
    assert m == igmp.IgmpMessage(typ, mrt, group)
    if typ == igmp.QUERY:
        assert m.version == (1 if mrt == 0 else 2)


def test_igmpv2_tail_is_ignored_but_checksummed():
    raw = bytes(IGMP(type=igmp.V2_REPORT, gaddr="239.1.2.3") / b"future")
    assert igmp.parse(memoryview(raw)) == igmp.IgmpMessage(igmp.V2_REPORT, 0, G)
    with pytest.raises(BadChecksum):
        igmp.parse(memoryview(raw[:-1] + b"X"))


# -- IGMPv3 ---------------------------------------------------------------------------------

def test_igmpv3_query_ours_to_scapy():
    raw = igmp.build_query_v3(G, max_resp_code=0x8F, sources=(S1, S2), s_flag=True, qrv=3, qqic=60)
    s = IGMPv3(raw)
    q = s[IGMPv3mq]
    assert (s.type, s.mrcode, q.gaddr, q.s, q.qrv, q.qqic, q.numsrc, q.srcaddrs) == (
        0x11, 0x8F, "239.1.2.3", 1, 3, 60, 2, ["192.0.2.10", "192.0.2.11"])
    chk = s.chksum
    del s.chksum
    assert IGMPv3(bytes(s)).chksum == chk
    m = igmp.parse(memoryview(raw))
    assert m == igmp.IgmpV3Query(G, 0x8F, (S1, S2), True, 3, 60) and m.max_resp == 248 and m.qqi == 60


def test_igmpv3_query_scapy_to_ours():
    theirs = bytes(IGMPv3mq(mrcode=50, gaddr="0.0.0.0", qrv=2, qqic=125))
    assert igmp.parse(memoryview(theirs)) == igmp.IgmpV3Query(bytes(4), 50, (), False, 2, 125)
    theirs = bytes(IGMPv3mq(mrcode=10, gaddr="239.1.2.3", srcaddrs=["192.0.2.10"], s=1))
    assert igmp.parse(memoryview(theirs)) == igmp.IgmpV3Query(G, 10, (S1,), True, 0, 0)


def test_igmpv3_qrv_above_seven_is_sent_as_zero():
    assert igmp.parse(memoryview(igmp.build_query_v3(bytes(4), qrv=9))).qrv == 0


RECORDS = (GroupRecord(igmp.CHANGE_TO_EXCLUDE_MODE, G), GroupRecord(igmp.ALLOW_NEW_SOURCES, G2, (S1, S2)),
           GroupRecord(igmp.MODE_IS_INCLUDE, G, (S2,)))


def test_igmpv3_report_ours_to_scapy():
    raw = igmp.build_report_v3(RECORDS)
    s = IGMPv3(raw)
    r = s[IGMPv3mr]
    assert (s.type, r.numgrp) == (0x22, 3)
    assert [(g.rtype, g.maddr, g.numsrc, g.srcaddrs) for g in r.records] == [
        (4, "239.1.2.3", 0, []), (5, "232.9.9.9", 2, ["192.0.2.10", "192.0.2.11"]), (1, "239.1.2.3", 1, ["192.0.2.11"])]
    chk = s.chksum
    del s.chksum
    assert IGMPv3(bytes(s)).chksum == chk


def test_igmpv3_report_scapy_to_ours_with_aux_data():
    recs = [IGMPv3gr(rtype=2, maddr="239.1.2.3"), IGMPv3gr(rtype=6, maddr="232.9.9.9", srcaddrs=["192.0.2.10"])]
    theirs = bytes(IGMPv3mr(records=recs))
    assert igmp.parse(memoryview(theirs)) == igmp.IgmpV3Report(
        (GroupRecord(2, G), GroupRecord(6, G2, (S1,))))
    # auxiliary data (none is defined) is skipped over and kept as bytes (RFC 3376 §4.2.10)
    ours = igmp.build_report_v3((GroupRecord(1, G, (S1,), b"abcd"), GroupRecord(2, G2)))
    assert igmp.parse(memoryview(ours)).records == (GroupRecord(1, G, (S1,), b"abcd"), GroupRecord(2, G2))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(224, 239), st.lists(st.binary(min_size=4, max_size=4),
                                                                                max_size=5)), max_size=6))
def test_igmpv3_report_round_trip(recs):
    records = tuple(GroupRecord(t, bytes([b, 1, 2, 3]), tuple(srcs)) for t, b, srcs in recs)
    assert igmp.parse(memoryview(igmp.build_report_v3(records))) == igmp.IgmpV3Report(records)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([bytes(4), G]), st.integers(0, 255), st.lists(st.binary(min_size=4, max_size=4), max_size=8),
       st.booleans(), st.integers(0, 7), st.integers(0, 255))
def test_igmpv3_query_round_trip(group, mrc, srcs, s, qrv, qqic):
    raw = igmp.build_query_v3(group, mrc, tuple(srcs), s, qrv, qqic)
    assert igmp.parse(memoryview(raw)) == igmp.IgmpV3Query(group, mrc, tuple(srcs), s, qrv, qqic)


def _fix(raw: bytes) -> bytes:
    """Recompute the IGMP checksum after a mutation, so the semantics check is reached."""
    raw = raw[:2] + b"\0\0" + raw[4:]
    return raw[:2] + slow_checksum(raw).to_bytes(2, "big") + raw[4:]


@pytest.mark.parametrize("raw, exc", [
    (b"", Truncated),
    (igmp.build(igmp.V2_REPORT, 0, G)[:7], Truncated),
    (igmp.build_query_v3(G, sources=(S1, S2))[:-1], Truncated),  # a source cut short
    (igmp.build_report_v3(RECORDS)[:-2], Truncated),
    (_fix(igmp.build_report_v3(RECORDS)[:6] + b"\x00\x09" + igmp.build_report_v3(RECORDS)[8:]), Truncated),
    (igmp.build(igmp.V2_REPORT, 0, G)[:2] + b"\x12\x34" + G, BadChecksum),
    (_fix(igmp.build(igmp.QUERY, 10, G) + b"\0\0"), Malformed),  # 10 octets: no version (RFC 3376 §7.1)
    (_fix(igmp.build(igmp.QUERY, 10, S1)), Malformed),  # query for a unicast "group"
    (_fix(igmp.build(igmp.V2_REPORT, 0, bytes(4))), Malformed),
    (_fix(igmp.build(igmp.LEAVE, 0, S1)), Malformed),
])
def test_igmp_malformed(raw, exc):
    with pytest.raises(exc):
        igmp.parse(memoryview(raw))


def test_igmp_check_order_truncation_before_checksum_before_semantics():
    short = bytearray(igmp.build_query_v3(G, sources=(S1,)))[:-1]
    short[2] ^= 0xFF
    with pytest.raises(Truncated):
        igmp.parse(memoryview(bytes(short)))
    bad = bytearray(igmp.build(igmp.QUERY, 10, S1) + b"\0\0")
    with pytest.raises(BadChecksum):  # a 10-octet query with a unicast group, but the checksum comes first
        igmp.parse(memoryview(bytes(bad[:2] + b"\0\0" + bad[4:])))


def test_igmp_unknown_type_is_returned_for_the_layer_to_ignore():
    raw = _fix(bytes([0x13, 0, 0, 0]) + G)  # DVMRP
    assert igmp.parse(memoryview(raw)) == igmp.IgmpMessage(0x13, 0, G)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=120), st.sampled_from([0x11, 0x12, 0x16, 0x17, 0x22, 0x13]), st.booleans())
def test_igmp_random_bytes_raise_only_wire_errors(data, typ, fix):
    raw = bytes([typ]) + data
    if fix and len(raw) >= 4:
        raw = _fix(raw)
    try:
        igmp.parse(memoryview(raw))
    except WireError:
        pass


# -- MLDv1 ----------------------------------------------------------------------------------

def _over_ipv6(msg: bytes, src: bytes, dst: bytes):
    pkt = IPv6(src=ip_s(src), dst=ip_s(dst), nh=58, hlim=1, plen=len(msg))
    return IPv6(bytes(pkt) + msg)


def ip_s(a: bytes) -> str:
    from stack.addr import ip_str
    return ip_str(a)


@pytest.mark.parametrize("typ, cls, mrd, group", [
    (mld.QUERY, ICMPv6MLQuery, 10000, bytes(16)), (mld.QUERY, ICMPv6MLQuery, 1000, G6),
    (mld.V1_REPORT, ICMPv6MLReport, 0, G6), (mld.DONE, ICMPv6MLDone, 0, G6),
])
def test_mldv1_both_ways(typ, cls, mrd, group):
    dst = mld.ALL_ROUTERS if typ == mld.DONE else (group if any(group) else mld.ALL_NODES)
    raw = mld.build(typ, mrd, group, LL, dst)
    pkt = _over_ipv6(raw, LL, dst)
    s = pkt[cls]
    assert (s.type, s.mrd, s.mladdr) == (typ, mrd, ip_s(group))
    chk = s.cksum
    del s.cksum
    assert IPv6(bytes(pkt))[cls].cksum == chk
    theirs = bytes(IPv6(src="fe80::1", dst=ip_s(dst)) / cls(mrd=mrd, mladdr=ip_s(group)))[40:]
    assert mld.parse(memoryview(theirs), LL, dst) == mld.MldMessage(typ, mrd, group)


# -- MLDv2 ----------------------------------------------------------------------------------

def test_mldv2_query_both_ways():
    raw = mld.build_query_v2(G6, LL, G6, max_resp_code=0x8123, sources=(A6, B6), s_flag=True, qrv=2, qqic=0x85)
    pkt = _over_ipv6(raw, LL, G6)
    q = pkt[ICMPv6MLQuery2]
    assert (q.mrd, q.mladdr, q.S, q.QRV, q.QQIC, q.sources_number, q.sources) == (
        0x8123, "ff0e::1234", 1, 2, 0x85, 2, ["2001:db8::a", "2001:db8::b"])
    chk = q.cksum
    del q.cksum
    assert IPv6(bytes(pkt))[ICMPv6MLQuery2].cksum == chk
    m = mld.parse(memoryview(raw), LL, G6)
    assert m == mld.MldV2Query(G6, 0x8123, (A6, B6), True, 2, 0x85)
    assert m.max_resp == (0x123 | 0x1000) << 3 and m.qqi == (5 | 0x10) << 3
    theirs = bytes(IPv6(src="fe80::1", dst="ff02::1") / ICMPv6MLQuery2(mrd=10000, QRV=2, QQIC=125))[40:]
    assert mld.parse(memoryview(theirs), LL, mld.ALL_NODES) == mld.MldV2Query(bytes(16), 10000, (), False, 2, 125)


def _chain(records):
    """scapy dissects each record after the first as the payload of the one before."""
    out = []
    for x in records:
        while isinstance(x, ICMPv6MLDMultAddrRec):
            out.append(x)
            x = x.payload
    return out


def test_mldv2_report_both_ways():
    recs = (GroupRecord(4, G6), GroupRecord(5, G6, (A6,)), GroupRecord(1, ip("ff02::1:ff00:1")))
    raw = mld.build_report_v2(recs, LL)
    r = _over_ipv6(raw, LL, mld.ALL_MLDV2_ROUTERS)[ICMPv6MLReport2]
    assert r.records_number == 3
    assert [(x.rtype, x.dst, x.sources) for x in _chain(r.records)] == [
        (4, "ff0e::1234", []), (5, "ff0e::1234", ["2001:db8::a"]), (1, "ff02::1:ff00:1", [])]
    theirs = bytes(IPv6(src="fe80::1", dst="ff02::16") / ICMPv6MLReport2(records=[
        ICMPv6MLDMultAddrRec(rtype=2, dst="ff0e::1234"),
        ICMPv6MLDMultAddrRec(rtype=6, dst="ff0e::1234", sources=["2001:db8::b"])]))[40:]
    assert mld.parse(memoryview(theirs), LL, mld.ALL_MLDV2_ROUTERS) == mld.MldV2Report(
        (GroupRecord(2, G6), GroupRecord(6, G6, (B6,))))


def test_mld_report_from_unspecified_source_checksums_over_it():
    raw = mld.build_report_v2((GroupRecord(4, G6),), bytes(16))
    assert mld.parse(memoryview(raw), bytes(16), mld.ALL_MLDV2_ROUTERS).records[0].group == G6
    with pytest.raises(BadChecksum):  # the pseudo-header counts: another source breaks it
        mld.parse(memoryview(raw), LL, mld.ALL_MLDV2_ROUTERS)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.binary(min_size=15, max_size=15),
                          st.lists(st.binary(min_size=16, max_size=16), max_size=3)), max_size=5))
def test_mldv2_report_round_trip(recs):
    records = tuple(GroupRecord(t, b"\xff" + g, tuple(s)) for t, g, s in recs)
    raw = mld.build_report_v2(records, LL)
    assert mld.parse(memoryview(raw), LL, mld.ALL_MLDV2_ROUTERS) == mld.MldV2Report(records)


def _fix6(raw: bytes, src=LL, dst=mld.ALL_NODES) -> bytes:
    from stack.wire.checksum import transport_checksum
    raw = raw[:2] + b"\0\0" + raw[4:]
    return raw[:2] + transport_checksum(src, dst, 58, raw).to_bytes(2, "big") + raw[4:]


@pytest.mark.parametrize("raw, exc", [
    (b"\x82\x00", Truncated),
    (mld.build(mld.QUERY, 1, G6, LL, mld.ALL_NODES)[:23], Truncated),
    (mld.build_query_v2(G6, LL, mld.ALL_NODES, sources=(A6,))[:-4], Truncated),
    (mld.build_report_v2((GroupRecord(4, G6, (A6,)),), LL, mld.ALL_NODES)[:-1], Truncated),
    (mld.build(mld.QUERY, 1, G6, LL, mld.ALL_NODES)[:2] + b"\0\0" + mld.build(mld.QUERY, 1, G6, LL,
                                                                              mld.ALL_NODES)[4:], BadChecksum),
    (_fix6(mld.build(mld.QUERY, 1, G6, LL, mld.ALL_NODES) + b"\0\0"), Malformed),  # 26 octets (RFC 3810 §8.1)
    (_fix6(mld.build(mld.V1_REPORT, 0, A6, LL, mld.ALL_NODES)), Malformed),  # a unicast "group"
    (_fix6(mld.build(mld.QUERY, 0, A6, LL, mld.ALL_NODES)), Malformed),
    (_fix6(bytes([128, 0, 0, 0]) + bytes(20)), Malformed),  # an echo request is not MLD
])
def test_mld_malformed(raw, exc):
    with pytest.raises(exc):
        mld.parse(memoryview(raw), LL, mld.ALL_NODES)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([130, 131, 132, 143, 128]), st.booleans())
def test_mld_random_bytes_raise_only_wire_errors(data, typ, fix):
    raw = bytes([typ]) + data
    if fix and len(raw) >= 4:
        raw = _fix6(raw)
    try:
        mld.parse(memoryview(raw), LL, mld.ALL_NODES)
    except WireError:
        pass
