"""Every transition of RFC 9293 Figure 5, driven with crafted segments."""

import pytest

from stack.clock import MS, SECOND
from stack.seq import seq_add
from stack.tcp import State
from stack.tcp.state import TRANSITIONS
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TcpOptions

from .harness import B, Harness, Wire, transfer


def states(h):
    return [(f["old"], f["new"]) for f in h.env.events("state")]


def test_closed_to_syn_sent_sends_syn_with_linux_options():
    h = Harness()
    syn = h.syn_sent()
    assert h.conn.state is State.SYN_SENT
    assert syn.flags == SYN and syn.ack == 0 and syn.window == 65535
    o = syn.options
    assert o.mss == 1460 and o.sack_permitted and o.wscale == 3 and o.timestamps[1] == 0
    assert syn.raw[20:24] == b"\x02\x04\x05\xb4" and syn.raw[24:26] == b"\x04\x02"  # Linux order
    assert states(h) == [("CLOSED", "SYN_SENT")]
    assert h.env.events("state")[0]["cause"] == "connect"


def test_syn_options_switched_off():
    h = Harness(timestamps=False, sack=False, window_scaling=False)
    syn = h.syn_sent()
    assert syn.options == TcpOptions(mss=1460)


def test_mss_clamped_to_route_mtu_ipv4_and_ipv6():
    h = Harness(mtu=1280)
    assert h.syn_sent().options.mss == 1280 - 40
    from .harness import A6, B6
    h6 = Harness(mtu=1400, addrs=(A6,), peer=B6)
    assert h6.syn_sent().options.mss == 1400 - 60


def test_syn_sent_to_established():
    h = Harness()
    syn = h.syn_sent()
    h.push(SYN | ACK, h.PEER_ISS, ack=syn.seq + 1, options=tcp_wire.encode_options(TcpOptions(mss=1000)))
    ack = h.one()
    assert (ack.flags, ack.seq, ack.ack) == (ACK, syn.seq + 1, seq_add(h.PEER_ISS, 1))
    assert ack.options == TcpOptions()  # the peer offered no TS/SACK: none used
    assert h.conn.state is State.ESTABLISHED and h.conn.mss == 1000
    assert h.conn.writable


def test_established_with_all_options_negotiated():
    h = Harness()
    h.established(TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(500, 0)))
    c = h.conn
    assert c.ts_ok and c.sack_ok and c.snd_wscale == 7 and c.rcv_wscale == 3
    assert c.mss == 1448  # 12 bytes of timestamps in every segment (RFC 6691)
    c.send(b"x", h.now)
    seg = h.one()
    assert seg.raw[20:24] == b"\x01\x01\x08\x0a" and seg.options.tsecr == 500
    assert seg.window == 262144 >> 3


def test_simultaneous_open():
    h = Harness()
    syn = h.syn_sent()
    h.push(SYN, h.PEER_ISS, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    synack = h.one()
    assert h.conn.state is State.SYN_RECEIVED
    assert synack.flags == SYN | ACK and synack.seq == syn.seq and synack.ack == seq_add(h.PEER_ISS, 1)
    h.push(SYN | ACK, h.PEER_ISS, ack=syn.seq + 1)
    # the peer's SYN,ACK acknowledges our SYN: ESTABLISHED (its SYN part is old: trimmed)
    assert h.conn.state is State.ESTABLISHED
    assert states(h) == [("CLOSED", "SYN_SENT"), ("SYN_SENT", "SYN_RECEIVED"), ("SYN_RECEIVED", "ESTABLISHED")]


def test_simultaneous_open_end_to_end():
    w = Wire()
    ba = w.b.bind(B, 7000, reuseaddr=False)
    from .harness import A
    aa = w.a.bind(A, 6000, reuseaddr=False)
    ca = w.a.connect(aa, (B, 7000), 0)
    cb = w.b.connect(ba, (A, 6000), 0)
    w.run(stop=lambda: ca.state is State.ESTABLISHED and cb.state is State.ESTABLISHED)
    assert ca.state is cb.state is State.ESTABLISHED
    assert w.envs[A].stats["tcp.state.SYN_RECEIVED"] == 1
    assert transfer(w, ca, cb, b"hello" * 1000) == b"hello" * 1000


def test_listen_and_syn_received_then_established():
    h = Harness()
    lst = h.listen(80)
    assert lst.state is State.LISTEN
    synack = h.syn_received()
    assert synack.ack == seq_add(h.PEER_ISS, 1) and synack.options.mss == 1460
    assert synack.options.wscale is None and synack.options.timestamps is None  # not offered by the peer
    assert h.layer.table()[1][0] == "SYN-RECV"
    assert not lst.readable
    h.push(ACK, ack=synack.seq + 1)
    assert h.conn.state is State.ESTABLISHED and lst.readable
    assert lst.accept() is h.conn and lst.accept() is None


def test_syn_received_retransmitted_syn_gets_syn_ack_again():
    h = Harness()
    synack = h.syn_received()
    h.push(SYN, h.PEER_ISS, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    again = h.one()
    assert again.flags == SYN | ACK and again.seq == synack.seq


def test_syn_received_rst_returns_to_listen():
    h = Harness()
    h.syn_received()
    h.push(RST, h.peer_nxt)
    assert ("SYN_RECEIVED", "LISTEN") in states(h)
    assert not h.listener.syn_queue and not h.layer.conns


def test_syn_received_bad_ack_gets_reset():
    h = Harness()
    synack = h.syn_received()
    h.push(ACK, ack=synack.seq + 1000)
    rst = h.one()
    assert rst.flags == RST and rst.seq == synack.seq + 1000
    assert h.conn.state is State.SYN_RECEIVED


def test_syn_received_close_goes_fin_wait_1():
    h = Harness()
    syn = h.syn_sent()
    h.push(SYN, h.PEER_ISS, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    h.sent()
    h.conn.close(h.now)
    assert h.conn.state is State.FIN_WAIT_1
    h.push(ACK, seq_add(h.PEER_ISS, 1), ack=syn.seq + 1)
    fin = h.one()
    assert fin.flags == FIN | ACK and fin.seq == syn.seq + 1


def test_listen_to_closed():
    h = Harness()
    lst = h.listen(80)
    lst.close(0)
    assert not h.layer.listeners
    h.push(SYN, 1, dport=80)
    assert h.one().flags == RST | ACK


def test_listener_close_resets_queued_children():
    h = Harness()
    synack = h.syn_received()
    h.push(ACK, ack=synack.seq + 1)
    h.listener.close(h.now)
    rst = h.one()
    assert rst.flags == RST and rst.seq == synack.seq + 1


def test_syn_sent_close_goes_closed_silently():
    h = Harness()
    h.syn_sent()
    h.conn.close(0)
    assert h.conn.state is State.CLOSED
    h.none()
    assert not h.layer.conns


def test_established_close_to_fin_wait_1_to_fin_wait_2_to_time_wait_to_closed():
    h = Harness()
    h.time_wait()
    assert [s for s in states(h)][-3:] == [("ESTABLISHED", "FIN_WAIT_1"), ("FIN_WAIT_1", "FIN_WAIT_2"),
                                           ("FIN_WAIT_2", "TIME_WAIT")]
    key = h.conn.key
    assert type(h.layer.conns[key]).__name__ == "TimeWait"
    assert h.layer.poll_at() == h.now + 2 * 30 * SECOND
    h.advance(60 * SECOND - 1)
    assert key in h.layer.conns
    h.advance(1)
    assert key not in h.layer.conns
    assert h.env.events("state")[-1] == {"conn": h.env.events("state")[-1]["conn"], "old": "TIME_WAIT",
                                         "new": "CLOSED", "cause": "2MSL timeout"}


def test_fin_wait_1_to_time_wait_on_fin_acking_our_fin():
    h = Harness()
    fin = h.fin_wait_1()
    h.push(FIN | ACK, ack=fin.seq + 1)
    h.peer_nxt = seq_add(h.peer_nxt, 1)
    assert h.one().ack == h.peer_nxt
    assert states(h)[-1] == ("FIN_WAIT_1", "TIME_WAIT")


def test_simultaneous_close_closing_to_time_wait():
    h = Harness()
    fin = h.closing()
    h.push(ACK, ack=fin.seq + 1)
    h.none()
    assert h.conn.state is State.TIME_WAIT
    assert states(h)[-2:] == [("FIN_WAIT_1", "CLOSING"), ("CLOSING", "TIME_WAIT")]


def test_simultaneous_close_end_to_end():
    w = Wire(delay=10 * MS)
    ca, cb, _ = w.connect()
    ca.close(w.now)
    cb.close(w.now)
    w.run(until=w.now + SECOND)
    assert ca.state is State.TIME_WAIT and cb.state is State.TIME_WAIT
    for env in w.envs.values():
        assert env.stats["tcp.state.CLOSING"] == 1
    w.run(until=w.now + 61 * SECOND)
    assert not w.a.conns and not w.b.conns


def test_close_wait_to_last_ack_to_closed():
    h = Harness()
    fin = h.last_ack()
    h.push(ACK, ack=fin.seq + 1)
    assert h.conn.state is State.CLOSED
    assert states(h)[-3:] == [("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"), ("LAST_ACK", "CLOSED")]
    assert not h.layer.conns and not h.layer.ports


def test_close_wait_reads_eof_and_can_still_send():
    h = Harness()
    h.established()
    h.send_data(b"abc", flags=ACK | PSH | FIN)
    h.none()  # data and FIN wait for the delayed ACK, which the reply then carries
    assert h.conn.state is State.CLOSE_WAIT
    assert h.conn.recv(10, h.now) == b"abc"
    assert h.conn.recv(10, h.now) == b""
    assert h.conn.send(b"reply", h.now) == 5
    seg = h.one()
    assert seg.data == b"reply" and seg.ack == h.peer_nxt
    h.advance(h.config.delayed_ack)
    h.none()  # the reply was the acknowledgment: no separate delayed ACK follows


def test_fin_alone_is_acked_by_the_delayed_ack_timer_or_by_our_fin():
    """Linux's tcp_fin(): a FIN in ESTABLISHED schedules a delayed ACK (ping-pong mode);
    closing within that time sends FIN+ACK alone, so the teardown takes three segments."""
    h = Harness()
    h.established()
    h.push(FIN | ACK, ack=h.conn.snd_nxt)
    h.peer_nxt = seq_add(h.peer_nxt, 1)
    h.none()
    h.advance(h.config.delayed_ack // 2)
    h.conn.close(h.now)
    fin = h.one()
    assert fin.flags == FIN | ACK and fin.ack == h.peer_nxt
    assert h.conn.state is State.LAST_ACK
    h.advance(h.config.delayed_ack)
    h.none()


def test_half_close_peer_keeps_sending_in_fin_wait_2():
    h = Harness()
    h.established()
    h.conn.shutdown(1, h.now)
    fin = h.one()
    assert fin.flags == FIN | ACK
    h.push(ACK, ack=fin.seq + 1)
    assert h.conn.state is State.FIN_WAIT_2
    h.send_data(b"more data", ack=fin.seq + 1)
    assert h.conn.recv(100, h.now) == b"more data"
    with pytest.raises(BrokenPipeError):
        h.conn.send(b"x", h.now)


def test_half_close_end_to_end():
    w = Wire()
    ca, cb, _ = w.connect()
    ca.send(b"request", w.now)
    ca.shutdown(1, w.now)
    w.run(until=w.now + SECOND)
    assert cb.recv(100, w.now) == b"request" and cb.recv(100, w.now) == b""
    assert cb.state is State.CLOSE_WAIT and ca.state is State.FIN_WAIT_2
    cb.send(b"response" * 1000, w.now)
    cb.close(w.now)
    w.run(until=w.now + SECOND)
    assert ca.recv(100000, w.now) == b"response" * 1000
    assert ca.state is State.TIME_WAIT and cb.state is State.CLOSED


def test_table_checks_every_transition():
    h = Harness()
    h.established()
    with pytest.raises(AssertionError):
        h.conn._set_state(State.LISTEN, "not in Figure 5")
    # every state appears and only legal arcs exist
    assert set(TRANSITIONS) == set(State)
    assert State.TIME_WAIT in TRANSITIONS[State.FIN_WAIT_2] and State.ESTABLISHED not in TRANSITIONS[State.CLOSED]


def test_diagram_is_drawn_from_the_table():
    from stack.tcp.state import to_dot
    dot = to_dot()
    assert dot.count("->") == sum(len(v) for v in TRANSITIONS.values())
    assert "FIN_WAIT_1 -> TIME_WAIT;" in dot and "CLOSED -> LISTEN;" in dot


def test_self_connect_is_a_simultaneous_open():
    """connect() to our own bound port (Linux allows it): the SYN meets its own
    connection in SYN-SENT, which takes the simultaneous-open path to ESTABLISHED."""
    from collections import deque
    from stack.tcp import TcpLayer
    from .harness import A, FakeEnv
    q = deque()
    env = FakeEnv((A,))
    layer = TcpLayer(env)
    env.send_hook = lambda s, d, p: q.append((s, d, p))
    c = layer.connect(layer.bind(A, 5000), (A, 5000), 0)
    while q:
        s, d, p = q.popleft()
        layer.input(s, d, memoryview(p), 0)
    assert c.state is State.ESTABLISHED and env.stats["tcp.state.SYN_RECEIVED"] == 1
    c.send(b"hello self", 0)
    while q:
        s, d, p = q.popleft()
        layer.input(s, d, memoryview(p), 0)
    assert c.recv(100, 0) == b"hello self"
