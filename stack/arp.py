"""ARP (RFC 826) over the shared neighbor cache, with RFC 5227 announcements.

Input follows RFC 826's "packet reception" algorithm: if the sender is already in the
cache its hardware address is merged in (a gratuitous ARP updates us); if we are the
target the sender is added, and a request is answered.  An ARP claiming one of our own
addresses from another MAC is an address conflict (RFC 5227 §2.4): counted, traced and
defended with one announcement.
"""

from __future__ import annotations

import heapq

from .addr import MAC_BROADCAST, MAC_ZERO
from .neighbor import NeighborCache, earliest, poll_all
from .wire import arp as arp_wire
from .wire.errors import WireError
from .wire.ethernet import ETH_P_ARP, ETH_P_IP

ANNOUNCE_NUM = 2  # RFC 5227 §1.1
ANNOUNCE_INTERVAL = 2_000_000


class ArpLayer:
    def __init__(self, host) -> None:
        self.host = host
        self.caches: dict[int, NeighborCache] = {}  # per interface index
        self.announcements: list = []  # heap of (at, seq, iface, addr, remaining)
        self._seq = 0

    def cache(self, iface) -> NeighborCache:
        c = self.caches.get(iface.index)
        if c is None:
            host = self.host

            def solicit(addr, lladdr, now, iface=iface):
                self._request(iface, addr, lladdr)

            c = NeighborCache(host.config.neighbor, host.rng, host.stats, host.trace, solicit, "arp")
            c.owner = host
            self.caches[iface.index] = c
        return c

    def _request(self, iface, target: bytes, unicast: bytes | None) -> None:
        src = iface.primary_ipv4()
        if src is None:
            return
        pkt = arp_wire.build(arp_wire.REQUEST, iface.mac, src, MAC_ZERO, target)
        self.host.send_frame(iface, unicast or MAC_BROADCAST, ETH_P_ARP, pkt)

    def announce(self, iface, addr: bytes, at: int, count: int = ANNOUNCE_NUM) -> None:
        """Schedule RFC 5227 announcements of a newly configured address, starting at `at`."""
        self._seq += 1
        heapq.heappush(self.announcements, (at, self._seq, iface, addr, count))
        self.host._timers_dirty = True

    def _send_announcement(self, iface, addr: bytes) -> None:
        # RFC 5227 §2.3: an ARP request with sender and target protocol address both ours
        pkt = arp_wire.build(arp_wire.REQUEST, iface.mac, addr, MAC_ZERO, addr)
        self.host.stats["arp.tx.announce"] += 1
        self.host.trace("arp", "announce", addr=addr, mac=iface.mac)
        self.host.send_frame(iface, MAC_BROADCAST, ETH_P_ARP, pkt)

    def poll_at(self) -> int | None:
        return earliest(self.caches, self.announcements[0][0] if self.announcements else None)

    def poll(self, now: int) -> None:
        ann = self.announcements
        while ann and ann[0][0] <= now:
            at, _, iface, addr, remaining = heapq.heappop(ann)
            self._send_announcement(iface, addr)
            if remaining > 1:
                self.announce(iface, addr, at + ANNOUNCE_INTERVAL, remaining - 1)
        host = self.host
        poll_all(self.caches, now, lambda i, addr, queued: host.resolution_failed(host.interfaces[i], addr, queued, now))

    def input(self, iface, buf: memoryview, now: int) -> None:
        host = self.host
        stats = host.stats
        try:
            pkt = arp_wire.parse(buf)
        except WireError as e:
            stats[f"arp.rx.{e.reason}"] += 1
            host.trace("arp", "drop", reason=e.reason, detail=str(e))
            return
        request = pkt.op == arp_wire.REQUEST
        stats["arp.rx.request" if request else "arp.rx.reply"] += 1
        addrs = iface.addrs4
        spa = pkt.spa
        ours = pkt.tpa in addrs
        cache = self.caches.get(iface.index)
        if not ours and (cache is None or spa not in cache.entries) and spa not in addrs:
            return  # RFC 826: neither for us nor about anyone we know; the common broadcast case
        if spa in addrs:
            if pkt.sha != iface.mac:
                stats["arp.rx.conflict"] += 1
                host.trace("arp", "conflict", addr=spa, other_mac=pkt.sha)
            return
        if pkt.sha[0] & 1 or not any(spa):
            if not any(spa):  # an RFC 5227 probe: answer if it is for our address
                if ours and request:
                    self._reply(iface, pkt)
                return
            stats["arp.rx.bogus_sender"] += 1
            host.trace("arp", "drop", reason="multicast or broadcast sender")
            return
        if cache is None:
            cache = self.cache(iface)
        # RFC 826: merge if known; add if we are the target
        queued = cache.confirm(spa, pkt.sha, now, solicited=(ours and not request), create=ours)
        for packet in queued:
            host.send_frame(iface, pkt.sha, ETH_P_IP, packet)
        if ours and request:
            self._reply(iface, pkt)

    def _reply(self, iface, req) -> None:
        reply = arp_wire.build(arp_wire.REPLY, iface.mac, req.tpa, req.sha, req.spa)
        self.host.stats["arp.tx.reply"] += 1
        self.host.send_frame(iface, req.sha, ETH_P_ARP, reply)
