"""The benchmarks' workloads, sized by a count, for deterministic measurement (see
instructions.sh, opcodes.py and fingerprint.py beside this file):

    python3 tools/perf/workloads.py conn N       N connect/accept/close cycles (tcp-connections)
    python3 tools/perf/workloads.py rt N         N 64-byte socket round trips (round-trips, SimRuntime)
    python3 tools/perf/workloads.py ipv4|ipv6 N  a bulk transfer of N KB (tcp-bulk-ipv6's halves)

Each leaves without the interpreter's teardown (see the end), so the counts cover the run.
"""
import os, sys, time
from scenarios import bench
from stack import Network

def rt(count):
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24"); h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.00001); net.add_link(h2, s1, delay=0.00001)
    def server(socket):
        with socket.socket() as ls:
            ls.bind(("", 7)); ls.listen()
            c, _ = ls.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                d = c.recv(64)
                if not d: break
                c.sendall(d)
    def client(socket):
        s = socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(("192.0.2.2", 7)); msg = b"m" * 64
        t0 = time.process_time()
        for _ in range(count):
            s.sendall(msg); got = 0
            while got < 64: got += len(s.recv(64 - got))
        c = time.process_time() - t0; s.close(); return c
    h2.spawn(server); t = h1.spawn(client); net.run(); return t.result

if __name__ == "__main__":
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind in ("ipv4", "ipv6"):
        bench._bulk(kind, n * 1000)
    elif kind == "conn":
        bench._tcp_connections_run(n)
    else:
        rt(n)
    # Leave without the interpreter's teardown: freeing what the run left alive (its trace
    # ring, TIME_WAIT entries) grows with the count but is not the benchmark's work, which
    # times the run alone.
    sys.stdout.flush()
    os._exit(0)
