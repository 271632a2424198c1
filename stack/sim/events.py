"""A deterministic event queue on an integer-microsecond virtual clock.

Events at the same instant run in the order they were scheduled (a sequence number
breaks ties), so the same inputs give the same run, on every machine.
"""

from __future__ import annotations

import heapq
import itertools


class EventQueue:
    __slots__ = ("_heap", "_seq", "now")

    def __init__(self) -> None:
        self._heap: list = []
        self._seq = itertools.count()
        self.now = 0

    def schedule(self, at: int, fn, arg=None) -> None:
        """Call `fn(arg)` at virtual time `at` (microseconds, never in the past)."""
        if at < self.now:
            at = self.now
        heapq.heappush(self._heap, (at, next(self._seq), fn, arg))

    def peek_time(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)

    def pop(self):
        """Remove the next event, advance the clock to it and return (fn, arg)."""
        at, _, fn, arg = heapq.heappop(self._heap)
        self.now = at
        return fn, arg
