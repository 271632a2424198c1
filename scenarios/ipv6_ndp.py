"""ndp: IPv6 address resolution and the neighbor cache's states over time (RFC 4861 §7.3).

h1 and h2 share a switch, IPv6 only.  h1 pings h2:

1. at 3 s h1 has no entry for h2: it creates one INCOMPLETE and multicasts a Neighbor
   Solicitation to h2's solicited-node group (ff02::1:ff00:2), which only h2 joined;
   h2's solicited Neighbor Advertisement makes the entry REACHABLE;
2. nothing confirms reachability for ReachableTime (15-45 s, random per host): the entry
   goes STALE, still usable;
3. at 60 s h1 pings again: the STALE entry is used at once and goes DELAY; with no
   confirmation for DELAY_FIRST_PROBE_TIME (5 s) it goes PROBE and a unicast solicitation
   to h2's known MAC brings it back to REACHABLE;
4. then h2's cable is cut; at 120 s h1 pings once more: STALE -> DELAY -> PROBE, three
   unicast probes a second apart go unanswered, and the entry is removed.
"""

from scenarios.tools import ping6

NAME = "ndp"


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip6="2001:db8::1/64")
    h2 = net.add_host("h2", ip6="2001:db8::2/64")
    net.add_link(h1, s1, delay=0.001)
    cable = net.add_link(h2, s1, delay=0.001)
    ctx.start_capture()
    states = []
    net.trace(lambda ev: states.append((ev[0], ev[4]["frm"], ev[4]["to"], ev[4]["cause"]))
              if ev[1] == "h1" and ev[3] == "neigh_state" and ev[4].get("addr") == bytes.fromhex(
                  "20010db8000000000000000000000002") else None)

    def pinger(socket):
        out = []
        h1.sleep(3.0)
        out.append(ping6(socket, "2001:db8::2", 1, 1.0, 1.0, lambda: net.now))
        h1.sleep(60.0 - net.now)
        out.append(ping6(socket, "2001:db8::2", 1, 1.0, 1.0, lambda: net.now))
        h1.sleep(110.0 - net.now)
        cable.impair(loss=1.0)
        h1.sleep(120.0 - net.now)
        out.append(ping6(socket, "2001:db8::2", 1, 1.0, 1.0, lambda: net.now))
        h1.sleep(140.0 - net.now)
        return out

    task = h1.spawn(pinger)
    net.run()
    r1, r2, r3 = task.result
    for t, frm, to, cause in states:
        ctx.say(f"  {t / 1e6:10.6f}  {frm:10s} -> {to:10s} {cause}")
    seq = [(frm, to) for _, frm, to, _ in states]
    ctx.check(r1[0][1] is not None and abs(r1[0][1] - 0.008) < 1e-9,
              "the first ping took 8 ms: a solicitation and advertisement, then the echo")
    ctx.check(seq[:2] == [("INCOMPLETE", "REACHABLE"), ("REACHABLE", "STALE")],
              "resolution made the entry REACHABLE, and ReachableTime later made it STALE")
    ctx.check(r2[0][1] is not None and abs(r2[0][1] - 0.004) < 1e-9, "the ping at 60 s used the STALE entry at once")
    ctx.check(("STALE", "DELAY") in seq and ("DELAY", "PROBE") in seq and ("PROBE", "REACHABLE") in seq,
              "using it went STALE -> DELAY -> PROBE, and a unicast probe confirmed h2")
    delay_at = next(t for t, f, to, _ in states if (f, to) == ("STALE", "DELAY"))
    probe_at = next(t for t, f, to, _ in states if (f, to) == ("DELAY", "PROBE"))
    ctx.check(probe_at - delay_at == 5_000_000, "PROBE came DELAY_FIRST_PROBE_TIME (5 s) after DELAY")
    ctx.check(r3[0][1] is None, "after the cable was cut the ping went unanswered")
    ctx.check(h1.stats["ndp.failed"] == 1 and not any(r[1] == "2001:db8::2" for r in h1.neighbors()),
              "three unanswered probes removed h2 from h1's neighbor cache")
