"""What lets a blocked caller learn that an endpoint changed, without the stack blocking.

The socket layer registers a watcher (any callable) on an endpoint; the endpoint calls
`_signal()` whenever its readiness may have changed.  The runtime's watcher decides what a
wakeup means: resuming a greenlet task in simulation, notifying a condition in real time.
"""

from __future__ import annotations


class Waitable:
    __slots__ = ()

    # Subclasses define a `watchers` list slot or attribute.

    def watch(self, fn) -> None:
        self.watchers.append(fn)

    def unwatch(self, fn) -> None:
        try:
            self.watchers.remove(fn)
        except ValueError:
            pass

    def _signal(self) -> None:
        watchers = self.watchers
        if watchers:
            if len(watchers) == 1:
                watchers[0]()  # the common case: one blocked caller
                return
            for fn in tuple(watchers):  # a copy: a watcher may unwatch itself
                fn()
