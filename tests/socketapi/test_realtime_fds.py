"""In the RealtimeRuntime a socket's fileno() is a real descriptor whose readiness follows the
socket, so the standard library's select, selectors and asyncio wait on stack sockets unmodified.

Every wait below is bounded; the stack thread answers within milliseconds.
"""

import asyncio
import gc
import os
import select
import selectors
import stat

import pytest

from tests.helpers import two_hosts


@pytest.fixture
def rt():
    net, h1, h2 = two_hosts(realtime=True)
    net.start()
    try:
        yield net, h1.socket, h2.socket
    finally:
        net.stop()


def test_filenos_are_real_socket_descriptors_unique_across_hosts(rt):
    _, sk1, sk2 = rt
    socks = [sk1.socket(), sk2.socket(), sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM)]
    fds = [s.fileno() for s in socks]
    assert len(set(fds)) == 3
    assert all(stat.S_ISSOCK(os.fstat(fd).st_mode) for fd in fds)
    for s in socks:
        s.close()
    assert all(s.fileno() == -1 for s in socks)


def test_descriptors_are_given_back_on_close_and_kept_by_dup(rt):
    _, sk1, _ = rt
    gc.collect()  # descriptors earlier tests left to the garbage collector go now, not mid-count
    before = len(os.listdir("/proc/self/fd"))
    socks = [sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM) for _ in range(20)]
    dups = [s.dup() for s in socks]
    assert len(os.listdir("/proc/self/fd")) > before + 40
    for s in socks:
        s.close()
    for d in dups:  # each dup still works after its original closed
        d.sendto(b"x", ("127.0.0.1", 9))
        d.close()
    assert len(os.listdir("/proc/self/fd")) == before


def test_stdlib_select_follows_udp_readability(rt):
    _, sk1, sk2 = rt
    a = sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM)
    a.bind(("", 7))
    b = sk2.socket(sk2.AF_INET, sk2.SOCK_DGRAM)
    assert select.select([a], [a], [], 0) == ([], [a], [])
    b.sendto(b"ping", ("192.0.2.1", 7))
    assert select.select([a], [], [], 5) == ([a], [], [])
    assert a.recvfrom(10)[0] == b"ping"
    assert select.select([a], [], [], 0) == ([], [], [])  # drained: no longer readable


def test_stdlib_select_follows_tcp_connect_accept_and_send_buffer(rt):
    _, sk1, sk2 = rt
    ls = sk2.socket()
    ls.bind(("", 8080))
    ls.listen()
    assert select.select([ls], [ls], [], 0) == ([], [], [])  # a listener is never writable
    c = sk1.socket()
    c.setblocking(False)
    with pytest.raises(BlockingIOError):
        c.connect(("192.0.2.2", 8080))
    assert select.select([], [c], [], 5) == ([], [c], [])  # writable once established
    assert select.select([ls], [], [], 5) == ([ls], [], [])
    s, _ = ls.accept()
    assert select.select([ls], [], [], 0) == ([], [], [])  # the accept queue is empty again
    s.setblocking(False)
    sent = 0
    for _ in range(1000):  # fill the send buffer and the peer's window
        try:
            sent += s.send(b"x" * 65536)
        except BlockingIOError:
            break
    assert select.select([], [s], [], 0) == ([], [], [])
    c.setblocking(True)
    got = 0
    while got < sent:
        got += len(c.recv(1 << 20))
    assert select.select([], [s], [], 5) == ([], [s], [])  # room again once the peer read it
    s.close()
    assert select.select([c], [], [], 5) == ([c], [], [])  # end of stream is readable
    assert c.recv(10) == b""


def test_default_selector_and_dup(rt):
    _, sk1, sk2 = rt
    a = sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM)
    a.bind(("", 9))
    d = a.dup()
    a.close()
    with selectors.DefaultSelector() as sel:
        key = sel.register(d, selectors.EVENT_READ, "udp")
        assert sel.select(0) == []
        sk2.socket(sk2.AF_INET, sk2.SOCK_DGRAM).sendto(b"q", ("192.0.2.1", 9))
        assert sel.select(5) == [(key, selectors.EVENT_READ)]
    assert d.recv(10) == b"q"


def test_asyncio_loop_sock_methods_and_add_reader(rt):
    _, sk1, sk2 = rt

    async def main():
        loop = asyncio.get_running_loop()
        ls = sk2.socket()
        ls.bind(("", 8081))
        ls.listen()
        ls.setblocking(False)
        c = sk1.socket()
        c.setblocking(False)

        async def server():
            s, _ = await loop.sock_accept(ls)
            n = 0
            while True:
                d = await loop.sock_recv(s, 65536)
                if not d:
                    break
                n += len(d)
            await loop.sock_sendall(s, b"got %d" % n)
            s.close()

        t = asyncio.ensure_future(server())
        await loop.sock_connect(c, ("192.0.2.2", 8081))
        await loop.sock_sendall(c, b"z" * 1_000_000)
        c.shutdown(sk1.SHUT_WR)
        reply = await loop.sock_recv(c, 100)
        await t
        # add_reader directly: a datagram makes the callback run
        u = sk1.socket(sk1.AF_INET, sk1.SOCK_DGRAM)
        u.bind(("", 10))
        u.setblocking(False)
        fut = loop.create_future()
        loop.add_reader(u.fileno(), lambda: fut.done() or fut.set_result(u.recv(10)))
        sk2.socket(sk2.AF_INET, sk2.SOCK_DGRAM).sendto(b"dgram", ("192.0.2.1", 10))
        got = await asyncio.wait_for(fut, 5)
        loop.remove_reader(u.fileno())
        for x in (c, ls, u):
            x.close()
        return reply, got

    assert asyncio.run(asyncio.wait_for(main(), 20)) == (b"got 1000000", b"dgram")


def test_simulated_filenos_stay_virtual_and_unique_in_the_network():
    _net, h1, h2 = two_hosts()
    a, b = h1.socket.socket(), h2.socket.socket()
    assert a.fileno() != b.fileno()
    assert a.dup().fileno() not in (a.fileno(), b.fileno())


def test_descriptor_flags_follow_the_socket_as_cpython_sets_them(rt):
    """O_NONBLOCK is on exactly when the socket has a timeout (CPython's rule, which its own
    tests check with fcntl); FD_CLOEXEC is the descriptor's, whoever changes it; and the
    readiness the kernel reports stays right whatever the user made of O_NONBLOCK."""
    import fcntl

    _, sk1, sk2 = rt
    srv = sk2.socket()
    srv.bind(("", 7007))
    srv.listen()
    c = sk1.socket()
    blocking = lambda s: not fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK  # noqa: E731
    assert blocking(c) and c.gettimeout() is None
    c.settimeout(2.0)
    assert not blocking(c)
    c.setblocking(False)
    assert not blocking(c)
    c.setblocking(True)
    assert blocking(c)
    assert c.get_inheritable() is False
    fd = c.fileno()
    fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.fcntl(fd, fcntl.F_GETFD) & ~fcntl.FD_CLOEXEC)
    assert c.get_inheritable() is True
    c.set_inheritable(False)
    assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    c.connect(("192.0.2.2", 7007))  # (blocking descriptor: the stack's own turns on it never block)
    a, _ = srv.accept()
    a.sendall(b"ping")
    assert select.select([c], [], [], 2.0)[0] == [c]
    assert c.recv(10) == b"ping"
    assert select.select([c], [], [], 0.05)[0] == []
    for s in (a, c, srv):
        s.close()
