"""traceroute: three routers in a chain answer with ICMP time exceeded, hop by hop.

h1 - r1 - r2 - r3 - h2.  UDP probes leave h1 with TTL 1, 2, 3...; each router that
decrements a TTL to zero drops the probe and sends ICMP time exceeded (RFC 1812
§5.3.1), revealing itself; the probe that reaches h2 meets a closed port and draws ICMP
port unreachable, which ends the trace.
"""

from scenarios.tools import traceroute

NAME = "traceroute"


def run(ctx) -> None:
    net = ctx.network()
    h1 = net.add_host("h1", ip="192.0.2.1/24", gateway="192.0.2.254")
    r1 = net.add_router("r1", ip=["192.0.2.254/24", "198.51.100.1/30"])
    r2 = net.add_router("r2", ip=["198.51.100.2/30", "198.51.100.5/30"])
    r3 = net.add_router("r3", ip=["198.51.100.6/30", "203.0.113.254/24"])
    h2 = net.add_host("h2", ip="203.0.113.1/24", gateway="203.0.113.254")
    for a, b in ((h1, r1), (r1, r2), (r2, r3), (r3, h2)):
        net.add_link(a, b, delay=0.002)
    r1.add_route("203.0.113.0/24", "198.51.100.2")
    r2.add_route("192.0.2.0/24", "198.51.100.1")
    r2.add_route("203.0.113.0/24", "198.51.100.6")
    r3.add_route("192.0.2.0/24", "198.51.100.5")
    ctx.start_capture()
    task = h1.spawn(traceroute, "h2")
    net.run()
    hops = task.result
    for ttl, who, kind in hops:
        ctx.say(f"  {ttl:2d}  {who or '*':15s} {kind}")
    ctx.check([h[1] for h in hops] == ["192.0.2.254", "198.51.100.2", "198.51.100.6", "203.0.113.1"],
              "the path is r1, r2, r3, then h2")
    ctx.check([h[2] for h in hops] == ["time-exceeded"] * 3 + ["port-unreachable"],
              "routers say time exceeded; the destination says port unreachable")
    ctx.check(sum(r.stats["ip.fwd.ttl_exceeded"] for r in (r1, r2, r3)) == 3, "each router expired one probe")
