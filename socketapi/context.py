"""Which host a socket call acts on, and the process-wide default timeout.

Inside a simulated task the answer is the task's host.  Elsewhere (plain threads, a
REPL, a test's main code) it is the host given to `socketapi.use(host)`.  This is the
face layer's state, deliberately: CPython's default timeout is process-wide too.
"""

from __future__ import annotations

import operator

from greenlet import getcurrent

_default_host = None
_default_timeout: float | None = None


def use(host) -> None:
    """Make `host` the one that socket calls outside tasks act on (None to forget it)."""
    global _default_host
    _default_host = host


def current_host():
    task = getattr(getcurrent(), "task", None)
    if task is not None:
        return task.host
    if _default_host is not None:
        return _default_host
    raise RuntimeError("no host to act on: call socketapi.use(host), use host.socket, or run inside a task")


def getdefaulttimeout() -> float | None:
    return _default_timeout


def setdefaulttimeout(timeout) -> None:
    global _default_timeout
    _default_timeout = check_timeout(timeout)


def check_timeout(value) -> float | None:
    """CPython's validation of a timeout argument."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            raise ValueError("Invalid value NaN (not a number)")
        t = value
    else:
        t = float(operator.index(value))  # CPython takes a float or an integer, not a string
    if t < 0:
        raise ValueError("Timeout value out of range")
    return t
