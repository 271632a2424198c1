"""Which host a socket call acts on, and the process-wide default timeout.

Inside a simulated task the answer is the task's host.  Elsewhere (plain threads, a
REPL, a test's main code) it is the host given to `socketapi.use(host)`.  This is the
face layer's state, deliberately: CPython's default timeout is process-wide too.
"""

from __future__ import annotations

import operator
import threading

from greenlet import getcurrent

_default_host = None
_thread = threading.local()  # .host: the host of an OS thread a RealtimeRuntime host spawned
_default_timeout: float | None = None


def use(host) -> None:
    """Make `host` the one that socket calls outside tasks act on (None to forget it)."""
    global _default_host
    _default_host = host


def bind_thread(host) -> None:
    """Make `host` the one this OS thread's socket calls act on (what `host.spawn` does in
    real time, so stdlib code under socketapi.patch() in that thread uses its host)."""
    _thread.host = host


def current_host_or_none():
    """The task's host, else this thread's (real time), else the default host, else None."""
    task = getattr(getcurrent(), "task", None)
    if task is not None:
        return task.host
    return getattr(_thread, "host", None) or _default_host


def current_host():
    host = current_host_or_none()
    if host is None:
        raise RuntimeError("no host to act on: call socketapi.use(host), use host.socket, or run inside a task")
    return host


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
