"""The querier (RFC 3376 §6, RFC 3810 §7, RFC 2236 §3): general queries on schedule, the
election, membership timers, last-member queries; and hosts and queriers talking through
a zero-delay bus, all on a virtual clock."""

import pytest

from stack.addr import ALL_NODES, ip
from stack.igmp import IgmpLayer
from stack.mcast import INCLUDE
from stack.mld import MldLayer
from stack.querier import IgmpQuerier, MldQuerier, QuerierConfig
from stack.wire import igmp as wire
from stack.wire import mld as mld_wire
from stack.wire.igmp import GroupRecord
from tests.mcast.helpers import Env

ME, LOWER, HIGHER = ip("192.0.2.100"), ip("192.0.2.1"), ip("192.0.2.200")
H = ip("192.0.2.10")
G, G2 = ip("239.1.1.1"), ip("239.2.2.2")
SEC = 1_000_000
LL_R, LL_H = ip("fe80::100"), ip("fe80::10")
G6 = ip("ff0e::1")


def querier(cls=IgmpQuerier, addr=ME, **cfg):
    env = Env()
    q = cls(env, env.send, QuerierConfig(**cfg) if cfg else None)
    q.enable("eth0", addr, 0)
    return env, q


def sent_queries(env):
    return [(t, dst, wire.parse(memoryview(m))) for t, _, dst, m in env.take()]


def test_startup_then_periodic_general_queries():
    env, q = querier()
    env.run(q, 400 * SEC)
    got = sent_queries(env)
    # Startup Query Count (2) at Startup Query Interval (QI/4), then every Query Interval (§8.6, §8.7)
    assert [t for t, _, _ in got] == [0, 31_250_000, 156_250_000, 281_250_000]
    t, dst, m = got[0]
    assert dst == wire.ALL_SYSTEMS and m == wire.IgmpV3Query(bytes(4), 100, (), False, 2, 125)
    assert env.stats["igmp.tx.general_query"] == 4 and q.is_querier("eth0")


@pytest.mark.parametrize("version, expect", [(2, wire.IgmpMessage(wire.QUERY, 100, bytes(4))),
                                             (1, wire.IgmpMessage(wire.QUERY, 0, bytes(4)))])
def test_older_version_queriers_send_older_queries(version, expect):
    env, q = querier(version=version)
    assert sent_queries(env)[0][2] == expect


def test_a_lower_address_wins_the_election_and_silence_gives_it_back():
    env, q = querier()
    env.take()
    q.input("eth0", HIGHER, wire.ALL_SYSTEMS, wire.build_query_v3(bytes(4)), 1 * SEC)
    assert q.is_querier("eth0")  # a higher address does not displace us
    env.now = 2 * SEC
    q.input("eth0", LOWER, wire.ALL_SYSTEMS, wire.build_query_v3(bytes(4)), 2 * SEC)
    assert not q.is_querier("eth0")
    env.run(q, 200 * SEC)
    assert env.take() == []  # the startup query at 31.25 s and the rest are not sent
    # Other Querier Present Interval = 2 * 125 s + 10 s / 2 = 255 s after the last query heard
    env.run(q, 258 * SEC)
    assert [t for t, *_ in env.take()] == [257 * SEC] and q.is_querier("eth0")
    states = [(e[3]["state"], e[3]["cause"]) for e in env.named("querier")]
    assert states == [("QUERIER", "enabled"), ("NON-QUERIER", "query from a lower address"),
                      ("QUERIER", "other querier present timer expired")]


def test_membership_expires_after_the_group_membership_interval_and_reports_refresh_it():
    env, q = querier()
    q.input("eth0", H, G, wire.build(wire.V2_REPORT, 0, G), 0)
    q.input("eth0", H, wire.ALL_V3_ROUTERS, wire.build_report_v3([GroupRecord(4, G2)]), 0)
    assert [(r[1], r[2]) for r in q.table(0)] == [(G, 260.0), (G2, 260.0)]
    q.input("eth0", H, G, wire.build(wire.V2_REPORT, 0, G), 100 * SEC)
    env.run(q, 1000 * SEC)
    expired = [(e[0], e[3]["group"]) for e in env.named("group_expired")]
    assert expired == [(260 * SEC, G2), (360 * SEC, G)]
    assert q.table(env.now) == [] and env.stats["igmp.group_expired"] == 2


def test_leave_triggers_last_member_queries_and_expiry_at_the_last_member_query_time():
    env, q = querier()
    env.run(q, 1 * SEC)
    env.take()
    q.input("eth0", H, G, wire.build(wire.V2_REPORT, 0, G), 1 * SEC)
    env.now = 10 * SEC
    q.input("eth0", H, wire.ALL_ROUTERS, wire.build(wire.LEAVE, 0, G), env.now)
    env.run(q, 20 * SEC)
    got = sent_queries(env)
    assert [(t, dst, m) for t, dst, m in got] == [
        (10 * SEC, G, wire.IgmpV3Query(G, 10, (), False, 2, 125)),  # Max Resp = LMQI = 1 s
        (11 * SEC, G, wire.IgmpV3Query(G, 10, (), False, 2, 125))]
    assert [(e[0], e[3]["group"]) for e in env.named("group_expired")] == [(12 * SEC, G)]


def test_a_report_after_a_leave_keeps_the_group_and_sets_the_s_flag():
    env, q = querier()
    env.run(q, 1 * SEC)
    env.take()
    q.input("eth0", H, G, wire.build(wire.V2_REPORT, 0, G), 1 * SEC)
    q.input("eth0", H, wire.ALL_ROUTERS, wire.build(wire.LEAVE, 0, G), 10 * SEC)
    q.input("eth0", ip("192.0.2.11"), G, wire.build(wire.V2_REPORT, 0, G), 10 * SEC + 300_000)
    env.run(q, 20 * SEC)
    assert [m.s_flag for _, _, m in sent_queries(env)] == [False, True]
    assert env.named("group_expired") == [] and q.table(env.now)[0][1] == G


def test_v3_records_at_group_granularity():
    env, q = querier()
    env.run(q, 1 * SEC)
    env.take()
    rep = wire.build_report_v3([GroupRecord(5, G, (H,)), GroupRecord(1, G2), GroupRecord(6, G2, (H,))])
    q.input("eth0", H, wire.ALL_V3_ROUTERS, rep, 1 * SEC)
    assert [r[1] for r in q.table(1 * SEC)] == [G]  # IS_IN({}) and BLOCK add nothing
    q.input("eth0", H, wire.ALL_V3_ROUTERS, wire.build_report_v3([GroupRecord(3, G)]), 2 * SEC)  # TO_IN({})
    assert [m.group for _, _, m in sent_queries(env)] == [G]


def test_igmpv1_hosts_present_make_leaves_ignored():
    env, q = querier()
    env.run(q, 1 * SEC)
    env.take()
    q.input("eth0", H, G, wire.build(wire.V1_REPORT, 0, G), 1 * SEC)
    q.input("eth0", ip("192.0.2.11"), wire.ALL_ROUTERS, wire.build(wire.LEAVE, 0, G), 2 * SEC)
    assert env.take() == [] and env.named("leave_ignored")
    assert q.table(2 * SEC)[0][3] is True


def test_non_querier_ignores_leaves_and_follows_the_queriers_group_query():
    env, q = querier()
    q.input("eth0", LOWER, wire.ALL_SYSTEMS, wire.build_query_v3(bytes(4)), 0)
    env.take()
    q.input("eth0", H, G, wire.build(wire.V2_REPORT, 0, G), 1 * SEC)
    q.input("eth0", H, wire.ALL_ROUTERS, wire.build(wire.LEAVE, 0, G), 5 * SEC)
    assert env.take() == []
    q.input("eth0", LOWER, G, wire.build_query_v3(G, 10), 5 * SEC)
    env.run(q, 10 * SEC)
    assert [(e[0], e[3]["group"]) for e in env.named("group_expired")] == [(7 * SEC, G)]  # LMQT = 2 * 1 s


def test_querier_drops_garbage_and_reports_for_non_groups():
    env, q = querier()
    q.input("eth0", H, G, b"\x16\x00", 0)
    q.input("eth0", H, wire.ALL_V3_ROUTERS, wire.build_report_v3([GroupRecord(4, H)]), 0)
    assert env.stats["igmp.rx.truncated"] == 1 and env.stats["igmp.rx.bad_group"] == 1 and q.table(0) == []


# -- MLD ------------------------------------------------------------------------------------

def test_mld_querier_queries_and_validates_sources():
    env, q = querier(MldQuerier, LL_R)
    (t, _, dst, msg), = env.take()
    assert dst == ALL_NODES
    assert mld_wire.parse(memoryview(msg), LL_R, ALL_NODES) == mld_wire.MldV2Query(bytes(16), 10000, (), False, 2, 125)
    rep = mld_wire.build_report_v2([GroupRecord(4, G6)], LL_H)
    q.input("eth0", LL_H, mld_wire.ALL_MLDV2_ROUTERS, rep, 0, ttl=2)
    glob = ip("2001:db8::10")
    q.input("eth0", glob, mld_wire.ALL_MLDV2_ROUTERS, mld_wire.build_report_v2([GroupRecord(4, G6)], glob), 0)
    assert env.stats["mld.rx.invalid"] == 2 and q.table(0) == []
    unspec = mld_wire.build_report_v2([GroupRecord(4, G6)], bytes(16))
    q.input("eth0", bytes(16), mld_wire.ALL_MLDV2_ROUTERS, unspec, 0, ttl=1, router_alert=True)
    assert [r[1] for r in q.table(0)] == [G6]
    env.now = 5 * SEC
    q.input("eth0", LL_H, mld_wire.ALL_ROUTERS, mld_wire.build(mld_wire.DONE, 0, G6, LL_H, mld_wire.ALL_ROUTERS),
            env.now)
    (t, _, dst, msg), = env.take()
    assert (t, dst) == (5 * SEC, G6)
    assert mld_wire.parse(memoryview(msg), LL_R, G6) == mld_wire.MldV2Query(G6, 1000, (), False, 2, 125)


def test_mldv1_querier():
    env, q = querier(MldQuerier, LL_R, version=1)
    (_, _, dst, msg), = env.take()
    assert mld_wire.parse(memoryview(msg), LL_R, dst) == mld_wire.MldMessage(mld_wire.QUERY, 10000, bytes(16))


# -- hosts and a querier on one link --------------------------------------------------------

class Link:
    """Zero-delay multicast link: every message sent by one party reaches all the others."""

    def __init__(self, *parties):
        self.parties = parties  # (name, layer, env, addr)
        self.now = 0
        self.queue = []

    def wire(self):
        for name, layer, env, addr in self.parties:
            env.send = (lambda n, a: lambda iface, dst, msg: self.queue.append((n, a, dst, msg)))(name, addr)
            layer.send = env.send

    def run(self, until):
        while True:
            self._drain()
            due = [p[1].poll_at() for p in self.parties if p[1].poll_at() is not None]
            if not due or min(due) > until:
                break
            self.now = min(due)
            for _, layer, env, _ in self.parties:
                env.now = self.now
                t = layer.poll_at()
                if t is not None and t <= self.now:
                    layer.poll(self.now)
        self.now = until

    def _drain(self):
        while self.queue:
            frm, src, dst, msg = self.queue.pop(0)
            for name, layer, env, _ in self.parties:
                if name != frm:
                    env.now = self.now
                    layer.input("eth0", src, dst, msg, self.now)


def test_a_host_keeps_its_membership_alive_by_answering_queries_and_its_leave_ends_it():
    qenv, henv, h2env = Env(1), Env(2), Env(3)
    q = IgmpQuerier(qenv, None)
    h = IgmpLayer(henv, None)
    h2 = IgmpLayer(h2env, None)
    link = Link(("r", q, qenv, ME), ("h", h, henv, H), ("h2", h2, h2env, ip("192.0.2.11")))
    link.wire()
    q.enable("eth0", ME, 0)
    h.joined("eth0", G, 0)
    h2.set_filter("eth0", G2, INCLUDE, [LOWER], 0)
    link.run(1000 * SEC)  # many Group Membership Intervals
    assert [r[1] for r in q.table(link.now)] == [G, G2] and qenv.named("group_expired") == []
    assert henv.stats["igmp.tx.report_v3"] >= 8  # answers to every general query
    h.left("eth0", G, link.now)
    t_leave = link.now
    link.run(t_leave + 10 * SEC)
    assert [(e[0] - t_leave, e[3]["group"]) for e in qenv.named("group_expired")] == [(2 * SEC, G)]
    assert [r[1] for r in q.table(link.now)] == [G2]


def test_an_igmpv2_querier_puts_hosts_in_v2_mode_and_membership_still_holds():
    qenv, henv = Env(1), Env(2)
    q = IgmpQuerier(qenv, None, QuerierConfig(version=2))
    h = IgmpLayer(henv, None)
    link = Link(("r", q, qenv, ME), ("h", h, henv, H))
    link.wire()
    q.enable("eth0", ME, 0)
    h.joined("eth0", G, 0)
    link.run(600 * SEC)
    assert h.version("eth0", link.now) == "IGMPv2" and [r[1] for r in q.table(link.now)] == [G]
    h.left("eth0", G, link.now)
    link.run(link.now + 5 * SEC)
    assert henv.stats["igmp.tx.leave"] == 1 and q.table(link.now) == []


def test_mld_host_and_querier():
    qenv, henv = Env(1), Env(2, link_local=LL_H)
    q = MldQuerier(qenv, None)
    h = MldLayer(henv, None)
    link = Link(("r", q, qenv, LL_R), ("h", h, henv, LL_H))
    link.wire()
    q.enable("eth0", LL_R, 0)
    h.joined("eth0", G6, 0)
    link.run(800 * SEC)
    assert [r[1] for r in q.table(link.now)] == [G6]
    h.left("eth0", G6, link.now)
    t = link.now
    link.run(t + 5 * SEC)
    assert q.table(link.now) == [] and qenv.named("group_expired")[-1][0] == t + 2 * SEC
