"""A raw port on the network: inject any bytes, record every frame that arrives.

Tests and teaching scenarios use it to send what no well-behaved host would (scapy-built,
truncated, hostile frames) and to see exactly what goes past.
"""

from __future__ import annotations

from ..node import Node


class Probe(Node):
    kind = "probe"
    timers = False

    def __init__(self, name: str, net) -> None:
        super().__init__(name)
        self.net = net
        self.frames: list[tuple[float, bytes]] = []  # (virtual seconds, frame)

    def receive(self, port_no: int, frame, now: int) -> None:
        self.frames.append((now / 1e6, bytes(frame)))

    def send(self, frame, port: int = 0) -> None:
        """Inject `frame` (bytes, or anything `bytes()` accepts, such as a scapy packet)."""
        if not self.ports:
            raise RuntimeError(f"probe {self.name} is not linked to anything")
        self.ports[port].transmit(bytes(frame))
        self.net.runtime.kick()

    def clear(self) -> None:
        self.frames.clear()
