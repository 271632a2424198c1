"""Time units: the stack counts integer microseconds; people and the public API use seconds."""

US_PER_S = 1_000_000
MS = 1_000  # microseconds in a millisecond
SECOND = US_PER_S


def to_us(seconds: float) -> int:
    """Seconds (float) to integer microseconds, rounded to nearest."""
    return int(round(seconds * US_PER_S))


def to_s(us: int) -> float:
    return us / US_PER_S
