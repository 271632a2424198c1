"""The IPv6 layer of a host (RFC 8200): input with the extension header chain, delivery,
forwarding, fragmentation at the source, reassembly, ICMPv6 (RFC 4443) and path MTU
discovery (RFC 8201).

Input walks the header chain in order (§4.1): hop-by-hop options only first, routing
headers with segments left are refused (no source routing; type 0 is deprecated by
RFC 5095), destination options and hop-by-hop options apply §4.2's rules for unknown
options, and a fragment header hands the packet to the reassembler, which holds the
fragmentable part until the whole datagram is there.  An atomic fragment (offset 0,
M clear: RFC 6946) is processed at once without touching any reassembly queue.
Overlapping fragments discard the whole datagram (RFC 5722).  A first fragment that does
not hold the whole header chain is refused (RFC 7112).

Routers never fragment (§5): a packet bigger than the next link's MTU gets a Packet Too
Big.  Routers also send redirects (RFC 4861 §8.2) when a packet leaves by the interface
it came in on toward a better first hop on the same link.

ICMPv6 errors follow §2.4: never about an error, a redirect, or a packet to a multicast
or link-layer multicast address (except Packet Too Big and parameter problem code 2 for
an option whose type asks for it), and rate limited with the same token bucket as IPv4.
"""

from __future__ import annotations

import errno
from typing import NamedTuple

from .addr import ALL_NODES, IPV6_LOOPBACK, ipv6_mcast_mac, is_link_local
from .icmp import ErrorLimiter
from .ipv4 import PmtuCache, ReassemblyConfig, Reassembler
from .wire import ethernet
from .wire import icmpv6 as icmp6
from .wire import ipv6 as ipv6_wire
from .wire.errors import WireError
from .wire.ethernet import Unverified
from .wire.ipv6 import (
    DISCARD, DISCARD_ICMP, DISCARD_ICMP_UNLESS_MULTICAST, NH_DSTOPTS, NH_FRAGMENT, NH_HOPOPTS, NH_ICMPV6, NH_NONE,
    NH_ROUTING, NH_TCP, NH_UDP, NH_UDPLITE, IPv6Header,
)

UNSPECIFIED = bytes(16)
HEADER_LEN = ipv6_wire.HEADER_LEN
_KNOWN_OPTIONS = frozenset({ipv6_wire.OPT_ROUTER_ALERT})

_UNREACH_KIND = {
    icmp6.NO_ROUTE: "net_unreach",
    icmp6.ADMIN_PROHIBITED: "admin_prohibited",
    icmp6.BEYOND_SCOPE: "host_unreach",
    icmp6.ADDR_UNREACH: "host_unreach",
    icmp6.PORT_UNREACH: "port_unreach",
    5: "admin_prohibited",
    6: "admin_prohibited",
}


class Fragment(NamedTuple):
    """What the shared `Reassembler` needs to know of one IPv6 fragment.  `proto` is zero
    because §4.5 keys a datagram by source, destination and identification only."""

    src: bytes
    dst: bytes
    proto: int
    ident: int
    frag_offset: int
    mf: bool
    next_header: int
    hdr: IPv6Header
    total_length: int = 0

    @property
    def header_len(self) -> int:
        return 0


class Ipv6Layer:
    def __init__(self, host) -> None:
        self.host = host
        cfg = host.config
        self.hop_limit = cfg.hop_limit
        self.reasm = Reassembler(ReassemblyConfig(timeout=60_000_000, high_thresh=cfg.reassembly.high_thresh),
                                 host.stats, host.trace, "ip6")
        self.reasm.max_payload = 65535
        self.reasm.owner = host
        self.pmtu = PmtuCache()
        self.limiter = ErrorLimiter(cfg.icmp)

    # -- input -----------------------------------------------------------------------------

    def input(self, iface, buf: memoryview, now: int, link_mcast: bool, trusted: bool = False) -> None:
        host = self.host
        try:
            hdr, payload = ipv6_wire.parse(buf)
        except WireError as e:
            host._drop(f"ip6.rx.{e.reason}", "ip6", e.reason, detail=str(e))
            return
        src, dst = hdr.src, hdr.dst
        if src[0] == 0xFF:
            host._drop("ip6.rx.martian", "ip6", "multicast source", src=src, dst=dst)
            return
        if not iface.loopback and (src == IPV6_LOOPBACK or dst == IPV6_LOOPBACK):
            host._drop("ip6.rx.martian", "ip6", "loopback address on a real interface", src=src, dst=dst)
            return
        host.stats["ip6.rx.packets"] += 1
        if dst[0] == 0xFF:
            if dst in iface.mcast_groups or iface.allmulti:
                self._local(iface, hdr, payload, buf, now, True, trusted)
            else:
                host.stats["ip6.rx.mcast_not_joined"] += 1
            return
        if dst in host._local6 or (iface.loopback and dst == IPV6_LOOPBACK):
            self._local(iface, hdr, payload, buf, now, False, trusted)
            return
        a = iface.addrs6.get(dst)
        if a is not None:  # tentative or duplicate: only Neighbor Discovery may pass (RFC 4862 §5.4)
            if hdr.next_header == NH_ICMPV6 and len(payload) and payload[0] in (icmp6.NEIGHBOR_SOLICIT,
                                                                                    icmp6.NEIGHBOR_ADVERT):
                self._local(iface, hdr, payload, buf, now, False, trusted)
            else:
                host._drop("ip6.rx.tentative", "ip6", "packet to a tentative address", dst=dst)
            return
        if link_mcast:
            host._drop("ip6.rx.not_for_us", "ip6", "unicast IPv6 in a link multicast", dst=dst)
        elif host.config.forwarding:
            self._forward(iface, hdr, payload, buf, now, trusted)
        else:
            host._drop("ip6.rx.not_for_us", "ip6", "not our address", dst=dst)

    def _local(self, iface, hdr: IPv6Header, payload, packet, now: int, mcast: bool, trusted: bool) -> None:
        """Walk the extension headers (§4.1) and deliver to the upper layer."""
        host = self.host
        nh = hdr.next_header
        nh_at = 6  # offset in the packet of the field naming `nh`, for parameter problem pointers
        at = HEADER_LEN
        data = payload
        first = True
        while nh in ipv6_wire.EXTENSION_HEADERS:
            if nh == NH_HOPOPTS and not first:
                self._param_problem(hdr, packet, icmp6.UNRECOGNIZED_NEXT_HEADER, nh_at, now, mcast)
                return
            try:
                ext = ipv6_wire.parse_extension(nh, data)
            except WireError as e:
                host._drop(f"ip6.rx.{e.reason}", "ip6", e.reason, detail=str(e))
                return
            if nh == NH_HOPOPTS or nh == NH_DSTOPTS:
                if not self._options(hdr, packet, ext, at, now, mcast):
                    return
            elif nh == NH_ROUTING:
                if ext.body[1]:  # segments left: we are not asked to source-route
                    self._param_problem(hdr, packet, icmp6.ERRONEOUS_HEADER, at + 2, now, mcast)
                    return
            else:  # NH_FRAGMENT
                frag = ipv6_wire.parse_fragment(ext)
                rest = data[8:]
                if frag.offset == 0 and not frag.more:
                    host.stats["ip6.rx.atomic_fragment"] += 1  # RFC 6946: processed in isolation
                else:
                    done = self._reassemble(hdr, packet, frag, rest, at, now, mcast)
                    if done is None:
                        return
                    nh, data = done
                    # the reassembled packet as Linux hands it on: the header, then the datagram;
                    # an error about it (a port unreachable) quotes it, and pointers count in it
                    packet = ipv6_wire.build(hdr.src, hdr.dst, nh, data, hdr.hop_limit, hdr.traffic_class,
                                             hdr.flow_label)
                    hdr = hdr._replace(next_header=nh, payload_length=len(data))
                    data = memoryview(packet)[HEADER_LEN:]
                    at, nh_at = HEADER_LEN, 6
                    first = False
                    continue
            first = False
            nh_at = at
            at += ext.length
            nh = ext.next_header
            data = data[ext.length:]
        self._upper(iface, hdr, nh, data, packet, nh_at, now, mcast, trusted)

    def _options(self, hdr, packet, ext, at: int, now: int, mcast: bool) -> bool:
        """§4.2: act on unrecognised options by their type's high bits; False to drop."""
        try:
            options = ipv6_wire.parse_options(ext)
        except WireError as e:
            self.host._drop(f"ip6.rx.{e.reason}", "ip6", e.reason, detail=str(e))
            return False
        for opt in options:
            if opt.type in _KNOWN_OPTIONS:
                continue
            action = ipv6_wire.option_action(opt.type)
            if action == ipv6_wire.SKIP:
                continue
            self.host.stats["ip6.rx.unknown_option"] += 1
            self.host.trace("ip6", "drop", reason="unrecognised option", option=f"{opt.type:#04x}")
            if action == DISCARD_ICMP or (action == DISCARD_ICMP_UNLESS_MULTICAST and not mcast):
                self._param_problem(hdr, packet, icmp6.UNRECOGNIZED_OPTION, at + opt.offset, now,
                                    mcast, force=action == DISCARD_ICMP)
            elif action != DISCARD:
                pass
            return False
        return True

    def _reassemble(self, hdr, packet, frag, rest, at: int, now: int, mcast: bool):
        host = self.host
        if frag.more and len(rest) & 7:
            self._param_problem(hdr, packet, icmp6.ERRONEOUS_HEADER, 4, now, mcast)  # §4.5: Payload Length
            return None
        if frag.offset + len(rest) > 65535:
            self._param_problem(hdr, packet, icmp6.ERRONEOUS_HEADER, at + 2, now, mcast)  # the Fragment Offset
            return None
        if frag.offset == 0 and not _chain_complete(frag.next_header, rest):
            host.stats["ip6.rx.incomplete_chain"] += 1  # RFC 7112 §5
            self._param_problem(hdr, packet, icmp6.INCOMPLETE_CHAIN, 0, now, mcast)
            return None
        f = Fragment(hdr.src, hdr.dst, 0, frag.ident, frag.offset, frag.more, frag.next_header, hdr)
        done = self.reasm.add(f, rest, now)
        if done is None:
            return None
        first, whole = done
        return first.next_header, memoryview(whole)

    def _upper(self, iface, hdr, nh: int, data, packet, nh_at: int, now: int, mcast: bool, trusted: bool) -> None:
        host = self.host
        src, dst = hdr.src, hdr.dst
        took_raw = False
        raw = host.raw
        if raw.endpoints:
            icmp_type = data[0] if nh == NH_ICMPV6 and len(data) else None
            took_raw = raw.input(nh, src, dst, bytes(data), icmp_type, 16, hdr.hop_limit, hdr.traffic_class,
                                 iface.index)
        if nh == NH_UDP:
            if not host.udp.input(src, dst, data, now, mcast, trusted, iface.index, hdr.hop_limit,
                                  hdr.traffic_class) and not mcast:
                self.send_error(hdr, packet, icmp6.DEST_UNREACH, icmp6.PORT_UNREACH, 0, now)
        elif nh == NH_TCP and host.tcp is not None:
            if not mcast:
                host.tcp.input(src, dst, data, now, trusted)
            else:
                host.stats["tcp.rx.multicast"] += 1
        elif nh == NH_UDPLITE:
            if not host.udplite.input(src, dst, data, now, mcast, trusted, iface.index, hdr.hop_limit,
                                      hdr.traffic_class) and not mcast:
                self.send_error(hdr, packet, icmp6.DEST_UNREACH, icmp6.PORT_UNREACH, 0, now)
        elif nh == NH_ICMPV6:
            self._icmp_input(iface, hdr, data, now, mcast, trusted)
        elif nh == NH_NONE:
            host.stats["ip6.rx.no_next_header"] += 1
        elif not took_raw:
            host.stats["ip6.rx.unknown_protocol"] += 1
            host.trace("ip6", "drop", reason="no such protocol", next_header=nh, src=src)
            self._param_problem(hdr, packet, icmp6.UNRECOGNIZED_NEXT_HEADER, nh_at, now, mcast)

    # -- ICMPv6 --------------------------------------------------------------------------

    def _icmp_input(self, iface, hdr, data, now: int, mcast: bool, trusted: bool) -> None:
        host = self.host
        try:
            ic, body = icmp6.parse(data, hdr.src, hdr.dst, not trusted)
        except WireError as e:
            host._drop(f"icmp6.rx.{e.reason}", "icmp6", e.reason, src=hdr.src)
            return
        t = ic.type
        host.stats[f"icmp6.rx.type{t}"] += 1
        if t == icmp6.ECHO_REQUEST:
            src = hdr.dst if not mcast else host.source_for(hdr.src)
            if src is None:
                return
            host.stats["icmp6.tx.echo_reply"] += 1
            reply = icmp6.build(icmp6.ECHO_REPLY, 0, ic.rest, body, src, hdr.src)
            self.send(src, hdr.src, NH_ICMPV6, reply, traffic_class=hdr.traffic_class, ifindex=iface.index + 1)
        elif t in icmp6.ND_TYPES:
            host.ndp.input(iface, hdr, ic, body, now)
        elif t < 128:
            self._icmp_error_input(ic, body, now)
        elif t in (icmp6.MLD_QUERY, icmp6.MLD_REPORT, icmp6.MLD_DONE, icmp6.MLD2_REPORT):
            host.mld_input(iface, hdr.src, hdr.dst, bytes(data), now, hdr.hop_limit)

    def _icmp_error_input(self, ic, quoted, now: int) -> None:
        """An error about a packet we sent: find its upper-layer header and tell the transport."""
        host = self.host
        if len(quoted) < HEADER_LEN + 4 or quoted[0] >> 4 != 6:
            host._drop("icmp6.rx.bad_quote", "icmp6", "quoted packet malformed")
            return
        qsrc = bytes(quoted[8:24])
        qdst = bytes(quoted[24:40])
        nh = quoted[6]
        rest = quoted[HEADER_LEN:]
        while nh in ipv6_wire.EXTENSION_HEADERS:
            try:
                ext = ipv6_wire.parse_extension(nh, rest)
            except WireError:
                return
            if nh == NH_FRAGMENT and ipv6_wire.parse_fragment(ext).offset:
                return  # not the first fragment: no transport header to match
            nh, rest = ext.next_header, rest[ext.length:]
        info = 0
        if ic.type == icmp6.DEST_UNREACH:
            kind = _UNREACH_KIND.get(ic.code, "host_unreach")
        elif ic.type == icmp6.PACKET_TOO_BIG:
            kind = "frag_needed"
            route = self._route(qdst, None, None)
            link_mtu = route[0].mtu6 if route else 1500
            new = self.pmtu.learn(qdst, max(ic.mtu, icmp6.MIN_MTU), 0, now, link_mtu)  # RFC 8201 §4: not below 1280
            if new is not None:
                host.trace("ip6", "pmtu", dst=qdst, mtu=new)
            info = self.path_mtu(qdst)
        elif ic.type == icmp6.TIME_EXCEEDED:
            if ic.code != icmp6.HOP_LIMIT_EXCEEDED:
                return
            kind = "ttl_exceeded"
        elif ic.type == icmp6.PARAM_PROBLEM:
            kind = "proto_unreach" if ic.code == icmp6.UNRECOGNIZED_NEXT_HEADER else "param_problem"
        else:
            return
        host.trace("icmp6", "error_received", kind=kind, about=qdst, proto=nh)
        if nh == NH_UDP:
            host.udp.icmp_error(kind, qsrc, qdst, rest, info, now)
        elif nh == NH_UDPLITE:
            host.udplite.icmp_error(kind, qsrc, qdst, rest, info, now)
        elif nh == NH_TCP and host.tcp is not None:
            host.tcp.icmp_error(kind, qsrc, qdst, rest, info, now)

    def _param_problem(self, hdr, packet, code: int, pointer: int, now: int, mcast: bool, force: bool = False) -> None:
        self.host.stats[f"ip6.rx.param_problem{code}"] += 1
        if packet is None or (mcast and not force):
            return
        self.send_error(hdr, packet, icmp6.PARAM_PROBLEM, code, pointer, now, multicast_ok=force)

    def send_error(self, hdr: IPv6Header, packet, typ: int, code: int, rest: int, now: int,
                   multicast_ok: bool = False) -> None:
        """RFC 4443 §2.4: report a problem with `packet` to its sender, if allowed and the
        rate limiter agrees."""
        host = self.host
        if packet is None:
            return
        src = hdr.src
        if src == UNSPECIFIED or src[0] == 0xFF:
            return
        if hdr.dst[0] == 0xFF and not (multicast_ok or typ == icmp6.PACKET_TOO_BIG):
            return
        if _carries_icmp_error(packet):
            return  # (e.1), (e.2): never about an error or a redirect, behind any extension headers
        if not self.limiter.allow(src, now):
            host.stats["icmp6.tx.ratelimited"] += 1
            host.trace("icmp6", "ratelimited", to=src, type=typ, code=code)
            return
        me = hdr.dst if hdr.dst in host._local6 else host.source_for(src)
        if me is None:
            return
        quote = bytes(packet[:icmp6.ERROR_MAX - HEADER_LEN - icmp6.HEADER_LEN])
        msg = icmp6.build(typ, code, rest, quote, me, src)
        host.stats[f"icmp6.tx.type{typ}"] += 1
        host.trace("icmp6", "error_sent", type=typ, code=code, to=src, about=hdr.dst)
        self.send(me, src, NH_ICMPV6, msg)

    # -- forwarding (routers) ----------------------------------------------------------------

    def _forward(self, iface, hdr: IPv6Header, payload, packet, now: int, trusted: bool = False) -> None:
        host = self.host
        if is_link_local(hdr.dst):
            host._drop("ip6.fwd.link_local", "ip6", "link-local destination is not forwarded", dst=hdr.dst)
            return
        if is_link_local(hdr.src) or hdr.src == UNSPECIFIED:
            host.stats["ip6.fwd.beyond_scope"] += 1
            self.send_error(hdr, packet, icmp6.DEST_UNREACH, icmp6.BEYOND_SCOPE, 0, now)
            return
        if hdr.hop_limit <= 1:
            host.stats["ip6.fwd.hop_limit_exceeded"] += 1
            host.trace("ip6", "drop", reason="hop limit exceeded in transit", src=hdr.src, dst=hdr.dst)
            self.send_error(hdr, packet, icmp6.TIME_EXCEEDED, icmp6.HOP_LIMIT_EXCEEDED, 0, now)
            return
        route = host.routes.lookup(hdr.dst)
        if route is None:
            host.stats["ip6.fwd.no_route"] += 1
            host.trace("ip6", "drop", reason="no route", dst=hdr.dst)
            self.send_error(hdr, packet, icmp6.DEST_UNREACH, icmp6.NO_ROUTE, 0, now)
            return
        out = route.iface
        nh = route.gateway or hdr.dst
        size = HEADER_LEN + len(payload)
        if size > out.mtu6:
            host.stats["ip6.fwd.packet_too_big"] += 1
            host.trace("ip6", "drop", reason="packet too big", dst=hdr.dst, mtu=out.mtu6)
            self.send_error(hdr, packet, icmp6.PACKET_TOO_BIG, 0, out.mtu6, now)
            return
        if out is iface and route.gateway != hdr.src:
            self._redirect(iface, hdr, packet, nh, now)
        out_packet = bytearray(packet[:HEADER_LEN + len(payload)])
        out_packet[7] = hdr.hop_limit - 1
        host.stats["ip6.fwd.packets"] += 1
        self.transmit_via(out, nh, bytes(out_packet) if trusted else Unverified(out_packet), now)

    def _redirect(self, iface, hdr, packet, target: bytes, now: int) -> None:
        """RFC 4861 §8.2: tell an on-link sender about a better first hop (rate limited)."""
        host = self.host
        if not any(r.iface is iface and r.gateway is None and r.matches(hdr.src) for r in host.routes.routes):
            return  # the source is not a neighbor on this link
        if not self.limiter.allow(hdr.src, now):
            return
        src = host.link_local_of(iface)
        if src is None or not (is_link_local(target) or target == hdr.dst):
            return
        cache = host.ndp.cache(iface)
        e = cache.entries.get(target)
        opts = icmp6.NdOptions(target_lladdr=e.lladdr if e is not None and e.lladdr else None,
                               redirected=bytes(packet))
        msg = icmp6.build_nd(icmp6.Redirect(target, hdr.dst, opts), src, hdr.src)
        host.stats["ndp.tx.redirect"] += 1
        host.trace("ndp", "redirect_sent", to=hdr.src, destination=hdr.dst, target=target)
        self.send_nd(iface, src, hdr.src, msg, None)

    # -- output ----------------------------------------------------------------------------

    def _route(self, dst: bytes, src: bytes | None, ifindex: int | None):
        """(interface, next hop) toward `dst`, or None.  Link-local and multicast
        destinations need an interface: the scope id, or the one that owns `src`.
        `ifindex` numbers interfaces as the socket API does (scope ids): from 1."""
        host = self.host
        if dst in host._local6 or dst == IPV6_LOOPBACK:
            return host.lo, dst
        if ifindex:
            iface = host.interfaces[ifindex - 1] if 0 < ifindex <= len(host.interfaces) else None
            if iface is None:
                return None
            if dst[0] == 0xFF or is_link_local(dst):
                return iface, dst
            r = host.routes.lookup(dst)
            if r is not None and r.iface is iface:
                return iface, r.gateway or dst
            return iface, dst
        if dst[0] == 0xFF or is_link_local(dst):
            a = host._addr6_owner.get(src) if src is not None else None
            if a is not None and not a.iface.loopback:
                return a.iface, dst
            iface = next((i for i in host.interfaces if not i.loopback and i.up), None)
            return (iface, dst) if iface is not None else None
        r = host.routes.lookup(dst)
        if r is None:
            return None
        return r.iface, (r.gateway or dst)

    def path_mtu(self, dst: bytes, ifindex: int | None = None) -> int:
        rt = self._route(dst, None, ifindex)
        if rt is None:
            return icmp6.MIN_MTU
        mtu = rt[0].mtu6
        if self.pmtu.entries:
            p = self.pmtu.get(dst, self.host.clock())
            if p:
                mtu = min(mtu, p)
        return mtu

    def send(self, src: bytes, dst: bytes, nh: int, payload, *, hop_limit: int | None = None,
             traffic_class: int = 0, flow_label: int = 0, df: bool | None = None, ifindex: int | None = None,
             mcast_loop: bool = False) -> int:
        """Send one datagram from this host; 0 or an errno.  Fragments at the source when
        it does not fit the path MTU, unless `df` (TCP, and sockets with IPV6_DONTFRAG)."""
        host = self.host
        rt = self._route(dst, src, ifindex)
        if rt is None:
            host.stats["ip6.tx.no_route"] += 1
            host.trace("ip6", "no_route", dst=dst)
            return errno.ENETUNREACH
        iface, nexthop = rt
        if hop_limit is None:
            hop_limit = 1 if dst[0] == 0xFF else self.hop_limit
        size = HEADER_LEN + len(payload)
        mtu = iface.mtu6 if not self.pmtu.entries else self.path_mtu(dst, ifindex)
        now = host.clock()
        if size > mtu:
            if df:
                return errno.EMSGSIZE
            if size - HEADER_LEN > 65535:
                return errno.EMSGSIZE
            host.stats["ip6.tx.fragmented"] += 1
            ident = host.rng.getrandbits(32)  # RFC 7739: unpredictable identifications
            room = (mtu - HEADER_LEN - 8) & ~7
            payload = bytes(payload)
            for off in range(0, len(payload), room):
                chunk = payload[off:off + room]
                more = off + room < len(payload)
                body = ipv6_wire.build_fragment(nh, off, more, ident) + chunk
                self.transmit_via(iface, nexthop, ipv6_wire.build(src, dst, NH_FRAGMENT, body, hop_limit,
                                                                  traffic_class, flow_label), now)
            return 0
        host.stats["ip6.tx.packets"] += 1
        packet = ipv6_wire.build(src, dst, nh, payload, hop_limit, traffic_class, flow_label)
        self.transmit_via(iface, nexthop, packet, now)
        if mcast_loop and dst[0] == 0xFF and dst in iface.mcast_groups and not iface.loopback:
            host._loop.append((iface, packet))  # our own members hear it too (IPV6_MULTICAST_LOOP)
            host._timers_dirty = True
        return 0

    def send_nd(self, iface, src: bytes, dst: bytes, msg: bytes, lladdr: bytes | None) -> None:
        """Neighbor Discovery goes out as is, hop limit 255, to a known link-layer address
        or by multicast; it never waits for resolution itself."""
        packet = ipv6_wire.build(src, dst, NH_ICMPV6, msg, 255)
        if iface.loopback:
            return
        if dst[0] == 0xFF:
            self.host.send_frame(iface, ipv6_mcast_mac(dst), ethernet.ETH_P_IPV6, packet)
        elif lladdr is not None:
            self.host.send_frame(iface, lladdr, ethernet.ETH_P_IPV6, packet)
        else:
            self.transmit_via(iface, dst, packet, self.host.clock())

    def send_mld(self, iface, dst: bytes, msg: bytes) -> None:
        """An MLD message: link-local source (or :: before there is one, RFC 3810 §5.2.13),
        hop limit 1, and a hop-by-hop Router Alert (RFC 2711)."""
        src = self.host.link_local_of(iface) or UNSPECIFIED
        body = ipv6_wire.router_alert(NH_ICMPV6) + msg
        packet = ipv6_wire.build(src, dst, NH_HOPOPTS, body, 1)
        self.host.send_frame(iface, ipv6_mcast_mac(dst), ethernet.ETH_P_IPV6, packet)

    def transmit_via(self, iface, nexthop: bytes, packet: bytes, now: int) -> None:
        """Put a packet on `iface` toward `nexthop`, resolving its link-layer address."""
        host = self.host
        if iface.loopback:
            host._loop.append(packet)
            host._timers_dirty = True
            return
        dst = packet[24:40]
        if dst[0] == 0xFF:
            host.send_frame(iface, ipv6_mcast_mac(dst), ethernet.ETH_P_IPV6, packet)
            return
        cache = host.ndp.caches.get(iface.index) or host.ndp.cache(iface)
        mac = cache.lookup(nexthop, now)
        if mac is None:
            cache.enqueue(nexthop, packet, now)
            return
        host.send_frame(iface, mac, ethernet.ETH_P_IPV6, packet)

    def transmit(self, iface, lladdr: bytes, packet: bytes) -> None:
        self.host.send_frame(iface, lladdr, ethernet.ETH_P_IPV6, packet)

    def resolution_failed(self, iface, addr: bytes, queued: list, now: int) -> None:
        """Neighbor unreachable: tell our own senders; address-unreachable to others (§7.2.2)."""
        host = self.host
        for packet in queued:
            try:
                hdr, payload = ipv6_wire.parse(memoryview(packet))
            except WireError:
                continue
            if hdr.src in host._local6:
                if hdr.next_header == NH_UDP:
                    host.udp.icmp_error("host_unreach", hdr.src, hdr.dst, payload, 0, now)
                elif hdr.next_header == NH_UDPLITE:
                    host.udplite.icmp_error("host_unreach", hdr.src, hdr.dst, payload, 0, now)
                elif hdr.next_header == NH_TCP and host.tcp is not None:
                    host.tcp.icmp_error("host_unreach", hdr.src, hdr.dst, payload, 0, now)
            else:
                self.send_error(hdr, packet, icmp6.DEST_UNREACH, icmp6.ADDR_UNREACH, 0, now)

    # -- timers ------------------------------------------------------------------------------

    def poll_at(self) -> int | None:
        return self.reasm.poll_at()

    def poll(self, now: int) -> None:
        for q in self.reasm.poll(now):
            first = q.first
            if first is not None:  # RFC 8200 §4.5: time exceeded only if the first fragment came
                hdr = first.hdr
                data = b"".join(d for _, d in q.frags)
                head = ipv6_wire.build(hdr.src, hdr.dst, NH_FRAGMENT,
                                       ipv6_wire.build_fragment(first.next_header, 0, True, first.ident) + data)
                self.send_error(hdr._replace(next_header=NH_FRAGMENT), head, icmp6.TIME_EXCEEDED,
                                icmp6.REASSEMBLY_EXCEEDED, 0, now)


def _carries_icmp_error(packet) -> bool:
    """Does `packet` carry an ICMPv6 error or a redirect after its extension headers (as
    Linux's is_ineligible() finds it)?  A non-first fragment shows no type: it does not."""
    nh = packet[6]
    data = memoryview(packet)[HEADER_LEN:]
    while nh in ipv6_wire.EXTENSION_HEADERS:
        try:
            ext = ipv6_wire.parse_extension(nh, data)
        except WireError:
            return False
        if nh == NH_FRAGMENT and ipv6_wire.parse_fragment(ext).offset:
            return False
        nh, data = ext.next_header, data[ext.length:]
    return nh == NH_ICMPV6 and len(data) > 0 and (data[0] < 128 or data[0] == icmp6.REDIRECT)


def _chain_complete(nh: int, data) -> bool:
    """RFC 7112: does the first fragment hold every extension header and the start of the
    upper-layer header?"""
    while nh in ipv6_wire.EXTENSION_HEADERS and nh != NH_FRAGMENT:
        try:
            ext = ipv6_wire.parse_extension(nh, data)
        except WireError:
            return False
        nh, data = ext.next_header, data[ext.length:]
    need = {NH_TCP: 20, NH_UDP: 8, NH_UDPLITE: 8, NH_ICMPV6: 4}.get(nh, 0)
    return len(data) >= need


__all__ = ["Ipv6Layer", "ALL_NODES"]
