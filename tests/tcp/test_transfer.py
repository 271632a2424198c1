"""Two TcpLayers over an impaired virtual wire: byte-identical delivery (sha256) under
loss, reordering, duplication, corruption and delay, with both congestion controllers."""

import hashlib
import random

import pytest

from stack.clock import MS, SECOND
from stack.tcp import SocketOptions, State, TcpConfig

from .harness import A, B, Wire, transfer

MB = 1 << 20


def payload(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def run(size, seed=1, config=None, **impair):
    w = Wire(seed=seed, config=config, **impair)
    loss = w.loss
    w.loss = 0.0  # a clean handshake, then the impairments
    ca, cb, _ = w.connect()
    w.loss = loss
    data = payload(size, seed)
    got = transfer(w, ca, cb, data, limit_us=24 * 3600 * SECOND)
    return w, ca, cb, data, got


MATRIX = [
    ("loss 1%", dict(loss=0.01, delay=20 * MS)),
    ("loss 5%", dict(loss=0.05, delay=5 * MS)),
    ("loss 20%", dict(loss=0.20, delay=1 * MS)),
    ("reorder 10%", dict(reorder=0.10, delay=10 * MS, jitter=5 * MS)),
    ("duplicate 10%", dict(dup=0.10, delay=2 * MS)),
    ("corrupt 2%", dict(corrupt=0.02, delay=2 * MS)),
    ("delay 200ms", dict(delay=200 * MS, jitter=20 * MS, loss=0.005)),
    ("everything", dict(loss=0.03, reorder=0.05, dup=0.05, corrupt=0.01, delay=30 * MS, jitter=10 * MS)),
]


@pytest.mark.parametrize("name,impair", MATRIX, ids=[m[0] for m in MATRIX])
def test_impairment_matrix_10mb(name, impair):
    size = 10 * MB if impair.get("loss", 0) < 0.2 else 2 * MB
    w, ca, cb, data, got = run(size, seed=3, **impair)
    assert len(got) == len(data) and sha(got) == sha(data)
    assert cb.state is State.CLOSE_WAIT
    if impair.get("loss") or impair.get("corrupt"):
        assert w.envs[A].stats["tcp.tx.retransmit"] > 0
    if impair.get("corrupt"):
        assert w.envs[B].stats["tcp.rx.bad_checksum"] + w.envs[A].stats["tcp.rx.bad_checksum"] > 0


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("cc", ["newreno", "cubic"])
@pytest.mark.parametrize("sack", [True, False])
def test_seeds_and_algorithms(seed, cc, sack):
    cfg = TcpConfig(congestion=cc, sack=sack)
    w, ca, cb, data, got = run(MB, seed=seed, config=cfg, loss=0.05, reorder=0.03, dup=0.02, delay=10 * MS)
    assert sha(got) == sha(data)
    assert ca.cc.name == cc and ca.sack_ok == sack


def test_options_off_still_reliable():
    cfg = TcpConfig(timestamps=False, window_scaling=False, sack=False)
    w, ca, cb, data, got = run(MB, config=cfg, loss=0.05, delay=5 * MS)
    assert sha(got) == sha(data) and not ca.ts_ok and ca.snd_wscale == 0


def test_sequence_wrap_during_transfer():
    w = Wire(seed=5, loss=0.02, delay=2 * MS)
    # both ISNs 5000 bytes below 2**32, so the data crosses the wrap at once: RFC 6528's
    # ISN = M + F, M = now // 4 (each connection is made at the wire's now), so F, the high
    # half of the layer's keyed hash of the 4-tuple, is chosen to make M + F that value

    class ChosenHash:  # stands in for the layer's keyed BLAKE2s (copy, update, digest)
        def copy(self):
            return self

        def update(self, data):
            pass

        def digest(self):
            return (((2**32 - 5000 - w.now // 4) & 0xFFFFFFFF) << 32).to_bytes(8, "big")

    for layer in (w.a, w.b):
        layer._keyed = ChosenHash()
    ca, cb, _ = w.connect()
    assert ca.iss == cb.iss == 2**32 - 5000
    data = payload(3 * MB)
    got = transfer(w, ca, cb, data)
    assert sha(got) == sha(data)
    w.run(until=w.now + 10 * SECOND)
    assert ca.state is State.FIN_WAIT_2
    assert ca.snd_una == (2**32 - 5000 + 1 + len(data) + 1) % 2**32  # SYN + data + FIN


def test_no_loss_no_retransmissions():
    w, ca, cb, data, got = run(4 * MB, delay=1 * MS)
    assert got == data
    assert w.envs[A].stats["tcp.tx.retransmit"] == 0 and w.envs[A].stats["tcp.rto"] == 0


def test_bottleneck_loss_and_cwnd_series_newreno_vs_cubic():
    """A rate-limited path with random loss: both algorithms deliver, and their recorded
    series show the multiplicative decrease: NewReno ssthresh = FlightSize/2 (at most
    half of cwnd), CUBIC ssthresh = 0.7 cwnd (RFC 9438 §4.6)."""
    for cc in ("newreno", "cubic"):
        w = Wire(seed=9, delay=10 * MS, rate=10_000_000, config=TcpConfig(congestion=cc))
        ca, cb, _ = w.connect(opts_a=SocketOptions(record=True))
        w.loss = 0.005
        data = payload(4 * MB)
        got = transfer(w, ca, cb, data)
        assert sha(got) == sha(data)
        drops = [(a[1], b[2]) for a, b in zip(ca.series, ca.series[1:]) if b[2] < a[2]]
        ratios = [ssthresh / cwnd for cwnd, ssthresh in drops]
        assert len(ratios) >= 3
        if cc == "cubic":
            assert all(abs(r - 0.7) < 0.01 for r in ratios), ratios
        else:
            assert all(r <= 0.6 for r in ratios) and sorted(ratios)[len(ratios) // 2] > 0.4, ratios
        assert all(len(sample) == 7 for sample in ca.series)
