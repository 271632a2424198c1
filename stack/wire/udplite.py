"""UDP-Lite header (RFC 3828): UDP's, with Checksum Coverage where UDP has Length.

    0      7 8     15 16    23 24    31
   +--------+--------+--------+--------+
   |   Source Port   | Destination Port|
   +--------+--------+--------+--------+
   | Checksum Coverage|    Checksum    |
   +--------+--------+--------+--------+

The checksum covers the pseudo-header (whose length is the whole datagram's, as IP gives
it, RFC 3828 §3.2) and the first Checksum Coverage octets of the datagram; 0 means all of
it.  Coverage 1-7 (less than the header) or beyond the datagram is illegal and the
datagram is discarded (§3.1); so is a zero checksum, since the checksum is mandatory.
Linux sends the datagram's length as the coverage when nothing smaller was asked for.
"""

from __future__ import annotations

import struct

from .errors import BadChecksum, Malformed, Truncated
from .udp import HEADER_LEN, UdpHeader

PROTO = 136
_HDR = struct.Struct("!HHHH")
_from_bytes = int.from_bytes
_new = tuple.__new__


def _sum(src: bytes, dst: bytes, total_len: int, covered) -> int:
    """The unfolded one's-complement sum of the pseudo-header and the covered octets."""
    body = _from_bytes(covered, "big")
    if len(covered) & 1:
        body <<= 8
    return _from_bytes(src + dst, "big") + PROTO + total_len + body


def parse(buf: memoryview, src: bytes, dst: bytes, verify_checksum: bool = True):
    """(UdpHeader whose `length` is the Checksum Coverage as sent, payload, coverage in
    octets).  The payload is everything IP delivered after the header."""
    n = len(buf)
    if n < HEADER_LEN:
        raise Truncated(f"UDP-Lite datagram of {n} bytes")
    sport, dport, cscov, csum = _HDR.unpack_from(buf)
    covered = n if cscov == 0 else cscov
    if cscov and (cscov < HEADER_LEN or cscov > n):
        raise Malformed(f"UDP-Lite checksum coverage {cscov} of a {n}-byte datagram")
    if csum == 0:
        raise Malformed("zero UDP-Lite checksum (the checksum is mandatory)")
    if verify_checksum and _sum(src, dst, n, buf[:covered]) % 0xFFFF != 0:
        raise BadChecksum("UDP-Lite checksum")
    return _new(UdpHeader, (sport, dport, cscov, csum)), buf[HEADER_LEN:], covered


def build(sport: int, dport: int, payload, src: bytes, dst: bytes, coverage: int = 0) -> bytes:
    """Header + payload.  `coverage` is the socket's UDPLITE_SEND_CSCOV (0: all); as
    Linux's udplite_csum, a coverage not smaller than the datagram is sent as its length."""
    total = HEADER_LEN + len(payload)
    if total > 0xFFFF:
        raise ValueError(f"UDP-Lite datagram of {total} bytes exceeds 65535")
    cscov = coverage if 0 < coverage < total else total
    head = _HDR.pack(sport, dport, cscov, 0)
    s = _sum(src, dst, total, head + bytes(payload[:cscov - HEADER_LEN]))
    csum = -s % 0xFFFF or 0xFFFF
    return _HDR.pack(sport, dport, cscov, csum) + bytes(payload)
