"""Retransmission timeout estimation (RFC 6298) with exponential backoff.

All values in microseconds.  Samples come from one timed segment per flight (Karn's
rule, RFC 6298 §3: never from a retransmitted segment), so precision is the
simulator's microsecond, not the millisecond of the timestamp option.
"""

from __future__ import annotations

K = 4
G = 1000  # clock granularity (us): Linux's jiffy-free tcp_mstamp is finer, 1 ms is RFC-typical


class RttEstimator:
    __slots__ = ("srtt", "rttvar", "rto", "backoff", "rto_min", "rto_max", "latest", "min_rtt")

    def __init__(self, rto_initial: int, rto_min: int, rto_max: int) -> None:
        # (Connection.__init__ has it inlined: keep the two alike)
        self.srtt = 0  # 0 until the first sample
        self.rttvar = 0
        self.rto = rto_initial  # RFC 6298 §2.1
        self.backoff = 0
        self.rto_min = rto_min
        self.rto_max = rto_max
        self.latest = 0
        self.min_rtt = 0

    def sample(self, r: int) -> None:
        """RFC 6298 §2.2 (first) and §2.3 (subsequent) updates, then §2.4 clamping.
        (`Connection._fast_path` and `Connection._new_ack` have it inlined for a positive
        sample after the first, with K and G written out: keep the three alike.)"""
        if r <= 0:
            r = 1
        self.latest = r
        if not self.min_rtt or r < self.min_rtt:
            self.min_rtt = r
        srtt = self.srtt
        if not srtt:
            srtt = r
            rttvar = r >> 1
        else:
            d = srtt - r
            rttvar = (3 * self.rttvar + (d if d >= 0 else -d)) >> 2  # beta = 1/4
            srtt = (7 * srtt + r) >> 3  # alpha = 1/8
        self.srtt = srtt
        self.rttvar = rttvar
        # RTO = SRTT + max(G, K*RTTVAR), then clamped to [rto_min, rto_max] (comparisons
        # instead of max/min calls: this runs once per round trip)
        v = K * rttvar
        rto = srtt + (v if v > G else G)
        if rto < self.rto_min:
            rto = self.rto_min
        if rto > self.rto_max:
            rto = self.rto_max
        self.rto = rto
        self.backoff = 0  # RFC 6298 §5.7: a new sample collapses the backoff

    def current(self) -> int:
        """The timeout to arm now: RTO doubled per backoff (§5.5), capped at the maximum.
        (Connection's open_active and open_passive have it inlined: keep the three alike.)"""
        t = self.rto << self.backoff
        return t if t < self.rto_max else self.rto_max

    def on_timeout(self) -> None:
        if (self.rto << self.backoff) < self.rto_max:
            self.backoff += 1
