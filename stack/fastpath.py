"""A cached transmit path for one UDP flow (in the spirit of Linux's per-socket dst cache).

Sending a datagram normally walks the layers: UDP header, route lookup, IPv4 header, neighbor
lookup, Ethernet header, each building bytes and computing checksums.  For a socket sending
again and again to one unicast destination, everything but the lengths, the IP ident and the
checksums is the same each time.  A `UdpFastPath` keeps it: the interface, the neighbor entry
and MAC, and the constant parts of both checksums (the one's-complement sum is additive, so
the per-datagram words are simply added).  It is used only while it is provably current: the
routing table and PMTU cache have not changed (generation counters), the neighbor entry is the
same object and still REACHABLE with the same MAC, and the datagram fits the MTU.  Anything
else takes the ordinary path, which stays the reference (tests compare the bytes of both).
"""

from __future__ import annotations

import struct

from .neighbor import NeighborState
from .wire.ethernet import VerifiedFrame

_FRAME = struct.Struct("!6s6sHBBHHHBBH4s4sHHHH")  # Ethernet II + IPv4 without options + UDP
REACHABLE = NeighborState.REACHABLE
PERMANENT = NeighborState.PERMANENT


class UdpFastPath:
    __slots__ = ("host", "key", "gens", "cache", "entry", "mac", "smac", "channel", "limit", "ip_base", "udp_base",
                 "src", "dst", "sport", "dport", "ttl", "tos", "frag")

    def __init__(self, host, key, iface, cache, entry, src, dst, sport, dport, ttl, tos, df) -> None:
        self.host = host
        self.key = key
        self.gens = (host.routes.generation, host.pmtu.generation)
        self.cache = cache
        self.entry = entry
        self.mac = entry.lladdr
        self.smac = iface.mac
        self.channel = iface.channel
        self.limit = iface.mtu - 28  # the largest payload that needs no fragmentation
        self.src, self.dst, self.sport, self.dport, self.ttl, self.tos = src, dst, sport, dport, ttl, tos
        self.frag = 0x4000 if df else 0
        sd = int.from_bytes(src + dst, "big")
        self.ip_base = (0x4500 | tos) + self.frag + (ttl << 8 | 17) + sd
        self.udp_base = sd + 17 + sport + dport

    def usable(self, key, n: int) -> bool:
        host = self.host
        e = self.entry
        return (key == self.key and n <= self.limit
                and self.gens == (host.routes.generation, host.pmtu.generation)
                and (e.state is REACHABLE or e.state is PERMANENT) and e.lladdr == self.mac
                and self.cache.entries.get(e.addr) is e)

    def send(self, data) -> None:
        n = len(data)
        ulen = 8 + n
        total = 28 + n
        host = self.host
        host._ident = ident = (host._ident + 1) & 0xFFFF
        body = int.from_bytes(data, "big")
        if n & 1:
            body <<= 8
        ucs = -(self.udp_base + ulen + ulen + body) % 0xFFFF or 0xFFFF
        ics = -(self.ip_base + total + ident) % 0xFFFF
        frame = _FRAME.pack(self.mac, self.smac, 0x0800, 0x45, self.tos, total, ident, self.frag, self.ttl, 17, ics,
                            self.src, self.dst, self.sport, self.dport, ulen, ucs) + data
        if len(frame) < 60:
            frame += bytes(60 - len(frame))
        self.channel.transmit(VerifiedFrame(frame))


def udp_fast_path(host, src: bytes, dst: bytes, sport: int, dport: int, ttl: int, tos: int, df: bool):
    """A fast path for this flow if one applies now (unicast IPv4 over an Ethernet link whose
    next hop is resolved), else None."""
    if len(dst) != 4 or dst in host._local4 or dst[0] == 127 or dst in host._bcast4 or dst[0] >= 224:
        return None
    route = host.routes.lookup(dst)
    if route is None or route.iface.loopback or route.iface.channel is None:
        return None
    iface = route.iface
    cache = host.arp.caches.get(iface.index)
    if cache is None:
        return None
    entry = cache.entries.get(route.gateway or dst)
    if entry is None or (entry.state is not REACHABLE and entry.state is not PERMANENT):
        return None
    if host.pmtu.entries and host.pmtu.get(dst, host.clock()) is not None:
        return None
    key = (src, dst, sport, dport, ttl, tos, df)
    return UdpFastPath(host, key, iface, cache, entry, src, dst, sport, dport, ttl, tos, df)
