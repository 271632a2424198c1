"""A learning Ethernet switch (IEEE 802.1D transparent bridging, without spanning tree).

It learns each source MAC's port, forwards known unicast to that port only, and floods
broadcast, multicast and unknown unicast to every other port.  Entries age out after
`aging` seconds (802.1D's default is 300), checked lazily at lookup, so the switch needs
no timers for that.

With `snooping=True` it also snoops IGMP and MLD (RFC 4541, see `snoop.py`): a group's
frames go only to ports with members and to multicast router ports, and the snooping
table's expiries run on `poll_at()` / `poll(now)`.
"""

from __future__ import annotations


from ..addr import mac_str
from ..node import Node
from ..stats import Stats
from .link import deliver_many
from .snoop import Snooper


class Switch(Node):
    kind = "switch"
    timers = False  # entries age lazily at lookup

    def __init__(self, name: str, net, aging: float = 300.0, snooping: bool = False) -> None:
        super().__init__(name)
        self.net = net
        self.aging = int(aging * 1e6)
        self.table: dict[bytes, list] = {}  # MAC -> [port, last_seen]
        self.stats: Stats = Stats()
        self.snooper: Snooper | None = Snooper(self) if snooping else None
        self._moved = False  # a MAC has been seen on a second port: decide every frame on arrival
        # Bumped whenever the table gains, loses or moves an entry: a decision made ahead
        # rests on two entries, and while this is unchanged the same lookups would find the
        # same entries (TcpFastPath keeps its last one, see `decide_ahead`).  Only for this
        # class's own table handling: a subclass with its own receive or decide_ahead
        # has none.
        cls = type(self)
        self.generation = 0 if cls.receive is Switch.receive and cls.decide_ahead is Switch.decide_ahead else None
        if snooping:
            self.timers = True  # the snooping table's expiries run on poll_at() / poll()

    def receive(self, port_no: int, frame, now: int) -> None:
        if len(frame) < 14:
            self.stats["drop.runt"] += 1
            return
        dst = frame[0:6]
        src = frame[6:12]
        if not src[0] & 1:
            e = self.table.get(src)
            if e is None:
                self.table[src] = [port_no, now]
                if self.generation is not None:
                    self.generation += 1
                self.net.tracer.emit(now, self.name, "switch", "learn", {"mac": mac_str(src), "port": port_no})
            else:
                if e[0] != port_no:
                    self._moved = True
                    if self.generation is not None:
                        self.generation += 1
                    self.net.tracer.emit(now, self.name, "switch", "move",
                                         {"mac": mac_str(src), "from": e[0], "to": port_no})
                    e[0] = port_no
                e[1] = now
        if not dst[0] & 1:
            e = self.table.get(dst)
            if e is not None:
                if now - e[1] <= self.aging:
                    if e[0] != port_no:
                        self.ports[e[0]].transmit(frame)
                        self.stats["forwarded"] += 1
                    else:
                        self.stats["filtered"] += 1
                    return
                del self.table[dst]
                if self.generation is not None:
                    self.generation += 1
                self.net.tracer.emit(now, self.name, "switch", "age_out", {"mac": mac_str(dst)})
            self.stats["flooded.unknown"] += 1
        elif self.snooper is not None and dst != b"\xff\xff\xff\xff\xff\xff":
            ports = self.snooper.ports_for(frame, port_no, now)
            if ports is not None:
                self.stats["snoop.forwarded" if ports else "snoop.filtered"] += 1
                self._forward(frame, ports)
                return
            self.stats["flooded"] += 1
        else:
            self.stats["flooded"] += 1
        self._flood(frame, port_no)

    def decide_ahead(self, port_no: int, frame, at: int):
        """The port a unicast frame entering a link toward us will leave by, decided now
        for its arrival at `at`, when nothing can change that decision meanwhile: its
        source is already learnt on `port_no` and its destination on another port, neither
        ages out by then, no MAC has ever moved between ports here, and the way out only
        delays (no impairment, bandwidth limit or capture).  Then the frame's second hop
        is scheduled at once, one event instead of two (`Channel.transmit`); what
        `receive` would do at `at` is done now (refresh the source entry to `at`, count).
        Returns the outgoing channel, or None for the ordinary arrival.

        Only a MAC moving to another port while such a frame is in flight (one link delay)
        would be decided differently, and a move turns this off for good.

        `TcpFastPath.send` keeps the entries of its last decision and, while `generation`
        is unchanged, makes the same tests and updates on them without the lookups (keep
        the two alike)."""
        if self._moved or len(frame) < 14:
            return None
        dst = frame[0:6]
        if dst[0] & 1:
            return None
        table = self.table
        e = table.get(dst)
        if e is None or e[0] == port_no or at - e[1] > self.aging:
            return None
        s = table.get(frame[6:12])
        if s is None or s[0] != port_no or at - s[1] > self.aging:
            return None
        out = self.ports[e[0]]
        size = len(frame)
        if not out._plain or out.captures or size - 14 > out.mtu or "receive" in self.__dict__:
            return None
        s[1] = at
        self.stats["forwarded"] += 1
        stats = out.stats
        stats["frames"] += 1
        stats["bytes"] += size
        return out

    def _flood(self, frame, in_port: int) -> None:
        self._forward(frame, [i for i in range(len(self.ports)) if i != in_port])

    def _forward(self, frame, ports) -> None:
        """Send `frame` out of `ports`, one scheduled event per arrival instant."""
        groups: dict = {}
        size = len(frame)
        now = self.net.events.now
        for i in ports:
            ch = self.ports[i]
            if ch._plain and not ch.captures and size - 14 <= ch.mtu:
                # Channel.admit() for a channel that only delays (as Channel.transmit does
                # it): a flood to a thousand ports is a thousand of these
                stats = ch.stats
                stats["frames"] += 1
                stats["bytes"] += size
                arrival = now + ch.delay
                g = groups.get(arrival)
                if g is None:
                    groups[arrival] = [ch]
                else:
                    g.append(ch)
                continue
            out = ch.admit(frame)
            if out is None:
                continue
            arrival, f = out
            if f is frame:
                g = groups.get(arrival)
                if g is None:
                    groups[arrival] = [ch]
                else:
                    g.append(ch)
            else:  # corrupted on this port only
                ch.events.schedule(arrival, ch.arrive, f)
        if groups:
            schedule = self.net.events.schedule
            for arrival, chans in groups.items():
                schedule(arrival, deliver_many, (chans, frame))

    # -- snooping ---------------------------------------------------------------

    def poll_at(self) -> int | None:
        return self.snooper.poll_at() if self.snooper is not None else None

    def poll(self, now: int) -> None:
        if self.snooper is not None:
            self.snooper.poll(now)

    def peer_name(self, port: int) -> str:
        """The name of the node at the far end of `port`."""
        dst = getattr(self.ports[port], "dst", None)
        return getattr(dst, "name", str(port))

    def snooping_table(self, now: int | None = None) -> list[tuple]:
        """(group or "mrouter", port, peer, seconds left) rows, like `bridge mdb`."""
        if self.snooper is None:
            return []
        return self.snooper.table(self.net.events.now if now is None else now)

    def mac_table(self, now: int | None = None) -> list[tuple[str, int, float]]:
        """(MAC, port, age in seconds) rows, like `bridge fdb`."""
        now = self.net.events.now if now is None else now
        return [(mac_str(m), e[0], (now - e[1]) / 1e6) for m, e in self.table.items() if now - e[1] <= self.aging]
