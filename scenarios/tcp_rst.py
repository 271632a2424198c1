"""rst-closed-port: a SYN to a port nobody listens on draws a RST (RFC 9293 §3.10.7.1).

The segment arrives in the CLOSED state; the host answers <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
<CTL=RST,ACK> and the client's connect() raises ConnectionRefusedError (errno 111).
"""

from scenarios.tcp_basics import lan

NAME = "rst-closed-port"


def run(ctx) -> None:
    net, h1, h2 = lan(ctx)
    ctx.start_capture()

    def client(socket):
        s = socket.socket()
        try:
            s.connect(("192.0.2.2", 81))
        except ConnectionRefusedError as e:
            return e
        return None

    t = h1.spawn(client)
    net.run()
    ctx.say(f"  connect() raised {t.result!r} after {net.now * 1000:.1f} ms")
    ctx.check(t.result is not None and t.result.errno == 111, "connect() raised ConnectionRefusedError")
    ctx.check(h2.stats["tcp.tx.rst"] >= 1, "h2 answered the SYN with a RST")
