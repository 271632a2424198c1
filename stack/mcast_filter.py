"""Source filters: per-socket multicast reception state merged into per-interface state.

RFC 3376 §3 (IGMPv3) and RFC 3810 §3 (MLDv2) give each socket, per (interface, group), a
filter mode and a source list:

    IPMulticastListen(socket, interface, group, filter-mode, source-list)

INCLUDE {} means "not listening" and deletes the record.  An any-source join
(IP_ADD_MEMBERSHIP, IPV6_JOIN_GROUP) is EXCLUDE {}; IP_ADD_SOURCE_MEMBERSHIP adds a source
to an INCLUDE list.  The interface state that IGMP/MLD report is the merge of every
socket's record (RFC 3376 §3.2, RFC 3810 §4.2):

- if any socket is in EXCLUDE mode, the interface is EXCLUDE and its source list is the
  intersection of the EXCLUDE lists minus the union of the INCLUDE lists;
- otherwise the interface is INCLUDE with the union of the INCLUDE lists.

`Memberships` keeps the per-socket records of one host and answers, on every change, the
interface state before and after, which the host hands to `IgmpLayer.set_filter` /
`MldLayer.set_filter` when it differs.  `accepts` is the per-socket delivery test.
Sockets are any hashable key (the socket layer's endpoint object).
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class FilterMode(enum.Enum):
    INCLUDE = "INCLUDE"
    EXCLUDE = "EXCLUDE"


INCLUDE = FilterMode.INCLUDE
EXCLUDE = FilterMode.EXCLUDE


class Filter(NamedTuple):
    mode: FilterMode
    sources: frozenset = frozenset()

    @property
    def listening(self) -> bool:
        """INCLUDE {} is the absence of a record (RFC 3376 §3.1)."""
        return self.mode is EXCLUDE or bool(self.sources)

    def __str__(self) -> str:
        from .addr import ip_str

        return f"{self.mode.value}{{{', '.join(sorted(ip_str(s) for s in self.sources))}}}"


NOT_LISTENING = Filter(INCLUDE)
ANY_SOURCE = Filter(EXCLUDE)


def merge(filters) -> Filter:
    """The interface state from the socket states (RFC 3376 §3.2)."""
    excl = None
    incl: set = set()
    for f in filters:
        if f.mode is EXCLUDE:
            excl = set(f.sources) if excl is None else excl & f.sources
        else:
            incl |= f.sources
    if excl is not None:
        return Filter(EXCLUDE, frozenset(excl - incl))
    return Filter(INCLUDE, frozenset(incl))


def accepts(f: Filter, source: bytes) -> bool:
    """Whether a datagram from `source` passes filter `f` (RFC 3376 §3.2's delivery rule)."""
    return (source in f.sources) if f.mode is INCLUDE else (source not in f.sources)


class Memberships:
    """Per-socket multicast records of one host: {(iface, group): {socket: Filter}}."""

    def __init__(self) -> None:
        self.records: dict[tuple, dict] = {}

    def set(self, sock, iface, group: bytes, f: Filter) -> tuple[Filter, Filter]:
        """Set `sock`'s record (INCLUDE {} deletes it); returns the interface state before
        and after, for the caller to pass on to IGMP/MLD when they differ."""
        key = (iface, group)
        per = self.records.get(key)
        before = merge(per.values()) if per else NOT_LISTENING
        if f.listening:
            if per is None:
                per = self.records[key] = {}
            per[sock] = f
        elif per is not None:
            per.pop(sock, None)
            if not per:
                del self.records[key]
                per = None
        after = merge(per.values()) if per else NOT_LISTENING
        return before, after

    def get(self, sock, iface, group: bytes) -> Filter:
        return self.records.get((iface, group), {}).get(sock, NOT_LISTENING)

    def interface_state(self, iface, group: bytes) -> Filter:
        per = self.records.get((iface, group))
        return merge(per.values()) if per else NOT_LISTENING

    def drop_socket(self, sock) -> list[tuple]:
        """A socket closed: remove its records; returns [(iface, group, before, after)]."""
        changes = []
        for (iface, group), per in list(self.records.items()):
            if sock in per:
                before, after = self.set(sock, iface, group, NOT_LISTENING)
                if before != after:
                    changes.append((iface, group, before, after))
        return changes

    def sockets(self, iface, group: bytes) -> dict:
        """{socket: Filter} listening to `group` on `iface`."""
        return dict(self.records.get((iface, group), {}))
