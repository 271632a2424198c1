"""IGMP messages: versions 1 and 2 (RFC 1112 Appendix I, RFC 2236 §2) and 3 (RFC 3376 §4).

Every IGMP message starts with Type and a checksum over the whole message (the whole IP
payload, not only the fields this version knows: RFC 2236 §2.3, RFC 3376 §4.1.2).

IGMPv1/v2 (8 octets; a Membership Query, a v1 or v2 Report, a Leave Group):

    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |      Type     | Max Resp Time |           Checksum            |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                         Group Address                         |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

IGMPv3 Membership Query (RFC 3376 §4.1), at least 12 octets:

   |  Type = 0x11  | Max Resp Code |           Checksum            |
   |                         Group Address                         |
   | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
   |                       Source Address [1..N]                   |

IGMPv3 Membership Report (RFC 3376 §4.2), Group Records one after another:

   |  Type = 0x22  |    Reserved   |           Checksum            |
   |           Reserved            |  Number of Group Records (M)  |
   |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
   |                       Multicast Address                       |
   |                       Source Address [1..N]                   |
   |                         Auxiliary Data                        |

Which version a Query is comes from its length alone (RFC 3376 §7.1): 8 octets with Max
Resp Code zero is IGMPv1, 8 octets with a non-zero code IGMPv2, 12 or more IGMPv3; 9 to 11
octets is none of them and is `Malformed` ("MUST be silently ignored").  A v1/v2 message
longer than 8 octets is accepted and its tail ignored (RFC 2236 §2.5), checksum included.

`parse` returns one value (there is no payload to hand on): an `IgmpMessage` for the
8-octet formats and for unknown types (RFC 3376 §4: unrecognized types are ignored by
the protocol layers, not rejected here), an `IgmpV3Query`, or an `IgmpV3Report`.  Group
Records whose address is not multicast are kept; the layers skip them.

Max Resp Code and QQIC are 8-bit codes: below 128 the value itself, above a float with
a 3-bit exponent and 4-bit mantissa (RFC 3376 §4.1.1, §4.1.7); `code_to_value` and
`value_to_code` convert, for MLD's 16-bit code as well (RFC 3810 §5.1.3).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import internet_checksum
from .errors import BadChecksum, Malformed, Truncated

# Types (RFC 3376 §4, IANA "IGMP Type Numbers")
QUERY = 0x11
V1_REPORT = 0x12
V2_REPORT = 0x16
LEAVE = 0x17
V3_REPORT = 0x22

# Group Record types (RFC 3376 §4.2.12)
MODE_IS_INCLUDE = 1
MODE_IS_EXCLUDE = 2
CHANGE_TO_INCLUDE_MODE = 3
CHANGE_TO_EXCLUDE_MODE = 4
ALLOW_NEW_SOURCES = 5
BLOCK_OLD_SOURCES = 6
RECORD_NAMES = {1: "IS_IN", 2: "IS_EX", 3: "TO_IN", 4: "TO_EX", 5: "ALLOW", 6: "BLOCK"}

# Well-known groups (RFC 1112, RFC 2236 §9, RFC 3376 §4.2.14)
ALL_SYSTEMS = bytes([224, 0, 0, 1])
ALL_ROUTERS = bytes([224, 0, 0, 2])
ALL_V3_ROUTERS = bytes([224, 0, 0, 22])
ANY = bytes(4)

HEADER_LEN = 8
V3_QUERY_MIN = 12
_HDR = struct.Struct("!BBH4s")
_V3Q = struct.Struct("!BBH4sBBH")
_V3R = struct.Struct("!BBHHH")
_REC = struct.Struct("!BBH4s")


class IgmpMessage(NamedTuple):
    """An 8-octet IGMPv1/v2 message: Query, v1/v2 Report, Leave Group (or an unknown type)."""

    type: int
    max_resp: int  # tenths of a second; 0 in v1 messages
    group: bytes

    @property
    def version(self) -> int:
        """1 or 2 by RFC 3376 §7.1 for a Query; by type for a Report; 2 for a Leave."""
        if self.type == QUERY:
            return 1 if self.max_resp == 0 else 2
        return 1 if self.type == V1_REPORT else 2


class IgmpV3Query(NamedTuple):
    group: bytes  # 0.0.0.0 in a General Query
    max_resp_code: int = 100
    sources: tuple = ()
    s_flag: bool = False  # Suppress Router-Side Processing (§4.1.5)
    qrv: int = 2  # Querier's Robustness Variable, 0..7 (§4.1.6)
    qqic: int = 125  # Querier's Query Interval Code (§4.1.7)

    type = QUERY
    version = 3

    @property
    def max_resp(self) -> int:
        """Max Resp Time in tenths of a second (§4.1.1)."""
        return code_to_value(self.max_resp_code, 8)

    @property
    def qqi(self) -> int:
        """The querier's Query Interval in seconds (§4.1.7)."""
        return code_to_value(self.qqic, 8)


class GroupRecord(NamedTuple):
    type: int
    group: bytes
    sources: tuple = ()
    aux: bytes = b""  # auxiliary data (none is defined; §4.2.10), kept as received

    @property
    def name(self) -> str:
        return RECORD_NAMES.get(self.type, f"type{self.type}")


class IgmpV3Report(NamedTuple):
    records: tuple

    type = V3_REPORT
    version = 3


def code_to_value(code: int, width: int) -> int:
    """An 8-bit (IGMPv3, MLDv2 QQIC) or 16-bit (MLDv2 Max Response Code) code as a value.

    Below 2**(width-1) the code is the value; above, it is 1|exp(3)|mant(width-4) meaning
    (mant | 1 << (width-4)) << (exp + 3) (RFC 3376 §4.1.1, RFC 3810 §5.1.3).
    """
    if code < 1 << (width - 1):
        return code
    m = width - 4
    exp = (code >> m) & 7
    mant = code & ((1 << m) - 1)
    return (mant | 1 << m) << (exp + 3)


def value_to_code(value: int, width: int) -> int:
    """The code for `value`, rounded down to the nearest representable value (a shorter
    Max Resp is always safe) and clamped to the largest."""
    if value < 1 << (width - 1):
        return max(0, value)
    m = width - 4
    shift = value.bit_length() - (m + 1)
    exp = shift - 3
    if exp > 7:
        return (1 << width) - 1
    return 1 << (width - 1) | exp << m | ((value >> shift) & ((1 << m) - 1))


def _is_mcast(addr) -> bool:
    return 224 <= addr[0] <= 239


def _addrs(buf: memoryview, at: int, n: int, size: int) -> tuple:
    return tuple(bytes(buf[at + i * size:at + (i + 1) * size]) for i in range(n))


def parse(buf: memoryview, verify_checksum: bool = True):
    """An `IgmpMessage`, `IgmpV3Query` or `IgmpV3Report`; raises Truncated, BadChecksum
    or Malformed, in that order."""
    n = len(buf)
    if n < HEADER_LEN:
        raise Truncated(f"IGMP message of {n} bytes")
    typ = buf[0]
    nsrc = 0
    if typ == QUERY and n >= V3_QUERY_MIN:
        nsrc = int.from_bytes(buf[10:12], "big")
        if n < V3_QUERY_MIN + 4 * nsrc:
            raise Truncated(f"IGMPv3 query with {nsrc} sources in {n} bytes")
    elif typ == V3_REPORT:
        records = _walk_records(buf)  # raises Truncated
    if verify_checksum and internet_checksum(buf) != 0:
        raise BadChecksum("IGMP checksum")
    if typ == QUERY:
        if HEADER_LEN < n < V3_QUERY_MIN:
            raise Malformed(f"IGMP query of {n} bytes is no version (RFC 3376 §7.1)")
        group = bytes(buf[4:8])
        if group != ANY and not _is_mcast(group):
            raise Malformed("query for a group that is not multicast")
        if n == HEADER_LEN:
            return IgmpMessage(typ, buf[1], group)
        flags = buf[8]
        return IgmpV3Query(group, buf[1], _addrs(buf, 12, nsrc, 4), bool(flags & 0x08), flags & 0x07, buf[9])
    if typ == V3_REPORT:
        return IgmpV3Report(tuple(GroupRecord(rt, bytes(buf[at + 4:at + 8]), _addrs(buf, at + 8, ns, 4),
                                              bytes(buf[at + 8 + 4 * ns:at + 8 + 4 * ns + aux]))
                                  for at, rt, ns, aux in records))
    group = bytes(buf[4:8])
    if typ in (V1_REPORT, V2_REPORT, LEAVE) and not _is_mcast(group):
        raise Malformed(f"IGMP type {typ:#04x} for a group that is not multicast")
    return IgmpMessage(typ, buf[1], group)


def _walk_records(buf: memoryview) -> list:
    """(offset, type, number of sources, aux length) of each Group Record, lengths checked."""
    n = len(buf)
    count = int.from_bytes(buf[6:8], "big")
    at = HEADER_LEN
    out = []
    for _ in range(count):
        if at + 8 > n:
            raise Truncated(f"IGMPv3 report: group record {len(out) + 1} of {count} cut short")
        rt, auxwords, ns = buf[at], buf[at + 1], int.from_bytes(buf[at + 2:at + 4], "big")
        end = at + 8 + 4 * ns + 4 * auxwords
        if end > n:
            raise Truncated(f"IGMPv3 report: group record {len(out) + 1} needs {end} bytes in {n}")
        out.append((at, rt, ns, 4 * auxwords))
        at = end
    return out


def _with_checksum(msg: bytes) -> bytes:
    csum = internet_checksum(msg)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def build(typ: int, max_resp: int, group: bytes) -> bytes:
    """An 8-octet IGMPv1/v2 message (Max Resp Time in tenths of a second)."""
    return _with_checksum(_HDR.pack(typ, max_resp, 0, group))


def build_query_v3(group: bytes, max_resp_code: int = 100, sources=(), s_flag: bool = False, qrv: int = 2,
                   qqic: int = 125) -> bytes:
    """An IGMPv3 Query; QRV above 7 is sent as 0 (§4.1.6: "If the querier's [Robustness
    Variable] exceeds 7, the QRV field is set to zero")."""
    flags = (0x08 if s_flag else 0) | (qrv if qrv <= 7 else 0)
    head = _V3Q.pack(QUERY, max_resp_code, 0, group, flags, qqic, len(sources))
    return _with_checksum(head + b"".join(sources))


def build_record(rec: GroupRecord) -> bytes:
    aux = rec.aux + bytes(-len(rec.aux) % 4)
    return _REC.pack(rec.type, len(aux) // 4, len(rec.sources), rec.group) + b"".join(rec.sources) + aux


def build_report_v3(records) -> bytes:
    """An IGMPv3 Report carrying `records` (GroupRecord values), sent to 224.0.0.22."""
    body = b"".join(build_record(r) for r in records)
    return _with_checksum(_V3R.pack(V3_REPORT, 0, 0, 0, len(records)) + body)


def record_size(rec: GroupRecord) -> int:
    return 8 + 4 * len(rec.sources) + len(rec.aux)
