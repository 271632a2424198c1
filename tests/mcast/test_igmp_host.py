"""The IGMP host state machine (RFC 3376 §5, §7.2.1; RFC 2236 §6) with a virtual clock:
every report asserted as bytes parsed back by the codec, with its destination and time."""

import pytest

from stack.addr import ip
from stack.igmp import IgmpLayer
from stack.mcast import EXCLUDE, INCLUDE
from stack.mcast_host import MembershipConfig
from stack.wire import igmp as wire
from stack.wire.igmp import GroupRecord
from tests.mcast.helpers import Env

G, G2 = ip("239.1.1.1"), ip("239.2.2.2")
S1, S2, S3 = ip("198.51.100.1"), ip("198.51.100.2"), ip("198.51.100.3")
Q = ip("192.0.2.254")  # the querier
OTHER = ip("192.0.2.77")  # another member
SEC = 1_000_000
TO_IN, TO_EX, ALLOW, BLOCK, IS_IN, IS_EX = 3, 4, 5, 6, 1, 2


def host(seed=1, **cfg):
    env = Env(seed)
    return env, IgmpLayer(env, env.send, MembershipConfig(**cfg) if cfg else None)


def reports(sent):
    """[(time, dst, parsed)] of what was sent."""
    return [(t, dst, wire.parse(memoryview(m))) for t, _, dst, m in sent]


def records(sent):
    out = []
    for t, dst, m in reports(sent):
        assert dst == wire.ALL_V3_ROUTERS and m.type == wire.V3_REPORT
        out.extend((r.type, r.group, r.sources) for r in m.records)
    return out


def query(layer, env, group=bytes(4), mrc=100, sources=(), qrv=2, qqic=125):
    layer.input("eth0", Q, group if any(group) else wire.ALL_SYSTEMS,
                wire.build_query_v3(group, mrc, sources, False, qrv, qqic), env.now)


# -- state changes (§5.1) ---------------------------------------------------------------

def test_join_sends_to_ex_now_and_once_more_within_the_unsolicited_report_interval():
    env, layer = host()
    layer.joined("eth0", G, 0)
    sent = env.take()
    assert [(t, dst) for t, _, dst, _ in sent] == [(0, wire.ALL_V3_ROUTERS)]
    assert records(sent) == [(TO_EX, G, ())]
    assert 0 < layer.poll_at() <= SEC  # (0, Unsolicited Report Interval]
    env.run(layer, 10 * SEC)
    sent = env.take()
    assert len(sent) == 1 and 0 < sent[0][0] <= SEC and records(sent) == [(TO_EX, G, ())]
    assert layer.poll_at() is None and env.stats["igmp.tx.report_v3"] == 2
    assert layer.groups() == [("eth0", G, layer.ifaces["eth0"].groups[G].filter)]


def test_leave_sends_to_in_empty_robustness_times_then_forgets_the_group():
    env, layer = host()
    layer.joined("eth0", G, 0)
    env.run(layer, 5 * SEC)
    env.take()
    layer.left("eth0", G, env.now)
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(TO_IN, G, ()), (TO_IN, G, ())]
    assert layer.groups() == [] and layer.ifaces["eth0"].groups == {}


def test_robustness_three_sends_three():
    env, layer = host(robustness=3)
    layer.joined("eth0", G, 0)
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(TO_EX, G, ())] * 3


def test_source_list_changes_in_include_mode_are_allow_and_block():
    env, layer = host()
    layer.set_filter("eth0", G, INCLUDE, [S1], 0)
    env.run(layer, 5 * SEC)
    assert records(env.take()) == [(ALLOW, G, (S1,))] * 2
    layer.changed("eth0", G, INCLUDE, frozenset([S1, S2]), env.now)  # the host's hook, the same call
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(ALLOW, G, (S2,))] * 2
    layer.set_filter("eth0", G, INCLUDE, [S2], env.now)
    env.run(layer, 15 * SEC)
    assert records(env.take()) == [(BLOCK, G, (S1,))] * 2


def test_source_list_changes_in_exclude_mode_invert_allow_and_block():
    env, layer = host()
    layer.set_filter("eth0", G, EXCLUDE, [S1], 0)
    env.run(layer, 5 * SEC)
    assert records(env.take()) == [(TO_EX, G, (S1,))] * 2
    layer.set_filter("eth0", G, EXCLUDE, [S2], env.now)  # S1 now allowed, S2 blocked
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(ALLOW, G, (S1,)), (BLOCK, G, (S2,))] * 2


def test_include_to_exclude_is_a_filter_mode_change_with_the_whole_list():
    env, layer = host()
    layer.set_filter("eth0", G, INCLUDE, [S1], 0)
    env.run(layer, 5 * SEC)
    env.take()
    layer.set_filter("eth0", G, EXCLUDE, [S2, S3], env.now)
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(TO_EX, G, (S2, S3))] * 2


def test_a_change_before_the_retransmissions_end_merges_into_a_new_first_report():
    """§5.1: the new report goes out at once and restarts the count; the old retransmission
    is not sent."""
    env, layer = host()
    layer.joined("eth0", G, 0)
    env.now = 1
    layer.left("eth0", G, 1)
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(TO_EX, G, ()), (TO_IN, G, ()), (TO_IN, G, ())]


def test_source_changes_during_filter_mode_retransmissions_follow_them():
    """§5.1: the Filter-Mode-Change records carry the current list while owed, then the
    scheduled Source-List-Change records come."""
    env, layer = host()
    layer.joined("eth0", G, 0)
    env.now = 1
    layer.set_filter("eth0", G, EXCLUDE, [S1], 1)
    env.run(layer, 10 * SEC)
    assert records(env.take()) == [(TO_EX, G, ()), (TO_EX, G, (S1,)), (BLOCK, G, (S1,)), (BLOCK, G, (S1,))]


def test_all_systems_is_never_reported_and_unchanged_state_sends_nothing():
    env, layer = host()
    layer.joined("eth0", wire.ALL_SYSTEMS, 0)
    layer.joined("eth0", G, 0)
    layer.joined("eth0", G, 0)  # the same interface state again
    assert records(env.take()) == [(TO_EX, G, ())]


def test_groups_due_together_share_one_report_and_big_ones_are_split():
    env, layer = host(max_message=8 + 2 * 8)  # room for two empty records
    for i in range(5):
        layer.joined("eth0", bytes([239, 0, 0, i + 1]), 0)
    env.take()
    query(layer, env, mrc=1)  # 0.1 s
    env.run(layer, 5 * SEC)
    sent = reports(env.take())
    answers = [m for t, _, m in sent if all(r.type == IS_EX for r in m.records)]
    assert [len(m.records) for m in answers] == [2, 2, 1]
    assert sorted(r.group for m in answers for r in m.records) == [bytes([239, 0, 0, i + 1]) for i in range(5)]


# -- queries (§5.2) ------------------------------------------------------------------------

def joined(seed=1, **cfg):
    env, layer = host(seed, **cfg)
    layer.joined("eth0", G, 0)
    layer.set_filter("eth0", G2, INCLUDE, [S1, S2], 0)
    env.run(layer, 10 * SEC)
    env.take()
    return env, layer


def test_general_query_is_answered_with_current_state_records_within_max_resp():
    env, layer = joined()
    query(layer, env, mrc=50)  # 5 s
    t0 = env.now
    env.run(layer, t0 + 20 * SEC)
    sent = env.take()
    assert len(sent) == 1 and t0 <= sent[0][0] <= t0 + 5 * SEC
    assert sorted(records(sent)) == [(IS_IN, G2, (S1, S2)), (IS_EX, G, ())]
    assert env.stats["igmp.rx.query_v3"] == 1


def test_a_sooner_pending_general_answer_absorbs_later_queries():
    env, layer = joined()
    query(layer, env, mrc=1)  # answer due within 0.1 s
    query(layer, env, group=G, mrc=100)  # rule 1: nothing more scheduled (unless drawn sooner)
    query(layer, env, mrc=200)  # rule 1 again
    env.run(layer, env.now + 30 * SEC)
    assert len(env.take()) == 1


def test_group_specific_query_answers_that_group_only():
    env, layer = joined()
    query(layer, env, group=G2, mrc=10)
    env.run(layer, env.now + 5 * SEC)
    assert records(env.take()) == [(IS_IN, G2, (S1, S2))]
    query(layer, env, group=ip("239.9.9.9"), mrc=10)  # not a member: ignored
    env.run(layer, env.now + 5 * SEC)
    assert env.take() == [] and env.stats["igmp.rx.query_not_member"] == 1


@pytest.mark.parametrize("state, asked, answer", [
    ((INCLUDE, [S1, S2]), [S2, S3], (S2,)),  # IS_IN(A*B)
    ((EXCLUDE, [S1]), [S1, S2], (S2,)),  # IS_IN(B-A)
    ((INCLUDE, [S1]), [S3], None),  # empty: no response
    ((EXCLUDE, [S1, S2]), [S1], None),
])
def test_group_and_source_specific_query(state, asked, answer):
    env, layer = host()
    layer.set_filter("eth0", G, *state, 0)
    env.run(layer, 10 * SEC)
    env.take()
    query(layer, env, group=G, mrc=10, sources=asked)
    env.run(layer, env.now + 5 * SEC)
    assert records(env.take()) == ([] if answer is None else [(IS_IN, G, answer)])


def test_source_queries_accumulate_and_a_group_query_clears_the_list():
    env, layer = host()
    layer.set_filter("eth0", G, INCLUDE, [S1, S2, S3], 0)
    env.run(layer, 10 * SEC)
    env.take()
    query(layer, env, group=G, mrc=100, sources=[S1])
    query(layer, env, group=G, mrc=100, sources=[S3])  # rule 5: augmented
    env.run(layer, env.now + 20 * SEC)
    assert records(env.take()) == [(IS_IN, G, (S1, S3))]
    query(layer, env, group=G, mrc=100, sources=[S1])
    query(layer, env, group=G, mrc=100)  # rule 4: a group query wins
    env.run(layer, env.now + 20 * SEC)
    assert records(env.take()) == [(IS_IN, G, (S1, S2, S3))]


def test_querier_robustness_is_adopted():
    env, layer = joined()
    query(layer, env, mrc=1, qrv=4)
    env.run(layer, env.now + 5 * SEC)
    env.take()
    layer.left("eth0", G, env.now)
    env.run(layer, env.now + 20 * SEC)
    assert records(env.take()) == [(TO_IN, G, ())] * 4


def test_the_same_seed_gives_the_same_times_and_another_seed_others():
    def times(seed):
        env, layer = joined(seed)
        query(layer, env, mrc=100)
        env.run(layer, env.now + 20 * SEC)
        return [t for t, *_ in env.take()]
    assert times(3) == times(3)
    assert times(3) != times(4)


# -- older versions (§7.2.1, RFC 2236) -----------------------------------------------------

def v2_query(layer, env, group=bytes(4), mrt=100):
    layer.input("eth0", Q, group if any(group) else wire.ALL_SYSTEMS, wire.build(wire.QUERY, mrt, group), env.now)


def test_v2_general_query_switches_to_igmpv2_and_cancels_v3_timers():
    env, layer = host()
    layer.joined("eth0", G, 0)  # a TO_EX retransmission is pending
    env.take()
    v2_query(layer, env)
    assert layer.version("eth0", env.now) == "IGMPv2"
    assert [e[3]["to"] for e in env.named("compat")] == ["IGMPv2"]
    env.run(layer, 20 * SEC)
    sent = reports(env.take())
    assert [(dst, m) for _, dst, m in sent] == [(G, wire.IgmpMessage(wire.V2_REPORT, 0, G))]  # the answer only
    assert 0 <= sent[0][0] <= 10 * SEC


def test_igmpv2_mode_join_leave_and_suppression():
    env, layer = host()
    v2_query(layer, env)
    layer.joined("eth0", G, env.now)
    env.run(layer, 30 * SEC)
    sent = reports(env.take())
    assert [(dst, m.type, m.group) for _, dst, m in sent] == [(G, wire.V2_REPORT, G)] * 2
    assert sent[0][0] == 0 and 0 < sent[1][0] <= 10 * SEC  # RFC 2236 §8.10: 10 s
    layer.left("eth0", G, env.now)
    assert [(dst, m.type, m.group) for _, dst, m in reports(env.take())] == [(wire.ALL_ROUTERS, wire.LEAVE, G)]
    # suppression: another member answers first, so we do not, and then we were not the last reporter
    layer.joined("eth0", G2, env.now)
    env.run(layer, env.now + 30 * SEC)
    env.take()
    v2_query(layer, env, mrt=100)
    layer.input("eth0", OTHER, G2, wire.build(wire.V2_REPORT, 0, G2), env.now)
    env.run(layer, env.now + 20 * SEC)
    assert env.take() == [] and env.stats["igmp.suppressed"] == 1
    layer.left("eth0", G2, env.now)
    assert env.take() == [] and env.named("leave_silent")[-1][3]["why"] == "another host reported last"


def test_igmpv2_group_query_lowers_a_pending_timer_only():
    env, layer = host(seed=5)
    v2_query(layer, env)
    layer.joined("eth0", G, env.now)
    env.run(layer, 30 * SEC)
    env.take()
    v2_query(layer, env, group=G, mrt=10)  # 1 s
    env.run(layer, env.now + 5 * SEC)
    sent = reports(env.take())
    assert len(sent) == 1 and sent[0][2].type == wire.V2_REPORT


def test_v2_group_specific_query_does_not_change_the_mode():
    env, layer = joined()
    v2_query(layer, env, group=G, mrt=10)
    assert layer.version("eth0", env.now) == "IGMPv3"
    env.run(layer, env.now + 5 * SEC)
    assert records(env.take()) == [(IS_EX, G, ())]


def test_v1_query_means_v1_reports_a_ten_second_window_and_no_leave():
    env, layer = host()
    layer.joined("eth0", G, 0)
    env.run(layer, 5 * SEC)
    env.take()
    layer.input("eth0", Q, wire.ALL_SYSTEMS, wire.build(wire.QUERY, 0, bytes(4)), env.now)
    assert layer.version("eth0", env.now) == "IGMPv1"
    t0 = env.now
    env.run(layer, t0 + 30 * SEC)
    sent = reports(env.take())
    assert [(dst, m.type) for _, dst, m in sent] == [(G, wire.V1_REPORT)] and sent[0][0] <= t0 + 10 * SEC
    layer.left("eth0", G, env.now)
    assert env.take() == [] and env.stats["igmp.tx.leave"] == 0


def test_v1_wins_over_v2_and_both_expire_back_to_v3():
    env, layer = host()
    v2_query(layer, env)
    layer.input("eth0", Q, wire.ALL_SYSTEMS, wire.build(wire.QUERY, 0, bytes(4)), env.now)
    assert layer.version("eth0", env.now) == "IGMPv1"
    # Older Version Querier Present Timeout = RV * QI + QRI = 2 * 125 s + 10 s
    assert layer.version("eth0", 260 * SEC - 1) == "IGMPv1"
    env.run(layer, 261 * SEC)
    assert layer.version("eth0", env.now) == "IGMPv3"
    assert [e[3]["to"] for e in env.named("compat")] == ["IGMPv2", "IGMPv1", "IGMPv3"]
    layer.joined("eth0", G, env.now)
    assert records(env.take()) == [(TO_EX, G, ())]


def test_bad_input_is_counted_and_traced_never_raised():
    env, layer = joined()
    good = wire.build_query_v3(bytes(4))
    layer.input("eth0", Q, wire.ALL_SYSTEMS, good[:2] + b"\0\0" + good[4:], env.now)
    layer.input("eth0", Q, wire.ALL_SYSTEMS, good[:5], env.now)
    layer.input("eth0", Q, wire.ALL_SYSTEMS, wire.build(0x13, 0, G), env.now)
    layer.input("eth0", OTHER, wire.ALL_ROUTERS, wire.build(wire.LEAVE, 0, G), env.now)
    layer.input("eth0", OTHER, wire.ALL_V3_ROUTERS, wire.build_report_v3([GroupRecord(TO_EX, G)]), env.now)
    assert (env.stats["igmp.rx.bad_checksum"], env.stats["igmp.rx.truncated"], env.stats["igmp.rx.unknown_type"],
            env.stats["igmp.rx.leave"], env.stats["igmp.rx.report_v3"]) == (1, 1, 1, 1, 1)
    assert [e[3]["reason"] for e in env.named("drop")] == ["bad_checksum", "truncated"]
    env.run(layer, env.now + 30 * SEC)
    assert env.take() == []
