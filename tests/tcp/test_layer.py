"""Port reservations (Linux bind rules), listen queues, demultiplexing, timers heap,
ISNs, `ss`, and the cost of many idle connections."""

import errno
import tracemalloc

import pytest

from stack.addr import ip
from stack.clock import MS, SECOND
from stack.tcp import State, TcpConfig, TcpLayer
from stack.tcp.layer import EPHEMERAL_HIGH, EPHEMERAL_LOW
from stack.wire import tcp as tcp_wire
from stack.wire.tcp import ACK, SYN, TcpOptions

from .harness import A, B, FakeEnv, Harness, Wire

ANY = bytes(4)


def layer():
    return TcpLayer(FakeEnv((A, ip("192.0.2.9"))), TcpConfig())


def test_bind_port_zero_picks_ephemeral_port():
    t = layer()
    b = t.bind(A, 0)
    assert EPHEMERAL_LOW <= b.port <= EPHEMERAL_HIGH


def test_bind_non_local_address():
    with pytest.raises(OSError) as e:
        layer().bind(ip("198.51.100.1"), 80)
    assert e.value.errno == errno.EADDRNOTAVAIL


@pytest.mark.parametrize("r1,r2,ok", [(False, False, False), (True, False, False), (False, True, False),
                                      (True, True, True)])
def test_two_bound_sockets_need_reuseaddr_on_both(r1, r2, ok):
    t = layer()
    t.bind(A, 80, reuseaddr=r1)
    if ok:
        t.bind(A, 80, reuseaddr=r2)
    else:
        with pytest.raises(OSError) as e:
            t.bind(A, 80, reuseaddr=r2)
        assert e.value.errno == errno.EADDRINUSE


def test_wildcard_overlaps_specific_and_distinct_addresses_do_not():
    t = layer()
    t.bind(A, 80)
    with pytest.raises(OSError):
        t.bind(ANY, 80)
    t.bind(ip("192.0.2.9"), 80)  # another local address: fine


def test_listener_conflicts_even_with_reuseaddr():
    t = layer()
    b = t.bind(A, 80, reuseaddr=True)
    t.listen(b, 5)
    with pytest.raises(OSError) as e:
        t.bind(A, 80, reuseaddr=True)
    assert e.value.errno == errno.EADDRINUSE


def _server_time_wait(listener_reuseaddr: bool):
    w = Wire()
    ca, cb, lb = w.connect(port=8080, reuseaddr=listener_reuseaddr)
    lb.close(w.now)
    cb.close(w.now)  # the server closes first and ends in TIME_WAIT
    w.run(until=w.now + SECOND)
    ca.close(w.now)
    w.run(until=w.now + SECOND)
    assert cb.state is State.TIME_WAIT
    assert ("TIME-WAIT", 0, 0, "192.0.2.2:8080", f"192.0.2.1:{ca.local[1]}") in w.b.table()
    return w


def test_time_wait_blocks_bind_unless_both_sockets_set_reuseaddr():
    """Linux (inet_csk_bind_conflict): the TIME_WAIT entry keeps its socket's SO_REUSEADDR; a new
    bind succeeds over it only when both set the option (checked against a real kernel)."""
    w = _server_time_wait(listener_reuseaddr=True)
    with pytest.raises(OSError) as e:
        w.b.bind(B, 8080, reuseaddr=False)
    assert e.value.errno == errno.EADDRINUSE
    w.b.bind(B, 8080, reuseaddr=True).release()  # both set SO_REUSEADDR: allowed
    w.run(until=w.now + 60 * SECOND)
    w.b.bind(B, 8080, reuseaddr=False).release()  # after 2*MSL the port is free
    w = _server_time_wait(listener_reuseaddr=False)
    with pytest.raises(OSError) as e:
        w.b.bind(B, 8080, reuseaddr=True)  # only the new socket sets it: still in use
    assert e.value.errno == errno.EADDRINUSE


def test_accepted_connection_keeps_port_busy_after_listener_closes():
    w = Wire()
    ca, cb, lb = w.connect(port=8080)
    lb.close(w.now)
    with pytest.raises(OSError):
        w.b.bind(B, 8080, reuseaddr=True)  # the child did not have SO_REUSEADDR


def test_connect_autobind_and_duplicate_four_tuple():
    t = layer()
    c1 = t.connect(None, (B, 80), 0)
    assert c1.local[0] == A and EPHEMERAL_LOW <= c1.local[1] <= EPHEMERAL_HIGH
    b = t.bind(A, 40000, reuseaddr=True)
    t.connect(b, (B, 80), 0)
    b2 = t.bind(A, 40000, reuseaddr=True)
    with pytest.raises(OSError) as e:
        t.connect(b2, (B, 80), 0)
    assert e.value.errno == errno.EADDRNOTAVAIL


def test_connect_wildcard_binding_takes_route_source():
    t = layer()
    b = t.bind(ANY, 5000)
    c = t.connect(b, (B, 80), 0)
    assert c.local == (A, 5000)


def test_isn_rfc6528_per_tuple_and_clock_driven():
    t = layer()
    k1 = (A, 1000, B, 80)
    assert t._isn(k1, 0) == t._isn(k1, 0, t._key_hash(k1) >> 32)
    k2 = (A, 1001, B, 80)
    assert t._isn(k1, 0) != t._isn(k2, 0)
    assert (t._isn(k1, 4_000) - t._isn(k1, 0)) % 2**32 == 1000  # M: a 4 us timer
    other = TcpLayer(FakeEnv((A,), seed=2), TcpConfig())
    assert other._isn(k1, 0) != t._isn(k1, 0)  # the secret differs per host seed


def test_backlog_and_syn_flood_drop_then_recover():
    h = Harness()
    lst = h.listen(80, backlog=2)
    # a flood of SYNs from spoofed ports that never complete the handshake
    for port in range(20000, 20040):
        h.push(SYN, 1000, sport=port, dport=80, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    assert len(lst.syn_queue) == 8 and len(h.sent()) == 8
    assert h.env.stats["tcp.listen.syn_queue_full"] == 32
    # SYN-ACKs are retransmitted (1, 2, 4, 8, 16 s) then the entries expire
    h.advance(64 * SECOND)
    assert not lst.syn_queue
    h.sent()
    h.push(SYN, 1000, sport=30000, dport=80, options=tcp_wire.encode_options(TcpOptions(mss=1460)))
    assert h.one().flags == SYN | ACK


def test_accept_queue_full_drops_syns():
    w = Wire()
    lb = w.b.listen(w.b.bind(B, 80), 1)
    conns = [w.a.connect(None, (B, 80), 0) for _ in range(4)]
    w.run(until=200 * MS)
    assert len(lb.accept_queue) == 2  # Linux admits backlog + 1
    assert w.envs[B].stats["tcp.listen.overflow"] >= 2
    while lb.accept():
        pass
    w.run(until=10 * SECOND)
    assert len(lb.accept_queue) == 2 and all(c.state is State.ESTABLISHED for c in conns)


def test_ss_lists_sockets_like_ss_tan():
    w = Wire()
    ca, cb, lb = w.connect(port=22)
    ca.send(b"abc", w.now)
    w.run(until=w.now + 100 * MS)
    out = w.b.ss()
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["State", "Recv-Q", "Send-Q"]
    assert lines[1].split() == ["LISTEN", "0", "5", "192.0.2.2:22", "0.0.0.0:*"]
    assert lines[2].split() == ["ESTAB", "3", "0", "192.0.2.2:22", f"192.0.2.1:{ca.local[1]}"]


def test_ipv6_connection_end_to_end():
    from .harness import A6, B6
    h = Harness(addrs=(A6,), peer=B6)
    h.established()
    h.conn.send(b"six", h.now)
    seg = h.one()
    assert seg.data == b"six" and seg.dst == B6
    assert h.layer.table()[0][3] == f"[2001:db8::1]:{h.conn.local[1]}"


def test_poll_at_is_the_earliest_deadline_and_ignores_cancelled_timers():
    h = Harness()
    h.established()
    h.conn.send(b"x", h.now)
    h.one()
    assert h.layer.poll_at() == 200 * MS
    h.push(ACK, ack=h.conn.snd_nxt)
    # the cancelled RTO entry is left in the heap; polling it is harmless
    h.advance(300 * MS)
    h.none()
    assert h.layer.poll_at() is None


def test_time_wait_fifo_and_heap_poll_as_one_heap():
    """TIME_WAIT deadlines go to a FIFO beside the heap (TcpLayer._schedule(late=True)):
    poll_at() and poll() still see the earliest live entry of either, ties in the order
    they were scheduled, stale entries skipped, and a late deadline earlier than the
    FIFO's last goes to the heap."""
    t = layer()
    fired = []

    class Owner:
        def __init__(self, name):
            self.name, self._sched = name, None

        def on_timer(self, now):
            fired.append(self.name)

    tw1, tw2, tw3, c1, c2, gone = (Owner(n) for n in ("tw1", "tw2", "tw3", "c1", "c2", "gone"))
    t._schedule(tw1, 500, True)
    t._schedule(c1, 700)
    t._schedule(tw2, 700, True)  # same deadline as c1, scheduled after it
    t._schedule(gone, 100, True)  # earlier than the FIFO's last: to the heap
    t._schedule(tw3, 900, True)
    t._schedule(c2, 300)
    assert len(t._late) == 3 and len(t._heap) == 3
    gone._sched = None  # cancelled: its entry is stale
    assert t.poll_at() == 300
    t.poll(699)
    assert fired == ["c2", "tw1"]
    assert t.poll_at() == 700
    t.poll(10_000)
    assert fired[2:] == ["c1", "tw2", "tw3"]
    assert t.poll_at() is None


def test_many_idle_connections_are_cheap():
    w = Wire(config=TcpConfig(max_syn_backlog=4096))
    lb = w.b.listen(w.b.bind(B, 80), 4096)
    n = 2000
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    conns = [w.a.connect(None, (B, 80), 0) for _ in range(n)]
    w.run(until=SECOND)
    accepted = []
    while (c := lb.accept()) is not None:
        accepted.append(c)
    w.run(until=2 * SECOND)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(accepted) == n and all(c.state is State.ESTABLISHED for c in conns)
    per_conn = (after - before) / (2 * n)  # both ends
    assert per_conn < 10 * 1024, per_conn
    assert w.a.poll_at() is None or w.a.poll_at() > 2 * SECOND


def test_time_wait_entries_are_lightweight():
    from stack.tcp.timewait import TimeWait
    assert not hasattr(TimeWait, "__dict__") or "__dict__" not in TimeWait.__dict__
    assert len(TimeWait.__slots__) < 20
