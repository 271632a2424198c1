"""Reno congestion avoidance (RFC 5681 §3.1); the NewReno recovery of RFC 6582 is driven
by the connection, which calls `ssthresh_after_loss` on entry and sets cwnd itself."""

from __future__ import annotations

from .base import CongestionControl


class NewReno(CongestionControl):
    name = "newreno"
    __slots__ = ()

    def on_ack(self, acked: int, now: int, srtt: int) -> None:
        if self.cwnd < self.ssthresh:
            acked = self.slow_start(acked)
            if not acked:
                return
        # Congestion avoidance: +1 SMSS per cwnd of acknowledged bytes (RFC 5681 §3.1,
        # the byte-counting variant of eq. (3)).
        self.acked_acc += acked
        if self.acked_acc >= self.cwnd:
            self.acked_acc -= self.cwnd
            self.cwnd += self.mss

    def ssthresh_after_loss(self, flight: int, now: int) -> int:
        # RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS)
        self.ssthresh = max(flight // 2, 2 * self.mss)
        self.acked_acc = 0
        return self.ssthresh
