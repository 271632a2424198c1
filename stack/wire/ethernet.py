"""Ethernet II framing with an optional IEEE 802.1Q tag.

    0                   1                   2                   3
    +-------------------------------------------------------------+
    |          destination MAC (6)        |    source MAC (6)     |
    +-------------------------------------------------------------+
    | [TPID 0x8100 (2) | TCI: PCP(3) DEI(1) VID(12)]  | EtherType |
    +-------------------------------------------------------------+
    |                 payload (46..1500 octets)                   |

The frame check sequence is not carried: links and pcap files deal in frames without it,
as Linux TAP devices and libpcap do.  Short payloads are padded to the 60-octet minimum
on build (IEEE 802.3 §3.2.8); receivers trim padding using the upper layer's length.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .errors import Malformed, Truncated

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
ETH_P_IPV6 = 0x86DD

HEADER_LEN = 14
MIN_FRAME = 60  # without FCS
_HDR = struct.Struct("!6s6sH")
_TAG = struct.Struct("!HH")


class VerifiedFrame(bytes):
    """A frame whose checksums are known good: built by this stack's IP layer and carried
    only by links that did not change a bit.  Receivers skip verifying it, as Linux skips
    frames marked CHECKSUM_UNNECESSARY (veth, loopback, NIC offload).  Any other frame
    (from a probe, a TAP device, or a corrupting link, which makes a new plain `bytes`) is
    verified in full."""

    __slots__ = ()


class Unverified(bytes):
    """A packet a router forwards without having checked its transport checksum (routers
    check only the IP header).  Its frame must not become a `VerifiedFrame`: a bit flipped
    on the way in would otherwise reach the destination trusted."""


class EthernetHeader(NamedTuple):
    dst: bytes
    src: bytes
    ethertype: int
    vlan: int | None = None  # the 802.1Q VID when the frame was tagged
    pcp: int = 0  # 802.1Q priority code point


def parse(buf: memoryview) -> tuple[EthernetHeader, memoryview]:
    """Split a frame into its header and payload (padding included)."""
    if len(buf) < HEADER_LEN:
        raise Truncated(f"ethernet frame of {len(buf)} bytes")
    dst, src, ethertype = _HDR.unpack_from(buf)
    if ethertype == ETH_P_8021Q:
        if len(buf) < HEADER_LEN + 4:
            raise Truncated("802.1Q tag cut short")
        tci, ethertype = _TAG.unpack_from(buf, 14)
        if ethertype < 0x0600:
            raise Malformed(f"802.3 length field {ethertype} where an EtherType belongs")
        return EthernetHeader(dst, src, ethertype, tci & 0x0FFF, tci >> 13), buf[18:]
    if ethertype < 0x0600:
        raise Malformed(f"802.3 length field {ethertype} where an EtherType belongs")
    return EthernetHeader(dst, src, ethertype), buf[14:]


def build(dst: bytes, src: bytes, ethertype: int, payload, vlan: int | None = None, pcp: int = 0) -> bytes:
    """An Ethernet II frame, tagged when `vlan` is given, padded to the minimum size."""
    if vlan is None:
        frame = _HDR.pack(dst, src, ethertype) + payload
    else:
        frame = _HDR.pack(dst, src, ETH_P_8021Q) + _TAG.pack((pcp << 13) | (vlan & 0x0FFF), ethertype) + payload
    if len(frame) < MIN_FRAME:
        frame += bytes(MIN_FRAME - len(frame))
    return frame
