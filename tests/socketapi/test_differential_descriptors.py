"""dup(), fromfd(), detach(), socket(fileno=) and socket.close(fd), against CPython on 127.0.0.1.

What these cases pin down is CPython's descriptor model: a socket object holds a
descriptor; dup() and fromfd() make another descriptor for the same socket, which lives
until its last descriptor is closed; detach() gives the descriptor away and leaves the
object closed; socket(fileno=) wraps a descriptor without duplicating it and learns
family, type and protocol from it unless told.
"""

from __future__ import annotations

import pytest
from differential import compare

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def udp_bound(sk):
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def tcp_pair(sk):
    ls = sk.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen()
    c = sk.socket()
    c.settimeout(5)
    c.connect(ls.getsockname())
    s, _ = ls.accept()
    s.settimeout(5)
    return ls, c, s


@case
def case_dup_udp_shares_the_socket(sk, step):
    s = udp_bound(sk)
    d = step(s.dup)
    step(lambda: (d.fileno() != s.fileno(), d.getsockname() == s.getsockname()))
    step(lambda: (d.family, d.type, d.proto, d.gettimeout(), d.get_inheritable()))
    s.close()
    step(lambda: (s.fileno(), d.fileno() >= 0))
    step(d.sendto, b"to myself", d.getsockname())
    step(d.recvfrom, 100)
    d.close()


@case
def case_dup_keeps_timeout_and_blocking_mode(sk, step):
    s = udp_bound(sk)
    s.setblocking(False)
    d = s.dup()
    step(lambda: (d.gettimeout(), d.getblocking()))
    step(d.recv, 10)  # non-blocking, nothing there
    s.settimeout(2.5)
    e = s.dup()
    step(lambda: (e.gettimeout(), d.gettimeout()))  # each object keeps its own timeout
    for x in (s, d, e):
        x.close()


@case
def case_dup_tcp_close_one_keeps_connection(sk, step):
    ls, c, s = tcp_pair(sk)
    d = s.dup()
    s.close()
    step(c.sendall, b"still there")
    step(d.recv, 100)
    step(d.sendall, b"reply")
    step(c.recv, 100)
    d.close()  # the last descriptor: the peer sees end of stream
    step(c.recv, 100)
    c.close()
    ls.close()


@case
def case_dup_shutdown_affects_every_descriptor(sk, step):
    ls, c, s = tcp_pair(sk)
    d = s.dup()
    step(s.shutdown, sk.SHUT_WR)
    step(d.send, b"x")
    step(c.recv, 10)
    for x in (s, d, c, ls):
        x.close()


@case
def case_dup_listener_accepts(sk, step):
    ls = sk.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen()
    dl = ls.dup()
    ls.close()
    step(lambda: dl.getsockopt(sk.SOL_SOCKET, sk.SO_ACCEPTCONN))
    c = sk.create_connection(dl.getsockname(), timeout=5)
    dl.settimeout(5)
    a, _ = dl.accept()
    step(lambda: a.getpeername() == c.getsockname())
    for x in (a, c, dl):
        x.close()


@case
def case_dup_closed(sk, step):
    s = udp_bound(sk)
    s.close()
    step(s.dup)


@case
def case_detach(sk, step):
    s = udp_bound(sk)
    name = s.getsockname()
    fd = step(s.detach)
    step(lambda: (s.fileno(), repr(s)))
    step(s.getsockname)
    step(s.detach)  # a closed socket detaches -1
    t = step(sk.socket, fileno=fd)
    step(lambda: (t.fileno() == fd, t.getsockname() == name))
    step(lambda: (t.family, t.type, t.proto, t.gettimeout()))
    t.close()


@case
def case_detach_tcp_and_rewrap(sk, step):
    ls, c, s = tcp_pair(sk)
    fd = s.detach()
    w = sk.socket(sk.AF_INET, sk.SOCK_STREAM, 0, fd)
    step(lambda: (w.fileno() == fd, w.proto, w.getpeername() == c.getsockname()))
    w.settimeout(5)
    c.sendall(b"after detach")
    step(w.recv, 100)
    for x in (w, c, ls):
        x.close()


@case
def case_fileno_wrap_detects_the_socket(sk, step):
    s = sk.socket()  # proto 0 as given, SO_PROTOCOL says 6
    d = step(sk.socket, fileno=s.detach())
    step(lambda: (d.family, d.type, d.proto))
    step(repr, d)
    d.close()


@case
def case_fileno_argument_errors(sk, step):
    step(sk.socket, fileno="3")
    step(sk.socket, fileno=1.5)
    step(sk.socket, fileno=-2)
    step(sk.socket, sk.AF_INET, sk.SOCK_DGRAM, 0, -1)


@case
def case_fromfd(sk, step):
    s = udp_bound(sk)
    f = step(sk.fromfd, s.fileno(), sk.AF_INET, sk.SOCK_DGRAM)
    step(lambda: (f.fileno() != s.fileno(), f.getsockname() == s.getsockname(), f.proto, f.gettimeout()))
    s.close()
    step(f.sendto, b"via fromfd", f.getsockname())
    step(f.recv, 100)
    f.close()


@case
def case_fromfd_labels_as_told(sk, step):
    s = sk.socket()
    f = sk.fromfd(s.fileno(), sk.AF_INET, sk.SOCK_DGRAM, 17)
    step(lambda: (f.family, f.type, f.proto))
    step(f.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE)  # the socket itself is still a stream socket
    step(repr, f)
    f.close()
    s.close()


@case
def case_fromfd_argument_errors(sk, step):
    step(sk.fromfd, "x", sk.AF_INET, sk.SOCK_STREAM)
    step(sk.fromfd, None, sk.AF_INET, sk.SOCK_STREAM)
    s = udp_bound(sk)
    fd = s.fileno()
    s.close()
    step(sk.fromfd, fd, sk.AF_INET, sk.SOCK_DGRAM)  # closed: EBADF


@case
def case_module_close_of_a_detached_descriptor(sk, step):
    s = udp_bound(sk)
    fd = s.detach()
    step(sk.close, fd)
    step(sk.close, fd)
    step(sk.socket, fileno=fd)


@case
def case_module_close_under_an_object(sk, step):
    s = udp_bound(sk)
    step(sk.close, s.fileno())
    step(s.getsockname)
    step(s.close)
    step(lambda: s.fileno())


@case
def case_module_dup(sk, step):
    s = udp_bound(sk)
    n = step(sk.dup, s.fileno())
    t = sk.socket(fileno=n)
    step(lambda: (n != s.fileno(), t.getsockname() == s.getsockname()))
    step(sk.dup, "1")
    t.close()
    s.close()


@case
def case_dup_then_makefile_close_order(sk, step):
    ls, c, s = tcp_pair(sk)
    d = s.dup()
    f = d.makefile("rb")
    d.close()  # the file keeps d's descriptor open
    s.close()
    c.sendall(b"line one\n")
    step(f.readline)
    f.close()  # last reference to the last descriptor: EOF at the peer
    step(c.recv, 10)
    c.close()
    ls.close()


def test_enough_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("script", CASES, ids=[c.__name__[5:] for c in CASES])
def test_differential(script):
    compare(script)
