"""The socket-facing API the socket layer calls: errors, readiness, signals, options."""

import errno

import pytest

from stack.clock import SECOND
from stack.seq import seq_add
from stack.tcp import SocketOptions, State, TcpConfig
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, FIN, RST, SYN, TcpOptions

from .harness import A, B, Harness, Wire


def test_signals_on_every_readiness_change():
    h = Harness()
    h.syn_sent()
    calls = []
    h.conn.watch(lambda: calls.append(h.conn.state))
    h.push(SYN | ACK, h.PEER_ISS, ack=h.conn.snd_nxt, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    assert calls and h.conn.writable  # connected
    h.peer_nxt = seq_add(h.PEER_ISS, 1)
    n = len(calls)
    h.send_data(b"data")
    assert len(calls) > n and h.conn.readable  # data arrived
    n = len(calls)
    h.send_data(b"", flags=ACK | FIN)
    assert len(calls) > n  # EOF
    n = len(calls)
    h.push(RST, h.peer_nxt)
    assert len(calls) > n and h.conn.error == errno.ECONNRESET  # error


def test_listener_signals_when_accept_queue_fills():
    h = Harness()
    lst = h.listen(80)
    seen = []
    lst.watch(lambda: seen.append(lst.readable))
    synack = h.syn_received()
    assert not seen
    h.push(ACK, ack=synack.seq + 1)
    assert seen == [True]


def test_send_buffer_full_returns_zero_and_writable_follows():
    h = Harness()
    h.established(window=0, opts=SocketOptions(sndbuf=3000))
    c = h.conn
    assert c.send(b"x" * 5000, h.now) == 3000
    assert c.send(b"y", h.now) == 0
    assert not c.writable


def test_recv_peek_and_eagain():
    h = Harness()
    h.established()
    with pytest.raises(BlockingIOError):
        h.conn.recv(10, h.now)
    h.send_data(b"peekaboo")
    assert h.conn.recv(4, h.now, peek=True) == b"peek"
    assert h.conn.recv(100, h.now) == b"peekaboo"


def test_send_after_shutdown_write_is_epipe():
    h = Harness()
    h.established()
    h.conn.shutdown(1, h.now)
    with pytest.raises(BrokenPipeError):
        h.conn.send(b"x", h.now)


def test_shutdown_read_gives_eof_but_keeps_connection():
    h = Harness()
    h.established()
    h.conn.shutdown(0, h.now)
    assert h.conn.recv(10, h.now) == b"" and h.conn.state is State.ESTABLISHED
    h.none()


def test_shutdown_unconnected_is_enotconn():
    h = Harness()
    h.syn_sent()
    h.push(RST | ACK, 0, ack=h.conn.snd_nxt)
    h.conn.take_error()
    with pytest.raises(OSError) as e:
        h.conn.shutdown(1, h.now)
    assert e.value.errno == errno.ENOTCONN


def test_take_error_clears_like_so_error():
    h = Harness()
    h.established()
    h.push(RST, h.peer_nxt)
    assert h.conn.take_error() == errno.ECONNRESET
    assert h.conn.take_error() is None
    assert h.conn.recv(1, h.now) == b""


def test_syn_ack_retransmitted_then_child_dropped():
    h = Harness()
    synack = h.syn_received()
    times = []
    while h.listener.syn_queue:
        h.fire()
        for s in h.sent():
            assert s.flags == SYN | ACK and s.seq == synack.seq
            times.append(h.now // SECOND)
    assert times == [1, 3, 7, 15, 31]  # synack_retries = 5, then dropped at 63 s
    assert h.now == 63 * SECOND and not h.layer.conns


def test_syn_data_is_not_acknowledged():
    h = Harness()
    h.listen(80)
    h.push(SYN, 100, data=b"early", dport=80, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    assert h.one().ack == 101


def test_orphaned_fin_wait_2_times_out():
    h = Harness()
    h.fin_wait_2()
    assert h.fire() == 60 * SECOND
    assert h.conn.state is State.CLOSED and not h.layer.conns


def test_shutdown_write_fin_wait_2_does_not_time_out():
    h = Harness()
    h.established()
    h.conn.shutdown(1, h.now)
    fin = h.one()
    h.push(ACK, ack=fin.seq + 1)
    assert h.conn.state is State.FIN_WAIT_2
    assert h.layer.poll_at() is None or h.layer.poll_at() < 60 * SECOND
    h.advance(120 * SECOND)
    assert h.conn.state is State.FIN_WAIT_2


def test_user_timeout_ends_retransmissions_early():
    h = Harness()
    h.established(opts=SocketOptions(user_timeout=1 * SECOND))
    h.conn.send(b"x", h.now)
    while h.conn.state is State.ESTABLISHED:
        h.fire()
    assert h.conn.error == errno.ETIMEDOUT and h.now < 2 * SECOND


def test_rfc_profile_option_order_and_newreno():
    h = Harness(TcpConfig.rfc())
    syn = h.syn_sent()
    assert syn.raw[20:40] == bytes.fromhex("020405b4" "01030303" "01010402" "0101080a") + syn.raw[36:40]
    assert h.conn.cc.name == "newreno"


def test_loopback_mtu_gives_large_mss():
    h = Harness(mtu=65536)
    assert h.syn_sent().options.mss == 65495


def test_tcp_info_state_values_match_linux():
    h = Harness()
    h.syn_sent()
    assert h.conn.tcp_info()[0] == 2  # TCP_SYN_SENT
    h2 = Harness()
    h2.time_wait()
    assert h2.conn.tcp_info()[0] == 6  # TCP_TIME_WAIT


def test_many_time_wait_entries_expire_in_virtual_time():
    w = Wire(delay=100)
    lb = w.b.listen(w.b.bind(B, 80), 128)
    for _ in range(50):
        ca = w.a.connect(None, (B, 80), w.now)
        w.run(stop=lambda: bool(lb.accept_queue))
        cb = lb.accept()
        ca.close(w.now)
        w.run(stop=lambda: cb.state is State.CLOSE_WAIT)
        cb.close(w.now)
        w.run(stop=lambda: cb.state is State.CLOSED)
    assert sum(1 for row in w.a.table() if row[0] == "TIME-WAIT") == 50
    w.run(until=w.now + 61 * SECOND)
    assert not w.a.conns and w.envs[A].stats["tcp.timewait.expired"] == 50
