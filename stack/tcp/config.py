"""Per-host TCP configuration and per-socket options.

Defaults follow Linux (the `TcpConfig.linux()` profile) so that traces compare against
a Linux peer; `TcpConfig.rfc()` gives the RFCs' conservative values (1 s minimum RTO,
RFC 7323 option layout).

Buffer defaults: Linux starts a socket at tcp_rmem[1] = 131072 and tcp_wmem[1] = 16384
bytes and autotunes them up to 6 MB / 4 MB.  This stack does not autotune, so both
default to 262144 bytes: enough for the bandwidth-delay product of a fast simulated LAN
(50 MB/s x 2 ms = 100 kB) and still small enough that a slow reader fills them soon.
"""

from __future__ import annotations

import dataclasses

from ..clock import MS, SECOND


@dataclasses.dataclass
class TcpConfig:
    mss: int | None = None  # cap on the advertised MSS; None: the route MTU minus headers (Linux)
    rcvbuf: int = 262_144
    sndbuf: int = 262_144
    initial_window: int = 10  # segments, RFC 6928
    rto_initial: int = 1 * SECOND  # RFC 6298 §2.1 (Linux TCP_TIMEOUT_INIT too)
    rto_min: int = 200 * MS  # Linux TCP_RTO_MIN; RFC 6298 §2.4 says 1 s
    rto_max: int = 120 * SECOND  # Linux TCP_RTO_MAX
    delayed_ack: int = 40 * MS  # Linux TCP_DELACK_MIN
    msl: int = 30 * SECOND  # TIME_WAIT lasts 2*MSL = 60 s as Linux's TCP_TIMEWAIT_LEN
    syn_retries: int = 6  # net.ipv4.tcp_syn_retries
    synack_retries: int = 5  # net.ipv4.tcp_synack_retries
    retries2: int = 15  # net.ipv4.tcp_retries2
    fin_timeout: int = 60 * SECOND  # net.ipv4.tcp_fin_timeout, orphaned FIN_WAIT_2
    keepalive_time: int = 7200 * SECOND
    keepalive_intvl: int = 75 * SECOND
    keepalive_probes: int = 9
    timestamps: bool = True
    window_scaling: bool = True
    sack: bool = True
    congestion: str = "cubic"  # or "newreno"
    option_order: str = "linux"  # or "rfc"
    challenge_ack_limit: int = 1000  # per second, RFC 5961 §7 (Linux tcp_challenge_ack_limit)
    max_syn_backlog: int = 256  # net.ipv4.tcp_max_syn_backlog (scaled down: no SYN cookies)
    somaxconn: int = 4096  # net.core.somaxconn caps listen()'s backlog
    ooo_limit_segments: int = 512  # reassembly queue bound in pieces, besides bytes
    dupthresh: int = 3  # RFC 5681 §3.2 / RFC 6675 DupThresh
    verify_checksum: bool = True

    @classmethod
    def linux(cls, **kw) -> "TcpConfig":
        return cls(**kw)

    @classmethod
    def rfc(cls, **kw) -> "TcpConfig":
        base = dict(rto_min=1 * SECOND, rto_max=60 * SECOND, option_order="rfc", congestion="newreno",
                    delayed_ack=200 * MS, msl=120 * SECOND)
        base.update(kw)
        return cls(**base)


@dataclasses.dataclass
class SocketOptions:
    """What setsockopt can change on one TCP socket (copied into the connection)."""

    nodelay: bool = False  # TCP_NODELAY
    keepalive: bool = False  # SO_KEEPALIVE
    keepidle: int | None = None  # TCP_KEEPIDLE (us), None: host default
    keepintvl: int | None = None  # TCP_KEEPINTVL
    keepcnt: int | None = None  # TCP_KEEPCNT
    rcvbuf: int | None = None  # SO_RCVBUF effective size (the socket layer doubles as Linux)
    sndbuf: int | None = None  # SO_SNDBUF
    linger: int | None = None  # SO_LINGER seconds when on; 0 aborts with RST on close
    user_timeout: int | None = None  # TCP_USER_TIMEOUT (us)
    maxseg: int | None = None  # TCP_MAXSEG
    record: bool = False  # record the (cwnd, ssthresh, srtt...) time series
    congestion: str | None = None  # TCP_CONGESTION
    syncnt: int | None = None  # TCP_SYNCNT: SYN (a listener's: SYN-ACK) retransmissions before ETIMEDOUT
    linger2: int | None = None  # TCP_LINGER2 (us): an orphaned FIN-WAIT-2's life; -1: none at all

    def copy(self) -> "SocketOptions":
        """A shallow copy (what copy.copy makes, without its generic machinery: a listener
        copies its options into every child connection)."""
        new = object.__new__(SocketOptions)
        new.__dict__ = self.__dict__.copy()  # (cheaper than updating the new object's own dict)
        return new


# The defaults, one object shared by every socket that has set no TCP option and by the
# connections it makes (the socket layer's _own_tcpopts gives a socket, and its listener or
# connection, a copy before a first change): never changed, so never copied either.
DEFAULT_OPTIONS = SocketOptions()
