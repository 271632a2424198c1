"""udp-echo: a UDP echo server (RFC 862) and a client, across a switch.

The server binds port 7 and echoes every datagram back to its sender; the client sends
five messages and checks each reply.  A last datagram goes to a port nobody listens on:
the server's host answers with ICMP port unreachable, which a *connected* UDP socket
reports as ConnectionRefusedError, as on Linux.
"""

NAME = "udp-echo"


def server(socket):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("", 7))
        for _ in range(5):
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)


def client(socket, name):
    replies = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        for i in range(5):
            msg = f"message {i}".encode()
            s.sendto(msg, (name, 7))
            data, peer = s.recvfrom(2048)
            replies.append((msg, data, peer))
    refused = None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        s.connect((name, 9999))
        s.send(b"anyone there?")
        try:
            s.recv(100)
        except ConnectionRefusedError as e:
            refused = e
    return replies, refused


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.0005)
    net.add_link(h2, s1, delay=0.0005)
    ctx.start_capture()
    h2.spawn(server)
    task = h1.spawn(client, "h2")
    net.run()
    replies, refused = task.result
    for msg, data, peer in replies:
        ctx.say(f"  sent {msg!r}, got {data!r} from {peer}")
    ctx.check(all(m == d for m, d, _ in replies) and len(replies) == 5, "five datagrams echoed unchanged")
    ctx.check(all(p == ("192.0.2.2", 7) for _, _, p in replies), "replies came from 192.0.2.2 port 7")
    ctx.say(f"  to a closed port: {refused!r}")
    ctx.check(refused is not None and refused.errno == 111, "a closed port is refused (ICMP port unreachable)")
    ctx.check(h2.stats["icmp.tx.type3"] == 1, "h2 sent one ICMP destination unreachable")
