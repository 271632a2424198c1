"""select(), poll objects and the selectors selector over stack sockets, in simulation and real time."""

import selectors
import threading
import time

import pytest

from socketapi import readiness as sel
from tests.helpers import two_hosts as lan


def test_poll_driven_chat_server_with_several_clients():
    net, h1, h2 = lan()

    def server(sk):
        ls = sk.socket()
        ls.bind(("", 5000))
        ls.listen()
        p = sel.poll()
        p.register(ls, sel.POLLIN)
        clients, msgs, closed = {}, [], 0
        while closed < 3:
            for fd, ev in p.poll(5000):
                if fd == ls.fileno():
                    c, _ = ls.accept()
                    clients[c.fileno()] = c
                    p.register(c, sel.POLLIN)
                else:
                    data = clients[fd].recv(100)
                    if data:
                        msgs.append(data)
                    else:
                        p.unregister(fd)
                        clients.pop(fd).close()
                        closed += 1
        return sorted(msgs)

    def client(sk, n):
        s = sk.socket()
        s.connect(("192.0.2.2", 5000))
        r, w, x = sel.select([], [s], [], 1.0)
        assert w == [s] and r == []
        s.sendall(b"hello from %d" % n)
        h1.sleep(0.05)
        s.close()

    t = h2.spawn(server)
    for n in range(3):
        h1.spawn(client, n)
    net.run()
    assert t.result == [b"hello from 0", b"hello from 1", b"hello from 2"]


def test_select_timeout_and_readiness_of_udp_and_closed_sockets():
    net, h1, h2 = lan()
    sk = h1.socket
    u = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    u.bind(("", 9))
    t0 = net.now
    assert sel.select([u], [], [], 0.25) == ([], [], [])
    assert net.now == pytest.approx(t0 + 0.25)
    assert sel.select([u], [u], [], 0) == ([], [u], [])
    h2.socket.socket(sk.AF_INET, sk.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 9))
    assert sel.select([u], [], [], 1.0)[0] == [u]
    p = sel.poll()
    p.register(u, sel.POLLIN)
    assert p.poll(0) == [(u.fileno(), sel.POLLIN)]
    p.modify(u, sel.POLLOUT)
    assert p.poll(0) == [(u.fileno(), sel.POLLOUT)]
    with pytest.raises(KeyError):
        p.unregister(12345)
    fd = u.fileno()
    u.close()
    assert p.poll(0) == [(fd, sel.POLLNVAL)]
    with pytest.raises(ValueError):
        sel.select([u], [], [], 0)


def test_connection_refused_shows_as_error_and_writable():
    net, h1, h2 = lan()
    sk = h1.socket
    s = sk.socket()
    s.setblocking(False)
    with pytest.raises(BlockingIOError):
        s.connect(("192.0.2.2", 81))
    p = sel.poll()
    p.register(s, sel.POLLOUT)
    (fd, ev), = p.poll(5000)
    assert ev & sel.POLLERR and ev & sel.POLLHUP
    assert s.getsockopt(sk.SOL_SOCKET, sk.SO_ERROR) == 111


def test_selectors_interface_in_real_time():
    net, h1, h2 = lan(realtime=True)
    net.start()
    try:
        sk1, sk2 = h1.socket, h2.socket
        a = sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM)
        a.bind(("", 7))
        b = sk2.socket(sk2.AF_INET, sk2.SOCK_DGRAM)
        selector = sel.DefaultSelector()
        key = selector.register(a, selectors.EVENT_READ, data="udp-7")
        assert selector.select(0) == []
        threading.Timer(0.05, lambda: b.sendto(b"ping", ("192.0.2.1", 7))).start()
        t0 = time.monotonic()
        events = selector.select(2.0)
        assert [(k.data, ev) for k, ev in events] == [("udp-7", selectors.EVENT_READ)]
        assert time.monotonic() - t0 < 1.5
        assert a.recvfrom(10)[0] == b"ping"
        assert selector.unregister(a) is key or selector.get_map() == {}
    finally:
        net.stop()
