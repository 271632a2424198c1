"""UDP (RFC 768) endpoints and demultiplexing, family-agnostic.

An endpoint is what a datagram socket holds in the stack: a local binding, an optional
peer, a bounded receive queue and a pending error.  Demultiplexing follows Linux: the
most specific match wins (connected 4-tuple, then bound address, then wildcard) for
unicast; broadcast and multicast go to every matching endpoint, which is how several
SO_REUSEADDR sockets on one port all receive a group's datagrams.
"""

from __future__ import annotations

import errno
import os
from collections import deque

from .waitable import Waitable
from .wire import udp as udp_wire
from .wire import udplite as udplite_wire
from .wire.errors import WireError

EPHEMERAL_LOW = 32768  # Linux net.ipv4.ip_local_port_range
EPHEMERAL_HIGH = 60999
RCVBUF_DEFAULT = 212_992  # net.core.rmem_default
SNDBUF_DEFAULT = 212_992
DATAGRAM_OVERHEAD = 256  # bytes charged per queued datagram besides its payload (Linux charges skb truesize)


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class UdpEndpoint(Waitable):
    __slots__ = ("watchers", "layer", "local", "remote", "rxq", "rx_bytes", "rcvbuf", "sndbuf", "reuseaddr",
                 "reuseport", "broadcast", "error", "closed", "ttl", "tos", "pmtudisc", "family_len",
                 "shut_rd", "shut_wr", "mcast_ttl", "mcast_loop", "bound_explicitly", "fast", "v6only", "mcast_if",
                 "mc_all", "cscov_send", "cscov_recv")

    def __init__(self, layer: "UdpLayer", family_len: int) -> None:
        self.watchers: list = []
        self.layer = layer
        self.family_len = family_len  # 4 or 16: the address family of the socket
        self.local: tuple[bytes, int] | None = None
        self.remote: tuple[bytes, int] | None = None
        self.rxq: deque = deque()
        self.rx_bytes = 0
        self.rcvbuf = RCVBUF_DEFAULT
        self.sndbuf = SNDBUF_DEFAULT
        self.reuseaddr = False
        self.reuseport = False
        self.broadcast = False
        self.error: int | None = None
        self.closed = False
        self.ttl: int | None = None
        self.tos = 0
        self.pmtudisc = True  # IP_PMTUDISC_WANT: DF set when the datagram fits the path MTU
        self.shut_rd = False
        self.shut_wr = False
        self.mcast_ttl = 1
        self.mcast_loop = True
        self.bound_explicitly = False
        self.fast = None  # a stack.fastpath.UdpFastPath for the last destination, while it is valid
        self.v6only = False  # IPV6_V6ONLY; without it an IPv6 wildcard binding takes IPv4 too
        self.mcast_if: int | None = None  # IP_MULTICAST_IF / IPV6_MULTICAST_IF: an interface index
        self.mc_all = True  # IP_MULTICAST_ALL (Linux's default): groups joined by any socket are heard
        # UDP-Lite (RFC 3828 §3.3): UDPLITE_SEND_CSCOV, the coverage to send (0: all), and
        # UDPLITE_RECV_CSCOV, the least coverage accepted (None: never set, any accepted)
        self.cscov_send = 0
        self.cscov_recv: int | None = None

    # -- readiness ---------------------------------------------------------

    @property
    def readable(self) -> bool:
        return bool(self.rxq) or self.error is not None or self.shut_rd or self.closed

    @property
    def writable(self) -> bool:
        return True

    # -- operations -----------------------------------------------------

    def bind(self, addr: bytes, port: int) -> None:
        if self.local is not None:
            raise oserror(errno.EINVAL)
        self.layer.bind(self, addr, port)
        self.bound_explicitly = True

    def connect(self, addr: bytes, port: int) -> None:
        """Fix the peer (and, if unbound, bind to the source address the route picks)."""
        env = self.layer.env
        if self.local is None:
            self.layer.bind(self, bytes(len(addr)), 0)
        if not any(self.local[0]):
            src = env.source_for(addr)
            if src is None:
                raise oserror(errno.ENETUNREACH)
            self.layer.rebind_address(self, src)  # Linux fixes the source on connect
        self.remote = (addr, port)
        self.error = None

    def disconnect(self) -> None:
        """connect(AF_UNSPEC): forget the peer; an implicit source address is forgotten too."""
        self.remote = None
        if self.local is not None and not self.bound_explicitly:
            self.layer.rebind_address(self, bytes(len(self.local[0])))

    def sendto(self, data, dst: tuple[bytes, int], now: int, ttl: int | None = None, tos: int | None = None) -> int:
        """Send one datagram; returns its length or raises OSError (EACCES, EMSGSIZE...).

        `ttl` and `tos` override the socket's TTL / hop limit (multicast one too) and TOS /
        traffic class for this datagram alone: sendmsg's IP_TTL, IP_TOS, IPV6_HOPLIMIT and
        IPV6_TCLASS ancillary items (RFC 3542 §6.3, §6.5)."""
        if self.shut_wr:
            raise oserror(errno.EPIPE)
        once = ttl is not None or tos is not None  # (the cached path knows only the socket's values)
        fast = self.fast
        if fast is not None and not once and fast.flow == (dst, self.local, self.ttl, self.tos, self.pmtudisc) \
                and fast.usable_again(len(data)):
            # the same flow as the datagram that made the cached path: every check below gave
            # the same answer then, and what could change it (addresses, routes, PMTU, the
            # neighbor, the default TTL) is what usable_again() looks at
            fast.send(data)
            self.layer.env.stats["udp.tx.datagrams"] += 1
            return len(data)
        layer = self.layer
        build = layer.build
        env = layer.env
        addr, port = dst
        if self.local is None:
            layer.bind(self, bytes(len(addr)), 0)
        if len(data) > 65507 and len(addr) == 4 or len(data) > 65527:
            raise oserror(errno.EMSGSIZE)
        if env.is_broadcast(addr) and not self.broadcast:
            raise oserror(errno.EACCES)
        src = self.local[0]
        if not any(src):
            src = _multicast_source(env, addr, self.mcast_if) if _is_mcast(addr) else env.source_for(addr)
            if src is None:
                raise oserror(errno.ENETUNREACH)
        mcast_ttl = self.mcast_ttl if ttl is None else ttl
        if ttl is None:
            ttl = self.ttl
        if tos is None:
            tos = self.tos
        if _is_mcast(addr):
            err = env.ip_send(src, addr, layer.proto, build(self, port, data, src, addr),
                              ttl=mcast_ttl, tos=tos, df=None if self.pmtudisc else False,
                              ifindex=self.mcast_if, mcast_loop=self.mcast_loop)
            if err:
                raise oserror(err)
            env.stats[layer.k_tx] += 1
            return len(data)
        if fast is not None and not once:
            key = (src, addr, self.local[1], port, ttl if ttl is not None else env.config.ttl, self.tos,
                   self.pmtudisc)
            if fast.usable(key, len(data)):
                fast.send(data)
                env.stats["udp.tx.datagrams"] += 1
                return len(data)
        seg = build(self, port, data, src, addr)
        # IP_PMTUDISC_WANT (df=None): DF on whatever fits the path MTU, larger datagrams fragmented
        err = env.ip_send(src, addr, layer.proto, seg, ttl=ttl, tos=tos, df=None if self.pmtudisc else False)
        if err:
            raise oserror(err)
        env.stats[layer.k_tx] += 1
        if len(seg) + 20 <= 1280 and not once and not layer.lite and hasattr(env, "udp_fast_path"):
            # remember the way for the next datagram
            self.fast = env.udp_fast_path(src, addr, self.local[1], port,
                                          ttl if ttl is not None else env.config.ttl, self.tos, self.pmtudisc)
            if self.fast is not None:
                self.fast.flow = (dst, self.local, self.ttl, self.tos, self.pmtudisc)
        return len(data)

    def recv(self, peek: bool = False):
        """The next datagram, or None; raises a pending error.

        A datagram is `(data, (addr, port), ttl, tos, dst, ifindex)`: besides the payload and
        its source, what its IP header said (TTL or hop limit, TOS or traffic class, the
        destination address) and the interface it came in on, so that recvmsg can report
        them as ancillary data (IP_RECVTTL, IPV6_RECVHOPLIMIT...) whenever the socket asks,
        as Linux can because it keeps the header with the queued packet.  None where a
        datagram did not cross IP (no such facts)."""
        if self.error is not None:
            code, self.error = self.error, None
            raise oserror(code)
        if not self.rxq:
            return None
        if peek:
            return self.rxq[0]
        item = self.rxq.popleft()
        self.rx_bytes -= len(item[0]) + DATAGRAM_OVERHEAD
        return item

    def take_error(self) -> int:
        code, self.error = self.error, None
        return code or 0

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            memberships = getattr(self.layer.env, "memberships", None)
            if memberships is not None:
                memberships.drop_owner(self)  # a closing socket leaves its groups
            self.layer.unbind(self)
            self.rxq.clear()
            self.rx_bytes = 0
            self._signal()

    # -- from the layer ---------------------------------------------------

    def _deliver(self, item: tuple) -> bool:
        """Queue one datagram (see `recv` for the item's fields)."""
        if self.shut_rd:
            return False
        cost = len(item[0]) + DATAGRAM_OVERHEAD
        if self.rx_bytes + cost > self.rcvbuf and self.rxq:
            return False
        self.rxq.append(item)
        self.rx_bytes += cost
        self._signal()
        return True


class UdpLayer:
    """UDP (RFC 768), or with `lite` UDP-Lite (RFC 3828): the same sockets, ports, demux
    and delivery; only the header's third field, the checksum and the counters' prefix
    (`udp.` or `udplite.`) differ.  Each has its own port space, as on Linux."""

    def __init__(self, env, lite: bool = False) -> None:
        self.env = env
        self.ports: dict[int, list[UdpEndpoint]] = {}
        self.lite = lite
        self.proto = udplite_wire.PROTO if lite else udp_wire.PROTO
        self.name = name = "udplite" if lite else "udp"
        self.k_tx = f"{name}.tx.datagrams"
        self.k_rx = f"{name}.rx.datagrams"
        self.k_no_port = f"{name}.rx.no_port"
        self.k_full = f"{name}.rx.rcvbuf_full"

    def build(self, ep: UdpEndpoint, dport: int, data, src: bytes, dst: bytes) -> bytes:
        """The datagram `ep` sends (header, checksum) toward dst:dport."""
        if self.lite:
            return udplite_wire.build(ep.local[1], dport, data, src, dst, ep.cscov_send)
        return udp_wire.build(ep.local[1], dport, data, src, dst)

    # -- port table --------------------------------------------------------

    def _conflicts(self, ep: UdpEndpoint, addr: bytes, port: int) -> bool:
        for other in self.ports.get(port, ()):
            oaddr = other.local[0]
            if other is ep:
                continue
            if len(oaddr) != len(addr):
                if not (_dual(other) and len(addr) == 4) and not (len(oaddr) == 4 and len(addr) == 16
                                                              and not any(addr) and not ep.v6only
                                                              and ep.family_len == 16):
                    continue
            if any(oaddr) and any(addr) and oaddr != addr:
                continue
            if (ep.reuseaddr and other.reuseaddr) or (ep.reuseport and other.reuseport):
                continue
            return True
        return False

    def bind(self, ep: UdpEndpoint, addr: bytes, port: int) -> None:
        env = self.env
        if any(addr) and not env.is_local(addr) and not env.is_broadcast(addr) and not _is_mcast(addr):
            raise oserror(errno.EADDRNOTAVAIL)
        if port == 0:
            port = self._ephemeral(ep, addr)
        elif self._conflicts(ep, addr, port):
            raise oserror(errno.EADDRINUSE)
        ep.local = (addr, port)
        self.ports.setdefault(port, []).append(ep)

    def rebind_address(self, ep: UdpEndpoint, addr: bytes) -> None:
        ep.local = (addr, ep.local[1])

    def _ephemeral(self, ep: UdpEndpoint, addr: bytes) -> int:
        span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
        start = self.env.rng.randrange(span)
        for i in range(span):
            port = EPHEMERAL_LOW + (start + i) % span
            if port not in self.ports or not self._conflicts(ep, addr, port):
                return port
        raise oserror(errno.EAGAIN)

    def unbind(self, ep: UdpEndpoint) -> None:
        if ep.local is None:
            return
        lst = self.ports.get(ep.local[1])
        if lst and ep in lst:
            lst.remove(ep)
            if not lst:
                del self.ports[ep.local[1]]

    def endpoint(self, family_len: int = 4) -> UdpEndpoint:
        return UdpEndpoint(self, family_len)

    # -- input -----------------------------------------------------------

    def input(self, src: bytes, dst: bytes, payload: memoryview, now: int, broadcast: bool = False,
              csum_ok: bool = False, iface_index: int | None = None, ttl: int | None = None,
              tos: int | None = None) -> bool:
        """Deliver one datagram; returns False when no socket wanted it (the caller may
        answer with ICMP port unreachable).  `ttl` and `tos` are the IP header's TTL and
        TOS (hop limit and traffic class for IPv6), kept with the datagram for recvmsg."""
        env = self.env
        stats = env.stats
        covered = None
        try:
            if self.lite:
                hdr, data, covered = udplite_wire.parse(payload, src, dst, not csum_ok)
                if covered >= len(payload):
                    covered = None  # full coverage
            else:
                hdr, data = udp_wire.parse(payload, src, dst, not csum_ok)
        except WireError as e:
            stats[f"{self.name}.rx.{e.reason}"] += 1
            env.trace(self.name, "drop", reason=e.reason, src=src, detail=str(e))
            return True  # dropped, but not a port-unreachable case
        stats[self.k_rx] += 1
        eps = self.ports.get(hdr.dport)
        if not eps:
            stats[self.k_no_port] += 1
            env.trace(self.name, "no_port", src=src, sport=hdr.sport, dport=hdr.dport)
            return False
        if covered is not None:
            # RFC 3828 §3.3: a socket that set UDPLITE_RECV_CSCOV takes partially covered
            # datagrams only when covered at least that far (never, if it asked for 0: all)
            keep = [ep for ep in eps if ep.cscov_recv is None or (ep.cscov_recv and covered >= ep.cscov_recv)]
            if len(keep) < len(eps):
                stats["udplite.rx.coverage_too_small"] += len(eps) - len(keep)
                env.trace(self.name, "drop", reason="checksum coverage too small", covered=covered,
                          dport=hdr.dport)
                if not keep:
                    return True
                eps = keep
        item = (bytes(data), (src, hdr.sport), ttl, tos, dst, iface_index)
        if len(eps) == 1 and not broadcast:
            ep = eps[0]  # the common case: one socket on the port, a wildcard or exact binding
            laddr = ep.local[0]
            if ep.remote is None and not ep.closed and (laddr == dst or (not any(laddr) and (
                    len(laddr) == len(dst) or (len(dst) == 4 and not ep.v6only)))):
                if not ep._deliver(item):
                    stats[self.k_full] += 1
                    env.trace(self.name, "drop", reason="receive buffer full", dport=hdr.dport)
                return True
        if broadcast or _is_mcast(dst):
            delivered = False
            mcast = _is_mcast(dst) and iface_index is not None
            memberships = getattr(env, "memberships", None)
            for ep in eps:
                if _match_score(ep, src, dst, hdr.sport) >= 0:
                    if mcast and memberships is not None:
                        # Linux's ip_mc_sf_allow: the socket's own source filter decides; a
                        # socket that did not join hears the group only with IP_MULTICAST_ALL
                        allowed = memberships.allows(ep, iface_index, dst, src)
                        if allowed is False or (allowed is None and not ep.mc_all):
                            stats[f"{self.name}.rx.mcast_filtered"] += 1
                            continue
                    if ep._deliver(item):
                        delivered = True
                    else:
                        stats[self.k_full] += 1
            if not delivered:
                stats[self.k_no_port] += 1
            return True
        best = None
        best_score = -1
        for ep in eps:
            s = _match_score(ep, src, dst, hdr.sport)
            if s > best_score:
                best, best_score = ep, s
        if best is None:
            stats[self.k_no_port] += 1
            env.trace(self.name, "no_port", src=src, sport=hdr.sport, dport=hdr.dport)
            return False
        if not best._deliver(item):
            stats[self.k_full] += 1
            env.trace(self.name, "drop", reason="receive buffer full", dport=hdr.dport)
        return True

    def icmp_error(self, kind: str, src: bytes, dst: bytes, quoted: memoryview, info: int, now: int) -> None:
        """An ICMP error about a datagram we sent from `src` to `dst` (RFC 1122 §4.1.3.3)."""
        if len(quoted) < 4:
            return
        sport = int.from_bytes(quoted[0:2], "big")
        dport = int.from_bytes(quoted[2:4], "big")
        code = _ICMP_ERRNO.get(kind)
        for ep in self.ports.get(sport, ()):
            # Linux reports asynchronous errors only to connected sockets (without IP_RECVERR)
            if ep.remote == (dst, dport) and code is not None:
                ep.error = code
                self.env.trace(self.name, "icmp_error", kind=kind, errno=errno.errorcode[code], peer=dst, port=dport)
                ep._signal()


_ICMP_ERRNO = {
    "port_unreach": errno.ECONNREFUSED,
    "proto_unreach": errno.ENOPROTOOPT,
    "net_unreach": errno.ENETUNREACH,
    "host_unreach": errno.EHOSTUNREACH,
}


def _multicast_source(env, group: bytes, ifindex: int | None) -> bytes | None:
    """The source of a datagram to `group`: an address of the chosen interface (IP_MULTICAST_IF)
    or of the interface the route toward the group takes."""
    if ifindex and hasattr(env, "interfaces") and 0 < ifindex <= len(env.interfaces):
        iface = env.interfaces[ifindex - 1]
        if len(group) == 4:
            return iface.primary_ipv4()
        return env.source_for(group, ifindex)
    return env.source_for(group)


def _dual(ep: UdpEndpoint) -> bool:
    """An IPv6 wildcard binding without IPV6_V6ONLY, which receives IPv4 as well."""
    laddr = ep.local[0]
    return len(laddr) == 16 and not any(laddr) and not ep.v6only


def _is_mcast(addr: bytes) -> bool:
    return (224 <= addr[0] <= 239) if len(addr) == 4 else addr[0] == 0xFF


def _match_score(ep: UdpEndpoint, src: bytes, dst: bytes, sport: int) -> int:
    """-1 if `ep` must not receive this datagram, else higher for more specific bindings."""
    if ep.closed:
        return -1
    laddr = ep.local[0]
    score = 0
    if any(laddr):
        if laddr != dst:
            return -1
        score += 2
    elif len(laddr) != len(dst) and not (len(dst) == 4 and not ep.v6only):
        return -1
    if ep.remote is not None:
        if ep.remote != (src, sport):
            return -1
        score += 4
    return score
