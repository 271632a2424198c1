"""time-wait: the side that closes first waits 2*MSL in TIME_WAIT (RFC 9293 §3.6.1).

The server closes first, so its end of the connection sits in TIME_WAIT for 60 s (MSL 30 s,
as on Linux).  Restarting the server on the same port now fails with EADDRINUSE (errno
98), exactly as the CPython documentation's example describes.  Linux lets a new socket bind
over a TIME_WAIT entry only when both the old socket and the new one set SO_REUSEADDR, which
is why that example sets it before every bind; this server does too, so a restart that sets
it succeeds at once.  After 60 s of virtual time the entry expires and a plain bind works.
"""

from scenarios.tcp_basics import lan, narrate_states

NAME = "time-wait"


def run(ctx) -> None:
    net, h1, h2 = lan(ctx)
    ctx.start_capture()
    out = {}

    def server(socket):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the CPython docs' example
        ls.bind(("", 8080))
        ls.listen()
        c, _ = ls.accept()
        c.sendall(b"bye")
        c.close()  # the server closes first
        ls.close()
        h2.sleep(1.0)
        try:
            again = socket.socket()
            again.bind(("", 8080))
            out["plain"] = "bound"
        except OSError as e:
            out["plain"] = e.errno
            again.close()
        r = socket.socket()
        r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        r.bind(("", 8080))
        r.listen()
        out["reuse"] = "bound"
        r.close()
        out["tw_at_1s"] = h2.tcp.ss().count("TIME-WAIT")
        h2.sleep(60.0)
        out["tw_at_61s"] = h2.tcp.ss().count("TIME-WAIT")
        late = socket.socket()
        late.bind(("", 8080))
        out["late"] = "bound"
        late.close()

    def client(socket):
        s = socket.socket()
        s.connect(("192.0.2.2", 8080))
        s.recv(10)
        s.close()

    h2.spawn(server)
    h1.spawn(client)
    net.run()
    narrate_states(ctx, net, "h2")
    ctx.say(f"  restart without SO_REUSEADDR: {out['plain']}; with it: {out['reuse']}")
    ctx.check(out["plain"] == 98, "bind() fails with EADDRINUSE while the port has a TIME_WAIT entry")
    ctx.check(out["reuse"] == "bound", "SO_REUSEADDR (set by the old and the new server) lets it restart at once")
    ctx.check(out["tw_at_1s"] == 1 and out["tw_at_61s"] == 0, "the TIME_WAIT entry lasts 2*MSL = 60 s")
    ctx.check(out["late"] == "bound", "after it expires, a plain bind works")
