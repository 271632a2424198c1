"""zero-window: a slow reader closes the window; the sender probes until it opens (RFC 9293 §3.8.6.1).

The receiver's buffer is small (SO_RCVBUF) and it reads slowly.  Once its buffer is full
it advertises a zero window; the sender stops and its persist timer sends window probes
(with backoff) instead of giving up.  Each read frees space, a window update reopens the
flow, and every byte arrives in order.
"""

import hashlib

from scenarios.tcp_basics import lan

NAME = "zero-window"
SIZE = 200_000


def run(ctx) -> None:
    net, h1, h2 = lan(ctx)
    ctx.start_capture()
    data = bytes(i % 253 for i in range(SIZE))

    def slow_reader(socket):
        with socket.socket() as ls:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
            ls.bind(("", 5001))
            ls.listen()
            c, _ = ls.accept()
            h = hashlib.sha256()
            n = 0
            h2.sleep(2.0)  # a slow start: the window closes
            while True:
                d = c.recv(4096)
                if not d:
                    break
                h.update(d)
                n += len(d)
                h2.sleep(0.05)
            return n, h.hexdigest()

    def writer(socket):
        s = socket.socket()
        s.connect(("192.0.2.2", 5001))
        s.sendall(data)
        s.close()

    r = h2.spawn(slow_reader)
    h1.spawn(writer)
    net.run()
    n, digest = r.result
    zero_acks = sum(1 for e in net.tracer.select(host="h1", layer="tcp", event="window_probe"))
    ctx.say(f"  {n} bytes in {net.now:.2f} s; sender's window probes: {h1.stats['tcp.tx.window_probe']}")
    ctx.check(n == SIZE and digest == hashlib.sha256(data).hexdigest(), "every byte arrived, in order")
    ctx.check(h1.stats["tcp.tx.window_probe"] >= 1 or zero_acks >= 1, "the sender probed the zero window")
