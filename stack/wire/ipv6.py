"""IPv6 header (RFC 8200 §3) and its extension headers (§4).

    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |Version| Traffic Class |           Flow Label                  |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |         Payload Length        |  Next Header  |   Hop Limit   |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                 Source Address (128 bits)                     |
   |              Destination Address (128 bits)                   |

There is no header checksum: integrity rests on the upper layers' pseudo-header sums.
`parse` returns the payload trimmed to Payload Length (dropping Ethernet padding); the
extension headers stay in the payload, to be walked one at a time with
`parse_extension`, because what a node does with each depends on where it sits in the
chain (§4.1), which is the IPv6 layer's business, not the codec's.

Options in the hop-by-hop and destination options headers are TLVs (§4.2).  The two
high bits of an unknown option's type say what to do with the packet; `option_action`
names them.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .errors import Malformed, Truncated

HEADER_LEN = 40

# Next Header values (IANA "Assigned Internet Protocol Numbers")
NH_HOPOPTS = 0
NH_TCP = 6
NH_UDP = 17
NH_UDPLITE = 136
NH_ROUTING = 43
NH_FRAGMENT = 44
NH_ESP = 50
NH_AH = 51
NH_ICMPV6 = 58
NH_NONE = 59
NH_DSTOPTS = 60
EXTENSION_HEADERS = frozenset({NH_HOPOPTS, NH_ROUTING, NH_FRAGMENT, NH_DSTOPTS})

# Option types (RFC 8200 §4.2, RFC 2711, RFC 2675)
OPT_PAD1 = 0
OPT_PADN = 1
OPT_JUMBO = 0xC2
OPT_ROUTER_ALERT = 0x05
ROUTER_ALERT_MLD = 0  # RFC 2711: the value for MLD messages

# §4.2: the action for an unrecognised option, from its two high-order bits
SKIP, DISCARD, DISCARD_ICMP, DISCARD_ICMP_UNLESS_MULTICAST = 0, 1, 2, 3

_HDR = struct.Struct("!IHBB16s16s")
_FRAG = struct.Struct("!BBHI")


class IPv6Header(NamedTuple):
    src: bytes
    dst: bytes
    next_header: int
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0
    payload_length: int = 0  # as received; build derives it


class Extension(NamedTuple):
    """One extension header: its type, the next header it names, its whole length in
    bytes, and its body (everything after the first two octets)."""

    type: int
    next_header: int
    length: int
    body: memoryview


class FragmentHeader(NamedTuple):
    """RFC 8200 §4.5; `offset` is in bytes (the wire counts 8-octet units)."""

    next_header: int
    offset: int
    more: bool
    ident: int


class Option(NamedTuple):
    type: int
    data: bytes
    offset: int  # of the option's type octet, from the start of the extension header


def parse(buf: memoryview) -> tuple[IPv6Header, memoryview]:
    """Header and payload (extension headers included) of an IPv6 packet."""
    if len(buf) < HEADER_LEN:
        raise Truncated(f"IPv6 packet of {len(buf)} bytes")
    vtf, plen, nh, hlim, src, dst = _HDR.unpack_from(buf)
    if vtf >> 28 != 6:
        raise Malformed(f"IP version {vtf >> 28} in an IPv6 packet")
    if plen == 0 and nh == NH_HOPOPTS:
        raise Malformed("jumbogram (RFC 2675) not supported on this link")
    if len(buf) < HEADER_LEN + plen:
        raise Truncated(f"IPv6 payload length {plen} in {len(buf) - HEADER_LEN} bytes")
    hdr = IPv6Header(src, dst, nh, hlim, (vtf >> 20) & 0xFF, vtf & 0xFFFFF, plen)
    return hdr, buf[HEADER_LEN:HEADER_LEN + plen]


def build_header(src: bytes, dst: bytes, next_header: int, payload_len: int, hop_limit: int = 64,
                 traffic_class: int = 0, flow_label: int = 0) -> bytes:
    if payload_len > 0xFFFF:
        raise ValueError(f"IPv6 payload of {payload_len} bytes exceeds 65535 (no jumbograms)")
    vtf = 0x60000000 | (traffic_class & 0xFF) << 20 | (flow_label & 0xFFFFF)
    return _HDR.pack(vtf, payload_len, next_header, hop_limit, src, dst)


def build(src: bytes, dst: bytes, next_header: int, payload, hop_limit: int = 64, traffic_class: int = 0,
          flow_label: int = 0) -> bytes:
    """A whole packet: the fixed header (Payload Length derived) followed by `payload`."""
    return build_header(src, dst, next_header, len(payload), hop_limit, traffic_class, flow_label) + payload


# -- extension headers -------------------------------------------------------------


def parse_extension(nh: int, buf: memoryview) -> Extension:
    """The extension header of type `nh` at the start of `buf` (§4.3-4.6)."""
    if len(buf) < 8:
        raise Truncated(f"extension header {nh} in {len(buf)} bytes")
    nxt = buf[0]
    length = 8 if nh == NH_FRAGMENT else (buf[1] + 1) * 8
    if len(buf) < length:
        raise Truncated(f"extension header {nh} of {length} bytes in {len(buf)}")
    return Extension(nh, nxt, length, buf[2:length])


def parse_fragment(ext: Extension) -> FragmentHeader:
    off_m = (ext.body[0] << 8) | ext.body[1]
    ident = int.from_bytes(ext.body[2:6], "big")
    return FragmentHeader(ext.next_header, off_m & 0xFFF8, bool(off_m & 1), ident)


def build_fragment(next_header: int, offset: int, more: bool, ident: int) -> bytes:
    if offset & 7:
        raise ValueError("fragment offset must be a multiple of 8 bytes")
    return _FRAG.pack(next_header, 0, offset | int(more), ident)


def parse_options(ext: Extension) -> list[Option]:
    """The TLV options of a hop-by-hop or destination options header, padding skipped."""
    body = ext.body
    out = []
    i = 0
    n = len(body)
    while i < n:
        t = body[i]
        if t == OPT_PAD1:
            i += 1
            continue
        if i + 2 > n:
            raise Malformed("option type without a length")
        length = body[i + 1]
        if i + 2 + length > n:
            raise Malformed(f"option {t:#04x} of {length} bytes overruns its header")
        if t != OPT_PADN:
            out.append(Option(t, bytes(body[i + 2:i + 2 + length]), i + 2))
        i += 2 + length
    return out


def option_action(option_type: int) -> int:
    """What §4.2 says to do with a packet carrying this option if it is not recognised."""
    return option_type >> 6


def build_options(nh_type: int, next_header: int, options: list[tuple[int, bytes]]) -> bytes:
    """A hop-by-hop or destination options header carrying `options`, padded to 8 octets
    with Pad1/PadN as §4.2 requires."""
    body = bytearray()
    for t, data in options:
        body += bytes([t, len(data)]) + data
    total = 2 + len(body)
    pad = -total % 8
    if pad == 1:
        body += b"\x00"
    elif pad:
        body += bytes([OPT_PADN, pad - 2]) + bytes(pad - 2)
    total += pad
    return bytes([next_header, total // 8 - 1]) + bytes(body)


def router_alert(next_header: int, value: int = ROUTER_ALERT_MLD) -> bytes:
    """A hop-by-hop header with a Router Alert option (RFC 2711), as MLD messages carry."""
    return build_options(NH_HOPOPTS, next_header, [(OPT_ROUTER_ALERT, value.to_bytes(2, "big"))])


def build_routing(next_header: int, routing_type: int, segments_left: int, data: bytes = b"\0\0\0\0") -> bytes:
    """A routing header (§4.4); `data` is the type-specific part after Segments Left."""
    total = 4 + len(data)
    if total % 8:
        raise ValueError("routing header length must be a multiple of 8 octets")
    return bytes([next_header, total // 8 - 1, routing_type, segments_left]) + data
