"""A real file descriptor whose readiness follows a stack socket (RealtimeRuntime only).

Code that never calls the socket module — `select.select`, `selectors.DefaultSelector`,
asyncio's `loop.add_reader` — asks the kernel about `sock.fileno()`.  So each stack
socket in real time owns an AF_UNIX socket pair from the kernel: end A is the number
`fileno()` returns, end B stays with the stack.  The kernel reports A

- readable while A has unread bytes: the stack writes one byte from B to make it so,
  and reads it back from A to undo it;
- writable while A's send buffer has room: the stack fills it (A's bytes pile up unread
  at B, SO_SNDBUF set to its minimum) to make A unwritable, and empties B to undo it.

The socket's poll mask decides: readable when POLLIN, POLLERR or POLLHUP (as select()
counts them), writable when POLLOUT or POLLERR.  A watcher on the socket's endpoint and
every socket call mark the mirror dirty; the runtime brings dirty mirrors up to date
before it lets its lock go (and before a caller sleeps), so the kernel's answer is never
older than the stack's last change.  Nobody ever reads or writes A but the stack.
"""

from __future__ import annotations

import _socket
import errno
import os
import resource

POLLIN, POLLOUT, POLLERR, POLLHUP = 0x1, 0x4, 0x8, 0x10
_FILL = b"\0" * 4096
_MAX_TURNS = 256  # bound on the fill and drain loops (a few turns suffice at the minimum buffer)


def _pair():
    try:
        return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except OSError as e:
        if e.errno != errno.EMFILE:
            raise
        # two descriptors per stack socket: use the hard limit before giving up, as a
        # process expecting one per socket would not have run out yet
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft >= hard:
            raise
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


class Mirror:
    """The kernel-visible readiness of one socket state."""

    __slots__ = ("runtime", "view", "fd", "peer", "fds", "readable", "writable", "watched", "_mark")

    def __init__(self, runtime, view) -> None:
        a, b = _pair()
        a.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF, 1)  # the minimum: a few writes fill it
        self.runtime = runtime
        self.view = view  # a socket object sharing the state, never closed (see fds.view_of)
        self.fd = a.detach()
        self.peer = b.detach()
        os.set_blocking(self.fd, False)
        os.set_blocking(self.peer, False)
        self.fds: set[int] = set()  # the state's open descriptors (all refer to end A)
        self.readable = False
        self.writable = True
        self.watched: list = []
        dirty = runtime.dirty
        self._mark = lambda: dirty.add(self)
        dirty.add(self)

    def mark(self) -> None:
        self.runtime.dirty.add(self)

    def sync(self) -> None:
        """Make the kernel's view of A match the socket's poll mask (lock held)."""
        if self.peer < 0:
            return
        view = self.view
        eps = view._waitables()
        if eps != self.watched:
            for w in self.watched:
                w.unwatch(self._mark)
            for w in eps:
                w.watch(self._mark)
            self.watched = eps
        mask = view._ready_mask()
        want_r = bool(mask & (POLLIN | POLLERR | POLLHUP))
        want_w = bool(mask & (POLLOUT | POLLERR))
        if want_r != self.readable:
            if want_r:
                os.write(self.peer, b"!")
            else:
                self._on_a(self._drain)
            self.readable = want_r
        if want_w != self.writable:
            if want_w:
                self._drain(self.peer)
            else:
                self._on_a(self._fill)
            self.writable = want_w

    def _on_a(self, op) -> None:
        """Drain or fill end A without ever blocking.  A's O_NONBLOCK flag is the user's
        (it follows the socket's timeout mode, as a CPython socket's descriptor does:
        set whenever a timeout is), so the stack clears it for its own turn if need be."""
        fd = next(iter(self.fds), self.fd)
        try:
            blocking = os.get_blocking(fd)
        except OSError:
            return
        if blocking:
            os.set_blocking(fd, False)
        try:
            op(fd)
        finally:
            if blocking:
                os.set_blocking(fd, True)

    @staticmethod
    def _drain(fd: int) -> None:
        for _ in range(_MAX_TURNS):
            try:
                if not os.read(fd, 65536):
                    return
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return

    @staticmethod
    def _fill(fd: int) -> None:
        for _ in range(_MAX_TURNS):
            try:
                os.write(fd, _FILL)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return

    def close(self) -> None:
        """The state's last descriptor is closed: give end B back to the kernel."""
        for w in self.watched:
            w.unwatch(self._mark)
        self.watched = []
        self.runtime.dirty.discard(self)
        if self.peer >= 0:
            try:
                os.close(self.peer)
            except OSError:
                pass
            self.peer = -1
