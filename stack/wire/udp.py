"""UDP header (RFC 768), checksum over the pseudo-header of either IP family.

    0      7 8     15 16    23 24    31
   +--------+--------+--------+--------+
   |   Source Port   | Destination Port|
   +--------+--------+--------+--------+
   |     Length      |    Checksum     |
   +--------+--------+--------+--------+

A zero checksum means "none" over IPv4 and is invalid over IPv6 (RFC 8200 §8.1); a
computed zero is sent as 0xFFFF.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import transport_checksum
from .errors import BadChecksum, Malformed, Truncated

PROTO = 17
HEADER_LEN = 8
_HDR = struct.Struct("!HHHH")


_new = tuple.__new__


class UdpHeader(NamedTuple):
    sport: int
    dport: int
    length: int = 0
    checksum: int = 0


def parse(buf: memoryview, src: bytes, dst: bytes, verify_checksum: bool = True) -> tuple[UdpHeader, memoryview]:
    """Header and payload; the checksum is verified against the src/dst pseudo-header."""
    if len(buf) < HEADER_LEN:
        raise Truncated(f"UDP datagram of {len(buf)} bytes")
    sport, dport, length, csum = _HDR.unpack_from(buf)
    if length < HEADER_LEN:
        raise Malformed(f"UDP length {length}")
    if length > len(buf):
        raise Truncated(f"UDP length {length} in {len(buf)} bytes")
    if csum == 0:
        if len(src) == 16:
            raise Malformed("zero UDP checksum over IPv6")
    elif verify_checksum and transport_checksum(src, dst, PROTO, buf[:length]) != 0:
        raise BadChecksum("UDP checksum")
    return _new(UdpHeader, (sport, dport, length, csum)), buf[HEADER_LEN:length]  # without NamedTuple's __new__


def build(sport: int, dport: int, payload, src: bytes, dst: bytes) -> bytes:
    """Header + payload with the checksum computed arithmetically: the one's-complement sum
    is additive over 16-bit-aligned pieces, so the header's words are summed as numbers and
    the frame is assembled once."""
    n = len(payload)
    length = HEADER_LEN + n
    if length > 0xFFFF:
        raise ValueError(f"UDP datagram of {length} bytes exceeds 65535")
    body = int.from_bytes(payload, "big")
    if n & 1:
        body <<= 8
    total = int.from_bytes(src + dst, "big") + PROTO + length + sport + dport + length + body
    csum = -total % 0xFFFF or 0xFFFF
    return _HDR.pack(sport, dport, length, csum) + payload
