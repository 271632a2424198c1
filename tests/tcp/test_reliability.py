"""Retransmission (RFC 6298), loss recovery (RFC 5681/6582/6675), flow control, Nagle,
delayed ACKs, persist and keepalive timers, PMTU and ICMP."""

import errno

import pytest

from stack.clock import MS, SECOND
from stack.seq import seq_add
from stack.tcp import SocketOptions, State, TcpConfig
from stack.tcp.info import unpack
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, RST, SYN, TcpOptions

from .harness import A, B, Harness


def nodelay():
    return SocketOptions(nodelay=True)


# ---- RTO, backoff, Karn, retry limits
def test_syn_retransmitted_with_backoff_then_etimedout():
    h = Harness(syn_retries=2)
    syn = h.syn_sent()
    times = []
    while h.conn.state is State.SYN_SENT:
        h.fire()
        segs = h.sent()
        if segs:
            assert segs[0].flags == SYN and segs[0].seq == syn.seq
            times.append(h.now)
    assert times == [1 * SECOND, 3 * SECOND]
    assert h.now == 7 * SECOND
    with pytest.raises(TimeoutError):
        h.conn.recv(1, h.now)


def test_data_rto_doubles_and_ends_in_etimedout():
    h = Harness(retries2=3)
    h.established()
    h.now = 10 * MS
    h.conn.send(b"x" * 100, h.now)
    first = h.one()
    times = []
    while h.conn.state is State.ESTABLISHED:
        h.fire()
        for s in h.sent():
            assert s.seq == first.seq and s.data == first.data
            times.append(h.now - 10 * MS)
    # RTO 200 ms (Linux minimum), doubling
    assert times == [200 * MS, 600 * MS, 1400 * MS]
    assert {e["why"] for e in h.env.events("retransmit")} == {"go-back-N (RTO or PMTU)"}
    assert h.now - 10 * MS == 3000 * MS
    assert h.conn.error == errno.ETIMEDOUT
    assert h.env.stats["tcp.timeout.data"] == 1


def test_rtt_sample_and_karn():
    h = Harness()
    h.established()
    c = h.conn
    c.send(b"a" * 100, h.now)
    h.sent()
    h.advance(50 * MS)
    h.push(ACK, ack=c.snd_nxt)
    assert c.rtt.latest == 50 * MS
    srtt = c.rtt.srtt
    c.send(b"b" * 100, h.now)
    h.sent()
    h.fire()  # RTO: retransmission
    assert h.one().data == b"b" * 100
    h.advance(5 * MS)
    h.push(ACK, ack=c.snd_nxt)
    assert c.rtt.srtt == srtt  # Karn: no sample from a retransmitted segment
    assert c.rtt.backoff == 1


def test_rto_into_shrunk_zero_window_probes_without_timing_out():
    """Regression: an RTO after the peer shrank its window to zero used to send new data
    past snd_max and then spin on window probes; now the head segment is resent as a
    probe, snd_max stays, and retries2 does not end a connection whose peer answers."""
    h = Harness(retries2=2)
    h.established(TcpOptions(mss=1000), window=3000, opts=nodelay())
    c = h.conn
    c.send(b"r" * 5000, h.now)
    segs = h.sent()
    assert [len(s.data) for s in segs] == [1000, 1000, 1000]
    snd_max = c.snd_max
    h.push(ACK, ack=c.snd_una, window=0)  # the receiver reneges on its window
    for _ in range(5):
        h.fire()
        out = h.one()
        assert out.seq == segs[0].seq and len(out.data) == 1000
        assert c.snd_max == snd_max
        h.push(ACK, ack=c.snd_una, window=0)  # still alive, still closed
    assert c.state is State.ESTABLISHED
    h.push(ACK, ack=segs[1].seq + 1000, window=3000)
    assert c.snd_una == segs[1].seq + 1000


def test_rto_retransmits_into_a_window_smaller_than_sws_threshold():
    """Regression: sender SWS avoidance blocked the go-back-N retransmission after an RTO
    when the window had become smaller than half the largest one offered."""
    h = Harness()
    h.established(TcpOptions(mss=1000), window=10000, opts=nodelay())
    c = h.conn
    c.send(b"s" * 3000, h.now)
    segs = h.sent()
    h.push(ACK, ack=c.snd_una, window=500)
    h.fire()
    out = h.one()
    assert out.seq == segs[0].seq and len(out.data) == 500


def test_acks_carry_snd_max_after_rto_rewinds_snd_nxt():
    """Regression (found by the chaos runs): with both ends in go-back-N after RTOs,
    ACKs stamped with the rewound snd_nxt looked old to the peer, which dropped them
    unread: a deadlock ending in ETIMEDOUT."""
    h = Harness()
    h.established(TcpOptions(mss=1000), opts=nodelay())
    c = h.conn
    c.send(b"t" * 3000, h.now)
    h.sent()
    h.fire()  # RTO: snd_nxt rewinds to snd_una (+ the one resent segment)
    h.sent()
    assert c.snd_nxt != c.snd_max
    h.send_data(b"x", ack=c.snd_una)
    h.advance(40 * MS)
    ack = h.one()
    assert ack.flags == ACK and ack.seq == c.snd_max


def test_rto_rfc_profile_minimum_one_second():
    h = Harness(TcpConfig.rfc())
    h.established()
    h.conn.send(b"x", h.now)
    h.sent()
    assert h.fire() == 1 * SECOND


# ---- fast retransmit / NewReno
def _flight(h, n, size=1000):
    h.conn.send(b"".join(bytes([65 + i]) * size for i in range(n)), h.now)
    segs = h.sent()
    assert [len(s.data) for s in segs] == [size] * n
    return segs


def test_fast_retransmit_and_newreno_partial_ack():
    h = Harness(congestion="newreno")
    h.established(TcpOptions(mss=1000), opts=nodelay())
    c = h.conn
    segs = _flight(h, 6)
    una = segs[0].seq
    for _ in range(2):
        h.push(ACK, ack=una)
    h.none()
    h.push(ACK, ack=una)  # third duplicate
    rtx = h.one()
    assert rtx.seq == una and rtx.data == segs[0].data
    assert c.in_recovery and c.cc.ssthresh == 3000 and c.cc.cwnd == 3000 + 3 * 1000
    # partial ACK (segments 0,1 arrive; 2 was lost too): retransmit segment 2 at once
    h.push(ACK, ack=segs[2].seq)
    rtx = h.one()
    assert rtx.seq == segs[2].seq and c.in_recovery
    # full ACK ends recovery
    h.push(ACK, ack=c.snd_max)
    assert not c.in_recovery and c.cc.cwnd <= c.cc.ssthresh
    assert h.env.stats["tcp.fast_retransmit"] == 1
    assert [e["why"] for e in h.env.events("retransmit")] == ["fast retransmit", "partial ack"]


def test_sack_recovery_retransmits_only_holes():
    h = Harness()
    h.established(TcpOptions(mss=1000, sack_permitted=True), opts=nodelay())
    c = h.conn
    segs = _flight(h, 8)
    una = segs[0].seq
    # segments 0 and 3 lost; the peer SACKs 1-2 and 4-7
    def sack(*blocks):
        return tcp_wire.encode_options(TcpOptions(sack_blocks=blocks))
    h.push(ACK, ack=una, options=sack((segs[1].seq, segs[3].seq)))
    h.push(ACK, ack=una, options=sack((segs[4].seq, segs[5].seq), (segs[1].seq, segs[3].seq)))
    h.push(ACK, ack=una, options=sack((segs[4].seq, segs[8 - 1].seq + 1000), (segs[1].seq, segs[3].seq)))
    out = h.sent()
    assert c.in_recovery
    assert [s.seq for s in out] == [segs[0].seq, segs[3].seq]
    h.push(ACK, ack=c.snd_max)
    assert not c.in_recovery


def test_initial_window_is_ten_segments():
    h = Harness()
    h.established(TcpOptions(mss=1000))
    h.conn.send(b"z" * 20000, h.now)
    segs = h.sent()
    assert len(segs) == 10 and all(len(s.data) == 1000 for s in segs)


# ---- flow control
def test_receive_window_tracks_free_buffer():
    h = Harness(rcvbuf=4000)
    h.established()
    h.send_data(b"x" * 1460)
    h.send_data(b"x" * 1460)
    ack = h.one()
    assert ack.window == 4000 - 2920
    h.conn.recv(2920, h.now)
    upd = h.one()  # window update after reading
    assert upd.window == 4000 and h.env.stats["tcp.tx.window_update"] == 1


def test_receiver_sws_avoidance_small_reads_do_not_reopen_window():
    h = Harness(rcvbuf=10000)
    h.established(TcpOptions(mss=1000))
    for _ in range(10):
        h.send_data(b"y" * 1000)
    assert h.sent()[-1].window == 0
    h.conn.recv(100, h.now)  # frees 100 bytes < MSS: no window update
    h.none()
    h.push(ACK, seq_add(h.peer_nxt, -1), ack=h.conn.snd_nxt)  # the peer's zero-window probe
    assert h.one().window == 0  # the right edge does not creep forward by 100 bytes
    h.conn.recv(900, h.now)
    upd = h.one()
    assert upd.window == 1000


def test_persist_timer_probes_zero_window_with_backoff():
    h = Harness()
    h.established(window=0)
    c = h.conn
    c.send(b"data", h.now)
    h.none()
    assert h.fire() == 200 * MS
    probe = h.one()
    assert probe.seq == seq_add(c.snd_una, -1) and probe.data == b""
    h.push(ACK, ack=c.snd_una, window=0)  # still closed
    assert h.fire() == 600 * MS  # backed off
    h.one()
    h.push(ACK, ack=c.snd_una, window=1000)
    assert h.one().data == b"data"
    assert h.env.stats["tcp.tx.window_probe"] == 2


def test_sender_sws_avoidance_waits_for_useful_window():
    h = Harness()
    h.established(TcpOptions(mss=1000), window=10000, opts=nodelay())
    c = h.conn
    c.send(b"q" * 16000, h.now)
    assert len(h.sent()) == 10
    h.push(ACK, ack=c.snd_nxt, window=100)  # a 100-byte window: too small to use
    h.none()
    h.push(ACK, ack=c.snd_nxt, window=6000)
    assert [len(s.data) for s in h.sent()] == [1000] * 6


def test_nagle_holds_small_segment_until_ack():
    h = Harness()
    h.established()
    c = h.conn
    c.send(b"a", h.now)
    assert h.one().data == b"a"
    c.send(b"b", h.now)
    c.send(b"c", h.now)
    h.none()  # Nagle: one small segment outstanding
    h.push(ACK, ack=c.snd_nxt)
    assert h.one().data == b"bc"


def test_nodelay_sends_small_segments_at_once():
    h = Harness()
    h.established(opts=nodelay())
    c = h.conn
    c.send(b"a", h.now)
    c.send(b"b", h.now)
    assert [s.data for s in h.sent()] == [b"a", b"b"]


def test_set_nodelay_pushes_pending_data():
    h = Harness()
    h.established()
    c = h.conn
    c.send(b"a", h.now)
    c.send(b"b", h.now)
    assert len(h.sent()) == 1
    c.set_nodelay(True, h.now)
    assert h.one().data == b"b"


# ---- delayed ACKs
def test_delayed_ack_after_one_segment_immediate_after_two():
    h = Harness()
    h.established()
    h.send_data(b"1" * 1460)
    h.none()
    h.send_data(b"2" * 1460)
    assert h.one().ack == h.peer_nxt
    h.send_data(b"3" * 10)
    h.none()
    h.advance(39 * MS)
    h.none()
    h.advance(1 * MS)
    assert h.one().ack == h.peer_nxt


# ---- keepalive
def test_keepalive_probes_then_etimedout():
    h = Harness()
    h.established(opts=SocketOptions(keepalive=True))
    c = h.conn
    h.fire()
    assert h.now == 7200 * SECOND
    probe = h.one()
    assert probe.seq == seq_add(c.snd_una, -1) and probe.flags == ACK
    for i in range(8):
        h.fire()
        h.one()
    h.fire()
    assert h.now == 7200 * SECOND + 9 * 75 * SECOND
    rst = h.one()
    assert rst.flags == RST and c.state is State.CLOSED and c.error == errno.ETIMEDOUT


def test_keepalive_answered_keeps_connection():
    h = Harness()
    h.established(opts=SocketOptions(keepalive=True, keepidle=10 * SECOND, keepintvl=SECOND, keepcnt=2))
    c = h.conn
    h.fire()
    h.one()
    h.push(ACK, ack=c.snd_nxt)  # the peer answers
    h.fire()
    assert h.now == 20 * SECOND and h.one().seq == seq_add(c.snd_una, -1)
    assert c.state is State.ESTABLISHED


def test_keepalive_timings_set_on_a_child_with_default_options_leave_the_defaults_alone():
    """A listener's children share the never-changed default options; setting a child's
    keepalive timings gives it its own copy, and its first probe goes at its own idle time."""
    from stack.tcp.config import DEFAULT_OPTIONS

    h = Harness()
    h.listen(80, opts=DEFAULT_OPTIONS)  # (as the socket layer's listener has them until a setsockopt)
    h.syn_received()
    c = h.conn
    assert c.opts is DEFAULT_OPTIONS
    before = DEFAULT_OPTIONS.copy()
    c.set_keepalive(True, h.now, idle=7 * SECOND, intvl=SECOND, cnt=3)
    assert c.opts is not DEFAULT_OPTIONS and DEFAULT_OPTIONS == before
    assert (c.keepidle, c.keepintvl, c.keepcnt) == (7 * SECOND, SECOND, 3)


# ---- PMTU and ICMP
def test_frag_needed_lowers_mss_and_retransmits():
    h = Harness()
    h.established()
    c = h.conn
    c.send(b"m" * 2920, h.now)
    segs = h.sent()
    assert [len(s.data) for s in segs] == [1460, 1460]
    quoted = segs[0].raw[:8]
    h.layer.icmp_error("frag_needed", A, B, memoryview(quoted), 1000, h.now)
    assert c.mss == 1000 - 40
    out = h.sent()
    assert out and out[0].seq == segs[0].seq and len(out[0].data) == 960
    assert h.env.stats["tcp.pmtu.lowered"] == 1


def test_icmp_with_stale_sequence_ignored():
    h = Harness()
    syn = h.syn_sent()
    quoted = bytearray(syn.raw[:8])
    quoted[4:8] = (syn.seq + 12345).to_bytes(4, "big")
    h.layer.icmp_error("port_unreach", A, B, memoryview(bytes(quoted)), None, 0)
    assert h.conn.state is State.SYN_SENT and h.env.stats["tcp.icmp.bad_seq"] == 1


def test_icmp_port_unreachable_in_syn_sent_refuses():
    h = Harness()
    syn = h.syn_sent()
    h.layer.icmp_error("port_unreach", A, B, memoryview(syn.raw[:8]), None, 0)
    assert h.conn.state is State.CLOSED
    with pytest.raises(ConnectionRefusedError):
        h.conn.recv(1, 0)


def test_icmp_soft_error_when_established_reported_on_timeout():
    h = Harness(retries2=1)
    h.established()
    h.conn.send(b"x", h.now)
    seg = h.one()
    h.layer.icmp_error("host_unreach", A, B, memoryview(seg.raw[:8]), None, h.now)
    assert h.conn.state is State.ESTABLISHED
    while h.conn.state is State.ESTABLISHED:
        h.fire()
    assert h.conn.error == errno.EHOSTUNREACH


# ---- tcp_info and series
def test_tcp_info_layout():
    h = Harness()
    h.established(TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(1, 0)))
    raw = h.conn.tcp_info(h.now)
    assert len(raw) == 144
    info = unpack(raw)
    assert raw[0] == 1 and info["state"] == 1  # TCP_ESTABLISHED
    assert info["options"] == 1 | 2 | 4
    assert raw[6] == (7 | (3 << 4))
    assert int.from_bytes(raw[16:20], "little") == 1448  # snd_mss at offset 16
    assert int.from_bytes(raw[8:12], "little") == 200_000  # rto (us)
    assert int.from_bytes(raw[80:84], "little") == 10  # snd_cwnd (segments)
    assert int.from_bytes(raw[76:80], "little") == 0x7FFFFFFF  # infinite ssthresh


def test_total_retrans_counts_in_tcp_info():
    h = Harness()
    h.established()
    h.conn.send(b"x", h.now)
    h.sent()
    h.fire()
    h.fire()
    assert int.from_bytes(h.conn.tcp_info()[100:104], "little") == 2


def test_series_recording():
    h = Harness()
    h.established(opts=SocketOptions(record=True))
    h.conn.send(b"x" * 1000, h.now)
    h.advance(10 * MS)
    h.push(ACK, ack=h.conn.snd_nxt)
    t, cwnd, ssthresh, srtt, rto, flight, rwnd = h.conn.series[-1]
    # RFC 6298 §2.3: the handshake's sample (1 us) then 10 ms: SRTT = (7 * 1 + 10000) / 8
    assert t == h.now and cwnd >= 14600 and srtt == (7 * 1 + 10 * MS) // 8 and flight == 0


def test_repeated_rto_keeps_ssthresh_rfc5681():
    h = Harness(congestion="newreno")
    h.established(TcpOptions(mss=1000), opts=nodelay())
    c = h.conn
    c.send(b"u" * 8000, h.now)
    h.sent()
    h.fire()
    assert (c.cc.cwnd, c.cc.ssthresh) == (1000, 4000)  # max(FlightSize / 2, 2 SMSS)
    h.fire()
    assert (c.cc.cwnd, c.cc.ssthresh) == (1000, 4000)  # held constant on the second timeout


def test_rto_is_three_seconds_after_a_retransmitted_syn_rfc6298_5_7():
    h = Harness()
    syn = h.syn_sent()
    h.fire()  # the SYN is retransmitted at 1 s: no RTT sample (Karn)
    h.sent()
    h.push(SYN | ACK, h.PEER_ISS, ack=syn.seq + 1, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    h.sent()
    assert h.conn.rtt.srtt == 0 and h.conn.rtt.current() == 3 * SECOND
    assert h.conn.cc.cwnd == h.conn.mss  # RFC 5681 §3.1: the loss window after a lost SYN
