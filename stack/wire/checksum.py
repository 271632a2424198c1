"""The Internet checksum (RFC 1071) and the transport pseudo-header sum.

No per-byte Python loop: the one's-complement sum of 16-bit big-endian words equals the
whole buffer read as one big integer, modulo 0xFFFF (because 2**16 == 1 (mod 0xFFFF)),
and CPython does both the conversion and the modulo in C.  Summing 1460 bytes costs a
few microseconds.

The pseudo-header is family-agnostic: RFC 768/9293 (IPv4: src, dst, zero, protocol,
16-bit length) and RFC 8200 §8.1 (IPv6: src, dst, 32-bit length, zeros, next header)
have the same one's-complement sum whenever the length fits in 16 bits, which it always
does for non-jumbo packets; the 32-bit form is used so jumbograms sum correctly too.
"""

_from_bytes = int.from_bytes


def ones_sum(data, initial: int = 0) -> int:
    """One's-complement sum of `data` as 16-bit words, unfolded and not complemented.

    The result is in 0..0xFFFF and can be fed back as `initial` to chain buffers
    (each buffer but the last must have even length).
    """
    if len(data) & 1:
        data = bytes(data) + b"\0"
    whole = _from_bytes(data, "big")
    total = whole % 0xFFFF
    if not total and whole:
        total = 0xFFFF  # a non-zero sum that is a multiple of 0xFFFF is "negative zero"
    total += initial
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return total


def fold(total: int) -> int:
    """Fold an unfolded sum and complement it: the value that goes in a checksum field."""
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def internet_checksum(data, initial: int = 0) -> int:
    """RFC 1071 checksum of `data` (bytes, bytearray or memoryview)."""
    return fold(ones_sum(data, initial))


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """Unfolded sum of the IPv4 or IPv6 pseudo-header (addresses of 4 or 16 bytes)."""
    total = _from_bytes(src + dst, "big") % 0xFFFF + proto + (length >> 16) + (length & 0xFFFF)
    total = (total & 0xFFFF) + (total >> 16)
    return (total & 0xFFFF) + (total >> 16)


def transport_checksum(src: bytes, dst: bytes, proto: int, segment) -> int:
    """Checksum of a UDP/TCP/ICMPv6 segment (checksum field zeroed, or in place to verify).

    To verify a received segment, call it on the segment as received: the result is 0
    when the checksum is right.  The pseudo-header's protocol is never zero, so the sum
    is never the all-zero "positive zero" and the result is simply (-sum) mod 0xFFFF.
    """
    n = len(segment)
    body = _from_bytes(segment, "big")
    if n & 1:
        body <<= 8  # pad with a zero byte without copying the segment
    total = _from_bytes(src + dst, "big") + body + proto + n
    return -total % 0xFFFF


def header_checksum(header) -> int:
    """Checksum of an IPv4 header (never all-zero: it starts with the version nibble)."""
    return -_from_bytes(header, "big") % 0xFFFF
