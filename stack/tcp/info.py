"""Linux `struct tcp_info` (include/uapi/linux/tcp.h), as getsockopt(TCP_INFO) returns it.

Little-endian with x86-64 alignment; the two 4-bit window-scale fields share byte 6
(snd_wscale in the low nibble).  Times are microseconds except the last_* fields
(milliseconds); cwnd and ssthresh are in segments.  Packed through tcpi_segs_in
(144 bytes); a caller asking for fewer bytes gets a prefix, as Linux copies
min(len, sizeof) bytes.
"""

from __future__ import annotations

import struct
from types import MappingProxyType

TCPI_OPT_TIMESTAMPS = 1
TCPI_OPT_SACK = 2
TCPI_OPT_WSCALE = 4

# offsets: state 0, ca_state 1, retransmits 2, probes 3, backoff 4, options 5, wscales 6,
# flags 7, rto 8, ato 12, snd_mss 16, rcv_mss 20, unacked 24, sacked 28, lost 32,
# retrans 36, fackets 40, last_data_sent 44, last_ack_sent 48, last_data_recv 52,
# last_ack_recv 56, pmtu 60, rcv_ssthresh 64, rtt 68, rttvar 72, snd_ssthresh 76,
# snd_cwnd 80, advmss 84, reordering 88, rcv_rtt 92, rcv_space 96, total_retrans 100,
# pacing_rate 104, max_pacing_rate 112, bytes_acked 120, bytes_received 128,
# segs_out 136, segs_in 140
TCP_INFO = struct.Struct("<8B24I4Q2I")
SIZE = TCP_INFO.size  # 144

FIELDS = (
    "state", "ca_state", "retransmits", "probes", "backoff", "options", "wscale", "flags",
    "rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans", "fackets",
    "last_data_sent", "last_ack_sent", "last_data_recv", "last_ack_recv", "pmtu", "rcv_ssthresh",
    "rtt", "rttvar", "snd_ssthresh", "snd_cwnd", "advmss", "reordering", "rcv_rtt", "rcv_space",
    "total_retrans", "pacing_rate", "max_pacing_rate", "bytes_acked", "bytes_received",
    "segs_out", "segs_in",
)


_WIDTH = MappingProxyType(dict.fromkeys(FIELDS[:8], 0xFF) | dict.fromkeys(FIELDS[8:32], 0xFFFFFFFF) |
                          dict.fromkeys(FIELDS[32:36], 0xFFFFFFFFFFFFFFFF) | dict.fromkeys(FIELDS[36:], 0xFFFFFFFF))


def pack(**fields) -> bytes:
    """Missing fields are 0; each value is clamped to its C field's width."""
    return TCP_INFO.pack(*(min(max(int(fields.get(n, 0)), 0), _WIDTH[n]) for n in FIELDS))


def unpack(buf: bytes) -> dict:
    """The inverse, for tests and teaching output (a short buffer is zero-padded)."""
    buf = bytes(buf) + bytes(max(0, SIZE - len(buf)))
    return dict(zip(FIELDS, TCP_INFO.unpack_from(buf)))
