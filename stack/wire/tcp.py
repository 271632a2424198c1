"""TCP header (RFC 9293 §3.1) and options (RFC 9293 §3.2, RFC 7323, RFC 2018).

    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |          Source Port          |       Destination Port        |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                        Sequence Number                        |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                    Acknowledgment Number                      |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |  Data |       |C|E|U|A|P|R|S|F|                               |
   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
   |       |       |R|E|G|K|H|T|N|N|                               |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |           Checksum            |         Urgent Pointer        |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                           [Options]                           |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

Options are parsed into a `TcpOptions` value.  This is the per-segment hot path, so the
common shapes are special-cased: no options at all (a shared empty value) and the
12-byte NOP NOP TS block every Linux data segment carries.  The four reserved bits are
ignored on receipt (RFC 9293 §3.1: "must be zero" is for senders).

The checksum covers a pseudo-header of either family, so the same codec serves TCP over
IPv4 and IPv6.  It is the arithmetic of `checksum.transport_checksum` (one's-complement
sum == the big-endian integer modulo 0xFFFF) inlined: the header's words are summed as
integers instead of packed and re-read, and verification is a single big-integer
conversion and modulo over the segment.  Tests check `transport_checksum(...) == 0` on
everything `build` produces, so the two cannot drift apart.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .errors import BadChecksum, Malformed, Truncated

PROTO = 6
HEADER_LEN = 20

FIN = 0x01
SYN = 0x02
RST = 0x04
PSH = 0x08
ACK = 0x10
URG = 0x20
ECE = 0x40
CWR = 0x80

FLAG_NAMES = ((FIN, "F"), (SYN, "S"), (RST, "R"), (PSH, "P"), (ACK, "."), (URG, "U"), (ECE, "E"), (CWR, "W"))

# Option kinds (IANA "TCP Option Kind Numbers").
OPT_EOL = 0
OPT_NOP = 1
OPT_MSS = 2
OPT_WSCALE = 3
OPT_SACK_PERM = 4
OPT_SACK = 5
OPT_TIMESTAMPS = 8

_HDR = struct.Struct("!HHIIHHHH")
_TS = struct.Struct("!II")
_LINUX_SYN = struct.Struct("!2xH4xII")
_U16 = struct.Struct("!H")
_NOP_NOP_TS = b"\x01\x01\x08\x0a"
TS_BLOCK = struct.Struct("!HHII")  # NOP NOP TS as one pack: (0x0101, 0x080A, tsval, tsecr)
# The header of a segment whose only option is a timestamp, NOP NOP TS (data offset 32,
# every data segment between stacks that use timestamps), in one unpack: the eight header
# fields, then the NOP NOP TS word (NOP_NOP_TS_WORD when it is one), TSval and TSecr.
HDR_TS = struct.Struct("!HHIIHHHHIII")
NOP_NOP_TS_WORD = 0x0101080A
# The header of a SYN or SYN-ACK with Linux's options (data offset 40: MSS, SACK_PERM and
# TS packed together, NOP WS; the layout parse_options special-cases) in one unpack: the
# eight header fields, then the MSS kind and length (SYN_MSS_HEAD) and value, SACK_PERM
# with the TS kind and length (SYN_SACK_TS_WORD), TSval, TSecr, and NOP WS whose low byte
# is the shift (SYN_NOP_WS when shifted right by 8).
HDR_SYN = struct.Struct("!HHIIHHHHHHIIII")
SYN_MSS_HEAD = 0x0204
SYN_SACK_TS_WORD = 0x0402080A
SYN_NOP_WS = 0x010303
EMPTY = _EMPTY = memoryview(b"")  # the payload `parse` gives a segment without one
_from_bytes = int.from_bytes
_new = tuple.__new__


class TcpOptions(NamedTuple):
    mss: int | None = None
    wscale: int | None = None
    sack_permitted: bool = False
    timestamps: tuple[int, int] | None = None  # (tsval, tsecr)
    sack_blocks: tuple = ()  # ((left, right), ...) as sent, RFC 2018 §3
    unknown: tuple = ()  # ((kind, bytes), ...) kept so tools can show them

    @property
    def tsval(self) -> int | None:
        return self.timestamps[0] if self.timestamps else None

    @property
    def tsecr(self) -> int | None:
        return self.timestamps[1] if self.timestamps else None


NO_OPTIONS = TcpOptions()


class TcpHeader(NamedTuple):
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    urgent: int = 0
    options: TcpOptions = NO_OPTIONS


def flags_str(flags: int) -> str:
    """tcpdump's flag letters: 'S', 'S.', 'P.', 'F.', 'R'..."""
    return "".join(ch for bit, ch in FLAG_NAMES if flags & bit) or "none"


def parse_options(raw) -> TcpOptions:
    """Parse an options area; Malformed on a length that is < 2 or runs past the area
    (RFC 9293 §3.2 asks to be prepared for any option, but not for an impossible length)."""
    raw = bytes(raw)  # indexing and slicing bytes is cheaper than a memoryview
    n = len(raw)
    if n == 12 and raw[:4] == _NOP_NOP_TS:
        return _new(TcpOptions, (None, None, False, _TS.unpack_from(raw, 4), (), ()))
    if n == 20 and raw[:2] == b"\x02\x04" and raw[4:8] == b"\x04\x02\x08\x0a" and raw[16:19] == b"\x01\x03\x03":
        # Linux's SYN: MSS, SACK_PERM, TS, NOP, WS
        mss, tsval, tsecr = _LINUX_SYN.unpack_from(raw)
        return _new(TcpOptions, (mss, raw[19], True, (tsval, tsecr), (), ()))
    mss = wscale = timestamps = None
    sack_permitted = False
    sack_blocks = ()
    unknown = []
    i = 0
    while i < n:
        kind = raw[i]
        if kind == OPT_EOL:
            break
        if kind == OPT_NOP:
            i += 1
            continue
        if i + 1 >= n:
            raise Malformed(f"TCP option {kind} has no length byte")
        length = raw[i + 1]
        if length < 2 or i + length > n:
            raise Malformed(f"TCP option {kind} with length {length}")
        body = raw[i + 2:i + length]
        if kind == OPT_MSS:
            if length != 4:
                raise Malformed(f"MSS option of length {length}")
            mss = _U16.unpack(body)[0]
        elif kind == OPT_WSCALE:
            if length != 3:
                raise Malformed(f"window scale option of length {length}")
            wscale = body[0]
        elif kind == OPT_SACK_PERM:
            if length != 2:
                raise Malformed(f"SACK-permitted option of length {length}")
            sack_permitted = True
        elif kind == OPT_TIMESTAMPS:
            if length != 10:
                raise Malformed(f"timestamps option of length {length}")
            timestamps = _TS.unpack(body)
        elif kind == OPT_SACK:
            if (length - 2) % 8 or length == 2:
                raise Malformed(f"SACK option of length {length}")
            sack_blocks = tuple(_TS.unpack_from(body, j) for j in range(0, length - 2, 8))
        else:
            unknown.append((kind, bytes(body)))
        i += length
    return TcpOptions(mss, wscale, sack_permitted, timestamps, sack_blocks, tuple(unknown))


def parse(buf: memoryview, src: bytes, dst: bytes, verify_checksum: bool = True) -> tuple[TcpHeader, memoryview]:
    """Header and payload of a TCP segment; raises Truncated, BadChecksum or Malformed."""
    n = len(buf)
    if n < HEADER_LEN:
        raise Truncated(f"TCP segment of {n} bytes")
    sport, dport, seq, ack, offflags, window, _csum, urgent = _HDR.unpack_from(buf)
    doff = (offflags >> 10) & 0x3C
    if doff > n:
        raise Truncated(f"TCP data offset {doff} in {n} bytes")
    if verify_checksum:
        # One's-complement sum modulo 0xFFFF (2**16 == 1 mod 0xFFFF, see checksum.py): the
        # segment as one integer (padded if odd) plus the pseudo-header; a correct segment
        # sums to 0xFFFF, which is 0 modulo 0xFFFF.
        whole = _from_bytes(buf, "big")
        if n & 1:
            whole <<= 8
        if (whole + _from_bytes(src + dst, "big") + PROTO + n) % 0xFFFF:
            raise BadChecksum("TCP checksum")
    if doff < HEADER_LEN:
        raise Malformed(f"TCP data offset {doff}")
    if doff == HEADER_LEN:
        options = NO_OPTIONS
    elif doff == 32 and buf[20:24] == _NOP_NOP_TS:
        # tuple.__new__ skips the NamedTuple's Python-level __new__ on the hot path
        options = _new(TcpOptions, (None, None, False, _TS.unpack_from(buf, 24), (), ()))
    else:
        options = parse_options(buf[HEADER_LEN:doff])
    hdr = _new(TcpHeader, (sport, dport, seq, ack, offflags & 0xFF, window, urgent, options))
    return hdr, buf[doff:] if doff < n else _EMPTY


def ts_header(sport: int, dport: int, seq: int, ack: int, offflags: int, window: int, urgent: int, tsval: int,
              tsecr: int) -> TcpHeader:
    """The TcpHeader `parse` gives a segment whose only option is NOP NOP TS (data offset
    32), from the fields HDR_TS unpacked (for a caller that has them already)."""
    return _new(TcpHeader, (sport, dport, seq, ack, offflags & 0xFF, window, urgent,
                            _new(TcpOptions, (None, None, False, (tsval, tsecr), (), ()))))


def syn_header(sport: int, dport: int, seq: int, ack: int, offflags: int, window: int, urgent: int, mss: int,
               wscale: int, tsval: int, tsecr: int) -> TcpHeader:
    """The TcpHeader `parse` gives a segment with Linux's SYN options (MSS, SACK_PERM, TS,
    NOP WS), from the fields HDR_SYN unpacked (for a caller that has them already).
    (`TcpLayer.input_frame` has it inlined: keep the two alike.)"""
    return _new(TcpHeader, (sport, dport, seq, ack, offflags & 0xFF, window, urgent,
                            _new(TcpOptions, (mss, wscale, True, (tsval, tsecr), (), ()))))


def encode_ts(tsval: int, tsecr: int) -> bytes:
    """The NOP NOP TS block of a data segment (RFC 7323 Appendix A layout)."""
    return _NOP_NOP_TS + _TS.pack(tsval, tsecr)


def encode_sack(blocks) -> bytes:
    """NOP NOP SACK with up to four blocks (RFC 2018 §3)."""
    out = bytearray(b"\x01\x01\x05")
    out.append(2 + 8 * len(blocks))
    for left, right in blocks:
        out += _TS.pack(left, right)
    return bytes(out)


def encode_options(opts: TcpOptions, order: str = "linux") -> bytes:
    """Option bytes padded to a multiple of 4.

    order="linux": the layout Linux's tcp_options_write produces (SYN: MSS, SACK_PERM+TS
    packed together, NOP WS; data: NOP NOP TS, NOP NOP SACK), so traces line up with a
    Linux peer byte for byte.  order="rfc": each option NOP-aligned in numeric kind
    order (MSS, NOP WS, NOP NOP SACK_PERM, NOP NOP TS, NOP NOP SACK) as RFC 7323
    Appendix A suggests.
    """
    out = bytearray()
    if opts.mss is not None:
        out += b"\x02\x04" + _U16.pack(opts.mss)
    if order == "linux":
        if opts.sack_permitted and opts.timestamps is not None:
            out += b"\x04\x02\x08\x0a" + _TS.pack(*opts.timestamps)
        elif opts.timestamps is not None:
            out += encode_ts(*opts.timestamps)
        elif opts.sack_permitted:
            out += b"\x01\x01\x04\x02"
        if opts.wscale is not None:
            out += b"\x01\x03\x03" + bytes((opts.wscale,))
    elif order == "rfc":
        if opts.wscale is not None:
            out += b"\x01\x03\x03" + bytes((opts.wscale,))
        if opts.sack_permitted:
            out += b"\x01\x01\x04\x02"
        if opts.timestamps is not None:
            out += encode_ts(*opts.timestamps)
    else:
        raise ValueError(f"unknown option order {order!r}")
    if opts.sack_blocks:
        out += encode_sack(opts.sack_blocks)
    for kind, body in opts.unknown:
        out += bytes((kind, 2 + len(body))) + body
    if len(out) & 3:
        out += bytes(4 - (len(out) & 3))
    if len(out) > 40:
        raise ValueError(f"{len(out)} bytes of TCP options exceed 40")
    return bytes(out)


def build(sport: int, dport: int, seq: int, ack: int, flags: int, window: int, payload=b"",
          src: bytes = b"", dst: bytes = b"", *, urgent: int = 0, options: TcpOptions | bytes = b"",
          order: str = "linux") -> bytes:
    """A whole segment; data offset and checksum derived.

    `options` is a TcpOptions value or option bytes already encoded and padded (the
    connection's data path passes pre-encoded bytes to skip the generic encoder).
    """
    if isinstance(options, TcpOptions):
        options = encode_options(options, order)
    olen = len(options)
    plen = len(payload)
    offflags = ((HEADER_LEN + olen) << 10) | flags
    # The header's 16-bit words summed arithmetically; options and payload as integers
    # (each starts at an even offset, and 2**16 == 1 mod 0xFFFF, so position is free).
    total = (sport + dport + seq + ack + offflags + window
             + urgent + PROTO + HEADER_LEN + olen + plen + _from_bytes(src + dst, "big"))
    if olen:
        total += _from_bytes(options, "big")
    if plen:
        if plen & 1:
            total += _from_bytes(payload, "big") << 8
        else:
            total += _from_bytes(payload, "big")
    total %= 0xFFFF
    csum = 0xFFFF - total if total else 0
    head = _HDR.pack(sport, dport, seq, ack, offflags, window, csum, urgent)
    if plen:
        return b"".join((head, options, payload))
    return head + options if olen else head



def checksum_base(sport: int, dport: int, src: bytes, dst: bytes) -> int:
    """The per-connection constant part of the checksum sum (pseudo-header addresses and
    protocol, the ports, the fixed header length), for `build_fast`.  (Connection.__init__
    has it inlined: keep alike.)"""
    return _from_bytes(src + dst, "big") + PROTO + sport + dport + HEADER_LEN


def build_fast(base: int, sport: int, dport: int, seq: int, ack: int, flags: int, window: int, payload,
               options: bytes) -> bytes:
    """`build` for a connection's own segments: `base` from `checksum_base`, options
    already encoded, urgent pointer zero.  Saves the per-segment address work."""
    olen = len(options)
    plen = len(payload)
    offflags = ((HEADER_LEN + olen) << 10) | flags
    total = base + seq + ack + offflags + window + olen + plen
    if olen:
        total += _from_bytes(options, "big")
    if plen:
        if plen & 1:
            total += _from_bytes(payload, "big") << 8
        else:
            total += _from_bytes(payload, "big")
    total %= 0xFFFF
    head = _HDR.pack(sport, dport, seq, ack, offflags, window, 0xFFFF - total if total else 0, 0)
    if plen:
        return b"".join((head, options, payload))
    return head + options if olen else head
