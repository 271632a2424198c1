"""The router side of IGMP and MLD: a querier that learns which groups have members on each
interface (RFC 3376 §6, RFC 3810 §7; RFC 2236 §3 and RFC 2710 §5 for the older versions).

    startup: [Startup Query Count] General Queries, [Startup Query Interval] apart
       |
    QUERIER --query heard from a lower address--> NON-QUERIER
       ^                                               |
       +------- Other Querier Present timer expires ---+

- A querier sends a General Query every [Query Interval] (RFC 3376 §6.6, §8.2).  Queriers
  elect themselves by address: a router hearing a Query from a lower address stops
  querying for [Other Querier Present Interval] = RV * QI + QRI / 2 (§6.6.2, §8.5), and
  resumes (with a General Query at once) when that passes without another.
- A report makes its group present for [Group Membership Interval] = RV * QI + QRI (§8.4);
  the expiry of that timer removes the group and is traced ("group_expired").
- A Leave / Done / TO_IN({}) makes the querier send [Last Member Query Count]
  Group-Specific Queries [Last Member Query Interval] apart and lower the group's timer to
  [Last Member Query Time] (§6.6.3.1); a report meanwhile restores it, and the queries
  still owed then carry the S flag (§6.6.3.1).  A non-querier ignores Leaves and lowers
  its timer when it hears the querier's Group-Specific Query instead (§6.6.1).
- Older hosts (§7.3.2): an IGMPv1 report starts the group's older-host timer, and Leaves
  for the group are ignored while it runs (RFC 2236 §5: with version 1 hosts present "a
  router MUST ignore any Leave Group messages").  IGMPv2 and MLDv1 hosts do send Leave /
  Done, and at group granularity nothing else of their compatibility mode matters.
- Queriers adopt a non-zero QRV and the QQI of Queries they hear (§4.1.6, §4.1.7).

Decision: membership is kept per group, not per source.  Source-list records (ALLOW,
BLOCK, INCLUDE lists) count as "the group has a listener" when they name a source, and
BLOCK is ignored; the router does not run §6.4's per-source table or send
Group-and-Source-Specific Queries.  That is what a router without source-specific
multicast routing needs, and it is what the host layers are tested against.

Environment and callbacks, as in `mcast_host`: `env.rng`, `env.stats`, `env.trace`; a
`send(iface, dst, message)` for the finished query (the host wraps it in IP with TTL/hop
limit 1 and Router Alert), and optionally `notify(iface, group, present: bool)` when a
group appears or goes, for multicast forwarding.

    q = IgmpQuerier(env, send) / MldQuerier(env, send)
    q.enable(iface, addr, now)            # addr: the interface address (MLD: its link-local)
    q.disable(iface)
    q.input(iface, src, dst, message, now, ttl=None, router_alert=None)
    q.poll_at(); q.poll(now); q.table(now); q.is_querier(iface)
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from .addr import is_link_local, is_multicast
from .wire import igmp as igmp_wire
from .wire import mld as mld_wire
from .wire.errors import WireError

_GENERAL, _OTHER, _EXPIRE, _SPECIFIC = 0, 1, 2, 3

JOIN, LEAVE, OLD_HOST = "join", "leave", "old_host"


@dataclass
class QuerierConfig:
    """RFC 3376 §8 / RFC 3810 §9 defaults; None means "derived as the RFC says"."""

    version: int | None = None  # IGMP 3 (or 2, 1); MLD 2 (or 1)
    robustness: int = 2  # §8.1
    query_interval: int = 125_000_000  # §8.2
    query_response_interval: int = 10_000_000  # §8.3
    startup_query_interval: int | None = None  # §8.6: QI / 4
    startup_query_count: int | None = None  # §8.7: RV
    last_member_query_interval: int = 1_000_000  # §8.8
    last_member_query_count: int | None = None  # §8.9: RV


class QGroup:
    __slots__ = ("group", "expires", "specific_left", "specific_at", "old_host_until")

    def __init__(self, group: bytes) -> None:
        self.group = group
        self.expires = 0
        self.specific_left = 0
        self.specific_at: int | None = None
        self.old_host_until: int | None = None


class QIface:
    __slots__ = ("iface", "addr", "querier", "other", "other_until", "next_query", "startup_left", "groups",
                 "robustness", "query_interval")

    def __init__(self, iface, addr: bytes, config: QuerierConfig) -> None:
        self.iface = iface
        self.addr = addr
        self.querier = True
        self.other: bytes | None = None  # the querier we defer to
        self.other_until: int | None = None
        self.next_query: int | None = None
        self.startup_left = config.startup_query_count or config.robustness
        self.groups: dict[bytes, QGroup] = {}
        self.robustness = config.robustness
        self.query_interval = config.query_interval


class Querier:
    """Shared by `IgmpQuerier` and `MldQuerier`; subclasses provide the codec hooks."""

    layer = "mcast"
    NEWEST = 0

    def __init__(self, env, send, config: QuerierConfig | None = None, notify=None) -> None:
        self.env = env
        self.send = send
        self.notify = notify
        self.config = config or QuerierConfig()
        self.version = self.config.version or self.NEWEST
        self.ifaces: dict = {}
        self._heap: list = []
        self._seq = 0

    # -- derived timers (RFC 3376 §8) --------------------------------------------------

    def gmi(self, qi: QIface) -> int:
        """Group Membership Interval (§8.4)."""
        return qi.robustness * qi.query_interval + self.config.query_response_interval

    def other_querier_interval(self, qi: QIface) -> int:
        """Other Querier Present Interval (§8.5)."""
        return qi.robustness * qi.query_interval + self.config.query_response_interval // 2

    def lmqc(self, qi: QIface) -> int:
        return self.config.last_member_query_count or qi.robustness

    def lmqt(self, qi: QIface) -> int:
        """Last Member Query Time (§8.10)."""
        return self.lmqc(qi) * self.config.last_member_query_interval

    # -- control -----------------------------------------------------------------------

    def enable(self, iface, addr: bytes, now: int) -> None:
        """Start as querier on `iface` (§6.6.2: every router starts as querier)."""
        qi = QIface(iface, addr, self.config)
        self.ifaces[iface] = qi
        self.env.trace(self.layer, "querier", iface=_name(iface), state="QUERIER", addr=addr, cause="enabled")
        self._general_query(qi, now)  # the first of the startup queries goes at once

    def disable(self, iface) -> None:
        self.ifaces.pop(iface, None)

    def is_querier(self, iface) -> bool:
        qi = self.ifaces.get(iface)
        return qi is not None and qi.querier

    def table(self, now: int) -> list[tuple]:
        """(iface, group, seconds until expiry, older hosts present) rows, for printing."""
        rows = []
        for qi in self.ifaces.values():
            for g in sorted(qi.groups.values(), key=lambda g: g.group):
                old = g.old_host_until is not None and g.old_host_until > now
                rows.append((_name(qi.iface), g.group, (g.expires - now) / 1e6, old))
        return rows

    # -- input ---------------------------------------------------------------------------

    def input(self, iface, src: bytes, dst: bytes, message, now: int, *, ttl: int | None = None,
              router_alert: bool | None = None) -> None:
        qi = self.ifaces.get(iface)
        if qi is None:
            return
        stats = self.env.stats
        try:
            msg = self._parse(src, dst, memoryview(message))
        except WireError as e:
            stats[f"{self.layer}.rx.{e.reason}"] += 1
            self.env.trace(self.layer, "drop", reason=e.reason, detail=str(e), src=src)
            return
        why = self._check(msg, src, ttl, router_alert)
        if why:
            stats[f"{self.layer}.rx.invalid"] += 1
            self.env.trace(self.layer, "drop", reason=why, src=src)
            return
        if msg.type == self.QUERY:
            stats[f"{self.layer}.rx.query"] += 1
            self._on_query(qi, msg, src, now)
            return
        for group, action in self._membership(msg):
            stats[f"{self.layer}.rx.{action}"] += 1
            if not is_multicast(group):
                stats[f"{self.layer}.rx.bad_group"] += 1
                continue
            if action == LEAVE:
                self._on_leave(qi, group, src, now)
            else:
                self._on_report(qi, group, action == OLD_HOST, src, now)

    def _on_query(self, qi: QIface, msg, src: bytes, now: int) -> None:
        if src == qi.addr:
            return  # our own, looped back
        qrv = getattr(msg, "qrv", 0)
        if qrv:
            qi.robustness = qrv
        qqi = getattr(msg, "qqi", 0)
        if qqi:
            qi.query_interval = qqi * 1_000_000
        if src < qi.addr:  # §6.6.2: the lower address wins
            if qi.querier or qi.other != src:
                self.env.trace(self.layer, "querier", iface=_name(qi.iface), state="NON-QUERIER", addr=qi.addr,
                               cause="query from a lower address", other=src)
            qi.querier = False
            qi.other = src
            qi.next_query = None
            qi.other_until = now + self.other_querier_interval(qi)
            self._push(qi.other_until, _OTHER, qi.iface, None)
        group = None if msg.group == self.ANY else msg.group
        if group is not None and not qi.querier and not getattr(msg, "s_flag", False):
            g = qi.groups.get(group)
            if g is not None and g.expires > now + self.lmqt(qi):
                g.expires = now + self.lmqt(qi)  # §6.6.1: lower to the Last Member Query Time
                self._push(g.expires, _EXPIRE, qi.iface, group)

    def _on_report(self, qi: QIface, group: bytes, old_host: bool, src: bytes, now: int) -> None:
        g = qi.groups.get(group)
        if g is None:
            g = qi.groups[group] = QGroup(group)
            self.env.stats[f"{self.layer}.group_added"] += 1
            self.env.trace(self.layer, "group_added", iface=_name(qi.iface), group=group, reporter=src)
            if self.notify is not None:
                self.notify(qi.iface, group, True)
        g.expires = now + self.gmi(qi)
        self._push(g.expires, _EXPIRE, qi.iface, group)
        if old_host:
            g.old_host_until = now + self.gmi(qi)  # Older Host Present Interval (§8.13)

    def _on_leave(self, qi: QIface, group: bytes, src: bytes, now: int) -> None:
        g = qi.groups.get(group)
        if g is None:
            return
        if not qi.querier:
            return  # RFC 2236 §3: non-queriers ignore Leave messages
        if g.old_host_until is not None and g.old_host_until > now:
            self.env.trace(self.layer, "leave_ignored", iface=_name(qi.iface), group=group,
                           why="older-version hosts present (RFC 3376 §7.3.2)")
            return
        if g.specific_at is not None:
            return  # already querying this group
        self.env.trace(self.layer, "last_member_query", iface=_name(qi.iface), group=group, leaver=src)
        lmqt = self.lmqt(qi)
        if g.expires > now + lmqt:
            g.expires = now + lmqt
            self._push(g.expires, _EXPIRE, qi.iface, group)
        g.specific_left = self.lmqc(qi)
        self._specific_query(qi, g, now, suppress=False)

    # -- timers --------------------------------------------------------------------------

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _, kind, iface, group = heapq.heappop(heap)
            qi = self.ifaces.get(iface)
            if qi is None:
                continue
            if kind == _GENERAL:
                if qi.querier and qi.next_query == at:
                    self._general_query(qi, at)
            elif kind == _OTHER:
                if not qi.querier and qi.other_until == at:
                    qi.querier = True
                    qi.other = qi.other_until = None
                    self.env.trace(self.layer, "querier", iface=_name(iface), state="QUERIER", addr=qi.addr,
                                   cause="other querier present timer expired")
                    qi.next_query = at
                    self._general_query(qi, at)
            elif kind == _EXPIRE:
                g = qi.groups.get(group)
                if g is not None and g.expires == at:
                    del qi.groups[group]
                    self.env.stats[f"{self.layer}.group_expired"] += 1
                    self.env.trace(self.layer, "group_expired", iface=_name(iface), group=group)
                    if self.notify is not None:
                        self.notify(iface, group, False)
            elif kind == _SPECIFIC:
                g = qi.groups.get(group)
                if g is not None and g.specific_at == at:
                    g.specific_at = None
                    if qi.querier:
                        self._specific_query(qi, g, at, suppress=g.expires > at + self.lmqt(qi))

    # -- sending -------------------------------------------------------------------------

    def _schedule_query(self, qi: QIface, at: int) -> None:
        qi.next_query = at
        self._push(at, _GENERAL, qi.iface, None)

    def _general_query(self, qi: QIface, now: int) -> None:
        dst, msg = self._build_query(qi, None, self.config.query_response_interval, False)
        self.env.stats[f"{self.layer}.tx.general_query"] += 1
        self.env.trace(self.layer, "general_query", iface=_name(qi.iface), version=self.version,
                       startup=qi.startup_left > 0)
        self.send(qi.iface, dst, msg)
        if qi.startup_left > 0:
            qi.startup_left -= 1
        if qi.startup_left > 0:
            interval = self.config.startup_query_interval or qi.query_interval // 4
        else:
            interval = qi.query_interval
        self._schedule_query(qi, now + interval)

    def _specific_query(self, qi: QIface, g: QGroup, now: int, suppress: bool) -> None:
        lmqi = self.config.last_member_query_interval
        dst, msg = self._build_query(qi, g.group, lmqi, suppress)
        if msg is not None:
            self.env.stats[f"{self.layer}.tx.group_query"] += 1
            self.env.trace(self.layer, "group_query", iface=_name(qi.iface), group=g.group, s_flag=suppress)
            self.send(qi.iface, dst, msg)
        g.specific_left -= 1
        if g.specific_left > 0:
            g.specific_at = now + lmqi
            self._push(g.specific_at, _SPECIFIC, qi.iface, g.group)

    def _push(self, at: int, kind: int, iface, group) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, iface, group))
        self.env._timers_dirty = True  # (see Node._timers_dirty)

    # hooks: QUERY, ANY, MCAST_FIRST_BYTE, _parse, _check, _membership, _build_query


class IgmpQuerier(Querier):
    layer = "igmp"
    NEWEST = 3
    QUERY = igmp_wire.QUERY
    ANY = igmp_wire.ANY

    def _parse(self, src, dst, buf):
        return igmp_wire.parse(buf)

    def _check(self, msg, src, ttl, router_alert):
        return None  # see igmp.py: RFC 3376 obliges senders only

    def _membership(self, msg):
        t = msg.type
        if t == igmp_wire.V1_REPORT:
            return [(msg.group, OLD_HOST)]
        if t == igmp_wire.V2_REPORT:
            return [(msg.group, JOIN)]
        if t == igmp_wire.LEAVE:
            return [(msg.group, LEAVE)] if self.version >= 2 else []  # RFC 2236 §4: IGMPv1 routers ignore them
        if t == igmp_wire.V3_REPORT:
            return _v3_actions(msg.records)
        return []

    def _build_query(self, qi, group, max_resp_us: int, s_flag: bool):
        tenths = max_resp_us // 100_000
        g = group or igmp_wire.ANY
        dst = group or igmp_wire.ALL_SYSTEMS
        if self.version == 3:
            return dst, igmp_wire.build_query_v3(g, igmp_wire.value_to_code(tenths, 8), (), s_flag, qi.robustness,
                                                 igmp_wire.value_to_code(qi.query_interval // 1_000_000, 8))
        if self.version == 2:
            return dst, igmp_wire.build(igmp_wire.QUERY, min(tenths, 255), g)
        if group is not None:
            return dst, None  # IGMPv1 has no Group-Specific Query
        return dst, igmp_wire.build(igmp_wire.QUERY, 0, g)


class MldQuerier(Querier):
    layer = "mld"
    NEWEST = 2
    QUERY = mld_wire.QUERY
    ANY = mld_wire.ANY

    def _parse(self, src, dst, buf):
        return mld_wire.parse(buf, src, dst)

    def _check(self, msg, src, ttl, router_alert):
        """RFC 3810 §7.4 / §5.1.14 / §5.2.13: link-local source (a report may come from ::),
        hop limit 1, Router Alert; the last two when the host passes them."""
        if not (is_link_local(src) or (msg.type != mld_wire.QUERY and not any(src))):
            return "source is not link-local"
        if ttl is not None and ttl != 1:
            return f"hop limit {ttl}"
        if router_alert is False:
            return "no Router Alert"
        return None

    def _membership(self, msg):
        t = msg.type
        if t == mld_wire.V1_REPORT:
            return [(msg.group, JOIN)]  # MLDv1 hosts send Done, so nothing to ignore (RFC 3810 §8.3.2)
        if t == mld_wire.DONE:
            return [(msg.group, LEAVE)]
        if t == mld_wire.V2_REPORT:
            return _v3_actions(msg.records)
        return []

    def _build_query(self, qi, group, max_resp_us: int, s_flag: bool):
        ms = max_resp_us // 1000
        g = group or mld_wire.ANY
        dst = group or mld_wire.ALL_NODES
        if self.version == 2:
            return dst, mld_wire.build_query_v2(g, qi.addr, dst, igmp_wire.value_to_code(ms, 16), (), s_flag,
                                                qi.robustness,
                                                igmp_wire.value_to_code(qi.query_interval // 1_000_000, 8))
        return dst, mld_wire.build(mld_wire.QUERY, min(ms, 0xFFFF), g, qi.addr, dst)


def _v3_actions(records) -> list:
    """Per-group reading of IGMPv3/MLDv2 records: EXCLUDE records, and INCLUDE/ALLOW records
    naming a source, mean a listener; TO_IN({}) is a leave; IS_IN({}) and BLOCK change
    nothing at group granularity; unknown record types are ignored (RFC 3376 §4.2.12)."""
    out = []
    for r in records:
        t = r.type
        if t in (igmp_wire.MODE_IS_EXCLUDE, igmp_wire.CHANGE_TO_EXCLUDE_MODE):
            out.append((r.group, JOIN))
        elif t in (igmp_wire.MODE_IS_INCLUDE, igmp_wire.ALLOW_NEW_SOURCES, igmp_wire.CHANGE_TO_INCLUDE_MODE):
            if r.sources:
                out.append((r.group, JOIN))
            elif t == igmp_wire.CHANGE_TO_INCLUDE_MODE:
                out.append((r.group, LEAVE))
    return out


def _name(iface):
    return getattr(iface, "name", iface)
