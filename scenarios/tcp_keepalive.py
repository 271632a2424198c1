"""keepalive: a peer that vanishes is found out by keepalive probes (RFC 1122 §4.2.3.6).

h1 holds an idle connection to h2 with SO_KEEPALIVE, TCP_KEEPIDLE 10 s, TCP_KEEPINTVL 2 s,
TCP_KEEPCNT 3.  Then h2's link goes dead (every frame lost).  After 10 s of silence h1
probes; with no answer it probes again every 2 s; after the third unanswered probe the
connection ends and the blocked recv() raises TimeoutError (ETIMEDOUT, errno 110).  A second
connection with the default settings (two hours idle, 75 s x 9 probes) shows the same ending
after 2 h 11 min of virtual time, in milliseconds of wall time.
"""

import time

from scenarios.tcp_basics import lan

NAME = "keepalive"


def trial(ctx, idle=None, intvl=None, cnt=None):
    net, h1, h2 = lan(ctx)
    link = net.links[1]  # h2's cable
    ctx.start_capture()  # each trial rewrites the pcap: it holds the last one

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 22))
        ls.listen()
        c, _ = ls.accept()
        h2.sleep(1e6)  # holds the connection and never speaks

    def client(socket):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if idle:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
        s.connect(("192.0.2.2", 22))
        link.impair(loss=1.0)  # h2 vanishes: its cable now loses everything
        t0 = net.now
        try:
            s.recv(10)
        except OSError as e:
            return e, net.now - t0
        return None, net.now - t0

    h2.spawn(server)
    cli = h1.spawn(client)
    wall = time.perf_counter()
    net.run(until=3 * 3600)
    return cli.result, h1.stats["tcp.tx.keepalive"], time.perf_counter() - wall


def run(ctx) -> None:
    (err, after), probes, _ = trial(ctx, idle=10, intvl=2, cnt=3)
    ctx.say(f"  custom settings: {err!r} after {after:.3f} s of virtual time, {probes} probes sent")
    ctx.check(isinstance(err, TimeoutError) and err.errno == 110, "recv() raised ETIMEDOUT")
    ctx.check(abs(after - 16.0) < 1.0, "after 10 s idle + 3 probes 2 s apart (about 16 s)")
    ctx.check(probes == 3, "three unanswered keepalive probes")
    (err, after), probes, wall = trial(ctx)
    ctx.say(f"  Linux defaults: {err!r} after {after / 3600:.2f} h of virtual time ({wall * 1000:.0f} ms of wall time)")
    ctx.check(isinstance(err, TimeoutError) and abs(after - (7200 + 9 * 75)) < 5, "2 h idle + 9 x 75 s probes")
    ctx.check(wall < 1.0, "two hours of keepalive cost under a second of wall time")
