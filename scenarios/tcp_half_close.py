"""half-close: one direction ends while the other carries on (RFC 9293 §3.6).

The client sends a request and shutdown(SHUT_WR): its FIN tells the server "no more data"
(the server's recv() returns b''), yet the server may still answer, and the client still
reads.  The server acknowledges the FIN through its delayed-ACK timer (40 ms, as Linux),
the client then sits in FIN-WAIT-2 and the server in CLOSE-WAIT while the server thinks
(0.2 s here), answers and closes.
"""

from scenarios.tcp_basics import lan, narrate_states, states

NAME = "half-close"


def run(ctx) -> None:
    net, h1, h2 = lan(ctx)
    ctx.start_capture()

    def server(socket):
        with socket.socket() as ls:
            ls.bind(("", 9))
            ls.listen()
            c, _ = ls.accept()
            got = b""
            while True:
                d = c.recv(100)
                if not d:
                    break
                got += d
            h2.sleep(0.2)  # think: the connection stays half-closed meanwhile
            c.sendall(b"you said: " + got)  # still allowed after the client's FIN
            c.close()
            return got

    def client(socket):
        s = socket.socket()
        s.connect(("192.0.2.2", 9))
        s.sendall(b"count the bytes")
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while True:
            d = s.recv(100)
            if not d:
                break
            reply += d
        s.close()
        return reply

    srv = h2.spawn(server)
    cli = h1.spawn(client)
    net.run()
    narrate_states(ctx, net, "h1", "h2")
    ctx.check(srv.result == b"count the bytes", "the server read the request, then end-of-stream")
    ctx.check(cli.result == b"you said: count the bytes", "the client still received the answer")
    ctx.check("FIN_WAIT_2" in states(net, "h1") and "CLOSE_WAIT" in states(net, "h2"),
              "client FIN-WAIT-2 and server CLOSE-WAIT while half-closed")
    entered = {(e.host, e.fields["new"]): e.time for e in net.tracer.select(layer="tcp", event="state")}
    ctx.check(entered[("h2", "CLOSE_WAIT")] + 40_000 <= entered[("h1", "FIN_WAIT_2")] < entered[("h1", "TIME_WAIT")]
              - 100_000, "the FIN's ACK came after the delayed-ACK time; FIN-WAIT-2 lasted while the server thought")
