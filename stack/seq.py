"""32-bit modular sequence-number arithmetic (RFC 9293 §3.4, RFC 1982 serial numbers).

TCP sequence numbers live on a circle of 2**32; "a < b" means b is less than half the
circle ahead of a.  Every comparison in the stack goes through these helpers so that a
transfer crossing 2**32 behaves exactly like one starting at 0.  The comparisons take
sequence numbers as the stack keeps them, in 0 .. 2**32-1.
"""

MASK = 0xFFFFFFFF
HALF = 0x80000000
MINUS_HALF = -HALF  # (for the written-out comparisons: `-HALF` in them would negate every time)
WRAP = 0x100000000  # the whole circle


def seq_lt(a: int, b: int) -> bool:
    """a precedes b (the signed distance b - a is positive).

    On the circle that is d = (b - a) & MASK in 1 .. 2**31-1, or exactly 2**31 with a > b
    (a tie broken by the plain values).  The plain difference b - a (in -2**32+1 .. 2**32-1)
    says the same without the mask: 0 < b - a < 2**31, or b - a <= -2**31 (whose masked
    value is b - a + 2**32, at most 2**31, equal to it only when b - a = -2**31, a > b).
    The mask is left out because on ints above 2**30, as sequence numbers mostly are,
    each arithmetic operation allocates.  (Written out this way across the stack.)"""
    d = b - a
    return 0 < d < HALF or d <= MINUS_HALF


# The other three say what seq_lt says, each written out: they run many times per segment,
# and a call saved is a tenth of a microsecond.

def seq_le(a: int, b: int) -> bool:
    """a == b or seq_lt(a, b)."""
    d = b - a
    return 0 <= d < HALF or d <= MINUS_HALF


def seq_gt(a: int, b: int) -> bool:
    """seq_lt(b, a)."""
    d = a - b
    return 0 < d < HALF or d <= MINUS_HALF


def seq_ge(a: int, b: int) -> bool:
    """a == b or seq_lt(b, a)."""
    d = a - b
    return 0 <= d < HALF or d <= MINUS_HALF


def seq_add(a: int, n: int) -> int:
    """a + n on the circle (n may be negative); masked only when it leaves it (see seq_lt)."""
    r = a + n
    return r if 0 <= r <= MASK else r & MASK


def seq_sub(a: int, b: int) -> int:
    """Signed distance a - b in -2**31 .. 2**31-1: the plain difference, a whole circle
    added or taken away when it falls outside (no mask: see seq_lt)."""
    d = a - b
    if MINUS_HALF <= d < HALF:
        return d
    d &= MASK
    return d - WRAP if d & HALF else d


def seq_in_window(x: int, start: int, size: int) -> bool:
    """start <= x < start + size on the circle (an empty window holds nothing)."""
    return ((x - start) & MASK) < size


def seq_max(a: int, b: int) -> int:
    return b if seq_lt(a, b) else a


def seq_min(a: int, b: int) -> int:
    return a if seq_lt(a, b) else b
