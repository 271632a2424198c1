"""ARP (RFC 826) over the shared neighbor cache, with RFC 5227 announcements.

Input follows RFC 826's "packet reception" algorithm: if the sender is already in the
cache its hardware address is merged in (a gratuitous ARP updates us); if we are the
target the sender is added, and a request is answered.  An ARP claiming one of our own
addresses from another MAC is an address conflict (RFC 5227 §2.4): counted, traced and
defended with one announcement.
"""

from __future__ import annotations

from .addr import MAC_BROADCAST, MAC_ZERO
from .neighbor import NeighborCache
from .wire import arp as arp_wire
from .wire.errors import WireError
from .wire.ethernet import ETH_P_ARP, ETH_P_IP

ANNOUNCE_NUM = 2  # RFC 5227 §1.1
ANNOUNCE_INTERVAL = 2_000_000


class ArpLayer:
    def __init__(self, host) -> None:
        self.host = host
        self.caches: dict[int, NeighborCache] = {}  # per interface index
        self.announcements: list[tuple[int, object, bytes, int]] = []  # (at, iface, addr, remaining)

    def cache(self, iface) -> NeighborCache:
        c = self.caches.get(iface.index)
        if c is None:
            host = self.host

            def solicit(addr, lladdr, now, iface=iface):
                self._request(iface, addr, lladdr)

            c = NeighborCache(host.config.neighbor, host.rng, host.stats, host.trace, solicit, "arp")
            self.caches[iface.index] = c
        return c

    def _request(self, iface, target: bytes, unicast: bytes | None) -> None:
        src = iface.primary_ipv4()
        if src is None:
            return
        pkt = arp_wire.build(arp_wire.REQUEST, iface.mac, src, MAC_ZERO, target)
        self.host.send_frame(iface, unicast or MAC_BROADCAST, ETH_P_ARP, pkt)

    def announce(self, iface, addr: bytes, now: int) -> None:
        """Start RFC 5227 announcements for a newly configured address."""
        self._send_announcement(iface, addr)
        if ANNOUNCE_NUM > 1:
            self.announcements.append((now + ANNOUNCE_INTERVAL, iface, addr, ANNOUNCE_NUM - 1))

    def _send_announcement(self, iface, addr: bytes) -> None:
        # RFC 5227 §2.3: an ARP request with sender and target protocol address both ours
        pkt = arp_wire.build(arp_wire.REQUEST, iface.mac, addr, MAC_ZERO, addr)
        self.host.stats["arp.tx.announce"] += 1
        self.host.trace("arp", "announce", addr=addr, mac=iface.mac)
        self.host.send_frame(iface, MAC_BROADCAST, ETH_P_ARP, pkt)

    def poll_at(self) -> int | None:
        t = min((a[0] for a in self.announcements), default=None)
        for c in self.caches.values():
            ct = c.poll_at()
            if ct is not None and (t is None or ct < t):
                t = ct
        return t

    def poll(self, now: int) -> None:
        if self.announcements:
            due = [a for a in self.announcements if a[0] <= now]
            if due:
                self.announcements = [a for a in self.announcements if a[0] > now]
                for at, iface, addr, remaining in due:
                    self._send_announcement(iface, addr)
                    if remaining > 1:
                        self.announcements.append((at + ANNOUNCE_INTERVAL, iface, addr, remaining - 1))
        for index, c in list(self.caches.items()):
            if c.poll_at() is not None and c.poll_at() <= now:
                for addr, queued in c.poll(now):
                    self.host.resolution_failed(self.host.interfaces[index], addr, queued, now)

    def input(self, iface, buf: memoryview, now: int) -> None:
        host = self.host
        stats = host.stats
        try:
            pkt = arp_wire.parse(buf)
        except WireError as e:
            stats[f"arp.rx.{e.reason}"] += 1
            host.trace("arp", "drop", reason=e.reason, detail=str(e))
            return
        stats["arp.rx.request" if pkt.op == arp_wire.REQUEST else "arp.rx.reply"] += 1
        ours = iface.has_ipv4(pkt.tpa)
        if iface.has_ipv4(pkt.spa):
            if pkt.sha != iface.mac:
                stats["arp.rx.conflict"] += 1
                host.trace("arp", "conflict", addr=pkt.spa, other_mac=pkt.sha)
            return
        if pkt.sha == MAC_BROADCAST or pkt.sha[0] & 1 or not any(pkt.spa):
            if not any(pkt.spa):  # an RFC 5227 probe: answer if it is for our address
                if ours and pkt.op == arp_wire.REQUEST:
                    self._reply(iface, pkt)
                return
            stats["arp.rx.bogus_sender"] += 1
            host.trace("arp", "drop", reason="multicast or broadcast sender")
            return
        cache = self.cache(iface)
        # RFC 826: merge if known; add if we are the target
        queued = cache.confirm(pkt.spa, pkt.sha, now, solicited=(pkt.op == arp_wire.REPLY and ours), create=ours)
        for packet in queued:
            host.send_frame(iface, pkt.sha, ETH_P_IP, packet)
        if ours and pkt.op == arp_wire.REQUEST:
            self._reply(iface, pkt)

    def _reply(self, iface, req) -> None:
        reply = arp_wire.build(arp_wire.REPLY, iface.mac, req.tpa, req.sha, req.spa)
        self.host.stats["arp.tx.reply"] += 1
        self.host.send_frame(iface, req.sha, ETH_P_ARP, reply)
