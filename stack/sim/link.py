"""Point-to-point links with seeded impairments.

A link is two independent channels, one per direction.  A channel models, in order:
the MTU (oversized frames are dropped), a transmit queue drained at `bandwidth` bit/s
(serialization delay; tail drop when `queue` frames are already waiting), then the wire:
loss, bit corruption, duplication, reordering (a reordered frame is held back so later
ones overtake it), and propagation `delay`.  Every random decision comes from the
channel's own RNG, seeded from the network seed and the link's name, so the same seed
gives the same bytes on every link whatever else the network holds.
"""

from __future__ import annotations

import random
from collections import deque
from heapq import heappush

from ..stats import Stats
from ..wire.ethernet import VerifiedFrame

ETH_HEADER = 14


class Channel:
    """One direction of a link: what a node's port transmits into."""

    __slots__ = ("link", "name", "events", "runtime", "dst", "dst_port", "delay", "bandwidth", "loss", "duplicate",
                 "reorder", "corrupt", "mtu", "queue", "rng", "busy_until", "backlog", "stats", "captures",
                 "reorder_delay", "_impaired", "_plain", "_timers", "nic", "_ahead", "arrive", "arrive_verified")

    def __init__(self, link: "Link", name: str, dst, seed, params: dict) -> None:
        self.link = link
        self.name = name
        self.events = link.net.events
        self.runtime = link.net.runtime
        self.dst = dst
        self.dst_port = -1
        self.nic = None
        self.delay = int(round(params["delay"] * 1e6))
        self.bandwidth = params["bandwidth"]
        self.loss = params["loss"]
        self.duplicate = params["duplicate"]
        self.reorder = params["reorder"]
        self.corrupt = params["corrupt"]
        self.mtu = params["mtu"]
        self.queue = params["queue"]
        self.reorder_delay = int(round(params["reorder_delay"] * 1e6))
        self.rng = random.Random(f"{seed}:link:{name}")
        self.busy_until = 0
        self.backlog: deque = deque()
        self.stats = link.stats
        self.captures: list = []
        self._impaired = bool(self.loss or self.duplicate or self.reorder or self.corrupt)
        # A plain channel (no bandwidth limit, no impairment) only delays: `transmit` takes
        # a short road for it.  A node without timers (a switch) needs no touch per frame.
        self._plain = not self.bandwidth and not self._impaired
        self._timers = getattr(dst, "timers", True)
        # A switch at the far end that can decide a frame's way out when it enters this
        # channel (`Switch.decide_ahead`), saving an event per frame per switch.
        self._ahead = getattr(dst, "decide_ahead", None)
        # What a frame's arrival event calls, with the frame: `_deliver`.  (A slot holding
        # the callable: reading `_deliver` off the channel would make a bound method per frame.)
        self.arrive = self._deliver
        # What it calls instead with the bytes of a frame this stack built, checksums good,
        # not marked a VerifiedFrame (a TcpFastPath's: the marking is a copy per frame):
        # the far end's own function for them (`Host.arrival`), set by the Link once the
        # port is known, else `_deliver_verified`, which marks the frame and delivers it.
        self.arrive_verified = self._deliver_verified

    def transmit(self, frame) -> None:
        """Put `frame` on this channel now; it arrives after queueing, serialization and delay."""
        if self._plain and not self.captures:
            # admit() for a channel that only delays: the MTU check, the counters, the arrival
            size = len(frame)
            if size - ETH_HEADER <= self.mtu:
                stats = self.stats
                stats["frames"] += 1
                stats["bytes"] += size
                ev = self.events
                at = ev.now + self.delay
                ahead = self._ahead
                if ahead is not None:
                    out = ahead(self.dst_port, frame, at)
                    if out is not None:  # the switch's forwarding, done ahead: straight to the next hop
                        heappush(ev._heap, (at + out.delay, next(ev._seq), out.arrive, frame))
                        return
                heappush(ev._heap, (at, next(ev._seq), self.arrive, frame))
                return
        out = self.admit(frame)
        if out is not None:
            self.events.schedule(out[0], self.arrive, out[1])

    def admit(self, frame):
        """Everything `transmit` does except scheduling the arrival: returns
        (arrival time, frame as it will arrive) or None when the frame is dropped.

        A switch flooding one frame to many ports calls this per port and schedules one
        event per distinct arrival, so a broadcast to a thousand hosts is not a thousand
        heap operations.
        """
        now = self.events.now
        size = len(frame)
        if size - ETH_HEADER > self.mtu and not (size - ETH_HEADER - 4 <= self.mtu and frame[12:14] == b"\x81\x00"):
            self.stats["drop.mtu"] += 1
            self.link.trace("drop", reason="frame larger than link MTU", size=size, mtu=self.mtu, dir=self.name)
            return None
        start = now
        if self.bandwidth:
            q = self.backlog
            while q and q[0] <= now:
                q.popleft()
            if len(q) >= self.queue:
                self.stats["drop.queue"] += 1
                self.link.trace("drop", reason="transmit queue full", queued=len(q), dir=self.name)
                return None
            start = self.busy_until if self.busy_until > now else now
            self.busy_until = start + (size * 8_000_000) // self.bandwidth
            q.append(self.busy_until)
            arrival = self.busy_until + self.delay
        else:
            arrival = now + self.delay
        stats = self.stats
        stats["frames"] += 1
        stats["bytes"] += size
        if self.captures:
            for writer, index in self.captures:
                writer.write(index, start, frame)
        if self._impaired:
            rng = self.rng
            if self.loss and rng.random() < self.loss:
                stats["drop.loss"] += 1
                self.link.lost.append((now, self.name, frame))
                self.link.trace("drop", reason="loss", dir=self.name)
                return None
            if self.corrupt and rng.random() < self.corrupt:
                b = bytearray(frame)
                bit = rng.randrange(len(b) * 8)
                b[bit >> 3] ^= 0x80 >> (bit & 7)
                frame = bytes(b)
                stats["corrupted"] += 1
                self.link.trace("corrupt", bit=bit, dir=self.name)
            if self.reorder and rng.random() < self.reorder:
                arrival += self.reorder_delay
                stats["reordered"] += 1
            if self.duplicate and rng.random() < self.duplicate:
                stats["duplicated"] += 1
                self.events.schedule(arrival + 1, self.arrive, frame)
        return arrival, frame

    def _deliver(self, frame) -> None:
        """A frame arrives at the far end's port.  (`Host.arrival` has it inlined for a host's
        per-segment frames: keep the two alike.)"""
        dst = self.dst
        if dst.receive(self.dst_port, frame, self.events.now) is not False and self._timers and dst._timers_dirty:
            self.runtime.touch(dst)  # (the flag tested here too: one call less per frame)

    def _deliver_verified(self, frame) -> None:
        """The bytes of a frame known good arrive (see `arrive_verified`): as a VerifiedFrame."""
        self.arrive(VerifiedFrame(frame))


def deliver_many(arg) -> None:
    """One flooded frame arriving at several channels' far ends at the same instant.

    A multicast frame is mostly refused by the receivers' NIC filters (a report for a group
    one host joined, flooded to a thousand): a channel whose far end is a host interface
    (`nic`) applies that filter here, as `Host.receive` would first (the same test, the same
    counter, nothing else touched), without a call per refusing host.  A host whose
    `receive` was replaced on the instance (a test's or a scenario's spy) gets every frame."""
    chans, frame = arg
    if not chans:
        return
    now = chans[0].events.now
    touch = chans[0].runtime.touch
    group = frame[0:6] if len(frame) >= 14 and frame[0] & 1 and frame[0:6] != b"\xff\xff\xff\xff\xff\xff" else None
    for ch in chans:
        dst = ch.dst
        if group is not None:
            nic = ch.nic
            if nic is not None and group not in nic.mcast_macs and not nic.allmulti and group != nic.mac \
                    and "receive" not in dst.__dict__:  # a receive() set on the host (a spy) sees every frame
                dst.stats["eth.rx.filtered"] += 1
                continue
        if dst.receive(ch.dst_port, frame, now) is not False and ch._timers:
            touch(dst)


class Link:
    """A cable between two nodes' ports.  `stats` counts frames, bytes and drops by reason."""

    def __init__(self, net, a, b, *, delay: float = 0.0, bandwidth: float | None = None, loss: float = 0.0,
                 duplicate: float = 0.0, reorder: float = 0.0, corrupt: float = 0.0, mtu: int = 1500,
                 queue: int = 1000, reorder_delay: float | None = None) -> None:
        for what, v in (("loss", loss), ("duplicate", duplicate), ("reorder", reorder), ("corrupt", corrupt)):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{what} must be a fraction between 0 and 1, not {v!r}")
        if delay < 0:
            raise ValueError("delay must not be negative")
        if bandwidth is not None and bandwidth <= 0:
            raise ValueError("bandwidth must be positive (bit/s) or None")
        if mtu < 68:
            raise ValueError("mtu must be at least 68 (RFC 791)")
        self.net = net
        self.a = a
        self.b = b
        self.name = f"{a.name}-{b.name}"
        self.stats: Stats = Stats()
        self.lost: deque = deque(maxlen=100_000)  # (time, direction, frame) the loss impairment ate
        if reorder_delay is None:
            reorder_delay = max(0.001, delay)
        params = dict(delay=delay, bandwidth=int(bandwidth) if bandwidth else None, loss=loss, duplicate=duplicate,
                      reorder=reorder, corrupt=corrupt, mtu=mtu, queue=queue, reorder_delay=reorder_delay)
        self.params = params
        self.mtu = mtu
        self.ab = Channel(self, f"{a.name}>{b.name}", b, net.seed, params)
        self.ba = Channel(self, f"{b.name}>{a.name}", a, net.seed, params)
        self.ab.dst_port = b.attach(self.ba)
        self.ba.dst_port = a.attach(self.ab)
        for ch, node in ((self.ab, b), (self.ba, a)):
            arrival = getattr(node, "arrival", None)
            if arrival is not None:
                ch.arrive_verified = arrival(ch.dst_port, ch) or ch._deliver_verified
        self.ab.nic = b.nic_of(self.ab.dst_port)  # the interfaces whose multicast filter deliver_many applies
        self.ba.nic = a.nic_of(self.ba.dst_port)

    def impair(self, **changes) -> None:
        """Change impairments while the network runs, both directions: `loss=1.0` cuts the
        cable (every frame lost), `loss=0.0` mends it; also delay, duplicate, reorder, corrupt."""
        for key, value in changes.items():
            if key not in ("loss", "duplicate", "reorder", "corrupt", "delay"):
                raise TypeError(f"impair() got an unexpected keyword argument {key!r}")
            if key != "delay" and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be a fraction between 0 and 1, not {value!r}")
            self.params[key] = value
            for ch in (self.ab, self.ba):
                if key == "delay":
                    ch.delay = int(round(value * 1e6))
                else:
                    setattr(ch, key, value)
                ch._impaired = bool(ch.loss or ch.duplicate or ch.reorder or ch.corrupt)
                ch._plain = not ch.bandwidth and not ch._impaired
        self.trace("impair", **changes)

    def trace(self, event: str, **fields) -> None:
        self.net.tracer.emit(self.net.events.now, self.name, "link", event, fields)

    def __repr__(self) -> str:
        return f"<Link {self.name} {self.params}>"
