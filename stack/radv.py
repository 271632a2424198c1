"""Router advertisements, sent by a router on the interfaces told to (RFC 4861 §6.2).

Unsolicited advertisements go to all-nodes at random intervals in
[MinRtrAdvInterval, MaxRtrAdvInterval]; the first MAX_INITIAL_RTR_ADVERTISEMENTS come at
most MAX_INITIAL_RTR_ADVERT_INTERVAL apart so that new hosts configure quickly.  A Router
Solicitation is answered after a random delay of up to MAX_RA_DELAY_TIME, never sooner
than MIN_DELAY_BETWEEN_RAS after the previous advertisement (§6.2.6), with one multicast
advertisement that serves every host that asked meanwhile.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from .addr import ALL_NODES, IfAddr, ip_str
from .wire import icmpv6 as icmp6
from .wire.icmpv6 import NdOptions, PrefixInfo

MAX_INITIAL_RTR_ADVERT_INTERVAL = 16_000_000  # µs
MAX_INITIAL_RTR_ADVERTISEMENTS = 3
MIN_DELAY_BETWEEN_RAS = 3_000_000
MAX_RA_DELAY_TIME = 500_000


@dataclass
class AdvertConfig:
    """What one interface advertises (the AdvXxx variables of §6.2.1, radvd's defaults)."""

    prefixes: list = field(default_factory=list)  # PrefixInfo
    min_interval: int = 200_000_000  # µs; MinRtrAdvInterval = 0.33 * MaxRtrAdvInterval
    max_interval: int = 600_000_000
    router_lifetime: int = 1800  # s
    mtu: int | None = None  # AdvLinkMTU; None: not advertised
    cur_hop_limit: int = 64
    reachable_time: int = 0  # ms
    retrans_timer: int = 0  # ms
    managed: bool = False
    other: bool = False


class RouterAdvertiser:
    def __init__(self, host) -> None:
        self.host = host
        self.configs: dict[int, AdvertConfig] = {}
        self._heap: list = []  # (at, seq, ifindex)
        self._next: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._initial: dict[int, int] = {}
        self._seq = 0

    def enable(self, iface, prefixes=(), *, mtu: int | None = None, router_lifetime: int = 1800,
               min_interval: float = 200.0, max_interval: float = 600.0, valid_lifetime: int = 2592000,
               preferred_lifetime: int = 604800, onlink: bool = True, autonomous: bool = True) -> AdvertConfig:
        """Advertise on `iface`; `prefixes` are '2001:db8:1::/64' strings or PrefixInfo."""
        infos = []
        for p in prefixes:
            if isinstance(p, str):
                a = IfAddr.parse(p)
                p = PrefixInfo(a.network, a.prefix_len, onlink, autonomous, valid_lifetime, preferred_lifetime)
            infos.append(p)
        cfg = AdvertConfig(infos, int(min_interval * 1e6), int(max_interval * 1e6), router_lifetime, mtu)
        self.configs[iface.index] = cfg
        self.host.join_group(iface, bytes.fromhex("ff020000000000000000000000000002"))  # all-routers
        self._initial[iface.index] = MAX_INITIAL_RTR_ADVERTISEMENTS
        if iface.up:
            self._schedule(iface.index, self.host.clock())
        return cfg

    def interface_up(self, iface, now: int) -> None:
        if iface.index in self.configs:
            self._initial[iface.index] = MAX_INITIAL_RTR_ADVERTISEMENTS
            self._schedule(iface.index, now)

    def _schedule(self, index: int, at: int) -> None:
        self._seq += 1
        self._next[index] = at
        heapq.heappush(self._heap, (at, self._seq, index))
        self.host._timers_dirty = True

    def solicited(self, iface, hdr, rs, now: int) -> None:
        """§6.2.6: answer a solicitation soon, but not too soon after the last advertisement."""
        if iface.index not in self.configs:
            return
        if rs.options.source_lladdr is not None and hdr.src != bytes(16):
            self.host.ndp._learn(iface, hdr.src, rs.options.source_lladdr, now)
        at = now + int(self.host.rng.random() * MAX_RA_DELAY_TIME)
        last = self._last.get(iface.index)
        if last is not None and at < last + MIN_DELAY_BETWEEN_RAS:
            at = last + MIN_DELAY_BETWEEN_RAS
        if at < self._next.get(iface.index, at + 1):
            self._schedule(iface.index, at)

    def advert_for(self, iface) -> icmp6.RouterAdvert:
        cfg = self.configs[iface.index]
        return icmp6.RouterAdvert(cfg.cur_hop_limit, cfg.managed, cfg.other, cfg.router_lifetime, cfg.reachable_time,
                                  cfg.retrans_timer,
                                  NdOptions(source_lladdr=iface.mac, prefixes=tuple(cfg.prefixes), mtu=cfg.mtu))

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _, index = heapq.heappop(heap)
            if self._next.get(index) != at:
                continue
            iface = self.host.interfaces[index]
            cfg = self.configs.get(index)
            if cfg is None or not iface.up:
                continue
            src = self.host.link_local_of(iface)
            if src is None:
                self._schedule(index, now + 1_000_000)  # no link-local address yet
                continue
            msg = icmp6.build_nd(self.advert_for(iface), src, ALL_NODES)
            self.host.stats["ndp.tx.ra"] += 1
            self.host.trace("ndp", "router_advert_sent", iface=iface.name,
                            prefixes=[f"{ip_str(p.prefix)}/{p.prefix_len}" for p in cfg.prefixes])
            self.host.ip6.send_nd(iface, src, ALL_NODES, msg, None)
            self._last[index] = now
            interval = cfg.min_interval + int(self.host.rng.random() * (cfg.max_interval - cfg.min_interval))
            if self._initial.get(index, 0) > 0:
                self._initial[index] -= 1
                interval = min(interval, MAX_INITIAL_RTR_ADVERT_INTERVAL)
            self._schedule(index, now + interval)
