"""MLD messages: MLDv1 (RFC 2710 §3) and MLDv2 (RFC 3810 §5), carried in ICMPv6.

They are ICMPv6 messages, so the checksum covers the IPv6 pseudo-header (RFC 4443 §2.3):
`parse` and the builders take the source and destination addresses.

MLDv1 Query (130), Report (131), Done (132), 24 octets:

    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |     Type      |     Code      |          Checksum             |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |     Maximum Response Delay    |          Reserved             |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                  Multicast Address (128 bits)                 |

MLDv2 Query (130, at least 28 octets; RFC 3810 §5.1):

   |  Type = 130   |      Code     |           Checksum            |
   |    Maximum Response Code      |           Reserved            |
   |                  Multicast Address (128 bits)                 |
   | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
   |                   Source Address [1..N] (128 bits each)       |

MLDv2 Report (143; RFC 3810 §5.2), Multicast Address Records one after another:

   |  Type = 143   |    Reserved   |           Checksum            |
   |           Reserved            |Nr of Mcast Address Records (M)|
   |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
   |                  Multicast Address (128 bits)                 |
   |                   Source Address [1..N]                       |
   |                         Auxiliary Data                        |

A Query's version is its length (RFC 3810 §8.1): 24 octets is MLDv1, 28 or more MLDv2,
anything else is `Malformed` (it "MUST be silently ignored").  Code is ignored on receipt
(RFC 2710 §3.2).  The 16-bit Maximum Response Code and the 8-bit QQIC use the float
encodings of `igmp.code_to_value` (RFC 3810 §5.1.3, §5.1.9).  Record types are the same
numbers as IGMPv3's (RFC 3810 §5.2.12), so `igmp.GroupRecord` serves for both.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import transport_checksum
from .errors import BadChecksum, Malformed, Truncated
from .igmp import RECORD_NAMES, GroupRecord, code_to_value  # noqa: F401 (re-exported)

PROTO = 58
QUERY = 130
V1_REPORT = 131
DONE = 132
V2_REPORT = 143
TYPES = frozenset({QUERY, V1_REPORT, DONE, V2_REPORT})

ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
ALL_ROUTERS = bytes.fromhex("ff020000000000000000000000000002")
ALL_MLDV2_ROUTERS = bytes.fromhex("ff020000000000000000000000000016")
ANY = bytes(16)

V1_LEN = 24
V2_QUERY_MIN = 28
_V1 = struct.Struct("!BBHHH16s")
_V2Q = struct.Struct("!BBHHH16sBBH")
_V2R = struct.Struct("!BBHHH")
_REC = struct.Struct("!BBH16s")


class MldMessage(NamedTuple):
    """An MLDv1 Query, Report or Done."""

    type: int
    max_resp: int  # milliseconds (Maximum Response Delay); 0 in Reports and Done
    group: bytes

    @property
    def version(self) -> int:
        return 1


class MldV2Query(NamedTuple):
    group: bytes  # :: in a General Query
    max_resp_code: int = 10000
    sources: tuple = ()
    s_flag: bool = False
    qrv: int = 2
    qqic: int = 125

    type = QUERY
    version = 2

    @property
    def max_resp(self) -> int:
        """Maximum Response Delay in milliseconds (§5.1.3)."""
        return code_to_value(self.max_resp_code, 16)

    @property
    def qqi(self) -> int:
        """The querier's Query Interval in seconds (§5.1.9)."""
        return code_to_value(self.qqic, 8)


class MldV2Report(NamedTuple):
    records: tuple

    type = V2_REPORT
    version = 2


def _addrs(buf: memoryview, at: int, n: int) -> tuple:
    return tuple(bytes(buf[at + 16 * i:at + 16 * (i + 1)]) for i in range(n))


def parse(buf: memoryview, src: bytes, dst: bytes, verify_checksum: bool = True):
    """An `MldMessage`, `MldV2Query` or `MldV2Report` from an ICMPv6 message; raises
    Truncated, BadChecksum or Malformed, in that order."""
    n = len(buf)
    if n < 8:
        raise Truncated(f"MLD message of {n} bytes")
    typ = buf[0]
    records = nsrc = None
    if typ == V2_REPORT:
        records = _walk_records(buf)
    else:
        if n < V1_LEN:
            raise Truncated(f"MLD message of {n} bytes")
        if typ == QUERY and n >= V2_QUERY_MIN:
            nsrc = int.from_bytes(buf[26:28], "big")
            if n < V2_QUERY_MIN + 16 * nsrc:
                raise Truncated(f"MLDv2 query with {nsrc} sources in {n} bytes")
    if verify_checksum and transport_checksum(src, dst, PROTO, buf) != 0:
        raise BadChecksum("MLD (ICMPv6) checksum")
    if typ not in TYPES:
        raise Malformed(f"ICMPv6 type {typ} is not MLD")
    if typ == V2_REPORT:
        return MldV2Report(tuple(GroupRecord(rt, bytes(buf[at + 4:at + 20]), _addrs(buf, at + 20, ns),
                                             bytes(buf[at + 20 + 16 * ns:at + 20 + 16 * ns + aux]))
                                 for at, rt, ns, aux in records))
    group = bytes(buf[8:24])
    if typ == QUERY:
        if V1_LEN < n < V2_QUERY_MIN:
            raise Malformed(f"MLD query of {n} bytes is no version (RFC 3810 §8.1)")
        if group != ANY and group[0] != 0xFF:
            raise Malformed("query for an address that is not multicast")
        mrc = int.from_bytes(buf[4:6], "big")
        if nsrc is None:
            return MldMessage(typ, mrc, group)
        flags = buf[24]
        return MldV2Query(group, mrc, _addrs(buf, 28, nsrc), bool(flags & 0x08), flags & 0x07, buf[25])
    if group[0] != 0xFF:
        raise Malformed(f"MLD type {typ} for an address that is not multicast")
    return MldMessage(typ, int.from_bytes(buf[4:6], "big"), group)


def _walk_records(buf: memoryview) -> list:
    n = len(buf)
    count = int.from_bytes(buf[6:8], "big")
    at = 8
    out = []
    for _ in range(count):
        if at + 20 > n:
            raise Truncated(f"MLDv2 report: record {len(out) + 1} of {count} cut short")
        rt, auxwords, ns = buf[at], buf[at + 1], int.from_bytes(buf[at + 2:at + 4], "big")
        end = at + 20 + 16 * ns + 4 * auxwords
        if end > n:
            raise Truncated(f"MLDv2 report: record {len(out) + 1} needs {end} bytes in {n}")
        out.append((at, rt, ns, 4 * auxwords))
        at = end
    return out


def _with_checksum(msg: bytes, src: bytes, dst: bytes) -> bytes:
    csum = transport_checksum(src, dst, PROTO, msg)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def build(typ: int, max_resp: int, group: bytes, src: bytes, dst: bytes) -> bytes:
    """An MLDv1 Query, Report or Done (Maximum Response Delay in milliseconds)."""
    return _with_checksum(_V1.pack(typ, 0, 0, max_resp, 0, group), src, dst)


def build_query_v2(group: bytes, src: bytes, dst: bytes, max_resp_code: int = 10000, sources=(),
                   s_flag: bool = False, qrv: int = 2, qqic: int = 125) -> bytes:
    """An MLDv2 Query; QRV above 7 is sent as 0 (§5.1.8)."""
    flags = (0x08 if s_flag else 0) | (qrv if qrv <= 7 else 0)
    head = _V2Q.pack(QUERY, 0, 0, max_resp_code, 0, group, flags, qqic, len(sources))
    return _with_checksum(head + b"".join(sources), src, dst)


def build_record(rec: GroupRecord) -> bytes:
    aux = rec.aux + bytes(-len(rec.aux) % 4)
    return _REC.pack(rec.type, len(aux) // 4, len(rec.sources), rec.group) + b"".join(rec.sources) + aux


def build_report_v2(records, src: bytes, dst: bytes = ALL_MLDV2_ROUTERS) -> bytes:
    """An MLDv2 Report carrying `records`, normally sent to ff02::16 (§5.2.14)."""
    body = b"".join(build_record(r) for r in records)
    return _with_checksum(_V2R.pack(V2_REPORT, 0, 0, 0, len(records)) + body, src, dst)


def record_size(rec: GroupRecord) -> int:
    return 20 + 16 * len(rec.sources) + len(rec.aux)
