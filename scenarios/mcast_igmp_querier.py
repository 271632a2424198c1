"""igmp-querier: two routers elect a querier; a membership expires when its host vanishes.

Routers r1 (192.0.2.253) and r2 (192.0.2.254) both start as queriers on one LAN; each hears
the other's General Query and the higher address steps down (RFC 3376 §6.6.2), so r1 alone
queries every 125 s.  h1 joins 239.2.2.2 and answers each query.  At 200 s h1's cable is
cut without a goodbye: no Leave is ever sent.  The routers keep the group until the Group
Membership Interval (2 x 125 s + 10 s = 260 s) has passed since the last report, then let
it expire.
"""

NAME = "igmp-querier"
GROUP = "239.2.2.2"


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    r1 = net.add_router("r1", ip=["192.0.2.253/24"])
    r2 = net.add_router("r2", ip=["192.0.2.254/24"])
    h1 = net.add_host("h1", ip="192.0.2.1/24", gateway="192.0.2.253")
    for n in (r1, r2):
        net.add_link(n, s1, delay=0.001)
        n.query(mld=False)
    cable = net.add_link(h1, s1, delay=0.001)
    ctx.start_capture()
    events = []
    net.trace(lambda ev: events.append(ev) if ev[2] == "igmp" and ev[1] in ("r1", "r2") and ev[3] in (
        "querier", "general_query", "group_added", "group_expired") else None)
    last_report = []
    net.trace(lambda ev: last_report.append(ev[0]) if ev[1] == "h1" and ev[3] == "report" else None)

    def member(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + bytes(4))
        h1.sleep(200.0)
        cable.impair(loss=1.0)  # h1 vanishes: no Leave Group
        h1.sleep(400.0)

    h1.spawn(member)
    net.run(until=600.0)
    for ev in events:
        ctx.say(f"  {ev}")
    for r in (r1, r2):
        ctx.say(f"{r.name} querier state: " + ", ".join(
            f"{'querier' if q.is_querier(r.interfaces[1]) else 'non-querier'}" for q in r.queriers))
    reports_before_cut = [t for t in last_report if t < 200_000_000]
    expired = {e[1]: e[0] for e in events if e[3] == "group_expired"}
    ctx.check(any(e[1] == "r2" and e[3] == "querier" and e[4].get("state") == "NON-QUERIER" for e in events),
              "r2 heard r1's query from a lower address and stopped querying")
    ctx.check(not any(e[1] == "r2" and e[3] == "general_query" and e[0] > 1_000_000 for e in events),
              "only r1 queried after the election")
    ctx.check(all(r in expired for r in ("r1", "r2")), "both routers let the group expire")
    gmi = 260_000_000
    ctx.check(all(abs(expired[r] - (reports_before_cut[-1] + gmi)) <= 10_000_000 for r in expired),
              f"it expired about 260 s after h1's last report ({reports_before_cut[-1] / 1e6:.3f} s + 260 s)")
