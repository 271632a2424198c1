"""The same scripts against CPython's socket module (127.0.0.1) and socketapi (a simulated host).

Every `case_*` below is one differential case: `differential.compare` runs it both ways and
requires identical traces, except for the normalisations and deliberate differences listed
in differential.py.  Scripts must never block forever (the real side would hang): every
blocking receive either has a datagram waiting or a timeout.
"""

from __future__ import annotations

import os
import struct

import pytest
from differential import DELIBERATE, compare, run_sim

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def udp(sk):
    return sk.socket(sk.AF_INET, sk.SOCK_DGRAM)


def bound(sk, addr="127.0.0.1"):
    s = udp(sk)
    s.bind((addr, 0))
    return s


def free_port(sk) -> int:
    """A port nothing is bound to on 127.0.0.1 (bound once, then released)."""
    with bound(sk) as s:
        return s.getsockname()[1]


def pair(sk):
    """Two UDP sockets on 127.0.0.1, each connected to the other."""
    a, b = bound(sk), bound(sk)
    a.connect(b.getsockname())
    b.connect(a.getsockname())
    return a, b


# -- socket(): arguments -----------------------------------------------------------------


@case
def case_message_calls_check_arguments_as_cpython(sk, step):
    """sendmsg / recvmsg / recvmsg_into: every argument checked, in CPython's order, with
    its messages; an unknown IP-level ancillary item is EINVAL, as Linux answers."""
    a, b = bound(sk), bound(sk)
    a.settimeout(2)
    to = a.getsockname()
    m = b"m"
    for args in ((b"not in an iterable", [], 0, to), (object(), [], 0, to), ([object()], [], 0, to),
                 ([m, object()], [], 0, to), ([m], object(), 0, to), ([m], [], object(), to),
                 ([m], [], 0, object()), ([m], [object()], 0, to), ([m], [(object(), 0, b"d")], 0, to),
                 ([m], [(0, object(), b"d")], 0, to), ([m], [(0, 0, object())], 0, to), ([m], [(0, 0)], 0, to),
                 ([m], [(0, 0, b"d", 42)], 0, to), ([m], [0, 0, b""], 0, to), ([m], [(0, 0, b""), object()], 0, to),
                 ([m], [], 2 ** 31, to), ([m], [(2 ** 31, 0, b"")], 0, to), (["str"], [], 0, to),
                 ([m], [], 0, ("127.0.0.1",)), ([m], [], 0, "x"), ([m], [(0, 0, b"")], 0, to)):
        step(b.sendmsg, *args)
    step(b.sendmsg, [b"he", bytearray(b"ll"), memoryview(b"o")], [], 0, to)
    buf = bytearray(3)
    for args in ((), (4, 0, 0), (buf, 0, 0), ([object()], 0, 0), ([b"read-only"], 0, 0), ([buf, object()], 0, 0),
                 ([buf], -1, 0), ([buf], object(), 0), ([buf], 0, object()), ([buf], 2 ** 31, 0), ([buf], 0, 2 ** 31)):
        step(a.recvmsg_into, *args)
    for args in ((), (-1,), (4, -1), (4, 0, object()), (object(),), (2 ** 63,), (4, 2 ** 31)):
        step(a.recvmsg, *args)
    step(a.recvmsg_into, (v for v in [buf, bytearray(5)]))
    step(lambda: bytes(buf), label="first buffer")
    a.close()
    b.close()
    step(b.sendmsg, [m], [], 0, to)


@case
def case_socket_attributes(sk, step):
    s = udp(sk)
    step(lambda: (s.family, s.type, s.proto))
    step(lambda: (repr(s.family), repr(s.type), int(s.family), int(s.type)))
    s.close()


@case
def case_socket_proto_udp(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_DGRAM, sk.IPPROTO_UDP) as s:
        step(lambda: (s.proto, s.getsockopt(sk.SOL_SOCKET, sk.SO_PROTOCOL)))


@case
def case_socket_defaults_proto_zero(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_DGRAM, 0) as s:
        step(lambda: (s.proto, s.getsockopt(sk.SOL_SOCKET, sk.SO_PROTOCOL), s.getsockopt(sk.SOL_SOCKET,
                                                                                         sk.SO_DOMAIN)))


@case
def case_socket_family_str(sk, step):
    step(sk.socket, "x")


@case
def case_socket_type_float(sk, step):
    step(sk.socket, sk.AF_INET, 2.0)


@case
def case_socket_proto_str(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_DGRAM, "udp")


@case
def case_socket_family_too_large(sk, step):
    step(sk.socket, 2 ** 40)


@case
def case_socket_dgram_tcp_proto(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_DGRAM, sk.IPPROTO_TCP)


@case
def case_socket_unknown_type(sk, step):
    step(sk.socket, sk.AF_INET, 99)


@case
def case_socket_seqpacket(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_SEQPACKET)


@case
def case_socket_rdm(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_RDM)


@case
def case_socket_type_zero(sk, step):
    step(sk.socket, sk.AF_INET, 0)


@case
def case_socket_unknown_family(sk, step):
    step(sk.socket, 12345, sk.SOCK_DGRAM)


@case
def case_socket_af_unix(sk, step):
    step(lambda: sk.socket(sk.AF_UNIX, sk.SOCK_DGRAM).close(), differs="af-unix")


@case
def case_socket_raw_proto_zero(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_RAW, 0)


@case
def case_socket_raw_proto_negative(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_RAW, -3)


@case
def case_socket_raw_proto_too_large(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_RAW, 263)


@case
def case_socket_nonblock_flag(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_DGRAM | sk.SOCK_NONBLOCK) as s:
        step(lambda: (s.type, s.gettimeout(), s.getblocking()))
        step(s.recv, 10)


@case
def case_socket_cloexec_flag(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_DGRAM | sk.SOCK_CLOEXEC) as s:
        step(lambda: (s.type, s.gettimeout(), s.getblocking()))


@case
def case_socket_keywords(sk, step):
    with sk.socket(family=sk.AF_INET, type=sk.SOCK_DGRAM, proto=0) as s:
        step(lambda: (s.family, s.type))


@case
def case_socket_fileno_str(sk, step):
    step(sk.socket, sk.AF_INET, sk.SOCK_DGRAM, 0, "x")


# -- bind ------------------------------------------------------------------------------

@case
def case_bind_not_tuple(sk, step):
    with udp(sk) as s:
        step(s.bind, "127.0.0.1")
        step(s.bind, ["127.0.0.1", 0])


@case
def case_bind_tuple_shape(sk, step):
    with udp(sk) as s:
        step(s.bind, ("127.0.0.1",))
        step(s.bind, ("127.0.0.1", 1, 2))
        step(s.bind, ())


@case
def case_bind_host_types(sk, step):
    with udp(sk) as s:
        step(s.bind, (1, 0))
        step(s.bind, (None, 0))
        step(s.bind, ("127.0.0.1\0", 0))


@case
def case_bind_port_types(sk, step):
    with udp(sk) as s:
        step(s.bind, ("127.0.0.1", "1"))
        step(s.bind, ("127.0.0.1", 1.0))
        step(s.bind, ("127.0.0.1", None))


@case
def case_bind_port_range(sk, step):
    with udp(sk) as s:
        step(s.bind, ("127.0.0.1", -1))
        step(s.bind, ("127.0.0.1", 65536))
        step(s.bind, ("127.0.0.1", 2 ** 70))


@case
def case_bind_bytes_host(sk, step):
    with udp(sk) as s:
        step(s.bind, (b"127.0.0.1", 0))
        step(lambda: s.getsockname()[0])
    with udp(sk) as s:
        step(s.bind, (bytearray(b"127.0.0.1"), 0))
        step(lambda: s.getsockname()[0])


@case
def case_bind_empty_host(sk, step):
    with udp(sk) as s:
        step(s.bind, ("", 0))
        step(s.getsockname)


@case
def case_bind_broadcast_name(sk, step):
    with udp(sk) as s:
        step(s.bind, ("<broadcast>", 0))
        step(lambda: s.getsockname()[0])


@case
def case_bind_localhost_name(sk, step):
    with udp(sk) as s:
        step(s.bind, ("localhost", 0))
        step(s.getsockname)


@case
def case_bind_unknown_name(sk, step):
    with udp(sk) as s:
        step(s.bind, ("nonexistent.invalid", 0))


@case
def case_bind_bad_numeric(sk, step):
    with udp(sk) as s:
        step(s.bind, ("1.2.3.4.5", 0))
        step(s.bind, ("256.1.1.1", 0))


@case
def case_bind_not_local(sk, step):
    with udp(sk) as s:
        step(s.bind, ("198.51.100.77", 0))


@case
def case_bind_twice(sk, step):
    with udp(sk) as s:
        step(s.bind, ("127.0.0.1", 0))
        step(s.bind, ("127.0.0.1", 0))


@case
def case_bind_after_implicit_bind(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x", ("127.0.0.1", free_port(sk)))
        step(s.bind, ("127.0.0.1", 0))


@case
def case_bind_in_use(sk, step):
    a = bound(sk)
    b = udp(sk)
    step(b.bind, a.getsockname())
    port = a.getsockname()[1]
    step(b.bind, ("0.0.0.0", port))
    a.close()
    step(b.bind, ("127.0.0.1", port))
    step(lambda: b.getsockname()[1] == port)
    b.close()


@case
def case_bind_in_use_wildcard_first(sk, step):
    a = bound(sk, "0.0.0.0")
    with udp(sk) as b:
        step(b.bind, ("127.0.0.1", a.getsockname()[1]))
    a.close()


@case
def case_bind_reuseaddr_both(sk, step):
    a = udp(sk)
    a.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    a.bind(("127.0.0.1", 0))
    b = udp(sk)
    step(b.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    step(b.bind, a.getsockname())
    step(lambda: b.getsockname() == a.getsockname())
    a.close()
    b.close()


@case
def case_bind_reuseaddr_only_second(sk, step):
    a = bound(sk)
    with udp(sk) as b:
        step(b.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        step(b.bind, a.getsockname())
    a.close()


@case
def case_bind_reuseaddr_only_first(sk, step):
    a = udp(sk)
    a.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    a.bind(("127.0.0.1", 0))
    with udp(sk) as b:
        step(b.bind, a.getsockname())
    a.close()


@case
def case_bind_port_free_after_close(sk, step):
    a = bound(sk)
    addr = a.getsockname()
    a.close()
    with udp(sk) as b:
        step(b.bind, addr)
        step(lambda: b.getsockname() == addr)


@case
def case_bind_closed(sk, step):
    s = udp(sk)
    s.close()
    step(s.bind, ("127.0.0.1", 0))


# -- connect / connect_ex ----------------------------------------------------------------

@case
def case_connect_sets_peer_and_source(sk, step):
    port = free_port(sk)
    with udp(sk) as s:
        step(s.connect, ("127.0.0.1", port))
        step(lambda: s.getpeername() == ("127.0.0.1", port))
        step(lambda: s.getsockname()[0])


@case
def case_connect_argument_errors(sk, step):
    with udp(sk) as s:
        step(s.connect, "127.0.0.1")
        step(s.connect, ("127.0.0.1",))
        step(s.connect, ("127.0.0.1", 65536))
        step(s.connect, ("127.0.0.1", -1))
        step(s.connect, ("nonexistent.invalid", 9))


@case
def case_connect_ex_argument_errors(sk, step):
    with udp(sk) as s:
        step(s.connect_ex, "127.0.0.1")
        step(s.connect_ex, ("127.0.0.1", 65536))
        step(s.connect_ex, ("nonexistent.invalid", 9))


@case
def case_connect_ex_ok(sk, step):
    with udp(sk) as s:
        step(s.connect_ex, ("127.0.0.1", free_port(sk)))


@case
def case_connect_broadcast_without_option(sk, step):
    with udp(sk) as s:
        step(s.connect, ("255.255.255.255", 9))
        step(s.connect_ex, ("<broadcast>", 9))


@case
def case_connect_closed(sk, step):
    s = udp(sk)
    s.close()
    step(s.connect, ("127.0.0.1", 9))
    step(s.connect_ex, ("127.0.0.1", 9))


@case
def case_reconnect_changes_peer(sk, step):
    a, b = bound(sk), bound(sk)
    with udp(sk) as s:
        step(s.connect, a.getsockname())
        step(s.connect, b.getsockname())
        step(lambda: s.getpeername() == b.getsockname())
        step(s.send, b"to-b")
        step(b.recv, 10)
    a.close()
    b.close()


@case
def case_connected_filters_other_senders(sk, step):
    a, b = pair(sk)
    with bound(sk) as c:
        step(c.sendto, b"stranger", a.getsockname())
        step(b.send, b"peer")
        a.settimeout(0.05)
        step(a.recv, 100)
        step(a.recv, 100)
    a.close()
    b.close()


# -- getsockname / getpeername ----------------------------------------------------------

@case
def case_getsockname_unbound(sk, step):
    with udp(sk) as s:
        step(s.getsockname)


@case
def case_getpeername_unconnected(sk, step):
    with udp(sk) as s:
        step(s.getpeername)
        s.bind(("127.0.0.1", 0))
        step(s.getpeername)


@case
def case_names_closed(sk, step):
    s = udp(sk)
    s.close()
    step(s.getsockname)
    step(s.getpeername)


@case
def case_getsockname_after_sendto(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x", ("127.0.0.1", free_port(sk)))
        name = step(s.getsockname)
        step(lambda: name[1] in range(32768, 61000))


# -- send / sendto -------------------------------------------------------------------

@case
def case_send_unconnected(sk, step):
    with udp(sk) as s:
        step(s.send, b"x")  # Linux binds an ephemeral port first, then finds no destination
        step(s.bind, ("127.0.0.1", 0))
        step(lambda: s.getsockname()[0])
        step(s.send, b"x")


@case
def case_send_argument_types(sk, step):
    a, b = pair(sk)
    step(a.send, "text")
    step(a.send, 5)
    step(a.send, None)
    step(a.send, b"x", "0")
    step(a.send, b"x", 1.0)
    step(a.send, b"x", 0, 0)
    a.close()
    b.close()


@case
def case_send_bytes_like(sk, step):
    a, b = pair(sk)
    step(a.send, bytearray(b"ba"))
    step(a.send, memoryview(b"mv"))
    step(a.send, memoryview(b"0123456789")[2:5])
    step(lambda: a.send(__import__("array").array("H", [1, 2])))
    step(a.send, b"")
    for _ in range(5):
        step(b.recv, 100)
    a.close()
    b.close()


@case
def case_sendto_two_forms(sk, step):
    with bound(sk) as r, udp(sk) as s:
        step(s.sendto, b"two", r.getsockname())
        step(s.sendto, b"three", 0, r.getsockname())
        step(lambda: r.recvfrom(10)[0])
        step(lambda: r.recvfrom(10)[0])


@case
def case_sendto_argument_errors(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x")
        step(s.sendto, b"x", 0, ("127.0.0.1", 9), 1)
        step(s.sendto, "x", ("127.0.0.1", 9))
        step(s.sendto, b"x", "127.0.0.1")
        step(s.sendto, b"x", ("127.0.0.1",))
        step(s.sendto, b"x", ("127.0.0.1", 70000))
        step(s.sendto, b"x", "0", ("127.0.0.1", 9))
        step(s.sendto, b"x", 0, "127.0.0.1")


@case
def case_sendto_unknown_name(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x", ("nonexistent.invalid", 9))


@case
def case_sendto_port_zero(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x", ("127.0.0.1", 0))


@case
def case_sendto_on_connected(sk, step):
    a, b = pair(sk)
    with bound(sk) as c:
        step(a.sendto, b"elsewhere", c.getsockname())
        step(c.recv, 100)
        step(a.sendto, b"peer", b.getsockname())
        step(b.recv, 100)
    a.close()
    b.close()


@case
def case_send_closed(sk, step):
    s = udp(sk)
    s.close()
    step(s.send, b"x")
    step(s.sendto, b"x", ("127.0.0.1", 9))
    step(s.sendto, "x", ("127.0.0.1", 9))


@case
def case_sendall_datagram(sk, step):
    a, b = pair(sk)
    step(a.sendall, b"all")
    step(b.recv, 10)
    a.close()
    b.close()


@case
def case_send_returns_length(sk, step):
    a, b = pair(sk)
    step(a.send, b"x" * 1000)
    step(lambda: len(b.recv(2000)))
    a.close()
    b.close()


@case
def case_sendto_oversized(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x" * 65508, ("127.0.0.1", 9))
        step(s.sendto, b"x" * 70000, ("127.0.0.1", 9))


@case
def case_largest_datagram_loopback(sk, step):
    with bound(sk) as r, udp(sk) as s:
        step(s.sendto, b"y" * 65507, r.getsockname())
        step(lambda: len(r.recv(70000)))


@case
def case_sendto_broadcast_without_option(sk, step):
    with udp(sk) as s:
        step(s.sendto, b"x", ("<broadcast>", 9))
        step(s.sendto, b"x", ("255.255.255.255", 9))


@case
def case_sendto_after_connect_refused_pending(sk, step):
    port = free_port(sk)
    with udp(sk) as s:
        s.connect(("127.0.0.1", port))
        step(s.send, b"x")
        s.settimeout(0.2)
        step(s.recv, 10)
        step(s.send, b"again")


# -- receiving ------------------------------------------------------------------------

@case
def case_recvfrom_source(sk, step):
    with bound(sk) as r, bound(sk) as s:
        step(s.sendto, b"hello", r.getsockname())
        data, src = step(r.recvfrom, 100)
        step(lambda: src == s.getsockname())


@case
def case_recv_truncates(sk, step):
    with bound(sk) as r, udp(sk) as s:
        s.sendto(b"0123456789", r.getsockname())
        s.sendto(b"abc", r.getsockname())
        step(r.recv, 4)
        step(r.recv, 100)


@case
def case_recv_zero_bytes_consumes(sk, step):
    with bound(sk) as r, udp(sk) as s:
        s.sendto(b"first", r.getsockname())
        s.sendto(b"second", r.getsockname())
        step(r.recv, 0)
        step(r.recv, 100)


@case
def case_recv_empty_datagram(sk, step):
    with bound(sk) as r, udp(sk) as s:
        step(s.sendto, b"", r.getsockname())
        step(r.recvfrom, 100)
        s.settimeout(0)


@case
def case_recv_argument_errors(sk, step):
    with bound(sk) as r:
        step(r.recv, -1)
        step(r.recv, "10")
        step(r.recv, 1.5)
        step(r.recv, 10, "0")
        step(r.recvfrom, -1)
        step(r.recvfrom, None)


@case
def case_recv_peek(sk, step):
    with bound(sk) as r, udp(sk) as s:
        s.sendto(b"peekaboo", r.getsockname())
        step(r.recv, 4, sk.MSG_PEEK)
        step(r.recvfrom, 100, sk.MSG_PEEK)
        step(r.recv, 100)
        r.setblocking(False)
        step(r.recv, 100)


@case
def case_recv_dontwait(sk, step):
    with bound(sk) as r:
        step(r.recv, 10, sk.MSG_DONTWAIT)
        step(r.recvfrom, 10, sk.MSG_DONTWAIT)
        step(lambda: r.gettimeout())


@case
def case_recv_dontwait_with_data(sk, step):
    with bound(sk) as r, udp(sk) as s:
        s.sendto(b"ready", r.getsockname())
        r.settimeout(0.5)
        step(r.recv, 10, sk.MSG_PEEK)  # make sure it has arrived
        step(r.recv, 10, sk.MSG_DONTWAIT)


@case
def case_recv_nonblocking_empty(sk, step):
    with bound(sk) as r:
        r.setblocking(False)
        step(r.recv, 10)
        step(r.recvfrom, 10)
        step(r.recv_into, bytearray(4))
        step(r.recvfrom_into, bytearray(4))


@case
def case_recv_timeout(sk, step):
    with bound(sk) as r:
        r.settimeout(0.05)
        step(r.recv, 10)
        step(r.recvfrom, 10)
        step(r.recv_into, bytearray(4))


@case
def case_recv_unbound_nonblocking(sk, step):
    with udp(sk) as r:
        r.setblocking(False)
        step(r.recv, 10)
        step(r.getsockname)


@case
def case_recv_into(sk, step):
    with bound(sk) as r, udp(sk) as s:
        buf = bytearray(8)
        s.sendto(b"abcdefghij", r.getsockname())
        step(r.recv_into, buf)
        step(lambda: bytes(buf))
        s.sendto(b"xyz", r.getsockname())
        step(r.recv_into, buf)
        step(lambda: bytes(buf))


@case
def case_recv_into_nbytes(sk, step):
    with bound(sk) as r, udp(sk) as s:
        buf = bytearray(8)
        s.sendto(b"abcdefghij", r.getsockname())
        step(r.recv_into, buf, 3)
        step(lambda: bytes(buf))


@case
def case_recv_into_argument_errors(sk, step):
    with bound(sk) as r:
        step(r.recv_into, bytearray(4), 5)
        step(r.recv_into, bytearray(4), -1)
        step(r.recv_into, b"read-only")
        step(r.recv_into, "str")
        step(r.recv_into, bytearray(4), 2, "0")


@case
def case_recvfrom_into(sk, step):
    with bound(sk) as r, bound(sk) as s:
        buf = bytearray(16)
        s.sendto(b"into", r.getsockname())
        n, src = step(r.recvfrom_into, buf)
        step(lambda: (bytes(buf[:n]), src == s.getsockname()))


@case
def case_recvfrom_into_argument_errors(sk, step):
    with bound(sk) as r:
        step(r.recvfrom_into, bytearray(4), 5)
        step(r.recvfrom_into, bytearray(4), -1)
        step(r.recvfrom_into, b"read-only")
        step(r.recvfrom_into, memoryview(b"ro"))


@case
def case_recv_into_memoryview_slice(sk, step):
    with bound(sk) as r, udp(sk) as s:
        buf = bytearray(b"........")
        s.sendto(b"AB", r.getsockname())
        step(r.recv_into, memoryview(buf)[3:])
        step(lambda: bytes(buf))


@case
def case_recv_closed(sk, step):
    s = bound(sk)
    s.close()
    step(s.recv, 10)
    step(s.recvfrom, 10)
    step(s.recv_into, bytearray(2))
    step(s.recvfrom_into, bytearray(2))
    step(s.recv, -1)


@case
def case_datagram_boundaries(sk, step):
    a, b = pair(sk)
    for m in (b"one", b"two", b"three"):
        a.send(m)
    for _ in range(3):
        step(b.recv, 100)
    a.close()
    b.close()


@case
def case_loopback_to_self(sk, step):
    with bound(sk) as s:
        step(s.sendto, b"me", s.getsockname())
        data, src = step(s.recvfrom, 10)
        step(lambda: src == s.getsockname())


# -- ICMP port unreachable -> ECONNREFUSED --------------------------------------------------

@case
def case_connected_refused_then_cleared(sk, step):
    port = free_port(sk)
    with udp(sk) as s:
        s.connect(("127.0.0.1", port))
        s.settimeout(0.2)
        step(s.send, b"anyone?")
        step(s.recv, 10)
        step(s.recv, 10)


@case
def case_connected_refused_so_error(sk, step):
    port = free_port(sk)
    with udp(sk) as s, bound(sk) as other:
        s.connect(("127.0.0.1", port))
        step(s.send, b"anyone?")
        other.sendto(b"sync", other.getsockname())
        other.recv(10)  # one loopback round later the ICMP error has arrived
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_ERROR)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_ERROR)


@case
def case_connect_ex_after_refused(sk, step):
    port = free_port(sk)
    with udp(sk) as s:
        s.connect(("127.0.0.1", port))
        s.settimeout(0.2)
        step(s.send, b"x")
        step(s.recvfrom, 10)
        step(s.connect_ex, ("127.0.0.1", port))


@case
def case_unconnected_not_refused(sk, step):
    port = free_port(sk)
    with bound(sk) as s:
        s.settimeout(0.05)
        step(s.sendto, b"x", ("127.0.0.1", port))
        step(s.recvfrom, 10)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_ERROR)


# -- timeouts and blocking mode ------------------------------------------------------------

@case
def case_timeout_defaults(sk, step):
    with udp(sk) as s:
        step(s.gettimeout)
        step(s.getblocking)


@case
def case_settimeout_values(sk, step):
    with udp(sk) as s:
        for v in (0, 0.0, 1, 2.5, None):
            step(s.settimeout, v)
            step(lambda: (s.gettimeout(), s.getblocking()))


@case
def case_settimeout_errors(sk, step):
    with udp(sk) as s:
        step(s.settimeout, -1)
        step(s.settimeout, "1")
        step(s.settimeout, float("nan"))
        step(s.settimeout, [])
        step(s.gettimeout)


@case
def case_setblocking(sk, step):
    with udp(sk) as s:
        step(s.setblocking, False)
        step(lambda: (s.gettimeout(), s.getblocking()))
        step(s.setblocking, True)
        step(lambda: (s.gettimeout(), s.getblocking()))
        s.settimeout(3)
        step(s.setblocking, 0)
        step(lambda: (s.gettimeout(), s.getblocking()))
        step(s.setblocking, 1)
        step(lambda: (s.gettimeout(), s.getblocking()))


@case
def case_settimeout_closed(sk, step):
    s = udp(sk)
    s.close()
    step(s.settimeout, 1)
    step(s.gettimeout)
    step(s.setblocking, False)
    step(s.getblocking)


@case
def case_default_timeout(sk, step):
    old = sk.getdefaulttimeout()
    try:
        step(sk.setdefaulttimeout, 0.25)
        with udp(sk) as s:
            step(s.gettimeout)
        step(sk.setdefaulttimeout, -1)
        step(sk.setdefaulttimeout, None)
        step(sk.getdefaulttimeout)
    finally:
        sk.setdefaulttimeout(old)


@case
def case_timeout_exception_types(sk, step):
    with bound(sk) as r:
        r.settimeout(0.01)
        try:
            r.recv(1)
        except OSError as e:
            step(lambda e=e: (type(e).__name__, isinstance(e, sk.timeout), isinstance(e, OSError), e.args))
        r.setblocking(False)
        try:
            r.recv(1)
        except OSError as e:
            step(lambda e=e: (type(e).__name__, isinstance(e, sk.error), e.errno, e.args))


# -- closing and lifetime --------------------------------------------------------------

@case
def case_close_twice_and_fileno(sk, step):
    s = udp(sk)
    step(s.fileno)
    step(s.close)
    step(s.close)
    step(s.fileno)


@case
def case_context_manager(sk, step):
    with udp(sk) as s:
        step(lambda: s.fileno() >= 0)
    step(s.fileno)
    step(s.getsockname)


@case
def case_context_manager_returns_self(sk, step):
    s = udp(sk)
    with s as t:
        step(lambda: t is s)
    step(lambda: t.fileno())


@case
def case_detach(sk, step):
    s = udp(sk)
    fd = s.detach()
    step(lambda: fd >= 0)
    step(s.fileno)
    step(s.getsockname)
    if sk.__name__ == "socket":
        os.close(fd)


@case
def case_repr_shapes(sk, step):
    s = udp(sk)
    step(repr, s)
    s.bind(("127.0.0.1", 0))
    step(repr, s)
    s.connect(s.getsockname())
    step(repr, s)
    s.close()
    step(repr, s)


@case
def case_shutdown_unconnected(sk, step):
    with udp(sk) as s:
        step(s.shutdown, sk.SHUT_RDWR)
        step(s.shutdown, 7)


# -- socket options ---------------------------------------------------------------------

@case
def case_reuseaddr_option(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 5)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 0)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)


@case
def case_reuseaddr_bytes_value(sk, step):
    with udp(sk) as s:
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, struct.pack("i", 1))
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, b"\x01")


@case
def case_broadcast_option(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_BROADCAST)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_BROADCAST, 1)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_BROADCAST)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_BROADCAST, 4)


@case
def case_type_option(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 4)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 8)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 2)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 0)


@case
def case_getsockopt_buflen_range(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, -1)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 1025)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 1024)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE, "4")


@case
def case_readonly_options(sk, step):
    with udp(sk) as s:
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_TYPE, 1)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_ERROR, 1)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_PROTOCOL, 1)


@case
def case_unknown_options(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, 999)
        step(s.setsockopt, sk.SOL_SOCKET, 999, 1)
        step(s.getsockopt, sk.IPPROTO_IP, 999)
        step(s.setsockopt, sk.IPPROTO_IP, 999, 1)


@case
def case_other_level_options(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.IPPROTO_TCP, sk.TCP_NODELAY)
        step(s.setsockopt, sk.IPPROTO_TCP, sk.TCP_NODELAY, 1)


@case
def case_so_error_fresh(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_ERROR)


@case
def case_rcvbuf(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF, 4096)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF, 1)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF, 100_000)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVBUF)


@case
def case_sndbuf(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_SNDBUF)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_SNDBUF, 4096)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_SNDBUF)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_SNDBUF, 1)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_SNDBUF)


@case
def case_rcvtimeo_timeval(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, 16)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, struct.pack("ll", 1, 500_000))
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, 16)
        step(lambda: struct.unpack("ll", s.getsockopt(sk.SOL_SOCKET, sk.SO_RCVTIMEO, 16)))
        step(s.gettimeout)


@case
def case_sndtimeo_timeval(sk, step):
    with udp(sk) as s:
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_SNDTIMEO, struct.pack("ll", 0, 250_000))
        step(lambda: struct.unpack("ll", s.getsockopt(sk.SOL_SOCKET, sk.SO_SNDTIMEO, 16)))
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_SNDTIMEO, struct.pack("ll", 0, 0))
        step(lambda: struct.unpack("ll", s.getsockopt(sk.SOL_SOCKET, sk.SO_SNDTIMEO, 16)))


@case
def case_timeo_bad_timeval(sk, step):
    with udp(sk) as s:
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, struct.pack("ll", 0, 1_000_000))
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, struct.pack("ll", 0, -1))
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, b"\0" * 8)


@case
def case_rcvtimeo_expires_eagain(sk, step):
    with bound(sk) as s:
        s.setsockopt(sk.SOL_SOCKET, sk.SO_RCVTIMEO, struct.pack("ll", 0, 50_000))
        step(s.recv, 10)
        step(s.gettimeout)


@case
def case_rcvtimeo_int_milliseconds(sk, step):
    with udp(sk) as s:
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, 250, differs="int-timeo")
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_RCVTIMEO, 16, differs="int-timeo-read")


@case
def case_ip_ttl(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TTL)
        step(s.setsockopt, sk.IPPROTO_IP, sk.IP_TTL, 5)
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TTL)
        step(s.setsockopt, sk.IPPROTO_IP, sk.IP_TTL, -1)
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TTL)


@case
def case_ip_ttl_range(sk, step):
    with udp(sk) as s:
        for v in (0, 256, -2, 255, 1):
            step(s.setsockopt, sk.IPPROTO_IP, sk.IP_TTL, v)
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TTL)


@case
def case_ip_tos(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TOS)
        step(s.setsockopt, sk.IPPROTO_IP, sk.IP_TOS, 0x10)
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TOS)
        step(s.setsockopt, sk.IPPROTO_IP, sk.IP_TOS, 0x13)
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_TOS)


@case
def case_setsockopt_argument_forms(sk, step):
    with udp(sk) as s:
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, "1")
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 1.0)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, None, 4)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 1, 4)
        step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)
        step(s.setsockopt, "1", sk.SO_REUSEADDR, 1)


@case
def case_setsockopt_closed(sk, step):
    s = udp(sk)
    s.close()
    step(s.setsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
    step(s.getsockopt, sk.SOL_SOCKET, sk.SO_REUSEADDR)


@case
def case_broadcast_allowed_with_option(sk, step):
    with bound(sk) as s:
        s.setsockopt(sk.SOL_SOCKET, sk.SO_BROADCAST, 1)
        step(s.connect, ("255.255.255.255", 9))
        step(s.getpeername)


# -- raw ICMP (we run as root) ------------------------------------------------------------

def _icmp_echo(ident: int, seq: int, payload: bytes) -> bytes:
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    padded = hdr + b"\0" * (len(hdr) % 2)
    total = sum(struct.unpack(f"!{len(padded) // 2}H", padded))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return hdr[:2] + struct.pack("!H", ~total & 0xFFFF) + hdr[4:]


@case
def case_raw_icmp_socket(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_RAW, sk.IPPROTO_ICMP) as s:
        step(lambda: (s.family, s.type, s.proto))
        step(s.getsockname)
        step(s.getsockopt, sk.SOL_SOCKET, sk.SO_TYPE)
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_HDRINCL)


@case
def case_raw_icmp_ping_loopback(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_RAW, sk.IPPROTO_ICMP) as s:
        s.settimeout(1.0)
        step(s.sendto, _icmp_echo(0x1234, 1, b"ping!"), ("127.0.0.1", 0))
        seen = []
        for _ in range(2):  # a raw socket on loopback sees its own request, then the reply
            pkt, src = s.recvfrom(2048)
            ihl = (pkt[0] & 15) * 4
            seen.append((pkt[9], src, pkt[ihl], pkt[ihl + 1], pkt[ihl + 4:ihl + 8], pkt[ihl + 8:]))
        step(lambda: sorted(seen))


@case
def case_raw_send_unconnected(sk, step):
    with sk.socket(sk.AF_INET, sk.SOCK_RAW, sk.IPPROTO_ICMP) as s:
        step(s.send, b"x")
        step(s.getpeername)


@case
def case_udp_ip_hdrincl(sk, step):
    with udp(sk) as s:
        step(s.getsockopt, sk.IPPROTO_IP, sk.IP_HDRINCL)
        step(s.setsockopt, sk.IPPROTO_IP, sk.IP_HDRINCL, 1)


# -- conversions ---------------------------------------------------------------------------

@case
def case_inet_aton(sk, step):
    for text in ("127.0.0.1", "1.2.3", "1.2", "1", "0x7f.1", "017.0.0.1", "255.255.255.255", "0.0.0.0"):
        step(sk.inet_aton, text)


@case
def case_inet_aton_errors(sk, step):
    for text in ("256.0.0.1", "1.2.3.4.5", "", "a.b.c.d", "1..2", " 1.2.3.4", "1.2.3.4 ", "08.1.1.1"):
        step(sk.inet_aton, text)
    step(sk.inet_aton, b"1.2.3.4")
    step(sk.inet_aton, 1)


@case
def case_inet_ntoa(sk, step):
    step(sk.inet_ntoa, b"\x7f\x00\x00\x01")
    step(sk.inet_ntoa, bytearray(b"\x01\x02\x03\x04"))
    step(sk.inet_ntoa, b"\x01\x02\x03")
    step(sk.inet_ntoa, b"\x01\x02\x03\x04\x05")
    step(sk.inet_ntoa, "1234")
    step(sk.inet_ntoa, 5)


@case
def case_inet_pton(sk, step):
    step(sk.inet_pton, sk.AF_INET, "192.0.2.1")
    step(sk.inet_pton, sk.AF_INET6, "2001:db8::1")
    step(sk.inet_pton, sk.AF_INET6, "::ffff:1.2.3.4")
    step(sk.inet_pton, sk.AF_INET, "1.2.3")
    step(sk.inet_pton, sk.AF_INET, "01.2.3.4")
    step(sk.inet_pton, sk.AF_INET6, "1:::2")
    step(sk.inet_pton, sk.AF_INET, b"1.2.3.4")
    step(sk.inet_pton, 99, "1.2.3.4")
    step(sk.inet_pton, "2", "1.2.3.4")


@case
def case_inet_ntop(sk, step):
    step(sk.inet_ntop, sk.AF_INET, b"\xc0\x00\x02\x01")
    step(sk.inet_ntop, sk.AF_INET6, b"\x20\x01\x0d\xb8" + bytes(11) + b"\x01")
    step(sk.inet_ntop, sk.AF_INET6, bytes(10) + b"\xff\xff\x01\x02\x03\x04")
    step(sk.inet_ntop, sk.AF_INET6, bytes(16))
    step(sk.inet_ntop, sk.AF_INET, b"\x01\x02\x03")
    step(sk.inet_ntop, sk.AF_INET6, bytes(4))
    step(sk.inet_ntop, 99, bytes(4))
    step(sk.inet_ntop, sk.AF_INET, "1234")


@case
def case_byte_order(sk, step):
    step(sk.htons, 1)
    step(sk.ntohs, 0x0100)
    step(sk.htonl, 1)
    step(sk.ntohl, 0x01000000)
    step(sk.htons, 0)
    step(sk.htonl, 0xFFFFFFFF)


@case
def case_byte_order_errors(sk, step):
    step(sk.htons, -1)
    step(sk.htons, 65536)
    step(sk.ntohs, 1 << 20)
    step(sk.htonl, -1)
    step(sk.htonl, 1 << 32)
    step(sk.ntohl, 1 << 40)
    step(sk.htons, 1.0)
    step(sk.htonl, "1")


# -- names -------------------------------------------------------------------------------

@case
def case_getaddrinfo_numeric(sk, step):
    step(sk.getaddrinfo, "127.0.0.1", 80)
    step(sk.getaddrinfo, "127.0.0.1", "80")
    step(sk.getaddrinfo, "127.0.0.1", None)
    step(sk.getaddrinfo, b"127.0.0.1", 80)


@case
def case_getaddrinfo_filters(sk, step):
    step(sk.getaddrinfo, "127.0.0.1", 53, sk.AF_INET, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "127.0.0.1", 53, 0, 0, sk.IPPROTO_UDP)
    step(sk.getaddrinfo, "127.0.0.1", 53, 0, sk.SOCK_STREAM)
    step(sk.getaddrinfo, "127.0.0.1", 53, type=sk.SOCK_DGRAM, proto=sk.IPPROTO_TCP)
    step(sk.getaddrinfo, "127.0.0.1", 53, sk.AF_INET6)


@case
def case_getaddrinfo_localhost(sk, step):
    step(sk.getaddrinfo, "localhost", 7, sk.AF_INET)
    step(sk.getaddrinfo, "localhost", 7, sk.AF_INET, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "LOCALHOST", "7", sk.AF_INET, sk.SOCK_DGRAM, 0, sk.AI_CANONNAME)


@case
def case_getaddrinfo_passive(sk, step):
    step(sk.getaddrinfo, None, 80, sk.AF_INET, sk.SOCK_DGRAM, 0, sk.AI_PASSIVE)
    step(sk.getaddrinfo, None, 80, sk.AF_INET, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, None, None)


@case
def case_getaddrinfo_services(sk, step):
    step(sk.getaddrinfo, "127.0.0.1", "domain", sk.AF_INET, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "127.0.0.1", "http", sk.AF_INET, sk.SOCK_STREAM)
    step(sk.getaddrinfo, "127.0.0.1", "no-such-service")
    step(sk.getaddrinfo, "127.0.0.1", "http", 0, 0, 0, sk.AI_NUMERICSERV)


@case
def case_getaddrinfo_unknown(sk, step):
    step(sk.getaddrinfo, "nonexistent.invalid", 80)
    step(sk.getaddrinfo, "nonexistent.invalid", 80, sk.AF_INET, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "localhost", 80, 0, 0, 0, sk.AI_NUMERICHOST)


@case
def case_getaddrinfo_argument_errors(sk, step):
    step(sk.getaddrinfo, 127, 80)
    step(sk.getaddrinfo, "127.0.0.1", 80.0)
    step(sk.getaddrinfo, "127.0.0.1", 80, 12345)
    step(sk.getaddrinfo, "127.0.0.1", 80, 0, 99)
    step(sk.getaddrinfo, "127.0.0.1", 80, 0, 0, 0, 0x7FFF)


@case
def case_gaierror_attributes(sk, step):
    try:
        sk.getaddrinfo("nonexistent.invalid", 80)
    except sk.gaierror as e:
        step(lambda e=e: (type(e).__name__, e.errno, e.strerror, e.args, isinstance(e, OSError),
                      e.errno == sk.EAI_NONAME))


@case
def case_getservbyname(sk, step):
    step(sk.getservbyname, "http")
    step(sk.getservbyname, "http", "tcp")
    step(sk.getservbyname, "domain", "udp")
    step(sk.getservbyname, "no-such-service")
    step(sk.getservbyname, "http", "bogus")
    step(sk.getservbyname, 80)


@case
def case_getservbyport(sk, step):
    step(sk.getservbyport, 80)
    step(sk.getservbyport, 53, "udp")
    step(sk.getservbyport, 22, "tcp")
    step(sk.getservbyport, 65000)
    step(sk.getservbyport, 70000)
    step(sk.getservbyport, -1)
    step(sk.getservbyport, "80")


@case
def case_getprotobyname(sk, step):
    for name in ("udp", "tcp", "icmp", "ip", "UDP", "no-such-proto"):
        step(sk.getprotobyname, name)
    step(sk.getprotobyname, 17)


# -- constants and their reprs ------------------------------------------------------------

@case
def case_constants_values(sk, step):
    names = ("AF_INET", "AF_INET6", "AF_UNSPEC", "AF_UNIX", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW",
             "SOCK_NONBLOCK", "SOCK_CLOEXEC", "IPPROTO_UDP", "IPPROTO_TCP", "IPPROTO_ICMP", "IPPROTO_IP",
             "IPPROTO_RAW", "SOL_SOCKET", "SO_REUSEADDR", "SO_BROADCAST", "SO_RCVBUF", "SO_SNDBUF", "SO_TYPE",
             "SO_ERROR", "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_REUSEPORT", "IP_TTL", "IP_TOS", "IP_HDRINCL",
             "MSG_PEEK", "MSG_DONTWAIT", "MSG_TRUNC", "MSG_WAITALL", "SHUT_RD", "SHUT_WR", "SHUT_RDWR",
             "INADDR_ANY", "INADDR_BROADCAST", "INADDR_LOOPBACK", "SOMAXCONN", "EAI_NONAME", "EAI_SERVICE",
             "EAI_FAMILY", "AI_PASSIVE", "AI_CANONNAME", "AI_NUMERICHOST", "AI_NUMERICSERV")
    step(lambda: [(n, int(getattr(sk, n))) for n in names])


@case
def case_constants_reprs(sk, step):
    step(lambda: [repr(x) for x in (sk.AF_INET, sk.AF_INET6, sk.SOCK_DGRAM, sk.SOCK_RAW, sk.MSG_PEEK,
                                    sk.AI_PASSIVE)])
    step(lambda: [str(x) for x in (sk.AF_INET, sk.SOCK_DGRAM)])
    step(lambda: (type(sk.IPPROTO_UDP).__name__, type(sk.SOL_SOCKET).__name__))


@case
def case_enum_classes(sk, step):
    step(lambda: (sk.AddressFamily(2), sk.SocketKind(2), sk.AddressFamily.AF_INET.name))
    step(sk.AddressFamily, 12345)


@case
def case_exception_aliases(sk, step):
    step(lambda: (sk.error is OSError, sk.timeout is TimeoutError, issubclass(sk.gaierror, OSError),
                  issubclass(sk.herror, OSError)))


@case
def case_family_type_attribute_types(sk, step):
    with udp(sk) as s:
        step(lambda: (type(s.family).__name__, type(s.type).__name__, type(s.proto).__name__))
        step(lambda: s.family == 2 and s.type == 2)


@case
def case_udplite_sockets(sk, step):
    """UDP-Lite (RFC 3828) sockets: creation, the coverage options with Linux's clamping and
    its levels, datagrams both ways over loopback, and a refused port on a connected socket."""
    a = step(sk.socket, sk.AF_INET, sk.SOCK_DGRAM, sk.IPPROTO_UDPLITE)
    b = sk.socket(sk.AF_INET, sk.SOCK_DGRAM, sk.IPPROTO_UDPLITE)
    u = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(lambda: a.proto)
    for level in (sk.IPPROTO_UDPLITE, sk.IPPROTO_UDP):
        for opt in (sk.UDPLITE_SEND_CSCOV, sk.UDPLITE_RECV_CSCOV):
            step(a.getsockopt, level, opt)
            for v in (3, 0, -5, 100, 70000):
                step(a.setsockopt, level, opt, v)
                step(a.getsockopt, level, opt)
            step(u.getsockopt, level, opt)
            step(u.setsockopt, level, opt, 20)
    step(a.setsockopt, sk.IPPROTO_UDPLITE, sk.UDPLITE_SEND_CSCOV, b"\x01")
    step(a.setsockopt, sk.IPPROTO_UDPLITE, sk.UDPLITE_RECV_CSCOV, 0)
    step(a.setsockopt, sk.IPPROTO_UDPLITE, sk.UDPLITE_SEND_CSCOV, 0)
    a.settimeout(5)
    b.settimeout(5)
    step(a.bind, ("127.0.0.1", 0))
    step(b.sendto, b"lite", a.getsockname())
    data, addr = a.recvfrom(100)
    step(lambda: (data, addr == b.getsockname()), label="recvfrom")
    step(b.setsockopt, sk.IPPROTO_UDPLITE, sk.UDPLITE_SEND_CSCOV, 8)
    step(b.sendto, b"partially covered", a.getsockname())
    a.settimeout(0.2)
    step(a.recv, 100)  # a asked for full coverage: the partial datagram is dropped ...
    a.settimeout(5)
    step(a.setsockopt, sk.IPPROTO_UDPLITE, sk.UDPLITE_RECV_CSCOV, 8)
    step(b.sendto, b"partially covered", a.getsockname())
    step(a.recv, 100)  # ... and taken once 8 octets are enough
    step(u.sendto, b"plain udp", a.getsockname())  # another protocol's port space
    step(b.connect, ("127.0.0.1", _free_udplite_port(sk)))
    step(b.send, b"x")
    step(b.recv, 10)
    six = step(sk.socket, sk.AF_INET6, sk.SOCK_DGRAM, sk.IPPROTO_UDPLITE)
    six.bind(("::1", 0))
    six.settimeout(5)
    step(b.sendto, b"v4 to v6?", ("127.0.0.1", six.getsockname()[1]))
    c = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM, sk.IPPROTO_UDPLITE)
    step(c.sendto, b"six", six.getsockname())
    step(six.recvfrom, 100)
    for s in (a, b, u, six, c):
        s.close()


def _free_udplite_port(sk) -> int:
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM, sk.IPPROTO_UDPLITE)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_enough_cases():
    assert len(CASES) >= 100


@pytest.mark.parametrize("script", CASES, ids=[c.__name__[5:] for c in CASES])
def test_differential(script):
    compare(script)


def test_every_deliberate_difference_is_exercised():
    used = set()
    for script in CASES:
        for entry in run_sim(script):
            if "[differs: " in entry[0]:
                used.add(entry[0].rsplit("[differs: ", 1)[1][:-1])
    assert used == set(DELIBERATE)
