"""AF_INET6 scripts run against CPython's socket on ::1 and against socketapi on a simulated host.

The machine's loopback has ::1 and 127.0.0.1, as every simulated host's does, so the same
script exercises IPv6 sockets, dual-stack sockets taking IPv4 as IPv4-mapped addresses,
IPV6_V6ONLY and the address tuple checks on both sides.
"""

from __future__ import annotations

import pytest
from differential import compare

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def udp6(sk, addr=("::1", 0)):
    s = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    s.settimeout(5)
    s.bind(addr)
    return s


@case
def case_udp6_echo(sk, step):
    a, b = udp6(sk), udp6(sk)
    step(a.getsockname)
    step(b.sendto, b"ping", a.getsockname())
    data, addr = a.recvfrom(100)
    step(lambda: (data, addr == b.getsockname(), len(addr)), label="recvfrom")
    step(a.sendto, b"pong", ("::1", b.getsockname()[1], 0, 0))
    step(b.recvfrom, 100)
    step(b.connect, a.getsockname())
    step(b.getpeername)
    step(b.send, b"x")
    step(a.recv, 10)
    a.close()
    b.close()


@case
def case_address_tuple_checks(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    step(s.bind, "::1")
    step(s.bind, ("::1",))
    step(s.bind, ("::1", 0, 0, 0, 0))
    step(s.bind, ("::1", 70000))
    step(s.bind, ("::1", 0, 1 << 20))
    step(s.bind, ("::1", 0, -1))
    step(s.bind, (1, 0))
    step(s.bind, ("::1", "x"))
    step(s.sendto, b"x", ("<broadcast>", 9))
    step(s.bind, ("::1", 0, 5, 0))
    step(s.getsockname)
    s.close()


@case
def case_v6only_option(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 1)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY)
    step(s.bind, ("::", 0))
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 0)
    step(s.sendto, b"x", ("::ffff:127.0.0.1", 9))
    s.close()
    t = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(t.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 1)
    step(t.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY)
    t.close()


@case
def case_dual_stack_udp(sk, step):
    s = udp6(sk, ("::", 0))
    port = s.getsockname()[1]
    c = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(c.sendto, b"v4", ("127.0.0.1", port))
    data, addr = s.recvfrom(100)
    step(lambda: (data, addr[0], addr[2:], addr[1] == c.getsockname()[1]), label="recvfrom")
    step(s.sendto, b"back", addr)
    step(c.recvfrom, 100)
    c6 = udp6(sk)
    step(c6.sendto, b"v6", ("::1", port))
    data, addr = s.recvfrom(100)
    step(lambda: (data, addr[0]), label="recvfrom6")
    for x in (s, c, c6):
        x.close()


@case
def case_bind_conflicts_across_families(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    s.bind(("::", 0))
    port = s.getsockname()[1]
    s.listen()
    t = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    step(t.bind, ("127.0.0.1", port))
    t.close()
    u = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    step(u.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 1)
    step(u.bind, ("::1", port))
    u.close()
    s.close()
    # a port free on 127.0.0.1 now (the machine's other programs hold ports too), then
    # an IPv6-only socket on it, then the IPv4 bind that IPV6_V6ONLY allows
    probe = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    free = probe.getsockname()[1]
    probe.close()
    v = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    v.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 1)
    v.bind(("::", free))
    w = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    step(w.bind, ("127.0.0.1", v.getsockname()[1]))
    step(lambda: w.getsockname()[1] == v.getsockname()[1], label="same port")
    v.close()
    w.close()


@case
def case_tcp6_connect_accept(sk, step):
    ls = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    ls.bind(("::1", 0))
    ls.listen()
    step(ls.getsockname)
    c = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    c.settimeout(5)
    step(c.connect, ls.getsockname())
    s, addr = ls.accept()
    step(lambda: (addr == c.getsockname(), len(addr), s.family, s.getsockname() == ls.getsockname()), label="accept")
    step(c.sendall, b"hello")
    s.settimeout(5)
    step(s.recv, 100)
    step(c.getpeername)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY)
    step(c.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS)
    for x in (c, s, ls):
        x.close()


@case
def case_tcp_dual_stack_listener(sk, step):
    ls = sk.create_server(("::", 0), family=sk.AF_INET6, dualstack_ipv6=True)
    port = ls.getsockname()[1]
    step(ls.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY)
    c = sk.create_connection(("127.0.0.1", port), timeout=5)
    s, addr = ls.accept()
    step(lambda: (addr[0], addr[1] == c.getsockname()[1], s.getsockname()[0]), label="accept")
    s.sendall(b"mapped")
    step(c.recv, 100)
    c6 = sk.create_connection(("::1", port), timeout=5)
    s6, addr6 = ls.accept()
    step(lambda: addr6[0], label="accept6")
    for x in (c, s, c6, s6, ls):
        x.close()


@case
def case_create_server_v6only(sk, step):
    ls = sk.create_server(("::", 0), family=sk.AF_INET6)
    step(ls.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_V6ONLY)
    c = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
    c.settimeout(5)
    step(c.connect, ("127.0.0.1", ls.getsockname()[1]))
    step(sk.create_server, ("::", 0), family=sk.AF_INET, dualstack_ipv6=True)
    step(sk.has_dualstack_ipv6)
    c.close()
    ls.close()


@case
def case_tcp6_refused_and_mapped_connect(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    s.bind(("::1", 0))
    port = s.getsockname()[1]
    s.close()
    c = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    c.settimeout(5)
    step(c.connect_ex, ("::1", port))
    c.close()
    d = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    d.settimeout(5)
    step(d.connect_ex, ("::ffff:127.0.0.1", port))
    d.close()
    e = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
    e.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 1)
    e.settimeout(5)
    step(e.connect_ex, ("::ffff:127.0.0.1", port))
    e.close()


@case
def case_ipv6_options(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS, 300)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS, 7)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS, -1)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_UNICAST_HOPS)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_HOPS)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_HOPS, 5)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_HOPS)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_LOOP)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_TCLASS, 0x20)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_TCLASS)
    step(s.getsockopt, sk.IPPROTO_IPV6, 24)  # IPV6_MTU, which CPython does not name
    s.connect(("::1", 9))
    step(s.getsockopt, sk.IPPROTO_IPV6, 24)  # IPV6_MTU, which CPython does not name
    step(s.getsockopt, sk.SOL_SOCKET, sk.SO_DOMAIN)
    s.close()


@case
def case_names_v6(sk, step):
    step(sk.getaddrinfo, "::1", 80, sk.AF_INET6, sk.SOCK_STREAM)
    step(sk.getaddrinfo, None, 80, sk.AF_INET6, sk.SOCK_STREAM, 0, sk.AI_PASSIVE)
    step(sk.getaddrinfo, None, 80, sk.AF_UNSPEC, sk.SOCK_STREAM, 0, sk.AI_PASSIVE)
    step(sk.getaddrinfo, None, 80, sk.AF_UNSPEC, sk.SOCK_STREAM)
    step(sk.getaddrinfo, "::1", 80, sk.AF_INET, sk.SOCK_STREAM)
    step(sk.getaddrinfo, "::ffff:127.0.0.1", "http", sk.AF_INET6, sk.SOCK_STREAM)
    step(sk.getnameinfo, ("::1", 80, 0, 0), sk.NI_NUMERICHOST | sk.NI_NUMERICSERV)
    step(sk.inet_pton, sk.AF_INET6, "2001:db8::1")
    step(sk.inet_ntop, sk.AF_INET6, bytes(15) + b"\x01")
    step(sk.inet_pton, sk.AF_INET6, "2001:db8::1::2")
    step(lambda: sk.has_ipv6, label="has_ipv6")


@case
def case_raw_icmpv6_echo(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_RAW, sk.IPPROTO_ICMPV6)
    s.settimeout(5)
    step(s.getsockname)
    request = bytes([128, 0, 0, 0, 0x12, 0x34, 0, 1]) + b"ping6"
    step(s.sendto, request, ("::1", 0))
    got = []
    for _ in range(2):
        data, addr = s.recvfrom(200)
        got.append((data[0], data[4:], addr))
    step(lambda: sorted(got), label="request and reply")
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_CHECKSUM, 2)
    s.close()


@case
def case_link_local_needs_an_interface(sk, step):
    """Linux: connecting to a link-local address needs its interface (a scope id, or a
    socket already tied to one): EINVAL without; an interface that does not exist leaves
    no route (ENETUNREACH), for connect and sendto alike."""
    for kind in (sk.SOCK_STREAM, sk.SOCK_DGRAM):
        s = sk.socket(sk.AF_INET6, kind)
        s.settimeout(1)
        step(s.connect, ("fe80::1", 9))
        step(s.connect, ("fe80::1", 9, 0, 0))
        step(s.connect, ("fe80::1", 9, 0, 99))
        s.close()
    b = udp6(sk)
    step(b.connect, ("fe80::1", 9))
    step(b.sendto, b"x", ("fe80::1", 9, 0, 99))
    b.close()


@case
def case_name_functions_parse_as_cpython(sk, step):
    """getaddrinfo's keywords and zones ("%lo" is interface 1 on both sides), getnameinfo's
    argument checks (numeric hosts only, 20-bit flowinfo, 32-bit scope ids, two-tuples for
    IPv4) and the scope it writes back, listen/shutdown's C int arguments."""
    step(sk.getaddrinfo, host="127.0.0.1", port=None, type=sk.SOCK_STREAM)
    step(sk.getaddrinfo, "localhost", "\uD800")
    step(sk.getaddrinfo, "a..b", 80)
    step(sk.getaddrinfo, "ff02::1de:c0:face:8d%lo", 1234, sk.AF_INET6, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "fe80::1%1", 1234, sk.AF_INET6, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "fe80::1%99", 1234, sk.AF_INET6, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "fe80::1%nosuchif", 1234, sk.AF_INET6, sk.SOCK_DGRAM)
    step(sk.getaddrinfo, "2001:db8::1%lo", 1234, sk.AF_INET6, sk.SOCK_DGRAM)
    numeric = sk.NI_NUMERICHOST | sk.NI_NUMERICSERV
    step(sk.getnameinfo, ("ff02::1de:c0:face:8d", 1234, 0, 1), numeric)
    step(sk.getnameinfo, ("fe80::1", 1234, 0, 99), numeric)
    step(sk.getnameinfo, ("::1", 1234, 0, 1), numeric)
    step(sk.getnameinfo, ("::1", 1234, 0, 2 ** 32 + 1), numeric)
    step(sk.getnameinfo, ("::1", 1234, 0, -1), numeric)
    step(sk.getnameinfo, ("::1", 0, 0xFFFFFFFF), numeric)
    step(sk.getnameinfo, ("::1", 0, -1), numeric)
    step(sk.getnameinfo, ("::1", 2 ** 16 + 5), numeric)
    step(sk.getnameinfo, ("127.0.0.1", 0, 0, 0), numeric)
    step(sk.getnameinfo, ("localhost", 80), numeric)
    step(sk.getnameinfo, ("127.0.0.1", "80"), numeric)
    step(sk.getnameinfo, ("127.0.0.1", 2 ** 31), numeric)
    step(sk.getnameinfo, ("127.0.0.1", 80), "x")
    step(sk.getnameinfo, [1], 0)
    s = sk.socket()
    step(s.listen, 2 ** 31)
    step(s.listen, -2 ** 31 - 1)
    step(s.shutdown, 2 ** 31)
    s.close()
    step(s.listen, 2 ** 31)
    step(s.shutdown, 2 ** 31)
    step(s.shutdown, "x")
    step(s.listen, 1)


def _int(v: int) -> bytes:
    import array

    return array.array("i", [v]).tobytes()


@case
def case_rfc3542_ancillary_received(sk, step):
    """IPV6_RECVPKTINFO / RECVHOPLIMIT / RECVTCLASS: the items, their order, and how an
    ancillary buffer too small for them cuts them (Linux's put_cmsg) with MSG_CTRUNC."""
    a, b = udp6(sk), udp6(sk)
    for opt in (sk.IPV6_RECVHOPLIMIT, sk.IPV6_RECVTCLASS, sk.IPV6_RECVPKTINFO):
        step(a.getsockopt, sk.IPPROTO_IPV6, opt)
        step(a.setsockopt, sk.IPPROTO_IPV6, opt, 7)
        step(a.getsockopt, sk.IPPROTO_IPV6, opt)
    step(a.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_RECVHOPLIMIT, b"\x01")
    for size in (0, 1, 15, 16, 19, 20, 24, 40, 43, 60, 64, 71, 72, 100, sk.CMSG_SPACE(20) + 2 * sk.CMSG_SPACE(4)):
        b.sendto(b"x", a.getsockname())
        step(lambda: a.recvmsg(10, size)[1:3], label=f"recvmsg anc {size}")
    b.sendto(b"y", a.getsockname())
    buf = bytearray(4)
    step(lambda: (a.recvmsg_into([buf], 28)[1:3], bytes(buf)), label="recvmsg_into anc")
    step(a.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_RECVPKTINFO, 0)
    b.sendto(b"z", a.getsockname())
    step(lambda: a.recvmsg(10, 1024)[1:3], label="two items")
    a.close()
    b.close()


@case
def case_rfc3542_ancillary_sent(sk, step):
    """IPV6_HOPLIMIT / IPV6_TCLASS items on sendmsg: the datagram carries them (-1 is the
    default), wrong sizes and values are EINVAL, IPv4-level items are ignored."""
    a, b = udp6(sk), udp6(sk)
    a.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_RECVHOPLIMIT, 1)
    a.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_RECVTCLASS, 1)
    to = a.getsockname()
    for anc in ([(41, sk.IPV6_HOPLIMIT, _int(3))], [(41, sk.IPV6_TCLASS, _int(3)), (41, sk.IPV6_HOPLIMIT, _int(2))],
                [(41, sk.IPV6_HOPLIMIT, _int(3) + b"\0")], [(41, sk.IPV6_HOPLIMIT, _int(256))],
                [(41, sk.IPV6_HOPLIMIT, _int(-1))], [(41, sk.IPV6_TCLASS, _int(-2))], [(0, 2, _int(3))],
                [(41, sk.IPV6_PKTINFO, bytes(19))], [(41, sk.IPV6_PKTINFO, bytes(20))]):
        if step(b.sendmsg, [b"y"], anc, 0, to) is not None:
            step(lambda: a.recvmsg(10, 1024)[1], label="received")
    b.connect(to)
    step(b.sendmsg, [b"c"], [(41, sk.IPV6_HOPLIMIT, _int(9))])
    step(lambda: a.recvmsg(10, 1024)[1], label="connected")
    a.close()
    b.close()


@case
def case_ip_ancillary_on_ipv4(sk, step):
    """IP_PKTINFO (8), IP_RECVTTL, IP_RECVTOS, and IP_TTL / IP_TOS items on sendmsg."""
    c = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    c.settimeout(5)
    d = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    for opt in (8, 12, 13):
        step(c.getsockopt, sk.IPPROTO_IP, opt)
        step(c.setsockopt, sk.IPPROTO_IP, opt, 1)
        step(c.getsockopt, sk.IPPROTO_IP, opt)
    for anc in ([], [(0, 2, _int(7))], [(0, 1, b"\x10")], [(0, 1, _int(0x20))], [(0, 2, _int(0))],
                [(0, 1, b"\x10\0")], [(0, 8, bytes(12))], [(0, 8, bytes(11))], [(41, 52, _int(3))]):
        if step(d.sendmsg, [b"z"], anc, 0, c.getsockname()) is not None:
            step(lambda: c.recvmsg(10, 1024)[1:3], label="received")
    d.sendto(b"w", c.getsockname())
    step(lambda: c.recvmsg(10, sk.CMSG_SPACE(12) + sk.CMSG_LEN(4) - 1)[1:3], label="cut")
    c.close()
    d.close()


@case
def case_raw_sockets_receive_ancillary_data(sk, step):
    """A ping written against the socket API reads the hop limit (IPV6_RECVHOPLIMIT) and, over
    IPv4, IP_PKTINFO / IP_TTL / IP_TOS of its echo and of the reply, as iputils' ping does."""
    import struct

    s = sk.socket(sk.AF_INET6, sk.SOCK_RAW, sk.IPPROTO_ICMPV6)
    s.settimeout(2)
    s.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_RECVHOPLIMIT, 1)
    s.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_RECVTCLASS, 1)
    s.sendto(bytes([128, 0, 0, 0, 0, 7, 0, 1]) + b"ping", ("::1", 0))
    for _ in range(2):
        step(lambda: (lambda m: (m[0][0], m[1], m[2], m[3][0]))(s.recvmsg(100, 100)), label="icmpv6 message")
    s.close()
    r = sk.socket(sk.AF_INET, sk.SOCK_RAW, sk.IPPROTO_ICMP)
    r.settimeout(2)
    for opt in (12, 13, 8):  # IP_RECVTTL, IP_RECVTOS, IP_PKTINFO
        r.setsockopt(sk.IPPROTO_IP, opt, 1)
    msg = bytes([8, 0, 0, 0, 0, 9, 0, 1]) + b"ping"
    c = sum(struct.unpack("!6H", msg))
    c = ~((c & 0xFFFF) + (c >> 16)) & 0xFFFF
    r.sendto(msg[:2] + struct.pack("!H", c) + msg[4:], ("127.0.0.1", 0))
    for _ in range(2):
        step(lambda: (lambda m: (m[0][20], m[1], m[2], m[3]))(r.recvmsg(100, 100)), label="icmp message")
    r.close()


@pytest.mark.parametrize("script", CASES, ids=[c.__name__ for c in CASES])
def test_same_outcome_as_cpython(script):
    compare(script)
