"""Small builders shared by the tests: a two-host LAN, frames made with our codecs."""

from stack import Network
from stack.addr import ip
from stack.wire import ethernet, icmp, ipv4, udp


def lan(seed=1, n=2, delay=0.001, **link):
    """Hosts h1..hn (192.0.2.1..n/24) on switch s1; returns (net, [hosts], switch)."""
    net = Network(seed=seed)
    s1 = net.add_switch("s1")
    hosts = []
    for i in range(1, n + 1):
        h = net.add_host(f"h{i}", ip=f"192.0.2.{i}/24")
        net.add_link(h, s1, delay=delay, **link)
        hosts.append(h)
    return net, hosts, s1


def udp_frame(src_mac, dst_mac, src, dst, sport, dport, payload=b"x", **iph):
    s, d = ip(src), ip(dst)
    seg = udp.build(sport, dport, payload, s, d)
    pkt = ipv4.build(ipv4.IPv4Header(s, d, ipv4.PROTO_UDP, **iph), seg)
    return ethernet.build(dst_mac, src_mac, ethernet.ETH_P_IP, pkt)


def echo_frame(src_mac, dst_mac, src, dst, ident=1, seq=1, payload=b"ping", **iph):
    msg = icmp.build(icmp.ECHO_REQUEST, 0, icmp.echo_rest(ident, seq), payload)
    pkt = ipv4.build(ipv4.IPv4Header(ip(src), ip(dst), ipv4.PROTO_ICMP, **iph), msg)
    return ethernet.build(dst_mac, src_mac, ethernet.ETH_P_IP, pkt)


def two_hosts(realtime=False, delay=0.001):
    """h1 (192.0.2.1) and h2 (192.0.2.2) on switch s1; returns (net, h1, h2)."""
    net = Network(seed=1, realtime=realtime)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=delay)
    net.add_link(h2, s1, delay=delay)
    return net, h1, h2
