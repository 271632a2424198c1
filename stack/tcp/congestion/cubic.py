"""CUBIC (RFC 9438): window growth as a cubic function of the time since the last
congestion event, with the Reno-friendly region of §4.3 and fast convergence (§4.7)."""

from __future__ import annotations

from ...clock import US_PER_S
from .base import CongestionControl

C = 0.4  # RFC 9438 §5
BETA = 0.7
ALPHA = 3 * (1 - BETA) / (1 + BETA)  # §4.3, Reno-friendly additive increase


class Cubic(CongestionControl):
    name = "cubic"
    __slots__ = ("w_max", "k", "epoch", "w_est")

    def __init__(self, mss: int, initial_window: int) -> None:
        # (the base class by name, not super(): no super object made per connection)
        CongestionControl.__init__(self, mss, initial_window)
        self.w_max = 0.0  # segments
        self.k = 0.0  # seconds
        self.epoch = None  # start of the current congestion-avoidance epoch (us)
        self.w_est = 0.0

    def on_ack(self, acked: int, now: int, srtt: int) -> None:
        if self.cwnd < self.ssthresh:
            acked = self.slow_start(acked)
            if not acked:
                return
        mss = self.mss
        cwnd_seg = self.cwnd / mss
        if self.epoch is None:
            # §4.2: a new epoch starts on the first ACK of congestion avoidance.
            self.epoch = now
            if self.w_max < cwnd_seg:
                self.w_max = cwnd_seg
                self.k = 0.0
            else:
                self.k = ((self.w_max - cwnd_seg) / C) ** (1 / 3)
            self.w_est = cwnd_seg
        t = (now - self.epoch + srtt) / US_PER_S  # §4.2: W_cubic(t + RTT) is the target
        target = C * (t - self.k) ** 3 + self.w_max
        # §4.2: target clamped to [cwnd, 1.5 cwnd]
        if target < cwnd_seg:
            target = cwnd_seg
        elif target > 1.5 * cwnd_seg:
            target = 1.5 * cwnd_seg
        self.w_est += ALPHA * (acked / mss) / cwnd_seg  # §4.3
        if self.w_est > target:
            target = self.w_est
        # cwnd grows by (target - cwnd)/cwnd per acknowledged segment.
        self.acked_acc += int((target - cwnd_seg) / cwnd_seg * acked)
        if self.acked_acc >= mss:
            n = self.acked_acc // mss
            self.cwnd += n * mss
            self.acked_acc -= n * mss

    def ssthresh_after_loss(self, flight: int, now: int) -> int:
        mss = self.mss
        cwnd_seg = self.cwnd / mss
        # §4.7 fast convergence
        if cwnd_seg < self.w_max:
            self.w_max = cwnd_seg * (1 + BETA) / 2
        else:
            self.w_max = cwnd_seg
        self.epoch = None
        self.acked_acc = 0
        self.ssthresh = max(int(self.cwnd * BETA), 2 * mss)  # §4.6
        return self.ssthresh

    def on_rto(self, flight: int, now: int) -> None:
        super().on_rto(flight, now)
        self.epoch = None
