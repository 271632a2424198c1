"""ICMP error policy shared by IPv4 and IPv6: when an error may be sent, and how often.

RFC 1122 §3.2.2 and RFC 4443 §2.4(e) say never to answer an ICMP error, a broadcast or
multicast, a non-first fragment, or a packet from a source that does not name a single
host.  RFC 1812 §4.3.2.8 and RFC 4443 §2.4(f) ask for rate limiting; Linux uses a token
bucket per destination (1 per second, burst 6) under a host-wide bucket (1000 per
second, burst 50), and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class IcmpConfig:
    rate: float = 1000.0  # host-wide tokens per second (net.ipv4.icmp_msgs_per_sec)
    burst: int = 50  # net.ipv4.icmp_msgs_burst
    peer_interval: int = 1_000_000  # µs between errors to one destination (icmp_ratelimit)
    peer_burst: int = 6
    echo_ignore_broadcasts: bool = True


class TokenBucket:
    __slots__ = ("interval", "burst", "tokens", "last")

    def __init__(self, interval: int, burst: int, now: int = 0) -> None:
        self.interval = interval  # µs per token
        self.burst = burst
        self.tokens = burst
        self.last = now

    def take(self, now: int) -> bool:
        if self.tokens < self.burst:
            gained = (now - self.last) // self.interval
            if gained:
                self.tokens = min(self.burst, self.tokens + gained)
                self.last += gained * self.interval
        else:
            self.last = now
        if self.tokens:
            self.tokens -= 1
            return True
        return False


class ErrorLimiter:
    """Decides whether one more ICMP error may go to `dst` now."""

    def __init__(self, config: IcmpConfig) -> None:
        self.config = config
        self.global_bucket = TokenBucket(int(1_000_000 / config.rate), config.burst)
        self.peers: dict[bytes, TokenBucket] = {}

    def allow(self, dst: bytes, now: int) -> bool:
        b = self.peers.get(dst)
        if b is None:
            if len(self.peers) > 4096:
                self.peers.clear()
            b = self.peers[dst] = TokenBucket(self.config.peer_interval, self.config.peer_burst, now)
        return b.take(now) and self.global_bucket.take(now)
