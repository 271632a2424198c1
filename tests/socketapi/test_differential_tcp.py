"""TCP scripts run against CPython's socket on 127.0.0.1 and against socketapi on a simulated host.

Single-threaded on purpose: a kernel completes handshakes for a listening socket without
accept() being called, and so does the stack, so one thread can play client and server.
Every blocking call either can complete at once or has a timeout.
"""

from __future__ import annotations

import struct

import pytest
from differential import compare

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def listener(sk, backlog=5):
    ls = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(backlog)
    return ls


def connected(sk):
    """(listener, client, server side) of one loopback connection."""
    ls = listener(sk)
    c = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    c.settimeout(5)
    c.connect(ls.getsockname())
    s, _ = ls.accept()
    s.settimeout(5)
    return ls, c, s


def free_port(sk) -> int:
    s = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@case
def case_tcp_options_linux_keeps_its_way(sk, step):
    """TCP_QUICKACK / TCP_CORK (flags), TCP_DEFER_ACCEPT (seconds rounded to retransmissions),
    TCP_LINGER2 (0 is the default, at most 120, negative kept), TCP_SYNCNT (1-127),
    TCP_WINDOW_CLAMP (at least 1152), TCP_NOTSENT_LOWAT, TCP_FASTOPEN: defaults, ranges and
    what getsockopt reads back, as Linux answers."""
    s = sk.socket()
    for name in ("TCP_QUICKACK", "TCP_CORK", "TCP_DEFER_ACCEPT", "TCP_LINGER2", "TCP_SYNCNT", "TCP_WINDOW_CLAMP",
                 "TCP_NOTSENT_LOWAT", "TCP_FASTOPEN"):
        opt = getattr(sk, name)
        step(s.getsockopt, sk.IPPROTO_TCP, opt, label=f"{name} default")
        for v in (0, 1, 5, 200, -1, 1000):
            if step(s.setsockopt, sk.IPPROTO_TCP, opt, v, label=f"{name}={v}") is None:
                step(s.getsockopt, sk.IPPROTO_TCP, opt, label=f"{name} after {v}")
    s.close()


@case
def case_so_reuseport_listeners_share_a_port(sk, step):
    """SO_REUSEPORT on TCP (Linux's inet_csk_bind_conflict and reuseport groups): bindings
    that both set it share a port, listening or not, accepted children inherit it, a group
    of listeners shares the incoming connections, and one closing leaves the rest."""
    def mk(rp, ra=0):
        s = sk.socket()
        if rp:
            s.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEPORT, 1)
        if ra:
            s.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        return s

    a = mk(1)
    a.bind(("127.0.0.1", 0))
    port = a.getsockname()[1]
    for rp, ra, listen_a in ((1, 0, False), (0, 0, False), (0, 1, False), (1, 0, True), (0, 1, True), (1, 1, True)):
        if listen_a:
            step(a.listen)
        b = mk(rp, ra)
        if step(b.bind, ("127.0.0.1", port), label=f"bind rp={rp} ra={ra} a listening={listen_a}") is None \
                and b.getsockname()[1] == port:
            step(b.listen)
        b.close()
    b = mk(1)
    b.bind(("127.0.0.1", port))
    b.listen()
    a.settimeout(0.5)
    b.settimeout(0.5)
    clients = []
    for _ in range(16):
        c = sk.socket()
        c.connect(("127.0.0.1", port))
        clients.append(c)
    got = [0, 0]
    for i, lst in enumerate((a, b)):
        while True:
            try:
                s, _ = lst.accept()
            except OSError:
                break
            s.close()
            got[i] += 1
    step(lambda: (sum(got), all(got)), label="16 connections, both listeners used")
    w = mk(1)
    step(w.bind, ("0.0.0.0", port))
    step(w.listen)
    x = mk(0)
    step(x.bind, ("0.0.0.0", port))
    x.close()
    w.close()
    for c in clients:
        c.close()
    a.close()
    c = sk.socket()
    c.settimeout(1)
    step(c.connect, ("127.0.0.1", port))
    s, _ = b.accept()
    step(lambda: s.getsockopt(sk.SOL_SOCKET, sk.SO_REUSEPORT), label="inherited")
    for x in (s, c, b):
        x.close()


@case
def case_sendto_on_a_stream_ignores_the_address(sk, step):
    """Linux's TCP ignores sendto()'s address once CPython has parsed it: a connected
    socket sends to its peer, an unconnected one is a broken pipe."""
    ls, c, s = connected(sk)
    step(c.sendto, b"ab", ("127.0.0.1", 9))
    step(c.sendto, b"cd", 0, ls.getsockname())
    step(c.sendto, b"x", "not an address")
    step(c.sendto, b"x", ("127.0.0.1", 70000))
    step(s.recv, 4, sk.MSG_WAITALL)
    u = sk.socket()
    step(u.sendto, b"x", ("127.0.0.1", 9))
    for x in (u, c, s, ls):
        x.close()
    step(c.sendto, b"x", ("127.0.0.1", 9))


@case
def case_data_calls_count_their_arguments(sk, step):
    """CPython's messages for missing, extra and keyword arguments of the data calls, on a
    connected stream socket (the calls the simulation serves on a short road)."""
    ls, c, s = connected(sk)
    buf = bytearray(4)
    step(c.sendall)
    step(c.sendall, data=b"x")
    step(c.sendall, b"x", flags=0)
    step(c.sendall, b"x", 0, 0)
    step(c.send)
    step(c.send, data=b"x")
    step(c.send, b"x", 0, 0)
    step(s.recv)
    step(s.recv, bufsize=4)
    step(s.recv, 4, 0, 0)
    step(s.recv_into)
    step(s.recvfrom_into)
    step(c.sendall, b"abcdefgh")
    step(s.recv_into, buffer=buf, nbytes=4, flags=sk.MSG_WAITALL)
    step(lambda: bytes(buf), label="buffer")
    step(s.recv_into, buf, 2, sk.MSG_WAITALL)
    step(s.recvfrom_into, buf, 2, sk.MSG_WAITALL)
    step(lambda: bytes(buf), label="buffer")
    for x in (c, s, ls):
        x.close()


@case
def case_connect_refused(sk, step):
    port = free_port(sk)
    with sk.socket() as s:
        s.settimeout(5)
        step(s.connect, ("127.0.0.1", port))
    with sk.socket() as s:
        step(s.connect_ex, ("127.0.0.1", port))


@case
def case_unconnected_stream_errors(sk, step):
    with sk.socket() as s:
        step(s.getpeername)
        step(s.recv, 10)
        step(s.shutdown, sk.SHUT_RDWR)
        step(s.getsockname)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_ACCEPTCONN)
        step(s.accept)


@case
def case_listen_then_connect_and_accept(sk, step):
    ls, c, s = connected(sk)
    step(lambda: ls.getsockopt(sk.SOL_SOCKET, sk.SO_ACCEPTCONN))
    step(lambda: c.getpeername() == ls.getsockname())
    step(lambda: s.getpeername() == c.getsockname())
    step(lambda: (s.family, s.type, s.proto))
    step(s.gettimeout)
    step(c.connect, ls.getsockname())  # already connected
    step(ls.connect, ("127.0.0.1", 1))  # a listener cannot connect
    for x in (ls, c, s):
        x.close()


@case
def case_data_both_ways_peek_waitall(sk, step):
    ls, c, s = connected(sk)
    step(c.sendall, b"hello world")
    step(s.recv, 5, sk.MSG_PEEK)
    step(s.recv, 5, sk.MSG_WAITALL)
    step(s.recv, 100)
    step(s.send, b"back")
    step(c.recv, 100)
    buf = bytearray(8)
    step(s.send, b"12345678")
    step(c.recv_into, buf)
    step(lambda: bytes(buf))
    for x in (ls, c, s):
        x.close()


@case
def case_nonblocking_recv_and_timeouts(sk, step):
    ls, c, s = connected(sk)
    s.setblocking(False)
    step(s.recv, 10)
    s.settimeout(0.05)
    step(s.recv, 10)
    step(s.recv, 10, sk.MSG_DONTWAIT)
    for x in (ls, c, s):
        x.close()


@case
def case_half_close_and_eof(sk, step):
    ls, c, s = connected(sk)
    step(c.sendall, b"request")
    step(c.shutdown, sk.SHUT_WR)
    step(s.recv, 100)
    step(s.recv, 100)  # end of stream
    step(s.sendall, b"answer")
    step(c.recv, 100)
    step(c.send, b"more")  # writing after SHUT_WR
    for x in (ls, c, s):
        x.close()


@case
def case_peer_closes_then_reads_and_writes(sk, step):
    ls, c, s = connected(sk)
    s.close()
    step(c.recv, 10)  # EOF
    step(c.send, b"x")  # the first write after the peer closed is accepted...
    c.settimeout(0.2)
    try:
        c.recv(10)  # ...and draws a RST
    except OSError:
        pass
    step(c.send, b"y")  # now the connection is reset
    for x in (ls, c):
        x.close()


@case
def case_close_with_unread_data_resets_the_peer(sk, step):
    ls, c, s = connected(sk)
    step(c.sendall, b"unread")
    s.settimeout(0.2)
    try:
        s.recv(0)
    except OSError:
        pass
    c.settimeout(0.2)
    # let the data arrive, then close without reading it: Linux sends RST
    try:
        c.recv(1)
    except (TimeoutError, OSError):
        pass
    s.close()
    try:
        c.recv(1)
    except (TimeoutError, OSError):
        pass
    step(c.recv, 10)
    for x in (ls, c):
        x.close()


@case
def case_linger_zero_aborts(sk, step):
    ls, c, s = connected(sk)
    step(s.setsockopt, sk.SOL_SOCKET, sk.SO_LINGER, struct.pack("ii", 1, 0))
    step(lambda: struct.unpack("ii", s.getsockopt(sk.SOL_SOCKET, sk.SO_LINGER, 8)))
    s.close()
    c.settimeout(1)
    step(c.recv, 10)
    for x in (ls, c):
        x.close()


@case
def case_nonblocking_connect(sk, step):
    ls = listener(sk)
    c = sk.socket()
    c.setblocking(False)
    step(c.connect, ls.getsockname())
    c.settimeout(2)
    s, _ = ls.accept()
    step(c.connect, ls.getsockname())  # the handshake is over by now
    step(lambda: c.getsockopt(sk.SOL_SOCKET, sk.SO_ERROR))
    for x in (ls, c, s):
        x.close()


@case
def case_nonblocking_connect_refused_reports_so_error(sk, step):
    port = free_port(sk)
    c = sk.socket()
    c.setblocking(False)
    step(c.connect_ex, ("127.0.0.1", port))
    c.settimeout(1)
    try:
        c.recv(1)
    except OSError:
        pass
    step(lambda: c.getsockopt(sk.SOL_SOCKET, sk.SO_ERROR))
    c.close()


@case
def case_accept_timeout_and_nonblocking(sk, step):
    ls = listener(sk)
    ls.settimeout(0.05)
    step(ls.accept)
    ls.setblocking(False)
    step(ls.accept)
    ls.close()


@case
def case_bind_rules(sk, step):
    ls = listener(sk)
    port = ls.getsockname()[1]
    with sk.socket() as s:
        step(s.bind, ("127.0.0.1", port))
        s.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        step(s.bind, ("127.0.0.1", port))  # a listener holds the port even with SO_REUSEADDR
    with sk.socket() as s:
        step(s.bind, ("127.0.0.1", 0))
        step(s.bind, ("127.0.0.1", 0))
        step(s.listen)
        step(s.listen, 10)  # listen again: only the backlog changes
    ls.close()


@case
def case_time_wait_blocks_rebind_without_reuseaddr(sk, step):
    ls, c, s = connected(sk)
    port = ls.getsockname()[1]
    ls.close()
    s.close()  # the server side closes first: its end goes to TIME_WAIT
    c.settimeout(1)
    step(c.recv, 10)
    c.close()
    with sk.socket() as again:
        step(again.bind, ("127.0.0.1", port))
    with sk.socket() as again:
        again.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        step(again.bind, ("127.0.0.1", port))


@case
def case_tcp_options(sk, step):
    ls, c, s = connected(sk)
    step(c.getsockopt, sk.IPPROTO_TCP, sk.TCP_NODELAY)
    step(c.setsockopt, sk.IPPROTO_TCP, sk.TCP_NODELAY, 1)
    step(c.getsockopt, sk.IPPROTO_TCP, sk.TCP_NODELAY)
    step(c.getsockopt, sk.SOL_SOCKET, sk.SO_KEEPALIVE)
    step(c.setsockopt, sk.SOL_SOCKET, sk.SO_KEEPALIVE, 1)
    step(c.getsockopt, sk.SOL_SOCKET, sk.SO_KEEPALIVE)
    for opt, v in ((sk.TCP_KEEPIDLE, 60), (sk.TCP_KEEPINTVL, 5), (sk.TCP_KEEPCNT, 4)):
        step(c.setsockopt, sk.IPPROTO_TCP, opt, v)
        step(c.getsockopt, sk.IPPROTO_TCP, opt)
    step(c.setsockopt, sk.IPPROTO_TCP, sk.TCP_KEEPCNT, 0)
    step(c.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE)
    step(lambda: len(c.getsockopt(sk.IPPROTO_TCP, sk.TCP_INFO, 104)))
    step(lambda: c.getsockopt(sk.IPPROTO_TCP, sk.TCP_INFO, 104)[0])  # tcpi_state: 1, ESTABLISHED
    for x in (ls, c, s):
        x.close()


@case
def case_closed_stream_socket(sk, step):
    ls, c, s = connected(sk)
    c.close()
    step(c.send, b"x")
    step(c.recv, 1)
    step(c.fileno)
    step(c.getpeername)
    for x in (ls, s):
        x.close()


@case
def case_sendall_large_and_recv_all(sk, step):
    ls, c, s = connected(sk)
    data = bytes(range(256)) * 1024
    step(c.sendall, data)
    c.shutdown(sk.SHUT_WR)
    got = bytearray()
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    step(lambda: bytes(got) == data)
    for x in (ls, c, s):
        x.close()




@case
def case_time_wait_rebind_when_both_set_reuseaddr(sk, step):
    ls = sk.socket()
    ls.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen()
    port = ls.getsockname()[1]
    c = sk.socket()
    c.settimeout(5)
    c.connect(("127.0.0.1", port))
    s, _ = ls.accept()
    ls.close()
    s.close()
    step(c.recv, 10)
    c.close()
    with sk.socket() as again:
        step(again.bind, ("127.0.0.1", port))
    with sk.socket() as again:
        again.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        step(again.bind, ("127.0.0.1", port))


@pytest.mark.parametrize("script", CASES, ids=[c.__name__[5:] for c in CASES])
def test_differential_tcp(script):
    compare(script)
