"""IGMP on a host: group membership reports for IPv4 (RFC 3376, with RFC 2236 and RFC 1112
compatibility).  The state machine is `mcast_host.MembershipLayer`; this module maps IGMP's
messages, addresses and units onto it.

- IGMPv3 reports go to 224.0.0.22 (RFC 3376 §4.2.14); IGMPv2 reports and IGMPv1 reports to
  the group itself; Leave Group to 224.0.0.2 (RFC 2236 §3).
- 224.0.0.1 (all-systems) is never reported (RFC 3376 §5: "no IGMP messages are ever
  sent regarding the all-systems multicast address"); every other group is.
- Max Resp Time is in tenths of a second; an IGMPv1 query's zero means 10 s (RFC 2236 §4).
- Which version a query is follows RFC 3376 §7.1 (the codec decides from the length).
- TTL and Router Alert of received messages are not checked: RFC 3376 §4 obliges senders
  (every message goes out with TTL 1 and Router Alert) but no receiver check, and IGMPv1
  queriers send no Router Alert at all.

Host interface (see `mcast_host` for the environment and the send callback):

    layer = IgmpLayer(env, send)          # send(iface, dst: bytes, message: bytes)
    layer.set_filter(iface, group, mode, sources, now)   # the merged socket state changed
    layer.join(...) / layer.leave(iface, group, now) / layer.joined / layer.left
    layer.input(iface, src, dst, message, now)           # an IGMP message (the IP payload)
    layer.poll_at(); layer.poll(now)
"""

from __future__ import annotations

from .mcast_host import NEW, OLD, OLDEST, MembershipConfig, MembershipLayer, Query
from .wire import igmp as wire

ALL_SYSTEMS = wire.ALL_SYSTEMS


class IgmpLayer(MembershipLayer):
    layer = "igmp"
    VERSIONS = {OLDEST: "IGMPv1", OLD: "IGMPv2", NEW: "IGMPv3"}
    ANY = wire.ANY

    def __init__(self, env, send, config: MembershipConfig | None = None) -> None:
        super().__init__(env, send, config)

    def _parse(self, src: bytes, dst: bytes, buf: memoryview):
        return wire.parse(buf)

    def _classify(self, msg):
        t = msg.type
        if t == wire.QUERY:
            group = None if msg.group == wire.ANY else msg.group
            if msg.version == 3:
                return "query", Query(NEW, group, msg.max_resp * 100_000, msg.sources, msg.qrv,
                                      msg.qqi * 1_000_000)
            if msg.version == 1:
                return "query", Query(OLDEST, None, 100 * 100_000)  # RFC 2236 §4: zero means 10 s
            return "query", Query(OLD, group, msg.max_resp * 100_000)
        if t == wire.V1_REPORT:
            return "report", (OLDEST, msg.group)
        if t == wire.V2_REPORT:
            return "report", (OLD, msg.group)
        if t == wire.LEAVE:
            return "leave", None
        if t == wire.V3_REPORT:
            return "report_v3", None
        return "unknown_type", None  # RFC 3376 §4: unrecognized types are ignored

    def _reportable(self, group: bytes) -> bool:
        return group != ALL_SYSTEMS

    def _build_v3_report(self, iface, records):
        return wire.ALL_V3_ROUTERS, wire.build_report_v3(records)

    def _build_old_report(self, iface, level: int, group: bytes):
        return group, wire.build(wire.V1_REPORT if level == OLDEST else wire.V2_REPORT, 0, group)

    def _build_leave(self, iface, group: bytes):
        return wire.ALL_ROUTERS, wire.build(wire.LEAVE, 0, group)

    def _record_size(self, rec) -> int:
        return wire.record_size(rec)
