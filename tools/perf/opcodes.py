"""Python opcodes executed per unit of work, by function (deterministic; a rough guide,
since calls, allocations and arithmetic on big ints cost far more than simple opcodes):

    PYTHONPATH=. python3 tools/perf/opcodes.py conn|rt N [top]
"""
import sys, collections
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as work
kind, N = sys.argv[1], int(sys.argv[2])
top = int(sys.argv[3]) if len(sys.argv) > 3 else 45
ops = collections.Counter()
def tracer(frame, event, arg):
    frame.f_trace_opcodes = True
    return local
def local(frame, event, arg):
    if event == "opcode":
        co = frame.f_code
        ops[(co.co_filename.rsplit("/", 2)[-2:] and "/".join(co.co_filename.rsplit("/", 2)[-2:]), co.co_qualname)] += 1
    return local
if kind == "conn":
    work.bench._tcp_connections_run(50)
    sys.settrace(tracer); work.bench._tcp_connections_run(N); sys.settrace(None)
else:
    # trace only the timed loop's steady state: run twice, count the difference
    sys.settrace(tracer); work.rt(N); sys.settrace(None)
    first = ops.copy(); ops.clear()
    sys.settrace(tracer); work.rt(2 * N); sys.settrace(None)
    ops.subtract(first)
tot = sum(ops.values())
print(f"{tot / N:.0f} opcodes per unit")
for k, v in ops.most_common(top):
    print(f"{v / N:8.1f} {100 * v / tot:5.1f}% {k[0]}:{k[1]}")
