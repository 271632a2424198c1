"""socketapi.patch(): the standard library's socket, select, selectors and time, resolved to the stack.

Unmodified standard-library programs (http.server, urllib.request, socketserver,
xmlrpc, asyncio streams) reach the network through module attributes looked up at call
time: `socket.socket(...)`, `socket.create_connection(...)`, `selectors.DefaultSelector()`,
`time.monotonic()`.  Replacing those attributes on the real modules, as gevent's monkey
patching does, puts every such program on the stack without touching its code:

    with socketapi.patch():          # scoped: everything is restored on exit
        net.run()                    # tasks running http.server, urllib.request, ...

    socketapi.patch(host)            # whole program: stays in force (until .restore())

What each name becomes:

- `socket`: the socket class and every module function act on the current host (the
  task's in simulation; the spawning host's in a thread `host.spawn` started in real
  time; else the host given to patch() / socketapi.use()).  `create_connection`,
  `create_server`, `socketpair` and `fromfd` look their helpers (getaddrinfo, socket, dup)
  up through the patched `socket` module at call time, as CPython's own do, so a test
  that patches `socket.getaddrinfo` further is honoured.  Constants, exceptions and
  `_GLOBAL_DEFAULT_TIMEOUT` stay the standard library's own objects (identical values).
- `time.sleep`, `time.monotonic(_ns)`, `time.time(_ns)`: the network's virtual clock
  inside a simulated task (or for a simulated default host); `time.time()` is
  `VIRTUAL_EPOCH` plus virtual seconds, so runs are reproducible.  Elsewhere, and always
  in real time, the real functions.
- `select.select`, `select.poll` and the `selectors` classes: the stack's readiness
  (socketapi.readiness) in simulation, which waits in virtual time.  In real time the
  OS's own, unchanged: there every stack socket's fileno() is a real descriptor whose
  readiness follows the socket (socketapi.osready), so they already work.
- `threading.Thread.start` / `join` / `is_alive` and `threading.Event.wait` / `set`:
  inside a simulated task a new thread becomes a task of the same host (threading
  servers spawn one per connection), and joining or waiting on an event yields to the
  simulation instead of blocking the one OS thread.  Elsewhere: unchanged.

Every replacement falls back to the original outside the simulation, so a module that
copied a patched name while imported under patch() (socketserver's `_ServerSelector`
and `time`) keeps working after restore; known copies are also put back.
"""

from __future__ import annotations

import selectors as _selectors
import socket as _socket
import sys
import threading
import time as _time

from greenlet import getcurrent

from stack.waitable import Waitable

from . import context, readiness

VIRTUAL_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z: time.time() at virtual time 0

_ORIG = {  # the real functions, captured once, used by the fallbacks
    "sleep": _time.sleep, "monotonic": _time.monotonic, "monotonic_ns": _time.monotonic_ns,
    "time": _time.time, "time_ns": _time.time_ns,
}


def _sim_runtime():
    """The SimRuntime the caller lives in, or None (real time, or no host at all)."""
    task = getattr(getcurrent(), "task", None)
    if task is not None:
        rt = task.host.runtime
    else:
        host = context.current_host_or_none()
        if host is None:
            return None
        rt = host.runtime
    return None if rt.realtime else rt


def _sim_task():
    task = getattr(getcurrent(), "task", None)
    if task is None or task.host.runtime.realtime:
        return None
    return task


# -- time -------------------------------------------------------------------------------

def sleep(secs):
    rt = _sim_runtime()
    if rt is None:
        return _ORIG["sleep"](secs)
    if not isinstance(secs, (int, float)):
        raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    rt.pause(secs)


def monotonic():
    rt = _sim_runtime()
    return _ORIG["monotonic"]() if rt is None else rt.now_us() / 1e6


def monotonic_ns():
    rt = _sim_runtime()
    return _ORIG["monotonic_ns"]() if rt is None else rt.now_us() * 1000


def time():
    rt = _sim_runtime()
    return _ORIG["time"]() if rt is None else VIRTUAL_EPOCH + rt.now_us() / 1e6


def time_ns():
    rt = _sim_runtime()
    return _ORIG["time_ns"]() if rt is None else (VIRTUAL_EPOCH * 1_000_000 + rt.now_us()) * 1000


# -- select and selectors ------------------------------------------------------------------

def _select_switch(original):
    def select(rlist, wlist, xlist, timeout=None):
        if _sim_runtime() is None:
            return original(rlist, wlist, xlist, timeout)
        return readiness.select(rlist, wlist, xlist, timeout)

    select.__doc__ = original.__doc__
    return select


def _poll_switch(original):
    def poll():
        return original() if _sim_runtime() is None else readiness.poll()

    return poll


def _selector_switch(original):
    """A stand-in for a selectors class: the stack's selector in simulation, else `original`."""

    class Selector(_selectors.BaseSelector):
        def __new__(cls, *args, **kwargs):
            if _sim_runtime() is None:
                return original(*args, **kwargs)
            return readiness.StackSelector()

    Selector.__name__ = Selector.__qualname__ = original.__name__
    Selector._socketapi_original = original
    return Selector


# -- threading inside simulated tasks ---------------------------------------------------------

class _Signal(Waitable):
    """Something a task can wait for: a thread's end, an event being set."""

    __slots__ = ("watchers",)

    def __init__(self) -> None:
        self.watchers: list = []


def _thread_methods(orig):
    def start(self):
        task = _sim_task()
        if task is None:
            return orig["start"](self)
        if self._started.is_set():
            raise RuntimeError("threads can only be started once")
        done = _Signal()
        self._socketapi = [task.host.runtime, done, False]  # runtime, completion signal, finished

        def body(_namespace):
            try:
                self.run()
            finally:
                self._socketapi[2] = True
                done._signal()

        task.host.spawn(body, name=f"{self.name} (thread)")
        self._started.set()

    def join(self, timeout=None):
        sim = self.__dict__.get("_socketapi")
        if sim is None:
            return orig["join"](self, timeout)
        rt, done, _ = sim
        deadline = None if timeout is None else rt.now_us() + max(0, int(timeout * 1e6))
        rt.wait_until(lambda: sim[2], deadline, (done,), f"join({self.name})")

    def is_alive(self):
        sim = self.__dict__.get("_socketapi")
        if sim is None:
            return orig["is_alive"](self)
        return not sim[2]

    return {"start": start, "join": join, "is_alive": is_alive}


def _event_methods(orig):
    def wait(self, timeout=None):
        task = _sim_task()
        if task is None:
            return orig["wait"](self, timeout)
        if self._flag:
            return True
        w = self.__dict__.setdefault("_socketapi_waitable", _Signal())
        rt = task.host.runtime
        deadline = None if timeout is None else rt.now_us() + max(0, int(timeout * 1e6))
        return rt.wait_until(lambda: self._flag, deadline, (w,), "Event.wait")

    def set(self):
        orig["set"](self)
        w = self.__dict__.get("_socketapi_waitable")
        if w is not None:
            w._signal()

    return {"wait": wait, "set": set}


# -- socket -------------------------------------------------------------------------------------

def _socket_names() -> dict:
    """What the `socket` module's names become; helpers are looked up through the module."""
    import socketapi

    from . import fds
    from . import functions as F

    mod = _socket  # the patched module itself: its attributes are read at call time

    def create_connection(address, timeout=_socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, *,
                          all_errors=False):
        return F.create_connection(mod, address, timeout, source_address, all_errors=all_errors)

    def create_server(address, *, family=_socket.AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
        return F.create_server(mod, address, family=family, backlog=backlog, reuse_port=reuse_port,
                               dualstack_ipv6=dualstack_ipv6)

    def socketpair(family=_socket.AF_INET, type=_socket.SOCK_STREAM, proto=0):
        return F.socketpair(mod, family, type, proto)

    def fromfd(fd, family, type, proto=0):
        return F.fromfd(mod, fd, family, type, proto)

    def dup(fd):
        return fds.dup(context.current_host().runtime, fd)

    def close(fd):
        fds.close(context.current_host().runtime, fd)

    names = dict(socket=socketapi.socket, SocketType=socketapi.socket, create_connection=create_connection,
                 create_server=create_server, socketpair=socketpair, fromfd=fromfd, dup=dup, close=close)
    for name in ("getaddrinfo", "getnameinfo", "gethostname", "sethostname", "gethostbyname",
                 "gethostbyname_ex", "gethostbyaddr", "getfqdn", "if_nameindex", "if_nametoindex",
                 "if_indextoname", "getdefaulttimeout", "setdefaulttimeout", "getservbyname", "getservbyport",
                 "getprotobyname", "has_dualstack_ipv6", "has_ipv6"):
        if hasattr(socketapi, name):
            names[name] = getattr(socketapi, name)
    return names


# Names other modules copied from the patched ones when they were imported:
# (module, attribute, what it is a copy of)
KNOWN_COPIES = (
    ("socketserver", "_ServerSelector", "selector"),  # selectors.PollSelector, at import
    ("socketserver", "time", "monotonic"),  # from time import monotonic as time
)


class Patch:
    """Applied on creation; a context manager that restores everything on exit."""

    def __init__(self, host=None) -> None:
        self._saved: list[tuple[object, str, object]] = []
        self._host_saved = context._default_host
        self._had_host = host is not None
        if host is not None:
            context.use(host)
        self._apply()

    def _set(self, obj, name: str, value) -> None:
        self._saved.append((obj, name, obj.__dict__.get(name, _MISSING)))
        setattr(obj, name, value)

    def _apply(self) -> None:
        import select as _select_mod

        for name, value in _socket_names().items():
            self._set(_socket, name, value)
        for name, fn in (("sleep", sleep), ("monotonic", monotonic), ("monotonic_ns", monotonic_ns),
                         ("time", time), ("time_ns", time_ns)):
            self._set(_time, name, fn)
        self._set(_select_mod, "select", _select_switch(_select_mod.select))
        if hasattr(_select_mod, "poll"):
            self._set(_select_mod, "poll", _poll_switch(_select_mod.poll))
        self._selectors = {}
        for name in ("DefaultSelector", "SelectSelector", "PollSelector", "EpollSelector"):
            original = getattr(_selectors, name, None)
            if original is not None:
                self._selectors[original] = _selector_switch(original)
                self._set(_selectors, name, self._selectors[original])
        t_orig = {n: getattr(threading.Thread, n) for n in ("start", "join", "is_alive")}
        for name, fn in _thread_methods(t_orig).items():
            self._set(threading.Thread, name, fn)
        e_orig = {n: getattr(threading.Event, n) for n in ("wait", "set")}
        for name, fn in _event_methods(e_orig).items():
            self._set(threading.Event, name, fn)
        for modname, attr, kind in KNOWN_COPIES:
            mod = sys.modules.get(modname)
            if mod is None or not hasattr(mod, attr):
                continue
            current = getattr(mod, attr)
            if kind == "selector":
                base = getattr(current, "_socketapi_original", current)
                self._set(mod, attr, self._selectors.get(base) or _selector_switch(base))
            elif kind == "monotonic":
                self._set(mod, attr, monotonic)

    def restore(self) -> None:
        """Put back everything this patch replaced (latest first)."""
        while self._saved:
            obj, name, old = self._saved.pop()
            if old is _MISSING:
                try:
                    delattr(obj, name)
                except AttributeError:
                    pass
            else:
                setattr(obj, name, old)
        # modules first imported under the patch copied stand-ins: give them the originals
        for modname, attr, kind in KNOWN_COPIES:
            mod = sys.modules.get(modname)
            current = getattr(mod, attr, None) if mod is not None else None
            if kind == "selector" and hasattr(current, "_socketapi_original"):
                setattr(mod, attr, current._socketapi_original)
            elif kind == "monotonic" and current is monotonic:
                setattr(mod, attr, _ORIG["monotonic"])
        if self._had_host:
            context.use(self._host_saved)
            self._had_host = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.restore()


_MISSING = object()


def patch(host=None) -> Patch:
    """Resolve the standard library's socket, select, selectors and time to the stack.

    In force from this call: use it as a context manager for a scope, or call it once for
    a whole program.  `host` (optional) becomes the default host for code that is neither
    a task nor a thread a host spawned (socketapi.use(host) for the patch's duration).
    """
    return Patch(host)
