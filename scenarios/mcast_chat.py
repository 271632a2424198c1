"""multicast-chat: three hosts join a group and talk; one leaves; a router queries.

h1, h2 and h3 share a switch with router r, which runs an IGMP querier.  Each host joins
239.1.1.1 with IP_ADD_MEMBERSHIP (an IGMPv3 report, sent twice: the robustness variable),
and says hello to the group; every member hears every other (and, with IP_MULTICAST_LOOP,
its own line too).  At 10 s h3 drops its membership: its state-change report tells the
router, which asks with group-specific queries whether anyone is still listening; h1 and
h2 answer.  What h1 says afterwards reaches h2 only: h3's network interface no longer
accepts the group's frames.
"""

from stack.addr import ip_str

NAME = "multicast-chat"
GROUP, PORT = "239.1.1.1", 5007


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    r = net.add_router("r", ip=["192.0.2.254/24"])
    hosts = [net.add_host(f"h{i}", ip=f"192.0.2.{i}/24", gateway="192.0.2.254") for i in (1, 2, 3)]
    for n in [r] + hosts:
        net.add_link(n, s1, delay=0.001)
    r.query()
    ctx.start_capture()
    igmp = []
    net.trace(lambda ev: igmp.append(ev) if ev[2] == "igmp" and ev[3] in (
        "filter", "report", "general_query", "group_query", "answer", "group_added", "last_member_query") else None)
    heard = {h.name: [] for h in hosts}

    def chatter(socket, me, leave_at=None, talk_at=(1.0,)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", PORT))
        mreq = socket.inet_aton(GROUP) + socket.inet_aton("0.0.0.0")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        host = me
        for t in talk_at:
            _until(s, host, t, heard)
            s.sendto(f"{host.name} says hello at {t:g} s".encode(), (GROUP, PORT))
        if leave_at is not None:
            _until(s, host, leave_at, heard)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq)
        _until(s, host, 20.0, heard)
        s.close()

    hosts[0].spawn(chatter, hosts[0], None, (1.0, 12.0))
    hosts[1].spawn(chatter, hosts[1], None, (2.0,))
    hosts[2].spawn(chatter, hosts[2], 10.0, (3.0,))
    net.run(until=21.0)
    for ev in igmp:
        ctx.say(f"  {ev}")
    for h in hosts:
        ctx.say(f"{h.name} heard: " + "; ".join(f"{t:.3f} {text}" for t, text in heard[h.name]))
    lines = {h.name: [text for _, text in heard[h.name]] for h in hosts}
    early = ["h1 says hello at 1 s", "h2 says hello at 2 s", "h3 says hello at 3 s"]
    ctx.check(all(lines[h.name][:3] == early for h in hosts), "every member heard all three hellos, its own included")
    ctx.check("h1 says hello at 12 s" in lines["h2"] and "h1 says hello at 12 s" in lines["h1"],
              "after h3 left, h1's line still reached h2 (and h1 itself)")
    ctx.check("h1 says hello at 12 s" not in lines["h3"], "h3, gone from the group, did not hear it")
    ctx.check(any(e[1] == "r" and e[3] == "group_added" for e in igmp), "the router learnt the group from a report")
    ctx.check(any(e[1] == "r" and e[3] == "last_member_query" for e in igmp),
              "h3's leave made the router query the group")
    ctx.check(r.stats["igmp.tx.packets"] >= 2 and all(h.stats["igmp.tx.packets"] >= 2 for h in hosts),
              "queries from the router, reports from every host")
    ctx.check(hosts[2].stats["eth.rx.filtered"] > 0, "h3's NIC filter dropped the group's frames once it left")


def _until(s, host, t, heard) -> None:
    """Listen (recording what arrives) until virtual time `t`."""
    while True:
        left = t - host.runtime.now()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data, _ = s.recvfrom(200)
        except TimeoutError:
            return
        heard[host.name].append((host.runtime.now(), data.decode()))
