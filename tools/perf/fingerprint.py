"""The behaviour fingerprint of a tree: for every scenario (seeds 1 and 2, with and without
capture) and for the benchmarks' workloads, hashes of the pcap bytes, of every trace event
and of node and link stats.  A change meant to be only faster must leave it unchanged:

    PYTHONPATH=. python3 tools/perf/fingerprint.py > /tmp/before.txt
    ... change ...
    PYTHONPATH=. python3 tools/perf/fingerprint.py | diff /tmp/before.txt -
"""
import hashlib, io, os, sys, tempfile, contextlib
import scenarios
from scenarios import __main__ as cli

def h(b):
    return hashlib.sha256(b if isinstance(b, bytes) else b.encode()).hexdigest()[:12]

def fingerprint(net, pcap):
    ev = "\n".join(repr(tuple(e)) for e in net.tracer.events)
    st = repr({n: sorted(getattr(x, "stats", {}).items()) for n, x in sorted(net.nodes.items())})
    lk = repr([sorted(l.stats.items()) for l in net.links])
    return h(open(pcap, "rb").read()) if pcap else None, h(ev), h(st), h(lk), net.now

names = sys.argv[1:] or None
from scenarios.__main__ import run_scenario
from scenarios import REGISTRY
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as work

skip = {"tap-demo"}  # needs a TAP device
for name in (names or list(REGISTRY)):
    if name in skip:
        continue
    for seed in (1, 2):
        for cap in (False, True):
            pcap = tempfile.mktemp(suffix=".pcapng") if cap else None
            with contextlib.redirect_stdout(io.StringIO()) as out:
                ctx = run_scenario(name, seed, pcap, False, quiet=True)
            print(name, seed, cap, ctx.passed, fingerprint(ctx.net, pcap) if ctx.net else None, flush=True)
            if pcap and os.path.exists(pcap):
                os.unlink(pcap)

# benchmark-shaped workloads, captured
import stack
from stack import Network
orig_init = Network.__init__
made = []
def init(self, *a, **k):
    orig_init(self, *a, **k); made.append(self)
Network.__init__ = init
for label, fn in (("conn300", lambda: work.bench._tcp_connections_run(300)), ("rt3000", lambda: work.rt(3000)),
                  ("bulk", lambda: work.bench._tcp_bulk_run(3_000_000))):
    made.clear()
    fn()
    print(label, fingerprint(made[0], None), flush=True)
