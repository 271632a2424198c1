"""slaac: a router advertises prefixes; hosts configure addresses and a default route (RFC 4862).

r has two interfaces and advertises 2001:db8:1::/64 on one and 2001:db8:2::/64 on the
other.  h1 and h2 have no configured IPv6 address at all: each comes up with a link-local
address, solicits a router, and from the Router Advertisement forms a global address
(the prefix plus its modified EUI-64 interface identifier), runs DAD on it, installs the
prefix as on-link and the router's link-local address as its default router.  Then h1
pings h2 across the router.
"""

from scenarios.tools import ping6
from stack.addr import interface_id

NAME = "slaac"


def run(ctx) -> None:
    net = ctx.network()
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h1 = net.add_host("h1")
    h2 = net.add_host("h2")
    h1.add_interface()
    h2.add_interface()
    net.add_link(h1, r, delay=0.001)
    net.add_link(h2, r, delay=0.001)
    r.advertise("eth0", ["2001:db8:1::/64"])
    r.advertise("eth1", ["2001:db8:2::/64"])
    ctx.start_capture()
    net.trace(lambda ev: ctx.say(f"  {ev}") if ev[3] in ("router_solicit", "router_advert", "router_advert_sent",
                                                          "default_router", "address", "state") else None)
    net.run(until=20.0)
    g1 = [a for a in h1.interfaces[1].ipv6 if a.origin == "slaac"]
    g2 = [a for a in h2.interfaces[1].ipv6 if a.origin == "slaac"]
    ctx.say("h1 routes:\n" + "\n".join("  " + str(rt) for rt in h1.routes.routes if len(rt.network) == 16))

    def pinger(socket):
        return ping6(socket, str(g2[0]).split("/")[0], 3, 1.0, 1.0, lambda: net.now)

    task = h1.spawn(pinger)
    net.run(until=30.0)
    ctx.check(len(g1) == 1 and g1[0].addr[:8] == bytes.fromhex("20010db800010000")
              and g1[0].addr[8:] == interface_id(h1.interfaces[1].mac) and g1[0].state.value == "preferred",
              f"h1 formed {g1[0] if g1 else None}: the prefix and its EUI-64 identifier; DAD passed")
    ctx.check(len(g2) == 1 and g2[0].addr[:8] == bytes.fromhex("20010db800020000"),
              f"h2 formed {g2[0] if g2 else None}")
    default = [rt for rt in h1.routes.routes if len(rt.network) == 16 and rt.prefix_len == 0]
    ctx.check(len(default) == 1 and default[0].gateway[:2] == b"\xfe\x80" and default[0].proto == "ra",
              "h1's default route goes via the router's link-local address, learnt from the advertisement")
    ctx.check(all(rtt is not None for _, rtt in task.result), "h1 pinged h2's autoconfigured address across r")
    ctx.say(f"router advertisements sent: {r.stats['ndp.tx.ra']}; router solicitations: "
            f"{h1.stats['ndp.tx.rs'] + h2.stats['ndp.tx.rs']} (a host stops soliciting once it hears one)")
    ctx.check(r.stats["ndp.tx.ra"] >= 2, "the router advertised, more often while it was new (every 16 s at most)")
