import pytest
from hypothesis import given, strategies as st
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6

from stack.addr import ip
from stack.wire import tcp
from stack.wire.checksum import transport_checksum
from stack.wire.errors import BadChecksum, Malformed, Truncated
from stack.wire.tcp import ACK, PSH, SYN, TcpOptions

S, D = ip("192.0.2.1"), ip("192.0.2.2")
S6, D6 = ip("2001:db8::1"), ip("2001:db8::2")


def scapy_tcp(pkt_bytes, src=S, dst=D):
    if len(src) == 4:
        return IP(src=ip_s(src), dst=ip_s(dst), proto=6) / TCP(pkt_bytes)
    return IPv6(src=ip_s(src), dst=ip_s(dst), nh=6) / TCP(pkt_bytes)


def ip_s(a):
    from stack.addr import ip_str
    return ip_str(a)


def test_golden_syn_linux_option_layout():
    opts = TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(1, 0))
    raw = tcp.build(40000, 80, 1000, 0, SYN, 64240, b"", S, D, options=opts)
    assert raw[12] >> 4 == 10  # 20 + 20 bytes of options
    assert raw[20:40] == bytes.fromhex("020405b4" "0402080a" "00000001" "00000000" "01030307")
    assert transport_checksum(S, D, 6, raw) == 0


def test_rfc_option_order():
    opts = TcpOptions(mss=1460, wscale=7, sack_permitted=True, timestamps=(1, 0))
    raw = tcp.encode_options(opts, "rfc")
    assert raw == bytes.fromhex("020405b4" "01030307" "01010402" "0101080a" "00000001" "00000000")


def test_data_segment_fast_path_layout():
    raw = tcp.build(1, 2, 3, 4, ACK | PSH, 100, b"hello", S, D, options=tcp.encode_ts(5, 6))
    assert raw[20:32] == bytes.fromhex("0101080a0000000500000006")
    hdr, payload = tcp.parse(memoryview(raw), S, D)
    assert hdr == tcp.TcpHeader(1, 2, 3, 4, ACK | PSH, 100, 0, TcpOptions(timestamps=(5, 6)))
    assert bytes(payload) == b"hello"


@pytest.mark.parametrize("src,dst", [(S, D), (S6, D6)])
def test_scapy_dissects_our_segment(src, dst):
    opts = TcpOptions(mss=1400, wscale=3, sack_permitted=True, timestamps=(0xDEADBEEF, 42))
    raw = tcp.build(1234, 443, 0xFFFFFFF0, 77, SYN | ACK, 29200, b"", src, dst, options=opts)
    p = scapy_tcp(raw, src, dst)
    t = p[TCP]
    assert (t.sport, t.dport, t.seq, t.ack, t.window) == (1234, 443, 0xFFFFFFF0, 77, 29200)
    assert str(t.flags) == "SA"
    o = dict(t.options)
    assert o["MSS"] == 1400 and o["WScale"] == 3 and o["Timestamp"] == (0xDEADBEEF, 42) and "SAckOK" in o
    # scapy, building the same header with the Linux option order, produces identical bytes
    rebuilt = (IP(src=ip_s(src), dst=ip_s(dst)) if len(src) == 4 else IPv6(src=ip_s(src), dst=ip_s(dst))) / \
        TCP(sport=1234, dport=443, seq=0xFFFFFFF0, ack=77, flags="SA", window=29200,
            options=[("MSS", 1400), ("SAckOK", b""), ("Timestamp", (0xDEADBEEF, 42)), ("NOP", None),
                     ("WScale", 3)])
    assert bytes(rebuilt[TCP]) == raw


@pytest.mark.parametrize("src,dst", [(S, D), (S6, D6)])
def test_we_parse_scapy_segment_with_options(src, dst):
    pkt = (IP(src=ip_s(src), dst=ip_s(dst)) if len(src) == 4 else IPv6(src=ip_s(src), dst=ip_s(dst))) / TCP(
        sport=5, dport=6, seq=123456789, ack=987654321, flags="PA", window=512, urgptr=0,
        options=[("NOP", None), ("NOP", None), ("SAck", (100, 200, 300, 400)), ("Timestamp", (9, 8)),
                 (30, b"\x01\x02")]) / b"payload!"
    raw = bytes(pkt[TCP])
    hdr, payload = tcp.parse(memoryview(raw), src, dst)
    assert (hdr.sport, hdr.dport, hdr.seq, hdr.ack, hdr.flags, hdr.window) == (5, 6, 123456789, 987654321,
                                                                               ACK | PSH, 512)
    assert hdr.options.sack_blocks == ((100, 200), (300, 400))
    assert hdr.options.timestamps == (9, 8)
    assert hdr.options.unknown == ((30, b"\x01\x02"),)
    assert bytes(payload) == b"payload!"


def _valid(options=b"", payload=b"x"):
    return bytearray(tcp.build(1, 2, 3, 4, ACK, 5, payload, S, D, options=options))


def _fix(buf):
    buf[16:18] = b"\0\0"
    buf[16:18] = transport_checksum(S, D, 6, bytes(buf)).to_bytes(2, "big")
    return buf


MALFORMED = [
    ("short header", lambda: _valid()[:19], Truncated),
    ("empty", lambda: bytearray(), Truncated),
    ("offset past end", lambda: _fix(bytearray(_valid()[:12]) + bytes([0xF0]) + _valid()[13:])[:40], Truncated),
    ("bad checksum", lambda: (lambda b: (b.__setitem__(16, b[16] ^ 0xFF), b)[1])(_valid()), BadChecksum),
    ("offset below five", lambda: _fix(_valid()[:12] + bytes([0x40]) + _valid()[13:]), Malformed),
    ("option length 0", lambda: _fix(_opts(b"\x02\x00\x00\x00")), Malformed),
    ("option length 1", lambda: _fix(_opts(b"\x08\x01\x00\x00")), Malformed),
    ("option past area", lambda: _fix(_opts(b"\x01\x01\x08\x0a")), Malformed),
    ("mss of length 3", lambda: _fix(_opts(b"\x02\x03\x05\x00")), Malformed),
    ("sack of length 6", lambda: _fix(_opts(b"\x05\x06\x00\x00\x00\x00\x00\x00")), Malformed),
    ("length byte missing", lambda: _fix(_opts(b"\x01\x01\x01\x08")), Malformed),
]


def _opts(raw):
    head = bytearray(_valid(payload=b""))
    head[12] = ((20 + len(raw)) // 4) << 4
    return head + raw


@pytest.mark.parametrize("name,make,exc", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_inputs(name, make, exc):
    with pytest.raises(exc):
        tcp.parse(memoryview(bytes(make())), S, D)


def test_checksum_checked_before_semantics():
    bad = _opts(b"\x02\x00\x00\x00")  # malformed option AND a wrong checksum
    bad[16] ^= 0x55
    with pytest.raises(BadChecksum):
        tcp.parse(memoryview(bytes(bad)), S, D)
    with pytest.raises(Malformed):
        tcp.parse(memoryview(bytes(bad)), S, D, verify_checksum=False)


def test_eol_ends_options_and_padding_is_fine():
    hdr, _ = tcp.parse(memoryview(bytes(_fix(_opts(b"\x02\x04\x05\xb4\x00\xff\xff\xff")))), S, D)
    assert hdr.options.mss == 1460


opt_strategy = st.builds(
    TcpOptions,
    mss=st.none() | st.integers(0, 0xFFFF),
    wscale=st.none() | st.integers(0, 14),
    sack_permitted=st.booleans(),
    timestamps=st.none() | st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
    sack_blocks=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=1).map(tuple),
)


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
       st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.binary(max_size=300), opt_strategy,
       st.sampled_from(["linux", "rfc"]), st.booleans())
def test_roundtrip(sport, dport, seq, ack, flags, window, payload, opts, order, v6):
    src, dst = (S6, D6) if v6 else (S, D)
    raw = tcp.build(sport, dport, seq, ack, flags, window, payload, src, dst, options=opts, order=order)
    assert transport_checksum(src, dst, 6, raw) == 0
    hdr, pl = tcp.parse(memoryview(raw), src, dst)
    assert (hdr.sport, hdr.dport, hdr.seq, hdr.ack, hdr.flags, hdr.window) == (sport, dport, seq, ack, flags,
                                                                               window)
    assert hdr.options == opts
    assert bytes(pl) == payload


def test_too_many_options_refused():
    with pytest.raises(ValueError):
        tcp.encode_options(TcpOptions(mss=1, timestamps=(1, 2), sack_blocks=((1, 2),) * 4))


def test_listener_answers_a_linux_like_syn_built_by_scapy():
    """A SYN as Linux sends it (crafted by scapy) gets a SYN-ACK that scapy dissects with
    every option answered; the options the SYN lacked are absent."""
    from stack.tcp import TcpConfig, TcpLayer
    from .harness import FakeEnv
    env = FakeEnv((D,))
    layer = TcpLayer(env, TcpConfig())
    layer.listen(layer.bind(D, 80), 5)
    syn = TCP(sport=40000, dport=80, seq=12345, flags="S", window=64240,
              options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (777, 0)), ("NOP", None), ("WScale", 7)])
    raw = bytes(IP(src=ip_s(S), dst=ip_s(D)) / syn)[20:]
    layer.input(S, D, memoryview(raw), 0)
    (src, dst, out), = env.sent
    t = scapy_tcp(out, D, S)[TCP]
    assert str(t.flags) == "SA" and t.ack == 12346 and t.window == 65535
    o = dict(t.options)
    assert o["MSS"] == 1460 and o["WScale"] == 3 and "SAckOK" in o and o["Timestamp"][1] == 777
    env.sent.clear()
    syn2 = TCP(sport=40001, dport=80, seq=5, flags="S", window=1000, options=[("MSS", 536)])
    layer.input(S, D, memoryview(bytes(IP(src=ip_s(S), dst=ip_s(D)) / syn2)[20:]), 0)
    (src, dst, out), = env.sent
    assert dict(scapy_tcp(out, D, S)[TCP].options) == {"MSS": 1460}


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
       st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.binary(max_size=200), st.booleans(), st.booleans())
def test_build_fast_equals_build(sport, dport, seq, ack, flags, window, payload, ts, v6):
    src, dst = (S6, D6) if v6 else (S, D)
    opts = tcp.encode_ts(seq, ack) if ts else b""
    base = tcp.checksum_base(sport, dport, src, dst)
    assert tcp.build_fast(base, sport, dport, seq, ack, flags, window, payload, opts) == \
        tcp.build(sport, dport, seq, ack, flags, window, payload, src, dst, options=opts)
