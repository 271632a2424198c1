"""syn-flood: spoofed SYNs fill a listener's SYN queue; legitimate clients wait (RFC 4987).

A probe sends SYNs from many forged sources to a server listening with backlog 8.  Nobody
completes those handshakes (the forged sources do not exist), so each half-open entry stays
in SYN-RECEIVED while the server retransmits its SYN-ACK, and further SYNs are dropped, as
Linux does without SYN cookies.  A real client's connect() therefore goes unanswered and
retries; once the half-open entries time out (five SYN-ACK retransmissions, about a
minute) the client gets through.
"""

from scapy.all import IP, TCP, Ether

from scenarios.tcp_basics import lan

NAME = "syn-flood"


def run(ctx) -> None:
    net, h1, h2 = lan(ctx)
    p = net.add_probe("attacker")
    net.add_link(p, net["s1"])
    ctx.start_capture()
    out = {}
    h2_mac = ":".join("%02x" % b for b in h2.interfaces[1].mac)

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 80))
        ls.listen(8)
        c, peer = ls.accept()
        out["accepted_at"] = net.now
        c.close()

    def client(socket):
        h1.sleep(0.5)  # the flood is on
        s = socket.socket()
        t0 = net.now
        s.connect(("192.0.2.2", 80))
        out["connect_took"] = net.now - t0

    h2.spawn(server)
    h1.spawn(client)
    net.run(until=0.1)
    for i in range(300):  # spoofed sources from a documentation range nobody answers for
        p.send(Ether(dst=h2_mac, src="02:66:66:66:66:66") /
               IP(src=f"203.0.113.{1 + i % 250}", dst="192.0.2.2") / TCP(sport=1024 + i, dport=80, flags="S", seq=i))
    net.run()
    dropped = h2.stats["tcp.listen.syn_queue_full"]
    ctx.say(f"  SYNs dropped while the queue was full: {dropped}; half-open accepted: {h2.stats['tcp.listen.syn']}")
    ctx.say(f"  the real client's connect() took {out['connect_took']:.1f} s of virtual time")
    ctx.check(dropped > 250, "the flood overflowed the SYN queue and SYNs were dropped")
    ctx.check(out["connect_took"] > 30, "the legitimate client was kept waiting while the queue was full")
    ctx.check("accepted_at" in out, "the client got through once the half-open entries expired")
