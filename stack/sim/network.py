"""`Network`: build a virtual network of hosts, routers, switches, probes and links, and run it."""

from __future__ import annotations

from ..host import Host, HostConfig
from ..router import Router
from ..trace import Tracer
from .events import EventQueue
from .link import Link
from .probe import Probe
from .runtime import SimRuntime
from .switch import Switch


class Network:
    """A whole simulated network on one virtual clock.

    `Network(seed=1)` uses the SimRuntime; `Network(realtime=True)` drives the same
    elements from the monotonic clock in a stack thread (see `socketapi.realtime`).
    """

    def __init__(self, seed: int = 0, *, realtime: bool = False, trace: bool = False,
                 print_task_errors: bool = True) -> None:
        self.seed = seed
        self.events = EventQueue()
        self.tracer = Tracer(verbose=trace)
        self.nodes: dict[str, object] = {}
        self.links: list[Link] = []
        self.print_task_errors = print_task_errors
        self._macs = 0
        self._captures: list = []
        if realtime:
            import importlib

            self.runtime = importlib.import_module("socketapi.realtime").RealtimeRuntime(self)
        else:
            self.runtime = SimRuntime(self)

    # -- building -----------------------------------------------------------

    def _name_free(self, name: str) -> None:
        if name in self.nodes:
            raise ValueError(f"a node named {name!r} already exists")

    def _mac(self, host, index: int) -> bytes:
        self._macs += 1
        return b"\x02\x00\x00" + self._macs.to_bytes(3, "big")

    def _adopt(self, host: Host) -> Host:
        host.runtime = self.runtime
        host.network = self
        self.nodes[host.name] = host
        return host

    def add_host(self, name: str, ip=None, ip6=None, gateway: str | None = None, *, mac: str | None = None,
                 config: HostConfig | None = None, cls=Host) -> Host:
        """A host with one interface per address in `ip` (a string, or a list for several
        interfaces, taken by links in the order they are added), IPv6 addresses in `ip6`
        the same way (the i-th goes on the i-th interface), and a default `gateway` (IPv4
        or IPv6; routers advertise IPv6 ones too)."""
        self._name_free(name)
        host = cls(name, config=config, seed=self.seed, tracer=self.tracer, clock=self.runtime.now_us, mac_factory=self._mac)
        addrs = [ip] if isinstance(ip, str) else list(ip or [])
        addrs6 = [ip6] if isinstance(ip6, str) else list(ip6 or [])
        for i in range(max(len(addrs), len(addrs6))):
            iface = host.add_interface(ip=addrs[i] if i < len(addrs) and addrs[i] else None,
                                       mac=_parse_mac(mac) if (mac and i == 0) else None)
            if i < len(addrs6) and addrs6[i]:
                host.add_address(iface, addrs6[i])
        if not addrs and not addrs6 and mac:
            host.add_interface(mac=_parse_mac(mac))
        if gateway is not None:
            host.set_gateway(gateway)
        return self._adopt(host)

    def add_router(self, name: str, ip=None, ip6=None, *, config: HostConfig | None = None) -> Router:
        """A router: like a host, with forwarding on; give one address per interface."""
        return self.add_host(name, ip=ip, ip6=ip6, config=config, cls=Router)

    def add_switch(self, name: str, *, aging: float = 300.0, snooping: bool = False) -> Switch:
        """A learning switch; with `snooping=True` it also snoops IGMP/MLD (RFC 4541) and
        forwards each group only to its members and the multicast routers."""
        self._name_free(name)
        sw = Switch(name, self, aging, snooping)
        self.nodes[name] = sw
        return sw

    def add_probe(self, name: str) -> Probe:
        self._name_free(name)
        p = Probe(name, self)
        self.nodes[name] = p
        return p

    def add_link(self, a, b, delay: float = 0.0, bandwidth: float | None = None, loss: float = 0.0,
                 duplicate: float = 0.0, reorder: float = 0.0, corrupt: float = 0.0, mtu: int = 1500,
                 *, queue: int = 1000, reorder_delay: float | None = None) -> Link:
        """Connect two nodes (objects or names).  Seconds, bit/s, fractions of frames, bytes."""
        a = self[a] if isinstance(a, str) else a
        b = self[b] if isinstance(b, str) else b
        link = Link(self, a, b, delay=delay, bandwidth=bandwidth, loss=loss, duplicate=duplicate, reorder=reorder,
                    corrupt=corrupt, mtu=mtu, queue=queue, reorder_delay=reorder_delay)
        self.links.append(link)
        for w, links in self._captures:
            if links is None:
                self._capture_link(w, link)
        self.runtime.touch(a)
        self.runtime.touch(b)
        return link

    def __getitem__(self, name: str):
        return self.nodes[name]

    @property
    def hosts(self) -> list[Host]:
        return [n for n in self.nodes.values() if isinstance(n, Host)]

    # -- names ------------------------------------------------------------

    def resolve(self, name: str) -> list[bytes]:
        """Addresses of a host by name (its interfaces' addresses, loopback excluded)."""
        node = self.nodes.get(name)
        if isinstance(node, Host):
            return [a.addr for i in node.interfaces if not i.loopback for a in i.ipv4] + \
                [a.addr for i in node.interfaces if not i.loopback for a in i.ipv6
                 if a.usable and not (a.addr[0] == 0xFE and a.addr[1] & 0xC0 == 0x80)]
        return []

    def name_of(self, addr: bytes) -> str | None:
        for node in self.nodes.values():
            if isinstance(node, Host) and any(a.addr == addr for i in node.interfaces for a in i.ipv4 + i.ipv6
                                              if not i.loopback):
                return node.name
        return None

    # -- running ------------------------------------------------------------

    @property
    def now(self) -> float:
        """Virtual time in seconds."""
        return self.events.now / 1e6

    def start(self) -> None:
        """RealtimeRuntime: start the stack thread (it runs until `stop()`)."""
        self.runtime.start()

    def stop(self) -> None:
        self.runtime.stop()

    def run(self, until: float | None = None) -> None:
        """Run until every task has ended, or to virtual time `until` (seconds) exactly."""
        try:
            self.runtime.run(None if until is None else int(round(until * 1e6)))
        finally:
            for w, _ in self._captures:
                w.flush()

    # -- capture and trace -----------------------------------------------------

    def capture(self, path: str, links=None):
        """Write every frame the links carry (or only `links`) from now on to a pcapng file."""
        from ..pcap import PcapWriter

        w = PcapWriter(path)
        chosen = None if links is None else [self._find_link(x) for x in links]
        self._captures.append((w, chosen))
        for link in (self.links if chosen is None else chosen):
            self._capture_link(w, link)
        w.flush()
        return w

    def _find_link(self, x) -> Link:
        if isinstance(x, Link):
            return x
        for link in self.links:
            if link.name == x or f"{link.b.name}-{link.a.name}" == x:
                return link
        raise KeyError(f"no link named {x!r}")

    def _capture_link(self, w, link: Link) -> None:
        index = w.add_interface(link.name)
        link.ab.captures.append((w, index))
        link.ba.captures.append((w, index))

    def stop_capture(self) -> None:
        for w, _ in self._captures:
            for link in self.links:
                link.ab.captures = [c for c in link.ab.captures if c[0] is not w]
                link.ba.captures = [c for c in link.ba.captures if c[0] is not w]
            w.close()
        self._captures.clear()

    def trace(self, fn=None):
        """Subscribe `fn(event)` to every trace event (print them: `net.trace(print)`)."""
        if fn is not None:
            self.tracer.subscribe(fn)
        return self.tracer


def _parse_mac(text: str) -> bytes:
    from ..addr import mac

    return mac(text)

