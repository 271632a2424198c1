"""MLD on a node: multicast listener reports for IPv6 (RFC 3810, with RFC 2710
compatibility).  The state machine is `mcast_host.MembershipLayer`; this module maps MLD's
messages, addresses and units onto it.

- MLDv2 reports go to ff02::16 (RFC 3810 §5.2.14); MLDv1 reports to the address itself and
  Done to ff02::2 (RFC 2710 §3, §4).
- Never reported: ff02::1 (all-nodes) and any address of scope 0 or 1 (RFC 3810 §6: "No
  MLD messages are ever sent regarding neither the link-scope all-nodes multicast address,
  nor any multicast address of scope 0 (reserved) or 1 (node-local)").  Every other group
  is, the solicited-node groups included (RFC 3810 §6 first paragraph: a node reports them
  so that snooping switches forward Neighbor Solicitations to it).
- A Query is accepted only from a link-local source (RFC 3810 §5.1.14) and, when the host
  passes them, with hop limit 1 and a Router Alert option (RFC 3810 §6.2).
- Maximum Response Delay is in milliseconds.
- The checksum covers the IPv6 pseudo-header, so the layer asks the environment which
  source the host will use: `env.link_local_of(iface)`, or :: before there is one
  (RFC 3810 §5.2.13).

Host interface (see `mcast_host`):

    layer = MldLayer(env, send)           # send(iface, dst: bytes, message: bytes)
    layer.set_filter(iface, group, mode, sources, now)
    layer.join(...) / layer.leave(iface, group, now) / layer.joined / layer.left
    layer.input(iface, src, dst, message, now, ttl=hop_limit, router_alert=True)
    layer.poll_at(); layer.poll(now)
"""

from __future__ import annotations

from .addr import ALL_NODES, is_link_local
from .mcast_host import NEW, OLD, MembershipConfig, MembershipLayer, Query
from .wire import mld as wire


class MldLayer(MembershipLayer):
    layer = "mld"
    VERSIONS = {OLD: "MLDv1", NEW: "MLDv2"}
    ANY = wire.ANY

    def __init__(self, env, send, config: MembershipConfig | None = None) -> None:
        super().__init__(env, send, config or MembershipConfig(max_message=1452))  # 1500 - 40 - 8 (hop-by-hop)

    def _parse(self, src: bytes, dst: bytes, buf: memoryview):
        return wire.parse(buf, src, dst)

    def _classify(self, msg):
        t = msg.type
        if t == wire.QUERY:
            group = None if msg.group == wire.ANY else msg.group
            if msg.version == 2:
                return "query", Query(NEW, group, msg.max_resp * 1000, msg.sources, msg.qrv, msg.qqi * 1_000_000)
            return "query", Query(OLD, group, msg.max_resp * 1000)
        if t == wire.V1_REPORT:
            return "report", (OLD, msg.group)
        if t == wire.DONE:
            return "done", None
        return "report_v2", None

    def _check_query(self, src: bytes, ttl, router_alert) -> str | None:
        if not (src[0] == 0xFE and src[1] & 0xC0 == 0x80):
            return "query source is not link-local (RFC 3810 §5.1.14)"
        if ttl is not None and ttl != 1:
            return f"query with hop limit {ttl} (RFC 3810 §6.2)"
        if router_alert is False:
            return "query without Router Alert (RFC 3810 §6.2)"
        return None

    def _reportable(self, group: bytes) -> bool:
        return group != ALL_NODES and (group[1] & 0x0F) > 1

    def _source(self, iface) -> bytes:
        ll = getattr(self.env, "link_local_of", None)
        src = ll(iface) if ll is not None else None
        return src if src is not None and is_link_local(src) else wire.ANY

    def _build_v3_report(self, iface, records):
        return wire.ALL_MLDV2_ROUTERS, wire.build_report_v2(records, self._source(iface), wire.ALL_MLDV2_ROUTERS)

    def _build_old_report(self, iface, level: int, group: bytes):
        return group, wire.build(wire.V1_REPORT, 0, group, self._source(iface), group)

    def _build_leave(self, iface, group: bytes):
        return wire.ALL_ROUTERS, wire.build(wire.DONE, 0, group, self._source(iface), wire.ALL_ROUTERS)

    def _record_size(self, rec) -> int:
        return wire.record_size(rec)
