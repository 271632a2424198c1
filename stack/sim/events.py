"""A deterministic event queue on an integer-microsecond virtual clock.

Events at the same instant run in the order they were scheduled (a sequence number
breaks ties), so the same inputs give the same run, on every machine.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque


class EventQueue:
    """Events are (time, sequence number, fn, arg) on a heap, and (sequence number, fn, arg)
    in `_ready`, a FIFO of events for the current instant (`schedule_now`): the next event
    is the earliest by (time, sequence number) of both.

    The FIFO takes what is scheduled for now again and again (a task's resumption after
    each segment it waited for) without a climb up the heap and a sift down it, each step
    a comparison of two tuples; its events run in their order among the heap's."""

    __slots__ = ("_heap", "_seq", "now", "_ready")

    def __init__(self) -> None:
        self._heap: list = []
        self._seq = itertools.count()
        self.now = 0
        self._ready: deque = deque()

    def schedule(self, at: int, fn, arg=None) -> None:
        """Call `fn(arg)` at virtual time `at` (microseconds, never in the past)."""
        if at < self.now:
            at = self.now
        heapq.heappush(self._heap, (at, next(self._seq), fn, arg))

    def schedule_now(self, fn, arg=None) -> None:
        """`schedule(self.now, fn, arg)`, on the FIFO.  (SimRuntime's task watcher has it
        inlined: keep the two alike.)"""
        self._ready.append((next(self._seq), fn, arg))

    def peek_time(self) -> int | None:
        if self._ready:
            return self.now
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap) + len(self._ready)

    def pop(self):
        """Remove the next event, advance the clock to it and return (fn, arg)."""
        ready = self._ready
        if ready:
            # The FIFO's event first, unless the heap's first is for this instant too and
            # was scheduled before it (or is earlier: a clock set by hand).  (SimRuntime.run
            # has this inlined: keep the two alike.)
            heap = self._heap
            if not heap or heap[0][0] > self.now or heap[0][0] == self.now and heap[0][1] > ready[0][0]:
                _, fn, arg = ready.popleft()
                return fn, arg
        at, _, fn, arg = heapq.heappop(self._heap)
        self.now = at
        return fn, arg
