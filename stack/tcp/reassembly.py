"""Out-of-order receive queue (RFC 9293 §3.10.7.4 seventh step, "segments with higher
beginning sequence numbers ... may be held") with a memory bound.

Pieces are held at offsets relative to RCV.NXT (always > 0), merged on overlap or
adjacency so a hostile peer sending overlapping slivers cannot grow the piece count
past `limit_segs`; total bytes are bounded by `limit_bytes` (the free receive buffer).
Each piece remembers when it was last extended, so `blocks()` can report the most
recently changed one first, as RFC 2018 §4 requires for SACK.
"""

from __future__ import annotations


class Reassembly:
    __slots__ = ("pieces", "nbytes", "limit_segs", "stamp")

    def __init__(self, limit_segs: int = 512) -> None:
        self.pieces: list[list] = []  # [start, end, data(bytes), stamp], sorted by start
        self.nbytes = 0
        self.limit_segs = limit_segs
        self.stamp = 0

    def __bool__(self) -> bool:
        return bool(self.pieces)

    def __len__(self) -> int:
        return len(self.pieces)

    def add(self, off: int, data, limit_bytes: int) -> bool:
        """Hold `data` starting `off` (> 0) bytes past RCV.NXT; False if refused (full)."""
        end = off + len(data)
        pieces = self.pieces
        i = 0
        n = len(pieces)
        while i < n and pieces[i][1] < off:
            i += 1
        j = i
        while j < n and pieces[j][0] <= end:
            j += 1
        over = pieces[i:j]
        if len(over) == 1 and over[0][0] <= off and end <= over[0][1]:
            return True  # wholly duplicate
        ms = min(off, over[0][0]) if over else off
        me = max(end, over[-1][1]) if over else end
        added = (me - ms) - sum(p[1] - p[0] for p in over)
        if self.nbytes + added > limit_bytes or (not over and n >= self.limit_segs):
            return False
        if over:
            buf = bytearray(me - ms)
            buf[off - ms:end - ms] = data
            for p in over:
                buf[p[0] - ms:p[1] - ms] = p[2]
            data = bytes(buf)
        else:
            data = bytes(data)
        self.stamp += 1
        pieces[i:j] = [[ms, me, data, self.stamp]]
        self.nbytes += added
        return True

    def advance(self, n: int) -> bytes:
        """RCV.NXT moved forward by n; returns data now contiguous at the new RCV.NXT
        (the caller appends it and calls advance again with its length)."""
        out = b""
        keep = []
        for p in self.pieces:
            p[0] -= n
            p[1] -= n
            if p[1] <= 0:
                self.nbytes -= len(p[2])
                continue
            if p[0] <= 0:
                cut = -p[0]
                out = p[2][cut:]
                self.nbytes -= len(p[2])
                continue
            keep.append(p)
        self.pieces = keep
        return out

    def blocks(self, limit: int = 4) -> list[tuple[int, int]]:
        """(start, end) offsets, most recently changed first (RFC 2018 §4)."""
        ordered = sorted(self.pieces, key=lambda p: -p[3])[:limit]
        return [(p[0], p[1]) for p in ordered]

    def clear(self) -> None:
        self.pieces = []
        self.nbytes = 0


class _NoReassembly(Reassembly):
    """The out-of-order queue of a connection that has received nothing out of order: one
    shared instance, `NO_REASSEMBLY`, empty for good (its pieces are a tuple and `add`
    refuses), so that opening a connection builds none.  The connection swaps in its own
    `Reassembly` before the first `add`; everything else reads it as the empty queue it is."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0)
        self.pieces = ()

    def add(self, off: int, data, limit_bytes: int) -> bool:
        raise TypeError("NO_REASSEMBLY is shared: give the connection its own Reassembly first")

    def advance(self, n: int) -> bytes:
        return b""  # nothing held

    def clear(self) -> None:
        pass


NO_REASSEMBLY = _NoReassembly()
