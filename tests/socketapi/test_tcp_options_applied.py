"""TCP options that change what the connection does, not only what getsockopt reports:
TCP_SYNCNT (SYN and SYN-ACK retries) and TCP_LINGER2 (an orphaned FIN-WAIT-2's life)."""

import errno

from stack import Network


def pair(**link):
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.001, **link)
    l2 = net.add_link(h2, s1, delay=0.001, **link)
    return net, h1, h2, l2


def test_tcp_syncnt_bounds_the_syn_retries():
    """connect() toward a host that never answers: 1 s, 2 s, 4 s... as RFC 6298 backs off,
    and TCP_SYNCNT=2 gives up after the second retry's timeout (1+2+4 = 7 s), not the
    default six (127 s)."""
    net, h1, h2, l2 = pair()

    def client(socket):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"resolve h2 first", ("192.0.2.2", 9))
        net.runtime.pause(0.1)
        u.close()
        l2.impair(loss=1.0)  # now h2 is gone (its neighbor entry stays for a while)
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 2)
        t0 = net.now
        try:
            s.connect(("192.0.2.2", 80))
        except OSError as e:
            return e.errno, net.now - t0

    t = h1.spawn(client)
    net.run()
    code, took = t.result
    assert code == errno.ETIMEDOUT
    assert 7 <= took < 8  # (seconds of virtual time)
    assert l2.stats["drop.loss"] >= 1  # (the SYNs did leave)
    frames = [e for e in net.tracer.select(host="h1", layer="tcp", event="retransmit")]
    assert len(frames) == 2  # the SYN twice more, then ETIMEDOUT


def test_tcp_linger2_sets_an_orphans_fin_wait_2_and_negative_resets():
    net, h1, h2, _ = pair()
    states = {}

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 80))
        ls.listen()
        kept = []
        for _ in range(2):
            c, _ = ls.accept()
            kept.append(c)  # never closed: the clients' FIN-WAIT-2 lasts
        net.runtime.pause(100)

    def client(socket, linger2):
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2, linger2)
        s.connect(("192.0.2.2", 80))
        states[linger2] = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2)
        s.close()  # orphaned: FIN-WAIT-1, then FIN-WAIT-2 once the FIN is acknowledged

    h2.spawn(server)
    h1.spawn(client, 5)
    h1.spawn(client, -1)
    net.run(until=2)
    assert states == {5: 5, -1: -1}
    rows = [r for r in h1.tcp.table() if r[0] != "LISTEN"]
    assert [r[0] for r in rows] == ["FIN-WAIT-2"]  # the TCP_LINGER2=5 one; the -1 one is gone
    assert h1.stats["tcp.fin_wait_2.linger2_done"] == 1
    net.run(until=6.5)
    assert [r for r in h1.tcp.table() if r[0] != "LISTEN"] == []  # 5 s later it is gone too
    timeouts = net.tracer.select(host="h1", layer="tcp", event="state")
    assert any(e.fields["cause"] == "FIN-WAIT-2 timeout (tcp_fin_timeout)" for e in timeouts)
