"""Multicast socket options: the same scripts against CPython's socket (Linux) and socketapi.

Joins use the loopback interface (index 1 on both sides, address 127.0.0.1) and
administratively scoped groups (239.0.0.0/8, ff05::/16), so nothing leaves the machine.
"""

from __future__ import annotations

import struct

import pytest
from differential import compare

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def mreq(sk, group, iface="127.0.0.1"):
    return sk.inet_aton(group) + sk.inet_aton(iface)


def mreq_source(sk, group, source, iface="127.0.0.1"):
    return sk.inet_aton(group) + sk.inet_aton(iface) + sk.inet_aton(source)


@case
def case_join_and_leave_errors(sk, step):
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "239.1.2.3"))
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "239.1.2.3"))   # EADDRINUSE
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "239.1.2.3")[:6])  # EINVAL: length
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "192.0.2.1"))   # EINVAL: not a group
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, 5)                       # EINVAL: an int
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP,
         sk.inet_aton("239.1.2.4") + bytes(4) + struct.pack("@i", 1))              # ip_mreqn by index
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP,
         sk.inet_aton("239.1.2.6") + bytes(4) + struct.pack("@i", 99))             # ENODEV
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_DROP_MEMBERSHIP, mreq(sk, "239.1.2.3"))
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_DROP_MEMBERSHIP, mreq(sk, "239.1.2.3"))  # EADDRNOTAVAIL
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_DROP_MEMBERSHIP, mreq(sk, "239.9.9.9"))
    s.close()


@case
def case_source_membership(sk, step):
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    add, drop = 39, 40  # IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP (Linux)
    step(s.setsockopt, sk.IPPROTO_IP, add, mreq_source(sk, "239.1.2.5", "127.0.0.1"))
    step(s.setsockopt, sk.IPPROTO_IP, add, mreq_source(sk, "239.1.2.5", "127.0.0.1"))   # EADDRNOTAVAIL
    step(s.setsockopt, sk.IPPROTO_IP, add, mreq_source(sk, "239.1.2.5", "127.0.0.2"))
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "239.1.2.5"))      # EADDRINUSE
    step(s.setsockopt, sk.IPPROTO_IP, drop, mreq_source(sk, "239.1.2.5", "127.0.0.3"))  # EADDRNOTAVAIL
    step(s.setsockopt, sk.IPPROTO_IP, drop, mreq_source(sk, "239.1.2.5", "127.0.0.1"))
    step(s.setsockopt, sk.IPPROTO_IP, drop, mreq_source(sk, "239.1.2.5", "127.0.0.2"))
    step(s.setsockopt, sk.IPPROTO_IP, drop, mreq_source(sk, "239.1.2.5", "127.0.0.2"))  # gone now
    step(s.setsockopt, sk.IPPROTO_IP, add, mreq_source(sk, "239.1.2.5", "127.0.0.1")[:8])  # EINVAL
    s.close()


@case
def case_multicast_if_ttl_loop(sk, step):
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, 4)
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, sk.inet_aton("127.0.0.1"))
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, 4)
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, sk.inet_aton("198.51.100.99"))  # EADDRNOTAVAIL
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, bytes(4) * 2 + struct.pack("@i", 99))  # ENODEV
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, 0)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_IF, 4)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_TTL)
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_TTL, 300)
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_TTL, 7)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_TTL)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_LOOP)
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_LOOP, 0)
    step(s.getsockopt, sk.IPPROTO_IP, sk.IP_MULTICAST_LOOP)
    s.close()


@case
def case_tcp_sockets_join_nothing(sk, step):
    t = sk.socket()
    step(t.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "239.1.2.3"))  # EPROTO
    t.close()


@case
def case_ipv6_join_and_leave(sk, step):
    s = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    m = sk.inet_pton(sk.AF_INET6, "ff05::1:3") + struct.pack("@I", 1)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, m)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, m)          # EADDRINUSE
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_LEAVE_GROUP, m)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_LEAVE_GROUP, m)         # EADDRNOTAVAIL
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, m[:16])     # EINVAL
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP,
         sk.inet_pton(sk.AF_INET6, "::1") + struct.pack("@I", 1))      # EINVAL: not a group
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP,
         sk.inet_pton(sk.AF_INET6, "ff05::1:4") + struct.pack("@I", 99))  # ENODEV
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_IF)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_IF, 1)
    step(s.getsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_IF)
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_IF, 99)       # ENODEV
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_HOPS, 300)    # EINVAL
    step(s.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_MULTICAST_LOOP, 2)      # EINVAL
    step(s.setsockopt, sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, "239.1.2.7"))  # an IPv6 socket may join IPv4
    s.close()
    t = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(t.setsockopt, sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, m)          # ENOPROTOOPT
    t.close()


@case
def case_several_sockets_on_one_port_hear_the_group(sk, step):
    """SO_REUSEADDR lets several sockets bind the group's port; each joined, each hears a
    datagram sent to the group, looped back (IP_MULTICAST_LOOP) through loopback."""
    group, port = "239.7.7.7", 47007
    socks = []
    for _ in range(2):
        r = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
        r.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        r.bind(("", port))
        r.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq(sk, group))
        r.settimeout(2)
        socks.append(r)
    tx = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    tx.setsockopt(sk.IPPROTO_IP, sk.IP_MULTICAST_IF, sk.inet_aton("127.0.0.1"))
    step(tx.sendto, b"to the group", (group, port))
    for r in socks:
        data, addr = r.recvfrom(100)
        step(lambda: (data, addr[0]), label="recvfrom")
    step(socks[0].setsockopt, sk.IPPROTO_IP, sk.IP_DROP_MEMBERSHIP, mreq(sk, group))
    step(tx.sendto, b"again", (group, port))
    step(socks[1].recv, 100)
    step(socks[0].recv, 100)  # IP_MULTICAST_ALL: the host is still a member, so the bound socket still hears it
    for x in socks + [tx]:
        x.close()


@pytest.mark.parametrize("script", CASES, ids=[c.__name__ for c in CASES])
def test_same_outcome_as_cpython(script):
    compare(script)
