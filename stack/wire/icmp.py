"""ICMP for IPv4 (RFC 792, RFC 1191 for the next-hop MTU).

    0                   1                   2                   3
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |     Type      |     Code      |          Checksum             |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |            rest of header (identifier/sequence, MTU, ...)     |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |   data: echo payload, or the invoking IP header + 8 octets    |

The 32-bit "rest of header" is kept as one integer; `ident`, `seq` and `mtu` read it.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import internet_checksum
from .errors import BadChecksum, Truncated

ECHO_REPLY = 0
DEST_UNREACH = 3
REDIRECT = 5
ECHO_REQUEST = 8
TIME_EXCEEDED = 11
PARAM_PROBLEM = 12

# Destination unreachable codes
NET_UNREACH = 0
HOST_UNREACH = 1
PROTO_UNREACH = 2
PORT_UNREACH = 3
FRAG_NEEDED = 4
ADMIN_PROHIBITED = 13

# Time exceeded codes
TTL_EXCEEDED = 0
REASSEMBLY_EXCEEDED = 1

ERROR_TYPES = frozenset({DEST_UNREACH, REDIRECT, TIME_EXCEEDED, PARAM_PROBLEM})
HEADER_LEN = 8
_HDR = struct.Struct("!BBHI")


class IcmpHeader(NamedTuple):
    type: int
    code: int
    rest: int = 0

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        """Next-hop MTU of a fragmentation-needed message (RFC 1191 §4)."""
        return self.rest & 0xFFFF

    @property
    def pointer(self) -> int:
        """Octet pointer of a parameter problem message."""
        return self.rest >> 24


def parse(buf: memoryview, verify_checksum: bool = True) -> tuple[IcmpHeader, memoryview]:
    if len(buf) < HEADER_LEN:
        raise Truncated(f"ICMP message of {len(buf)} bytes")
    if verify_checksum and internet_checksum(buf) != 0:
        raise BadChecksum("ICMP checksum")
    typ, code, _csum, rest = _HDR.unpack_from(buf)
    return IcmpHeader(typ, code, rest), buf[HEADER_LEN:]


def build(typ: int, code: int, rest: int, payload=b"") -> bytes:
    msg = _HDR.pack(typ, code, 0, rest) + payload
    csum = internet_checksum(msg)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def echo_rest(ident: int, seq: int) -> int:
    return ((ident & 0xFFFF) << 16) | (seq & 0xFFFF)
