"""lossy-bulk: 10 MB across a lossy, slow link; NewReno against CUBIC (RFC 6582, RFC 9438).

h1 sends 10 MB to h2 over a 100 Mbit/s path with 10 ms of delay each way and 1% loss in
both directions, first with NewReno, then with CUBIC, recording the congestion window.
Each loss is repaired by fast retransmit and SACK-based recovery (RFC 6675) or, rarely, a
retransmission timeout; every byte arrives (sha256).  Only the lossy link is captured, so
tshark's TCP analysis sees each segment once: its retransmissions should line up with the
segments the link dropped.
"""

import hashlib

NAME = "lossy-bulk"
SIZE = 10_000_128  # 10 MB, a whole number of 256-byte patterns


def transfer(ctx, algo: str, capture: bool):
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    lossy = net.add_link(h1, s1, delay=0.010, bandwidth=100_000_000, loss=0.01, queue=1000)
    net.add_link(h2, s1, delay=0.0001)
    h1.config.tcp.congestion = algo
    if capture:
        ctx.start_capture(links=[lossy])
    data = bytes(range(256)) * (SIZE // 256)

    def sink(socket):
        with socket.socket() as ls:
            ls.bind(("", 5001))
            ls.listen()
            c, _ = ls.accept()
            h = hashlib.sha256()
            n = 0
            while True:
                d = c.recv(262144)
                if not d:
                    return n, h.hexdigest()
                h.update(d)
                n += len(d)

    def source(socket):
        from stack.tcp.config import SocketOptions  # noqa: F401  (documents where `record` lives)

        s = socket.socket()
        s._tcpopts.record = True  # keep the (time, cwnd, ssthresh, srtt, rto, inflight, rwnd) series
        s.connect(("192.0.2.2", 5001))
        s.sendall(data)
        series = s._conn.series
        s.close()
        return series

    r = h2.spawn(sink)
    t = h1.spawn(source)
    net.run()
    n, digest = r.result
    return net, lossy, h1, n, digest == hashlib.sha256(data).hexdigest(), t.result


def run(ctx) -> None:
    ctx.lossy_bulk = {}
    for algo in ("newreno", "cubic"):
        net, lossy, h1, n, ok, series = transfer(ctx, algo, capture=(algo == "cubic"))
        mss = 1448
        peak = max(c for _, c, *_ in series) if series else 0
        ctx.say(f"  {algo:8s}: {n / 1e6:.2f} MB in {net.now:.2f} s ({n * 8 / net.now / 1e6:.1f} Mbit/s), "
                f"link dropped {lossy.stats['drop.loss']}, retransmitted {h1.stats['tcp.tx.retransmit']}, "
                f"peak cwnd {peak // mss if peak > 1000 else peak} segments, {len(series)} samples")
        ctx.check(n == SIZE and ok, f"{algo}: 10 MB arrived byte-identical")
        ctx.check(h1.stats["tcp.tx.retransmit"] >= 1 and lossy.stats["drop.loss"] >= 1,
                  f"{algo}: losses happened and were repaired")
        ctx.lossy_bulk[algo] = dict(time=net.now, lost=list(lossy.lost), series=series)
