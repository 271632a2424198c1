"""http-over-stack: the standard library's http.server and urllib.request, unmodified, across a router and a lossy link.

h2 runs `http.server.ThreadingHTTPServer` with `SimpleHTTPRequestHandler` serving a
directory; h1 fetches a 1 MB document from it with `urllib.request`, by name
(`http://h2:8000/...`).  Neither program knows about the stack: `socketapi.patch()`
makes the standard library's `socket`, `selectors`, `time` and (for the threading
server) `threading.Thread` resolve to it, so each connection's handler thread is a
simulated task and every clock they read is virtual.  The path is h1 - r1 - h2 with 20 ms
each way and 2% loss on the link to h2: TCP repairs the losses, and the document arrives
byte-identical (sha256).
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile

NAME = "http-over-stack"
SIZE = 1_000_000
PORT = 8000


def run(ctx) -> None:
    import socketapi

    net = ctx.network()
    h1 = net.add_host("h1", ip="192.0.2.1/24", gateway="192.0.2.254")
    r1 = net.add_router("r1", ip=["192.0.2.254/24", "198.51.100.254/24"])
    h2 = net.add_host("h2", ip="198.51.100.2/24", gateway="198.51.100.254")
    client_side = net.add_link(h1, r1, delay=0.010)
    lossy = net.add_link(r1, h2, delay=0.010, loss=0.02)
    ctx.start_capture(links=[client_side])  # each segment once (a frame crossing both links is one packet)

    doc = random.Random(ctx.seed).randbytes(SIZE)
    digest = hashlib.sha256(doc).hexdigest()
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "document.bin")
        with open(path, "wb") as f:
            f.write(doc)
        os.utime(path, (946_684_800, 946_684_800))  # a fixed Last-Modified: same seed, same bytes
        ctx.say(f"  h2 serves {SIZE:,} bytes (sha256 {digest[:16]}...) with http.server; h1 fetches it")
        server_box: list = []
        log: list[str] = []

        def server(_sk):
            import http.server

            class Handler(http.server.SimpleHTTPRequestHandler):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, directory=root, **kwargs)

                def log_message(self, fmt, *args):  # to the narration, not stderr
                    log.append(f"{self.address_string()} - [{self.log_date_time_string()}] {fmt % args}")

            srv = http.server.ThreadingHTTPServer(("", PORT), Handler)
            server_box.append(srv)
            srv.serve_forever(poll_interval=0.5)
            srv.server_close()

        def client(_sk):
            import time
            import urllib.request

            t0 = time.monotonic()
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # ignore *_proxy variables
            with opener.open(f"http://h2:{PORT}/document.bin", timeout=30) as r:
                body = r.read()
                headers = {k.lower(): v for k, v in r.headers.items()}
                status = r.status
            elapsed = time.monotonic() - t0
            server_box[0].shutdown()
            return status, headers, body, elapsed

        with socketapi.patch():
            h2.spawn(server)
            task = h1.spawn(client)
            net.run()
    status, headers, body, elapsed = task.result
    for line in log:
        ctx.say(f"  server log: {line}")
    ctx.say(f"  HTTP {status}, Content-Length {headers.get('content-length')}, "
            f"Content-Type {headers.get('content-type')}, Server {headers.get('server')}")
    ctx.say(f"  {len(body):,} bytes in {elapsed:.3f} virtual seconds; the lossy link dropped "
            f"{lossy.stats['drop.loss']} frames, h2 retransmitted {h2.stats['tcp.tx.retransmit']} segments")
    ctx.check(status == 200 and headers.get("content-length") == str(SIZE), "HTTP 200 with the document's length")
    ctx.check(len(body) == SIZE and hashlib.sha256(body).hexdigest() == digest,
              "the 1 MB document arrived byte-identical (sha256)")
    ctx.check(lossy.stats["drop.loss"] > 0 and h2.stats["tcp.tx.retransmit"] > 0,
              "the link lost frames and TCP repaired them")
    ctx.check(r1.stats["ip.fwd.packets"] > 700, f"r1 forwarded every packet ({r1.stats['ip.fwd.packets']})")
