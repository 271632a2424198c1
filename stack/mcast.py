"""Multicast group membership as sockets ask for it, merged into each interface's state.

Each socket (an `owner`) holds, per (interface, group), a filter: a mode and a source list
(RFC 3376 §3.1: `IP_ADD_MEMBERSHIP` is EXCLUDE {} — every source; `IP_ADD_SOURCE_MEMBERSHIP`
builds an INCLUDE list).  An interface's state is the merge of its sockets' filters
(RFC 3376 §3.2, the same rules for MLDv2 in RFC 3810 §4.2):

- if any socket is in EXCLUDE mode, the interface is in EXCLUDE mode, excluding only the
  sources every EXCLUDE-mode socket excludes and no INCLUDE-mode socket includes;
- otherwise it is in INCLUDE mode with the union of the INCLUDE lists.

When that state changes the host hears of it (`host.group_state_changed`), and when an
interface gains or loses a group altogether, `host.join_group` / `host.leave_group` set the
NIC filter; the IGMP and MLD layers report from there.  Errors are Linux's: EADDRINUSE for
a second any-source join, EADDRNOTAVAIL for leaving what was not joined, for a source
already added, or for dropping a source not there.
"""

from __future__ import annotations

import errno
import os

INCLUDE, EXCLUDE = "INCLUDE", "EXCLUDE"


def _err(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class Filter:
    __slots__ = ("mode", "sources")

    def __init__(self, mode: str, sources=()) -> None:
        self.mode = mode
        self.sources = set(sources)

    def allows(self, src: bytes) -> bool:
        return (src in self.sources) if self.mode == INCLUDE else (src not in self.sources)

    def __repr__(self) -> str:
        return f"{self.mode}{sorted(self.sources)}"


class Memberships:
    def __init__(self, host) -> None:
        self.host = host
        self.by_owner: dict[int, dict[tuple[int, bytes], Filter]] = {}  # id(owner) -> {(ifindex, group): filter}
        self.state: dict[tuple[int, bytes], Filter] = {}  # (ifindex, group) -> the interface's merged filter

    # -- what sockets ask -----------------------------------------------------------

    def join(self, owner, iface, group: bytes, source: bytes | None = None) -> None:
        mine = self.by_owner.setdefault(id(owner), {})
        key = (iface.index, group)
        f = mine.get(key)
        if source is None:
            if f is not None:
                raise _err(errno.EADDRINUSE)
            mine[key] = Filter(EXCLUDE)
        else:
            if f is None:
                mine[key] = Filter(INCLUDE, [source])
            elif f.mode == EXCLUDE:
                raise _err(errno.EADDRINUSE)  # Linux: an any-source member cannot add a source
            elif source in f.sources:
                raise _err(errno.EADDRNOTAVAIL)
            else:
                f.sources.add(source)
        self._recompute(iface, group)

    def leave(self, owner, iface, group: bytes, source: bytes | None = None) -> None:
        mine = self.by_owner.get(id(owner), {})
        key = (iface.index, group)
        f = mine.get(key)
        if f is None:  # Linux: leaving a group not joined is EADDRNOTAVAIL, dropping a source of one EINVAL
            raise _err(errno.EADDRNOTAVAIL if source is None else errno.EINVAL)
        if source is None:
            del mine[key]
        else:
            if f.mode != INCLUDE or source not in f.sources:
                raise _err(errno.EADDRNOTAVAIL)
            f.sources.discard(source)
            if not f.sources:
                del mine[key]
        self._recompute(iface, group)

    def drop_owner(self, owner) -> None:
        """A socket closed: it leaves everything it joined."""
        mine = self.by_owner.pop(id(owner), None)
        if not mine:
            return
        for ifindex, group in list(mine):
            self._recompute(self.host.interfaces[ifindex], group)

    def joined(self, owner, ifindex: int, group: bytes) -> bool:
        return (ifindex, group) in self.by_owner.get(id(owner), {})

    def allows(self, owner, ifindex: int, group: bytes, src: bytes) -> bool | None:
        """Whether `owner`'s own filter for the group lets `src` through; None if it has none."""
        f = self.by_owner.get(id(owner), {}).get((ifindex, group))
        return None if f is None else f.allows(src)

    # -- the interface's state ----------------------------------------------------------

    def _recompute(self, iface, group: bytes) -> None:
        key = (iface.index, group)
        filters = [m[key] for m in self.by_owner.values() if key in m]
        if not filters:
            new = None
        elif any(f.mode == EXCLUDE for f in filters):
            excl = set.intersection(*(f.sources for f in filters if f.mode == EXCLUDE))
            incl = set().union(*(f.sources for f in filters if f.mode == INCLUDE))
            new = Filter(EXCLUDE, excl - incl)
        else:
            new = Filter(INCLUDE, set().union(*(f.sources for f in filters)))
        old = self.state.get(key)
        if old is not None and new is not None and old.mode == new.mode and old.sources == new.sources:
            return
        host = self.host
        if new is None:
            del self.state[key]
            host.group_state_changed(iface, group, old, None)
            host.leave_group(iface, group)
        else:
            self.state[key] = new
            if old is None:
                host.join_group(iface, group, report=False)  # group_state_changed reports the filter
            host.group_state_changed(iface, group, old, new)

    def interface_filter(self, iface, group: bytes) -> Filter | None:
        return self.state.get((iface.index, group))

    def table(self) -> list[tuple[str, str, str, list[str]]]:
        """(interface, group, mode, sources) rows, like `ip maddr` with source filters."""
        from .addr import ip_str

        return [(self.host.interfaces[i].name, ip_str(g), f.mode, sorted(ip_str(s) for s in f.sources))
                for (i, g), f in sorted(self.state.items())]
