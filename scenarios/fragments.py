"""fragments: a 4,000-byte UDP datagram crosses a 576-byte-MTU link and is reassembled.

h1 - r1 - h2, where the r1-h2 link has an MTU of 576.  h1's own link takes 1500-byte
packets, so h1 fragments the datagram into three (RFC 791 §3.2: 1480 payload bytes
each, offsets in 8-byte units, More Fragments on all but the last).  These fragments do
not carry DF (the datagram did not fit the path as h1 knew it), so r1 may fragment them
again for the small link: each 1480-byte piece becomes three of at most 552.  h2 holds
the pieces until every hole is filled, then delivers one datagram, and echoes it back
(the reply is fragmented by h2 for its small link).
"""

NAME = "fragments"
SIZE = 4000


def echo_once(socket):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("", 7))
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def send_big(socket, name):
    payload = bytes(i % 251 for i in range(SIZE))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2.0)
        s.sendto(payload, (name, 7))
        data, _ = s.recvfrom(65535)
    return payload, data


def run(ctx) -> None:
    net = ctx.network()
    h1 = net.add_host("h1", ip="192.0.2.1/24", gateway="192.0.2.254")
    r1 = net.add_router("r1", ip=["192.0.2.254/24", "198.51.100.254/24"])
    h2 = net.add_host("h2", ip="198.51.100.1/24", gateway="198.51.100.254")
    net.add_link(h1, r1, delay=0.001)
    net.add_link(r1, h2, delay=0.001, mtu=576)
    ctx.start_capture()
    h2.spawn(echo_once)
    task = h1.spawn(send_big, "h2")
    net.run()
    sent, back = task.result
    ctx.say(f"  h1 fragmented {h1.stats['ip.tx.fragmented']} datagram; r1 re-fragmented "
            f"{r1.stats['ip.fwd.fragmented']} fragments; h2 reassembled {h2.stats['ip.reasm.ok']}")
    ctx.check(back == sent, f"the {SIZE}-byte datagram came back byte-identical")
    ctx.check(h1.stats["ip.tx.fragmented"] == 1, "h1 fragmented its datagram for its 1500-byte link")
    ctx.check(r1.stats["ip.fwd.fragmented"] == 3, "r1 fragmented each of the three fragments again")
    ctx.check(h2.stats["ip.reasm.ok"] == 1 and h1.stats["ip.reasm.ok"] == 1, "both ends reassembled once")
