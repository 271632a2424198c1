"""Randomised applications over randomised paths: both directions, odd buffer sizes,
MTUs and option sets; every byte must arrive, both sides must end closed or in
TIME_WAIT, and no transition may break the Figure 5 table.  (The two bugs this kind of
run found have their own crafted-segment tests in test_reliability.py.)"""

import random

import pytest

from stack.clock import MS, SECOND
from stack.tcp import SocketOptions, State, TcpConfig

from .harness import A, Wire

SEEDS = list(range(1, 25))


def chaos(seed: int):
    rng = random.Random(seed)
    cfg = TcpConfig(congestion=rng.choice(["cubic", "newreno"]), sack=rng.random() < 0.7,
                    timestamps=rng.random() < 0.7, window_scaling=rng.random() < 0.7,
                    rcvbuf=rng.choice([4000, 20000, 262144]), sndbuf=rng.choice([3000, 50000, 262144]))
    w = Wire(seed=seed, loss=rng.choice([0, 0.01, 0.1, 0.3]), dup=rng.choice([0, 0.05]),
             reorder=rng.choice([0, 0.1]), corrupt=rng.choice([0, 0.02]), delay=rng.choice([100, 5 * MS, 50 * MS]),
             jitter=rng.choice([0, 3 * MS]), config=cfg, mtu=rng.choice([576, 1500, 9000]))
    loss = w.loss
    w.loss = 0
    ca, cb, _ = w.connect(opts_a=SocketOptions(nodelay=rng.random() < 0.5))
    w.loss = loss
    a2b = rng.randbytes(rng.randrange(0, 300000))
    b2a = rng.randbytes(rng.randrange(0, 100000))
    got = {ca: bytearray(), cb: bytearray()}
    pos = {ca: 0, cb: 0}
    src = {ca: a2b, cb: b2a}
    shut = set()
    eof = set()
    idle = 0
    for _ in range(2_000_000):
        for c in (ca, cb):
            data = src[c]
            if rng.random() < 0.3 and pos[c] < len(data):
                pos[c] += c.send(data[pos[c]:pos[c] + rng.randrange(1, 20000)], w.now)
            if pos[c] >= len(data) and c not in shut:
                c.shutdown(1, w.now)
                shut.add(c)
            if rng.random() < 0.5 and c not in eof:
                try:
                    d = c.recv(rng.randrange(1, 50000), w.now)
                except BlockingIOError:
                    continue
                if not d:
                    eof.add(c)
                got[c] += d
        if len(eof) == 2:
            break
        if w.step():
            idle = 0
        else:
            idle += 1
            if idle > 2000:
                break
    w.run(until=w.now + 3000 * SECOND)
    return ca, cb, bytes(got[cb]) == a2b, bytes(got[ca]) == b2a


@pytest.mark.parametrize("seed", SEEDS)
def test_chaos(seed):
    ca, cb, ab_ok, ba_ok = chaos(seed)
    assert ab_ok and ba_ok
    assert ca.state in (State.TIME_WAIT, State.CLOSED) and cb.state in (State.TIME_WAIT, State.CLOSED)


def lifecycle(seed: int):
    """Random connects, accepts, sends, reads, shutdowns, closes (some with SO_LINGER 0)
    and aborts, with keepalive on some sockets, over a lossy path; then everything is
    closed and virtual time runs past every timer."""
    rng = random.Random(seed)
    cfg = TcpConfig(congestion=rng.choice(["cubic", "newreno"]), sack=rng.random() < 0.7,
                    timestamps=rng.random() < 0.7, window_scaling=rng.random() < 0.7,
                    rcvbuf=rng.choice([4000, 20000, 262144]), sndbuf=rng.choice([3000, 50000, 262144]),
                    syn_retries=3, retries2=5)
    w = Wire(seed=seed, loss=rng.choice([0, 0.05, 0.3]), dup=rng.choice([0, 0.05]), reorder=rng.choice([0, 0.1]),
             corrupt=rng.choice([0, 0.02]), delay=rng.choice([100, 5 * MS]), config=cfg, mtu=rng.choice([576, 1500]))
    from .harness import B
    lb = w.b.listen(w.b.bind(B, 80, reuseaddr=True), rng.choice([0, 1, 5]))
    conns = []
    for _ in range(20000):
        r = rng.random()
        if r < 0.02:
            opts = SocketOptions(keepalive=rng.random() < 0.3, keepidle=5 * SECOND, keepintvl=SECOND, keepcnt=2,
                                 linger=rng.choice([None, None, 0]))
            conns.append(w.a.connect(None, (B, rng.choice([80, 81])), w.now, opts))
        elif r < 0.04:
            c = lb.accept()
            if c:
                conns.append(c)
        elif r < 0.4 and conns:
            c = rng.choice(conns)
            op = rng.choice(["send", "recv", "recv", "shut", "close", "abort", "peek"])
            try:
                if op == "send":
                    c.send(rng.randbytes(rng.randrange(1, 5000)), w.now)
                elif op == "recv":
                    c.recv(rng.randrange(1, 5000), w.now)
                elif op == "peek":
                    c.recv(10, w.now, peek=True)
                elif op == "shut":
                    c.shutdown(rng.choice([0, 1, 2]), w.now)
                elif op == "close":
                    c.close(w.now)
                    conns.remove(c)
                else:
                    c.abort(w.now)
                    conns.remove(c)
            except OSError:
                pass  # local misuse and remote errors are reported, never crash
        if not w.step():
            w.now += 1000
    for c in conns:
        c.close(w.now)
    lb.close(w.now)
    w.run(until=w.now + 4000 * SECOND)
    return w


@pytest.mark.parametrize("seed", [5, 6, 7, 8])
def test_lifecycle_chaos_leaves_nothing_behind(seed):
    w = lifecycle(seed)
    assert not w.a.conns and not w.b.conns  # every connection and TIME_WAIT entry gone
    assert not w.a.ports and not w.b.ports  # every port reservation released
    assert w.a.poll_at() is None and w.b.poll_at() is None
    assert w.envs[A].stats["tcp.established"] > 10
