"""Neighbor Discovery (RFC 4861): address resolution, unreachability detection, router
discovery and redirects, on the neighbor cache that ARP also uses (`neighbor.py`).

What arrives here has already passed the IPv6 layer and the ICMPv6 checksum; this module
applies the rest of §6.1 and §7.1 (hop limit 255, address rules) before believing a
message, since a message from off-link could otherwise poison the cache.

Router discovery (§6.3): a host solicits a router when an interface comes up (up to
MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart, stopping at the first
advertisement), and from each advertisement keeps a default router (a ::/0 route with
the router's lifetime), on-link prefixes (connected routes with their valid lifetime),
addresses from autonomous prefixes (SLAAC, `addrconf.py`), the link MTU and the
reachable and retransmission times.  Routers that advertise live in `radv.py`.
"""

from __future__ import annotations

import heapq

from .addr import ALL_NODES, ALL_ROUTERS, MAC_ZERO, is_link_local, solicited_node
from .addrconf import S as AddrS
from .neighbor import NeighborCache, NeighborState, earliest, poll_all
from .wire import icmpv6 as icmp6
from .wire.errors import WireError
from .wire.icmpv6 import NdOptions

MAX_RTR_SOLICITATIONS = 3
RTR_SOLICITATION_INTERVAL = 4_000_000  # µs
MAX_RTR_SOLICITATION_DELAY = 1_000_000
ND_HOP_LIMIT = 255
UNSPECIFIED = bytes(16)


class NdpLayer:
    def __init__(self, host) -> None:
        self.host = host
        self.caches: dict[int, NeighborCache] = {}  # per interface index
        self.routers: dict[tuple[int, bytes], int | None] = {}  # (ifindex, router) -> expiry µs
        self.prefixes: dict[tuple[int, bytes, int], int | None] = {}  # (ifindex, prefix, len) -> expiry
        self._timers: list = []  # (at, seq, kind, data)
        self._seq = 0
        self._rs_left: dict[int, int] = {}  # ifindex -> router solicitations still to send

    # -- the neighbor cache -------------------------------------------------------------

    def cache(self, iface) -> NeighborCache:
        c = self.caches.get(iface.index)
        if c is None:
            def solicit(addr, lladdr, now, iface=iface):
                self.solicit(iface, addr, lladdr)

            c = NeighborCache(self.host.config.neighbor, self.host.rng, self.host.stats, self.host.trace, solicit,
                              "ndp")
            c.owner = self.host
            self.caches[iface.index] = c
        return c

    def solicit(self, iface, target: bytes, unicast: bytes | None, src: bytes | None = None) -> None:
        """A Neighbor Solicitation for `target`: multicast to its solicited-node group to
        resolve it, or unicast to its known address to probe it (§7.2.2, §7.3.3)."""
        host = self.host
        if src is None:
            src = host.ndp_source(iface, target)
        if src is None:
            host.stats["ndp.tx.no_source"] += 1
            return
        # An optimistic source still carries its link-layer address, as Linux sends it: without
        # it two optimistic neighbors would each wait for the other to resolve them first.
        slla = iface.mac
        dst = solicited_node(target) if unicast is None else target
        msg = icmp6.build_nd(icmp6.NeighborSolicit(target, NdOptions(source_lladdr=slla)), src, dst)
        host.stats["ndp.tx.ns"] += 1
        host.ip6.send_nd(iface, src, dst, msg, unicast)

    def send_dad_probe(self, iface, target: bytes) -> None:
        """RFC 4862 §5.4.2: from the unspecified address, without a source link-layer address."""
        dst = solicited_node(target)
        msg = icmp6.build_nd(icmp6.NeighborSolicit(target), UNSPECIFIED, dst)
        self.host.stats["ndp.tx.ns_dad"] += 1
        self.host.trace("ndp", "dad_probe", target=target, iface=iface.name)
        self.host.ip6.send_nd(iface, UNSPECIFIED, dst, msg, None)

    def advertise(self, iface, target: bytes, dst: bytes, solicited: bool, unicast: bytes | None = None) -> None:
        host = self.host
        a = iface.addrs6.get(target)
        override = a is None or a.state is not AddrS.OPTIMISTIC  # RFC 4429 §3.3: no override while optimistic
        src = target if a is not None and a.usable else host.ndp_source(iface, dst)
        if src is None:
            return
        na = icmp6.NeighborAdvert(target, host.config.forwarding, solicited, override,
                                  NdOptions(target_lladdr=iface.mac))
        host.stats["ndp.tx.na"] += 1
        host.ip6.send_nd(iface, src, dst, icmp6.build_nd(na, src, dst), unicast)

    # -- input ----------------------------------------------------------------------------

    def input(self, iface, hdr, ic, body, now: int) -> None:
        host = self.host
        if hdr.hop_limit != ND_HOP_LIMIT:
            host._drop("ndp.rx.hop_limit", "ndp", "hop limit is not 255: not from this link", src=hdr.src,
                       hop_limit=hdr.hop_limit)
            return
        try:
            msg = icmp6.parse_nd(ic, body)
        except WireError as e:
            host._drop(f"ndp.rx.{e.reason}", "ndp", e.reason, detail=str(e), src=hdr.src)
            return
        kind = type(msg).__name__
        host.stats[f"ndp.rx.{kind}"] += 1
        if isinstance(msg, icmp6.NeighborSolicit):
            self._ns_input(iface, hdr, msg, now)
        elif isinstance(msg, icmp6.NeighborAdvert):
            self._na_input(iface, hdr, msg, now)
        elif isinstance(msg, icmp6.RouterAdvert):
            self._ra_input(iface, hdr, msg, now)
        elif isinstance(msg, icmp6.RouterSolicit):
            radv = host.radv
            if radv is not None:
                radv.solicited(iface, hdr, msg, now)
        elif isinstance(msg, icmp6.Redirect):
            self._redirect_input(iface, hdr, msg, now)

    def _ns_input(self, iface, hdr, ns, now: int) -> None:
        host = self.host
        src = hdr.src
        dad = src == UNSPECIFIED
        if dad and (hdr.dst != solicited_node(ns.target) or ns.options.source_lladdr is not None):
            host._drop("ndp.rx.invalid", "ndp", "DAD solicitation breaking §7.1.1", target=ns.target)
            return
        a = iface.addrs6.get(ns.target)
        if a is None or a.state is AddrS.DUPLICATE:
            host.stats["ndp.rx.ns_not_for_us"] += 1
            return
        if a.tentative and (dad or a.state is AddrS.TENTATIVE):
            if dad:  # RFC 4862 §5.4.3: someone else is trying the same address
                host.addrconf.conflict(a, "neighbor solicitation from another node's DAD")
            return  # §5.4.3: a tentative address answers nobody (an optimistic one does, RFC 4429 §3.3)
        slla = ns.options.source_lladdr
        if not dad:
            if slla is not None:
                self._learn(iface, src, slla, now)
            self.advertise(iface, ns.target, src, True, slla)
        else:
            # someone else's DAD found our address: defend it (§7.2.4, to all-nodes, S=0)
            host.trace("ndp", "dad_defended", target=ns.target, iface=iface.name)
            self.advertise(iface, ns.target, ALL_NODES, False)

    def _learn(self, iface, addr: bytes, lladdr: bytes, now: int) -> None:
        """§7.2.3: a solicitation's source link-layer address creates or updates an entry."""
        cache = self.cache(iface)
        e = cache.entries.get(addr)
        if e is not None and e.state is NeighborState.INCOMPLETE:
            queued = cache.confirm(addr, lladdr, now, False, True)
            cache._set_state(e, NeighborState.STALE, "solicitation from the neighbor", now)
            cache._arm(e, now + cache.config.gc_stale_time)
        else:
            queued = cache.confirm(addr, lladdr, now, False, True)
        self._flush(iface, addr, lladdr, queued)

    def _flush(self, iface, addr: bytes, lladdr: bytes, queued) -> None:
        for packet in queued:
            self.host.ip6.transmit(iface, lladdr, packet)

    def _na_input(self, iface, hdr, na, now: int) -> None:
        host = self.host
        if hdr.dst[0] == 0xFF and na.solicited:
            host._drop("ndp.rx.invalid", "ndp", "solicited advertisement to a multicast address", target=na.target)
            return
        a = iface.addrs6.get(na.target)
        if a is not None:
            if a.tentative:
                host.addrconf.conflict(a, f"neighbor advertisement from {host_str(na.options.target_lladdr)}")
            elif na.options.target_lladdr not in (None, iface.mac):
                host.addrconf.conflict(a, "another node advertises our address")
            return
        cache = self.cache(iface)
        e = cache.entries.get(na.target)
        if e is None:
            host.stats["ndp.rx.na_unsolicited_unknown"] += 1  # §7.2.5: no entry, nothing to update
            return
        tlla = na.options.target_lladdr
        if e.state is NeighborState.INCOMPLETE:
            if tlla is None:
                return
            queued = cache.confirm(na.target, tlla, now, na.solicited, False)
            if not na.solicited:
                cache._set_state(e, NeighborState.STALE, "unsolicited advertisement", now)
                cache._arm(e, now + cache.config.gc_stale_time)
            self._flush(iface, na.target, tlla, queued)
        elif not na.override and tlla is not None and tlla != e.lladdr:
            # §7.2.5: a different address without Override only casts doubt on a REACHABLE entry
            if e.state is NeighborState.REACHABLE:
                cache._set_state(e, NeighborState.STALE, "advertisement without override", now)
                cache._arm(e, now + cache.config.gc_stale_time)
        elif na.solicited or (tlla is not None and tlla != e.lladdr):
            queued = cache.confirm(na.target, tlla if tlla is not None else e.lladdr, now, na.solicited, False)
            self._flush(iface, na.target, e.lladdr, queued)
        if not na.router and (iface.index, na.target) in self.routers:
            self._router_gone(iface, na.target, "neighbor advertisement without the router flag")  # §7.2.5

    # -- router discovery (hosts) ------------------------------------------------------

    def start_router_solicitation(self, iface, now: int) -> None:
        if self.host.config.forwarding or not self.host.config.accept_ra:
            return
        self._rs_left[iface.index] = MAX_RTR_SOLICITATIONS
        delay = int(self.host.rng.random() * MAX_RTR_SOLICITATION_DELAY)
        self._timer(now + delay, "rs", iface)

    def _send_rs(self, iface) -> None:
        host = self.host
        src = host.ndp_source(iface, ALL_ROUTERS)
        a = iface.addrs6.get(src) if src else None
        slla = iface.mac if a is not None and a.state is not AddrS.OPTIMISTIC else None  # RFC 4429 §3.2
        src = src or UNSPECIFIED  # §6.3.7: the unspecified address, and then no link-layer option
        msg = icmp6.build_nd(icmp6.RouterSolicit(NdOptions(source_lladdr=slla)), src, ALL_ROUTERS)
        host.stats["ndp.tx.rs"] += 1
        host.trace("ndp", "router_solicit", iface=iface.name)
        host.ip6.send_nd(iface, src, ALL_ROUTERS, msg, None)

    def _ra_input(self, iface, hdr, ra, now: int) -> None:
        host = self.host
        if not is_link_local(hdr.src) or hdr.src[0] == 0xFF:
            host._drop("ndp.rx.invalid", "ndp", "router advertisement from a non-link-local source", src=hdr.src)
            return
        if host.config.forwarding or not host.config.accept_ra:
            host.stats["ndp.rx.ra_ignored"] += 1
            return
        self._rs_left.pop(iface.index, None)  # §6.3.7: stop soliciting once a router answers
        router = hdr.src
        opts = ra.options
        host.trace("ndp", "router_advert", router=router, lifetime=ra.router_lifetime,
                   prefixes=[f"{host_str(p.prefix)}/{p.prefix_len}" for p in opts.prefixes], mtu=opts.mtu)
        cache = self.cache(iface)
        if ra.cur_hop_limit:
            host.ip6.hop_limit = ra.cur_hop_limit
        if ra.reachable_time and ra.reachable_time * 1000 != cache.config.base_reachable_time:
            cache.reachable_time = int(ra.reachable_time * 1000 * (0.5 + host.rng.random()))
        if ra.retrans_timer:
            cache.config = _with(cache.config, retrans_time=ra.retrans_timer * 1000)
        if opts.source_lladdr is not None:
            self._learn(iface, router, opts.source_lladdr, now)
        if opts.mtu is not None:
            if icmp6.MIN_MTU <= opts.mtu <= iface.mtu:
                if opts.mtu != iface.mtu6:
                    iface.mtu6 = opts.mtu
                    host.routes.invalidate()
                    host.trace("ndp", "link_mtu", iface=iface.name, mtu=opts.mtu)
            else:
                host.stats["ndp.rx.ra_bad_mtu"] += 1
        key = (iface.index, router)
        if ra.router_lifetime:
            new = key not in self.routers
            self.routers[key] = now + ra.router_lifetime * 1_000_000
            self._timer(self.routers[key], "router", key)
            if new:
                host.routes.add("::/0", iface, router, 1024, None, "ra")
                host.trace("ndp", "default_router", router=router, iface=iface.name, lifetime=ra.router_lifetime)
        elif key in self.routers:
            self._router_gone(iface, router, "router lifetime zero")
        for p in opts.prefixes:
            self._prefix(iface, p, now)

    def _prefix(self, iface, p, now: int) -> None:
        """§6.3.4 and RFC 4862 §5.5.3 for one Prefix Information option."""
        host = self.host
        if is_link_local(p.prefix) or p.prefix_len > 128:
            return
        if p.preferred_lifetime > p.valid_lifetime:
            host.stats["ndp.rx.prefix_bad_lifetimes"] += 1
            return
        prefix = _masked(p.prefix, p.prefix_len)
        if p.onlink:
            key = (iface.index, prefix, p.prefix_len)
            if p.valid_lifetime == 0:
                if key in self.prefixes:
                    self._prefix_gone(key, "valid lifetime zero")
            else:
                new = key not in self.prefixes
                self.prefixes[key] = None if p.valid_lifetime == icmp6.INFINITY else now + p.valid_lifetime * 1_000_000
                if self.prefixes[key] is not None:
                    self._timer(self.prefixes[key], "prefix", key)
                if new and not any(r.network == prefix and r.prefix_len == p.prefix_len and r.iface is iface
                                   for r in host.routes.routes):
                    host.routes.add(f"{host_str(prefix)}/{p.prefix_len}", iface, None, 256, None, "ra")
        if p.autonomous:
            host.addrconf.slaac(iface, prefix, p.prefix_len, p.valid_lifetime, p.preferred_lifetime, now)

    def _router_gone(self, iface, router: bytes, why: str) -> None:
        self.routers.pop((iface.index, router), None)
        self.host.routes.remove_where(lambda r: r.proto == "ra" and r.gateway == router and r.iface is iface)
        self.host.trace("ndp", "router_gone", router=router, iface=iface.name, why=why)

    def _prefix_gone(self, key, why: str) -> None:
        index, prefix, plen = key
        self.prefixes.pop(key, None)
        self.host.routes.remove_where(lambda r: r.proto == "ra" and r.gateway is None and r.network == prefix
                                      and r.prefix_len == plen and r.iface.index == index)
        self.host.trace("ndp", "prefix_gone", prefix=prefix, prefix_len=plen, why=why)

    # -- redirects (§8.3) -------------------------------------------------------------

    def _redirect_input(self, iface, hdr, rd, now: int) -> None:
        host = self.host
        if not is_link_local(hdr.src):
            host._drop("ndp.rx.invalid", "ndp", "redirect from a non-link-local source", src=hdr.src)
            return
        if rd.destination[0] == 0xFF or not (is_link_local(rd.target) or rd.target == rd.destination):
            host._drop("ndp.rx.invalid", "ndp", "redirect target neither link-local nor the destination")
            return
        current = host.routes.lookup(rd.destination)
        if current is None or current.gateway != hdr.src or current.iface is not iface:
            host._drop("ndp.rx.redirect_not_from_router", "ndp", "redirect not from the current first hop",
                       src=hdr.src, destination=rd.destination)
            return
        host.routes.remove_where(lambda r: r.proto == "redirect" and r.network == rd.destination)
        gateway = None if rd.target == rd.destination else rd.target
        host.routes.add(f"{host_str(rd.destination)}/128", iface, gateway, 0, None, "redirect")
        host.stats["ndp.redirect.accepted"] += 1
        host.trace("ndp", "redirect", destination=rd.destination, target=rd.target, router=hdr.src)
        if rd.options.target_lladdr is not None:
            cache = self.cache(iface)
            queued = cache.confirm(rd.target, rd.options.target_lladdr, now, False, True)
            self._flush(iface, rd.target, rd.options.target_lladdr, queued)

    # -- timers ---------------------------------------------------------------------------

    def _timer(self, at: int, kind: str, data) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (at, self._seq, kind, data))
        self.host._timers_dirty = True

    def poll_at(self) -> int | None:
        return earliest(self.caches, self._timers[0][0] if self._timers else None)

    def poll(self, now: int) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            at, _, kind, data = heapq.heappop(timers)
            if kind == "rs":
                left = self._rs_left.get(data.index, 0)
                if left > 0 and data.up:
                    self._rs_left[data.index] = left - 1
                    self._send_rs(data)
                    if left > 1:
                        self._timer(now + RTR_SOLICITATION_INTERVAL, "rs", data)
            elif kind == "router":
                if self.routers.get(data) == at:
                    self._router_gone(self.host.interfaces[data[0]], data[1], "router lifetime expired")
            elif kind == "prefix":
                if self.prefixes.get(data) == at:
                    self._prefix_gone(data, "valid lifetime expired")
        host = self.host
        poll_all(self.caches, now, lambda i, addr, queued: host.ip6.resolution_failed(host.interfaces[i], addr, queued,
                                                                                       now))


def _masked(prefix: bytes, plen: int) -> bytes:
    n = int.from_bytes(prefix, "big") & (((1 << plen) - 1) << (128 - plen) if plen else 0)
    return n.to_bytes(16, "big")


def _with(config, **changes):
    from dataclasses import replace

    return replace(config, **changes)


def host_str(addr) -> str:
    from .addr import ip_str, mac_str

    if addr is None:
        return "-"
    return mac_str(addr) if len(addr) == 6 else ip_str(addr)


__all__ = ["NdpLayer", "MAC_ZERO"]
