"""The sender's SACK scoreboard (RFC 6675 §3, §4).

Ranges are held as offsets from SND.UNA (so no modular arithmetic inside), merged and
sorted; `advance()` rebases them when SND.UNA moves.  The receiver's blocks come from
the reassembly queue (`Reassembly.blocks`).
"""

from __future__ import annotations

from ..seq import seq_sub


class Scoreboard:
    __slots__ = ("ranges", "sacked")

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []  # [start, end) offsets from SND.UNA
        self.sacked = 0

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def update(self, blocks, snd_una: int, snd_max: int) -> int:
        """Merge received SACK blocks; returns the bytes newly marked.  Blocks below
        SND.UNA (D-SACK, RFC 2883) or beyond SND.MAX (invalid, RFC 2018) are ignored."""
        limit = seq_sub(snd_max, snd_una)
        before = self.sacked
        for left, right in blocks:
            s = seq_sub(left, snd_una)
            e = seq_sub(right, snd_una)
            if s < 0:
                s = 0
            if e > limit or e <= s:
                continue
            self._add(s, e)
        return self.sacked - before

    def _add(self, s: int, e: int) -> None:
        r = self.ranges
        i = 0
        while i < len(r) and r[i][1] < s:
            i += 1
        j = i
        while j < len(r) and r[j][0] <= e:
            s = min(s, r[j][0])
            e = max(e, r[j][1])
            j += 1
        old = sum(x[1] - x[0] for x in r[i:j])
        r[i:j] = [[s, e]]
        self.sacked += (e - s) - old

    def advance(self, n: int) -> None:
        keep = []
        total = 0
        for s, e in self.ranges:
            s -= n
            e -= n
            if e <= 0:
                continue
            if s < 0:
                s = 0
            keep.append([s, e])
            total += e - s
        self.ranges = keep
        self.sacked = total

    def clear(self) -> None:
        self.ranges = []
        self.sacked = 0

    def sacked_end(self, off: int) -> int | None:
        """If `off` lies in a SACKed range, where that range ends."""
        for s, e in self.ranges:
            if s <= off < e:
                return e
            if s > off:
                return None
        return None

    def highest(self) -> int:
        return self.ranges[-1][1] if self.ranges else 0

    def lost_edge(self, dup_bytes: int) -> int:
        """Offset below which every un-SACKed byte counts as lost: RFC 6675 IsLost()
        holds when at least DupThresh*SMSS bytes above it are SACKed."""
        acc = 0
        for s, e in reversed(self.ranges):
            acc += e - s
            if acc >= dup_bytes:
                return s
        return 0

    def holes_below(self, edge: int, start: int = 0):
        """Un-SACKed (start, end) ranges in [start, edge)."""
        pos = 0
        for s, e in self.ranges:
            if s >= edge:
                break
            if s > pos and s > start:
                yield max(pos, start), s
            pos = e
        if pos < edge and edge > start:
            yield max(pos, start), edge

    def hole_bytes_below(self, edge: int, start: int = 0) -> int:
        return sum(e - s for s, e in self.holes_below(edge, start))


class _NoScoreboard(Scoreboard):
    """The scoreboard of a connection no SACK block has reached: one shared instance,
    `NO_SCOREBOARD`, empty for good (its ranges are a tuple and `update` refuses), so that
    opening a connection builds none.  The connection swaps in its own `Scoreboard` before
    the first update; everything else reads it as the empty scoreboard it is."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__()
        self.ranges = ()

    def update(self, blocks, snd_una: int, snd_max: int) -> int:
        raise TypeError("NO_SCOREBOARD is shared: give the connection its own Scoreboard first")

    def advance(self, n: int) -> None:
        pass  # nothing to rebase

    def clear(self) -> None:
        pass


NO_SCOREBOARD = _NoScoreboard()
