"""ARP for IPv4 over Ethernet (RFC 826).

    +-------------------------------+-------------------------------+
    |  hardware type (1 = Ethernet) |   protocol type (0x0800)      |
    +---------------+---------------+-------------------------------+
    |  hlen (6)     |  plen (4)     |   operation (1 req, 2 reply)  |
    +---------------+---------------+-------------------------------+
    |  sender hardware address (sha, 6) | sender protocol address (spa, 4)
    |  target hardware address (tha, 6) | target protocol address (tpa, 4)

Only the Ethernet/IPv4 combination is meaningful to this stack; others are `Malformed`.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .errors import Malformed, Truncated

REQUEST = 1
REPLY = 2
HTYPE_ETHERNET = 1
PTYPE_IPV4 = 0x0800
LENGTH = 28
_ARP = struct.Struct("!HHBBH6s4s6s4s")


class ArpPacket(NamedTuple):
    op: int
    sha: bytes
    spa: bytes
    tha: bytes
    tpa: bytes


def parse(buf: memoryview) -> ArpPacket:
    if len(buf) < LENGTH:
        raise Truncated(f"ARP packet of {len(buf)} bytes")
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(buf)
    if htype != HTYPE_ETHERNET or ptype != PTYPE_IPV4 or hlen != 6 or plen != 4:
        raise Malformed(f"ARP for htype {htype} ptype {ptype:#06x} hlen {hlen} plen {plen}")
    if op not in (REQUEST, REPLY):
        raise Malformed(f"ARP operation {op}")
    return ArpPacket(op, sha, spa, tha, tpa)


def build(op: int, sha: bytes, spa: bytes, tha: bytes, tpa: bytes) -> bytes:
    return _ARP.pack(HTYPE_ETHERNET, PTYPE_IPV4, 6, 4, op, sha, spa, tha, tpa)
