"""The pieces on their own: RTT estimator, congestion controllers, reassembly, scoreboard."""

from hypothesis import given, settings, strategies as st

from stack.clock import MS, SECOND
from stack.seq import seq_add
from stack.tcp.congestion import make
from stack.tcp.congestion.base import INFINITE_SSTHRESH
from stack.tcp.reassembly import Reassembly
from stack.tcp.rtt import RttEstimator
from stack.tcp.sack import Scoreboard


# ---- RFC 6298
def test_rtt_first_and_subsequent_samples():
    r = RttEstimator(SECOND, 200 * MS, 120 * SECOND)
    assert r.rto == SECOND  # §2.1 before any sample
    r.sample(100 * MS)
    assert (r.srtt, r.rttvar) == (100 * MS, 50 * MS)  # §2.2
    assert r.rto == 100 * MS + 4 * 50 * MS  # 300 ms
    r.sample(200 * MS)
    assert r.rttvar == (3 * 50 * MS + 100 * MS) // 4 and r.srtt == (7 * 100 * MS + 200 * MS) // 8  # §2.3


def test_rto_clamped_and_backoff_capped():
    r = RttEstimator(SECOND, 200 * MS, 2 * SECOND)
    r.sample(1 * MS)
    assert r.rto == 200 * MS  # §2.4 minimum (Linux 200 ms)
    for _ in range(10):
        r.on_timeout()
    assert r.current() == 2 * SECOND  # §5.5 with a maximum
    r.sample(1 * MS)
    assert r.current() == 200 * MS  # a new sample collapses the backoff


# ---- congestion control
def test_initial_window_rfc6928():
    assert make("newreno", 1460, 10).cwnd == 14600
    assert make("newreno", 536, 10).cwnd == 5360
    assert make("cubic", 9000, 10).cwnd == 18000  # min(10*MSS, max(2*MSS, 14600))
    assert make("newreno", 1460, 10).ssthresh == INFINITE_SSTHRESH


def test_newreno_slow_start_then_linear_growth():
    cc = make("newreno", 1000, 10)
    cc.on_ack(1000, 0, 0)
    assert cc.cwnd == 11000
    cc.ssthresh = cc.cwnd
    for _ in range(11):
        cc.on_ack(1000, 0, 0)
    assert cc.cwnd == 12000  # one SMSS per window of ACKed data (RFC 5681 §3.1)
    assert cc.ssthresh_after_loss(20000, 0) == 10000


def test_newreno_rto_loss_window():
    cc = make("newreno", 1000, 10)
    cc.on_rto(8000, 0)
    assert (cc.cwnd, cc.ssthresh) == (1000, 4000)


def test_cubic_decrease_and_concave_regrowth_to_wmax():
    cc = make("cubic", 1000, 10)
    cc.cwnd = 100_000
    cc.ssthresh = cc.ssthresh_after_loss(100_000, 0)
    assert cc.ssthresh == 70_000  # beta 0.7
    cc.cwnd = cc.ssthresh
    t = 0
    samples = []
    while t < 20 * SECOND:
        cc.on_ack(cc.cwnd // 10, t, 100 * MS)
        t += 10 * MS
        samples.append((t, cc.cwnd))
    k = ((100 - 70) / 0.4) ** (1 / 3)  # seconds to regain W_max (RFC 9438 eq. 2)
    near_k = [w for (tt, w) in samples if abs(tt / SECOND - k) < 0.15]
    assert near_k and all(abs(w - 100_000) < 12_000 for w in near_k)
    assert samples[-1][1] > 150_000  # convex growth beyond W_max


def test_cubic_fast_convergence():
    cc = make("cubic", 1000, 10)
    cc.cwnd = 100_000
    cc.ssthresh_after_loss(0, 0)
    cc.cwnd = 80_000
    cc.ssthresh_after_loss(0, 0)
    assert abs(cc.w_max - 80 * (1 + 0.7) / 2) < 1e-9  # §4.7


# ---- reassembly
def test_reassembly_merges_and_releases_in_order():
    r = Reassembly()
    assert r.add(10, b"b" * 10, 1000)
    assert r.add(30, b"d" * 10, 1000)
    assert r.add(15, b"c" * 20, 1000)  # bridges: [10, 40)
    assert len(r) == 1 and r.nbytes == 30
    # bytes already held win over a retransmission's overlapping copy
    assert r.advance(10) == b"b" * 10 + b"c" * 10 + b"d" * 10


def test_reassembly_byte_limit():
    r = Reassembly()
    assert r.add(10, b"x" * 100, 150)
    assert not r.add(200, b"y" * 100, 150)
    assert r.add(50, b"x" * 10, 150)  # a duplicate costs nothing


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(1, 60)), max_size=30))
def test_reassembly_matches_a_byte_model(pieces):
    stream = bytes((i * 7 + 3) & 0xFF for i in range(400))
    r = Reassembly(limit_segs=1000)
    have = set()
    for off, n in pieces:
        r.add(off, stream[off:off + n], 10**6)
        have.update(range(off, min(off + n, 400)))
    assert r.nbytes == len(have)
    for s, e, data, _ in r.pieces:
        assert data == stream[s:e]
    # filling [0, 1) releases exactly the contiguous run
    run = 1
    while run in have:
        run += 1
    out = r.advance(1)
    assert out == stream[1:run]


def test_sack_blocks_most_recent_first():
    r = Reassembly()
    r.add(100, b"a", 10**6)
    r.add(300, b"b", 10**6)
    r.add(200, b"c", 10**6)
    assert r.blocks() == [(200, 201), (300, 301), (100, 101)]
    r.add(101, b"d", 10**6)
    assert r.blocks()[0] == (100, 102)


# ---- scoreboard (RFC 6675)
def test_scoreboard_update_advance_and_loss_edge():
    sb = Scoreboard()
    una = 0xFFFFFF00  # across the wrap
    new = sb.update([(seq_add(una, 1000), seq_add(una, 3000)), (seq_add(una, 4000), seq_add(una, 5000))],
                    una, seq_add(una, 6000))
    assert new == 3000 and sb.ranges == [[1000, 3000], [4000, 5000]]
    assert sb.lost_edge(3 * 1000) == 1000  # 3000 bytes SACKed above offset 1000
    assert list(sb.holes_below(1000)) == [(0, 1000)]
    assert sb.sacked_end(1500) == 3000 and sb.sacked_end(3500) is None
    sb.advance(2000)
    assert sb.ranges == [[0, 1000], [2000, 3000]] and sb.sacked == 2000


def test_scoreboard_ignores_blocks_beyond_snd_max():
    sb = Scoreboard()
    assert sb.update([(100, 200), (500, 900)], 0, 800) == 100
