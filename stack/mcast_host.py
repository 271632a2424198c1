"""The host side of IGMP and MLD, once: RFC 3376 §5 (IGMPv3) is RFC 3810 §6 (MLDv2) with
other field sizes, and RFC 2236 §6 (IGMPv2) is RFC 2710 §4 (MLDv1).  `igmp.IgmpLayer` and
`mld.MldLayer` supply the codecs, addresses and units; everything that decides lives here.

Per interface the layer keeps, for each group, the interface's filter state (the socket
records merged by `stack.mcast`), and the timers RFC 3376 names:

- a State-Change retransmission timer per group (§5.1), with the retransmission state: how
  many Filter-Mode-Change records are still owed, and per source how many ALLOW/BLOCK;
- the interface timer for a pending response to a General Query, and a group timer with a
  recorded source list for Group- and Group-and-Source-Specific Queries (§5.2);
- the Older Version Querier Present timers (§7.2.1): while one runs the interface is in
  IGMPv1 or IGMPv2 (MLDv1) compatibility mode and behaves as RFC 2236 §6 says, per group:
  Non-Member -> Delaying Member -> Idle Member, the "last reporter" flag deciding whether a
  Leave is sent, another host's report suppressing ours.

Compatibility levels are numbered 1 (report only: IGMPv1), 2 (report and leave: IGMPv2,
MLDv1) and 3 (source filtering: IGMPv3, MLDv2); `VERSIONS` names them per protocol.

The environment (duck-typed, normally the `Host`):

- `env.rng` -- a `random.Random` (the host's seeded one): every random delay comes from it;
- `env.stats` -- a `collections.Counter`; keys `"<layer>.tx.*"`, `"<layer>.rx.*"`;
- `env.trace(layer, event, **fields)` -- decisions: filter changes, reports sent and why,
  queries heard, compatibility mode changes, suppression, drops;
- `send(iface, dst, message)` -- a constructor argument: put the finished message (checksum
  included) on `iface` to `dst`.  The host wraps IGMP in IPv4 with TTL 1 and a Router Alert
  option (RFC 2113; RFC 3376 §4) and MLD in IPv6 with hop limit 1, a link-local source
  and a hop-by-hop Router Alert (RFC 2711; RFC 3810 §5).  MLD needs one more thing of
  the environment: `env.link_local_of(iface)` (bytes or None), the source its checksum
  covers.

`iface` is any hashable value the host uses to name an interface; the layer only hands it
back.  Time is integer microseconds everywhere.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import NamedTuple

from .mcast import EXCLUDE, INCLUDE
from .wire.errors import WireError
from .wire.igmp import (ALLOW_NEW_SOURCES, BLOCK_OLD_SOURCES, CHANGE_TO_EXCLUDE_MODE, CHANGE_TO_INCLUDE_MODE,
                        MODE_IS_EXCLUDE, MODE_IS_INCLUDE, GroupRecord)

OLDEST, OLD, NEW = 1, 2, 3


class Filter(NamedTuple):
    """An interface's reception state for one group: the merge `stack.mcast` computes of
    its sockets' filters (RFC 3376 §3.2), as an immutable value to compare and keep."""

    mode: str  # mcast.INCLUDE or mcast.EXCLUDE
    sources: frozenset = frozenset()

    @property
    def listening(self) -> bool:
        """INCLUDE {} is the absence of a record (RFC 3376 §3.1)."""
        return self.mode == EXCLUDE or bool(self.sources)

    def __str__(self) -> str:
        from .addr import ip_str

        return f"{self.mode}{{{', '.join(sorted(ip_str(s) for s in self.sources))}}}"


NOT_LISTENING = Filter(INCLUDE)


def accepts(f: Filter, source: bytes) -> bool:
    """Whether the filter lets `source` through (RFC 3376 §3.2)."""
    return (source in f.sources) if f.mode == INCLUDE else (source not in f.sources)

# heap entry kinds
_GENERAL, _GROUP, _CHANGE, _COMPAT = 0, 1, 2, 3


@dataclass
class MembershipConfig:
    """Host-side timers (RFC 3376 §8, RFC 3810 §9; RFC 2236 §8 for the older versions)."""

    robustness: int = 2  # §8.1; replaced by a querier's non-zero QRV
    query_interval: int = 125_000_000  # §8.2; replaced by a querier's QQI
    unsolicited_report_interval: int = 1_000_000  # §8.11 (IGMPv3, MLDv2)
    old_unsolicited_report_interval: int = 10_000_000  # RFC 2236 §8.10, RFC 2710 §7.10
    max_message: int = 1476  # report size that fits a 1500-byte MTU after IP + Router Alert


class Group:
    __slots__ = ("group", "filter", "filter_left", "src_left", "change_at", "resp_at", "resp_sources",
                 "last_reporter", "unsolicited_left")

    def __init__(self, group: bytes) -> None:
        self.group = group
        self.filter = NOT_LISTENING
        self.filter_left = 0  # Filter-Mode-Change records still to send (§5.1)
        self.src_left: dict[bytes, int] = {}  # source -> ALLOW/BLOCK retransmissions still to send
        self.change_at: int | None = None
        self.resp_at: int | None = None  # group timer (§5.2) / RFC 2236 report delay timer
        self.resp_sources: set | None = None  # recorded sources of a Group-and-Source query
        self.last_reporter = False  # RFC 2236 §6 "flag": we sent the last report
        self.unsolicited_left = 0  # older versions: unsolicited repeats still to send

    @property
    def idle(self) -> bool:
        """Nothing listened to and nothing owed: the record can go."""
        return not self.filter.listening and self.change_at is None


class IfState:
    __slots__ = ("iface", "groups", "oldest_until", "old_until", "general_at", "robustness", "query_interval",
                 "shown_level")

    def __init__(self, iface, config: MembershipConfig) -> None:
        self.iface = iface
        self.groups: dict[bytes, Group] = {}
        self.oldest_until: int | None = None  # IGMPv1 Querier Present timer
        self.old_until: int | None = None  # IGMPv2 / MLDv1 Querier Present timer
        self.general_at: int | None = None  # interface timer (§5.2)
        self.robustness = config.robustness
        self.query_interval = config.query_interval
        self.shown_level = NEW  # the compatibility mode last traced


class Query:
    """A received query, in the layer's common terms."""

    __slots__ = ("level", "group", "max_resp", "sources", "qrv", "qqi")

    def __init__(self, level: int, group: bytes | None, max_resp: int, sources=(), qrv: int = 0, qqi: int = 0):
        self.level = level
        self.group = group  # None for a General Query
        self.max_resp = max_resp  # µs
        self.sources = sources
        self.qrv = qrv
        self.qqi = qqi  # µs, 0 when the query carries none


class MembershipLayer:
    """What IGMP and MLD hosts share.  Subclasses set `layer`, `VERSIONS`, `ANY` and
    implement the `_parse`, `_classify`, `_reportable` and `_build_*` hooks."""

    layer = "mcast"
    VERSIONS: dict[int, str] = {}
    ANY = b""

    def __init__(self, env, send, config: MembershipConfig | None = None) -> None:
        self.env = env
        self.send = send
        self.config = config or MembershipConfig()
        self.ifaces: dict = {}
        self._heap: list = []
        self._seq = 0

    # -- the host's calls ----------------------------------------------------------

    def set_filter(self, iface, group: bytes, mode, sources, now: int) -> None:
        """The interface's merged filter for `group` became (mode, sources) (RFC 3376 §5.1);
        `mode` is `stack.mcast.INCLUDE` or `EXCLUDE`.

        INCLUDE with no sources is leaving.  Groups the protocol never reports (the
        all-systems / all-nodes group, node-local scopes) are accepted and ignored."""
        if not self._reportable(group):
            return
        ifs = self._ifs(iface)
        new = Filter(mode, frozenset(sources))
        g = ifs.groups.get(group)
        old = g.filter if g is not None else NOT_LISTENING
        if new == old:
            return
        if g is None:
            g = ifs.groups[group] = Group(group)
        g.filter = new
        self.env.trace(self.layer, "filter", iface=_name(iface), group=group, frm=str(old), to=str(new))
        level = self.level(iface, now)
        if level == NEW:
            self._state_change(ifs, g, old, new, now)
        elif new.listening and not old.listening:
            self._old_join(ifs, g, level, now)
        elif old.listening and not new.listening:
            self._old_leave(ifs, g, level, now)
        if g.idle:
            del ifs.groups[group]

    def join(self, iface, group: bytes, mode, sources, now: int) -> None:
        """Listen to `group` with filter (mode, sources); the same as `set_filter`."""
        self.set_filter(iface, group, mode, sources, now)

    def leave(self, iface, group: bytes, now: int) -> None:
        """Stop listening to `group` on `iface` (the filter becomes INCLUDE {})."""
        self.set_filter(iface, group, INCLUDE, (), now)

    def changed(self, iface, group: bytes, mode, sources, now: int) -> None:
        """The hook `Host.group_state_changed` calls; the same as `set_filter`."""
        self.set_filter(iface, group, mode, sources, now)

    def joined(self, iface, group: bytes, now: int) -> None:
        """An any-source join (EXCLUDE {}): the hook `Host.join_group` calls."""
        self.set_filter(iface, group, EXCLUDE, (), now)

    def left(self, iface, group: bytes, now: int) -> None:
        """The hook `Host.leave_group` calls."""
        self.leave(iface, group, now)

    def resync(self, iface, now: int) -> None:
        """Report every group on `iface` afresh, as if each were just joined: for an
        interface that came up (again) or got its first address."""
        ifs = self.ifaces.get(iface)
        if ifs is None:
            return
        level = self.level(iface, now)
        for g in list(ifs.groups.values()):
            if not g.filter.listening:
                continue
            if level == NEW:
                self._state_change(ifs, g, NOT_LISTENING, g.filter, now)
            else:
                self._old_join(ifs, g, level, now)

    def forget(self, iface) -> None:
        """Drop all state of an interface that is gone (its heap entries go stale)."""
        self.ifaces.pop(iface, None)

    def input(self, iface, src: bytes, dst: bytes, message, now: int, *, ttl: int | None = None,
              router_alert: bool | None = None) -> None:
        """A message for this protocol arrived on `iface` (the IP layer already checked the
        destination is a group we are in, or one of our addresses).  `ttl` (hop limit) and
        `router_alert` are checked when the host passes them (`_check_ip`)."""
        stats = self.env.stats
        try:
            msg = self._parse(src, dst, memoryview(message))
        except WireError as e:
            stats[f"{self.layer}.rx.{e.reason}"] += 1
            self.env.trace(self.layer, "drop", reason=e.reason, detail=str(e), src=src)
            return
        kind, what = self._classify(msg)
        if kind == "query":
            stats[f"{self.layer}.rx.query_v{self._version(what.level)}"] += 1
            why = self._check_query(src, ttl, router_alert)
            if why:
                stats[f"{self.layer}.rx.bad_query"] += 1
                self.env.trace(self.layer, "drop", reason=why, src=src)
                return
            self._on_query(self._ifs(iface), what, src, now)
        elif kind == "report":
            stats[f"{self.layer}.rx.report_v{self._version(what[0])}"] += 1
            self._on_report(iface, what[0], what[1], src, now)
        else:
            stats[f"{self.layer}.rx.{kind}"] += 1  # leaves, current-version reports: for routers

    # -- timers --------------------------------------------------------------------

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> None:
        heap = self._heap
        due_records: dict = {}  # iface -> [GroupRecord]: everything due now goes in one report
        while heap and heap[0][0] <= now:
            at, _, kind, iface, group = heapq.heappop(heap)
            ifs = self.ifaces.get(iface)
            if ifs is None:
                continue
            if kind == _COMPAT:
                self._compat_expired(ifs, at)
                continue
            if kind == _GENERAL:
                if ifs.general_at != at:
                    continue
                ifs.general_at = None
                recs = [self._current(g) for g in ifs.groups.values() if g.filter.listening]
                due_records.setdefault(iface, []).extend(recs)
                self.env.trace(self.layer, "answer", iface=_name(iface), query="general", groups=len(recs))
                continue
            g = ifs.groups.get(group)
            if g is None:
                continue
            if kind == _GROUP and g.resp_at == at:
                g.resp_at = None
                level = self.level(iface, now)
                if level == NEW:
                    rec = self._group_response(g)
                    g.resp_sources = None
                    if rec is not None:
                        due_records.setdefault(iface, []).append(rec)
                        self.env.trace(self.layer, "answer", iface=_name(iface), query="group", group=group)
                elif g.filter.listening:
                    self._send_old_report(ifs, g, level, "query" if not g.unsolicited_left else "unsolicited")
                    if g.unsolicited_left:
                        g.unsolicited_left -= 1
                        if g.unsolicited_left:
                            self._arm_group(ifs, g, now + self._uniform(self.config.old_unsolicited_report_interval))
            elif kind == _CHANGE and g.change_at == at:
                g.change_at = None
                due_records.setdefault(iface, []).extend(self._change_records(ifs, g, now))
            if g.idle and g.resp_at is None:
                del ifs.groups[group]
        for iface, recs in due_records.items():
            if recs:
                self._send_v3(iface, recs, "due")

    # -- views ---------------------------------------------------------------------

    def level(self, iface, now: int) -> int:
        """The Host Compatibility Mode of `iface` (RFC 3376 §7.2.1, RFC 3810 §8.2.1)."""
        ifs = self.ifaces.get(iface)
        if ifs is None:
            return NEW
        if ifs.oldest_until is not None and ifs.oldest_until > now:
            return OLDEST
        if ifs.old_until is not None and ifs.old_until > now:
            return OLD
        return NEW

    def version(self, iface, now: int) -> str:
        return self.VERSIONS[self.level(iface, now)]

    def groups(self, iface=None) -> list[tuple]:
        """(iface, group, filter) rows, like `ip maddr` with source lists."""
        rows = []
        for key, ifs in self.ifaces.items():
            if iface is None or key == iface:
                rows.extend((key, g.group, g.filter) for g in ifs.groups.values() if g.filter.listening)
        return rows

    # -- IGMPv3 / MLDv2: state changes (§5.1) -------------------------------------------

    def _state_change(self, ifs: IfState, g: Group, old: Filter, new: Filter, now: int) -> None:
        """Record what the change owes and send the first State-Change Report now; the rest
        follow at random intervals in (0, Unsolicited Report Interval]."""
        rv = ifs.robustness
        if old.mode != new.mode:
            g.filter_left = rv  # TO_IN / TO_EX carry the whole new state ...
            g.src_left.clear()  # ... so earlier source changes are covered
        else:
            for s in old.sources ^ new.sources:
                g.src_left[s] = rv
        self._send_v3(ifs.iface, self._change_records(ifs, g, now), "state change")

    def _change_records(self, ifs: IfState, g: Group, now: int) -> list:
        """The records of the next State-Change Report for `g` (§5.1's table), counting one
        transmission off the retransmission state, and rearming the timer if more is owed."""
        f = g.filter
        sources = tuple(sorted(f.sources))
        recs = []
        if g.filter_left:
            g.filter_left -= 1
            recs.append(GroupRecord(CHANGE_TO_INCLUDE_MODE if f.mode == INCLUDE else CHANGE_TO_EXCLUDE_MODE,
                                    g.group, sources))
        elif g.src_left:
            allow = tuple(sorted(s for s in g.src_left if accepts(f, s)))
            block = tuple(sorted(s for s in g.src_left if not accepts(f, s)))
            if allow:
                recs.append(GroupRecord(ALLOW_NEW_SOURCES, g.group, allow))
            if block:
                recs.append(GroupRecord(BLOCK_OLD_SOURCES, g.group, block))
            g.src_left = {s: n - 1 for s, n in g.src_left.items() if n > 1}
        if g.filter_left or g.src_left:
            g.change_at = now + self._uniform(self.config.unsolicited_report_interval)
            self._push(g.change_at, _CHANGE, ifs.iface, g.group)
        else:
            g.change_at = None
        return recs

    # -- IGMPv3 / MLDv2: queries (§5.2) --------------------------------------------------

    def _on_query(self, ifs: IfState, q: Query, src: bytes, now: int) -> None:
        iface = ifs.iface
        self.env.trace(self.layer, "query", iface=_name(iface), version=self.VERSIONS[q.level], src=src,
                       group=q.group or "general", max_resp_ms=q.max_resp // 1000,
                       **({"sources": len(q.sources)} if q.sources else {}))
        if q.level < NEW and q.group is None:
            self._older_querier(ifs, q, now)
        if q.level == NEW:
            if q.qrv:
                ifs.robustness = q.qrv  # §4.1.6: adopt the querier's Robustness Variable
            if q.qqi:
                ifs.query_interval = q.qqi
        level = self.level(iface, now)
        delay = self.env.rng.randint(0, q.max_resp) if q.max_resp > 0 else 0
        at = now + delay
        if level < NEW:  # RFC 2236 §6: start the timer, or lower it to the new maximum
            targets = ifs.groups.values() if q.group is None else [ifs.groups.get(q.group)]
            for g in targets:
                if g is not None and g.filter.listening and (g.resp_at is None or g.resp_at > now + q.max_resp):
                    g.unsolicited_left = 0
                    self._arm_group(ifs, g, at)
            return
        pending = ifs.general_at
        if pending is not None and pending <= at:
            return  # rule 1: a sooner answer to a General Query is already due
        if q.group is None:
            ifs.general_at = at  # rule 2
            self._push(at, _GENERAL, iface, None)
            return
        g = ifs.groups.get(q.group)
        if g is None or not g.filter.listening:
            self.env.stats[f"{self.layer}.rx.query_not_member"] += 1
            return
        if g.resp_at is None:  # rule 3
            g.resp_sources = set(q.sources) if q.sources else None
            self._arm_group(ifs, g, at)
        elif not q.sources or g.resp_sources is None:  # rule 4
            g.resp_sources = None
            self._arm_group(ifs, g, min(g.resp_at, at))
        else:  # rule 5
            g.resp_sources |= set(q.sources)
            self._arm_group(ifs, g, min(g.resp_at, at))

    def _current(self, g: Group) -> GroupRecord:
        """A Current-State Record (§5.2 rule 1 and 2 on expiry)."""
        f = g.filter
        return GroupRecord(MODE_IS_INCLUDE if f.mode == INCLUDE else MODE_IS_EXCLUDE, g.group, tuple(sorted(f.sources)))

    def _group_response(self, g: Group) -> GroupRecord | None:
        """§5.2 on group timer expiry: the current state, or for a Group-and-Source query
        IS_IN(A*B) in INCLUDE(A) and IS_IN(B-A) in EXCLUDE(A); nothing if that is empty."""
        f = g.filter
        if not f.listening:
            return None
        if g.resp_sources is None:
            return self._current(g)
        wanted = tuple(sorted(s for s in g.resp_sources if accepts(f, s)))
        return GroupRecord(MODE_IS_INCLUDE, g.group, wanted) if wanted else None

    # -- compatibility (§7.2.1) ------------------------------------------------------------

    def _older_querier(self, ifs: IfState, q: Query, now: int) -> None:
        """An older-version General Query: (re)start its Querier Present timer for the Older
        Version Querier Present Timeout, RV * QI + QRI (§8.12), the QRI being this query's
        Max Resp Time.  Leaving source-filtering mode cancels every pending response and
        retransmission (§7.2.1)."""
        before = self.level(ifs.iface, now)
        until = now + ifs.robustness * ifs.query_interval + q.max_resp
        if q.level == OLDEST:
            ifs.oldest_until = until
        else:
            ifs.old_until = until
        self._push(until, _COMPAT, ifs.iface, None)
        after = self.level(ifs.iface, now)
        if after != before:
            ifs.shown_level = after
            self.env.trace(self.layer, "compat", iface=_name(ifs.iface), frm=self.VERSIONS[before],
                           to=self.VERSIONS[after], until_s=until / 1e6)
            if before == NEW:
                ifs.general_at = None
                for g in list(ifs.groups.values()):
                    g.resp_at = g.resp_sources = g.change_at = None
                    g.filter_left, g.src_left = 0, {}
                    if g.idle:
                        del ifs.groups[g.group]

    def _compat_expired(self, ifs: IfState, at: int) -> None:
        before = ifs.shown_level
        after = self.level(ifs.iface, at)
        if before != after:
            ifs.shown_level = after
            self.env.trace(self.layer, "compat", iface=_name(ifs.iface), frm=self.VERSIONS[before],
                           to=self.VERSIONS[after], cause="older querier present timer expired")

    # -- IGMPv1/v2, MLDv1 behaviour (RFC 2236 §6, RFC 2710 §4) -----------------------------

    def _old_join(self, ifs: IfState, g: Group, level: int, now: int) -> None:
        """Non-Member -> Delaying Member: report now, then repeat [Robustness Variable] - 1
        times at random delays up to the Unsolicited Report Interval (RFC 2236 §3)."""
        self._send_old_report(ifs, g, level, "join")
        g.unsolicited_left = ifs.robustness - 1
        if g.unsolicited_left:
            self._arm_group(ifs, g, now + self._uniform(self.config.old_unsolicited_report_interval))

    def _old_leave(self, ifs: IfState, g: Group, level: int, now: int) -> None:
        """Leave: a Leave/Done only if we sent the last report (the RFC 2236 §6 flag), and
        never to an IGMPv1 querier (RFC 2236 §4 lets us suppress it; v1 has no Leave)."""
        g.resp_at = None
        g.unsolicited_left = 0
        if level == OLD and g.last_reporter:
            dst, msg = self._build_leave(ifs.iface, g.group)
            self.env.stats[f"{self.layer}.tx.leave"] += 1
            self.env.trace(self.layer, "leave", iface=_name(ifs.iface), group=g.group, dst=dst,
                           version=self.VERSIONS[level])
            self.send(ifs.iface, dst, msg)
        else:
            self.env.trace(self.layer, "leave_silent", iface=_name(ifs.iface), group=g.group,
                           why="IGMPv1 querier" if level == OLDEST else "another host reported last")
        g.last_reporter = False

    def _on_report(self, iface, level: int, group: bytes, src: bytes, now: int) -> None:
        """Another member's v1/v2 report cancels ours in the older modes (RFC 2236 §6:
        "stop timer, clear flag"); IGMPv3/MLDv2 hosts never suppress (RFC 3376 §5.2)."""
        ifs = self.ifaces.get(iface)
        if ifs is None or self.level(iface, now) == NEW:
            return
        g = ifs.groups.get(group)
        if g is not None and g.resp_at is not None:
            g.resp_at = None
            g.unsolicited_left = 0
            g.last_reporter = False
            self.env.stats[f"{self.layer}.suppressed"] += 1
            self.env.trace(self.layer, "suppressed", iface=_name(iface), group=group, by=src)

    def _send_old_report(self, ifs: IfState, g: Group, level: int, why: str) -> None:
        dst, msg = self._build_old_report(ifs.iface, level, g.group)
        g.last_reporter = True
        version = self.VERSIONS[level]
        self.env.stats[f"{self.layer}.tx.report_v{self._version(level)}"] += 1
        self.env.trace(self.layer, "report", iface=_name(ifs.iface), version=version, group=g.group, why=why)
        self.send(ifs.iface, dst, msg)

    # -- sending source-filtering reports ---------------------------------------------------

    def _send_v3(self, iface, records: list, why: str) -> None:
        """Pack records into as few reports as fit `max_message` (RFC 3376 §4.2.16 splits
        only between records here: one record larger than that goes alone)."""
        if not records:
            return
        limit = self.config.max_message
        batch: list = []
        size = 8
        for rec in records:
            n = self._record_size(rec)
            if batch and size + n > limit:
                self._emit_v3(iface, batch, why)
                batch, size = [], 8
            batch.append(rec)
            size += n
        self._emit_v3(iface, batch, why)

    def _emit_v3(self, iface, records: list, why: str) -> None:
        dst, msg = self._build_v3_report(iface, records)
        self.env.stats[f"{self.layer}.tx.report_v{self._version(NEW)}"] += 1
        self.env.trace(self.layer, "report", iface=_name(iface), version=self.VERSIONS[NEW], why=why,
                       records=" ".join(_fmt_record(r) for r in records))
        self.send(iface, dst, msg)

    # -- helpers -------------------------------------------------------------------------

    def _ifs(self, iface) -> IfState:
        ifs = self.ifaces.get(iface)
        if ifs is None:
            ifs = self.ifaces[iface] = IfState(iface, self.config)
        return ifs

    def _push(self, at: int, kind: int, iface, group) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, iface, group))
        self.env._timers_dirty = True  # (see Node._timers_dirty)

    def _arm_group(self, ifs: IfState, g: Group, at: int) -> None:
        g.resp_at = at
        self._push(at, _GROUP, ifs.iface, g.group)

    def _uniform(self, interval: int) -> int:
        """A random delay in (0, interval] (RFC 3376 §5.1: "chosen at random from the range
        (0, [Unsolicited Report Interval])")."""
        return self.env.rng.randint(1, max(1, interval))

    def _version(self, level: int) -> str:
        return self.VERSIONS[level][-1]

    def _check_query(self, src: bytes, ttl, router_alert) -> str | None:
        return None

    # hooks: _parse(src, dst, buf), _classify(msg) -> (kind, what), _reportable(group),
    # _build_v3_report(iface, records), _build_old_report(iface, level, group),
    # _build_leave(iface, group), _record_size(rec)


def _name(iface):
    return getattr(iface, "name", iface)


def _fmt_record(rec: GroupRecord) -> str:
    from .addr import ip_str

    return f"{rec.name}({ip_str(rec.group)}){{{','.join(ip_str(s) for s in rec.sources)}}}"
