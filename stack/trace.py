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


class Tracer:
    """Collects trace events for one network (or one stand-alone host)."""

    def __init__(self, keep: int = 100_000, verbose: bool = False) -> None:
        self.events: deque[TraceEvent] = deque(maxlen=keep)
        self.subscribers: list = []
        self.verbose = verbose

    def emit(self, time: int, host: str, layer: str, event: str, fields: dict) -> None:
        # (Connection._set_state does the same inline: keep the two alike.)
        ev = _new(TraceEvent, (time, host, layer, event, fields))  # without NamedTuple's Python __new__
        self.events.append(ev)
        if self.subscribers:
            for fn in self.subscribers:
                fn(ev)

    def subscribe(self, fn) -> None:
        self.subscribers.append(fn)

    def select(self, host: str | None = None, layer: str | None = None, event: str | None = None) -> list[TraceEvent]:
        """Recorded events matching every given criterion (a test's view of the trace)."""
        return [
            e for e in self.events
            if (host is None or e.host == host) and (layer is None or e.layer == layer)
            and (event is None or e.event == event)
        ]
