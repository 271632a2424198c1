"""Raw IP endpoints (what SOCK_RAW sockets hold): a copy of every packet of one protocol.

As on Linux for IPv4, a raw endpoint receives whole datagrams including the IP header,
after reassembly, alongside the stack's own processing (the host still answers echo
requests).  Sending builds the IP header unless the socket set IP_HDRINCL.
"""

from __future__ import annotations

import errno
from collections import deque

from .udp import DATAGRAM_OVERHEAD, RCVBUF_DEFAULT, oserror
from .waitable import Waitable


class RawEndpoint(Waitable):
    __slots__ = ("watchers", "layer", "proto", "local", "remote", "rxq", "rx_bytes", "rcvbuf", "hdrincl", "ttl",
                 "tos", "broadcast", "closed", "error", "family_len", "icmp_filter", "icmp6_filter",
                 "mcast_loop", "mcast_if", "mcast_ttl")

    def __init__(self, layer: "RawLayer", proto: int, family_len: int = 4) -> None:
        self.watchers: list = []
        self.layer = layer
        self.proto = proto
        self.family_len = family_len
        self.local: bytes | None = None
        self.remote: bytes | None = None
        self.rxq: deque = deque()
        self.rx_bytes = 0
        self.rcvbuf = RCVBUF_DEFAULT
        self.hdrincl = proto == 255  # IPPROTO_RAW implies IP_HDRINCL
        self.ttl: int | None = None
        self.tos = 0
        self.broadcast = False
        self.closed = False
        self.error: int | None = None
        self.icmp_filter = 0  # ICMP_FILTER bitmask of types not delivered
        self.icmp6_filter = 0  # ICMP6_FILTER (RFC 3542 §3.2): a set bit blocks that type
        # IP(V6)_MULTICAST_LOOP / _IF / _TTL (_HOPS) apply to raw sockets as to UDP ones: a
        # ping to ff02::1 hears this host's own answer too, as on Linux.
        self.mcast_loop = True
        self.mcast_if: int | None = None
        self.mcast_ttl = 1

    @property
    def readable(self) -> bool:
        return bool(self.rxq) or self.closed or self.error is not None

    def recv(self, peek: bool = False):
        if not self.rxq:
            return None
        if peek:
            return self.rxq[0]
        item = self.rxq.popleft()
        self.rx_bytes -= len(item[0]) + DATAGRAM_OVERHEAD
        return item

    def sendto(self, data, dst: bytes, now: int) -> int:
        env = self.layer.env
        if env.is_broadcast(dst) and not self.broadcast:
            raise oserror(errno.EACCES)
        if self.hdrincl:
            err = env.ip_send_raw(bytes(data))
        else:
            src = self.local if self.local and any(self.local) else env.source_for(dst)
            if src is None:
                raise oserror(errno.ENETUNREACH)
            data = bytes(data)
            if len(dst) == 16 and self.proto == 58 and len(data) >= 4:
                # RFC 3542 §3.1: the kernel computes the ICMPv6 checksum of raw ICMPv6 sockets
                from .wire.checksum import transport_checksum

                zeroed = data[:2] + b"\0\0" + data[4:]
                data = data[:2] + transport_checksum(src, dst, 58, zeroed).to_bytes(2, "big") + data[4:]
            if dst[0] >= 0xFF if len(dst) == 16 else 224 <= dst[0] <= 239:
                err = env.ip_send(src, dst, self.proto, data, ttl=self.mcast_ttl, tos=self.tos, df=False,
                                  ifindex=self.mcast_if, mcast_loop=self.mcast_loop)
            else:
                err = env.ip_send(src, dst, self.proto, data, ttl=self.ttl, tos=self.tos, df=False)
        if err:
            raise oserror(err)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            memberships = getattr(self.layer.env, "memberships", None)
            if memberships is not None:
                memberships.drop_owner(self)
            self.layer.endpoints.remove(self)
            self._signal()

    def _deliver(self, packet: bytes, src: bytes, info: tuple = (None, None, None, None)) -> None:
        """Queue one packet as `(packet, (src, 0), ttl, tos, dst, ifindex)`: what its IP
        header said and where it came in, for recvmsg's ancillary data (as UdpEndpoint)."""
        cost = len(packet) + DATAGRAM_OVERHEAD
        if self.rx_bytes + cost > self.rcvbuf and self.rxq:
            self.layer.env.stats["raw.rx.rcvbuf_full"] += 1
            return
        self.rxq.append((packet, (src, 0)) + info)
        self.rx_bytes += cost
        self._signal()


class RawLayer:
    def __init__(self, env) -> None:
        self.env = env
        self.endpoints: list[RawEndpoint] = []

    def endpoint(self, proto: int, family_len: int = 4) -> RawEndpoint:
        ep = RawEndpoint(self, proto, family_len)
        self.endpoints.append(ep)
        return ep

    def input(self, proto: int, src: bytes, dst: bytes, packet: bytes, icmp_type: int | None = None,
              family_len: int = 4, ttl: int | None = None, tos: int | None = None,
              ifindex: int | None = None) -> bool:
        """Copy `packet` to every matching raw endpoint; True if any took it.  IPv4 endpoints
        get the IP header too; IPv6 ones never do (RFC 3542 §3).  `ttl` and `tos` (hop
        limit and traffic class) and the interface go with it for recvmsg."""
        info = (ttl, tos, dst, ifindex)
        took = False
        for ep in self.endpoints:
            if ep.proto != proto and ep.proto != 255 or ep.family_len != len(src):
                continue
            if ep.local and any(ep.local) and ep.local != dst:
                continue
            if ep.remote and ep.remote != src:
                continue
            if icmp_type is not None:
                if family_len == 4 and icmp_type < 32 and ep.icmp_filter >> icmp_type & 1:
                    continue
                if family_len == 16 and ep.icmp6_filter >> icmp_type & 1:
                    continue
            ep._deliver(packet, src, info)
            took = True
        return took
