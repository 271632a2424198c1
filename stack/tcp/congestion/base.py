"""The interface between a connection's loss detection and a congestion controller.

The connection decides *when* something happened (new data acknowledged, loss detected
by duplicate ACKs or SACK, retransmission timeout, recovery over); the controller decides
*how much* (cwnd, ssthresh).  Fast-recovery window inflation for NewReno (RFC 6582) and
the RFC 6675 pipe live in the connection because they depend on the retransmission
queue, not on the algorithm.  All windows are in bytes.
"""

from __future__ import annotations

INFINITE_SSTHRESH = 0x7FFFFFFF  # Linux TCP_INFINITE_SSTHRESH


def initial_cwnd(mss: int, initial_window: int) -> int:
    """RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)) with initial_window=10 (bytes);
    `initial_window` segments when below 4 (a configuration asking for the older IWs)."""
    cwnd = initial_window * mss
    if initial_window >= 4:
        cap = 2 * mss if 2 * mss > 14600 else 14600
        if cwnd > cap:
            cwnd = cap
    return cwnd


class CongestionControl:
    name = "base"
    __slots__ = ("mss", "cwnd", "ssthresh", "acked_acc")

    def __init__(self, mss: int, initial_window: int) -> None:
        self.mss = mss
        self.cwnd = initial_cwnd(mss, initial_window)
        self.ssthresh = INFINITE_SSTHRESH  # RFC 5681 §3.1: arbitrarily high
        self.acked_acc = 0

    def in_slow_start(self) -> bool:
        return self.cwnd < self.ssthresh

    def on_ack(self, acked: int, now: int, srtt: int) -> None:
        """New data acknowledged outside loss recovery."""
        raise NotImplementedError

    def ssthresh_after_loss(self, flight: int, now: int) -> int:
        """Loss detected by duplicate ACKs/SACK: the new ssthresh (also remembered)."""
        raise NotImplementedError

    def on_rto(self, flight: int, now: int) -> None:
        """RFC 5681 §3.1 eq. (4) then the loss window of one segment."""
        self.ssthresh = self.ssthresh_after_loss(flight, now)
        self.cwnd = self.mss
        self.acked_acc = 0

    def set_mss(self, mss: int) -> None:
        """PMTU lowered the MSS: keep the window the same number of segments."""
        if mss < self.mss:
            self.cwnd = max(mss, self.cwnd * mss // self.mss)
            if self.ssthresh != INFINITE_SSTHRESH:
                self.ssthresh = max(2 * mss, self.ssthresh * mss // self.mss)
        self.mss = mss

    def slow_start(self, acked: int) -> int:
        """Grow by the bytes acknowledged, at most 2 SMSS per ACK (RFC 3465 L=2) and never
        beyond ssthresh; returns the bytes left over for congestion avoidance."""
        inc = min(acked, 2 * self.mss)
        room = self.ssthresh - self.cwnd
        if inc > room:
            self.cwnd = self.ssthresh
            return acked - room
        self.cwnd += inc
        return 0
