"""RFC 9293 §3.10.7 "SEGMENT ARRIVES", step by step, plus RFC 5961, RFC 1337, RFC 6191, PAWS."""

import errno

import pytest

from stack.clock import MS, SECOND
from stack.seq import seq_add
from stack.tcp import State
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TcpOptions

from .harness import A, B, Harness


# ---- §3.10.7.1 CLOSED
def test_closed_port_rst_for_segment_without_ack():
    h = Harness()
    h.push(SYN, 1000, dport=9, data=b"abc")
    rst = h.one()
    assert (rst.flags, rst.seq, rst.ack, rst.sport, rst.dport) == (RST | ACK, 0, 1000 + 3 + 1, 9, h.PEER_PORT)
    assert h.env.stats["tcp.rx.no_socket"] == 1


def test_closed_port_rst_for_segment_with_ack():
    h = Harness()
    h.push(ACK, 1000, ack=777, dport=9)
    rst = h.one()
    assert (rst.flags, rst.seq) == (RST, 777)


def test_closed_port_rst_is_never_answered():
    h = Harness()
    h.push(RST, 1000, dport=9)
    h.none()


def test_garbage_is_counted_and_traced_not_raised():
    h = Harness()
    h.layer.input(B, A, memoryview(b"\x00" * 10), 0)
    raw = bytearray(tcp_wire.build(1, 2, 3, 4, ACK, 5, b"x", B, A))
    raw[-1] ^= 0xFF
    h.layer.input(B, A, memoryview(bytes(raw)), 0)
    assert h.env.stats["tcp.rx.truncated"] == 1 and h.env.stats["tcp.rx.bad_checksum"] == 1
    assert [f["reason"] for f in h.env.events("drop")] == ["truncated", "bad_checksum"]
    h.none()


# ---- §3.10.7.2 LISTEN
def test_listen_ignores_rst_and_resets_acks():
    h = Harness()
    h.listen(80)
    h.push(RST, 5, dport=80)
    h.none()
    h.push(ACK, 5, ack=999, dport=80)
    rst = h.one()
    assert (rst.flags, rst.seq) == (RST, 999)
    h.push(PSH, 5, dport=80, data=b"no flags")  # neither SYN nor RST nor ACK: dropped
    h.none()


# ---- §3.10.7.3 SYN-SENT
def test_syn_sent_unacceptable_ack_gets_rst():
    h = Harness()
    syn = h.syn_sent()
    h.push(SYN | ACK, 5, ack=syn.seq + 100)
    rst = h.one()
    assert (rst.flags, rst.seq) == (RST, syn.seq + 100)
    assert h.conn.state is State.SYN_SENT


def test_syn_sent_rst_with_acceptable_ack_refuses():
    h = Harness()
    syn = h.syn_sent()
    h.push(RST | ACK, 0, ack=syn.seq + 1)
    assert h.conn.state is State.CLOSED
    with pytest.raises(ConnectionRefusedError):
        h.conn.recv(10, 0)
    assert not h.layer.conns and not h.layer.ports


def test_syn_sent_rst_without_ack_ignored():
    h = Harness()
    h.syn_sent()
    h.push(RST, 0)
    assert h.conn.state is State.SYN_SENT


def test_syn_sent_plain_ack_without_syn_dropped():
    h = Harness()
    syn = h.syn_sent()
    h.push(ACK, 5, ack=syn.seq + 1)
    h.none()
    assert h.conn.state is State.SYN_SENT


def test_syn_ack_carrying_data_delivers_it():
    h = Harness()
    syn = h.syn_sent()
    h.push(SYN | ACK, h.PEER_ISS, ack=syn.seq + 1, data=b"banner")
    ack = h.one()
    assert ack.ack == seq_add(h.PEER_ISS, 7)
    assert h.conn.recv(10, 0) == b"banner"


# ---- §3.10.7.4 first check: sequence numbers
def test_out_of_window_segment_gets_ack_and_is_dropped():
    h = Harness()
    h.established()
    h.push(ACK | PSH, seq_add(h.peer_nxt, 70000), ack=h.conn.snd_nxt, data=b"far")
    ack = h.one()
    assert ack.flags == ACK and ack.ack == h.peer_nxt
    assert h.conn.recv_available == 0 and h.env.stats["tcp.rx.out_of_window"] == 1


def test_old_duplicate_data_is_acked_not_delivered_twice():
    h = Harness()
    h.established()
    start = h.peer_nxt
    h.send_data(b"A" * 100)
    h.push(ACK | PSH, start, ack=h.conn.snd_nxt, data=b"A" * 100)
    ack = h.sent()[-1]
    assert ack.ack == h.peer_nxt
    assert h.conn.recv(1000, 0) == b"A" * 100


def test_overlapping_segment_is_trimmed_at_the_front():
    h = Harness()
    h.established()
    start = h.peer_nxt
    h.send_data(b"0123456789")
    h.push(ACK | PSH, seq_add(start, 5), ack=h.conn.snd_nxt, data=b"56789abcde")
    assert h.conn.recv(100, 0) == b"0123456789abcde"
    assert h.env.stats["tcp.rx.partial_duplicate"] == 1


def test_segment_beyond_window_is_trimmed_at_the_tail():
    h = Harness(rcvbuf=1000)
    h.established()
    h.push(ACK | PSH | FIN, ack=h.conn.snd_nxt, data=b"x" * 1500)
    ack = h.sent()[-1]
    assert ack.ack == seq_add(h.peer_nxt, 1000)  # FIN trimmed with the tail
    assert h.conn.state is State.ESTABLISHED and h.conn.recv_available == 1000


def test_zero_window_accepts_only_exact_empty_segments():
    h = Harness(rcvbuf=1000)
    h.established()
    h.send_data(b"x" * 1000)
    h.none()  # less than two full segments: the ACK is delayed...
    h.advance(40 * MS)
    ack = h.one()  # ...by 40 ms
    assert ack.window == 0 and h.env.stats["tcp.tx.delayed_ack"] == 1
    h.send_data(b"y")
    ack = h.one()
    assert ack.ack == seq_add(h.peer_nxt, -1) and ack.window == 0  # the byte was refused


# ---- second check: RST (RFC 5961 §3.2)
def test_rst_exact_sequence_resets_connection():
    h = Harness()
    h.established()
    h.push(RST, h.peer_nxt)
    assert h.conn.state is State.CLOSED
    with pytest.raises(ConnectionResetError):
        h.conn.recv(10, 0)
    assert h.conn.recv(10, 0) == b""
    with pytest.raises(BrokenPipeError):
        h.conn.send(b"x", 0)


def test_rst_in_window_but_not_exact_gets_challenge_ack():
    h = Harness()
    h.established()
    h.push(RST, seq_add(h.peer_nxt, 10))
    ack = h.one()
    assert ack.flags == ACK and ack.ack == h.peer_nxt
    assert h.conn.state is State.ESTABLISHED
    assert h.env.stats["tcp.tx.challenge_ack"] == 1


def test_rst_out_of_window_silently_dropped():
    h = Harness()
    h.established()
    h.push(RST, seq_add(h.peer_nxt, 100000))
    h.none()
    assert h.conn.state is State.ESTABLISHED


def test_challenge_acks_are_rate_limited_per_second():
    h = Harness(challenge_ack_limit=3)
    h.established()
    for i in range(10):
        h.push(RST, seq_add(h.peer_nxt, 10 + i))
    assert len(h.sent()) == 3
    assert h.env.stats["tcp.challenge_ack.limited"] == 7
    h.advance(SECOND)
    h.push(RST, seq_add(h.peer_nxt, 10))
    assert len(h.sent()) == 1


@pytest.mark.parametrize("state", ["close_wait", "fin_wait_2"])
def test_rst_in_other_synchronized_states(state):
    h = Harness()
    getattr(h, state)()
    h.push(RST, h.peer_nxt)
    assert h.conn.state is State.CLOSED


def test_rst_in_last_ack_closes_without_error():
    h = Harness()
    h.last_ack()
    h.push(RST, h.peer_nxt)
    assert h.conn.state is State.CLOSED and h.conn.error is None


# ---- fourth check: SYN in a synchronized state (RFC 5961 §4)
def test_syn_in_established_gets_challenge_ack():
    h = Harness()
    h.established()
    h.push(SYN, seq_add(h.peer_nxt, 5))
    ack = h.one()
    assert ack.flags == ACK and ack.ack == h.peer_nxt and h.conn.state is State.ESTABLISHED


# ---- fifth check: ACK
def test_segment_without_ack_dropped():
    h = Harness()
    h.established()
    h.push(PSH, data=b"hi")
    h.none()
    assert h.conn.recv_available == 0


def test_ack_of_unsent_data_gets_ack_and_dropped():
    h = Harness()
    h.established()
    h.push(ACK | PSH, ack=seq_add(h.conn.snd_nxt, 10), data=b"hi")
    ack = h.one()
    assert ack.ack == h.peer_nxt and h.conn.recv_available == 0


def test_window_update_rules_wl1_wl2():
    h = Harness()
    h.established()
    c = h.conn
    h.push(ACK, ack=c.snd_nxt, window=1000)
    assert c.snd_wnd == 1000
    # reordered: the later segment (window 2000) overtakes an earlier one (window 5)
    start = h.peer_nxt
    h.push(ACK | PSH, seq_add(start, 10), ack=c.snd_nxt, window=2000, data=b"b" * 10)
    assert c.snd_wnd == 2000
    h.push(ACK | PSH, start, ack=c.snd_nxt, window=5, data=b"a" * 10)
    assert c.snd_wnd == 2000  # SEG.SEQ < SND.WL1: an old window, ignored
    assert c.recv(100, 0) == b"a" * 10 + b"b" * 10


# ---- seventh and eighth: text and FIN
def test_out_of_order_data_held_and_sacked_then_delivered():
    h = Harness()
    h.established(TcpOptions(mss=1460, sack_permitted=True))
    start = h.peer_nxt
    h.push(ACK | PSH, seq_add(start, 10), ack=h.conn.snd_nxt, data=b"B" * 10)
    dup = h.one()
    assert dup.ack == start and dup.options.sack_blocks == ((seq_add(start, 10), seq_add(start, 20)),)
    h.push(ACK | PSH, seq_add(start, 30), ack=h.conn.snd_nxt, data=b"D" * 10)
    dup = h.one()
    assert dup.options.sack_blocks == ((seq_add(start, 30), seq_add(start, 40)), (seq_add(start, 10),
                                                                                  seq_add(start, 20)))
    h.push(ACK | PSH, start, ack=h.conn.snd_nxt, data=b"A" * 10)
    ack = h.one()  # hole filled: immediate ACK
    assert ack.ack == seq_add(start, 20)
    assert h.conn.recv(100, 0) == b"A" * 10 + b"B" * 10


def test_out_of_order_fin_waits_for_the_hole():
    h = Harness()
    h.established()
    start = h.peer_nxt
    h.push(ACK | FIN, seq_add(start, 5), ack=h.conn.snd_nxt, data=b"world")
    assert h.one().ack == start and h.conn.state is State.ESTABLISHED
    h.push(ACK, start, ack=h.conn.snd_nxt, data=b"hello")
    assert h.sent()[-1].ack == seq_add(start, 11)
    assert h.conn.state is State.CLOSE_WAIT
    assert h.conn.recv(100, 0) == b"helloworld" and h.conn.recv(100, 0) == b""


def test_reassembly_memory_bound():
    h = Harness(ooo_limit_segments=4)
    h.established()
    start = h.peer_nxt
    for i in range(10):
        h.push(ACK, seq_add(start, 100 + 20 * i), ack=h.conn.snd_nxt, data=b"q" * 10)
    assert len(h.conn.ooo) == 4
    assert h.env.stats["tcp.rx.ooo_queue_full"] == 6


def test_data_after_close_gets_rst():
    h = Harness()
    fin = h.fin_wait_2()
    h.send_data(b"late", ack=fin.seq + 1)
    rst = h.one()
    assert rst.flags == RST and h.conn.state is State.CLOSED


def test_close_with_unread_data_sends_rst():
    h = Harness()
    h.established()
    h.send_data(b"unread")
    h.sent()
    h.conn.close(h.now)
    rst = h.one()
    assert rst.flags == RST and rst.seq == h.conn.snd_nxt
    assert h.env.stats["tcp.close.unread_rst"] == 1


def test_linger_zero_aborts_with_rst():
    from stack.tcp import SocketOptions
    h = Harness()
    h.established(opts=SocketOptions(linger=0))
    h.conn.close(h.now)
    assert h.one().flags == RST and h.conn.state is State.CLOSED


# ---- TIME-WAIT: RFC 1337, retransmitted FIN, RFC 6191
def test_time_wait_ignores_rst_rfc1337():
    h = Harness()
    h.time_wait()
    h.push(RST, h.peer_nxt)
    h.none()
    assert h.conn.key in h.layer.conns and h.env.stats["tcp.timewait.rst_ignored"] == 1


def test_time_wait_reacks_retransmitted_fin_and_restarts_timer():
    h = Harness()
    fin = h.time_wait()
    h.advance(30 * SECOND)
    h.push(FIN | ACK, seq_add(h.peer_nxt, -1), ack=fin.seq + 1)
    ack = h.one()
    assert ack.flags == ACK and ack.ack == h.peer_nxt and ack.seq == fin.seq + 1
    h.advance(59 * SECOND)
    assert h.conn.key in h.layer.conns
    h.advance(1 * SECOND)
    assert h.conn.key not in h.layer.conns


def test_time_wait_new_syn_with_higher_isn_accepted_when_listening():
    h = Harness()
    h.listen(80)
    h.conn = None
    # build TIME_WAIT on the listener's port through a passive connection
    h.passive_established(80)
    conn = h.conn
    conn.close(h.now)
    fin = h.one()
    h.push(FIN | ACK, ack=fin.seq + 1)
    h.peer_nxt = seq_add(h.peer_nxt, 1)
    h.one()
    assert conn.state is State.TIME_WAIT
    # an old-ISN SYN is answered with a challenge ACK
    h.push(SYN, seq_add(h.peer_nxt, -100), dport=80)
    assert h.one().flags == ACK
    # a higher ISN starts a new incarnation
    h.push(SYN, seq_add(h.peer_nxt, 100000), dport=80, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    synack = h.one()
    assert synack.flags == SYN | ACK
    assert h.env.stats["tcp.timewait.reused"] == 1
    new = h.layer.conns[conn.key]
    assert new is not conn and new.state is State.SYN_RECEIVED
    assert (synack.seq - fin.seq) % 2**32 > 65535  # ISN above the old incarnation's sequence space


def test_time_wait_accepts_new_syn_by_timestamp_rfc6191():
    from .harness import Wire
    w = Wire()
    ca, cb, lb = w.connect()
    port = ca.local[1]
    cb.close(w.now)  # the server closes first: it will hold TIME_WAIT
    w.run(until=w.now + SECOND)
    ca.close(w.now)
    w.run(until=w.now + SECOND)
    assert cb.state is State.TIME_WAIT and ca.state is State.CLOSED
    again = w.a.connect(w.a.bind(A, port, reuseaddr=True), (B, 80), w.now)
    w.run(until=w.now + SECOND)
    assert again.state is State.ESTABLISHED
    assert w.envs[B].stats["tcp.timewait.reused"] == 1


# ---- PAWS (RFC 7323 §5)
def test_paws_drops_old_timestamp_and_acks():
    h = Harness()
    h.established(TcpOptions(mss=1460, timestamps=(1000, 0)))
    h.peer_ts = 2000
    h.send_data(b"new")
    h.peer_ts = 1500  # older than ts_recent (2000)
    h.push(ACK | PSH, ack=h.conn.snd_nxt, data=b"old")
    ack = h.sent()[-1]
    assert ack.flags == ACK and h.env.stats["tcp.rx.paws"] == 1
    assert h.conn.recv(100, 0) == b"new"


# ---- per-state details of §3.10.7.4
@pytest.mark.parametrize("state,expect", [("fin_wait_1", errno.ECONNRESET), ("closing", None)])
def test_rst_in_fin_wait_1_and_closing(state, expect):
    h = Harness()
    getattr(h, state)()
    h.push(RST, h.peer_nxt)
    assert h.conn.state is State.CLOSED and h.conn.error == expect
    assert not h.layer.conns


def test_syn_in_close_wait_gets_challenge_ack():
    h = Harness()
    h.close_wait()
    h.push(SYN, seq_add(h.peer_nxt, 3))
    ack = h.one()
    assert ack.flags == ACK and ack.ack == h.peer_nxt and h.conn.state is State.CLOSE_WAIT


def test_retransmitted_fin_in_close_wait_and_last_ack_is_reacked():
    for state in ("close_wait", "last_ack"):
        h = Harness()
        getattr(h, state)()
        h.push(FIN | ACK, seq_add(h.peer_nxt, -1), ack=h.conn.snd_una)
        ack = h.one()
        assert ack.flags == ACK and ack.ack == h.peer_nxt


def test_data_after_peer_fin_is_not_delivered():
    h = Harness()
    h.close_wait()
    h.push(ACK | PSH, h.peer_nxt, ack=h.conn.snd_nxt, data=b"late")
    assert h.conn.recv(10, 0) == b"" and h.env.stats["tcp.rx.data_after_fin"] == 1


def test_fin_wait_2_keeps_receiving_until_peer_fin():
    h = Harness()
    h.established()
    h.conn.shutdown(1, h.now)
    fin = h.one()
    h.push(ACK, ack=fin.seq + 1)
    h.send_data(b"a" * 1460, ack=fin.seq + 1)
    h.send_data(b"b" * 1460, ack=fin.seq + 1)
    assert h.one().ack == h.peer_nxt
    h.send_data(b"", flags=ACK | FIN, ack=fin.seq + 1)
    assert h.one().ack == h.peer_nxt and h.conn.state is State.TIME_WAIT
    assert h.conn.recv(5000, 0) == b"a" * 1460 + b"b" * 1460
    assert h.conn.recv(5000, 0) == b""


def test_duplicate_ack_without_outstanding_data_is_ignored():
    h = Harness()
    h.established()
    for _ in range(5):
        h.push(ACK, ack=h.conn.snd_una)
    h.none()
    assert h.env.stats["tcp.rx.dupack"] == 0


def test_ack_too_old_is_challenged():
    h = Harness()
    h.established(window=1000)
    c = h.conn
    h.push(ACK, ack=seq_add(c.snd_una, -5000))
    assert h.one().flags == ACK and h.env.stats["tcp.rx.ack_too_old"] == 1


# ---- header prediction (the short road) does what §3.10.7.4 does
def test_request_response_segment_acks_and_delivers_on_the_short_road():
    h = Harness()
    c = h.established()
    c.send(b"request", h.now)
    (req,) = h.sent()
    seq = h.peer_nxt
    h.send_data(b"response", window=4000)  # data that also acknowledges ours
    assert c.snd_una == c.snd_max == seq_add(req.seq, 7)
    assert (c.snd_wl1, c.snd_wl2, c.snd_wnd) == (seq, c.snd_una, 4000)
    assert c.recv(100, h.now) == b"response"
    assert h.env.stats["tcp.rx.dupack"] == 0


def test_in_order_data_keeps_the_window_update_marks_current():
    """SND.WL1 follows in-order data too, so a window update stays acceptable however
    much data arrives (a stale WL1 would look newer than SEG.SEQ after 2**31 bytes)."""
    h = Harness()
    c = h.established()
    for _ in range(3):
        seq = h.peer_nxt
        h.send_data(b"d" * 100)
        assert c.snd_wl1 == seq


def test_window_opened_counted_on_the_short_road():
    h = Harness()
    c = h.established(window=65535)
    c.send(b"x" * 100, h.now)
    h.sent()
    h.push(ACK, h.peer_nxt, ack=c.snd_una, window=0)  # the peer closes its window
    assert c.snd_wnd == 0
    c.send(b"y" * 10, h.now)
    h.push(ACK, h.peer_nxt, ack=c.snd_max, window=8000)  # acknowledges the data, opens the window
    assert c.snd_wnd == 8000 and h.env.stats["tcp.rx.window_opened"] == 1


def test_data_filling_the_gap_before_an_early_fin_takes_the_fin():
    """A FIN that came before the data in front of it (nothing else out of order) is
    taken when that data arrives: the short road must not skip it."""
    h = Harness()
    c = h.established()
    h.push(FIN | ACK, seq_add(h.peer_nxt, 5), ack=c.snd_max)
    assert c.state is State.ESTABLISHED and c.ooo_fin is not None
    h.send_data(b"12345")
    assert c.fin_rcvd and c.state is State.CLOSE_WAIT
    assert c.recv(10, h.now) == b"12345"
