"""What every network element shares: a name, ports, and the sans-IO timer contract."""

from __future__ import annotations


class Node:
    """A thing with ports that links connect: a host, a router, a switch, a probe.

    `receive(port_no, frame, now)` takes a frame from a link; `poll_at()` / `poll(now)`
    run the node's timers.  `_wake_at` belongs to the runtime (the time of its pending
    wakeup for this node) and nothing else touches it.

    `_timers_dirty` is the other half of that contract: whatever may make `poll_at()`
    earlier (a deadline pushed onto any of the node's timer heaps, a packet queued on
    loopback) sets it, and the simulation runtime asks `poll_at()` again only then and
    after the node's timers ran.  Deadlines that move later need nothing: the pending
    wakeup comes early, polls, finds nothing due, and asks again.  So the question is
    asked a few times per timer instead of after every frame.
    """

    kind = "node"
    timers = True  # False: poll_at() is always None, so nobody need ask after each frame
    _timers_dirty = True  # (see above; each instance keeps its own once set)

    def __init__(self, name: str) -> None:
        self.name = name
        self.ports: list = []  # per port: the channel that carries our frames away
        self._wake_at: int | None = None

    def attach(self, channel) -> int:
        """Connect a new port to `channel` (frames we send go into it); returns the port number."""
        self.ports.append(channel)
        return len(self.ports) - 1

    def receive(self, port_no: int, frame: bytes, now: int):
        """Take a frame.  Returning False promises the frame changed nothing (a NIC filter
        or an ignored broadcast), so the runtime need not ask for new deadlines."""
        raise NotImplementedError

    def nic_of(self, port_no: int):
        """The interface on `port_no` whose multicast filter a link may apply for this node
        (an object with `mcast_macs` and `allmulti`; the node counts refusals in
        `stats["eth.rx.filtered"]`), or None: every frame goes to `receive`."""
        return None

    def poll_at(self) -> int | None:
        return None

    def poll(self, now: int) -> None:
        pass
