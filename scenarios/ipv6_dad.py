"""dad: duplicate address detection catches two hosts configured with the same address.

h1 has had 2001:db8::1 for a while.  At 5 s h2 is plugged in, mistakenly configured with
the same address, and with strict DAD (RFC 4862: the address stays TENTATIVE, unusable,
while DAD runs).  Its Neighbor Solicitation from the unspecified address to the
solicited-node group reaches h1, which defends its address with a Neighbor Advertisement
to all-nodes; h2 marks the address duplicate ("dadfailed") and never uses it.  h2's
link-local address, unique, passes DAD and becomes preferred about a second later.

h3 joins at the same time with a unique address and optimistic DAD (RFC 4429, this
stack's default): it can send at once, and its address is preferred once DAD passes.
"""

from stack.addrconf import AddrConfConfig
from stack.host import HostConfig

NAME = "dad"


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip6="2001:db8::1/64")
    strict = HostConfig(addrconf=AddrConfConfig(optimistic_dad=False))
    h2 = net.add_host("h2", ip6="2001:db8::1/64", config=strict)
    h3 = net.add_host("h3", ip6="2001:db8::3/64")
    net.add_link(h1, s1, delay=0.001)
    ctx.start_capture()
    events = []
    net.trace(lambda ev: events.append(ev) if ev[2] == "addrconf" or ev[3] in ("dad_probe", "dad_defended") else None)
    net.run(until=5.0)
    net.add_link(h2, s1, delay=0.001)
    net.add_link(h3, s1, delay=0.001)
    net.run(until=5.0005)
    early = {a.addr: a.state.value for a in h2.interfaces[1].ipv6}
    h3_early = {a.addr: a.state.value for a in h3.interfaces[1].ipv6}
    net.run(until=10.0)
    for ev in events:
        if ev[0] >= 5_000_000:
            ctx.say(f"  {ev}")
    dup = bytes.fromhex("20010db8000000000000000000000001")
    h2_addr = h2.interfaces[1].addrs6[dup]
    ctx.check(early[dup] == "tentative", "h2's address was TENTATIVE (unusable) while DAD ran")
    ctx.check(h3_early[bytes.fromhex("20010db8000000000000000000000003")] == "optimistic",
              "h3's address was OPTIMISTIC (usable at once) while DAD ran")
    ctx.check(h1.stats["ndp.tx.na"] >= 1 and any(e[3] == "dad_defended" and e[1] == "h1" for e in events),
              "h1 defended its address with a Neighbor Advertisement")
    ctx.check(h2_addr.state.value == "dadfailed" and any(e[3] == "dad_failed" and e[1] == "h2" for e in events),
              "h2 detected the duplicate and marked the address dadfailed")
    ctx.check(not h2.is_local(dup) and h1.is_local(dup), "the duplicate is not usable on h2, still h1's")
    ctx.check(all(a.state.value == "preferred" for a in h3.interfaces[1].ipv6) and
              all(a.state.value == "preferred" for a in h2.interfaces[1].ipv6 if a.addr != dup),
              "every other address passed DAD and became preferred")
