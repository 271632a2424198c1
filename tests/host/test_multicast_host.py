"""A host's group membership on the wire, read by scapy: what a join, a leave and a query
make it send, and what its NIC lets through."""

import struct

from scapy.all import Ether, ICMPv6MLReport2, IP, IPv6, IPv6ExtHdrHopByHop, Raw, UDP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3gr, IGMPv3mq, IGMPv3mr

from stack import Network


def setup():
    net = Network(seed=11)
    h = net.add_host("h", ip="192.0.2.1/24", ip6="2001:db8::1/64", gateway="192.0.2.254")
    p = net.add_probe("p")
    net.add_link(h, p, delay=0.001)
    net.run(until=5)
    p.frames.clear()
    return net, h, p


def igmp_reports(p):
    out = []
    for _, f in p.frames:
        e = Ether(f)
        if e.haslayer(IGMPv3mr):
            out.append(e)
    return out


def test_join_and_leave_send_igmpv3_reports_with_ttl_1_and_router_alert():
    net, h, p = setup()
    sk = h.socket
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    mreq = sk.inet_aton("239.3.3.3") + sk.inet_aton("0.0.0.0")
    s.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, mreq)
    net.run(until=net.now + 3)
    joins = igmp_reports(p)
    assert len(joins) == 2  # the robustness variable: sent twice
    for e in joins:
        assert e[IP].dst == "224.0.0.22" and e[IP].ttl == 1 and e[Ether].dst == "01:00:5e:00:00:16"
        assert any(o.option == 20 for o in e[IP].options)  # Router Alert (RFC 2113)
        rec = e[IGMPv3gr]
        assert rec.maddr == "239.3.3.3" and rec.rtype == 4  # CHANGE_TO_EXCLUDE_MODE {}
    p.frames.clear()
    s.setsockopt(sk.IPPROTO_IP, sk.IP_DROP_MEMBERSHIP, mreq)
    net.run(until=net.now + 3)
    leaves = igmp_reports(p)
    assert len(leaves) == 2 and all(e[IGMPv3gr].rtype == 3 for e in leaves)  # CHANGE_TO_INCLUDE_MODE {}


def test_source_filters_reach_the_wire_as_include_records():
    net, h, p = setup()
    sk = h.socket
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    s.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_SOURCE_MEMBERSHIP,
                 sk.inet_aton("232.1.1.1") + bytes(4) + sk.inet_aton("198.51.100.7"))
    net.run(until=net.now + 3)
    rec = igmp_reports(p)[0][IGMPv3gr]
    assert rec.rtype == 5 and rec.maddr == "232.1.1.1" and rec.srcaddrs == ["198.51.100.7"]  # ALLOW_NEW_SOURCES


def test_general_query_answered_after_a_random_delay_within_max_resp():
    net, h, p = setup()
    sk = h.socket
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    s.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, sk.inet_aton("239.4.4.4") + bytes(4))
    net.run(until=net.now + 5)
    p.frames.clear()
    query = Ether(dst="01:00:5e:00:00:01", src="02:00:00:00:00:fe") / \
        IP(src="192.0.2.254", dst="224.0.0.1", ttl=1, options=[b"\x94\x04\x00\x00"]) / IGMPv3(type=0x11, mrcode=50) / \
        IGMPv3mq()
    sent_at = net.now
    p.send(query)
    net.run(until=net.now + 6)
    answers = igmp_reports(p)
    assert len(answers) == 1
    t = p.frames[0][0]
    assert sent_at < t <= sent_at + 5.0 + 0.01  # Max Resp Time 5 s
    assert {r.maddr for r in answers[0][IGMPv3mr].records} == {"239.4.4.4"}
    assert answers[0][IGMPv3gr].rtype == 2  # MODE_IS_EXCLUDE


def test_mld_reports_the_solicited_node_group_and_socket_joins():
    net = Network(seed=12)
    h = net.add_host("h", ip6="2001:db8::1/64")
    p = net.add_probe("p")
    net.add_link(h, p, delay=0.001)
    net.run(until=3)
    reports = [Ether(f) for _, f in p.frames if Ether(f).haslayer(ICMPv6MLReport2)]
    groups = {rec.dst for e in reports for rec in e[ICMPv6MLReport2].records}
    assert "ff02::1:ff00:1" in groups  # solicited-node of 2001:db8::1 (RFC 3810 §6)
    assert "ff02::1" not in groups  # all-nodes is never reported
    for e in reports:
        assert e[IPv6].hlim == 1 and e[IPv6].dst == "ff02::16" and e.haslayer(IPv6ExtHdrHopByHop)
        assert e[IPv6].src.startswith("fe80::") or e[IPv6].src == "::"
    p.frames.clear()
    sk = h.socket
    s = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
    s.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_JOIN_GROUP, sk.inet_pton(sk.AF_INET6, "ff05::7") + struct.pack("@I", 2))
    net.run(until=net.now + 3)
    joined = {rec.dst for _, f in p.frames if Ether(f).haslayer(ICMPv6MLReport2)
              for rec in Ether(f)[ICMPv6MLReport2].records}
    assert joined == {"ff05::7"}


def test_the_nic_passes_only_joined_groups():
    net, h, p = setup()
    sk = h.socket
    s = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    s.bind(("", 7000))
    s.setsockopt(sk.IPPROTO_IP, sk.IP_ADD_MEMBERSHIP, sk.inet_aton("239.5.5.5") + bytes(4))
    s.settimeout(0)
    for group in ("239.5.5.5", "239.6.6.6"):
        mac = "01:00:5e:%02x:%02x:%02x" % (int(group.split(".")[1]) & 0x7F, int(group.split(".")[2]),
                                           int(group.split(".")[3]))
        p.send(Ether(dst=mac, src="02:00:00:00:00:fe") / IP(src="192.0.2.9", dst=group) / UDP(dport=7000) /
               Raw(group.encode()))
    net.run(until=net.now + 0.1)
    assert s.recv(100) == b"239.5.5.5"
    assert h.stats["eth.rx.filtered"] >= 1  # 239.6.6.6's MAC never got past the NIC
