"""ICMPv6 (RFC 4443) and the Neighbor Discovery messages and options (RFC 4861 §4).

    0                   1                   2                   3
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |     Type      |     Code      |          Checksum             |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |      the first 32 bits of the message body ("rest")           |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                         message body                          |

Unlike ICMPv4 the checksum covers the IPv6 pseudo-header (RFC 4443 §2.3), so parse and
build take the addresses.  As in `icmp.py` the first 32 bits after the checksum are one
integer (`rest`): identifier/sequence for echo, the MTU of Packet Too Big, the pointer of
Parameter Problem, the flags of a Neighbor Advertisement.

Neighbor Discovery messages are parsed into small named tuples by `parse_nd`, with their
options (§4.6) gathered into `NdOptions`.  An option of length zero makes the whole
message invalid (§4.6: "Nodes MUST silently discard an ND packet that contains an option
with length zero").
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import transport_checksum
from .errors import BadChecksum, Malformed, Truncated
from .icmp import IcmpHeader

PROTO = 58

# Error messages (type < 128)
DEST_UNREACH = 1
PACKET_TOO_BIG = 2
TIME_EXCEEDED = 3
PARAM_PROBLEM = 4
# Informational messages
ECHO_REQUEST = 128
ECHO_REPLY = 129
MLD_QUERY = 130
MLD_REPORT = 131
MLD_DONE = 132
ROUTER_SOLICIT = 133
ROUTER_ADVERT = 134
NEIGHBOR_SOLICIT = 135
NEIGHBOR_ADVERT = 136
REDIRECT = 137
MLD2_REPORT = 143
ND_TYPES = frozenset({ROUTER_SOLICIT, ROUTER_ADVERT, NEIGHBOR_SOLICIT, NEIGHBOR_ADVERT, REDIRECT})

# Destination unreachable codes (§3.1)
NO_ROUTE = 0
ADMIN_PROHIBITED = 1
BEYOND_SCOPE = 2
ADDR_UNREACH = 3
PORT_UNREACH = 4
# Time exceeded codes (§3.3)
HOP_LIMIT_EXCEEDED = 0
REASSEMBLY_EXCEEDED = 1
# Parameter problem codes (§3.4, RFC 7112)
ERRONEOUS_HEADER = 0
UNRECOGNIZED_NEXT_HEADER = 1
UNRECOGNIZED_OPTION = 2
INCOMPLETE_CHAIN = 3

# ND option types (§4.6, RFC 8106 not included)
OPT_SOURCE_LLADDR = 1
OPT_TARGET_LLADDR = 2
OPT_PREFIX_INFO = 3
OPT_REDIRECTED_HEADER = 4
OPT_MTU = 5

# Flags
NA_ROUTER = 0x80000000
NA_SOLICITED = 0x40000000
NA_OVERRIDE = 0x20000000
RA_MANAGED = 0x80
RA_OTHER = 0x40
PREFIX_ONLINK = 0x80
PREFIX_AUTONOMOUS = 0x40
INFINITY = 0xFFFFFFFF  # a lifetime that never ends

HEADER_LEN = 8
MIN_MTU = 1280  # RFC 8200 §5
ERROR_MAX = MIN_MTU  # §2.4 (c): an error message fits the minimum MTU
_HDR = struct.Struct("!BBHI")
_PREFIX = struct.Struct("!BBBBIII16s")
_RA = struct.Struct("!II")


class Icmp6Header(NamedTuple):
    type: int
    code: int
    rest: int = 0

    ident = IcmpHeader.ident  # echo's identifier and sequence sit where ICMPv4 has them
    seq = IcmpHeader.seq

    @property
    def mtu(self) -> int:
        return self.rest

    @property
    def pointer(self) -> int:
        return self.rest


def parse(buf: memoryview, src: bytes, dst: bytes, verify_checksum: bool = True) -> tuple[Icmp6Header, memoryview]:
    if len(buf) < HEADER_LEN:
        raise Truncated(f"ICMPv6 message of {len(buf)} bytes")
    if verify_checksum and transport_checksum(src, dst, PROTO, buf) != 0:
        raise BadChecksum("ICMPv6 checksum")
    typ, code, _csum, rest = _HDR.unpack_from(buf)
    return Icmp6Header(typ, code, rest), buf[HEADER_LEN:]


def build(typ: int, code: int, rest: int, body, src: bytes, dst: bytes) -> bytes:
    msg = _HDR.pack(typ, code, 0, rest) + bytes(body)
    csum = transport_checksum(src, dst, PROTO, msg)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def echo_rest(ident: int, seq: int) -> int:
    return (ident & 0xFFFF) << 16 | (seq & 0xFFFF)


def is_error(typ: int) -> bool:
    return typ < 128


# -- Neighbor Discovery options ---------------------------------------------------------


class PrefixInfo(NamedTuple):
    prefix: bytes
    prefix_len: int
    onlink: bool = True
    autonomous: bool = True
    valid_lifetime: int = 2592000  # s; RFC 4861 §6.2.1 AdvValidLifetime default (30 days)
    preferred_lifetime: int = 604800  # s; AdvPreferredLifetime default (7 days)


class NdOptions(NamedTuple):
    source_lladdr: bytes | None = None
    target_lladdr: bytes | None = None
    prefixes: tuple = ()
    mtu: int | None = None
    redirected: bytes | None = None
    unknown: tuple = ()  # (type, data) pairs, ignored as §4.6 requires

    def encode(self) -> bytes:
        out = bytearray()
        if self.source_lladdr is not None:
            out += bytes([OPT_SOURCE_LLADDR, 1]) + self.source_lladdr
        if self.target_lladdr is not None:
            out += bytes([OPT_TARGET_LLADDR, 1]) + self.target_lladdr
        for p in self.prefixes:
            flags = (PREFIX_ONLINK if p.onlink else 0) | (PREFIX_AUTONOMOUS if p.autonomous else 0)
            out += _PREFIX.pack(OPT_PREFIX_INFO, 4, p.prefix_len, flags, p.valid_lifetime, p.preferred_lifetime, 0,
                                p.prefix)
        if self.mtu is not None:
            out += bytes([OPT_MTU, 1, 0, 0]) + self.mtu.to_bytes(4, "big")
        if self.redirected is not None:
            data = self.redirected[:MIN_MTU - 40 - 8 - 32 - 8 - 8]  # §4.6.3: fits the minimum MTU
            data += bytes(-len(data) % 8)
            out += bytes([OPT_REDIRECTED_HEADER, 1 + len(data) // 8]) + bytes(6) + data
        for t, data in self.unknown:
            if (len(data) + 2) % 8:
                raise ValueError("option data must pad to 8 octets")
            out += bytes([t, (len(data) + 2) // 8]) + data
        return bytes(out)


def parse_options(buf) -> NdOptions:
    src = tgt = mtu = redirected = None
    prefixes = []
    unknown = []
    i = 0
    n = len(buf)
    while i < n:
        if i + 2 > n:
            raise Truncated("ND option header")
        t, units = buf[i], buf[i + 1]
        if units == 0:
            raise Malformed(f"ND option {t} of length zero")
        end = i + units * 8
        if end > n:
            raise Truncated(f"ND option {t} of {units * 8} bytes in {n - i}")
        data = bytes(buf[i + 2:end])
        if t == OPT_SOURCE_LLADDR:
            src = data[:6]
        elif t == OPT_TARGET_LLADDR:
            tgt = data[:6]
        elif t == OPT_PREFIX_INFO:
            if units != 4:
                raise Malformed(f"prefix information option of {units * 8} bytes")
            plen, flags, valid, preferred, _r, prefix = _PREFIX.unpack(bytes(buf[i:end]))[2:]
            prefixes.append(PrefixInfo(prefix, plen, bool(flags & PREFIX_ONLINK), bool(flags & PREFIX_AUTONOMOUS),
                                       valid, preferred))
        elif t == OPT_MTU:
            if units != 1:
                raise Malformed(f"MTU option of {units * 8} bytes")
            mtu = int.from_bytes(data[2:6], "big")
        elif t == OPT_REDIRECTED_HEADER:
            redirected = data[6:]
        else:
            unknown.append((t, data))
        i = end
    return NdOptions(src, tgt, tuple(prefixes), mtu, redirected, tuple(unknown))


# -- Neighbor Discovery messages (§4.1-4.5) -----------------------------------------------


class RouterSolicit(NamedTuple):
    options: NdOptions = NdOptions()


class RouterAdvert(NamedTuple):
    cur_hop_limit: int = 64
    managed: bool = False
    other: bool = False
    router_lifetime: int = 1800  # s
    reachable_time: int = 0  # ms; 0 means unspecified
    retrans_timer: int = 0  # ms
    options: NdOptions = NdOptions()


class NeighborSolicit(NamedTuple):
    target: bytes
    options: NdOptions = NdOptions()


class NeighborAdvert(NamedTuple):
    target: bytes
    router: bool = False
    solicited: bool = False
    override: bool = True
    options: NdOptions = NdOptions()


class Redirect(NamedTuple):
    target: bytes
    destination: bytes
    options: NdOptions = NdOptions()


_ND_MIN_BODY = {ROUTER_SOLICIT: 0, ROUTER_ADVERT: 8, NEIGHBOR_SOLICIT: 16, NEIGHBOR_ADVERT: 16, REDIRECT: 32}


def parse_nd(hdr: Icmp6Header, body: memoryview):
    """The ND message in an ICMPv6 message of an ND type, validated per RFC 4861 §6.1 and
    §7.1 as far as the message alone allows (the hop limit and addresses are the caller's)."""
    t = hdr.type
    if hdr.code != 0:
        raise Malformed(f"ND message type {t} with code {hdr.code}")
    need = _ND_MIN_BODY[t]
    if len(body) < need:
        raise Truncated(f"ND message type {t} of {len(body) + HEADER_LEN} bytes")
    opts = parse_options(body[need:])
    if t == ROUTER_SOLICIT:
        return RouterSolicit(opts)
    if t == ROUTER_ADVERT:
        reachable, retrans = _RA.unpack_from(body)
        rest = hdr.rest
        return RouterAdvert(rest >> 24, bool(rest >> 16 & RA_MANAGED), bool(rest >> 16 & RA_OTHER), rest & 0xFFFF,
                            reachable, retrans, opts)
    target = bytes(body[:16])
    if target[0] == 0xFF:
        raise Malformed("ND target is a multicast address")
    if t == NEIGHBOR_SOLICIT:
        return NeighborSolicit(target, opts)
    if t == NEIGHBOR_ADVERT:
        r = hdr.rest
        return NeighborAdvert(target, bool(r & NA_ROUTER), bool(r & NA_SOLICITED), bool(r & NA_OVERRIDE), opts)
    return Redirect(target, bytes(body[16:32]), opts)


def build_nd(msg, src: bytes, dst: bytes) -> bytes:
    """The ICMPv6 message carrying ND message `msg`, checksummed for `src` -> `dst`."""
    opts = msg.options.encode()
    if isinstance(msg, RouterSolicit):
        return build(ROUTER_SOLICIT, 0, 0, opts, src, dst)
    if isinstance(msg, RouterAdvert):
        flags = (RA_MANAGED if msg.managed else 0) | (RA_OTHER if msg.other else 0)
        rest = msg.cur_hop_limit << 24 | flags << 16 | msg.router_lifetime
        return build(ROUTER_ADVERT, 0, rest, _RA.pack(msg.reachable_time, msg.retrans_timer) + opts, src, dst)
    if isinstance(msg, NeighborSolicit):
        return build(NEIGHBOR_SOLICIT, 0, 0, msg.target + opts, src, dst)
    if isinstance(msg, NeighborAdvert):
        rest = (NA_ROUTER if msg.router else 0) | (NA_SOLICITED if msg.solicited else 0) \
            | (NA_OVERRIDE if msg.override else 0)
        return build(NEIGHBOR_ADVERT, 0, rest, msg.target + opts, src, dst)
    if isinstance(msg, Redirect):
        return build(REDIRECT, 0, 0, msg.target + msg.destination + opts, src, dst)
    raise TypeError(f"not an ND message: {msg!r}")
