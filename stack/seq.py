"""32-bit modular sequence-number arithmetic (RFC 9293 §3.4, RFC 1982 serial numbers).

TCP sequence numbers live on a circle of 2**32; "a < b" means b is less than half the
circle ahead of a.  Every comparison in the stack goes through these helpers so that a
transfer crossing 2**32 behaves exactly like one starting at 0.
"""

MASK = 0xFFFFFFFF
HALF = 0x80000000


def seq_lt(a: int, b: int) -> bool:
    """a precedes b (the signed distance b - a is positive)."""
    d = (b - a) & MASK
    return 0 < d < HALF or (d == HALF and a > b)


# The other three say what seq_lt says, each written out: they run many times per segment,
# and a call saved is a tenth of a microsecond.

def seq_le(a: int, b: int) -> bool:
    """a == b or seq_lt(a, b)."""
    d = (b - a) & MASK
    return d < HALF or (d == HALF and a > b)


def seq_gt(a: int, b: int) -> bool:
    """seq_lt(b, a)."""
    d = (a - b) & MASK
    return 0 < d < HALF or (d == HALF and b > a)


def seq_ge(a: int, b: int) -> bool:
    """a == b or seq_lt(b, a)."""
    d = (a - b) & MASK
    return d < HALF or (d == HALF and b > a)


def seq_add(a: int, n: int) -> int:
    """a + n on the circle (n may be negative)."""
    return (a + n) & MASK


def seq_sub(a: int, b: int) -> int:
    """Signed distance a - b in -2**31 .. 2**31-1."""
    d = (a - b) & MASK
    return d - 0x100000000 if d & HALF else d


def seq_in_window(x: int, start: int, size: int) -> bool:
    """start <= x < start + size on the circle (an empty window holds nothing)."""
    return ((x - start) & MASK) < size


def seq_max(a: int, b: int) -> int:
    return b if seq_lt(a, b) else a


def seq_min(a: int, b: int) -> int:
    return a if seq_lt(a, b) else b
