"""The RealtimeRuntime: the same network elements, a stack thread, ordinary OS threads calling sockets."""

import hashlib
import threading
import time

import pytest

import socketapi
from stack import Network


@pytest.fixture
def rt_net():
    net = Network(realtime=True)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.0005)
    net.add_link(h2, s1, delay=0.0005)
    net.start()
    yield net, h1, h2
    net.stop()
    socketapi.use(None)
    assert net.runtime.error is None


def test_threads_exchange_udp_and_tcp_concurrently(rt_net):
    net, h1, h2 = rt_net
    data = bytes(range(256)) * 2000
    results = {}

    def tcp_server():
        sk = h2.socket
        with sk.socket() as ls:
            ls.bind(("", 80))
            ls.listen()
            c, _ = ls.accept()
            h = hashlib.sha256()
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
            c.sendall(h.digest())
            c.close()

    def udp_echo():
        sk = h2.socket
        with sk.socket(sk.AF_INET, sk.SOCK_DGRAM) as u:
            u.bind(("", 7))
            u.settimeout(5)
            for _ in range(20):
                d, a = u.recvfrom(100)
                u.sendto(d, a)

    def udp_client():
        sk = h1.socket
        with sk.socket(sk.AF_INET, sk.SOCK_DGRAM) as u:
            u.settimeout(5)
            got = []
            for i in range(20):
                u.sendto(b"%d" % i, ("192.0.2.2", 7))
                got.append(u.recv(100))
            results["udp"] = got

    threads = [threading.Thread(target=f) for f in (tcp_server, udp_echo, udp_client)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    socketapi.use(h1)  # code outside tasks, in this OS thread, acts on h1
    with socketapi.socket() as s:
        s.settimeout(10)
        s.connect(("192.0.2.2", 80))
        s.sendall(data)
        s.shutdown(socketapi.SHUT_WR)
        assert s.recv(100) == hashlib.sha256(data).digest()
    for t in threads:
        t.join(10)
    assert results["udp"] == [b"%d" % i for i in range(20)]


def test_timeouts_are_real_time_and_nothing_busy_waits(rt_net):
    net, h1, h2 = rt_net
    sk = h1.socket
    u = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    u.bind(("", 9))
    u.settimeout(0.3)
    t0 = time.monotonic()
    c0 = time.process_time()
    with pytest.raises(TimeoutError):
        u.recv(10)
    elapsed = time.monotonic() - t0
    assert 0.29 <= elapsed < 1.0
    assert time.process_time() - c0 < 0.15  # waiting cost (almost) no CPU


def test_spawn_runs_a_thread_with_the_host_namespace(rt_net):
    net, h1, h2 = rt_net

    def who(socket):
        return socket.gethostname()

    t = h2.spawn(who)
    t.join(5)
    assert t.result == "h2"


def test_a_frame_sent_from_a_caller_thread_wakes_the_stack_thread(rt_net):
    """Regression: a datagram scheduled on an in-memory link by a caller's thread used to wait
    for the stack thread's idle select() timeout (a second per hop)."""
    net, h1, h2 = rt_net
    sk1, sk2 = h1.socket, h2.socket
    a = sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM)
    b = sk2.socket(sk2.AF_INET, sk2.SOCK_DGRAM)
    b.bind(("", 7))
    b.settimeout(5)
    a.sendto(b"warm-up", ("192.0.2.2", 7))  # ARP first
    b.recvfrom(100)
    t0 = time.monotonic()
    for i in range(10):
        a.sendto(b"x", ("192.0.2.2", 7))
        b.recvfrom(100)
    assert time.monotonic() - t0 < 2.0  # ten one-way trips of ~1 ms; a missed wakeup costs 1 s each
