"""A host: interfaces, a loopback, the routing table and the protocol layers, composed.

The host is where frames enter (`receive`, from a link or a TAP device), where timers
run (`poll_at` / `poll`), and what the transports see as their environment (`ip_send`,
`source_for`, `path_mtu`, `is_local`; see docs/internals.md).  It decides, per packet,
whether to deliver locally, forward (a router is a host with forwarding on), or drop;
every drop is counted in `stats` and traced with its reason.

It never blocks and never reads a real clock: the runtime that owns it supplies `clock`
(a callable returning microseconds) and calls `receive` and `poll`.
"""

from __future__ import annotations

import errno
import os
import random
import struct
from dataclasses import dataclass, field

from .addr import ALL_NODES, IPV4_BROADCAST, IPV6_LOOPBACK, IfAddr, ip_str, ipv6_mcast_mac, is_link_local, mac_str
from .addrconf import AddrConf, AddrConfConfig, select_source
from .arp import ArpLayer
from .icmp import ErrorLimiter, IcmpConfig
from .ipv4 import PmtuCache, ReassemblyConfig, Reassembler, fragment
from .ipv6 import Ipv6Layer
from .igmp import IgmpLayer
from .mcast import Memberships
from .mld import MldLayer
from .ndp import NdpLayer
from .neighbor import NeighborConfig, NeighborState
from .node import Node
from .raw import RawLayer
from .route import RouteTable
from .trace import Tracer
from .udp import UdpLayer
from .wire import ethernet
from .wire import icmp as icmp_wire
from .wire import ipv4 as ipv4_wire
from .wire.errors import WireError
from .wire.ethernet import Unverified, VerifiedFrame
from .wire.ipv4 import IPv4Header
from .wire.udplite import PROTO as PROTO_UDPLITE
from .stats import Stats

LOOPBACK_MTU = 65536
REACHABLE = NeighborState.REACHABLE
ICMP_QUOTE_MAX = 576  # RFC 1812 §4.3.2.3: the error datagram may not exceed 576 bytes
ROUTER_ALERT_V4 = b"\x94\x04\x00\x00"  # RFC 2113: the IP Router Alert option

# An IPv4 header's version/IHL, total length, flags + fragment offset, source and
# destination, in one unpack (Host.receive's TCP case)
# Ethernet destination and type, then IPv4 version/IHL, total length, flags/fragment offset,
# protocol and addresses (`receive`'s first look at a frame this stack built)
_ETH_IPV4_FIELDS = struct.Struct("!6s6xHBxH2xHxB2x4s4s").unpack_from
_UNREACH_KIND = {
    icmp_wire.NET_UNREACH: "net_unreach",
    icmp_wire.HOST_UNREACH: "host_unreach",
    icmp_wire.PROTO_UNREACH: "proto_unreach",
    icmp_wire.PORT_UNREACH: "port_unreach",
    icmp_wire.FRAG_NEEDED: "frag_needed",
    6: "net_unreach",
    7: "host_unreach",
    9: "net_unreach",
    10: "host_unreach",
    11: "net_unreach",
    12: "host_unreach",
    13: "host_unreach",
}


def _tcp_config():
    from .tcp.config import TcpConfig

    return TcpConfig()


@dataclass
class HostConfig:
    """Per-host knobs, with Linux's defaults."""

    ttl: int = 64  # net.ipv4.ip_default_ttl
    hop_limit: int = 64  # net.ipv6.conf.default.hop_limit
    forwarding: bool = False  # net.ipv4.ip_forward and net.ipv6.conf.all.forwarding
    accept_ra: bool = True  # net.ipv6.conf.default.accept_ra (ignored when forwarding, as Linux's 1)
    addrconf: AddrConfConfig = field(default_factory=AddrConfConfig)
    igmp: bool = True  # report IPv4 group membership (RFC 3376; net.ipv4.conf.*.force_igmp_version 0)
    mld: bool = True  # report IPv6 group membership (RFC 3810)
    arp_announce: bool = True  # RFC 5227 announcements when an address comes up
    neighbor: NeighborConfig = field(default_factory=NeighborConfig)
    reassembly: ReassemblyConfig = field(default_factory=ReassemblyConfig)
    icmp: IcmpConfig = field(default_factory=IcmpConfig)
    tcp: object = field(default_factory=_tcp_config)


class Interface:
    """One network interface: a MAC, addresses, an MTU, and the port it is attached to."""

    def __init__(self, host: "Host", name: str, index: int, mac: bytes, mtu: int = 1500, loopback: bool = False):
        self.host = host
        self.name = name
        self.index = index
        self.mac = mac
        self.mtu = mtu
        self.loopback = loopback
        self.ipv4: list[IfAddr] = []
        self.ipv6: list = []  # addrconf.Addr6, in every state
        self.addrs4: set[bytes] = set()  # the addresses of `ipv4`, for O(1) membership
        self.addrs6: dict = {}  # address -> Addr6
        self._mtu6: int | None = None  # the IPv6 link MTU when a router advertised a smaller one
        self.port: int | None = None  # the host's port number once linked
        self.channel = None  # what carries frames away
        self.up = loopback
        # all-hosts (RFC 1112) and all-nodes (RFC 4291 §2.7.1): every node is in them
        self.mcast_groups: set[bytes] = {bytes([224, 0, 0, 1]), ALL_NODES}
        self.mcast_refs: dict[bytes, int] = {g: 1 for g in self.mcast_groups}
        self.mcast_macs: set[bytes] = {group_mac(g) for g in self.mcast_groups}
        self.allmulti = False  # hear every multicast frame (a multicast router's interface)
        self.querier = False  # run the host's queriers here once the interface is up

    @property
    def mtu6(self) -> int:
        return self._mtu6 if self._mtu6 is not None and self._mtu6 <= self.mtu else self.mtu

    @mtu6.setter
    def mtu6(self, value: int) -> None:
        self._mtu6 = value

    def has_ipv4(self, addr: bytes) -> bool:
        return addr in self.addrs4

    def primary_ipv4(self) -> bytes | None:
        return self.ipv4[0].addr if self.ipv4 else None

    def __repr__(self) -> str:
        addrs = " ".join(str(a) for a in self.ipv4 + self.ipv6)
        return f"<Interface {self.host.name}/{self.name} {mac_str(self.mac)} mtu {self.mtu} {addrs}>"


class Host(Node):
    """An IP host.  `Network.add_host` makes them; `tap.attach` makes one on a TAP device."""

    kind = "host"

    def __init__(self, name: str, *, config: HostConfig | None = None, seed: int | str = 0,
                 tracer: Tracer | None = None, clock=None, mac_factory=None) -> None:
        super().__init__(name)
        self.config = config or HostConfig()
        self.rng = random.Random(f"{seed}:host:{name}")
        self.stats: Stats = Stats()
        self.tracer = tracer or Tracer()
        self.clock = clock or (lambda: 0)
        self.runtime = None  # set by the runtime that drives this host
        self.network = None
        self._mac_factory = mac_factory or self._default_mac
        self.hostname = name
        self.hosts: dict[str, list[bytes]] = {}  # an /etc/hosts of our own: name -> addresses
        self.interfaces: list[Interface] = []
        self._port_iface: list[Interface] = []
        self.routes = RouteTable()
        self.arp = ArpLayer(self)
        self.reasm = Reassembler(self.config.reassembly, self.stats, self.trace, "ip")
        self.reasm.owner = self
        self.pmtu = PmtuCache()
        self.icmp_limiter = ErrorLimiter(self.config.icmp)
        self.udp = UdpLayer(self)
        self.udplite = UdpLayer(self, lite=True)  # RFC 3828, IP protocol 136
        self.raw = RawLayer(self)
        self.ip6 = Ipv6Layer(self)
        self.ndp = NdpLayer(self)
        self.addrconf = AddrConf(self, self.config.addrconf)
        self.radv = None  # a RouterAdvertiser once `advertise` is called
        # group membership reporting (host side) and, on routers that ask, the queriers
        self.igmp = IgmpLayer(self, self._send_igmp) if self.config.igmp else None
        self.mld = MldLayer(self, lambda iface, dst, msg: self.ip6.send_mld(iface, dst, msg)) \
            if self.config.mld else None
        self.queriers: list = []
        self.memberships = Memberships(self)  # what sockets joined, merged per interface
        self._timed_layers()
        self._local6: set[bytes] = set()  # usable IPv6 addresses
        self._addr6_owner: dict = {}  # usable address -> Addr6
        self.tcp = None
        if self.config.tcp is not None:
            from .tcp.layer import TcpLayer

            self.tcp = TcpLayer(self, self.config.tcp)
        self._ident = self.rng.randrange(65536)
        self._tcp_paths: dict = {}  # (src, dst) -> fastpath.TcpFastPath
        self._local4: set[bytes] = set()
        self._bcast4: set[bytes] = {IPV4_BROADCAST}
        self._loop: list[bytes] = []
        self._fileno = 2
        self.lo = self.add_interface("lo", mtu=LOOPBACK_MTU, loopback=True, mac=bytes(6))
        self.add_address(self.lo, "127.0.0.1/8")
        self.add_address(self.lo, "::1/128")

    def _default_mac(self, host: "Host", index: int) -> bytes:
        return bytes([0x02, 0x00]) + self.rng.randrange(1 << 32).to_bytes(4, "big")

    # -- configuration ------------------------------------------------------

    def add_interface(self, name: str | None = None, *, ip=None, mtu: int = 1500, mac: bytes | None = None,
                      loopback: bool = False) -> Interface:
        """Create an interface (unattached until a link or TAP device takes it)."""
        index = len(self.interfaces)
        if name is None:
            name = f"eth{sum(1 for i in self.interfaces if not i.loopback)}"
        iface = Interface(self, name, index, mac if mac is not None else self._mac_factory(self, index), mtu, loopback)
        self.interfaces.append(iface)
        for a in [ip] if isinstance(ip, str) else (ip or []):
            self.add_address(iface, a)
        return iface

    def add_address(self, iface: Interface, addr: str | IfAddr) -> IfAddr:
        a = IfAddr.parse(addr) if isinstance(addr, str) else addr
        if len(a.addr) == 16:
            return self._add_address6(iface, a)
        iface.ipv4.append(a)
        iface.addrs4.add(a.addr)
        self._local4.add(a.addr)
        if a.prefix_len < 31 and not iface.loopback:
            self._bcast4.add(a.broadcast)
        self.routes.add(a, iface, None, 0, a.addr, "kernel")
        if iface.up and not iface.loopback and self.config.arp_announce:
            self.arp.announce(iface, a.addr, self.clock())
        return a

    def _add_address6(self, iface: Interface, a: IfAddr):
        """A static IPv6 address: tentative (or optimistic) until DAD passes, with its prefix
        on-link as Linux's `ip -6 addr add` makes it."""
        if a.addr[0] == 0xFF or not any(a.addr):
            raise ValueError(f"{a} is not a unicast address")
        added = self.addrconf.add(iface, a.addr, a.prefix_len, "static", self.clock())
        if not iface.loopback and a.prefix_len < 128:
            self.routes.add(IfAddr(a.network, a.prefix_len), iface, None, 256, None, "kernel")
        return added

    def add_route(self, prefix: str, gateway: str | None = None, iface: Interface | None = None, metric: int = 0):
        """A static route (`gateway=None` means on-link through `iface`)."""
        gw = None
        if gateway is not None:
            from .addr import ip as parse_ip

            gw = parse_ip(gateway)
            if iface is None:
                via = next((r for r in self.routes.routes if r.gateway is None and r.matches(gw)), None)
                if via is None:
                    raise OSError(errno.ENETUNREACH, f"gateway {gateway} is not on a connected network")
                iface = via.iface
        if iface is None:
            raise ValueError("a route needs a gateway or an interface")
        return self.routes.add(prefix, iface, gw, metric)

    def set_gateway(self, gateway: str) -> None:
        """The default route (0.0.0.0/0, or ::/0 for an IPv6 `gateway`)."""
        self.add_route("::/0" if ":" in gateway else "0.0.0.0/0", gateway)

    def advertise(self, iface: "Interface | str", prefixes=(), **kw):
        """Send router advertisements on `iface` (a router; see stack/radv.py for the knobs)."""
        from .radv import RouterAdvertiser

        if isinstance(iface, str):
            iface = self.interface(iface)
        if self.radv is None:
            self.radv = RouterAdvertiser(self)
            self._timed_layers()
        return self.radv.enable(iface, prefixes, **kw)

    def attach(self, channel) -> int:
        """Take a link: the first interface without one, or a new one."""
        port = len(self.ports)
        self.ports.append(channel)
        iface = next((i for i in self.interfaces if not i.loopback and i.channel is None), None)
        if iface is None:
            iface = self.add_interface()
        iface.port = port
        iface.channel = channel
        mtu = getattr(channel, "mtu", None)
        if mtu:
            iface.mtu = mtu
        self._port_iface.append(iface)
        self.interface_up(iface)
        return port

    def nic_of(self, port_no: int):
        """See Node.nic_of: the filter `receive` applies to multicast frames on this port."""
        return self._port_iface[port_no]

    def interface_up(self, iface: Interface) -> None:
        iface.up = True
        self.routes.invalidate()
        self.trace("link", "up", iface=iface.name, mac=iface.mac, mtu=iface.mtu)
        now = self.clock()
        if self.config.arp_announce:
            for a in iface.ipv4:
                self.arp.announce(iface, a.addr, now)
        if iface.loopback:
            return
        # IPv6 comes up: a link-local address first (RFC 4862 §5.3), DAD for every address,
        # then router solicitation (hosts) or advertisement (routers)
        if not any(r.iface is iface and r.network[:2] == b"\xfe\x80" and r.prefix_len == 64 for r in self.routes.routes):
            self.routes.add("fe80::/64", iface, None, 256, None, "kernel")
        self.addrconf.link_local(iface, now)
        for a in iface.ipv6:
            if a.tentative and a.deadline is None:
                self.addrconf.start_dad(a, now)
        if self.config.forwarding:
            self.join_group(iface, bytes.fromhex("ff020000000000000000000000000002"))  # all-routers
        self.ndp.start_router_solicitation(iface, now)
        if self.radv is not None:
            self.radv.interface_up(iface, now)
        for layer in (self.igmp, self.mld):
            if layer is not None:
                layer.resync(iface, now)  # groups joined before the link was there are reported now
        if iface.querier:
            self._start_queriers(iface)

    # -- IPv6 addresses and groups (the hooks addrconf, ndp and mld call) --------------

    def address_usable(self, a) -> None:
        self._local6.add(a.addr)
        self._addr6_owner[a.addr] = a
        self.routes.invalidate()

    def address_gone(self, a) -> None:
        if self._addr6_owner.get(a.addr) is a:
            self._local6.discard(a.addr)
            del self._addr6_owner[a.addr]
            self.routes.invalidate()

    def send_dad_probe(self, iface: Interface, addr: bytes) -> None:
        self.ndp.send_dad_probe(iface, addr)

    def dad_completed(self, a) -> None:
        self.stats["addrconf.dad.ok"] += 1

    def link_local_of(self, iface: Interface) -> bytes | None:
        for a in iface.ipv6:
            if a.usable and is_link_local(a.addr):
                return a.addr
        return None

    def ndp_source(self, iface: Interface, dst: bytes) -> bytes | None:
        """The source of a Neighbor Discovery message on `iface` about `dst`."""
        return select_source(iface.ipv6, dst)

    def join_group(self, iface: Interface, group: bytes, report: bool = True) -> bool:
        """Join `group` on `iface` (counted: the interface leaves when the last user does).
        A group the node itself needs (solicited-node, all-routers) is reported at once as an
        any-source membership; sockets' joins are reported with their filter by
        `group_state_changed`.  Returns True when the interface newly joined."""
        n = iface.mcast_refs.get(group, 0)
        iface.mcast_refs[group] = n + 1
        if n:
            return False
        iface.mcast_groups.add(group)
        iface.mcast_macs.add(group_mac(group))
        self.trace("mcast", "join", group=group, iface=iface.name)
        if report and not iface.loopback:
            layer = self.mld if len(group) == 16 else self.igmp
            if layer is not None:
                layer.joined(iface, group, self.clock())
        return True

    def leave_group(self, iface: Interface, group: bytes) -> bool:
        n = iface.mcast_refs.get(group, 0)
        if n == 0:
            return False
        if n > 1:
            iface.mcast_refs[group] = n - 1
            return False
        del iface.mcast_refs[group]
        iface.mcast_groups.discard(group)
        mac = group_mac(group)
        if not any(group_mac(g) == mac for g in iface.mcast_groups):
            iface.mcast_macs.discard(mac)
        self.trace("mcast", "leave", group=group, iface=iface.name)
        layer = self.mld if len(group) == 16 else self.igmp
        if layer is not None and not iface.loopback:
            layer.left(iface, group, self.clock())
        return True

    def group_state_changed(self, iface: Interface, group: bytes, old, new) -> None:
        """Sockets changed the interface's filter for `group` (mcast.py): the IGMP or MLD
        layer reports the change (`new` None: the interface left)."""
        self.trace("mcast", "filter", group=group, iface=iface.name, old=repr(old) if old else "-",
                   new=repr(new) if new else "-")
        layer = self.mld if len(group) == 16 else self.igmp
        if layer is not None and new is not None and not iface.loopback:
            layer.changed(iface, group, new.mode, frozenset(new.sources), self.clock())

    def multicast_interface(self, group: bytes, ifindex: int = 0, address: bytes | None = None) -> Interface:
        """The interface a socket's join or send means (Linux's ip_mc_find_dev): by index,
        else by one of its addresses, else the route toward the group; ENODEV if none."""
        if ifindex:
            if not 0 <= ifindex - 1 < len(self.interfaces):
                raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
            return self.interfaces[ifindex - 1]
        if address is not None and any(address):
            for i in self.interfaces:
                if address in i.addrs4 or address in i.addrs6:
                    return i
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
        if len(group) == 4:
            r = self.routes.lookup(group)
            if r is not None:
                return r.iface
        else:
            iface = next((i for i in self.interfaces if not i.loopback and i.up), None)
            if iface is not None:
                return iface
        raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))

    def interface(self, name: str) -> Interface:
        for i in self.interfaces:
            if i.name == name:
                return i
        raise KeyError(name)

    def addresses(self, family_len: int = 4) -> list[bytes]:
        if family_len == 4:
            return [a.addr for i in self.interfaces for a in i.ipv4]
        return [a.addr for i in self.interfaces for a in i.ipv6 if a.usable]

    # -- tracing ---------------------------------------------------------

    def trace(self, layer: str, event: str, **fields) -> None:
        self.tracer.emit(self.clock(), self.name, layer, event, fields)

    def _drop(self, key: str, layer: str, reason: str, **fields) -> None:
        self.stats[key] += 1
        self.tracer.emit(self.clock(), self.name, layer, "drop", {"reason": reason, **fields})

    # -- timers -----------------------------------------------------------

    def poll_at(self) -> int | None:
        if self._loop:
            return self.clock()
        t = self.arp.poll_at()
        heap = self.reasm._heap
        if heap and (t is None or heap[0][0] < t):
            t = heap[0][0]
        tcp = self.tcp
        if tcp is not None:
            c = tcp.poll_at()
            if c is not None and (t is None or c < t):
                t = c
        for layer in self._timed:
            c = layer.poll_at()
            if c is not None and (t is None or c < t):
                t = c
        return t

    def _timed_layers(self) -> None:
        """The layers with timers of their own, asked after every frame: kept as a list."""
        self._timed = [layer for layer in (self.ip6, self.ndp, self.addrconf, self.radv, self.mld, self.igmp,
                                           *self.queriers) if layer is not None]

    def poll(self, now: int) -> None:
        rounds = 0
        while self._loop and rounds < 64:  # loopback answers (an ICMP error, say) land in the same turn,
            rounds += 1                     # as Linux's softirq finishes them before the send returns
            batch, self._loop = self._loop, []
            lo = self.lo
            for packet in batch:
                if type(packet) is tuple:  # a multicast copy looped back: it "arrives" where it left
                    iface, packet = packet
                    self._guarded_ipv4_input(iface, memoryview(packet), now, True)
                else:
                    self._guarded_ipv4_input(lo, memoryview(packet), now, False)
        t = self.arp.poll_at()
        if t is not None and t <= now:
            self.arp.poll(now)
        t = self.reasm.poll_at()
        if t is not None and t <= now:
            for q in self.reasm.poll(now):
                if q.first is not None:  # RFC 1122 §3.3.2: only if fragment zero arrived
                    first = q.first
                    data = b"".join(d for _, d in q.frags)[:8]
                    self.send_icmp_error(first, data, icmp_wire.TIME_EXCEEDED, icmp_wire.REASSEMBLY_EXCEEDED, 0, now)
        if self.tcp is not None:
            t = self.tcp.poll_at()
            if t is not None and t <= now:
                self.tcp.poll(now)
        for layer in self._timed:
            t = layer.poll_at()
            if t is not None and t <= now:
                layer.poll(now)

    # -- frames in ----------------------------------------------------------

    def arrival(self, port_no: int, channel):
        """The function a simulated link's `channel` calls with the bytes of each frame this
        stack built (checksums good, not marked a VerifiedFrame: a TcpFastPath's) arriving
        on port `port_no` (see sim.link.Channel.arrive_verified), or None for the channel's
        own `_deliver_verified`.

        That would mark the frame, call `receive`, then touch the host when its timers may
        have come earlier.  This does all three in one Python frame for the per-segment
        case, a TCP segment unicast to us (`receive`'s first case, inlined: keep the two
        alike), and calls `_transport_fast6` itself for IPv6; any other frame, and every
        frame while `receive` is replaced on the instance (a test's spy), is marked and goes
        to `_deliver` as before."""
        if type(self).receive is not Host.receive or not channel._timers:
            return None
        host = self
        iface = self._port_iface[port_no]
        events = channel.events
        touch = channel.runtime.touch
        deliver = channel._deliver
        # The host's attribute dict, taken once (reading `__dict__` per frame is a generic
        # attribute lookup): the same dict for the host's lifetime, so a spy set later lands in it
        attrs = self.__dict__

        def arrive(frame):
            if len(frame) >= 42 and "receive" not in attrs:
                mac, et, vihl, total, frag, proto, src, dst = _ETH_IPV4_FIELDS(frame, 0)
                if mac == iface.mac:
                    if et == 0x0800 and proto == 6 and vihl == 0x45 and not frag & 0xBFFF \
                            and not host.raw.endpoints and 28 <= total and total + 14 <= len(frame) \
                            and dst in host._local4 and dst[0] != 127 and src[0] < 224 and src[0] != 127 \
                            and host.tcp is not None:
                        try:
                            host.tcp.input_frame(src, dst, frame, 34, 14 + total, events.now)
                        except Exception as e:  # (as receive: a bug, counted loudly)
                            host.stats["host.rx.internal_error"] += 1
                            host.trace("host", "internal_error", error=repr(e))
                        if host._timers_dirty:
                            touch(host)
                        return
                    if et == 0x86DD:
                        # receive's IPv6 case: _transport_fast6 takes the usual segment or
                        # datagram (False: the frame goes the whole way, through _deliver)
                        try:
                            done = host._transport_fast6(iface, frame, events.now)
                        except Exception as e:  # (as receive: a bug, counted loudly)
                            host.stats["host.rx.internal_error"] += 1
                            host.trace("host", "internal_error", error=repr(e))
                            done = True
                        if done:
                            if host._timers_dirty:
                                touch(host)
                            return
            deliver(VerifiedFrame(frame))

        return arrive

    def receive(self, port_no: int, frame, now: int) -> None:
        """A frame arrived on port `port_no`.  Nothing a remote sends can make this raise.
        (`arrival` has its first case inlined: keep the two alike.)"""
        iface = self._port_iface[port_no]
        try:
            t = type(frame)
            if t is VerifiedFrame and len(frame) >= 42:
                # A frame this stack built (checksums known good), the usual case: its Ethernet
                # and IPv4 fields in one unpack (the IPv4 ones mean something only when `et`
                # says IPv4), then what is done with a unicast IPv4 or IPv6 frame for us,
                # the per-segment TCP case first.
                mac, et, vihl, total, frag, proto, src, dst = _ETH_IPV4_FIELDS(frame, 0)
                if mac == iface.mac:
                    if et == 0x0800:
                        if proto == 6:
                            # _transport_fast's TCP case, inlined (one Python frame less per
                            # segment): IPv4 without options, reserved flag or fragmentation,
                            # unicast to one of us from an ordinary source, no raw socket
                            # listening.  The TCP layer takes the segment from the frame itself
                            # (no views made here).
                            if vihl == 0x45 and not frag & 0xBFFF and not self.raw.endpoints \
                                    and 28 <= total and total + 14 <= len(frame) and dst in self._local4 \
                                    and dst[0] != 127 and src[0] < 224 and src[0] != 127 and self.tcp is not None:
                                self.tcp.input_frame(src, dst, frame, 34, 14 + total, now)
                                return
                        elif self._transport_fast(iface, frame, now):
                            return
                        self._ipv4_input(iface, memoryview(frame)[14:], now, False, True)
                        return
                    if et == 0x86DD:
                        if self._transport_fast6(iface, frame, now):
                            return
                        self.ip6.input(iface, memoryview(frame)[14:], now, False, True)
                        return
            trusted = t is VerifiedFrame
            if t is not bytes and not trusted:
                frame = bytes(frame)
            if len(frame) < 14:
                self._drop("eth.rx.truncated", "eth", "truncated", length=len(frame))
                return
            dst = frame[0:6]
            bcast = False
            if dst != iface.mac:
                if not dst[0] & 1:
                    self.stats["eth.rx.filtered"] += 1  # the NIC filter: unicast for another station
                    return False
                if dst != b"\xff\xff\xff\xff\xff\xff" and dst not in iface.mcast_macs and not iface.allmulti:
                    self.stats["eth.rx.filtered"] += 1  # a multicast group nobody here joined
                    return False
                bcast = True
            et = (frame[12] << 8) | frame[13]
            # (A trusted unicast IPv4 or IPv6 frame for us has been taken above unless it is
            # shorter than 42 bytes, too short for _transport_fast and _transport_fast6.)
            if et == 0x0800:
                self._ipv4_input(iface, memoryview(frame)[14:], now, bcast, trusted)
            elif et == 0x86DD:
                self.ip6.input(iface, memoryview(frame)[14:], now, bcast, trusted)
            elif et == 0x0806:
                # The common case on a big LAN: a well-formed broadcast ARP neither for nor
                # about anyone we know (RFC 826 would only merge a known sender).  Skip it
                # before parsing; anything else takes the full path.
                if bcast and len(frame) >= 42 and frame[14:20] == b"\x00\x01\x08\x00\x06\x04" \
                        and frame[38:42] not in iface.addrs4 and frame[28:32] not in iface.addrs4:
                    cache = self.arp.caches.get(iface.index)
                    if cache is None or frame[28:32] not in cache.entries:
                        self.stats["arp.rx.ignored"] += 1
                        return False
                self.arp.input(iface, memoryview(frame)[14:], now)
            else:
                self._receive_other(iface, frame, now)
        except Exception as e:  # a bug, not the sender's fault: count it loudly, keep running
            self.stats["host.rx.internal_error"] += 1
            self.trace("host", "internal_error", error=repr(e))

    def _transport_fast(self, iface: Interface, frame, now: int) -> bool:
        """The common case of `_ipv4_input` and `_deliver`, for a frame this stack built
        (checksums known good) to one of us: IPv4 without options, reserved flag or
        fragmentation, unicast from an ordinary source, TCP or UDP, no raw socket listening.
        The transport gets the payload without an IPv4Header being made.  True when
        delivered; False to take the full path, which makes the same checks and the rest.
        (`receive` makes these checks itself for TCP, the per-segment case.)"""
        if len(frame) < 42 or frame[14] != 0x45 or frame[20] & 0xBF or frame[21] or self.raw.endpoints:
            return False
        proto = frame[23]
        total = (frame[16] << 8) | frame[17]
        if total < 28 or total + 14 > len(frame):
            return False
        dst = frame[30:34]
        src = frame[26:30]
        if dst not in self._local4 or dst[0] == 127 or src[0] >= 224 or src[0] == 127:
            return False
        if proto == 6:
            if self.tcp is None:
                return False
            self.tcp.input(src, dst, memoryview(frame)[34:14 + total], now, True)
            return True
        if proto == 17:
            payload = memoryview(frame)[34:14 + total]
            if not self.udp.input(src, dst, payload, now, False, True, iface.index, frame[22], frame[15]):
                hdr, _ = ipv4_wire.parse(memoryview(frame)[14:], False)
                self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.PORT_UNREACH, 0, now)
            return True
        return False

    def _transport_fast6(self, iface: Interface, frame, now: int) -> bool:
        """`_transport_fast` for IPv6 (`Ipv6Layer.input` is the reference): no extension
        header, TCP or UDP, unicast to one of our usable addresses from an ordinary source."""
        if len(frame) < 62 or frame[14] >> 4 != 6 or self.raw.endpoints:
            return False
        nh = frame[20]
        plen = (frame[18] << 8) | frame[19]
        if (nh != 6 and nh != 17) or plen < 8 or 54 + plen > len(frame):
            return False
        src = frame[22:38]
        dst = frame[38:54]
        if src[0] == 0xFF or dst not in self._local6 or src == IPV6_LOOPBACK or dst == IPV6_LOOPBACK:
            return False
        if nh == 6 and self.tcp is None:
            return False
        self.stats["ip6.rx.packets"] += 1
        if nh == 6:
            self.tcp.input_frame(src, dst, frame, 54, 54 + plen, now)
            return True
        payload = memoryview(frame)[54:54 + plen]
        if not self.udp.input(src, dst, payload, now, False, True, iface.index, frame[21],
                              ((frame[14] & 0x0F) << 4) | (frame[15] >> 4)):
            from .wire import icmpv6
            from .wire import ipv6 as ipv6_wire

            packet = memoryview(frame)[14:]
            hdr, _ = ipv6_wire.parse(packet)
            self.ip6.send_error(hdr, packet, icmpv6.DEST_UNREACH, icmpv6.PORT_UNREACH, 0, now)
        return True

    def _receive_other(self, iface: Interface, frame: bytes, now: int) -> None:
        try:
            eth, payload = ethernet.parse(memoryview(frame))
        except WireError as e:
            self._drop(f"eth.rx.{e.reason}", "eth", e.reason, detail=str(e))
            return
        if eth.vlan is not None:
            self._drop("eth.rx.vlan", "eth", "802.1Q tag on an untagged interface", vlan=eth.vlan)
            return
        self.stats["eth.rx.unknown_ethertype"] += 1
        self.trace("eth", "drop", reason="unknown ethertype", ethertype=f"{eth.ethertype:#06x}")

    def _guarded_ipv4_input(self, iface, buf, now, bcast) -> None:
        try:
            if len(buf) and buf[0] >> 4 == 6:
                self.ip6.input(iface, buf, now, bcast, True)
            else:
                self._ipv4_input(iface, buf, now, bcast)
        except Exception as e:
            self.stats["host.rx.internal_error"] += 1
            self.trace("host", "internal_error", error=repr(e))

    def _ipv4_input(self, iface: Interface, buf: memoryview, now: int, link_bcast: bool, trusted: bool = False) -> None:
        try:
            hdr, payload = ipv4_wire.parse(buf, not trusted)
        except WireError as e:
            self._drop(f"ip.rx.{e.reason}", "ip", e.reason, detail=str(e))
            return
        src = hdr.src
        dst = hdr.dst
        if src[0] >= 224 or (src[0] == 127 and not iface.loopback):
            self._drop("ip.rx.martian", "ip", "martian source", src=src, dst=dst)
            return
        if dst in self._local4:
            if dst[0] == 127 and not iface.loopback:
                self._drop("ip.rx.martian", "ip", "loopback destination on a real interface", dst=dst)
                return
            self._deliver(iface, hdr, payload, buf, now, False, trusted)
        elif dst[0] == 127 and iface.loopback:
            self._deliver(iface, hdr, payload, buf, now, False, trusted)
        elif dst in self._bcast4:
            self._deliver(iface, hdr, payload, buf, now, True, trusted)
        elif 224 <= dst[0] <= 239:
            if dst in iface.mcast_groups or iface.allmulti:
                self._deliver(iface, hdr, payload, buf, now, True, trusted)
            else:
                self.stats["ip.rx.mcast_not_joined"] += 1
        elif link_bcast:
            self._drop("ip.rx.not_for_us", "ip", "unicast IP in a link broadcast", dst=dst)
        elif self.config.forwarding:
            self._forward(iface, hdr, payload, now, trusted)
        else:
            self._drop("ip.rx.not_for_us", "ip", "not our address", dst=dst)

    def _deliver(self, iface: Interface, hdr: IPv4Header, payload, packet, now: int, bcast: bool,
                 trusted: bool = False) -> None:
        if hdr.mf or hdr.frag_offset:
            done = self.reasm.add(hdr, payload, now)
            if done is None:
                return
            hdr, whole = done
            payload = memoryview(whole)
            packet = None
        proto = hdr.proto
        took_raw = False
        if self.raw.endpoints:
            if packet is None:
                packet = ipv4_wire.build(hdr, payload)
            icmp_type = payload[0] if proto == ipv4_wire.PROTO_ICMP and len(payload) else None
            took_raw = self.raw.input(proto, hdr.src, hdr.dst, bytes(packet), icmp_type, 4, hdr.ttl, hdr.tos,
                                      iface.index)
        if proto == ipv4_wire.PROTO_UDP:
            if not self.udp.input(hdr.src, hdr.dst, payload, now, bcast, trusted, iface.index, hdr.ttl,
                                  hdr.tos) and not bcast:
                self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.PORT_UNREACH, 0, now)
        elif proto == ipv4_wire.PROTO_TCP and self.tcp is not None:
            if not bcast:
                self.tcp.input(hdr.src, hdr.dst, payload, now, trusted)
            else:
                self.stats["tcp.rx.broadcast"] += 1
        elif proto == PROTO_UDPLITE:
            if not self.udplite.input(hdr.src, hdr.dst, payload, now, bcast, trusted, iface.index, hdr.ttl,
                                      hdr.tos) and not bcast:
                self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.PORT_UNREACH, 0, now)
        elif proto == ipv4_wire.PROTO_ICMP:
            self._icmp_input(iface, hdr, payload, now, bcast)
        elif proto == ipv4_wire.PROTO_IGMP:
            self._igmp_input(iface, hdr, payload, now)
        elif not took_raw:
            self.stats["ip.rx.unknown_protocol"] += 1
            self.trace("ip", "drop", reason="no such protocol", proto=proto, src=hdr.src)
            if not bcast:
                self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.PROTO_UNREACH, 0, now)

    # -- IGMP and MLD ----------------------------------------------------------------

    def _igmp_input(self, iface: Interface, hdr: IPv4Header, payload, now: int) -> None:
        alert = ROUTER_ALERT_V4 in hdr.options
        msg = bytes(payload)
        if self.igmp is not None and (hdr.dst in iface.mcast_groups or hdr.dst in iface.addrs4):
            self.igmp.input(iface, hdr.src, hdr.dst, msg, now, ttl=hdr.ttl, router_alert=alert)
        for q in self.queriers:
            if q.layer == "igmp":
                q.input(iface, hdr.src, hdr.dst, msg, now, ttl=hdr.ttl, router_alert=alert)

    def mld_input(self, iface: Interface, src: bytes, dst: bytes, message: bytes, now: int, hop_limit: int) -> None:
        """An MLD message (from the IPv6 layer): the node's MLD layer and any querier hear it."""
        if self.mld is not None and (dst in iface.mcast_groups or dst in iface.addrs6):
            self.mld.input(iface, src, dst, message, now, ttl=hop_limit)
        for q in self.queriers:
            if q.layer == "mld":
                q.input(iface, src, dst, message, now, ttl=hop_limit)

    def _send_igmp(self, iface: Interface, dst: bytes, msg: bytes) -> None:
        """RFC 3376 §4: TTL 1, IP Router Alert (RFC 2113), the interface's address as source
        (0.0.0.0 before it has one), and precedence "internetwork control" as Linux sends it."""
        src = iface.primary_ipv4() or bytes(4)
        packet = ipv4_wire.build(IPv4Header(src, dst, ipv4_wire.PROTO_IGMP, 1, 0xC0, self.next_ident(), True,
                                            options=ROUTER_ALERT_V4), msg)
        self.stats["igmp.tx.packets"] += 1
        self.send_frame(iface, mcast_mac(dst), ethernet.ETH_P_IP, packet)

    def query(self, iface: "Interface | str | None" = None, *, igmp: bool = True, mld: bool = True, config=None):
        """Run an IGMP and an MLD querier on `iface` (every interface if None), as a
        multicast router does (RFC 3376 §6, RFC 3810 §7).  The interface then hears every
        multicast frame (reports go to the groups themselves)."""
        from .querier import IgmpQuerier, MldQuerier

        ifaces = [self.interface(iface) if isinstance(iface, str) else iface] if iface is not None else \
            [i for i in self.interfaces if not i.loopback]
        if igmp and not any(q.layer == "igmp" for q in self.queriers):
            self.queriers.append(IgmpQuerier(self, self._send_igmp, config))
        if mld and not any(q.layer == "mld" for q in self.queriers):
            self.queriers.append(MldQuerier(self, lambda i, dst, msg: self.ip6.send_mld(i, dst, msg), config))
        self._timed_layers()
        for i in ifaces:
            i.allmulti = True
            i.querier = True
            if i.up:
                self._start_queriers(i)

    def _start_queriers(self, iface: Interface) -> None:
        now = self.clock()
        for q in self.queriers:
            addr = iface.primary_ipv4() if q.layer == "igmp" else self.link_local_of(iface)
            if addr is not None and not q.is_querier(iface) and iface not in q.ifaces:
                q.enable(iface, addr, now)

    # -- ICMP -----------------------------------------------------------------

    def _icmp_input(self, iface: Interface, hdr: IPv4Header, payload, now: int, bcast: bool) -> None:
        try:
            ic, body = icmp_wire.parse(payload)
        except WireError as e:
            self._drop(f"icmp.rx.{e.reason}", "icmp", e.reason, src=hdr.src)
            return
        t = ic.type
        self.stats[f"icmp.rx.type{t}"] += 1
        if t == icmp_wire.ECHO_REQUEST:
            if bcast and self.config.icmp.echo_ignore_broadcasts:
                self.stats["icmp.rx.echo_broadcast_ignored"] += 1
                return
            src = hdr.dst if not bcast else (iface.primary_ipv4() or hdr.dst)
            reply = icmp_wire.build(icmp_wire.ECHO_REPLY, 0, ic.rest, body)
            self.stats["icmp.tx.echo_reply"] += 1
            self.ip_send(src, hdr.src, ipv4_wire.PROTO_ICMP, reply, tos=hdr.tos)
        elif t in (icmp_wire.DEST_UNREACH, icmp_wire.TIME_EXCEEDED, icmp_wire.PARAM_PROBLEM):
            self._icmp_error_input(ic, body, now)

    def _icmp_error_input(self, ic, quoted: memoryview, now: int) -> None:
        """An ICMP error about a packet we sent: tell the transport (RFC 1122 §3.2.2)."""
        if len(quoted) < 28:
            self._drop("icmp.rx.short_quote", "icmp", "quoted packet too short", length=len(quoted))
            return
        ihl = (quoted[0] & 0x0F) * 4
        if quoted[0] >> 4 != 4 or ihl < 20 or len(quoted) < ihl + 8:
            self._drop("icmp.rx.bad_quote", "icmp", "quoted header malformed")
            return
        qproto = quoted[9]
        qsrc = bytes(quoted[12:16])
        qdst = bytes(quoted[16:20])
        qlen = int.from_bytes(quoted[2:4], "big")
        if ic.type == icmp_wire.DEST_UNREACH:
            kind = _UNREACH_KIND.get(ic.code, "host_unreach")
        elif ic.type == icmp_wire.TIME_EXCEEDED:
            if ic.code != icmp_wire.TTL_EXCEEDED:
                return
            kind = "ttl_exceeded"
        else:
            kind = "param_problem"
        info = 0
        if kind == "frag_needed":
            info = ic.mtu
            route = self.routes.lookup(qdst)
            link_mtu = route.iface.mtu if route else 1500
            new = self.pmtu.learn(qdst, ic.mtu, qlen, now, link_mtu)
            if new is not None:
                self.trace("ip", "pmtu", dst=qdst, mtu=new)
            info = self.path_mtu(qdst)
        self.trace("icmp", "error_received", kind=kind, about=qdst, proto=qproto)
        rest = quoted[ihl:]
        if qproto == ipv4_wire.PROTO_UDP:
            self.udp.icmp_error(kind, qsrc, qdst, rest, info, now)
        elif qproto == PROTO_UDPLITE:
            self.udplite.icmp_error(kind, qsrc, qdst, rest, info, now)
        elif qproto == ipv4_wire.PROTO_TCP and self.tcp is not None:
            self.tcp.icmp_error(kind, qsrc, qdst, rest, info, now)

    def send_icmp_error(self, orig: IPv4Header, payload, typ: int, code: int, rest: int, now: int) -> None:
        """Report a problem with `orig` to its sender, if RFC 1122 §3.2.2 allows and the limiter agrees."""
        src = orig.src
        if orig.frag_offset or not any(src) or src in self._bcast4 or src[0] >= 224:
            return
        if orig.dst in self._bcast4 or 224 <= orig.dst[0] <= 239:
            return
        if orig.proto == ipv4_wire.PROTO_ICMP and (len(payload) < 1 or payload[0] not in (0, 8, 13, 14, 15, 16, 17, 18)):
            return  # never an error about an error
        if not self.icmp_limiter.allow(src, now):
            self.stats["icmp.tx.ratelimited"] += 1
            self.trace("icmp", "ratelimited", to=src, type=typ, code=code)
            return
        head = ipv4_wire.build_header(orig._replace(ttl=orig.ttl), len(payload))
        room = ICMP_QUOTE_MAX - 20 - 8 - len(head)
        quote = head + bytes(payload[:room])
        msg = icmp_wire.build(typ, code, rest, quote)
        me = self.source_for(src)
        if me is None:
            return
        self.stats[f"icmp.tx.type{typ}"] += 1
        self.trace("icmp", "error_sent", type=typ, code=code, to=src, about=orig.dst)
        self.ip_send(me, src, ipv4_wire.PROTO_ICMP, msg, tos=0xC0)

    # -- forwarding (routers) ---------------------------------------------------

    def _forward(self, iface: Interface, hdr: IPv4Header, payload, now: int, trusted: bool = False) -> None:
        """RFC 1812 §5.2: decrement TTL, route, fragment or report."""
        if hdr.ttl <= 1:
            self.stats["ip.fwd.ttl_exceeded"] += 1
            self.trace("ip", "drop", reason="TTL exceeded in transit", src=hdr.src, dst=hdr.dst)
            self.send_icmp_error(hdr, payload, icmp_wire.TIME_EXCEEDED, icmp_wire.TTL_EXCEEDED, 0, now)
            return
        route = self.routes.lookup(hdr.dst)
        if route is None:
            self.stats["ip.fwd.no_route"] += 1
            self.trace("ip", "drop", reason="no route", dst=hdr.dst)
            self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.NET_UNREACH, 0, now)
            return
        out = route.iface
        h = hdr._replace(ttl=hdr.ttl - 1)
        nh = route.gateway or hdr.dst
        if h.header_len + len(payload) > out.mtu:
            if h.df:
                self.stats["ip.fwd.frag_needed"] += 1
                self.trace("ip", "drop", reason="fragmentation needed and DF set", dst=hdr.dst, mtu=out.mtu)
                self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.FRAG_NEEDED, out.mtu, now)
                return
            self.stats["ip.fwd.fragmented"] += 1
            for p in fragment(h, payload, out.mtu):
                self._send_ip(out, nh, p if trusted else Unverified(p), now)
        else:
            p = ipv4_wire.build(h, payload)
            self._send_ip(out, nh, p if trusted else Unverified(p), now)
        self.stats["ip.fwd.packets"] += 1

    # -- frames and packets out ----------------------------------------------------

    def send_frame(self, iface: Interface, dst_mac: bytes, ethertype: int, payload) -> None:
        ch = iface.channel
        if ch is None:
            self.stats["eth.tx.no_link"] += 1
            return
        frame = ethernet.build(dst_mac, iface.mac, ethertype, payload)
        ch.transmit(frame if type(payload) is Unverified else VerifiedFrame(frame))

    def _send_ip(self, iface: Interface, next_hop: bytes, packet: bytes, now: int, dst: bytes | None = None) -> None:
        if iface.loopback:
            self._loop.append(packet)
            self._timers_dirty = True  # poll_at() is now
            return
        if dst is None:
            dst = packet[16:20]
        if dst in self._bcast4:
            mac = b"\xff\xff\xff\xff\xff\xff"
        elif 224 <= dst[0] <= 239:
            mac = mcast_mac(dst)
        else:
            cache = self.arp.caches.get(iface.index) or self.arp.cache(iface)
            e = cache.entries.get(next_hop)
            if e is not None and e.state is REACHABLE:
                mac = e.lladdr  # the common case, without a call
            else:
                mac = cache.lookup(next_hop, now)
                if mac is None:
                    cache.enqueue(next_hop, packet, now)
                    return
        self.send_frame(iface, mac, ethernet.ETH_P_IP, packet)

    # -- the transports' environment (docs/internals.md) ------------------------------

    def is_local(self, addr: bytes) -> bool:
        if len(addr) == 4:  # (each family's tests alone: every new connection asks)
            return addr in self._local4 or addr[0] == 127
        return addr in self._local6 or addr == IPV6_LOOPBACK

    def is_broadcast(self, addr: bytes) -> bool:
        return addr in self._bcast4

    def _route(self, dst: bytes):
        """(interface, next hop) toward `dst`, or None.  (`path_mtu` has it inlined: keep alike.)"""
        if dst in self._local4 or dst[0] == 127:
            return self.lo, dst
        r = self.routes.lookup(dst)
        if r is None:
            return None
        return r.iface, (r.gateway or dst)

    def source_for(self, dst: bytes, ifindex: int | None = None) -> bytes | None:
        if len(dst) == 16:
            return self._source_for6(dst, ifindex)
        if len(dst) != 4:
            return None
        if dst in self._local4:
            return dst
        if dst[0] == 127:
            return b"\x7f\x00\x00\x01"
        routes = self.routes
        r = routes.memo.get(dst, routes)  # RouteTable.lookup()'s memo, inlined (every connect asks)
        if r is routes:
            r = routes.lookup(dst)
        if r is None:
            return None
        return r.source or r.iface.primary_ipv4()

    def _source_for6(self, dst: bytes, ifindex: int | None) -> bytes | None:
        """RFC 6724 §5 among the addresses of the interface the packet would leave by."""
        if dst in self._local6 or dst == IPV6_LOOPBACK:
            return dst
        rt = self.ip6._route(dst, None, ifindex)
        if rt is None:
            return None
        return select_source(rt[0].ipv6, dst)

    def path_mtu(self, dst: bytes) -> int:
        n = len(dst)
        if n == 16:
            return self.ip6.path_mtu(dst)
        if n != 4:
            return 1500
        # the interface of self._route(dst), inlined (every new connection asks): keep alike
        if dst in self._local4 or dst[0] == 127:
            mtu = self.lo.mtu
        else:
            routes = self.routes
            r = routes.memo.get(dst, routes)  # RouteTable.lookup()'s memo, inlined
            if r is routes:
                r = routes.lookup(dst)
            if r is None:
                return 1500
            mtu = r.iface.mtu
        if not self.pmtu.entries:
            return mtu
        p = self.pmtu.get(dst, self.clock())
        return min(mtu, p) if p else mtu

    def next_ident(self) -> int:
        self._ident = (self._ident + 1) & 0xFFFF
        return self._ident

    def ip_send(self, src: bytes, dst: bytes, proto: int, payload, *, ttl: int | None = None, tos: int = 0,
                df: bool | None = None, ifindex: int | None = None, mcast_loop: bool = False) -> int:
        """Send one datagram; 0 or an errno (ENETUNREACH, EMSGSIZE).  For a multicast
        destination, `ifindex` is the socket's chosen interface and `mcast_loop` asks for a
        copy to this host's own members (IP_MULTICAST_LOOP)."""
        if len(dst) != 4:
            if len(dst) == 16:
                return self.ip6.send(src, dst, proto, payload, hop_limit=ttl, traffic_class=tos, df=df,
                                     ifindex=ifindex, mcast_loop=mcast_loop)
            return errno.EAFNOSUPPORT
        if 224 <= dst[0] <= 239:
            return self._ip_send_multicast(src, dst, proto, payload, ttl, tos, ifindex, mcast_loop)
        rt = self._route(dst)
        if rt is None:
            self.stats["ip.tx.no_route"] += 1
            self.trace("ip", "no_route", dst=dst)
            return errno.ENETUNREACH
        iface, nh = rt
        now = self.clock()
        if ttl is None:
            ttl = self.config.ttl
        size = 20 + len(payload)
        too_big = size > iface.mtu or (self.pmtu.entries and size > self.path_mtu(dst))
        if df is None:  # IP_PMTUDISC_WANT: DF when it fits the path MTU, else fragment here
            df = not too_big
        if too_big:
            if df:
                return errno.EMSGSIZE
            self.stats["ip.tx.fragmented"] += 1
            hdr = IPv4Header(src, dst, proto, ttl, tos, self.next_ident(), False)
            for p in fragment(hdr, payload, self.path_mtu(dst)):
                self._send_ip(iface, nh, p, now)
            return 0
        self._ident = ident = (self._ident + 1) & 0xFFFF
        self._send_ip(iface, nh, ipv4_wire.build_plain(src, dst, proto, ttl, tos, ident, df, payload), now, dst)
        return 0

    def _ip_send_multicast(self, src, dst, proto, payload, ttl, tos, ifindex, mcast_loop) -> int:
        if ifindex:
            iface = self.interfaces[ifindex - 1] if 0 < ifindex <= len(self.interfaces) else None
        else:
            r = self.routes.lookup(dst)
            iface = r.iface if r is not None else None
        if iface is None:
            self.stats["ip.tx.no_route"] += 1
            return errno.ENETUNREACH
        if not any(src):
            src = iface.primary_ipv4() or src
        packet = ipv4_wire.build_plain(src, dst, proto, 1 if ttl is None else ttl, tos, self.next_ident(), False,
                                       payload)
        if len(packet) > iface.mtu:
            for p in fragment(IPv4Header(src, dst, proto, 1 if ttl is None else ttl, tos, self.next_ident()),
                              payload, iface.mtu):
                self._send_multicast_packet(iface, dst, p, mcast_loop)
            return 0
        self._send_multicast_packet(iface, dst, packet, mcast_loop)
        return 0

    def _send_multicast_packet(self, iface, dst: bytes, packet: bytes, mcast_loop: bool) -> None:
        if not iface.loopback:
            self.send_frame(iface, mcast_mac(dst), ethernet.ETH_P_IP, packet)
        if mcast_loop and dst in iface.mcast_groups:
            self._loop.append((iface, packet))  # RFC 1112 §6.1: our own members hear it too
            self._timers_dirty = True

    def udp_fast_path(self, src: bytes, dst: bytes, sport: int, dport: int, ttl: int, tos: int, df: bool):
        """A cached transmit path for a UDP flow, or None (see stack/fastpath.py)."""
        from .fastpath import udp_fast_path

        return udp_fast_path(self, src, dst, sport, dport, ttl, tos, df)

    def tcp_fast_path(self, src: bytes, dst: bytes):
        """A cached transmit path for TCP segments from `src` to `dst` while it is usable,
        or None (see stack/fastpath.py); one per address pair, shared by connections."""
        paths = self._tcp_paths
        fp = paths.get((src, dst))
        if fp is not None and fp.usable():
            return fp
        from .fastpath import tcp_fast_path

        fp = tcp_fast_path(self, src, dst)
        if fp is None:
            paths.pop((src, dst), None)
        else:
            if len(paths) > 4096:
                paths.clear()
            paths[(src, dst)] = fp
        return fp

    def ip_send_raw(self, packet: bytes) -> int:
        """IP_HDRINCL: the caller wrote the header; as Linux, fill in length, checksum, and
        a zero source or ident."""
        try:
            hdr, payload = ipv4_wire.parse(memoryview(packet), verify_checksum=False)
        except WireError:
            return errno.EINVAL
        if not any(hdr.src):
            src = self.source_for(hdr.dst)
            if src is None:
                return errno.ENETUNREACH
            hdr = hdr._replace(src=src)
        if hdr.ident == 0:
            hdr = hdr._replace(ident=self.next_ident())
        rt = self._route(hdr.dst)
        if rt is None:
            return errno.ENETUNREACH
        iface, nh = rt
        out = ipv4_wire.build(hdr, payload)
        if len(out) > iface.mtu:
            return errno.EMSGSIZE
        self._send_ip(iface, nh, out, self.clock())
        return 0

    def resolution_failed(self, iface: Interface, addr: bytes, queued: list, now: int) -> None:
        """ARP gave up on `addr`: tell the senders of queued packets (RFC 1122 §2.3.2.2)."""
        for packet in queued:
            try:
                hdr, payload = ipv4_wire.parse(memoryview(packet), verify_checksum=False)
            except WireError:
                continue
            if hdr.src in self._local4:
                # our own packet: the transport learns it as a host-unreachable error
                rest = payload
                if hdr.proto == ipv4_wire.PROTO_UDP:
                    self.udp.icmp_error("host_unreach", hdr.src, hdr.dst, rest, 0, now)
                elif hdr.proto == PROTO_UDPLITE:
                    self.udplite.icmp_error("host_unreach", hdr.src, hdr.dst, rest, 0, now)
                elif hdr.proto == ipv4_wire.PROTO_TCP and self.tcp is not None:
                    self.tcp.icmp_error("host_unreach", hdr.src, hdr.dst, rest, 0, now)
            else:
                self.send_icmp_error(hdr, payload, icmp_wire.DEST_UNREACH, icmp_wire.HOST_UNREACH, 0, now)

    # -- the faces -------------------------------------------------------------

    def next_fileno(self) -> int:
        self._fileno += 1
        return self._fileno

    @property
    def socket(self):
        """This host's socket namespace: a module-like object with CPython's socket API.

        The one place `stack` reaches up to `socketapi`, lazily: the namespace is the face
        of the host, and a stack used without sockets never imports it.
        """
        ns = self.__dict__.get("_socket_ns")
        if ns is None:
            import importlib

            ns = importlib.import_module("socketapi").namespace(self)
            self.__dict__["_socket_ns"] = ns
        return ns

    def spawn(self, fn, *args, name: str | None = None):
        """Run `fn(self.socket, *args)` as a task of this host's runtime."""
        if self.runtime is None:
            raise RuntimeError(f"host {self.name} has no runtime; add it to a Network first")
        return self.runtime.spawn(self, fn, args, name)

    def sleep(self, seconds: float) -> None:
        """Inside a task: sleep in the runtime's time (virtual in simulation)."""
        self.runtime.pause(seconds)

    def neighbors(self) -> list[tuple[str, str, str, str]]:
        """(interface, address, MAC, state) rows, like `ip neigh`."""
        rows = []
        for caches in (self.arp.caches, self.ndp.caches):
            for index, cache in caches.items():
                for addr, lladdr, state in cache.table():
                    rows.append((self.interfaces[index].name, ip_str(addr), mac_str(lladdr) if lladdr else "-", state))
        return rows

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def mcast_mac(group: bytes) -> bytes:
    """RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the IPv4 group."""
    return b"\x01\x00\x5e" + bytes([group[1] & 0x7F, group[2], group[3]])


def group_mac(group: bytes) -> bytes:
    """The Ethernet multicast address of an IPv4 or IPv6 group."""
    return mcast_mac(group) if len(group) == 4 else ipv6_mcast_mac(group)
