"""SimRuntime: virtual time, and application code as cooperative greenlet tasks.

A task is ordinary blocking code (a socket server, a client) run in a greenlet.  When it
would block, `wait_until` parks it and switches back to the event loop; a watcher on the
endpoint it waits for, or its deadline, schedules its resumption as an ordinary event, so
tasks resume in a deterministic order.  Virtual time jumps from event to event: a
60-second TIME_WAIT costs microseconds.

Blocking calls made outside any task (a test's main code calling `recvfrom`) drive the
event loop themselves until the call can complete, or raise `Deadlock` if it never can.
"""

from __future__ import annotations

import sys
import traceback
from contextlib import nullcontext
from functools import partial
from heapq import heappop, heappush

from greenlet import getcurrent, greenlet


class Deadlock(RuntimeError):
    """Every task is blocked and nothing is scheduled that could wake one."""


class _TaskGreenlet(greenlet):
    # A slot (a plain attribute read, specialized), not the greenlet's instance dict:
    # the blocking calls look it up on every wait (see wait_signal)
    __slots__ = ("task",)


class Task:
    """A running piece of application code.  `result` re-raises the task's exception."""

    def __init__(self, runtime: "SimRuntime", host, fn, args, name: str) -> None:
        self.runtime = runtime
        self.host = host
        self.fn = fn
        self.args = args
        self.name = name
        self.glet: _TaskGreenlet | None = None
        self.done = False
        self._result = None
        self.exception: BaseException | None = None
        self.wait_id = 0
        self.wake_pending = False
        self.blocked_on = "not started"
        # The greenlet the task last switched back from: its greenlet's `parent`, mirrored
        # here because reading `glet.parent` is a C getter call with checks, not a plain
        # attribute (set only by `_start` and `resume`, together with the parent)
        self.loop = None
        self.wake = _waker(self, runtime.events, self.resume)

    def resume(self, wid: int) -> None:
        """The task's resumption event (scheduled by its watcher `wake` or a wait's deadline
        with the `wait_id` of the wait it ends): switch to the task unless that wait is over.
        A bound method made once per task, so an event carries the wait id alone."""
        if self.wait_id != wid or self.done:
            return
        self.wake_pending = False
        glet = self.glet
        cur = getcurrent()
        if self.loop is not cur:  # (setting the parent validates it: only when it changes)
            glet.parent = cur
            self.loop = cur
        glet.switch()
        host = self.host
        if host._timers_dirty:
            self.runtime.touch(host)

    @property
    def result(self):
        if self.exception is not None:
            raise self.exception
        return self._result

    def __repr__(self) -> str:
        state = "done" if self.done else f"blocked in {self.blocked_on}"
        return f"<Task {self.name} on {self.host.name}: {state}>"


def _waker(task: Task, events, resume):
    """The task's watcher, made once per task rather than once per wait: it schedules the
    task's resumption for now, at most once per wait (`wake_pending`).  A watcher is only
    registered while the task waits, so the `wait_id` it reads is that of the wait it ends."""

    ready = events._ready
    seq = events._seq

    def wake():
        if not task.wake_pending:
            task.wake_pending = True
            ready.append((next(seq), resume, task.wait_id))  # events.schedule_now(), inlined

    return wake


class SimRuntime:
    lock = nullcontext()  # one thread, cooperative tasks: nothing to lock

    def __init__(self, net) -> None:
        # An instance attribute, not a class one: the socket calls test it on every call, and
        # CPython 3.11 does not specialize the read of a class attribute through an instance
        # (each read takes the generic lookup)
        self.realtime = False
        self.net = net
        self.events = net.events
        # now_us(), the clock hosts read many times per segment: events.now, as a C-level call
        # (no Python frame).  An instance attribute with no method of that name on the class:
        # CPython 3.11 leaves the read of an attribute generic when the class has a method of
        # its name, and the socket calls compare a host's clock with it on every call.
        self.now_us = partial(getattr, net.events, "now")
        self.live: list[Task] = []
        self._count = 0
        self._running = False
        # socketapi's descriptor table (socketapi.fds.table_of makes it on first use): an
        # attribute from the start, so that the socket calls read it as one, not through getattr
        self.fds = None

    # -- clock -----------------------------------------------------------

    def now(self) -> float:
        return self.events.now / 1e6

    # -- node wakeups (the sans-IO timer contract) ----------------------------

    def touch(self, node) -> None:
        """Make sure `node.poll()` runs at `node.poll_at()`.

        This runs after every frame a node takes, so it asks `poll_at()` only when a
        deadline may have come earlier (`Node._timers_dirty`), and pushes onto the
        queue's heap itself (what `EventQueue.schedule` does, without the call)."""
        if not node._timers_dirty:
            return
        node._timers_dirty = False
        t = node.poll_at()
        if t is not None:
            w = node._wake_at
            if w is None or t < w:
                node._wake_at = t
                ev = self.events
                heappush(ev._heap, (t if t > ev.now else ev.now, next(ev._seq), self._wake, node))

    def _wake(self, node) -> None:
        w = node._wake_at
        now = self.events.now
        if w is None or w > now:
            return  # superseded
        node._wake_at = None
        node.poll(now)
        node._timers_dirty = True  # the wakeup is spent: whatever remains needs a new one
        self.touch(node)

    def kick(self, host=None) -> None:
        """A socket call changed `host`: make sure its timers are scheduled.

        Inside a task there is nothing to do now: the loop touches the task's host each
        time the task yields back to it.
        """
        if host is None:
            return
        if host._loop:
            # Loopback is synchronous on Linux: the softirq delivers (and answers) before the
            # sending call returns.  Do the same instant's loopback work now.
            host.poll(self.events.now)
            self.touch(host)
        elif host._timers_dirty and getattr(getcurrent(), "task", None) is None:
            self.touch(host)  # (touch() itself does nothing unless the timers are dirty)

    # -- tasks -------------------------------------------------------------

    def current_task(self) -> Task | None:
        return getattr(getcurrent(), "task", None)

    def spawn(self, host, fn, args=(), name: str | None = None) -> Task:
        self._count += 1
        task = Task(self, host, fn, args, name or f"{getattr(fn, '__name__', 'task')}-{self._count}")
        self.live.append(task)
        self.events.schedule(self.events.now, self._start, task)
        return task

    def _start(self, task: Task) -> None:
        cur = getcurrent()
        g = _TaskGreenlet(self._task_main, parent=cur)
        g.task = task
        task.glet = g
        task.loop = cur
        task.blocked_on = "running"
        g.switch(task)
        self.touch(task.host)

    def _task_main(self, task: Task) -> None:
        try:
            task._result = task.fn(task.host.socket, *task.args)
        except BaseException as e:  # the task's failure is its result; the loop goes on
            task.exception = e
            task.host.trace("task", "failed", task=task.name, error=repr(e))
            if self.net.print_task_errors:
                print(f"task {task.name} on {task.host.name} failed:", file=sys.stderr)
                traceback.print_exception(e, file=sys.stderr)
        finally:
            task.done = True
            task.blocked_on = "done"
            self.live.remove(task)

    def wait_until(self, predicate, deadline: int | None = None, waitables=(), what: str = "wait") -> bool:
        """Block until `predicate()` is true (True) or virtual time reaches `deadline` (False)."""
        if predicate():
            return True
        task = getattr(getcurrent(), "task", None)  # current_task(), inlined
        if task is None:
            return self._drive(predicate, deadline, what)
        events = self.events
        if deadline is not None and deadline <= events.now:
            return False
        task.wait_id += 1
        task.wake_pending = False
        wake = task.wake
        for w in waitables:
            w.watchers.append(wake)  # Waitable.watch(), inlined
        if deadline is not None:
            events.schedule(deadline, task.resume, task.wait_id)
        task.blocked_on = what
        try:
            while True:
                task.loop.switch()  # (the loop that resumes us is our parent: look it up each time)
                if predicate():
                    return True
                if deadline is not None and events.now >= deadline:
                    return False
        finally:
            task.blocked_on = "running"
            for w in waitables:
                w.unwatch(wake)

    def wait_signal(self, waitable, what: str, test) -> None:
        """Block until `waitable` next signals its watchers: one wakeup, after which the
        caller tests its condition again and calls again while it must wait.  For a
        blocking socket call with no timeout (see socketapi.stream), which writes its
        test out in its own loop, `while not done: rt.wait_signal(ep, what, test)`: that
        costs less than a predicate's call after each wakeup (and the partial to make
        it).  Outside any task the call drives the loop until `test(waitable)` is true."""
        cur = getcurrent()  # (current_task(), without getattr's generic lookup)
        task = cur.task if type(cur) is _TaskGreenlet else None
        if task is None:
            self._drive(partial(test, waitable), None, what)
            return
        task.wait_id += 1
        task.wake_pending = False
        wake = task.wake
        watchers = waitable.watchers
        watchers.append(wake)
        task.blocked_on = what
        try:
            task.loop.switch()  # (the loop that resumes us is our parent: look it up each time)
        finally:
            task.blocked_on = "running"
            try:
                watchers.remove(wake)
            except ValueError:
                pass

    def pause(self, seconds: float) -> None:
        deadline = self.events.now + max(0, int(round(seconds * 1e6)))
        self.wait_until(lambda: self.events.now >= deadline, deadline, (), f"sleep({seconds})")

    # -- the loop -------------------------------------------------------------

    def _drive(self, predicate, deadline, what) -> bool:
        """A blocking call outside any task: run the network until it can return."""
        if self._running:
            raise RuntimeError("a blocking call from inside the event loop (not from a task)")
        self._running = True
        try:
            ev = self.events
            while True:
                if predicate():
                    return True
                t = ev.peek_time()
                if deadline is not None and (t is None or t > deadline):
                    ev.now = max(ev.now, deadline)
                    return predicate()
                if t is None:
                    raise Deadlock(f"{what} outside any task can never complete: nothing is scheduled"
                                   + self._blocked_text())
                fn, arg = ev.pop()
                fn(arg)
        finally:
            self._running = False

    def run(self, until: int | None = None) -> None:
        if self.current_task() is not None:
            raise RuntimeError("net.run() called from inside a task")
        if self._running:
            raise RuntimeError("net.run() is already running")
        self._running = True
        ev = self.events
        live = self.live
        heap = ev._heap  # EventQueue.peek_time() and pop(), inlined: this loop runs per event
        ready = ev._ready  # (its FIFO for the current instant)
        popleft = ready.popleft
        # Both loops are `while True` with the test inside: CPython 3.11 specializes a code
        # object's bytecode after 8 function entries or 8 unconditional backward jumps, and
        # a `while live:` loop closes with a conditional jump, which does not count.  run()
        # is entered once and runs every event of the simulation in its loop, so that loop
        # would run generic bytecode throughout (about 1,800 instructions more per event).
        try:
            if until is None:  # until every task has ended (two loops: one test less per event)
                while True:
                    if not live:
                        return
                    # (EventQueue.pop's choice, inlined: keep alike) the FIFO's event for this
                    # instant first, unless the heap's first is for it too and older
                    if ready and (not heap or heap[0][0] > ev.now
                                  or heap[0][0] == ev.now and heap[0][1] > ready[0][0]):
                        _, fn, arg = popleft()
                        fn(arg)
                        continue
                    if not heap:
                        raise Deadlock("every task is blocked and nothing is scheduled" + self._blocked_text())
                    at, _, fn, arg = heappop(heap)
                    ev.now = at
                    fn(arg)
            while True:
                if ready and ev.now <= until and (not heap or heap[0][0] > ev.now
                                                  or heap[0][0] == ev.now and heap[0][1] > ready[0][0]):
                    _, fn, arg = popleft()
                    fn(arg)
                    continue
                if not heap or heap[0][0] > until:
                    ev.now = max(ev.now, until)
                    return
                at, _, fn, arg = heappop(heap)
                ev.now = at
                fn(arg)
        finally:
            self._running = False

    def _blocked_text(self) -> str:
        if not self.live:
            return ""
        return ": " + ", ".join(f"{t.name} on {t.host.name} in {t.blocked_on}" for t in self.live)
