"""The event queue, virtual time and greenlet tasks."""

import pytest

from stack import Deadlock, Network
from stack.sim.events import EventQueue


def test_same_instant_events_run_in_schedule_order():
    q = EventQueue()
    seen = []
    for i in range(5):
        q.schedule(10, seen.append, i)
    q.schedule(5, seen.append, "early")
    while len(q):
        fn, arg = q.pop()
        fn(arg)
    assert seen == ["early", 0, 1, 2, 3, 4]
    assert q.now == 10


def test_events_for_the_current_instant_interleave_with_the_heap_in_schedule_order():
    # schedule_now() events wait in a FIFO beside the heap; the queue still gives every
    # event of an instant in the order it was scheduled, whichever of the two holds it,
    # and a later event never runs before the FIFO is empty.
    q = EventQueue()
    order = []
    q.now = 100
    q.schedule(100, order.append, "heap-1")
    q.schedule_now(order.append, "now-2")
    q.schedule(150, order.append, "later-6")
    q.schedule(100, order.append, "heap-3")
    q.schedule_now(order.append, "now-4")
    q.schedule(100, order.append, "heap-5")
    assert len(q) == 6 and q.peek_time() == 100
    while len(q):
        fn, arg = q.pop()
        fn(arg)
        if arg == "heap-1":  # scheduled while running: after everything already there
            q.schedule_now(order.append, "now-5b")
    assert order == ["heap-1", "now-2", "heap-3", "now-4", "heap-5", "now-5b", "later-6"]
    assert q.now == 150


def test_run_loops_take_fifo_and_heap_events_in_schedule_order():
    net = Network(seed=1)
    ev = net.runtime.events
    order = []

    def first(_):
        order.append("a")
        ev.schedule_now(order.append, "c")
        ev.schedule(ev.now, order.append, "d")
        ev.schedule_now(order.append, "e")

    ev.schedule(10, first)
    ev.schedule(10, order.append, "b")
    ev.schedule(20, order.append, "f")
    net.run(until=0.000015)
    assert order == ["a", "b", "c", "d", "e"] and ev.now == 15
    net.run(until=0.000020)
    assert order[-1] == "f"


def test_run_until_lands_exactly_and_can_be_repeated():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")
    ticks = []

    def ticker(socket):
        for _ in range(10):
            h.sleep(0.25)
            ticks.append(net.now)

    h.spawn(ticker)
    net.run(until=1.0)
    assert net.now == 1.0
    assert ticks == [0.25, 0.5, 0.75, 1.0]
    net.run(until=1.6)
    assert net.now == 1.6
    assert len(ticks) == 6
    net.run()
    assert ticks[-1] == 2.5


def test_tasks_resume_in_a_deterministic_order():
    def trial():
        net = Network(seed=3)
        h = net.add_host("h", ip="192.0.2.1/24")
        order = []

        def worker(socket, name, pause):
            for i in range(3):
                h.sleep(pause)
                order.append((name, i, net.now))

        for n, p in (("a", 0.1), ("b", 0.1), ("c", 0.05)):
            h.spawn(worker, n, p)
        net.run()
        return order

    first = trial()
    assert first == trial()
    assert [x[0] for x in first[:4]] == ["c", "a", "b", "c"]


def test_deadlock_names_the_blocked_tasks():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")

    def waiter(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", 5000))
        s.recv(10)  # nobody ever sends

    h.spawn(waiter, name="lonely-reader")
    with pytest.raises(Deadlock) as e:
        net.run()
    assert "lonely-reader on h in recv" in str(e.value)


def test_run_until_does_not_call_a_blocked_server_a_deadlock():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")

    def server(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", 7))
        s.recv(10)

    t = h.spawn(server)
    net.run(until=60.0)
    assert net.now == 60.0 and not t.done


def test_task_result_and_exception():
    net = Network(seed=1, print_task_errors=False)
    h = net.add_host("h", ip="192.0.2.1/24")
    ok = h.spawn(lambda socket: 42)

    def boom(socket):
        raise ValueError("bad")

    bad = h.spawn(boom)
    net.run()
    assert ok.result == 42 and ok.done
    assert isinstance(bad.exception, ValueError)
    with pytest.raises(ValueError):
        bad.result


def test_tasks_may_spawn_tasks_and_blocking_calls_work_outside_tasks():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    a = net.add_host("a", ip="192.0.2.1/24")
    b = net.add_host("b", ip="192.0.2.2/24")
    net.add_link(a, s1, delay=0.01)
    net.add_link(b, s1, delay=0.01)

    def parent(socket):
        def child(socket):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"from child", ("192.0.2.1", 9000))

        b.spawn(child)

    rx = a.socket.socket(a.socket.AF_INET, a.socket.SOCK_DGRAM)
    rx.bind(("", 9000))
    b.spawn(parent)
    data, addr = rx.recvfrom(100)  # drives the simulation from the test's own code
    assert data == b"from child" and addr[0] == "192.0.2.2"
    assert net.now == pytest.approx(0.04)  # ARP there and back, then the datagram


def test_blocking_call_outside_tasks_that_can_never_finish_raises_deadlock():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    s.bind(("", 1))
    with pytest.raises(Deadlock):
        s.recv(1)


def test_timeout_outside_tasks_advances_virtual_time():
    net = Network(seed=1)
    h = net.add_host("h", ip="192.0.2.1/24")
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    s.bind(("", 1))
    s.settimeout(2.5)
    with pytest.raises(TimeoutError, match="timed out"):
        s.recv(1)
    assert net.now == 2.5
