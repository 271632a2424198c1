"""ping6-through-router: echo across an IPv6 router, hop limit decremented on the way.

h1 (2001:db8:1::10) - r - h2 (2001:db8:2::20), static addresses and default routes.
h1 pings h2 three times: r resolves both neighbors with NDP, forwards each echo request
and reply with its hop limit one lower (RFC 8200 §3), and never fragments.  A last ping
with hop limit 1 dies at r, which answers with ICMPv6 time exceeded (RFC 4443 §3.3).
"""

import struct

from scenarios.tools import ping6

NAME = "ping6-through-router"


def run(ctx) -> None:
    net = ctx.network()
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r, delay=0.002)
    net.add_link(r, h2, delay=0.002)
    ctx.start_capture()
    hops = []

    def pinger(socket):
        h1.sleep(3.0)
        replies = ping6(socket, "2001:db8:2::20", 3, 1.0, 1.0, lambda: net.now)
        with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as s:
            s.settimeout(1.0)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)
            s.sendto(struct.pack("!BBHHH", 128, 0, 0, 7, 1), ("2001:db8:2::20", 0))
            data, src = s.recvfrom(2000)
            hops.append((data[0], data[1], src[0]))
        return replies

    task = h1.spawn(pinger)
    net.run()
    for seq, rtt in task.result:
        ctx.say(f"  echo seq={seq}: " + (f"reply after {rtt * 1000:.3f} ms" if rtt is not None else "no reply"))
    ctx.say(f"  hop limit 1: ICMPv6 type {hops[0][0]} code {hops[0][1]} from {hops[0][2]}")
    ctx.check(all(rtt is not None for _, rtt in task.result), "every echo request was answered")
    ctx.check(r.stats["ip6.fwd.packets"] == 6, "r forwarded three requests and three replies")
    ctx.check(hops == [(3, 0, "2001:db8:1::1")], "a hop limit of 1 drew time exceeded (type 3 code 0) from r")
    ctx.check(r.stats["ip6.fwd.hop_limit_exceeded"] == 1, "r counted the expired packet")
