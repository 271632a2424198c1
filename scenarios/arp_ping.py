"""arp-ping: two hosts on a switch; the first ping waits for ARP, the rest do not.

h1 pings h2 three times.  Before the first echo request can leave, h1 must learn h2's
MAC address: it broadcasts an ARP request, the switch floods it, h2 answers (and learns
h1 from the request).  The first round trip therefore carries an extra ARP exchange;
the next two go straight out.

Both hosts announce their addresses when their links come up (RFC 5227: two ARP
announcements, two seconds apart).  Announcements update existing cache entries but do
not create them, so h1 waits until they are over and still has to ask.
"""

from scenarios.tools import ping

NAME = "arp-ping"


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.001)
    net.add_link(h2, s1, delay=0.001)
    ctx.start_capture()
    ctx.say("h1 (192.0.2.1) and h2 (192.0.2.2) on switch s1, 1 ms per link")

    def pinger(socket):
        h1.sleep(3.0)  # let the bring-up announcements finish first
        return ping(socket, "h2", 3, 1.0, 1.0, lambda: net.now)

    task = h1.spawn(pinger)
    net.run()
    results = task.result
    for seq, rtt in results:
        ctx.say(f"  echo seq={seq}: " + (f"reply after {rtt * 1000:.3f} ms" if rtt is not None else "no reply"))
    ctx.say("h1's neighbor table: " + ", ".join(" ".join(r) for r in h1.neighbors()))
    ctx.check(all(rtt is not None for _, rtt in results), "every echo request was answered")
    ctx.check(abs(results[0][1] - 0.008) < 1e-9, "the first ping took 8 ms: 4 ms of ARP plus 4 ms of echo")
    ctx.check(all(abs(rtt - 0.004) < 1e-9 for _, rtt in results[1:]), "later pings took 4 ms: no ARP")
    ctx.check(h1.stats["arp.tx.request"] == 1 and h2.stats["arp.tx.reply"] == 1, "one ARP request, one reply")
    ctx.check(h2.stats["icmp.tx.echo_reply"] == 3, "h2 sent three echo replies")
