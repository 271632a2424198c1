"""Readiness: select(), poll() objects and a `selectors` selector over stack sockets.

All three ask each socket what it is ready for (`_ready_mask()`), and block through the
runtime's `wait_until`, watching every endpoint involved, so a wakeup on any of them
re-evaluates the whole set.  Masks use poll's bits: POLLIN, POLLOUT, POLLERR, POLLHUP.
"""

from __future__ import annotations

import errno
import math
import selectors as _selectors

from .errors import oserror

POLLIN = 0x001
POLLPRI = 0x002
POLLOUT = 0x004
POLLERR = 0x008
POLLHUP = 0x010
POLLNVAL = 0x020
POLLRDNORM = 0x040
POLLRDBAND = 0x080
POLLWRNORM = 0x100
POLLWRBAND = 0x200
POLLMSG = 0x400
POLLRDHUP = 0x2000


def _fileno(obj) -> int:
    if isinstance(obj, int):
        fd = obj
    else:
        try:
            fd = obj.fileno()
        except AttributeError:
            raise TypeError("argument must be an int, or have a fileno() method.") from None
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


def _sock(obj, table: dict):
    """The stack socket behind `obj`: a socket, a descriptor registered before, or any
    object whose fileno() is a stack socket's descriptor (socketserver registers itself)."""
    if hasattr(obj, "_ready_mask"):
        return obj
    fd = _fileno(obj)
    s = table.get(fd)
    if s is None:
        s = _by_fd(fd)
    if s is None:
        raise oserror(errno.EBADF)
    return s


def _by_fd(fd: int):
    """The socket holding descriptor `fd` on the current host's runtime (its state's view
    when no object holds it any more), or None."""
    from .context import current_host_or_none
    from .fds import table_of, view_of

    host = current_host_or_none()
    if host is None:
        return None
    t = table_of(host.runtime)
    state = t.table.get(fd)
    if state is None:
        return None
    return t.owner(fd) or view_of(state)


def _runtime_of(socks):
    for s in socks:
        return s._host.runtime
    return None


def _deadline(rt, timeout_s) -> int | None:
    if timeout_s is None:
        return None
    return rt.now_us() + max(0, int(math.ceil(timeout_s * 1e6)))


def _look_once(socks) -> None:
    """A zero-timeout look that found nothing costs one virtual microsecond in simulation.

    A real select(0) takes time, so a program polling until a deadline (socketserver's
    handle_request recomputes `deadline - time()` and stops only below zero) gets there;
    in virtual time the clock would never move.  The microsecond is spent by yielding to
    the simulation, so whatever was due in it happens, and other tasks run.
    """
    rt = _runtime_of(socks)
    if rt is not None and not rt.realtime:
        rt.pause(1e-6)


def _wait(socks, ready, timeout_s, what: str) -> None:
    rt = _runtime_of(socks)
    if rt is None:
        return
    waitables = [w for s in socks for w in s._waitables()]
    with rt.lock:
        rt.wait_until(ready, _deadline(rt, timeout_s), waitables, what)


def select(rlist, wlist, xlist, timeout=None):
    """select.select() over stack sockets; returns the three ready lists."""
    if timeout is not None:
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            raise TypeError("timeout must be a float or None") from None
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    found = {}  # id(obj) -> the stack socket behind it
    for obj in rlist + wlist + xlist:
        if not hasattr(obj, "_ready_mask"):
            fd = _fileno(obj)
            s = _by_fd(fd)
            if s is None:
                raise oserror(errno.EBADF)
            found[id(obj)] = s
        elif obj.fileno() < 0:
            raise ValueError("file descriptor cannot be a negative integer (-1)")
        else:
            found[id(obj)] = obj
    socks = {id(s): s for s in found.values()}.values()

    def scan():
        r = [o for o in rlist if found[id(o)]._ready_mask() & (POLLIN | POLLERR | POLLHUP)]
        w = [o for o in wlist if found[id(o)]._ready_mask() & (POLLOUT | POLLERR)]
        x: list = []
        return r, w, x

    result = scan()
    if any(result):
        return result
    if timeout == 0:
        _look_once(list(socks))
        return result
    _wait(list(socks), lambda: any(scan()), timeout, "select")
    return scan()


class poll:
    """select.poll(): register / modify / unregister / poll(timeout in milliseconds)."""

    def __init__(self) -> None:
        self._fds: dict[int, tuple[object, int]] = {}

    def register(self, fd, eventmask: int = POLLIN | POLLPRI | POLLOUT) -> None:
        obj = fd
        n = _fileno(fd)
        if not hasattr(obj, "_ready_mask"):
            prev = self._fds.get(n)
            obj = prev[0] if prev is not None else _by_fd(n)
            if obj is None:
                raise oserror(errno.EBADF)
        self._fds[n] = (obj, eventmask)

    def modify(self, fd, eventmask: int) -> None:
        n = _fileno(fd)
        if n not in self._fds:
            raise oserror(errno.ENOENT)
        self._fds[n] = (self._fds[n][0], eventmask)

    def unregister(self, fd) -> None:
        n = _fileno(fd)
        if n not in self._fds:
            raise KeyError(n)
        del self._fds[n]

    def poll(self, timeout=None) -> list[tuple[int, int]]:
        if timeout is not None:
            timeout = float(timeout)
            if timeout < 0:
                timeout = None
            else:
                timeout = timeout / 1000.0

        def scan():
            out = []
            for n, (obj, mask) in self._fds.items():
                if obj.fileno() < 0:
                    out.append((n, POLLNVAL))
                    continue
                got = obj._ready_mask() & (mask | POLLERR | POLLHUP)
                if got:
                    out.append((n, got))
            return out

        result = scan()
        if result:
            return result
        if timeout == 0:
            _look_once([o for o, _ in self._fds.values()])
            return result
        _wait([o for o, _ in self._fds.values() if o.fileno() >= 0], lambda: bool(scan()), timeout, "poll")
        return scan()

    # MicroPython's poll object also offers ipoll(): the same results as an iterator
    def ipoll(self, timeout=-1, flags=0):
        return iter(self.poll(None if timeout is None or timeout < 0 else timeout))


class StackSelector(_selectors.BaseSelector):
    """A `selectors` selector for stack sockets (what DefaultSelector is for OS sockets)."""

    def __init__(self) -> None:
        self._map: dict[int, _selectors.SelectorKey] = {}
        self._objs: dict[int, object] = {}

    def register(self, fileobj, events, data=None):
        if not events or events & ~(_selectors.EVENT_READ | _selectors.EVENT_WRITE):
            raise ValueError(f"Invalid events: {events!r}")
        fd = _fileno(fileobj)
        if fd in self._map:
            raise KeyError(f"{fileobj!r} (FD {fd}) is already registered")
        key = _selectors.SelectorKey(fileobj, fd, events, data)
        self._map[fd] = key
        self._objs[fd] = _sock(fileobj, {})
        return key

    def unregister(self, fileobj):
        fd = _fileno(fileobj) if not hasattr(fileobj, "_ready_mask") or fileobj.fileno() >= 0 else \
            next((k for k, v in self._map.items() if v.fileobj is fileobj), -1)
        try:
            key = self._map.pop(fd)
        except KeyError:
            raise KeyError(f"{fileobj!r} is not registered") from None
        self._objs.pop(fd, None)
        return key

    def modify(self, fileobj, events, data=None):
        fd = _fileno(fileobj)
        if fd not in self._map:
            raise KeyError(f"{fileobj!r} is not registered")
        self.unregister(fileobj)
        return self.register(fileobj, events, data)

    def select(self, timeout=None):
        if timeout is not None and timeout < 0:
            timeout = 0

        def scan():
            out = []
            for fd, key in self._map.items():
                mask = self._objs[fd]._ready_mask()
                ev = 0
                if key.events & _selectors.EVENT_READ and mask & (POLLIN | POLLERR | POLLHUP):
                    ev |= _selectors.EVENT_READ
                if key.events & _selectors.EVENT_WRITE and mask & (POLLOUT | POLLERR):
                    ev |= _selectors.EVENT_WRITE
                if ev:
                    out.append((key, ev))
            return out

        result = scan()
        if result or not self._map:
            return result
        if timeout == 0:
            _look_once(list(self._objs.values()))
            return result
        _wait(list(self._objs.values()), lambda: bool(scan()), timeout, "selector.select")
        return scan()

    def close(self) -> None:
        self._map.clear()
        self._objs.clear()

    def get_map(self):
        return dict(self._map)


DefaultSelector = StackSelector
