"""File descriptors of stack sockets: what dup(), fromfd(), detach() and socket(fileno=) share.

On Linux a socket object holds a descriptor, and a descriptor refers to an open socket in
the kernel.  dup() makes a second descriptor for the same kernel socket; the socket goes
away only when its last descriptor is closed; detach() hands the descriptor to the caller
and leaves the object closed but the kernel socket open.  This module is that kernel-side
bookkeeping for the stack:

- the *state* of a socket (its endpoint, options, everything but what CPython keeps per
  object) is one dict, shared as `__dict__` by every socket object made for it;
- a *table* per runtime maps descriptor numbers to those states and counts, per state,
  the descriptors still open (`_refs`); the endpoint is closed when the count reaches 0.

In the SimRuntime descriptors are virtual: numbers from 3 up, unique in the network and
never reused (so a stale number cannot name a newer socket).  In the RealtimeRuntime each
socket's number is a real descriptor (see `osready`), so stdlib select/selectors/asyncio
can wait on it; dup() is then a real `os.dup`, and numbers are unique in the process.
"""

from __future__ import annotations

import errno
import os
import weakref

from .errors import oserror

CLOSED_UNDER = "closed by socket.close(fd)"  # an object's _closed once its descriptor went that way


class VirtualFds:
    """A simulated network's descriptor table."""

    real = False

    def __init__(self) -> None:
        self._next = 3
        self.table: dict[int, dict] = {}
        # fd -> weakref.ref to the socket object holding it (`owner(fd)`).  A plain dict
        # of refs rather than a WeakValueDictionary, whose Python-level set and removal
        # callback cost more than the rest of opening a socket: an entry goes when its
        # descriptor is released instead (an entry for a closed descriptor is never read:
        # every reader looks the descriptor up in `table` first).
        self.owners: dict[int, weakref.ref] = {}

    def set_owner(self, fd: int, sock) -> None:
        self.owners[fd] = weakref.ref(sock)  # (open() does this too, inlined)

    def owner(self, fd: int):
        """The socket object holding descriptor `fd`, if it still exists."""
        ref = self.owners.get(fd)
        return ref() if ref is not None else None

    def _number(self, state: dict) -> int:
        fd = self._next
        self._next += 1
        return fd

    def open(self, sock) -> int:
        """A first descriptor for a new socket's state (`sock.__dict__`), held by `sock`."""
        state = sock.__dict__
        state["_refs"] = 1
        fd = self._next  # _number(), inlined (RealFds has its own open())
        self._next = fd + 1
        self.table[fd] = state
        self.owners[fd] = weakref.ref(sock)  # set_owner(), inlined
        return fd

    def state(self, fd: int) -> dict:
        state = self.table.get(fd)
        if state is None:
            raise oserror(errno.EBADF)
        return state

    def dup(self, fd: int) -> int:
        state = self.state(fd)
        n = self._dup_number(fd, state)
        state["_refs"] += 1
        self.table[n] = state
        return n

    def _dup_number(self, fd: int, state: dict) -> int:
        return self._number(state)

    def release(self, fd: int, state: dict) -> int:
        """Close descriptor `fd` of `state`; how many descriptors still hold the state, or
        -1 if `fd` was no longer open (socket.close(fd) closed it under its object).
        (socket.close() has it inlined for the simulation: keep the two alike.)"""
        if self.table.get(fd) is not state:
            return -1
        del self.table[fd]
        self.owners.pop(fd, None)
        # (a virtual number needs no closing: RealFds.release closes the OS descriptor here)
        refs = state["_refs"] = state["_refs"] - 1
        return refs


class RealFds(VirtualFds):
    """The RealtimeRuntime's table: every number is an open OS descriptor whose readiness
    mirrors the socket's (an `osready.Mirror` per socket state)."""

    real = True

    def __init__(self, runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def open(self, sock) -> int:
        from .osready import Mirror

        state = sock.__dict__
        mirror = Mirror(self.runtime, view_of(state))
        state["_mirror"] = mirror
        state["_refs"] = 1
        fd = mirror.fd
        self._forget_stale(fd)
        self.table[fd] = state
        self.set_owner(fd, sock)
        mirror.fds.add(fd)
        return fd

    def _dup_number(self, fd: int, state: dict) -> int:
        n = os.dup(fd)
        self._forget_stale(n)
        state["_mirror"].fds.add(n)
        return n

    def _forget_stale(self, n: int) -> None:
        """The OS handed out a number the table still holds: the caller closed a detached
        descriptor with os.close().  That descriptor's reference goes with it."""
        old = self.table.pop(n, None)
        if old is not None:
            old["_mirror"].fds.discard(n)
            old["_refs"] -= 1
            if old["_refs"] == 0:
                view_of(old)._teardown()

    def release(self, fd: int, state: dict) -> int:
        """VirtualFds.release, closing the OS descriptor too."""
        if self.table.get(fd) is not state:
            return -1
        del self.table[fd]
        self.owners.pop(fd, None)
        self._close_number(fd, state)
        state["_refs"] -= 1
        return state["_refs"]

    def _close_number(self, fd: int, state: dict) -> None:
        mirror = state["_mirror"]
        mirror.fds.discard(fd)
        try:
            os.close(fd)
        except OSError:
            pass
        if not mirror.fds:
            mirror.close()


def view_of(state: dict):
    """The socket object on `state` that holds no descriptor (fileno -1, never closed):
    what closes the socket's endpoint when its last descriptor goes without its own
    object's close() (socket.close(fd), an object collected unclosed), what readiness
    asks when no object holds a descriptor any more, what a real-time Mirror watches.

    Made on first use, then kept in the state (one per socket: readiness tells sockets
    apart by identity) until the socket's teardown lets it go.  The common socket, closed
    through its own object, never needs one; the view and the state refer to each other,
    a cycle only the garbage collector would free if the teardown did not break it."""
    view = state.get("_view")
    if view is None:
        cls = state["_class"]
        view = state["_view"] = cls.__new__(cls)
        view.__dict__ = state
        view._fileno, view._closed, view._timeout, view._label = -1, False, None, None
    return view


def table_of(runtime) -> VirtualFds:
    """The descriptor table of `runtime` (made on first use for the SimRuntime, which
    lives in `stack/` and knows nothing of descriptors)."""
    t = getattr(runtime, "fds", None)
    if t is None:
        t = runtime.fds = VirtualFds()
    return t


def close(runtime, fd) -> None:
    """socket.close(fd): close a descriptor, whichever object (if any) holds it."""
    fd = _fd_arg(fd)
    t = table_of(runtime)
    state = t.state(fd)
    with state["_host"].runtime.lock:
        owner = t.owner(fd)
        if owner is not None and owner._closed is False:
            owner._closed = CLOSED_UNDER  # its calls now fail with EBADF, as on Linux
        if t.release(fd, state) == 0:
            view_of(state)._teardown()


def dup(runtime, fd) -> int:
    """socket.dup(fd): a second descriptor for the same socket."""
    fd = _fd_arg(fd)
    t = table_of(runtime)
    with runtime.lock:
        return t.dup(fd)


def _fd_arg(fd) -> int:
    if isinstance(fd, float) or not hasattr(fd, "__index__"):
        raise TypeError(f"'{type(fd).__name__}' object cannot be interpreted as an integer")
    fd = fd.__index__()
    if fd < 0:
        raise oserror(errno.EBADF)
    return fd
