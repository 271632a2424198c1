"""Checksum offload: frames our hosts built and links left intact skip re-verification;
anything a corrupting link, a probe or a TAP device delivers is verified in full."""

from stack import Network
from stack.wire.ethernet import VerifiedFrame
from tests.helpers import udp_frame


def test_a_corrupting_link_never_delivers_corrupt_data():
    net = Network(seed=4)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1)
    net.add_link(h2, s1, corrupt=0.3)
    rx = h2.socket.socket(h2.socket.AF_INET, h2.socket.SOCK_DGRAM)
    rx.bind(("", 9))
    rx.setblocking(False)
    tx = h1.socket.socket(h1.socket.AF_INET, h1.socket.SOCK_DGRAM)
    payloads = [bytes([i]) * 200 for i in range(200)]
    for p in payloads:
        tx.sendto(p, ("192.0.2.2", 9))
        net.run(until=net.now + 0.001)
    got = []
    while True:
        try:
            got.append(rx.recv(1000))
        except BlockingIOError:
            break
    assert got and all(g in payloads for g in got)  # nothing corrupt got through
    caught = sum(v for k, v in h2.stats.items() if k.endswith("bad_checksum") or k == "eth.rx.filtered"
                 or k.endswith(".malformed") or k.endswith(".truncated") or k == "udp.rx.no_port")
    assert caught > 0 and len(got) < len(payloads)


def test_frames_from_our_hosts_are_marked_and_probe_frames_are_not():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    p = net.add_probe("p")
    net.add_link(h1, s1)
    net.add_link(p, s1)
    seen = []
    orig = h1.receive

    def spy(port, frame, now):
        seen.append(type(frame))
        return orig(port, frame, now)

    h1.receive = spy
    p.send(udp_frame(b"\x02" * 6, b"\xff" * 6, "192.0.2.99", "192.0.2.1", 1, 9))
    net.run(until=0.1)
    assert seen and seen[0] is bytes
    sent = []

    class Recorder:
        def transmit(self, frame):
            sent.append(type(frame))

    h1.interfaces[1].channel = Recorder()
    s = h1.socket.socket(h1.socket.AF_INET, h1.socket.SOCK_DGRAM)
    s.setsockopt(h1.socket.SOL_SOCKET, h1.socket.SO_BROADCAST, 1)
    s.sendto(b"x", ("192.0.2.255", 9))
    assert sent == [VerifiedFrame]


def test_a_router_never_vouches_for_a_segment_it_did_not_check():
    """Routers check only the IP header; a bit flipped in a UDP payload on the way in must
    still be caught by the destination's checksum (the forwarded frame is not trusted)."""
    from stack import Network

    net = Network(seed=5)
    h1 = net.add_host("h1", ip="192.0.2.1/24", gateway="192.0.2.254")
    r = net.add_router("r", ip=["192.0.2.254/24", "198.51.100.254/24"])
    h2 = net.add_host("h2", ip="198.51.100.1/24", gateway="198.51.100.254")
    link = net.add_link(h1, r)
    net.add_link(r, h2)
    payload = bytes(range(200))

    def receiver(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", 9999))
        s.settimeout(5)
        got = []
        try:
            while True:
                got.append(s.recv(1000))
        except TimeoutError:
            return got

    def sender(socket):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(payload, ("198.51.100.1", 9999))
        h1.sleep(3.0)  # ARP settled (and its announcements over): ARP has no checksum to save it
        link.impair(corrupt=0.5)
        for _ in range(200):
            s.sendto(payload, ("198.51.100.1", 9999))
            h1.sleep(0.01)
        link.impair(corrupt=0.0)

    t = h2.spawn(receiver)
    h1.spawn(sender)
    net.run(until=20)
    assert t.result and all(d == payload for d in t.result)
    assert h2.stats["udp.rx.bad_checksum"] > 0 and r.stats["ip.fwd.packets"] > len(t.result)
