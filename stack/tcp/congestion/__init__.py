"""Pluggable congestion control: `make(name, mss, iw)` returns a fresh controller."""

from types import MappingProxyType

from .base import CongestionControl
from .cubic import Cubic
from .newreno import NewReno

ALGORITHMS = MappingProxyType({"newreno": NewReno, "reno": NewReno, "cubic": Cubic})


def make(name: str, mss: int, initial_window: int) -> CongestionControl:
    try:
        cls = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown congestion control {name!r}") from None
    return cls(mss, initial_window)
