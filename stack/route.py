"""The routing table: connected routes, static routes and a default gateway, longest prefix first.

A route says which interface reaches a prefix and whether a gateway (next hop) is needed.
Lookups are memoised per destination; any change to the table clears the memo, so the
per-packet cost of routing is one dict lookup.  Family-agnostic: IPv4 and IPv6 routes
live in the same table, told apart by address length.
"""

from __future__ import annotations

from typing import NamedTuple

from .addr import IfAddr, ip_str, mask


class Route(NamedTuple):
    network: bytes
    prefix_len: int
    iface: object  # stack.host.Interface
    gateway: bytes | None = None  # None: the destination is on-link
    metric: int = 0
    source: bytes | None = None  # preferred source address
    proto: str = "static"  # "kernel" for connected routes, "static", "ra"...

    def matches(self, dst: bytes) -> bool:
        if len(dst) != len(self.network):
            return False
        width = len(dst) * 8
        m = mask(self.prefix_len, width)
        return int.from_bytes(dst, "big") & m == int.from_bytes(self.network, "big")

    def __str__(self) -> str:
        via = f" via {ip_str(self.gateway)}" if self.gateway else ""
        src = f" src {ip_str(self.source)}" if self.source else ""
        return f"{ip_str(self.network)}/{self.prefix_len}{via} dev {self.iface.name} proto {self.proto}{src} metric {self.metric}"


class RouteTable:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        # dst -> its route (None: no route), filled by lookup(); cleared on every change, so a
        # route found here is current (callers on a hot path may read it before calling lookup)
        self.memo: dict[bytes, Route | None] = {}
        self.generation = 0  # bumped on every change, so cached routes can tell they are stale

    def add(self, prefix: str | IfAddr, iface, gateway: bytes | None = None, metric: int = 0,
            source: bytes | None = None, proto: str = "static") -> Route:
        if isinstance(prefix, str):
            prefix = IfAddr.parse(prefix)
        route = Route(prefix.network, prefix.prefix_len, iface, gateway, metric, source, proto)
        self.routes.append(route)
        # longest prefix first, then lowest metric; stable for equal keys
        self.routes.sort(key=lambda r: (len(r.network), r.prefix_len, -r.metric), reverse=True)
        self.memo.clear()
        self.generation += 1
        return route

    def remove(self, route: Route) -> None:
        self.routes.remove(route)
        self.memo.clear()
        self.generation += 1

    def remove_where(self, pred) -> None:
        self.routes = [r for r in self.routes if not pred(r)]
        self.memo.clear()
        self.generation += 1

    def lookup(self, dst: bytes) -> Route | None:
        """Longest-prefix match for `dst` (4 or 16 bytes).  (`Host.source_for` and `Host.path_mtu`
        read `memo` themselves first, a call less per new connection: keep them alike.)"""
        try:
            return self.memo[dst]
        except KeyError:
            pass
        found = None
        for r in self.routes:
            if r.iface.up and r.matches(dst):
                found = r
                break
        if len(self.memo) > 4096:
            self.memo.clear()
        self.memo[dst] = found
        return found

    def invalidate(self) -> None:
        self.memo.clear()
        self.generation += 1

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self.routes)
