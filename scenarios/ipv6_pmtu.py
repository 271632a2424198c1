"""pmtu6: a small-MTU link in the path; Packet Too Big, then TCP adapts (RFC 8201).

h1 - r1 =(MTU 1280)= r2 - h2.  h1 sends 200 kB to h2 over TCP.  The handshake agrees an
MSS of 1440 (both ends have 1500-byte links), so the first full segments are 1500-byte
packets; r1 cannot forward them onto the 1280-byte link and, since IPv6 routers never
fragment, drops them and sends ICMPv6 Packet Too Big with MTU 1280.  h1 lowers its path
MTU to h2 and the connection's segment size to 1208 (1280 less 40 bytes of IPv6 header,
20 of TCP header and 12 of the timestamp option), retransmits, and the data arrives intact.
"""

import hashlib

NAME = "pmtu6"


def run(ctx) -> None:
    net = ctx.network()
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r1 = net.add_router("r1", ip6=["2001:db8:1::1/64", "2001:db8:ff::1/64"])
    r2 = net.add_router("r2", ip6=["2001:db8:ff::2/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r1, delay=0.001)
    net.add_link(r1, r2, delay=0.005, mtu=1280)
    net.add_link(r2, h2, delay=0.001)
    r1.add_route("2001:db8:2::/64", "2001:db8:ff::2")
    r2.add_route("2001:db8:1::/64", "2001:db8:ff::1")
    ctx.start_capture()
    events = []
    net.trace(lambda ev: events.append(ev) if ev[3] in ("pmtu", "error_sent") else None)
    payload = bytes(range(256)) * 800

    def server(socket):
        with socket.create_server(("::", 8080), family=socket.AF_INET6) as ls:
            conn, _ = ls.accept()
            got = bytearray()
            while chunk := conn.recv(65536):
                got += chunk
            conn.close()
            return bytes(got)

    def client(socket):
        h1.sleep(0.5)
        with socket.create_connection(("2001:db8:2::20", 8080)) as s:
            s.sendall(payload)

    srv = h2.spawn(server)
    h1.spawn(client)
    net.run()
    for ev in events:
        ctx.say(f"  {ev}")
    dst = bytes.fromhex("20010db8000200000000000000000020")
    ctx.check(r1.stats["ip6.fwd.packet_too_big"] >= 1 and r1.stats["icmp6.tx.type2"] >= 1,
              "r1 dropped the too-big packets and sent Packet Too Big")
    ctx.check(h1.path_mtu(dst) == 1280, "h1's path MTU to h2 is now 1280")
    ctx.check(any(e[3] == "pmtu" and e[2] == "tcp" and e[4].get("mss") == 1280 - 40 - 20 - 12 for e in events),
              "the connection's segments went down to 1208 bytes (1280 - 40 - 20 - 12)")
    ctx.check(hashlib.sha256(srv.result).hexdigest() == hashlib.sha256(payload).hexdigest(),
              f"all {len(payload)} bytes arrived intact")
    ctx.check(r1.stats["ip6.fwd.fragmented"] == 0, "no router fragmented anything")
