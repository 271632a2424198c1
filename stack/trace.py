"""Structured trace events: `(time_us, host, layer, event, fields)`.

Every decision the stack makes (a drop, a state change, an address resolved, an ICMP error
sent) is one event.  Events go to the network's `Tracer`, which keeps the most recent ones
in a ring for tests and post-mortems and hands each to subscribers (the scenario runner
prints them).  Per-frame events are recorded only when the tracer is verbose, so a fast
bulk transfer does not pay for text it will not show.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple


_new = tuple.__new__


class TraceEvent(NamedTuple):
    time: int  # microseconds
    host: str
    layer: str
    event: str
    fields: dict

    def __str__(self) -> str:
        return format_event(self)


def format_event(ev: TraceEvent) -> str:
    fields = " ".join(f"{k}={_fmt(v)}" for k, v in ev.fields.items())
    return f"{ev.time / 1e6:12.6f} {ev.host:<8} {ev.layer:<6} {ev.event}" + (f" {fields}" if fields else "")


def _fmt(v) -> str:
    if isinstance(v, bytes):
        from .addr import ip_str, mac_str

        if len(v) in (4, 16):
            return ip_str(v)
        if len(v) == 6:
            return mac_str(v)
        return v.hex()
    return str(v)


class TraceEvents:
    """The tracer's ring as `TraceEvent`s: a read-only sequence, oldest first.

    The ring itself keeps each event as one plain tuple, `(time, host, layer, event,
    names, *values)`: the field names as a tuple (usually a shared constant), then their
    values.  A connection cycle
    records nine state changes, and a busy host keeps a hundred thousand events.  A
    `TraceEvent` (a tuple subclass) holding a `fields` dict is an object the garbage
    collector examines at every full collection for as long as it is kept; a plain tuple
    of strings and numbers drops out of its view at the first collection that looks at
    it (CPython untracks such tuples), and costs one allocation instead of three (and
    each allocation the collector tracks brings its next collection nearer).  The event is
    made when someone reads it, which tests and post-mortems do rarely."""

    __slots__ = ("_ring",)

    def __init__(self, ring: deque) -> None:
        self._ring = ring

    def __len__(self) -> int:
        return len(self._ring)

    def __iter__(self):
        return map(_event, self._ring)

    def __reversed__(self):
        return map(_event, reversed(self._ring))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [_event(r) for r in list(self._ring)[i]]
        return _event(self._ring[i])

    def clear(self) -> None:
        self._ring.clear()

    def __repr__(self) -> str:
        return f"<TraceEvents: {len(self._ring)} kept>"


def _event(rec: tuple) -> TraceEvent:
    """A ring record as its `TraceEvent`."""
    return _new(TraceEvent, (rec[0], rec[1], rec[2], rec[3], dict(zip(rec[4], rec[5:]))))


class Tracer:
    """Collects trace events for one network (or one stand-alone host).

    `events` reads the most recent `keep` of them (see `TraceEvents` for how they are
    kept); `subscribe(fn)` hands each new one to `fn` as it happens."""

    def __init__(self, keep: int = 100_000, verbose: bool = False) -> None:
        self.ring: deque[tuple] = deque(maxlen=keep)  # records (see TraceEvents)
        self.subscribers: list = []
        self.verbose = verbose

    @property
    def events(self) -> TraceEvents:
        return TraceEvents(self.ring)

    def emit(self, time: int, host: str, layer: str, event: str, fields: dict) -> None:
        # (Connection._set_state does the same inline: keep the two alike.)
        self.ring.append((time, host, layer, event, tuple(fields), *fields.values()))
        if self.subscribers:
            ev = _new(TraceEvent, (time, host, layer, event, fields))  # without NamedTuple's Python __new__
            for fn in self.subscribers:
                fn(ev)

    def subscribe(self, fn) -> None:
        self.subscribers.append(fn)

    def select(self, host: str | None = None, layer: str | None = None, event: str | None = None) -> list[TraceEvent]:
        """Recorded events matching every given criterion (a test's view of the trace)."""
        return [
            _event(r) for r in self.ring
            if (host is None or r[1] == host) and (layer is None or r[2] == layer)
            and (event is None or r[3] == event)
        ]
