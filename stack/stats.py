"""Named event counters: what a host, a link or a switch counts (`stats["tcp.rx.fin"] += 1`)."""

from __future__ import annotations


class Stats(dict):
    """A dict of counters in which a missing name reads as 0 without being stored, as in
    `collections.Counter` (so looking at a counter never adds one).

    Not Counter itself: Counter defines `__delitem__` in Python, and a class that does
    routes every item store through a Python-level slot wrapper, which makes `+= 1` about
    twice as slow as on a plain dict.  Counters are bumped a dozen times per segment, so
    this one keeps dict's own stores and offers the one Counter method worth having here."""

    __slots__ = ()

    def __missing__(self, key) -> int:
        return 0

    def most_common(self, n: int | None = None) -> list[tuple[str, int]]:
        """The counters from the largest down (the first `n` of them), as Counter's."""
        ranked = sorted(self.items(), key=lambda kv: kv[1], reverse=True)
        return ranked if n is None else ranked[:n]

    def __repr__(self) -> str:
        return f"Stats({dict.__repr__(self)})"
