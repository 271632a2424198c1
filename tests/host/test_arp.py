"""ARP and the neighbor cache: resolution, retries, queue bound, state timers, updates, conflicts."""

from scapy.all import ARP, Ether

from stack import Network
from stack.addr import ip, mac
from stack.wire import arp as arp_wire
from stack.wire import ethernet
from tests.helpers import lan, udp_frame

PMAC = mac("02:99:00:00:00:99")


def host_and_probe(**cfg):
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24")
    p = net.add_probe("p")
    net.add_link(h, s1, delay=0.001)
    net.add_link(p, s1, delay=0.001)
    return net, h, p


def arps(p):
    out = []
    for t, f in p.frames:
        e = Ether(f)
        if ARP in e:
            out.append((t, e[ARP].op, e[ARP].psrc, e[ARP].pdst, e.dst))
    return out


def test_bring_up_sends_two_rfc5227_announcements_two_seconds_apart():
    net, h, p = host_and_probe()
    net.run(until=5)
    ann = [a for a in arps(p) if a[2] == a[3] == "192.0.2.1"]
    assert [round(a[0], 3) for a in ann] == [0.002, 2.002]
    assert all(a[1] == 1 and a[4] == "ff:ff:ff:ff:ff:ff" for a in ann)


def test_unanswered_resolution_retries_three_times_then_reports_host_unreachable():
    net, h, p = host_and_probe()
    net.run(until=5)
    p.clear()
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    s.connect(("192.0.2.77", 9))
    for _ in range(3):
        s.send(b"queued")
    net.run(until=10)
    reqs = [a for a in arps(p) if a[3] == "192.0.2.77"]
    assert [round(a[0] - reqs[0][0], 3) for a in reqs] == [0, 1, 2]
    assert h.stats["arp.failed"] == 1 and h.stats["arp.drop.unresolved"] == 3
    try:
        s.recv(1)
        raise AssertionError("expected EHOSTUNREACH")
    except OSError as e:
        assert e.errno == 113  # EHOSTUNREACH, as Linux reports to a connected socket
    assert any(e.event == "neigh_failed" for e in net.tracer.select(host="h", layer="arp"))


def test_reply_releases_queued_packets_in_order():
    net, h, p = host_and_probe()
    net.run(until=3)
    p.clear()
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    for i in range(5):
        s.sendto(b"%d" % i, ("192.0.2.50", 9))
    net.run(until=3.01)
    req = Ether(p.frames[-1][1])
    assert req[ARP].pdst == "192.0.2.50"
    p.send(Ether(dst=req.src, src="02:99:00:00:00:99") / ARP(op=2, hwsrc="02:99:00:00:00:99", psrc="192.0.2.50",
                                                               hwdst=req.src, pdst="192.0.2.1"))
    net.run(until=3.1)
    payloads = [bytes(Ether(f).load) for _, f in p.frames if Ether(f).type == 0x0800]
    assert payloads == [b"0", b"1", b"2", b"3", b"4"]
    assert ("eth0", "192.0.2.50", "02:99:00:00:00:99", "REACHABLE") in h.neighbors()


def test_resolution_queue_is_bounded():
    net, h, p = host_and_probe()
    h.config.neighbor.queue_max_packets = 4
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    for i in range(10):
        s.sendto(b"x", ("192.0.2.60", 9))
    assert h.stats["arp.drop.queue_full"] == 6


def test_reachable_goes_stale_then_delay_probe_and_reachable_again():
    net, (h1, h2), _ = lan()
    s = h1.socket.socket(h1.socket.AF_INET, h1.socket.SOCK_DGRAM)
    s.sendto(b"a", ("192.0.2.2", 9))
    net.run(until=1)
    assert h1.neighbors()[0][3] == "REACHABLE"
    net.run(until=50)  # past the randomized reachable time (15-45 s)
    assert h1.neighbors()[0][3] == "STALE"
    s.sendto(b"b", ("192.0.2.2", 9))  # using a stale entry starts confirmation
    assert h1.neighbors()[0][3] == "DELAY"
    net.run(until=56)  # 5 s without confirmation: unicast probe, answered
    states = [(e.fields["frm"], e.fields["to"]) for e in net.tracer.select(host="h1", event="neigh_state")]
    assert ("DELAY", "PROBE") in states and ("PROBE", "REACHABLE") in states
    assert h1.neighbors()[0][3] == "REACHABLE"


def test_gratuitous_arp_updates_an_existing_entry_but_creates_none():
    net, h, p = host_and_probe()
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    s.sendto(b"x", ("192.0.2.9", 9))
    net.run(until=0.01)
    reply = arp_wire.build(arp_wire.REPLY, PMAC, ip("192.0.2.9"), mac("02:00:00:00:00:01"), ip("192.0.2.1"))
    p.send(ethernet.build(mac("02:00:00:00:00:01"), PMAC, ethernet.ETH_P_ARP, reply))
    net.run(until=0.1)
    new = mac("02:77:00:00:00:77")
    garp = arp_wire.build(arp_wire.REQUEST, new, ip("192.0.2.9"), bytes(6), ip("192.0.2.9"))
    p.send(ethernet.build(b"\xff" * 6, new, ethernet.ETH_P_ARP, garp))
    other = arp_wire.build(arp_wire.REQUEST, new, ip("192.0.2.10"), bytes(6), ip("192.0.2.10"))
    p.send(ethernet.build(b"\xff" * 6, new, ethernet.ETH_P_ARP, other))
    net.run(until=0.2)
    table = {r[1]: r[2] for r in h.neighbors()}
    assert table == {"192.0.2.9": "02:77:00:00:00:77"}
    assert h.stats["arp.updated"] == 1


def test_conflicting_claim_to_our_address_is_counted_and_traced():
    net, h, p = host_and_probe()
    claim = arp_wire.build(arp_wire.REQUEST, PMAC, ip("192.0.2.1"), bytes(6), ip("192.0.2.1"))
    p.send(ethernet.build(b"\xff" * 6, PMAC, ethernet.ETH_P_ARP, claim))
    net.run(until=0.1)
    assert h.stats["arp.rx.conflict"] == 1
    assert net.tracer.select(host="h", event="conflict")


def test_request_for_us_is_answered_and_scapy_agrees():
    net, h, p = host_and_probe()
    p.send(Ether(src="02:99:00:00:00:99", dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc="02:99:00:00:00:99", psrc="192.0.2.99", pdst="192.0.2.1"))
    net.run(until=0.1)
    replies = [Ether(f) for _, f in p.frames if ARP in Ether(f) and Ether(f)[ARP].op == 2]
    assert len(replies) == 1
    r = replies[0]
    assert (r.dst, r[ARP].psrc, r[ARP].hwsrc, r[ARP].pdst) == ("02:99:00:00:00:99", "192.0.2.1",
                                                              "02:00:00:00:00:01", "192.0.2.99")


def test_unicast_frames_for_other_stations_are_filtered_by_the_nic():
    net, h, p = host_and_probe()
    p.send(udp_frame(PMAC, mac("02:00:00:00:00:55"), "192.0.2.99", "192.0.2.1", 1, 2))
    net.run(until=0.1)
    assert h.stats["eth.rx.filtered"] == 1 and h.stats["udp.rx.datagrams"] == 0
