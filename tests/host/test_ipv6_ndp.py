"""IPv6 hosts on the simulator: ping6, Neighbor Discovery's cache over virtual time, duplicate
address detection in both modes, SLAAC from a real router's advertisements, the RA MTU, and
redirects sent by a real router.

Everything here is observable from outside: frames a probe saw, what a socket got, the
neighbor table, the address states, routes, counters and traces, at exact virtual times.
"""

import struct

import pytest
from scapy.all import (
    ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr, Ether, IPv6, rdpcap,
)

from stack import Network
from stack.addr import interface_id, ip, ip_str, link_local, mac_str
from stack.addrconf import AddrConfConfig
from stack.host import HostConfig

PMAC = "02:00:00:00:00:99"


def ping_socket(h):
    s = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_RAW, h.socket.IPPROTO_ICMPV6)
    s.settimeout(0)
    return s


def echo(ident, seq, data=b"") -> bytes:
    return struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data  # the stack fills the checksum (RFC 3542 §3.1)


def replies(s):
    out = []
    while True:
        try:
            data, src = s.recvfrom(2000)
        except BlockingIOError:
            return out
        if data[0] == 129:
            out.append((struct.unpack_from("!HH", data, 4), data[8:], src[0]))


def frames(p, layer):
    return [(t, Ether(f)) for t, f in p.frames if Ether(f).haslayer(layer)]


def neigh(h, addr):
    rows = [r for r in h.neighbors() if r[1] == addr]
    return rows[0][3] if rows else None


def lan6(n=2, seed=1, config=None, probe=False):
    net = Network(seed=seed)
    s1 = net.add_switch("s1")
    hosts = []
    for i in range(1, n + 1):
        h = net.add_host(f"h{i}", ip6=f"2001:db8::{i}/64", config=config)
        net.add_link(h, s1, delay=0.001)
        hosts.append(h)
    p = None
    if probe:
        p = net.add_probe("p")
        net.add_link(p, s1, delay=0.001)
    return net, hosts, p


def neighbor_states(net, host, addr):
    return [(ev.time, ev.fields["frm"], ev.fields["to"]) for ev in net.tracer.select(host=host, event="neigh_state")
            if ev.fields.get("addr") == ip(addr)]


# -- ping6 -------------------------------------------------------------------------------------

def test_ping6_on_a_lan_resolves_then_echoes_with_payload_intact():
    net, (h1, h2), _ = lan6()
    net.run(until=2)
    s = ping_socket(h1)
    s.sendto(echo(0x4242, 1, b"hello six"), ("2001:db8::2", 0))
    net.run(until=2.02)
    assert replies(s) == [((0x4242, 1), b"hello six", "2001:db8::2")]
    assert h2.stats["icmp6.tx.echo_reply"] == 1
    assert neigh(h1, "2001:db8::2") == "REACHABLE"
    # h2 learned h1 from the solicitation's source link-layer option (§7.2.3) without asking itself
    assert h2.stats["ndp.tx.ns"] == 0 and neigh(h2, "2001:db8::1") in ("STALE", "DELAY")


def test_ping6_through_a_router_decrements_the_hop_limit_once_each_way(tmp_path):
    net = Network(seed=2)
    h1 = net.add_host("h1", ip6="2001:db8:1::10/64", gateway="2001:db8:1::1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64", "2001:db8:2::1/64"])
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    net.add_link(h1, r, delay=0.001)
    net.add_link(r, h2, delay=0.001)
    path = str(tmp_path / "p.pcapng")
    net.capture(path)
    net.run(until=2)
    s = ping_socket(h1)
    s.sendto(echo(7, 1, b"x" * 32), ("2001:db8:2::20", 0))
    net.run(until=2.1)
    assert replies(s) == [((7, 1), b"x" * 32, "2001:db8:2::20")]
    assert r.stats["ip6.fwd.packets"] == 2
    net.stop_capture()
    seen = [(p[IPv6].src, p[IPv6].dst, p[IPv6].hlim) for p in rdpcap(path)
            if p.haslayer(ICMPv6EchoRequest) or p.haslayer(ICMPv6EchoReply)]
    assert sorted(set(seen)) == sorted({("2001:db8:1::10", "2001:db8:2::20", 64), ("2001:db8:1::10", "2001:db8:2::20", 63),
                                        ("2001:db8:2::20", "2001:db8:1::10", 64), ("2001:db8:2::20", "2001:db8:1::10", 63)})


def test_ping6_to_a_link_local_address_needs_no_router_and_uses_a_link_local_source():
    net, (h1, h2), _ = lan6()
    net.run(until=2)
    ll2 = ip_str(link_local(h2.interfaces[1].mac))
    s = ping_socket(h1)
    s.sendto(echo(1, 9), (ll2, 0, 0, h1.socket.if_nametoindex("eth0")))
    net.run(until=2.02)
    got = replies(s)
    assert [g[0] for g in got] == [(1, 9)] and got[0][2].split("%")[0] == ll2


# -- the neighbor cache over time (RFC 4861 §7.3, Appendix C) ---------------------------------

def test_unanswered_resolution_sends_three_multicast_solicitations_a_second_apart_then_reports_unreachable():
    net, (h,), p = lan6(1, probe=True)
    net.run(until=2)
    p.clear()
    u = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    u.connect(("2001:db8::55", 9))
    u.send(b"lost")
    assert neigh(h, "2001:db8::55") == "INCOMPLETE"
    net.run(until=6)
    ns = [(t, e) for t, e in frames(p, ICMPv6ND_NS) if e[ICMPv6ND_NS].tgt == "2001:db8::55"]
    assert [round(t - ns[0][0], 6) for t, _ in ns] == [0, 1, 2]
    assert all(e[IPv6].dst == "ff02::1:ff00:55" and e.dst == "33:33:ff:00:00:55" and e[IPv6].hlim == 255
               and e[ICMPv6NDOptSrcLLAddr].lladdr == mac_str(h.interfaces[1].mac) for _, e in ns)
    assert neigh(h, "2001:db8::55") is None and h.stats["ndp.failed"] == 1 and h.stats["ndp.drop.unresolved"] == 1
    with pytest.raises(OSError) as e:
        u.recv(10)
    assert e.value.errno == 113  # EHOSTUNREACH on the connected socket, as Linux reports it


def test_neighbor_entry_walks_every_state_at_the_rfc_times():
    net, (h1, h2), _ = lan6()
    net.run(until=2)
    u = h1.socket.socket(h1.socket.AF_INET6, h1.socket.SOCK_DGRAM)
    u.sendto(b"a", ("2001:db8::2", 9))
    net.run(until=2.01)
    assert neigh(h1, "2001:db8::2") == "REACHABLE"
    reachable = h1.ndp.cache(h1.interfaces[1]).reachable_time
    assert 15_000_000 <= reachable < 45_000_000  # BaseReachableTime 30 s times [0.5, 1.5) (§6.3.2)
    t_reach = neighbor_states(net, "h1", "2001:db8::2")[0][0]
    net.run(until=(t_reach + reachable) / 1e6 - 0.001)
    assert neigh(h1, "2001:db8::2") == "REACHABLE"
    net.run(until=(t_reach + reachable) / 1e6 + 1)
    assert neigh(h1, "2001:db8::2") == "STALE"
    used = net.now
    u.sendto(b"b", ("2001:db8::2", 9))
    assert neigh(h1, "2001:db8::2") == "DELAY"  # the stale entry is used at once...
    net.run(until=used + 4.999)
    assert neigh(h1, "2001:db8::2") == "DELAY"
    net.run(until=used + 5.1)
    assert neigh(h1, "2001:db8::2") == "REACHABLE"  # ...a unicast probe after 5 s, answered
    states = neighbor_states(net, "h1", "2001:db8::2")
    assert [(f, t) for _, f, t in states] == [("INCOMPLETE", "REACHABLE"), ("REACHABLE", "STALE"),
                                               ("STALE", "DELAY"), ("DELAY", "PROBE"), ("PROBE", "REACHABLE")]
    t_stale, t_delay, t_probe, t_back = (s[0] for s in states[1:])
    assert t_stale - t_reach == reachable
    assert t_delay == round(used * 1e6) and t_probe - t_delay == 5_000_000  # DELAY_FIRST_PROBE_TIME
    assert t_back - t_probe == 4_000  # the probe's round trip: two 1 ms hops each way
    assert h2.stats["ndp.rx.NeighborSolicit"] == 2  # the resolution and the one unicast probe


def test_an_unused_stale_entry_is_collected_after_gc_stale_time():
    net, (h1, h2), _ = lan6()
    net.run(until=2)
    h1.socket.socket(h1.socket.AF_INET6, h1.socket.SOCK_DGRAM).sendto(b"a", ("2001:db8::2", 9))
    net.run(until=2.01)
    reachable = h1.ndp.cache(h1.interfaces[1]).reachable_time
    t_stale = 2_002_000 + 2_000 + reachable  # resolved after one round trip, then ReachableTime
    net.run(until=(t_stale + 60_000_000) / 1e6 - 0.001)
    assert neigh(h1, "2001:db8::2") == "STALE"
    net.run(until=(t_stale + 60_000_000) / 1e6 + 0.001)
    assert neigh(h1, "2001:db8::2") is None
    assert net.tracer.select(host="h1", event="neigh_expired")


def test_probe_without_answers_removes_the_entry_after_three_unicast_solicitations(tmp_path):
    net, (h1, h2), p = lan6()
    path = str(tmp_path / "probe.pcapng")
    net.capture(path, [net.links[0]])  # h1's cable: unicast probes reach no other port of the switch
    net.run(until=2)
    u = h1.socket.socket(h1.socket.AF_INET6, h1.socket.SOCK_DGRAM)
    u.sendto(b"a", ("2001:db8::2", 9))
    net.run(until=50)
    assert neigh(h1, "2001:db8::2") == "STALE"
    cable = next(link for link in net.links if h2 in (link.a, link.b))
    cable.impair(loss=1.0)
    u.sendto(b"b", ("2001:db8::2", 9))
    net.run(until=57.5)
    assert neigh(h1, "2001:db8::2") == "PROBE"
    net.run(until=60)
    net.stop_capture()
    probes = [(float(f.time), f) for f in rdpcap(path) if f.haslayer(ICMPv6ND_NS) and f[ICMPv6ND_NS].tgt == "2001:db8::2"
              and f.time > 50]
    # unicast to the cached MAC and address (§7.3.3), at 55, 56, 57 s; gone at 58 s
    assert [round(t, 6) for t, _ in probes] == [55.0, 56.0, 57.0]
    assert all(e.dst == mac_str(h2.interfaces[1].mac) and e[IPv6].dst == "2001:db8::2" for _, e in probes)
    assert neigh(h1, "2001:db8::2") is None and h1.stats["ndp.failed"] == 1
    assert [(f, t) for _, f, t in neighbor_states(net, "h1", "2001:db8::2")][-2:] == [("STALE", "DELAY"),
                                                                                        ("DELAY", "PROBE")]


def test_queued_packets_leave_in_order_when_the_advertisement_comes_and_the_queue_is_bounded():
    net, (h,), p = lan6(1, probe=True)
    net.run(until=2)
    p.clear()
    h.config.neighbor.queue_max_packets = 5
    u = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    for i in range(8):
        u.sendto(b"%d" % i, ("2001:db8::99", 9))
    assert h.stats["ndp.drop.queue_full"] == 3
    net.run(until=2.01)
    (_, ns), = frames(p, ICMPv6ND_NS)
    hmac = ns.src
    p.send(Ether(src=PMAC, dst=hmac) / IPv6(src="2001:db8::99", dst=ns[IPv6].src, hlim=255) /
           ICMPv6ND_NA(tgt="2001:db8::99", S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PMAC))
    net.run(until=2.02)
    from scapy.all import UDP
    got = [bytes(e[UDP].payload) for _, e in frames(p, UDP)]
    assert got == [b"0", b"1", b"2", b"3", b"4"]
    assert neigh(h, "2001:db8::99") == "REACHABLE"


def test_unsolicited_override_advertisement_updates_the_mac_and_makes_the_entry_stale():
    net, (h1, h2), p = lan6(probe=True)
    net.run(until=2)
    u = h1.socket.socket(h1.socket.AF_INET6, h1.socket.SOCK_DGRAM)
    u.sendto(b"a", ("2001:db8::2", 9))
    net.run(until=2.01)
    hmac = mac_str(h1.interfaces[1].mac)
    p.send(Ether(src=PMAC, dst="33:33:00:00:00:01") / IPv6(src="fe80::99", dst="ff02::1", hlim=255) /
           ICMPv6ND_NA(tgt="2001:db8::2", S=0, O=0) / ICMPv6NDOptDstLLAddr(lladdr=PMAC))
    net.run(until=2.02)
    # without Override a different MAC only casts doubt: still h2's MAC, REACHABLE -> STALE
    row = [r for r in h1.neighbors() if r[1] == "2001:db8::2"][0]
    assert row[2:] == (mac_str(h2.interfaces[1].mac), "STALE")
    p.send(Ether(src=PMAC, dst=hmac) / IPv6(src="fe80::99", dst="2001:db8::1", hlim=255) /
           ICMPv6ND_NA(tgt="2001:db8::2", S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PMAC))
    net.run(until=2.03)
    row = [r for r in h1.neighbors() if r[1] == "2001:db8::2"][0]
    assert row[2:] == (PMAC, "STALE") and h1.stats["ndp.updated"] == 1


# -- duplicate address detection (RFC 4862 §5.4, RFC 4429) ------------------------------------

def _dad_pair(optimistic: bool):
    net = Network(seed=3)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip6="2001:db8::1/64")
    net.add_link(h1, s1, delay=0.001)
    net.run(until=3)
    cfg = HostConfig(addrconf=AddrConfConfig(optimistic_dad=optimistic))
    h2 = net.add_host("h2", ip6="2001:db8::1/64", config=cfg)
    net.add_link(h2, s1, delay=0.001)
    return net, h1, h2


@pytest.mark.parametrize("optimistic", [True, False])
def test_duplicate_static_address_fails_dad_is_traced_and_never_used(optimistic):
    net, h1, h2 = _dad_pair(optimistic)
    dup = ip("2001:db8::1")
    a = h2.interfaces[1].addrs6[dup]
    assert a.state.value == ("optimistic" if optimistic else "tentative")
    assert h2.is_local(dup) == optimistic  # RFC 4429: an optimistic address may be used; a tentative one not
    net.run(until=6)
    assert a.state.value == "dadfailed"
    assert not h2.is_local(dup) and dup not in h2.addresses(16) and h1.is_local(dup)
    assert h2.stats["addrconf.dad.duplicate"] == 1
    (failed,) = net.tracer.select(host="h2", event="dad_failed")
    assert failed.fields["addr"] == dup
    assert net.tracer.select(host="h1", event="dad_defended")
    # h2 never sources anything from the address: a datagram to h1 finds no usable source
    assert h2.source_for(ip("2001:db8::7")) != dup
    # and h1 keeps it
    assert h1.interfaces[1].addrs6[dup].state.value == "preferred"


def test_strict_dad_keeps_the_address_unusable_until_dad_completes_then_preferred():
    net = Network(seed=4)
    s1 = net.add_switch("s1")
    cfg = HostConfig(addrconf=AddrConfConfig(optimistic_dad=False))
    h = net.add_host("h", ip6="2001:db8::5/64", config=cfg)
    p = net.add_probe("p")
    net.add_link(h, s1, delay=0.001)
    net.add_link(p, s1, delay=0.001)
    addr = h.interfaces[1].addrs6[ip("2001:db8::5")]
    hmac = mac_str(h.interfaces[1].mac)
    u = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    with pytest.raises(OSError) as e:
        u.bind(("2001:db8::5", 7000))
    assert e.value.errno == 99  # EADDRNOTAVAIL: a tentative address cannot be bound (Linux)
    assert h.source_for(ip("2001:db8::99")) is None  # nor chosen as a source
    rx = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    rx.bind(("::", 7001))
    rx.settimeout(0)
    from scapy.all import UDP

    def datagram(data):
        return Ether(src=PMAC, dst=hmac) / IPv6(src="2001:db8::99", dst="2001:db8::5") / UDP(sport=1, dport=7001) / data

    def solicit():
        return (Ether(src=PMAC, dst="33:33:ff:00:00:05") / IPv6(src="2001:db8::99", dst="ff02::1:ff00:5", hlim=255) /
                ICMPv6ND_NS(tgt="2001:db8::5") / ICMPv6NDOptSrcLLAddr(lladdr=PMAC))
    p.send(datagram(b"early"))
    p.send(solicit())
    net.run(until=0.01)
    assert h.stats["ip6.rx.tentative"] == 1
    with pytest.raises(BlockingIOError):
        rx.recv(100)
    assert not frames(p, ICMPv6ND_NA)  # §5.4.3: a tentative address answers no solicitation
    net.run(until=3)
    changes = [ev for ev in net.tracer.select(host="h", event="state") if ev.fields["addr"] == addr.addr]
    assert [(c.fields["frm"], c.fields["to"]) for c in changes] == [("tentative", "preferred")]
    probe_at = [ev.time for ev in net.tracer.select(host="h", event="dad_probe") if ev.fields["target"] == addr.addr]
    assert len(probe_at) == 1 and probe_at[0] < 1_000_000  # a random delay under MAX_RTR_SOLICITATION_DELAY
    assert changes[0].time == probe_at[0] + 1_000_000  # RetransTimer after the one probe (§5.4.2)
    assert h.is_local(addr.addr)
    u.bind(("2001:db8::5", 7000))
    p.clear()
    p.send(datagram(b"late"))
    p.send(solicit())
    net.run(until=3.1)
    assert rx.recv(100) == b"late"
    (_, na), = frames(p, ICMPv6ND_NA)
    assert na[ICMPv6ND_NA].tgt == "2001:db8::5" and na[ICMPv6ND_NA].S == 1 and na[ICMPv6ND_NA].O == 1


def test_an_optimistic_address_answers_solicitations_without_the_override_flag():
    net = Network(seed=4)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip6="2001:db8::5/64")
    p = net.add_probe("p")
    net.add_link(h, s1, delay=0.001)
    net.add_link(p, s1, delay=0.001)
    p.send(Ether(src=PMAC, dst="33:33:ff:00:00:05") / IPv6(src="2001:db8::99", dst="ff02::1:ff00:5", hlim=255) /
           ICMPv6ND_NS(tgt="2001:db8::5") / ICMPv6NDOptSrcLLAddr(lladdr=PMAC))
    net.run(until=0.01)
    assert h.interfaces[1].addrs6[ip("2001:db8::5")].state.value == "optimistic"
    (_, na), = frames(p, ICMPv6ND_NA)
    assert na[ICMPv6ND_NA].S == 1 and na[ICMPv6ND_NA].O == 0  # RFC 4429 §3.3


def test_dad_probe_is_from_the_unspecified_address_to_the_solicited_node_group_without_an_lladdr():
    net, (h,), p = lan6(1, probe=True)
    net.run(until=2)
    probes = [e for _, e in frames(p, ICMPv6ND_NS) if e[IPv6].src == "::"]
    targets = sorted(e[ICMPv6ND_NS].tgt for e in probes)
    assert targets == sorted(["2001:db8::1", ip_str(link_local(h.interfaces[1].mac))])
    for e in probes:
        tgt = ip(e[ICMPv6ND_NS].tgt)
        assert ip(e[IPv6].dst) == bytes.fromhex("ff0200000000000000000001ff") + tgt[13:]
        assert e[IPv6].hlim == 255 and not e.haslayer(ICMPv6NDOptSrcLLAddr)


def test_a_dad_probe_for_our_tentative_address_from_another_node_fails_ours_too():
    net = Network(seed=5)
    s1 = net.add_switch("s1")
    cfg = HostConfig(addrconf=AddrConfConfig(optimistic_dad=False))
    h = net.add_host("h", ip6="2001:db8::5/64", config=cfg)
    p = net.add_probe("p")
    net.add_link(h, s1, delay=0.001)
    net.add_link(p, s1, delay=0.001)
    # another node runs DAD for the same address at the same moment (§5.4.3)
    p.send(Ether(src=PMAC, dst="33:33:ff:00:00:05") / IPv6(src="::", dst="ff02::1:ff00:5", hlim=255) /
           ICMPv6ND_NS(tgt="2001:db8::5"))
    net.run(until=3)
    a = h.interfaces[1].addrs6[ip("2001:db8::5")]
    assert a.state.value == "dadfailed" and not h.is_local(a.addr)
    assert not [e for _, e in frames(p, ICMPv6ND_NA) if e[ICMPv6ND_NA].tgt == "2001:db8::5"]  # no defence


# -- SLAAC and router advertisements (RFC 4862 §5.5, RFC 4861 §6.3.4) -------------------------

def slaac_net(seed=6, **adv):
    net = Network(seed=seed)
    s1 = net.add_switch("s1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64"])
    h = net.add_host("h")
    h.add_interface()
    net.add_link(r, s1, delay=0.001)
    net.add_link(h, s1, delay=0.001)
    r.advertise(r.interfaces[1], ["2001:db8:1::/64"], **adv)
    return net, r, h


def test_slaac_configures_an_eui64_address_and_a_default_route_via_the_routers_link_local():
    net, r, h = slaac_net()
    net.run(until=10)
    iface = h.interfaces[1]
    want = ip("2001:db8:1::")[:8] + interface_id(iface.mac)
    a = iface.addrs6.get(want)
    assert a is not None and a.origin == "slaac" and a.prefix_len == 64 and a.state.value == "preferred"
    default = [rt for rt in h.routes.routes if len(rt.network) == 16 and rt.prefix_len == 0]
    assert [(rt.gateway, rt.proto) for rt in default] == [(link_local(r.interfaces[1].mac), "ra")]
    onlink = h.routes.lookup(ip("2001:db8:1::77"))
    assert onlink.gateway is None and onlink.prefix_len == 64
    # the host now reaches the router's global address from its SLAAC address
    assert h.source_for(ip("2001:db8:1::1")) == want
    assert h.source_for(ip("2001:db8:99::1")) == want  # off-link too, through the default route
    s = ping_socket(h)
    s.sendto(echo(3, 3), ("2001:db8:1::1", 0))
    net.run(until=10.1)
    assert [g[0] for g in replies(s)] == [(3, 3)]


def test_the_first_router_advertisements_come_quickly_and_a_late_hosts_solicitation_is_answered():
    net, r, h = slaac_net()
    net.run(until=100)
    sent = [ev.time for ev in net.tracer.select(host="r", event="router_advert_sent")]
    # MAX_INITIAL_RTR_ADVERT_INTERVAL: the first three at most 16 s apart, then MinRtrAdvInterval or more
    assert len(sent) == 4 and all(b - a <= 16_000_000 for a, b in zip(sent, sent[1:4]))
    late = net.add_host("late")
    late.add_interface()
    net.add_link(late, net["s1"], delay=0.001)
    net.run(until=103)
    (rs,) = [ev.time for ev in net.tracer.select(host="late", event="router_solicit")]
    assert rs < 101_000_000  # after a random delay of up to MAX_RTR_SOLICITATION_DELAY
    answer = [t for t in (ev.time for ev in net.tracer.select(host="r", event="router_advert_sent")) if t > rs]
    assert len(answer) == 1 and answer[0] - rs <= 500_000 + 1_000  # MAX_RA_DELAY_TIME after the RS arrived
    assert late.stats["ndp.tx.rs"] == 1  # the advertisement stopped further solicitations
    assert any(a.origin == "slaac" for a in late.interfaces[1].ipv6)


def test_slaac_lifetimes_expire_the_address_and_the_router_lifetime_the_default_route():
    net, r, h = slaac_net(router_lifetime=30, valid_lifetime=90, preferred_lifetime=40)
    net.run(until=5)
    iface = h.interfaces[1]
    want = ip("2001:db8:1::")[:8] + interface_id(iface.mac)
    assert iface.addrs6[want].state.value == "preferred"
    link = next(lk for lk in net.links if r in (lk.a, lk.b))
    link.impair(loss=1.0)  # no more advertisements reach the host
    last = max(ev.time for ev in net.tracer.select(host="h", event="router_advert"))
    net.run(until=last / 1e6 + 29.9)
    assert any(rt.prefix_len == 0 and len(rt.network) == 16 for rt in h.routes.routes)
    net.run(until=last / 1e6 + 30.1)
    assert not any(rt.prefix_len == 0 and len(rt.network) == 16 for rt in h.routes.routes)
    net.run(until=last / 1e6 + 40.1)
    assert iface.addrs6[want].state.value == "deprecated"
    assert h.source_for(ip("2001:db8:1::1")) == want  # deprecated is still usable when it is the only one
    net.run(until=last / 1e6 + 90.1)
    assert want not in iface.addrs6 and not h.is_local(want)
    assert h.routes.lookup(ip("2001:db8:1::77")) is None  # the on-link prefix expired with its valid lifetime
    gone = net.tracer.select(host="h", event="address_removed")
    assert [ev.fields["reason"] for ev in gone] == ["valid lifetime expired"]


def test_router_advertisement_mtu_lowers_the_link_mtu_and_datagrams_are_fragmented_to_it(tmp_path):
    net, r, h = slaac_net(mtu=1400)
    net.run(until=10)
    assert h.interfaces[1].mtu6 == 1400 and h.interfaces[1].mtu == 1500
    assert h.path_mtu(ip("2001:db8:1::1")) == 1400
    rx = r.socket.socket(r.socket.AF_INET6, r.socket.SOCK_DGRAM)
    rx.bind(("::", 5555))
    rx.settimeout(0)
    path = str(tmp_path / "m.pcapng")
    net.capture(path)
    tx = h.socket.socket(h.socket.AF_INET6, h.socket.SOCK_DGRAM)
    tx.sendto(b"m" * 1450, ("2001:db8:1::1", 5555))
    net.run(until=10.1)
    assert rx.recv(2000) == b"m" * 1450
    net.stop_capture()
    sizes = [len(bytes(p[IPv6])) for p in rdpcap(path) if p.haslayer(IPv6) and p[IPv6].src != "::"
             and p[IPv6].nh == 44]
    assert sizes and max(sizes) <= 1400


def test_an_mtu_option_above_the_link_mtu_or_below_1280_is_ignored():
    for bad in (1279, 9000):
        net, r, h = slaac_net(mtu=bad)
        net.run(until=10)
        assert h.interfaces[1].mtu6 == 1500 and h.stats["ndp.rx.ra_bad_mtu"] >= 1


def test_a_router_ignores_advertisements_and_a_host_ignores_them_from_a_global_source():
    net, r, h = slaac_net()
    p = net.add_probe("p")
    net.add_link(p, net["s1"], delay=0.001)
    net.run(until=1)
    p.send(Ether(src=PMAC, dst="33:33:00:00:00:01") / IPv6(src="2001:db8:1::99", dst="ff02::1", hlim=255) /
           ICMPv6ND_RA(routerlifetime=1800))
    net.run(until=1.01)
    assert h.stats["ndp.rx.invalid"] == 1
    assert not any(rt.gateway == ip("2001:db8:1::99") for rt in h.routes.routes)
    assert r.stats["ndp.rx.invalid"] + r.stats["ndp.rx.ra_ignored"] >= 1


# -- redirects (RFC 4861 §8) --------------------------------------------------------------------

def test_a_real_router_redirects_a_host_to_an_on_link_neighbor_and_the_host_goes_direct():
    net = Network(seed=8)
    s1 = net.add_switch("s1")
    r = net.add_router("r", ip6=["2001:db8:1::1/64"])
    r.add_address(r.interfaces[1], "2001:db8:2::1/64")  # a second prefix on the same link
    h1 = net.add_host("h1")
    h1.add_interface()
    h2 = net.add_host("h2", ip6="2001:db8:2::20/64", gateway="2001:db8:2::1")
    for n in (r, h1, h2):
        net.add_link(n, s1, delay=0.001)
    r.advertise(r.interfaces[1], ["2001:db8:1::/64"])
    net.run(until=10)
    s = ping_socket(h1)
    s.sendto(echo(1, 1), ("2001:db8:2::20", 0))
    net.run(until=10.1)
    assert [g[0] for g in replies(s)] == [(1, 1)]
    assert r.stats["ndp.tx.redirect"] == 1 and h1.stats["ndp.redirect.accepted"] == 1
    route = h1.routes.lookup(ip("2001:db8:2::20"))
    assert route.proto == "redirect" and route.gateway is None and route.prefix_len == 128
    before = r.stats["ip6.fwd.packets"]
    s.sendto(echo(1, 2), ("2001:db8:2::20", 0))
    net.run(until=10.2)
    assert [g[0] for g in replies(s)] == [(1, 2)]
    assert r.stats["ip6.fwd.packets"] == before  # the second request went straight to h2


def test_redirect_to_a_link_local_target_takes_effect_and_one_from_elsewhere_does_not():
    net, (h,), p = lan6(1, probe=True)
    h.set_gateway("fe80::1")
    net.run(until=2)
    hmac = mac_str(h.interfaces[1].mac)
    from scapy.all import ICMPv6ND_Redirect
    far = "2001:db8:77::1"
    for src in ("fe80::2", "2001:db8::1234"):  # not the first hop; not link-local
        p.send(Ether(src=PMAC, dst=hmac) / IPv6(src=src, dst="2001:db8::1", hlim=255) /
               ICMPv6ND_Redirect(tgt="fe80::3", dst=far))
    p.send(Ether(src=PMAC, dst=hmac) / IPv6(src="fe80::1", dst="2001:db8::1", hlim=64) /
           ICMPv6ND_Redirect(tgt="fe80::3", dst=far))  # hop limit not 255: from off-link
    p.send(Ether(src=PMAC, dst=hmac) / IPv6(src="fe80::1", dst="2001:db8::1", hlim=255) /
           ICMPv6ND_Redirect(tgt="2001:db8::3", dst=far))  # target neither link-local nor the destination
    net.run(until=2.01)
    assert h.routes.lookup(ip(far)).gateway == ip("fe80::1")
    assert h.stats["ndp.rx.redirect_not_from_router"] == 1 and h.stats["ndp.rx.invalid"] == 2
    assert h.stats["ndp.rx.hop_limit"] == 1
    p.send(Ether(src=PMAC, dst=hmac) / IPv6(src="fe80::1", dst="2001:db8::1", hlim=255) /
           ICMPv6ND_Redirect(tgt="fe80::3", dst=far) / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:33"))
    net.run(until=2.02)
    assert h.routes.lookup(ip(far)).gateway == ip("fe80::3")
    assert ("eth0", "fe80::3", "02:00:00:00:00:33", "STALE") in h.neighbors()  # §8.3: the target's lladdr


# -- advertisements from a probe: withdrawal, the two-hour rule, unknown options ----------------

def _ra(hmac_dst="33:33:00:00:00:01", lifetime=1800, valid=86400, preferred=14400, *extra):
    from scapy.all import ICMPv6NDOptPrefixInfo
    pkt = (Ether(src=PMAC, dst=hmac_dst) / IPv6(src="fe80::99", dst="ff02::1", hlim=255) /
           ICMPv6ND_RA(routerlifetime=lifetime) / ICMPv6NDOptSrcLLAddr(lladdr=PMAC) /
           ICMPv6NDOptPrefixInfo(prefix="2001:db8:5::", prefixlen=64, validlifetime=valid,
                                 preferredlifetime=preferred))
    for e in extra:
        pkt = pkt / e
    return pkt


def test_router_lifetime_zero_withdraws_the_default_route_at_once():
    net, (h,), p = lan6(1, probe=True)
    net.run(until=2)
    p.send(_ra())
    net.run(until=2.01)
    assert h.routes.lookup(ip("2001:db8:77::1")).gateway == ip("fe80::99")
    p.send(_ra(lifetime=0))
    net.run(until=2.02)
    assert h.routes.lookup(ip("2001:db8:77::1")) is None
    assert [ev.fields["why"] for ev in net.tracer.select(host="h1", event="router_gone")] == ["router lifetime zero"]


def test_a_short_valid_lifetime_cannot_cut_an_address_below_two_hours():
    net, (h,), p = lan6(1, probe=True)
    net.run(until=2)
    p.send(_ra(valid=86400, preferred=14400))
    net.run(until=2.01)
    addr = next(a for a in h.interfaces[1].ipv6 if a.origin == "slaac")
    p.send(_ra(valid=60, preferred=30))  # RFC 4862 §5.5.3 e: a forged RA may not expire it soon
    net.run(until=2.02)
    assert addr.valid_until == 2_012_000 + 7200 * 1_000_000  # arrived 2 ms after it was sent
    net.run(until=40)
    assert addr.state.value == "deprecated" and h.is_local(addr.addr)  # preferred lifetime does follow the RA
    net.run(until=7200)
    assert addr in h.interfaces[1].ipv6
    net.run(until=7203)
    assert addr not in h.interfaces[1].ipv6


def test_an_advertisement_with_an_unknown_option_is_still_accepted():
    from scapy.all import ICMPv6NDOptUnknown
    net, (h,), p = lan6(1, probe=True)
    net.run(until=2)
    p.send(_ra("33:33:00:00:00:01", 1800, 86400, 14400, ICMPv6NDOptUnknown(type=222, len=1, data=b"\0" * 6)))
    net.run(until=2.01)
    assert any(a.origin == "slaac" for a in h.interfaces[1].ipv6)  # RFC 4861 §4.6: unknown options ignored


def test_echo_to_all_nodes_is_answered_by_every_neighbor_from_its_link_local_address():
    net, (h1, h2, h3), _ = lan6(3)
    net.run(until=2)
    s = ping_socket(h1)
    s.sendto(echo(8, 1), ("ff02::1", 0, 0, h1.socket.if_nametoindex("eth0")))
    net.run(until=2.05)
    got = replies(s)
    # every neighbour, and this host itself: the request loops back (IPV6_MULTICAST_LOOP is
    # on by default) and h1 answers its own, as Linux's `ping ff02::1%eth0` shows
    assert sorted(g[2].split("%")[0] for g in got) == sorted(ip_str(link_local(h.interfaces[1].mac))
                                                             for h in (h1, h2, h3))
    assert all(g[0] == (8, 1) for g in got)
