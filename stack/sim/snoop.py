"""IGMP and MLD snooping for the simulated switch (RFC 4541).

A snooping switch looks into the multicast frames it forwards, finds IGMP (IPv4 protocol
2) and MLD (ICMPv6 types 130, 131, 132, 143, after the hop-by-hop header), and learns:

- **router ports** (mrouter): a port where a Query arrived (RFC 4541 §2.1.1 (1)), for the
  Other Querier Present Interval (255 s by default); a query from 0.0.0.0 / :: (a
  proxy querier) teaches nothing;
- **member ports** per group: where a report for the group arrived, for the Group
  Membership Interval (260 s).  A Leave / Done / TO_IN({}) shortens that to the Last
  Member Query Time (2 s): the querier's Group-Specific Query, which the switch floods,
  is then answered by any member left on the port, which renews it.  `fast_leave=True`
  removes the port at once instead (for ports with one host each).

And forwards:

- queries to every port (hosts must hear them);
- reports and leaves only to router ports (§2.1.1 (1)), so hosts do not hear each other's
  reports (which RFC 4541 accepts: report suppression is a v1/v2 optimisation);
- unrecognised or unparsable IGMP/MLD to every port (§2.1.1 (4));
- data to a group: member ports and router ports (§2.1.2 (1)); an unregistered group
  (no member anywhere) only to router ports, or everywhere with `flood_unregistered`
  (§2.1.2 (3) allows either);
- link-scope groups (224.0.0.0/24, ff00::/16 to ff02::/16) and non-IP multicast frames to
  every port (§2.1.2 (2), §3).

The switch answers `poll_at()` / `poll(now)` from this table's heap, so expiries happen,
and are traced, at their exact times.
"""

from __future__ import annotations

import heapq

from ..addr import ip_str, is_link_scope_multicast, is_multicast
from ..wire import ethernet, igmp, ipv4, ipv6, mld
from ..wire.errors import WireError

_MEMBER, _MROUTER = 0, 1
_EXT_SKIP = (ipv6.NH_HOPOPTS, ipv6.NH_DSTOPTS, ipv6.NH_ROUTING)


class Snooper:
    def __init__(self, switch, *, membership_interval: float = 260.0, router_interval: float = 255.0,
                 last_member_time: float = 2.0, fast_leave: bool = False, flood_unregistered: bool = False) -> None:
        self.switch = switch
        self.membership_interval = int(membership_interval * 1e6)
        self.router_interval = int(router_interval * 1e6)
        self.last_member_time = int(last_member_time * 1e6)
        self.fast_leave = fast_leave
        self.flood_unregistered = flood_unregistered
        self.members: dict[bytes, dict[int, int]] = {}  # group -> {port: expiry}
        self.mrouters: dict[int, int] = {}  # port -> expiry
        self._heap: list = []
        self._seq = 0

    # -- the switch's calls ------------------------------------------------------------

    def ports_for(self, frame, in_port: int, now: int):
        """The ports a multicast `frame` goes to, or None for "flood it"."""
        try:
            eth, payload = ethernet.parse(memoryview(frame))
            if eth.ethertype == ethernet.ETH_P_IP:
                return self._ipv4(payload, in_port, now)
            if eth.ethertype == ethernet.ETH_P_IPV6:
                return self._ipv6(payload, in_port, now)
        except WireError:
            self.switch.stats["snoop.unparsable"] += 1
        return None

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _, kind, group, port = heapq.heappop(heap)
            if kind == _MROUTER:
                if self.mrouters.get(port) == at:
                    del self.mrouters[port]
                    self._trace(at, "mrouter_expired", port=port)
            else:
                ports = self.members.get(group)
                if ports is not None and ports.get(port) == at:
                    del ports[port]
                    if not ports:
                        del self.members[group]
                    self._trace(at, "member_expired", group=ip_str(group), port=port)

    def table(self, now: int) -> list[tuple]:
        """Rows (group or "mrouter", port, peer name, seconds left), sorted."""
        peer = self.switch.peer_name
        rows = [("mrouter", p, peer(p), (t - now) / 1e6) for p, t in sorted(self.mrouters.items()) if t > now]
        for g in sorted(self.members):
            rows.extend((ip_str(g), p, peer(p), (t - now) / 1e6) for p, t in sorted(self.members[g].items()) if t > now)
        return rows

    # -- parsing -----------------------------------------------------------------------

    def _ipv4(self, payload, in_port: int, now: int):
        if len(payload) < ipv4.HEADER_LEN:
            return None
        dst = bytes(payload[16:20])
        if not is_multicast(dst):
            return None
        if payload[9] == ipv4.PROTO_IGMP:
            hdr, body = ipv4.parse(payload)
            if hdr.is_fragment:
                return None
            return self._control(igmp.parse(body), hdr.src, in_port, now)
        if is_link_scope_multicast(dst):
            return None
        return self._data(dst, in_port, now)

    def _ipv6(self, payload, in_port: int, now: int):
        hdr, body = ipv6.parse(payload)
        if not is_multicast(hdr.dst):
            return None
        nh = hdr.next_header
        for _ in range(8):  # a bounded walk over the extension headers before the upper layer
            if nh not in _EXT_SKIP:
                break
            ext = ipv6.parse_extension(nh, body)
            nh, body = ext.next_header, body[ext.length:]
        if nh == ipv6.NH_ICMPV6 and len(body) and body[0] in mld.TYPES:
            return self._control(mld.parse(body, hdr.src, hdr.dst), hdr.src, in_port, now)
        if is_link_scope_multicast(hdr.dst):
            return None
        return self._data(hdr.dst, in_port, now)

    # -- decisions ---------------------------------------------------------------------

    def _control(self, msg, src: bytes, in_port: int, now: int):
        sw = self.switch
        t = msg.type
        if t in (igmp.QUERY, mld.QUERY):
            sw.stats["snoop.query"] += 1
            if any(src):
                self._router(in_port, now)
            return None  # queries go everywhere
        if t in (igmp.V1_REPORT, igmp.V2_REPORT, mld.V1_REPORT):
            self._join(msg.group, in_port, now)
        elif t in (igmp.LEAVE, mld.DONE):
            self._leave(msg.group, in_port, now)
        elif t in (igmp.V3_REPORT, mld.V2_REPORT):
            for r in msg.records:
                if not is_multicast(r.group):
                    continue
                if r.type in (igmp.MODE_IS_EXCLUDE, igmp.CHANGE_TO_EXCLUDE_MODE) or (
                        r.sources and r.type in (igmp.MODE_IS_INCLUDE, igmp.ALLOW_NEW_SOURCES,
                                                 igmp.CHANGE_TO_INCLUDE_MODE)):
                    self._join(r.group, in_port, now)
                elif r.type == igmp.CHANGE_TO_INCLUDE_MODE:
                    self._leave(r.group, in_port, now)
        else:
            sw.stats["snoop.unknown"] += 1
            return None  # RFC 4541 §2.1.1 (4): flood what is not understood
        sw.stats["snoop.report"] += 1
        return [p for p, t in self.mrouters.items() if t > now and p != in_port]

    def _data(self, group: bytes, in_port: int, now: int):
        members = self.members.get(group)
        if not members and self.flood_unregistered:
            return None
        out = {p for p, t in self.mrouters.items() if t > now}
        if members:
            out.update(p for p, t in members.items() if t > now)
        out.discard(in_port)
        self.switch.stats["snoop.data"] += 1
        return sorted(out)

    def _router(self, port: int, now: int) -> None:
        if port not in self.mrouters:
            self._trace(now, "mrouter", port=port)
        self.mrouters[port] = at = now + self.router_interval
        self._push(at, _MROUTER, None, port)

    def _join(self, group: bytes, port: int, now: int) -> None:
        ports = self.members.setdefault(group, {})
        if port not in ports:
            self._trace(now, "member", group=ip_str(group), port=port)
        ports[port] = at = now + self.membership_interval
        self._push(at, _MEMBER, group, port)

    def _leave(self, group: bytes, port: int, now: int) -> None:
        ports = self.members.get(group)
        if not ports or port not in ports:
            return
        if self.fast_leave:
            del ports[port]
            if not ports:
                del self.members[group]
            self._trace(now, "member_left", group=ip_str(group), port=port)
            return
        at = now + self.last_member_time
        if ports[port] > at:
            ports[port] = at
            self._push(at, _MEMBER, group, port)
            self._trace(now, "leave_heard", group=ip_str(group), port=port, expires_s=at / 1e6)

    def _push(self, at: int, kind: int, group, port: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, group, port))
        self.switch._timers_dirty = True

    def _trace(self, now: int, event: str, **fields) -> None:
        self.switch.net.tracer.emit(now, self.switch.name, "snoop", event, fields)
