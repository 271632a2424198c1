"""RealtimeRuntime: the same sans-IO hosts driven by the monotonic clock in a stack thread.

One stack thread owns time: it runs due events (link deliveries, host wakeups), reads
frames from attached devices (TAP file descriptors), and sleeps in a selector until the
next deadline, a readable device, or a wakeup byte on its pipe.  Any OS thread may call
blocking socket functions: every call into the stack holds the runtime's lock, and a
blocked caller waits on a condition that endpoint watchers notify.  Nothing busy-waits.
"""

from __future__ import annotations

import os
import selectors
import threading
import time

from .fds import RealFds



class _Thread:
    """What spawn() returns: a task-like handle on an OS thread."""

    def __init__(self, host, fn, args, name) -> None:
        self.host = host
        self.name = name
        self._result = None
        self.exception: BaseException | None = None
        self.done = False
        self.thread = threading.Thread(target=self._main, args=(fn, args), name=name, daemon=True)

    def _main(self, fn, args) -> None:
        from .context import bind_thread

        bind_thread(self.host)
        try:
            self._result = fn(self.host.socket, *args)
        except BaseException as e:  # recorded for .result, as SimRuntime tasks do
            self.exception = e
        finally:
            self.done = True

    @property
    def result(self):
        if self.exception is not None:
            raise self.exception
        return self._result

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


class _StackLock:
    """The runtime's lock; taking it also brings the event clock up to now, so that
    links and timers scheduled by a caller's thread count from the present."""

    __slots__ = ("rt", "rlock")

    def __init__(self, rt, rlock) -> None:
        self.rt = rt
        self.rlock = rlock

    def __enter__(self):
        self.rlock.acquire()
        self.rt._sync()
        return self

    def __exit__(self, *exc) -> None:
        rt = self.rt
        for flush in rt._flushers:  # what devices held back to batch goes out before others run
            flush()
        if rt.dirty:
            rt.sync_mirrors()
        heap = rt.events._heap
        if heap and threading.current_thread() is not rt._thread:
            s = rt._sleep_until
            if s is None or heap[0][0] < s:
                rt._sleep_until = heap[0][0]
                rt._poke()  # a caller scheduled something (a frame on a link) sooner than the stack sleeps
        self.rlock.release()


class RealtimeRuntime:
    realtime = True

    def __init__(self, net=None) -> None:
        self.net = net
        self._rlock = threading.RLock()
        self.lock = _StackLock(self, self._rlock)
        self.cond = threading.Condition(self._rlock)
        self._t0 = time.monotonic_ns() // 1000
        if net is not None:
            self.events = net.events
        else:
            from stack.sim.events import EventQueue

            self.events = EventQueue()
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None
        self._running = False
        self._sleep_until: int | None = None
        self.threads: list[_Thread] = []
        self.error: BaseException | None = None
        self._flushers: list = []  # device batching: called whenever the stack's lock is let go
        self.dirty: set = set()  # sockets' OS-visible readiness to bring up to date (socketapi.osready)
        self.fds = RealFds(self)  # sockets' descriptors are real ones here (socketapi.fds)

    # -- clock ------------------------------------------------------------------

    def now_us(self) -> int:
        return time.monotonic_ns() // 1000 - self._t0

    def now(self) -> float:
        return self.now_us() / 1e6

    def _sync(self) -> int:
        now = self.now_us()
        if now > self.events.now:
            self.events.now = now
        return self.events.now

    # -- node wakeups -----------------------------------------------------------

    def touch(self, node) -> None:
        t = node.poll_at()
        if t is None:
            return
        w = node._wake_at
        if w is None or t < w:
            node._wake_at = t
            self.events.schedule(t, self._wake, node)
            s = self._sleep_until
            if threading.current_thread() is not self._thread and (s is None or t < s):
                self._poke()

    def _wake(self, node) -> None:
        w = node._wake_at
        now = self.events.now
        if w is None or w > now:
            return
        node._wake_at = None
        node.poll(now)
        self.touch(node)

    def kick(self, host=None) -> None:
        if host is not None:
            self.touch(host)

    def _poke(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except BlockingIOError:
            pass

    def sync_mirrors(self) -> None:
        """Bring every dirty socket's real descriptor up to date (lock held)."""
        dirty = self.dirty
        for _ in range(len(dirty)):
            m = dirty.pop()
            try:
                m.sync()
            except OSError:  # a descriptor the caller closed under us: nothing left to mirror
                pass

    # -- devices ------------------------------------------------------------------

    def add_reader(self, fd: int, callback) -> None:
        """Call `callback()` in the stack thread (lock held) whenever `fd` is readable."""
        with self.lock:
            self.selector.register(fd, selectors.EVENT_READ, callback)
        self._poke()

    def add_flusher(self, fn) -> None:
        """Call `fn()` (lock held) before the lock is released: a device that batches frames
        written in one turn (TAP segmentation offload) sends them then."""
        self._flushers.append(fn)

    def remove_flusher(self, fn) -> None:
        if fn in self._flushers:
            self._flushers.remove(fn)

    def remove_reader(self, fd: int) -> None:
        with self.lock:
            try:
                self.selector.unregister(fd)
            except (KeyError, ValueError):
                pass
        self._poke()

    # -- the stack thread -------------------------------------------------------------

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="stack", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        self._poke()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._thread = None

    def close(self) -> None:
        self.stop()
        self.selector.close()
        for fd, state in list(self.fds.table.items()):  # sockets left open: their descriptors
            self.fds.release(fd, state)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _loop(self) -> None:
        ev = self.events
        try:
            while True:  # (not `while self._running`: see SimRuntime.run on 3.11's specializing)
                if not self._running:
                    break
                with self.lock:
                    now = self._sync()
                    while ev._heap and ev._heap[0][0] <= now:
                        fn, arg = ev.pop()
                        ev.now = now
                        fn(arg)
                    nxt = ev.peek_time()
                    self._sleep_until = nxt
                timeout = 1.0 if nxt is None else min(1.0, max(0.0, (nxt - self.now_us()) / 1e6))
                ready = self.selector.select(timeout if timeout >= 0.001 else 0)
                if not ready and 0 < timeout < 0.001:
                    # epoll counts whole milliseconds (a 20 µs link delay would cost 1 ms):
                    # a deadline closer than that is slept to precisely, devices checked after
                    time.sleep(timeout)
                    ready = self.selector.select(0)
                for key, _ in ready:
                    if key.data is None:
                        try:
                            while os.read(self._wake_r, 4096):
                                pass
                        except BlockingIOError:
                            pass
                    else:
                        with self.lock:
                            self._sync()
                            key.data()
        except BaseException as e:  # the stack thread must not die silently
            self.error = e
            raise

    # -- blocking for callers ---------------------------------------------------------

    def wait_until(self, predicate, deadline: int | None = None, waitables=(), what: str = "wait") -> bool:
        with self.lock:
            if predicate():
                return True
            cond = self.cond

            def wake():
                cond.notify_all()

            for w in waitables:
                w.watch(wake)
            try:
                while True:
                    if predicate():
                        return True
                    for flush in self._flushers:  # Condition.wait lets the lock go without __exit__
                        flush()
                    if self.dirty:
                        self.sync_mirrors()
                    if deadline is None:
                        cond.wait(1.0)
                    else:
                        left = (deadline - self.now_us()) / 1e6
                        if left <= 0:
                            return predicate()
                        cond.wait(left)
                    self._sync()
            finally:
                for w in waitables:
                    w.unwatch(wake)

    def pause(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def spawn(self, host, fn, args=(), name: str | None = None) -> _Thread:
        t = _Thread(host, fn, args, name or getattr(fn, "__name__", "thread"))
        self.threads.append(t)
        t.thread.start()
        return t

    def run(self, until: int | None = None) -> None:
        """Start the stack thread if needed; wait for spawned threads or for time `until`."""
        self.start()
        if until is not None:
            left = (until - self.now_us()) / 1e6
            if left > 0:
                time.sleep(left)
            return
        for t in list(self.threads):
            t.join()
