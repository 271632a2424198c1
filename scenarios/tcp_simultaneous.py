"""simultaneous-open and simultaneous-close (RFC 9293 §3.5, Figure 8; §3.6, Figure 13).

Simultaneous open: both hosts bind a known port and connect() to each other at the same
instant.  Each SYN crosses the other; each side goes SYN-SENT -> SYN-RECEIVED ->
ESTABLISHED, and one connection results.  Simultaneous close: both call close() at the
same instant; each FIN crosses the other; both pass through CLOSING to TIME-WAIT.
"""

from scenarios.tcp_basics import lan, narrate_states, states

NAME = "simultaneous-open"
CLOSE_NAME = "simultaneous-close"


def _peer(socket, me, port, other, close_together):
    s = socket.socket()
    s.bind((me, port))
    s.connect((other, port))
    s.sendall(b"hello from " + me.encode())
    data = s.recv(100)
    if close_together:
        s.close()
    else:
        s.shutdown(socket.SHUT_WR)
        s.recv(10)
        s.close()
    return data


def _run(ctx, close_together: bool):
    net, h1, h2 = lan(ctx, delay=0.005)
    ctx.start_capture()
    a = h1.spawn(_peer, "192.0.2.1", 4000, "192.0.2.2", close_together)
    b = h2.spawn(_peer, "192.0.2.2", 4000, "192.0.2.1", close_together)
    net.run()
    net.run(until=net.now + 1.0)  # close() returns at once; let the FINs cross
    narrate_states(ctx, net, "h1", "h2")
    return net, a, b


def run(ctx) -> None:
    net, a, b = _run(ctx, close_together=False)
    ctx.check(a.result == b"hello from 192.0.2.2" and b.result == b"hello from 192.0.2.1",
              "one connection, data both ways")
    for h in ("h1", "h2"):
        ctx.check(states(net, h)[:3] == ["SYN_SENT", "SYN_RECEIVED", "ESTABLISHED"],
                  f"{h}: SYN-SENT -> SYN-RECEIVED -> ESTABLISHED")


def run_close(ctx) -> None:
    net, a, b = _run(ctx, close_together=True)
    for h in ("h1", "h2"):
        st = states(net, h)
        ctx.check("CLOSING" in st and "TIME_WAIT" in st, f"{h}: FIN-WAIT-1 -> CLOSING -> TIME-WAIT")
