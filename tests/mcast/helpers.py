"""A tiny environment for the sans-IO multicast layers: seeded rng, counters, a trace list,
a send callback that records (time, iface, dst, message), and a virtual clock that jumps
from deadline to deadline."""

import random
from collections import Counter

from stack.addr import ip

LL = ip("fe80::1")


class Env:
    def __init__(self, seed=1, link_local=LL):
        self.rng = random.Random(seed)
        self.stats = Counter()
        self.events = []
        self.sent = []
        self.now = 0
        self.link_local = link_local

    def trace(self, layer, event, **fields):
        self.events.append((self.now, layer, event, fields))

    def link_local_of(self, iface):
        return self.link_local

    def send(self, iface, dst, message):
        self.sent.append((self.now, iface, dst, bytes(message)))

    def run(self, layer, until):
        """Poll `layer` at each of its deadlines up to `until` (µs), then set the clock there."""
        while True:
            t = layer.poll_at()
            if t is None or t > until:
                break
            self.now = max(self.now, t)
            layer.poll(self.now)
        self.now = until

    def take(self):
        out, self.sent = self.sent, []
        return out

    def named(self, event):
        return [e for e in self.events if e[2] == event]
