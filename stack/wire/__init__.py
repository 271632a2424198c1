"""Stateless codecs: one module per protocol, parse from memoryview, build with derived fields."""

from .errors import BadChecksum, Malformed, Truncated, WireError

__all__ = ["WireError", "Truncated", "Malformed", "BadChecksum"]
