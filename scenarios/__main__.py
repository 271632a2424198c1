"""The scenario command line.

    python -m scenarios list
    python -m scenarios run NAME [--seed N] [--pcap FILE] [--trace]
    python -m scenarios run showcase
    python -m scenarios bench [--json FILE] [--only NAME...]
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import REGISTRY, SHOWCASE
from .base import Context


def load(name: str):
    if name == "showcase":
        name = SHOWCASE
    if name not in REGISTRY:
        raise SystemExit(f"unknown scenario {name!r}; try: python -m scenarios list")
    return importlib.import_module(REGISTRY[name])


def run_scenario(name: str, seed: int = 1, pcap: str | None = None, trace: bool = False, quiet: bool = False) -> Context:
    mod = load(name)
    ctx = Context(seed=seed, pcap=pcap, trace=trace, quiet=quiet)
    ctx.say(f"== {mod.NAME} (seed {seed}) ==")
    doc = (mod.__doc__ or "").strip().split("\n", 2)
    if len(doc) > 2:
        ctx.say(doc[2].strip() + "\n")
    mod.run(ctx)
    if ctx.net is not None:
        ctx.net.stop_capture()
    ctx.say(f"== {mod.NAME}: {'passed' if ctx.passed else 'FAILED'} ({sum(ok for ok, _ in ctx.checks)}/"
            f"{len(ctx.checks)} checks) at virtual time {ctx.net.now if ctx.net else 0:.6f} s ==")
    return ctx


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m scenarios", description="Teaching scenarios on a simulated network")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the scenarios")
    r = sub.add_parser("run", help="run one scenario")
    r.add_argument("name")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--pcap", help="write every frame to this pcapng file")
    r.add_argument("--trace", action="store_true", help="print every trace event")
    b = sub.add_parser("bench", help="run the benchmarks, print a table and write JSON")
    b.add_argument("--json", default="bench-results.json")
    b.add_argument("--only", nargs="*")
    args = p.parse_args(argv)
    if args.cmd == "list":
        for name, modname in REGISTRY.items():
            mod = importlib.import_module(modname)
            first = (mod.__doc__ or "").strip().splitlines()[0]
            print(f"{name:20s} {first.split(':', 1)[-1].strip()}")
        return 0
    if args.cmd == "run":
        ctx = run_scenario(args.name, args.seed, args.pcap, args.trace)
        return 0 if ctx.passed else 1
    from .bench import main as bench_main

    return bench_main(args.json, args.only)


if __name__ == "__main__":
    sys.exit(main())
