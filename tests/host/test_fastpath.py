"""The cached UDP transmit path gives the same bytes as the ordinary path and notices changes."""

from scapy.all import IP, UDP, Ether

from stack import Network
from stack.addr import ip, mac

PMAC = mac("02:99:00:00:00:99")


def setup():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h", ip="192.0.2.1/24")
    p = net.add_probe("p")
    net.add_link(h, s1)
    net.add_link(p, s1)
    h.arp.cache(h.interfaces[1]).add_permanent(ip("192.0.2.99"), PMAC, 0)
    s = h.socket.socket(h.socket.AF_INET, h.socket.SOCK_DGRAM)
    s.connect(("192.0.2.99", 9))
    return net, h, p, s


def frames(net, p):
    net.run(until=net.now + 0.01)
    out = [Ether(f) for _, f in p.frames if Ether(f).type == 0x0800]
    p.clear()
    return out


def test_fast_path_bytes_equal_the_ordinary_path():
    net, h, p, s = setup()
    for size in (0, 1, 17, 100, 1471):
        s.send(bytes(i % 251 for i in range(size)))
    slow = frames(net, p)
    assert s._ep.fast is not None
    h2_fast_before = s._ep.fast
    for size in (0, 1, 17, 100, 1471):
        s.send(bytes(i % 251 for i in range(size)))
    fast = frames(net, p)
    assert s._ep.fast is h2_fast_before
    for a, b in zip(slow, fast):
        for f in (a, b):  # checksums verify (scapy recomputes them on a copy)
            c = Ether(bytes(f))
            del c[IP].chksum, c[UDP].chksum
            again = Ether(bytes(c))
            assert (again[IP].chksum, again[UDP].chksum) == (f[IP].chksum, f[UDP].chksum)
        a2, b2 = Ether(bytes(a)), Ether(bytes(b))
        a2[IP].id = b2[IP].id = 0
        a2[IP].chksum = b2[IP].chksum = 0
        assert bytes(a2) == bytes(b2)


def test_fast_path_follows_a_neighbor_change_and_skips_oversized():
    net, h, p, s = setup()
    s.send(b"a")
    s.send(b"b")
    frames(net, p)
    cache = h.arp.cache(h.interfaces[1])
    new = mac("02:77:00:00:00:77")
    cache.entries.pop(ip("192.0.2.99"))
    cache.add_permanent(ip("192.0.2.99"), new, 0)
    s.send(b"c")
    (f,) = frames(net, p)
    assert f.dst == "02:77:00:00:00:77"
    s.send(b"x" * 3000)  # needs fragmentation: the ordinary path
    got = frames(net, p)
    assert len(got) >= 1 and all(g.dst == "02:77:00:00:00:77" for g in got)
