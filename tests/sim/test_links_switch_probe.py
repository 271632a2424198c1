"""Links (delay, bandwidth, queue, impairments, MTU), the learning switch and probes."""

import pytest

from stack import Network
from stack.addr import mac
from stack.wire import ethernet

A = mac("02:aa:00:00:00:01")
B = mac("02:bb:00:00:00:02")
C = mac("02:cc:00:00:00:03")


def frame(dst, src, n=100, tag=0):
    return ethernet.build(dst, src, 0x88B5, tag.to_bytes(4, "big") + bytes(n - 4))


def pair(**link):
    net = Network(seed=7)
    p = net.add_probe("p")
    q = net.add_probe("q")
    ln = net.add_link(p, q, **link)
    return net, p, q, ln


def test_delay_and_serialization():
    net, p, q, _ = pair(delay=0.010, bandwidth=8_000_000)  # 1 byte per µs
    p.send(frame(B, A, 986))  # 1000-byte frame: 1 ms on the wire
    p.send(frame(B, A, 986))
    net.run(until=1.0)
    assert [t for t, _ in q.frames] == [pytest.approx(0.011), pytest.approx(0.012)]


def test_bounded_queue_tail_drops():
    net, p, q, ln = pair(bandwidth=1_000_000, queue=5)
    for i in range(20):
        p.send(frame(B, A, 500, i))
    net.run(until=10.0)
    assert len(q.frames) == 5 + 1 or len(q.frames) == 5  # one on the wire, five waiting
    assert ln.stats["drop.queue"] == 20 - len(q.frames)
    tags = [int.from_bytes(f[14:18], "big") for _, f in q.frames]
    assert tags == list(range(len(tags)))  # tail drop keeps the head in order


def test_mtu_drops_oversized_frames():
    net, p, q, ln = pair(mtu=576)
    p.send(frame(B, A, 576))
    p.send(frame(B, A, 577))
    net.run(until=1.0)
    assert len(q.frames) == 1 and ln.stats["drop.mtu"] == 1


@pytest.mark.parametrize("what", ["loss", "duplicate", "reorder", "corrupt"])
def test_impairments_hit_about_the_configured_fraction(what):
    net, p, q, ln = pair(delay=0.001, **{what: 0.2})
    n = 2000
    for i in range(n):
        p.send(frame(B, A, 64, i))
        net.run(until=net.now + 0.0001)
    net.run(until=net.now + 1.0)
    key = {"loss": "drop.loss", "duplicate": "duplicated", "reorder": "reordered", "corrupt": "corrupted"}[what]
    assert 0.15 * n < ln.stats[key] < 0.25 * n
    tags = [int.from_bytes(f[14:18], "big") for _, f in q.frames]
    if what == "loss":
        assert len(q.frames) == n - ln.stats["drop.loss"]
    if what == "duplicate":
        assert len(q.frames) == n + ln.stats["duplicated"]
    if what == "reorder":
        assert tags != sorted(tags) and sorted(tags) == list(range(n))
    if what == "corrupt":  # no loss or reordering here: frame i is the i-th sent
        assert len(q.frames) == n
        flips = []
        for i, (_, f) in enumerate(q.frames):
            diff = int.from_bytes(f, "big") ^ int.from_bytes(frame(B, A, 64, i), "big")
            if diff:
                flips.append(bin(diff).count("1"))
        assert len(flips) == ln.stats["corrupted"] and set(flips) == {1}  # one bit per corrupted frame


def test_impairments_are_deterministic_per_seed():
    def trial(seed):
        net = Network(seed=seed)
        p, q = net.add_probe("p"), net.add_probe("q")
        net.add_link(p, q, delay=0.001, loss=0.1, duplicate=0.1, reorder=0.1, corrupt=0.1)
        for i in range(300):
            p.send(frame(B, A, 80, i))
            net.run(until=net.now + 0.0002)
        net.run(until=net.now + 1)
        return q.frames

    assert trial(1) == trial(1)
    assert trial(1) != trial(2)


def test_link_rejects_nonsense_parameters():
    net = Network()
    a, b = net.add_probe("a"), net.add_probe("b")
    for bad in (dict(loss=1.5), dict(delay=-1), dict(bandwidth=0), dict(mtu=10)):
        with pytest.raises(ValueError):
            net.add_link(a, b, **bad)


def test_switch_learns_forwards_floods_and_ages():
    net = Network(seed=1)
    sw = net.add_switch("s1", aging=10.0)
    pa, pb, pc = (net.add_probe(n) for n in "abc")
    for p in (pa, pb, pc):
        net.add_link(p, sw)
    pa.send(frame(B, A))  # unknown destination: flooded to b and c
    net.run(until=0.1)
    assert len(pb.frames) == 1 and len(pc.frames) == 1
    pb.send(frame(A, B))  # a is known now: only a receives
    net.run(until=0.2)
    assert len(pa.frames) == 1 and len(pc.frames) == 1
    assert {m for m, _, _ in sw.mac_table()} == {"02:aa:00:00:00:01", "02:bb:00:00:00:02"}
    pc.send(frame(b"\xff" * 6, C))  # broadcast floods
    net.run(until=0.3)
    assert len(pa.frames) == 2 and len(pb.frames) == 2
    net.run(until=20.0)  # a's entry ages out: frames to a are flooded again
    pb.send(frame(A, B))
    net.run(until=20.1)
    assert len(pc.frames) == 2 and len(pa.frames) == 3
    assert any(e.event == "age_out" for e in net.tracer.select(host="s1"))


def test_switch_moves_a_mac_that_changes_port():
    net = Network(seed=1)
    sw = net.add_switch("s1")
    pa, pb = net.add_probe("a"), net.add_probe("b")
    net.add_link(pa, sw)
    net.add_link(pb, sw)
    pa.send(frame(B, A))
    net.run(until=0.1)
    pb.send(frame(C, A))  # A now appears on b's port
    net.run(until=0.2)
    assert dict((m, port) for m, port, _ in sw.mac_table())["02:aa:00:00:00:01"] == 1


def test_probe_accepts_scapy_packets():
    scapy = pytest.importorskip("scapy.all")
    net, p, q, _ = pair()
    p.send(scapy.Ether(dst="02:bb:00:00:00:02", src="02:aa:00:00:00:01") / scapy.IP(dst="192.0.2.9") / scapy.UDP())
    net.run(until=0.1)
    assert scapy.Ether(q.frames[0][1])[scapy.UDP].dport == 53


def test_flooded_multicast_meets_each_receivers_nic_filter():
    """A multicast frame flooded to many hosts is refused by the NIC filter of those that
    did not join (counted, as Host.receive counts it) and taken by those that did or hear
    all multicast; the switch's flood and the links count it on every port."""
    from stack import Network

    net = Network(seed=1)
    sw = net.add_switch("s1")
    hosts = [net.add_host(f"h{i}", ip=f"192.0.2.{i + 1}/24") for i in range(3)]
    for h in hosts:
        net.add_link(h, sw)
    p = net.add_probe("p")
    link = net.add_link(p, sw)
    net.run(until=1.0)
    hosts[1].interfaces[1].allmulti = True
    hosts[2].join_group(hosts[2].interfaces[1], bytes([239, 1, 2, 3]))
    net.run(until=net.now + 5.0)  # the join's own reports, flooded, are over
    before = [h.stats["eth.rx.filtered"] for h in hosts]
    frames_before = [l.stats["frames"] for l in net.links]
    frame = bytes.fromhex("01005e010203") + bytes.fromhex("029900000099") + b"\x08\x00" + bytes(46)
    p.send(frame)
    net.run(until=net.now + 0.01)
    after = [h.stats["eth.rx.filtered"] for h in hosts]
    assert [a - b for a, b in zip(after, before)] == [1, 0, 0]
    assert [l.stats["frames"] - f for l, f in zip(net.links, frames_before)] == [1, 1, 1, 1]
    assert link.stats["frames"] >= 1


def test_a_receive_spy_sees_flooded_multicast_before_the_nic_filter():
    """Scenarios check what reaches a host by wrapping its receive(): the link's early NIC
    filter must leave such a host every frame."""
    from stack import Network

    net = Network(seed=1)
    sw = net.add_switch("s1")
    hosts = [net.add_host(f"h{i}", ip=f"192.0.2.{i + 1}/24") for i in range(2)]
    for h in hosts:
        net.add_link(h, sw)
    p = net.add_probe("p")
    net.add_link(p, sw)
    net.run(until=1.0)
    seen = []
    orig = hosts[0].receive

    def spy(port, frame, now):
        seen.append(bytes(frame[:6]))
        return orig(port, frame, now)

    hosts[0].receive = spy
    before = [h.stats["eth.rx.filtered"] for h in hosts]
    p.send(bytes.fromhex("01005e010203029900000099") + b"\x08\x00" + bytes(46))
    net.run(until=net.now + 0.01)
    assert seen == [bytes.fromhex("01005e010203")]
    assert [h.stats["eth.rx.filtered"] - b for h, b in zip(hosts, before)] == [1, 1]


def _switched_exchange(capture_dir=None):
    """Three hosts on a switch: TCP both ways and UDP, then what every element counted and
    when the data arrived.  With `capture_dir` every link is captured, which makes the
    switch decide each frame on arrival (the ordinary road); without, known unicast is
    decided when it enters the link toward the switch (Switch.decide_ahead)."""
    import hashlib

    from stack import Network

    net = Network(seed=11)
    s1 = net.add_switch("s1")
    hosts = [net.add_host(f"h{i}", ip=f"192.0.2.{i}/24") for i in (1, 2, 3)]
    links = [net.add_link(h, s1, delay=0.0003 * (i + 1)) for i, h in enumerate(hosts)]
    if capture_dir is not None:
        net.capture(str(capture_dir / "all.pcapng"))
    got = {}

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 80))
        ls.listen()
        for _ in range(2):
            c, peer = ls.accept()
            data = b""
            while len(data) < 200_000:
                data += c.recv(65536)
            got[peer[0]] = (hashlib.sha256(data).hexdigest(), net.now)
            c.sendall(data[:1000])
            c.close()

    def client(socket, n):
        s = socket.socket()
        s.connect(("192.0.2.2", 80))
        s.sendall(bytes([n]) * 200_000)
        back = b""
        while len(back) < 1000:
            back += s.recv(4096)
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"x" * n, ("192.0.2.2", 9))
        return net.now

    hosts[1].spawn(server)
    t1 = hosts[0].spawn(client, 1)
    t3 = hosts[2].spawn(client, 3)
    net.run(until=5)
    return (got, t1.result, t3.result, dict(s1.stats), [dict(link.stats) for link in links],
            [dict(h.stats) for h in hosts], {m: e[0] for m, e in s1.table.items()})


def test_deciding_ahead_changes_nothing_anyone_sees(tmp_path):
    """The switch's shortcut is an implementation detail: the same run with every link
    captured (no shortcut) gives the same data at the same virtual times and the same
    counters on hosts, links and the switch, and the same learnt table."""
    fast = _switched_exchange()
    slow = _switched_exchange(tmp_path)
    assert fast == slow
    assert fast[3]["forwarded"] > 300  # the traffic did cross the switch


def test_a_mac_seen_on_a_second_port_turns_deciding_ahead_off():
    from stack import Network

    net = Network(seed=2)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    l1 = net.add_link(h1, s1, delay=0.001)
    l2 = net.add_link(h2, s1, delay=0.001)
    p = net.add_probe("p")
    net.add_link(p, s1, delay=0.001)

    def talk(socket):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"hello", ("192.0.2.2", 9))  # ARP both ways: both MACs learnt

    h1.spawn(talk)
    net.run(until=0.5)
    mac1, mac2 = bytes(h1.interfaces[1].mac), bytes(h2.interfaces[1].mac)
    frame = mac2 + mac1 + b"\x08\x00" + bytes(46)
    port1 = l1.ab.dst_port
    assert s1.decide_ahead(port1, frame, net.events.now + 1000) is l2.ba  # decided ahead: out toward h2
    p.send(frame)  # h1's MAC now seen on the probe's port: a move
    net.run(until=1.0)
    assert s1._moved
    assert s1.decide_ahead(port1, frame, net.events.now + 1000) is None  # every frame decided on arrival now
