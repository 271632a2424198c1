"""What every scenario shares: a network built with the run's seed, capture, trace, narration, checks."""

from __future__ import annotations

import sys

from stack import Network


class ScenarioFailed(AssertionError):
    pass


class Context:
    """Handed to each scenario's `run(ctx)`.  `ctx.check` records an expected outcome."""

    def __init__(self, seed: int = 1, pcap: str | None = None, trace: bool = False, quiet: bool = False,
                 out=None) -> None:
        self.seed = seed
        self.pcap = pcap
        self.trace = trace
        self.quiet = quiet
        self.out = out or sys.stdout
        self.failures: list[str] = []
        self.checks: list[tuple[bool, str]] = []
        self.net: Network | None = None

    def network(self, **kw) -> Network:
        net = Network(seed=self.seed, **kw)
        self.net = net
        if self.trace:
            net.trace(lambda ev: self.say(f"  trace {ev}"))
        return net

    def start_capture(self, links=None) -> None:
        """Begin the pcap (call once the links exist)."""
        if self.pcap and self.net is not None:
            self.net.capture(self.pcap, links)

    def say(self, text: str = "") -> None:
        if not self.quiet:
            print(text, file=self.out)

    def check(self, ok: bool, what: str) -> bool:
        self.checks.append((bool(ok), what))
        self.say(f"  [{'ok' if ok else 'FAILED'}] {what}")
        if not ok:
            self.failures.append(what)
        return bool(ok)

    @property
    def passed(self) -> bool:
        return not self.failures and bool(self.checks)
