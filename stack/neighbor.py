"""The neighbor cache state machine shared by ARP and NDP (RFC 4861 §7.3.2, as Linux applies it to both).

    INCOMPLETE --reply--> REACHABLE --reachable time--> STALE --used--> DELAY
        |                     ^                                           | delay_first_probe
     retries                  +------------- reply / confirmation ----- PROBE --retries--> (removed)
        v
    (removed: the queued packets are dropped and the owner told)

The cache is sans-IO: it never sends.  When it needs a solicitation sent, it calls the
owner's `solicit(addr, unicast_lladdr_or_None, now)`; when an address is resolved or
fails it returns the queued packets for the owner to send or drop.  Each entry's next
deadline is a field; a heap with lazy invalidation makes `poll_at()` O(1).
"""

from __future__ import annotations

from types import SimpleNamespace

import enum
import heapq
from dataclasses import dataclass


class NeighborState(enum.Enum):
    INCOMPLETE = "INCOMPLETE"
    REACHABLE = "REACHABLE"
    STALE = "STALE"
    DELAY = "DELAY"
    PROBE = "PROBE"
    PERMANENT = "PERMANENT"


S = NeighborState

# The allowed transitions (RFC 4861 Appendix C); `_set_state` enforces them.
TRANSITIONS = {
    S.INCOMPLETE: {S.REACHABLE, S.STALE},
    S.REACHABLE: {S.STALE, S.REACHABLE, S.DELAY},
    S.STALE: {S.DELAY, S.REACHABLE, S.STALE},
    S.DELAY: {S.PROBE, S.REACHABLE, S.STALE},
    S.PROBE: {S.REACHABLE, S.STALE, S.PROBE},
    S.PERMANENT: set(),
}


@dataclass
class NeighborConfig:
    """Linux's defaults (net.ipv4.neigh.default.*)."""

    base_reachable_time: int = 30_000_000  # µs; actual value random in [0.5, 1.5) times this
    retrans_time: int = 1_000_000
    delay_first_probe_time: int = 5_000_000
    mcast_solicit: int = 3
    ucast_solicit: int = 3
    gc_stale_time: int = 60_000_000  # an unused STALE entry is removed after this
    queue_max_bytes: int = 212_992  # unres_qlen_bytes
    queue_max_packets: int = 101


def earliest(caches, t: int | None) -> int | None:
    """The earliest deadline among `caches` (a dict of NeighborCache) and `t`."""
    for c in caches.values():
        heap = c._heap
        if heap and (t is None or heap[0][0] < t):
            t = heap[0][0]
    return t


def poll_all(caches, now: int, failed) -> None:
    """Run every cache's due timers; `failed(ifindex, addr, queued)` for each resolution
    that gave up."""
    for index, c in list(caches.items()):
        t = c.poll_at()
        if t is not None and t <= now:
            for addr, queued in c.poll(now):
                failed(index, addr, queued)


class Entry:
    __slots__ = ("addr", "lladdr", "state", "deadline", "probes", "queue", "queue_bytes", "updated")

    def __init__(self, addr: bytes, state: NeighborState, lladdr: bytes | None, now: int) -> None:
        self.addr = addr
        self.lladdr = lladdr
        self.state = state
        self.deadline: int | None = None
        self.probes = 0
        self.queue: list = []
        self.queue_bytes = 0
        self.updated = now


class NeighborCache:
    def __init__(self, config: NeighborConfig, rng, stats, trace, solicit, layer: str = "arp") -> None:
        self.config = config
        self.rng = rng
        self.stats = stats
        self._trace = trace
        self.solicit = solicit  # solicit(addr, lladdr or None, now): send a request
        self.layer = layer
        self.entries: dict[bytes, Entry] = {}
        self._heap: list = []
        # Whose `_timers_dirty` a new deadline sets (see Node): the host, once it adopts us.
        self.owner = SimpleNamespace(_timers_dirty=True)
        self.reachable_time = self._new_reachable_time()

    def _new_reachable_time(self) -> int:
        base = self.config.base_reachable_time
        return int(base * (0.5 + self.rng.random()))

    # -- state and timers -------------------------------------------------

    def _set_state(self, e: Entry, new: NeighborState, cause: str, now: int) -> None:
        if new not in TRANSITIONS[e.state]:
            raise AssertionError(f"neighbor {e.state.name} -> {new.name} is not a transition")
        if new is not e.state:
            self._trace(self.layer, "neigh_state", addr=e.addr, frm=e.state.name, to=new.name, cause=cause)
        e.state = new

    def _arm(self, e: Entry, deadline: int | None) -> None:
        e.deadline = deadline
        if deadline is not None:
            heapq.heappush(self._heap, (deadline, e.addr))
            self.owner._timers_dirty = True

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> list:
        """Run due timers; returns [(addr, queued_packets)] for entries that failed."""
        failed = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, addr = heapq.heappop(heap)
            e = self.entries.get(addr)
            if e is None or e.deadline != deadline:
                continue  # stale heap entry
            e.deadline = None
            st = e.state
            cfg = self.config
            if st is S.INCOMPLETE:
                if e.probes >= cfg.mcast_solicit:
                    failed.append(self._fail(e, now))
                else:
                    e.probes += 1
                    self.stats[f"{self.layer}.tx.request"] += 1
                    self.solicit(addr, None, now)
                    self._arm(e, now + cfg.retrans_time)
            elif st is S.REACHABLE:
                self._set_state(e, S.STALE, "reachable time expired", now)
                self._arm(e, now + cfg.gc_stale_time)
            elif st is S.STALE:
                fresh_until = e.updated + cfg.gc_stale_time
                if fresh_until > now:  # news of the neighbor since the timer was set keeps it
                    self._arm(e, fresh_until)
                    continue
                del self.entries[addr]
                self._trace(self.layer, "neigh_expired", addr=addr)
            elif st is S.DELAY:
                self._set_state(e, S.PROBE, "no confirmation within delay_first_probe_time", now)
                e.probes = 1
                self.solicit(addr, e.lladdr, now)
                self._arm(e, now + cfg.retrans_time)
            elif st is S.PROBE:
                if e.probes >= cfg.ucast_solicit:
                    failed.append(self._fail(e, now))
                else:
                    e.probes += 1
                    self.solicit(addr, e.lladdr, now)
                    self._arm(e, now + cfg.retrans_time)
        return failed

    def _fail(self, e: Entry, now: int):
        del self.entries[e.addr]
        self.stats[f"{self.layer}.failed"] += 1
        if e.queue:
            self.stats[f"{self.layer}.drop.unresolved"] += len(e.queue)
        self._trace(self.layer, "neigh_failed", addr=e.addr, state=e.state.name, dropped=len(e.queue))
        return e.addr, e.queue

    # -- use from the sending side ----------------------------------------

    def lookup(self, addr: bytes, now: int) -> bytes | None:
        """The link-layer address to send to, or None when resolution is needed.

        Using a STALE entry starts reachability confirmation (STALE -> DELAY).
        """
        e = self.entries.get(addr)
        if e is None:
            return None
        st = e.state
        if st is S.REACHABLE or st is S.DELAY or st is S.PROBE or st is S.PERMANENT:
            return e.lladdr
        if st is S.STALE:
            self._set_state(e, S.DELAY, "stale entry used", now)
            self._arm(e, now + self.config.delay_first_probe_time)
            return e.lladdr
        return None  # INCOMPLETE

    def enqueue(self, addr: bytes, packet, now: int) -> bool:
        """Queue `packet` until `addr` resolves, starting resolution if needed.

        Returns False (and counts the drop) when the entry's bounded queue is full.
        """
        e = self.entries.get(addr)
        if e is None:
            e = Entry(addr, S.INCOMPLETE, None, now)
            self.entries[addr] = e
            self._trace(self.layer, "resolve", addr=addr)
            e.probes = 1
            self.stats[f"{self.layer}.tx.request"] += 1
            self.solicit(addr, None, now)
            self._arm(e, now + self.config.retrans_time)
        cfg = self.config
        if len(e.queue) >= cfg.queue_max_packets or e.queue_bytes + len(packet) > cfg.queue_max_bytes:
            self.stats[f"{self.layer}.drop.queue_full"] += 1
            self._trace(self.layer, "drop", reason="resolution queue full", addr=addr)
            return False
        e.queue.append(packet)
        e.queue_bytes += len(packet)
        return True

    # -- information from the wire ----------------------------------------

    def confirm(self, addr: bytes, lladdr: bytes, now: int, solicited: bool, create: bool) -> list:
        """A reply or other proof that `addr` is at `lladdr`; returns packets to send now.

        `solicited` is a reply to our request (-> REACHABLE); an unsolicited one (a
        gratuitous ARP, a request naming its sender) only updates the address and marks
        the entry STALE (RFC 4861 §7.2.5 applied to ARP, as Linux does).  `create` says
        whether a missing entry may be created.
        """
        e = self.entries.get(addr)
        if e is None:
            if not create:
                return []
            e = Entry(addr, S.STALE, lladdr, now)
            self.entries[addr] = e
            self._trace(self.layer, "neigh_state", addr=addr, frm="NONE", to="STALE", cause="learned from request")
            self._arm(e, now + self.config.gc_stale_time)
            return []
        if e.state is S.PERMANENT:
            return []
        changed = e.lladdr is not None and e.lladdr != lladdr
        if changed:
            self.stats[f"{self.layer}.updated"] += 1
            self._trace(self.layer, "neigh_update", addr=addr, old=e.lladdr, new=lladdr)
        e.lladdr = lladdr
        e.updated = now
        if solicited or e.state is S.INCOMPLETE:
            if e.state is S.INCOMPLETE:
                self._trace(self.layer, "resolved", addr=addr, lladdr=lladdr)
            self._set_state(e, S.REACHABLE, "reply" if solicited else "learned while resolving", now)
            e.probes = 0
            self._arm(e, now + self.reachable_time)
        elif changed:
            self._set_state(e, S.STALE, "address changed", now)
            self._arm(e, now + self.config.gc_stale_time)
        queued, e.queue, e.queue_bytes = e.queue, [], 0
        return queued

    def add_permanent(self, addr: bytes, lladdr: bytes, now: int) -> None:
        e = Entry(addr, S.PERMANENT, lladdr, now)
        self.entries[addr] = e

    def table(self) -> list[tuple[bytes, bytes | None, str]]:
        """(address, link-layer address, state) rows, like `ip neigh`."""
        return [(e.addr, e.lladdr, e.state.name) for e in self.entries.values()]
