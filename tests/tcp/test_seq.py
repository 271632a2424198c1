from hypothesis import given, strategies as st

from stack.seq import MASK, seq_add, seq_ge, seq_gt, seq_in_window, seq_le, seq_lt, seq_sub

u32 = st.integers(0, MASK)
dist = st.integers(-(2**31) + 1, 2**31 - 1)


def test_wrap_around_ordering():
    assert seq_lt(0xFFFFFFFF, 0)
    assert seq_gt(0, 0xFFFFFFFF)
    assert seq_lt(0xFFFFFF00, 0x10)
    assert not seq_lt(0x10, 0xFFFFFF00)
    assert seq_le(5, 5) and seq_ge(5, 5) and not seq_lt(5, 5) and not seq_gt(5, 5)


def test_add_and_signed_distance_wrap():
    assert seq_add(0xFFFFFFFF, 1) == 0
    assert seq_add(0, -1) == 0xFFFFFFFF
    assert seq_sub(3, 0xFFFFFFFE) == 5
    assert seq_sub(0xFFFFFFFE, 3) == -5


def test_window_membership_across_wrap():
    assert seq_in_window(2, 0xFFFFFFF0, 100)
    assert seq_in_window(0xFFFFFFF0, 0xFFFFFFF0, 100)
    assert not seq_in_window(0xFFFFFFF0 + 100 - 2**32, 0xFFFFFFF0, 100)
    assert not seq_in_window(0xFFFFFFEF, 0xFFFFFFF0, 100)
    assert not seq_in_window(5, 5, 0)


def test_half_circle_is_antisymmetric():
    a, b = 7, seq_add(7, 2**31)
    assert seq_lt(a, b) != seq_lt(b, a)


@given(u32, dist)
def test_add_sub_inverse(a, d):
    b = seq_add(a, d)
    assert seq_sub(b, a) == d
    assert seq_lt(a, b) == (d > 0)
    assert seq_gt(a, b) == (d < 0)
    assert seq_le(a, b) == (d >= 0)


@given(u32, st.integers(0, 2**30), st.integers(0, 2**30))
def test_in_window_matches_offset(start, size, off):
    assert seq_in_window(seq_add(start, off), start, size) == (off < size)


def test_le_gt_ge_agree_with_lt_on_the_edges_of_the_circle():
    """seq_le/gt/ge are written out for speed; they must say what seq_lt says."""
    import random

    from stack.seq import HALF, MASK, seq_ge, seq_gt, seq_le, seq_lt

    rng = random.Random(7)
    edges = [0, 1, 2, HALF - 1, HALF, HALF + 1, MASK - 1, MASK]
    pairs = [(a, b) for a in edges for b in edges]
    pairs += [(a, (a + d) & MASK) for a in (rng.randrange(1 << 32) for _ in range(2000))
              for d in (0, 1, HALF - 1, HALF, HALF + 1, MASK)]
    for a, b in pairs:
        assert seq_le(a, b) == (a == b or seq_lt(a, b))
        assert seq_gt(a, b) == seq_lt(b, a)
        assert seq_ge(a, b) == (a == b or seq_lt(b, a))
