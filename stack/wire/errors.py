"""The three ways a received buffer can be wrong.

Every codec checks in the same order: length first (`Truncated`), then the checksum
(`BadChecksum`), then semantics (`Malformed`).  All three derive from `WireError`, itself
a `ValueError`, so a host can catch one class at its input boundary, count the drop under
the exception's `reason` and trace it.
"""


class WireError(ValueError):
    """A received buffer that cannot be accepted. `reason` names the counter."""

    reason = "malformed"


class Truncated(WireError):
    """The buffer is shorter than a length field or fixed header says it must be."""

    reason = "truncated"


class BadChecksum(WireError):
    """The Internet checksum (or another integrity field) does not verify."""

    reason = "bad_checksum"


class Malformed(WireError):
    """The lengths and checksum are fine but a field holds a value the RFC forbids."""

    reason = "malformed"
