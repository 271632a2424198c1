"""mld-snooping: a snooping switch forwards an IPv6 group only where listeners are.

s1 snoops MLD (RFC 4541).  Router r runs an MLD querier, so s1 learns r's port as the
multicast router port.  h2 and h3 listen to ff05::1:1 (IPV6_JOIN_GROUP; MLDv2 reports,
which s1 reads through the hop-by-hop header); h4 does not.  When h1 sends to the group,
s1 forwards only to h2, h3 and the router port; h4's link never carries it.  Then h3
leaves: its report reaches the router, the router's last-listener queries go unanswered by
h3, and s1 drops h3's port from the group, so the next datagram goes to h2 alone.
"""

import struct

NAME = "mld-snooping"
GROUP, PORT = "ff05::1:1", 6007


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1", snooping=True)
    r = net.add_router("r", ip6=["2001:db8::ff/64"])
    hosts = [net.add_host(f"h{i}", ip6=f"2001:db8::{i}/64") for i in (1, 2, 3, 4)]
    links = {}
    for n in [r] + hosts:
        links[n.name] = net.add_link(n, s1, delay=0.001)
    r.query(igmp=False)
    ctx.start_capture()
    got = {h.name: [] for h in hosts}
    group_mac = b"\x33\x33\x00\x01\x00\x01"  # RFC 2464: 33:33 and the group's low 32 bits
    seen_by_h4 = []
    h4_receive = hosts[3].receive

    def h4_port(port_no, frame, now):  # what reaches h4's NIC, before its own filter
        if frame[:6] == group_mac and len(frame) > 20 and frame[20] == 17:  # the group's data (queries are flooded)
            seen_by_h4.append(now)
        return h4_receive(port_no, frame, now)

    hosts[3].receive = h4_port

    def listener(socket, me, leave_at=None):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("", PORT))
        mreq = socket.inet_pton(socket.AF_INET6, GROUP) + struct.pack("@I", 2)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        while True:
            now = me.runtime.now()
            if leave_at is not None and now >= leave_at:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq)
                leave_at = None
            s.settimeout(max(0.001, (leave_at or 30.0) - now))
            try:
                data, _ = s.recvfrom(100)
                got[me.name].append(data.decode())
            except TimeoutError:
                if me.runtime.now() >= 30.0:
                    return

    def sender(socket):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, 2)
        hosts[0].sleep(5.0)
        s.sendto(b"first", (GROUP, PORT))
        hosts[0].sleep(15.0)
        s.sendto(b"second", (GROUP, PORT))

    hosts[1].spawn(listener, hosts[1])
    hosts[2].spawn(listener, hosts[2], 10.0)
    hosts[0].spawn(sender)
    net.run(until=4.9)
    table_before = s1.snooping_table()
    net.run(until=19.0)
    table_after = s1.snooping_table()
    net.run(until=31.0)
    ctx.say("snooping table at 4.9 s (group or mrouter, port, peer, seconds left):")
    for row in table_before:
        ctx.say(f"  {row}")
    ctx.say("at 19 s, after h3 left:")
    for row in table_after:
        ctx.say(f"  {row}")
    for h in hosts:
        ctx.say(f"{h.name} heard {got[h.name]}")

    members_before = {row[2] for row in table_before if row[0] == GROUP}
    members_after = {row[2] for row in table_after if row[0] == GROUP}
    ctx.check({"h2", "h3"} <= members_before and "h4" not in members_before,
              "s1 learnt h2 and h3 as listeners, not h4")
    ctx.check(any(row[0] == "mrouter" and row[2] == "r" for row in table_before), "and r's port as the router port")
    ctx.check("h3" not in members_after and "h2" in members_after, "after h3's leave, only h2's port remains")
    ctx.check(got["h2"] == ["first", "second"] and got["h3"] == ["first"], "h2 heard both datagrams, h3 the first")
    ctx.check(seen_by_h4 == [], "h4's link never carried the group's datagrams (only the router's queries, "
                                "which a snooping switch floods)")
