"""The snooping switch (RFC 4541) with probes on its ports and crafted IGMP / MLD frames:
who receives each frame, the snooping table, and the expiry traces at their exact times."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack import Network
from stack.addr import ip, mac, multicast_mac
from stack.wire import ethernet, igmp, ipv4, ipv6, mld, udp
from stack.wire.igmp import GroupRecord

RA4 = b"\x94\x04\x00\x00"  # IPv4 Router Alert (RFC 2113)
G, G6 = ip("239.1.1.1"), ip("ff0e::1")
MACS = {n: mac(f"02:00:00:00:01:0{i}") for i, n in enumerate(["r", "h1", "h2", "h3"])}
IPS = {n: ip(f"192.0.2.{i + 1}") for i, n in enumerate(["r", "h1", "h2", "h3"])}
LLS = {n: ip(f"fe80::{i + 1}") for i, n in enumerate(["r", "h1", "h2", "h3"])}


def lan(**snoop):
    net = Network(seed=1)
    sw = net.add_switch("s1", snooping=True)
    for k, v in snoop.items():
        setattr(sw.snooper, k, v)
    probes = {}
    for n in ["r", "h1", "h2", "h3"]:  # ports 0..3
        probes[n] = net.add_probe(n)
        net.add_link(probes[n], sw)
    return net, sw, probes


def igmp_frame(who, dst, msg):
    pkt = ipv4.build(ipv4.IPv4Header(IPS[who], dst, ipv4.PROTO_IGMP, ttl=1, tos=0xC0, options=RA4), msg)
    return ethernet.build(multicast_mac(dst), MACS[who], ethernet.ETH_P_IP, pkt)


def mld_frame(who, dst, msg):
    pkt = ipv6.build(LLS[who], dst, ipv6.NH_HOPOPTS, ipv6.router_alert(ipv6.NH_ICMPV6) + msg, 1)
    return ethernet.build(multicast_mac(dst), MACS[who], ethernet.ETH_P_IPV6, pkt)


def data4(who, group, payload=b"data"):
    seg = udp.build(5000, 5000, payload, IPS[who], group)
    pkt = ipv4.build(ipv4.IPv4Header(IPS[who], group, ipv4.PROTO_UDP, ttl=8), seg)
    return ethernet.build(multicast_mac(group), MACS[who], ethernet.ETH_P_IP, pkt)


def data6(who, group, src=None):
    src = src or ip("2001:db8::9")
    pkt = ipv6.build(src, group, ipv6.NH_UDP, udp.build(5000, 5000, b"data6", src, group), 8)
    return ethernet.build(multicast_mac(group), MACS[who], ethernet.ETH_P_IPV6, pkt)


def step(net, probes, sender, frame, dt=0.01):
    for p in probes.values():
        p.clear()
    probes[sender].send(frame)
    net.run(until=net.now + dt)
    return sorted(n for n, p in probes.items() if any(f == frame for _, f in p.frames))


def query4(net, probes):
    return step(net, probes, "r", igmp_frame("r", igmp.ALL_SYSTEMS, igmp.build_query_v3(bytes(4))))


def test_igmp_snooping_forwards_a_group_to_its_members_and_the_router_only():
    net, sw, probes = lan()
    assert step(net, probes, "h3", data4("h3", G)) == []  # unregistered, no router yet: nowhere
    assert query4(net, probes) == ["h1", "h2", "h3"]  # queries reach every host
    assert sw.snooping_table() == [("mrouter", 0, "r", pytest.approx(254.99, abs=0.02))]
    assert step(net, probes, "h3", data4("h3", G)) == ["r"]  # unregistered: the router only
    assert step(net, probes, "h1", igmp_frame("h1", G, igmp.build(igmp.V2_REPORT, 0, G))) == ["r"]
    assert step(net, probes, "h3", data4("h3", G)) == ["h1", "r"]
    assert step(net, probes, "h3", data4("h3", ip("224.0.0.251"))) == ["h1", "h2", "r"]  # link scope: flooded
    assert step(net, probes, "h3", data4("h3", ip("239.9.9.9"))) == ["r"]
    v3 = igmp.build_report_v3([GroupRecord(igmp.CHANGE_TO_EXCLUDE_MODE, G), GroupRecord(igmp.ALLOW_NEW_SOURCES,
                                                                                          ip("232.1.1.1"),
                                                                                          (IPS["h3"],))])
    assert step(net, probes, "h2", igmp_frame("h2", igmp.ALL_V3_ROUTERS, v3)) == ["r"]
    assert step(net, probes, "r", data4("r", G)) == ["h1", "h2"]
    assert [(g, p, peer) for g, p, peer, _ in sw.snooping_table()] == [
        ("mrouter", 0, "r"), ("232.1.1.1", 2, "h2"), ("239.1.1.1", 1, "h1"), ("239.1.1.1", 2, "h2")]


def test_leave_shortens_to_the_last_member_query_time_and_a_report_renews():
    net, sw, probes = lan()
    query4(net, probes)
    step(net, probes, "h1", igmp_frame("h1", G, igmp.build(igmp.V2_REPORT, 0, G)))
    step(net, probes, "h2", igmp_frame("h2", G, igmp.build(igmp.V2_REPORT, 0, G)))
    t_leave = net.now
    assert step(net, probes, "h1", igmp_frame("h1", igmp.ALL_ROUTERS, igmp.build(igmp.LEAVE, 0, G)),
                dt=1.0) == ["r"]
    # the querier's group-specific query is flooded; h2 answers; h1 stays silent
    assert step(net, probes, "r", igmp_frame("r", G, igmp.build_query_v3(G, 10))) == ["h1", "h2", "h3"]
    step(net, probes, "h2", igmp_frame("h2", G, igmp.build(igmp.V2_REPORT, 0, G)), dt=5.0)
    expired = [(e.time, e.fields) for e in net.tracer.events if e.event == "member_expired"]
    assert expired == [(int(round(t_leave * 1e6)) + 2_000_000, {"group": "239.1.1.1", "port": 1})]
    assert step(net, probes, "r", data4("r", G)) == ["h2"]


def test_memberships_and_router_ports_expire_on_time():
    net, sw, probes = lan()
    query4(net, probes)
    t_query = net.now - 0.01
    step(net, probes, "h1", igmp_frame("h1", G, igmp.build(igmp.V2_REPORT, 0, G)))
    net.run(until=net.now + 300)
    events = [(e.event, e.time) for e in net.tracer.events if e.event in ("member_expired", "mrouter_expired")]
    assert [e for e, _ in events] == ["mrouter_expired", "member_expired"]
    assert events[0][1] == pytest.approx((t_query + 255) * 1e6, abs=1) and sw.snooping_table() == []


def test_fast_leave_removes_the_port_at_once():
    net, sw, probes = lan(fast_leave=True)
    query4(net, probes)
    step(net, probes, "h1", igmp_frame("h1", G, igmp.build(igmp.V2_REPORT, 0, G)))
    step(net, probes, "h1", igmp_frame("h1", igmp.ALL_ROUTERS, igmp.build(igmp.LEAVE, 0, G)))
    assert step(net, probes, "r", data4("r", G)) == []


def test_flood_unregistered_option():
    net, sw, probes = lan(flood_unregistered=True)
    assert step(net, probes, "h3", data4("h3", G)) == ["h1", "h2", "r"]


def test_mld_snooping_with_the_hop_by_hop_header():
    net, sw, probes = lan()
    q = mld.build_query_v2(bytes(16), LLS["r"], mld.ALL_NODES)
    assert step(net, probes, "r", mld_frame("r", mld.ALL_NODES, q)) == ["h1", "h2", "h3"]
    rep = mld.build_report_v2([GroupRecord(igmp.CHANGE_TO_EXCLUDE_MODE, G6)], LLS["h2"])
    assert step(net, probes, "h2", mld_frame("h2", mld.ALL_MLDV2_ROUTERS, rep)) == ["r"]
    assert step(net, probes, "h3", data6("h3", G6)) == ["h2", "r"]
    sn = ip("ff02::1:ff00:9")
    assert step(net, probes, "h3", data6("h3", sn)) == ["h1", "h2", "r"]  # ff02::/16: flooded
    v1 = mld.build(mld.V1_REPORT, 0, ip("ff05::7"), LLS["h1"], ip("ff05::7"))
    step(net, probes, "h1", mld_frame("h1", ip("ff05::7"), v1))
    done = mld.build(mld.DONE, 0, G6, LLS["h2"], mld.ALL_ROUTERS)
    assert step(net, probes, "h2", mld_frame("h2", mld.ALL_ROUTERS, done), dt=3.0) == ["r"]
    assert [(g, p) for g, p, _, _ in sw.snooping_table()] == [("mrouter", 0), ("ff05::7", 1)]


def test_bad_and_unknown_control_messages_are_flooded_and_teach_nothing():
    net, sw, probes = lan()
    query4(net, probes)
    bad = igmp.build(igmp.V2_REPORT, 0, G)
    bad = bad[:2] + b"\x00\x00" + bad[4:]
    assert step(net, probes, "h1", igmp_frame("h1", G, bad)) == ["h2", "h3", "r"]
    assert step(net, probes, "h1", igmp_frame("h1", G, igmp.build(0x13, 0, G))) == ["h2", "h3", "r"]
    assert [g for g, *_ in sw.snooping_table()] == ["mrouter"]
    assert sw.stats["snoop.unparsable"] == 1 and sw.stats["snoop.unknown"] == 1


def test_a_query_from_the_unspecified_address_does_not_make_a_router_port():
    net, sw, probes = lan()
    pkt = ipv4.build(ipv4.IPv4Header(bytes(4), igmp.ALL_SYSTEMS, 2, ttl=1, options=RA4), igmp.build_query_v3(bytes(4)))
    step(net, probes, "h3", ethernet.build(multicast_mac(igmp.ALL_SYSTEMS), MACS["h3"], ethernet.ETH_P_IP, pkt))
    assert sw.snooping_table() == []


def test_switches_without_snooping_still_flood_every_group():
    net = Network(seed=1)
    sw = net.add_switch("s1")
    probes = {n: net.add_probe(n) for n in ["r", "h1", "h2", "h3"]}
    for p in probes.values():
        net.add_link(p, sw)
    assert sw.snooper is None and sw.poll_at() is None
    assert step(net, probes, "h3", data4("h3", G)) == ["h1", "h2", "r"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=80), st.sampled_from([0x0800, 0x86DD]), st.integers(0, 3))
def test_hostile_multicast_frames_never_raise(junk, ethertype, variant):
    net, sw, probes = lan()
    if ethertype == 0x0800 and variant:
        body = ipv4.build(ipv4.IPv4Header(IPS["h1"], G, ipv4.PROTO_IGMP, ttl=1), junk)
    elif ethertype == 0x86DD and variant:
        nh = [ipv6.NH_HOPOPTS, ipv6.NH_ICMPV6, ipv6.NH_DSTOPTS][variant - 1]
        body = ipv6.build(LLS["h1"], G6, nh, junk, 1)
    else:
        body = junk
    frame = ethernet.build(multicast_mac(G if ethertype == 0x0800 else G6), MACS["h1"], ethertype, body)
    sw.receive(1, frame, 0)
    sw.receive(1, frame[:20], 0)
