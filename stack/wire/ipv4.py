"""IPv4 header (RFC 791 §3.1), options kept as raw bytes.

    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |Version|  IHL  |Type of Service|          Total Length         |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |         Identification        |Flags|      Fragment Offset    |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |  Time to Live |    Protocol   |         Header Checksum       |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                       Source Address                          |
   |                    Destination Address                        |
   |                    Options                    |    Padding    |

`frag_offset` is held in bytes (the wire field counts 8-octet units), so fragmentation
code can work in one unit.  The payload returned by `parse` is trimmed to Total Length,
which drops Ethernet padding.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import header_checksum
from .errors import BadChecksum, Malformed, Truncated

PROTO_ICMP = 1
PROTO_IGMP = 2
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

HEADER_LEN = 20
MAX_PACKET = 65535
FLAG_DF = 0x4000
FLAG_MF = 0x2000
_HDR = struct.Struct("!BBHHHBBH4s4s")


_new = tuple.__new__


class IPv4Header(NamedTuple):
    src: bytes
    dst: bytes
    proto: int
    ttl: int = 64
    tos: int = 0
    ident: int = 0
    df: bool = False
    mf: bool = False
    frag_offset: int = 0  # bytes
    options: bytes = b""
    total_length: int = 0  # as received; build derives it

    @property
    def header_len(self) -> int:
        return HEADER_LEN + len(self.options)

    @property
    def is_fragment(self) -> bool:
        return self.mf or self.frag_offset != 0


def parse(buf: memoryview, verify_checksum: bool = True) -> tuple[IPv4Header, memoryview]:
    """Header and payload of an IPv4 packet; raises Truncated, BadChecksum or Malformed."""
    if len(buf) < HEADER_LEN:
        raise Truncated(f"IPv4 packet of {len(buf)} bytes")
    vihl, tos, total_length, ident, frag, ttl, proto, _csum, src, dst = _HDR.unpack_from(buf)
    ihl = (vihl & 0x0F) * 4
    if ihl < HEADER_LEN:
        raise Malformed(f"IHL of {ihl} bytes")
    if len(buf) < ihl:
        raise Truncated(f"IPv4 header of {ihl} bytes in {len(buf)}")
    if total_length < ihl:
        raise Malformed(f"total length {total_length} below header length {ihl}")
    if len(buf) < total_length:
        raise Truncated(f"IPv4 total length {total_length} in {len(buf)} bytes")
    if verify_checksum and header_checksum(buf[:ihl]) != 0:
        raise BadChecksum("IPv4 header checksum")
    if vihl >> 4 != 4:
        raise Malformed(f"IP version {vihl >> 4} in an IPv4 packet")
    if frag & 0x8000:
        raise Malformed("reserved flag bit set")
    options = bytes(buf[HEADER_LEN:ihl]) if ihl > HEADER_LEN else b""
    # tuple.__new__ skips the NamedTuple's Python-level __new__: this runs per packet
    hdr = _new(IPv4Header, (src, dst, proto, ttl, tos, ident, frag & FLAG_DF != 0, frag & FLAG_MF != 0,
                            (frag & 0x1FFF) << 3, options, total_length))
    return hdr, buf[ihl:total_length]


def build_header(hdr: IPv4Header, payload_len: int) -> bytes:
    """The header bytes for `hdr` carrying `payload_len` bytes, checksum computed."""
    options = hdr.options
    if len(options) & 3:
        options = options + bytes(4 - (len(options) & 3))  # pad with End of Option List
    ihl = HEADER_LEN + len(options)
    total = ihl + payload_len
    if total > MAX_PACKET:
        raise ValueError(f"IPv4 packet of {total} bytes exceeds 65535")
    if hdr.frag_offset & 7:
        raise ValueError("fragment offset must be a multiple of 8 bytes")
    frag = (hdr.frag_offset >> 3) | (FLAG_DF if hdr.df else 0) | (FLAG_MF if hdr.mf else 0)
    vihl = 0x40 | (ihl >> 2)
    # RFC 1071: sum the header's 16-bit words as numbers (checksum field zero), no re-slicing
    words = (vihl << 8 | hdr.tos) + total + hdr.ident + frag + (hdr.ttl << 8 | hdr.proto) \
        + int.from_bytes(hdr.src + hdr.dst, "big")
    if options:
        words += int.from_bytes(options, "big")
    head = _HDR.pack(vihl, hdr.tos, total, hdr.ident, frag, hdr.ttl, hdr.proto, -words % 0xFFFF, hdr.src, hdr.dst)
    return head + options if options else head


def build_plain(src: bytes, dst: bytes, proto: int, ttl: int, tos: int, ident: int, df: bool, payload) -> bytes:
    """The common case of `build` without options or fragmentation, for the send path."""
    total = HEADER_LEN + len(payload)
    if total > MAX_PACKET:
        raise ValueError(f"IPv4 packet of {total} bytes exceeds 65535")
    frag = FLAG_DF if df else 0
    words = (0x4500 | tos) + total + ident + frag + (ttl << 8 | proto) + int.from_bytes(src + dst, "big")
    return _HDR.pack(0x45, tos, total, ident, frag, ttl, proto, -words % 0xFFFF, src, dst) + payload


def build(hdr: IPv4Header, payload) -> bytes:
    """A whole packet: header (lengths and checksum derived) followed by `payload`."""
    return build_header(hdr, len(payload)) + payload
