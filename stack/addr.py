"""Address value helpers shared by every layer, family-agnostic.

Inside the stack an IP address is plain `bytes`: 4 bytes for IPv4, 16 for IPv6, so the
family is its length, header fields slice straight into it, and it is a cheap dict key.
A MAC address is 6 `bytes`.  Text forms exist only at the edges (configuration, traces,
the socket API), and these helpers convert.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

IPV4_ANY = bytes(4)
IPV4_BROADCAST = b"\xff\xff\xff\xff"
IPV6_ANY = bytes(16)
MAC_BROADCAST = b"\xff" * 6
MAC_ZERO = bytes(6)


def ip(text: str) -> bytes:
    """Parse '192.0.2.1' or '2001:db8::1' (a zone '%eth0' is ignored) into 4 or 16 bytes."""
    text = text.split("%", 1)[0]
    return ipaddress.ip_address(text).packed


def ip_str(addr: bytes) -> str:
    """Text form of a 4- or 16-byte address (RFC 5952 compressed form for IPv6)."""
    if len(addr) == 4:
        return "%d.%d.%d.%d" % (addr[0], addr[1], addr[2], addr[3])
    addr = bytes(addr)
    if addr[:12] == bytes(10) + b"\xff\xff":  # glibc's inet_ntop writes the embedded IPv4 dotted
        return "::ffff:%d.%d.%d.%d" % tuple(addr[12:])
    if addr[:12] == bytes(12) and addr[12:14] != b"\0\0":  # IPv4-compatible (deprecated), likewise
        return "::%d.%d.%d.%d" % tuple(addr[12:])
    return ipaddress.IPv6Address(addr).compressed


def mac(text: str) -> bytes:
    """Parse '02:00:00:00:00:01' (or with '-') into 6 bytes."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(p, 16) for p in parts)


def mac_str(addr: bytes) -> str:
    return ":".join("%02x" % b for b in addr)


def mask(prefix_len: int, width: int) -> int:
    """The netmask of `prefix_len` bits in a `width`-bit address, as an integer."""
    return ((1 << prefix_len) - 1) << (width - prefix_len) if prefix_len else 0


class IfAddr(NamedTuple):
    """An address assigned to an interface with its prefix: '192.0.2.1/24'."""

    addr: bytes
    prefix_len: int

    @classmethod
    def parse(cls, text: str) -> "IfAddr":
        iface = ipaddress.ip_interface(text)
        return cls(iface.ip.packed, iface.network.prefixlen)

    @property
    def width(self) -> int:
        return len(self.addr) * 8

    @property
    def network(self) -> bytes:
        n = int.from_bytes(self.addr, "big") & mask(self.prefix_len, self.width)
        return n.to_bytes(len(self.addr), "big")

    @property
    def broadcast(self) -> bytes:
        """The directed broadcast address of the prefix (IPv4 only)."""
        host_bits = (1 << (self.width - self.prefix_len)) - 1
        n = int.from_bytes(self.addr, "big") | host_bits
        return n.to_bytes(len(self.addr), "big")

    def contains(self, other: bytes) -> bool:
        if len(other) != len(self.addr):
            return False
        m = mask(self.prefix_len, self.width)
        return (int.from_bytes(other, "big") & m) == (int.from_bytes(self.addr, "big") & m)

    def __str__(self) -> str:
        return f"{ip_str(self.addr)}/{self.prefix_len}"


def is_multicast(addr: bytes) -> bool:
    if len(addr) == 4:
        return 224 <= addr[0] <= 239
    return addr[0] == 0xFF


def is_loopback(addr: bytes) -> bool:
    if len(addr) == 4:
        return addr[0] == 127
    return addr == b"\0" * 15 + b"\x01"


def is_unspecified(addr: bytes) -> bool:
    return not any(addr)


# -- IPv6 address helpers (RFC 4291) ---------------------------------------------------

IPV6_LOOPBACK = bytes(15) + b"\x01"
ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
ALL_ROUTERS = bytes.fromhex("ff020000000000000000000000000002")
SOLICITED_NODE_PREFIX = bytes.fromhex("ff0200000000000000000001ff")

# scopes (RFC 4291 §2.7 and RFC 6724 §3.1), used for source address selection
SCOPE_INTERFACE, SCOPE_LINK, SCOPE_SITE, SCOPE_GLOBAL = 0x1, 0x2, 0x5, 0xE


def solicited_node(addr: bytes) -> bytes:
    """RFC 4291 §2.7.1: ff02::1:ff00:0/104 followed by the address's low 24 bits."""
    return SOLICITED_NODE_PREFIX + addr[13:16]


def interface_id(mac_addr: bytes) -> bytes:
    """The modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291 Appendix A):
    the MAC split by ff:fe with the universal/local bit inverted."""
    return bytes([mac_addr[0] ^ 0x02]) + mac_addr[1:3] + b"\xff\xfe" + mac_addr[3:6]


def link_local(mac_addr: bytes) -> bytes:
    """fe80::/64 with the modified EUI-64 interface identifier of `mac_addr`."""
    return b"\xfe\x80" + bytes(6) + interface_id(mac_addr)


def is_link_local(addr: bytes) -> bool:
    """fe80::/10 unicast, or a link-local-scope multicast group (ff02::/16)."""
    if len(addr) != 16:
        return len(addr) == 4 and addr[0] == 169 and addr[1] == 254
    return (addr[0] == 0xFE and addr[1] & 0xC0 == 0x80) or (addr[0] == 0xFF and addr[1] & 0x0F == SCOPE_LINK)


def scope(addr: bytes) -> int:
    """The scope of an IPv6 address (RFC 6724 §3.1); IPv4-mapped addresses count as global."""
    if addr[0] == 0xFF:
        return addr[1] & 0x0F
    if addr == IPV6_LOOPBACK or (addr[0] == 0xFE and addr[1] & 0xC0 == 0x80):
        return SCOPE_LINK
    return SCOPE_GLOBAL


def ipv6_mcast_mac(group: bytes) -> bytes:
    """RFC 2464 §7: 33:33 followed by the low 32 bits of the IPv6 group."""
    return b"\x33\x33" + group[12:16]


def ipv4_mcast_mac(group: bytes) -> bytes:
    """RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the IPv4 group (so 32 groups
    share each MAC, and the IP layer must still check the destination address)."""
    return b"\x01\x00\x5e" + bytes([group[1] & 0x7F, group[2], group[3]])


def multicast_mac(group: bytes) -> bytes:
    """The Ethernet address a multicast group maps to, either family (RFC 1112 §6.4 for
    IPv4, RFC 2464 §7 for IPv6)."""
    return ipv4_mcast_mac(group) if len(group) == 4 else ipv6_mcast_mac(group)


def is_link_scope_multicast(group: bytes) -> bool:
    """A group that never leaves the link and that every node on it may need: IPv4
    224.0.0.0/24 (the Local Network Control Block, RFC 5771 §4; RFC 4541 §2.1.2 floods it)
    and IPv6 multicast of scope link or narrower (ff00::/16, ff01::/16, ff02::/16;
    RFC 4291 §2.7, RFC 4541 §3)."""
    if len(group) == 4:
        return group[0] == 224 and group[1] == 0 and group[2] == 0
    return group[0] == 0xFF and group[1] & 0x0F <= SCOPE_LINK


def v4_mapped(addr4: bytes) -> bytes:
    """::ffff:a.b.c.d (RFC 4291 §2.5.5.2)."""
    return bytes(10) + b"\xff\xff" + addr4


def is_v4_mapped(addr: bytes) -> bool:
    return len(addr) == 16 and addr[:12] == bytes(10) + b"\xff\xff"
