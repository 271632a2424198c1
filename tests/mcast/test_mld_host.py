"""The MLD listener (RFC 3810 §6, §8; RFC 2710 §4): the same machine as IGMP's with MLD's
addresses, units, query validation and the pseudo-header checksum."""

from stack.addr import ALL_NODES, ip, solicited_node
from stack.mcast import EXCLUDE, INCLUDE
from stack.mld import MldLayer
from stack.wire import mld as wire
from stack.wire.igmp import GroupRecord
from tests.mcast.helpers import LL, Env

G = ip("ff0e::1234")
SN = solicited_node(ip("2001:db8::42"))
QLL = ip("fe80::fe")
A6, B6 = ip("2001:db8::a"), ip("2001:db8::b")
SEC = 1_000_000
TO_IN, TO_EX, ALLOW, IS_IN, IS_EX = 3, 4, 5, 1, 2


def node(seed=1, link_local=LL):
    env = Env(seed, link_local)
    return env, MldLayer(env, env.send)


def parsed(sent, src=LL):
    return [(t, dst, wire.parse(memoryview(m), src, dst)) for t, _, dst, m in sent]


def records(sent, src=LL):
    out = []
    for _, dst, m in parsed(sent, src):
        assert dst == wire.ALL_MLDV2_ROUTERS and m.type == wire.V2_REPORT
        out.extend((r.type, r.group, r.sources) for r in m.records)
    return out


def query_v2(layer, env, group=bytes(16), mrc=1000, sources=(), src=QLL, **kw):
    dst = group if any(group) else ALL_NODES
    layer.input("eth0", src, dst, wire.build_query_v2(group, src, dst, mrc, sources), env.now, **kw)


def test_solicited_node_groups_are_reported_all_nodes_and_node_local_never():
    env, layer = node()
    layer.joined("eth0", ALL_NODES, 0)
    layer.joined("eth0", ip("ff01::1"), 0)
    layer.joined("eth0", ip("ff00::5"), 0)
    layer.joined("eth0", SN, 0)
    env.run(layer, 5 * SEC)
    sent = env.take()
    assert records(sent) == [(TO_EX, SN, ())] * 2  # the checksum verifies over fe80::1 -> ff02::16
    assert sent[0][0] == 0 and 0 < sent[1][0] <= SEC


def test_reports_before_a_link_local_address_come_from_unspecified():
    env, layer = node(link_local=None)
    layer.joined("eth0", SN, 0)
    assert records(env.take(), src=bytes(16)) == [(TO_EX, SN, ())]


def test_source_specific_listening_and_general_query_answer():
    env, layer = node()
    layer.set_filter("eth0", G, INCLUDE, [A6], 0)
    layer.joined("eth0", SN, 0)
    env.run(layer, 5 * SEC)
    env.take()
    query_v2(layer, env, mrc=2000)
    t0 = env.now
    env.run(layer, t0 + 10 * SEC)
    sent = env.take()
    assert len(sent) == 1 and sent[0][0] <= t0 + 2 * SEC
    assert sorted(records(sent)) == [(IS_IN, G, (A6,)), (IS_EX, SN, ())]
    assert env.stats["mld.rx.query_v2"] == 1


def test_multicast_address_and_source_specific_query():
    env, layer = node()
    layer.set_filter("eth0", G, EXCLUDE, [A6], 0)
    env.run(layer, 5 * SEC)
    env.take()
    query_v2(layer, env, group=G, mrc=500, sources=[A6, B6])
    env.run(layer, env.now + 5 * SEC)
    assert records(env.take()) == [(IS_IN, G, (B6,))]


def test_queries_failing_rfc3810_6_2_checks_are_dropped():
    env, layer = node()
    layer.joined("eth0", G, 0)
    env.run(layer, 5 * SEC)
    env.take()
    query_v2(layer, env, src=ip("2001:db8::fe"))  # not link-local
    query_v2(layer, env, ttl=2)
    query_v2(layer, env, router_alert=False)
    env.run(layer, env.now + 20 * SEC)
    assert env.take() == [] and env.stats["mld.rx.bad_query"] == 3
    query_v2(layer, env, ttl=1, router_alert=True)
    env.run(layer, env.now + 20 * SEC)
    assert records(env.take()) == [(IS_EX, G, ())]


def test_mldv1_querier_means_mldv1_reports_and_done():
    env, layer = node()
    layer.input("eth0", QLL, ALL_NODES, wire.build(wire.QUERY, 1000, bytes(16), QLL, ALL_NODES), 0)
    assert layer.version("eth0", 0) == "MLDv1"
    layer.joined("eth0", G, 0)
    env.run(layer, 30 * SEC)
    sent = parsed(env.take())
    assert [(dst, m) for _, dst, m in sent] == [(G, wire.MldMessage(wire.V1_REPORT, 0, G))] * 2
    layer.left("eth0", G, env.now)
    assert [(dst, m) for _, dst, m in parsed(env.take())] == [(wire.ALL_ROUTERS, wire.MldMessage(wire.DONE, 0, G))]
    # Older Version Querier Present Timeout: 2 * 125 s + the query's 1 s
    env.run(layer, 252 * SEC)
    assert layer.version("eth0", env.now) == "MLDv2"


def test_mldv1_report_from_another_listener_suppresses_ours():
    env, layer = node()
    layer.input("eth0", QLL, ALL_NODES, wire.build(wire.QUERY, 1000, bytes(16), QLL, ALL_NODES), 0)
    layer.joined("eth0", G, 0)
    env.run(layer, 30 * SEC)
    env.take()
    layer.input("eth0", QLL, G, wire.build(wire.QUERY, 10000, G, QLL, G), env.now)
    other = ip("fe80::99")
    layer.input("eth0", other, G, wire.build(wire.V1_REPORT, 0, G, other, G), env.now)
    env.run(layer, env.now + 20 * SEC)
    assert env.take() == [] and env.stats["mld.suppressed"] == 1


def test_bad_checksum_counted():
    env, layer = node()
    msg = wire.build_query_v2(bytes(16), QLL, ALL_NODES)
    layer.input("eth0", ip("fe80::77"), ALL_NODES, msg, 0)  # checksummed for another source
    layer.input("eth0", QLL, wire.ALL_MLDV2_ROUTERS, wire.build_report_v2([GroupRecord(TO_EX, G)], QLL), 0)
    assert env.stats["mld.rx.bad_checksum"] == 1 and env.stats["mld.rx.report_v2"] == 1
