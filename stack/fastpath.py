"""A cached transmit path for one UDP flow (in the spirit of Linux's per-socket dst cache).

Sending a datagram normally walks the layers: UDP header, route lookup, IPv4 header, neighbor
lookup, Ethernet header, each building bytes and computing checksums.  For a socket sending
again and again to one unicast destination, everything but the lengths, the IP ident and the
checksums is the same each time.  A `UdpFastPath` keeps it: the interface, the neighbor entry
and MAC, and the constant parts of both checksums (the one's-complement sum is additive, so
the per-datagram words are simply added).  It is used only while it is provably current: the
routing table and PMTU cache have not changed (generation counters), the neighbor entry is the
same object, in a state lookup() would not change, with the same MAC, and the datagram fits the MTU.  Anything
else takes the ordinary path, which stays the reference (tests compare the bytes of both).
"""

from __future__ import annotations

import struct
from heapq import heappush

from .neighbor import NeighborState
from .wire.ethernet import VerifiedFrame

_FRAME = struct.Struct("!6s6sHBBHHHBBH4s4sHHHH")  # Ethernet II + IPv4 without options + UDP
REACHABLE = NeighborState.REACHABLE
PERMANENT = NeighborState.PERMANENT
DELAY = NeighborState.DELAY
PROBE = NeighborState.PROBE


def _sendable(state) -> bool:
    """States in which the neighbor cache's lookup() hands out the address without changing
    anything (STALE would move to DELAY, INCOMPLETE queues), so a cached path may skip it."""
    return state is REACHABLE or state is DELAY or state is PROBE or state is PERMANENT


class UdpFastPath:
    __slots__ = ("host", "key", "gens", "cache", "entry", "mac", "smac", "channel", "limit", "ip_base", "udp_base",
                 "src", "dst", "sport", "dport", "ttl", "tos", "frag", "flow")

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
        self.flow = None  # the endpoint's (destination, binding, TTL, TOS, PMTU discovery) it was made for

    def usable_again(self, n: int) -> bool:
        """`usable` for the flow it was made for: nothing that decided the way has changed
        (routes and addresses, PMTU, the default TTL, the neighbor) and `n` fits."""
        host = self.host
        e = self.entry
        st = e.state
        return (n <= self.limit and self.gens[0] == host.routes.generation and self.gens[1] == host.pmtu.generation
                and (self.flow[2] is not None or host.config.ttl == self.ttl)
                and (st is REACHABLE or st is DELAY or st is PROBE or st is PERMANENT) and e.lladdr == self.mac
                and self.cache.entries.get(e.addr) is e)

    def usable(self, key, n: int) -> bool:
        host = self.host
        e = self.entry
        return (key == self.key and n <= self.limit
                and self.gens == (host.routes.generation, host.pmtu.generation)
                and _sendable(e.state) and e.lladdr == self.mac
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
    way = _resolved_way4(host, dst)
    if way is None:
        return None
    key = (src, dst, sport, dport, ttl, tos, df)
    return UdpFastPath(host, key, *way, src, dst, sport, dport, ttl, tos, df)


def _resolved_way4(host, dst: bytes):
    """(interface, neighbor cache, entry) for unicast IPv4 to `dst` over an Ethernet link
    whose next hop is resolved and whose path MTU nobody lowered, else None: when a fast
    path may stand in for the ordinary one."""
    if len(dst) != 4 or dst in host._local4 or dst[0] == 127 or dst in host._bcast4 or dst[0] >= 224:
        return None
    return _resolved_way(host, dst, host.arp.caches, host.pmtu)


def _resolved_way(host, dst: bytes, caches, pmtu):
    """What both families check: a route over a real link, a neighbor entry that needs no
    resolution (ARP's or NDP's `caches`), and no lowered path MTU in `pmtu`."""
    route = host.routes.lookup(dst)
    if route is None or route.iface.loopback or route.iface.channel is None:
        return None
    iface = route.iface
    cache = caches.get(iface.index)
    if cache is None:
        return None
    entry = cache.entries.get(route.gateway or dst)
    if entry is None or not _sendable(entry.state):
        return None
    if pmtu.entries and pmtu.get(dst, host.clock()) is not None:
        return None
    return iface, cache, entry


# -- TCP -------------------------------------------------------------------------------

# Ethernet II + IPv4 without options + TCP, with what never changes for a path packed as
# few fields (each field packed costs about as much as a dozen bytes copied):
#   the Ethernet header and IPv4's version/IHL and TOS (16s), total length, ident,
#   DF + TTL + protocol (I), header checksum, the two addresses (8s); TCP's ports, seq, ack,
#   data offset + flags, window, checksum, and a zero urgent pointer (2x)
_ETH_IP_TCP = struct.Struct("!16sHHIH8sHHIIHHH2x")
# the same + NOP NOP TS (TcpFastPath.send): its first word (I, 0x0101080A), TSval, TSecr
_ETH_IP_TCP_TS = struct.Struct("!16sHHIH8sHHIIHHH2xIII")
_from_bytes = int.from_bytes


class TcpFastPath:
    """A connection's cached transmit path: its segments leave as one Ethernet + IPv4 + TCP
    header packed at once, both checksums from per-connection constants.

    The ordinary path builds the TCP segment, then `Host.ip_send` routes it, builds the IP
    header, looks up the neighbor, and `send_frame` prepends the Ethernet header: three
    copies of the payload and a dozen calls per segment.  What those steps decide is the
    same for every segment of an established connection toward a resolved neighbor, so
    it is decided once here and re-checked cheaply (`usable`) before each segment; when
    anything changed, the connection takes the ordinary path, which stays the reference
    (tests compare the bytes of both).
    """

    __slots__ = ("host", "rgen", "pgen", "cache", "entry", "mac", "smac", "channel", "lane", "limit", "src", "dst",
                 "ttl", "ip_base", "way", "head", "df_ttl", "addrs")

    def __init__(self, host, iface, cache, entry, src: bytes, dst: bytes, ttl: int) -> None:
        self.host = host
        # the generations of the routing table and the PMTU cache it was made under (two
        # fields, not a tuple: each segment compares them without indexing)
        self.rgen = host.routes.generation
        self.pgen = host.pmtu.generation
        self.cache = cache
        self.entry = entry
        self.mac = entry.lladdr
        self.smac = iface.mac
        self.channel = iface.channel
        # the channel again when it is a simulated link's (a sim.link.Channel, whose short
        # road `send` takes itself), else None (a TAP device's port, say: it transmits)
        self.lane = iface.channel if hasattr(iface.channel, "_plain") else None
        # (switch generation, the switch, its entries for our MACs, channel out, the switch's
        # attribute dict): see _put().  The dict is the same for the switch's lifetime (a
        # `receive` set on it later lands in it) and is kept because reading `__dict__` per
        # segment is a generic attribute lookup.
        self.way = None
        self.limit = iface.mtu - 20  # the largest TCP segment that fits the interface's MTU
        self.src = src
        self.dst = dst
        self.ttl = ttl
        # IPv4 header words that never change: version/IHL, DF, TTL/protocol, the addresses,
        # summed and reduced mod 0xFFFF once (the one's-complement sum only needs the
        # residue), so each segment's header checksum is small-integer arithmetic
        self.ip_base = (0x4500 + 0x4000 + (ttl << 8 | 6) + _from_bytes(src + dst, "big")) % 0xFFFF
        # The same constants as the frame carries them (see _ETH_IP_TCP): the Ethernet header
        # with IPv4's first two bytes (version 4, IHL 5, TOS 0); DF, TTL and protocol 6 as one
        # 32-bit word; the two addresses
        self.head = self.mac + self.smac + b"\x08\x00\x45\x00"
        self.df_ttl = 0x4000 << 16 | ttl << 8 | 6
        self.addrs = src + dst

    def usable(self) -> bool:
        host = self.host
        e = self.entry
        st = e.state  # _sendable(), inlined: this runs before every segment
        return (self.rgen == host.routes.generation and self.pgen == host.pmtu.generation
                and host.config.ttl == self.ttl
                and (st is REACHABLE or st is DELAY or st is PROBE or st is PERMANENT) and e.lladdr == self.mac
                and self.cache.entries.get(e.addr) is e)

    def send(self, csum_base: int, sport: int, dport: int, seq: int, ack: int, flags: int, window: int, payload,
             options: bytes | None, tsval: int = 0, tsecr: int = 0):
        """Transmit one segment (what `tcp_wire.build_fast` and `Host.ip_send` with DF do):
        True when sent; False when it does not fit the MTU, None when the path is no longer
        `usable` (either way the caller takes the ordinary path, after looking for a new
        cached path in the second case).  The check is made here, not by a separate call
        to `usable()` before each segment: one Python frame less per segment.

        `options` None stands for the timestamp option alone (NOP, NOP, TS `tsval` `tsecr`,
        the layout of RFC 7323 Appendix A), the option of nearly every segment: it is
        packed with the headers, and its checksum words are summed from the two values."""
        host = self.host
        e = self.entry
        st = e.state  # usable(), inlined
        if not (self.rgen == host.routes.generation and self.pgen == host.pmtu.generation
                and host.config.ttl == self.ttl
                and (st is REACHABLE or st is DELAY or st is PROBE or st is PERMANENT) and e.lladdr == self.mac
                and self.cache.entries.get(e.addr) is e):
            return None
        olen = 12 if options is None else len(options)
        plen = len(payload)
        tcp_len = 20 + olen + plen
        if tcp_len > self.limit:
            return False
        offflags = ((20 + olen) << 10) | flags
        # seq, ack: 2**16 == 1 mod 0xFFFF.  The small fields are summed first: small-integer
        # additions, then fewer additions of 32-bit or wider numbers.
        if options is None:  # the option's 16-bit words: 0x0101, 0x080A, TSval's and TSecr's
            total = csum_base + seq + ack + tsval + tsecr + (offflags + window + olen + plen + 0x0101 + 0x080A)
        else:
            total = csum_base + seq + ack + (offflags + window + olen + plen)
            if olen:
                total += _from_bytes(options, "big")
        if plen:
            if plen & 1:
                total += _from_bytes(payload, "big") << 8
            else:
                total += _from_bytes(payload, "big")
        total %= 0xFFFF
        host._ident = ident = (host._ident + 1) & 0xFFFF
        ip_total = 20 + tcp_len
        if options is None:
            head = _ETH_IP_TCP_TS.pack(self.head, ip_total, ident, self.df_ttl,
                                       -(self.ip_base + ip_total + ident) % 0xFFFF, self.addrs, sport, dport, seq, ack,
                                       offflags, window, 0xFFFF - total if total else 0, 0x0101080A, tsval, tsecr)
            frame = head + payload if plen else head  # (66 bytes at least: no padding)
        else:
            head = _ETH_IP_TCP.pack(self.head, ip_total, ident, self.df_ttl,
                                    -(self.ip_base + ip_total + ident) % 0xFFFF, self.addrs, sport, dport, seq, ack,
                                    offflags, window, 0xFFFF - total if total else 0)
            if plen:
                frame = b"".join((head, options, payload))
            elif olen:
                frame = head + options
            else:
                frame = head
            if len(frame) < 60:
                frame += bytes(60 - len(frame))
        # _put(frame), inlined: one Python frame less per segment (keep the two alike)
        ch = self.lane
        size = len(frame)
        if ch is None or not ch._plain or ch.captures or size - 14 > ch.mtu:
            self.channel.transmit(VerifiedFrame(frame))
            return True
        stats = ch.stats
        stats["frames"] += 1
        stats["bytes"] += size
        ev = ch.events
        at = ev.now + ch.delay
        way = self.way
        if way is not None:
            generation, sw, e, s, out, attrs = way
            if generation == sw.generation:
                # (see _put)
                aging = sw.aging
                if at - e[1] <= aging and at - s[1] <= aging and out._plain and not out.captures \
                        and size - 14 <= out.mtu and "receive" not in attrs:
                    s[1] = at
                    sw.stats["forwarded"] += 1
                    stats = out.stats
                    stats["frames"] += 1
                    stats["bytes"] += size
                    heappush(ev._heap, (at + out.delay, next(ev._seq), out.arrive_verified, frame))
                    return True
        ahead = ch._ahead
        if ahead is not None:
            out = ahead(ch.dst_port, frame, at)
            if out is not None:  # (see _put)
                sw = ch.dst
                generation = getattr(sw, "generation", None)
                if generation is not None:
                    table = sw.table
                    self.way = (generation, sw, table[self.mac], table[self.smac], out, sw.__dict__)
                heappush(ev._heap, (at + out.delay, next(ev._seq), out.arrive_verified, frame))
                return True
        heappush(ev._heap, (at, next(ev._seq), ch.arrive_verified, frame))
        return True

    def _put(self, frame) -> bool:
        """Put a built frame (its bytes, checksums good) on the interface's channel (True).

        Channel.transmit(), inlined for a channel that only delays (no bandwidth limit,
        impairment or capture): the same counters and the same arrival event, in the same
        order, a Python frame less per segment.  Any other channel transmits.
        The frame is marked a `VerifiedFrame` only when it is transmitted: the arrival event
        scheduled here calls the far end's `arrive_verified`, which knows it is good, so
        the copy that marking makes is saved on the usual way.
        (`TcpFastPath.send` has it inlined: keep the two alike.)"""
        ch = self.lane
        size = len(frame)
        if ch is None or not ch._plain or ch.captures or size - 14 > ch.mtu:
            self.channel.transmit(VerifiedFrame(frame))
            return True
        stats = ch.stats
        stats["frames"] += 1
        stats["bytes"] += size
        ev = ch.events
        at = ev.now + ch.delay
        way = self.way  # (only ever set when the channel leads to a switch that decides ahead)
        if way is not None:
            generation, sw, e, s, out, attrs = way
            if generation == sw.generation:
                # Switch.decide_ahead(), inlined for the way it last decided for our frames:
                # the table has gained, lost and moved no entry since (`generation`), so its
                # lookups would find the same entries for our two MACs, with the same ports
                # (so the same channel out), and no MAC has moved since (a move bumps the
                # generation, and decide_ahead decides nothing after one); the tests that
                # may have changed since are made again here, then its updates.  When one
                # fails, decide_ahead decides.
                aging = sw.aging
                if at - e[1] <= aging and at - s[1] <= aging and out._plain and not out.captures \
                        and size - 14 <= out.mtu and "receive" not in attrs:
                    s[1] = at
                    sw.stats["forwarded"] += 1
                    stats = out.stats
                    stats["frames"] += 1
                    stats["bytes"] += size
                    heappush(ev._heap, (at + out.delay, next(ev._seq), out.arrive_verified, frame))
                    return True
        ahead = ch._ahead
        if ahead is not None:
            out = ahead(ch.dst_port, frame, at)
            if out is not None:  # the switch's forwarding, done ahead: straight to the next hop
                sw = ch.dst
                generation = getattr(sw, "generation", None)
                if generation is not None:  # the entries it decided on, for the next segment
                    table = sw.table
                    self.way = (generation, sw, table[self.mac], table[self.smac], out, sw.__dict__)
                heappush(ev._heap, (at + out.delay, next(ev._seq), out.arrive_verified, frame))
                return True
        heappush(ev._heap, (at, next(ev._seq), ch.arrive_verified, frame))
        return True


# Ethernet II + IPv6 without extensions + TCP, packed as _ETH_IP_TCP is: the Ethernet header
# with IPv6's version, traffic class and flow label (18s), payload length, next header +
# hop limit (H), the two addresses (32s); then TCP as for IPv4
_ETH_IP6_TCP = struct.Struct("!18sHH32sHHIIHHH2x")
_ETH_IP6_TCP_TS = struct.Struct("!18sHH32sHHIIHHH2xIII")  # the same + NOP NOP TS (TcpFastPath6.send)


class TcpFastPath6(TcpFastPath):
    """The same for IPv6 (what `Ipv6Layer.send` and `transmit_via` decide): no header
    checksum; the hop limit and the interface's IPv6 MTU (a router may advertise either)
    are re-checked with the rest."""

    __slots__ = ("iface", "nh_hops")

    def __init__(self, host, iface, cache, entry, src: bytes, dst: bytes, hop_limit: int) -> None:
        super().__init__(host, iface, cache, entry, src, dst, hop_limit)
        self.iface = iface
        self.pgen = host.ip6.pmtu.generation
        # (see _ETH_IP6_TCP) the Ethernet header with IPv6's first word (version 6, traffic
        # class and flow label 0); next header 6 and the hop limit as one 16-bit word
        self.head = self.mac + self.smac + b"\x86\xdd\x60\x00\x00\x00"
        self.nh_hops = 6 << 8 | hop_limit

    def usable(self) -> bool:
        host = self.host
        e = self.entry
        st = e.state
        return (self.rgen == host.routes.generation and self.pgen == host.ip6.pmtu.generation
                and host.ip6.hop_limit == self.ttl
                and (st is REACHABLE or st is DELAY or st is PROBE or st is PERMANENT) and e.lladdr == self.mac
                and self.cache.entries.get(e.addr) is e)

    def send(self, csum_base: int, sport: int, dport: int, seq: int, ack: int, flags: int, window: int, payload,
             options: bytes | None, tsval: int = 0, tsecr: int = 0):
        host = self.host
        e = self.entry
        st = e.state  # usable(), inlined (None: no longer usable, as TcpFastPath.send)
        if not (self.rgen == host.routes.generation and self.pgen == host.ip6.pmtu.generation
                and host.ip6.hop_limit == self.ttl
                and (st is REACHABLE or st is DELAY or st is PROBE or st is PERMANENT) and e.lladdr == self.mac
                and self.cache.entries.get(e.addr) is e):
            return None
        olen = 12 if options is None else len(options)
        plen = len(payload)
        tcp_len = 20 + olen + plen
        if tcp_len > self.iface.mtu6 - 40:
            return False
        offflags = ((20 + olen) << 10) | flags
        # (the checksum arithmetic of TcpFastPath.send: seq, ack: 2**16 == 1 mod 0xFFFF)
        if options is None:  # the timestamp option alone, packed with the headers
            total = csum_base + seq + ack + tsval + tsecr + (offflags + window + olen + plen + 0x0101 + 0x080A)
        else:
            total = csum_base + seq + ack + (offflags + window + olen + plen)
            if olen:
                total += _from_bytes(options, "big")
        if plen:
            if plen & 1:
                total += _from_bytes(payload, "big") << 8
            else:
                total += _from_bytes(payload, "big")
        total %= 0xFFFF
        if options is None:
            head = _ETH_IP6_TCP_TS.pack(self.head, tcp_len, self.nh_hops, self.addrs, sport, dport, seq, ack, offflags,
                                        window, 0xFFFF - total if total else 0, 0x0101080A, tsval, tsecr)
            frame = head + payload if plen else head
        else:
            head = _ETH_IP6_TCP.pack(self.head, tcp_len, self.nh_hops, self.addrs, sport, dport, seq, ack, offflags,
                                     window, 0xFFFF - total if total else 0)
            if plen:
                frame = b"".join((head, options, payload))
            elif olen:
                frame = head + options
            else:
                frame = head
        host.stats["ip6.tx.packets"] += 1
        return self._put(frame)


def tcp_fast_path(host, src: bytes, dst: bytes):
    """A fast path toward `dst` if one applies now (as `udp_fast_path`), else None."""
    if len(dst) == 16:
        return _tcp_fast_path6(host, src, dst)
    way = _resolved_way4(host, dst)
    if way is None:
        return None
    return TcpFastPath(host, *way, src, dst, host.config.ttl)


def _tcp_fast_path6(host, src: bytes, dst: bytes):
    """IPv6: global unicast through a route (link-local and multicast destinations, whose
    interface depends on the source or a scope, take the ordinary path)."""
    from .addr import IPV6_LOOPBACK, is_link_local

    ip6 = getattr(host, "ip6", None)
    if ip6 is None or dst in host._local6 or dst == IPV6_LOOPBACK or dst[0] == 0xFF or is_link_local(dst):
        return None
    way = _resolved_way(host, dst, host.ndp.caches, ip6.pmtu)
    if way is None:
        return None
    return TcpFastPath6(host, *way, src, dst, ip6.hop_limit)
