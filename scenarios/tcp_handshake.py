"""tcp-handshake: the three-way handshake (RFC 9293 §3.5) and the options it negotiates.

The client sends SYN carrying MSS, SACK-permitted, timestamps and window scale (RFC 7323,
RFC 2018) in Linux's order; the server answers SYN-ACK with its own; the client's ACK
completes it.  The client goes CLOSED -> SYN-SENT -> ESTABLISHED; the server's child goes
LISTEN -> SYN-RECEIVED -> ESTABLISHED.  TCP_INFO then shows what was agreed.
"""

from scenarios.tcp_basics import lan, narrate_states, states
from stack.tcp import info as tcp_info

NAME = "tcp-handshake"


def run(ctx) -> None:
    net, h1, h2 = lan(ctx)
    ctx.start_capture()

    def server(socket):
        with socket.socket() as ls:
            ls.bind(("", 80))
            ls.listen()
            c, peer = ls.accept()
            c.recv(10)
            return peer

    def client(socket):
        s = socket.socket()
        s.connect(("192.0.2.2", 80))
        info = tcp_info.unpack(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 144))
        s.send(b"hi")
        s.close()
        return info

    srv = h2.spawn(server)
    cli = h1.spawn(client)
    net.run()
    narrate_states(ctx, net, "h1", "h2")
    info = cli.result
    ctx.say(f"  agreed: snd_mss {info['snd_mss']}, options bits {info['options']:#x} (1 TS, 2 SACK, 4 WSCALE), "
            f"rtt {info['rtt']} µs")
    ctx.check(states(net, "h1")[:2] == ["SYN_SENT", "ESTABLISHED"], "client: SYN-SENT then ESTABLISHED")
    ctx.check(states(net, "h2")[:2] == ["SYN_RECEIVED", "ESTABLISHED"], "server: SYN-RECEIVED then ESTABLISHED")
    ctx.check(info["options"] & 7 == 7, "timestamps, SACK and window scaling negotiated")
    ctx.check(info["snd_mss"] in (1448, 1460), "MSS from the 1500-byte MTU (1460, less 12 for timestamps)")
    ctx.check(srv.result[0] == "192.0.2.1", "the server saw the client's address")
