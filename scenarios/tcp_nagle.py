"""nagle: many small writes with and without TCP_NODELAY (RFC 896, RFC 1122 §4.2.3.4).

With Nagle's algorithm on (the default) a sender holds back a small segment while earlier
data is unacknowledged, so 100 writes of 10 bytes leave in a handful of segments.  With
TCP_NODELAY each write leaves at once: about one segment per write.  Same bytes, very
different packet counts.
"""

from scenarios.tcp_basics import lan
from stack.tcp import info as tcp_info

NAME = "nagle"


def trial(ctx, nodelay: bool):
    net, h1, h2 = lan(ctx, delay=0.002)
    ctx.start_capture()  # each trial rewrites the pcap: it holds the last one

    def server(socket):
        with socket.socket() as ls:
            ls.bind(("", 7))
            ls.listen()
            c, _ = ls.accept()
            got = b""
            while len(got) < 1000:
                got += c.recv(4096)
            return got

    def client(socket):
        s = socket.socket()
        if nodelay:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(("192.0.2.2", 7))
        for i in range(100):
            s.send(b"%09d\n" % i)
        h1.sleep(0.5)
        info = tcp_info.unpack(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 144))
        s.close()
        return info["segs_out"] - 2  # less the SYN and the handshake's ACK: the data segments

    srv = h2.spawn(server)
    cli = h1.spawn(client)
    net.run()
    return srv.result, cli.result, h1.stats["tcp.tx.nagle_delay"]


def run(ctx) -> None:
    data_on, seg_on, held = trial(ctx, nodelay=False)
    data_off, seg_off, _ = trial(ctx, nodelay=True)
    expected = b"".join(b"%09d\n" % i for i in range(100))
    ctx.say(f"  Nagle on: {seg_on} data segments ({held} writes held back); TCP_NODELAY: {seg_off} data segments")
    ctx.check(data_on == expected and data_off == expected, "the same 1,000 bytes arrive either way")
    ctx.check(seg_off >= 90, "TCP_NODELAY: about one segment per write")
    ctx.check(seg_on <= seg_off // 4, "Nagle coalesces the small writes into a few segments")
