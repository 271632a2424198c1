"""IPv4 mechanisms that keep state: fragmentation (RFC 791 §3.2), reassembly (RFC 815 style,
with Linux's overlap policy), and the path MTU cache (RFC 1191).

The per-packet input and forwarding decisions live in `host.py`, which composes these.
"""

from __future__ import annotations

from types import SimpleNamespace

import heapq
from dataclasses import dataclass

from .wire import ipv4 as ipv4_wire
from .wire.ipv4 import IPv4Header

# RFC 1191 §7: the plateau table, used when a router reports an MTU of zero.
PLATEAUS = (65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68)
MIN_PMTU = 552  # Linux's net.ipv4.route.min_pmtu
PMTU_EXPIRES = 600_000_000  # µs (Linux mtu_expires, RFC 1191 §6.3's ten minutes)


def copied_options(options: bytes) -> bytes:
    """The options a non-first fragment carries: those with the copied flag (RFC 791 §3.1)."""
    out = bytearray()
    i = 0
    n = len(options)
    while i < n:
        t = options[i]
        if t == 0:  # End of Option List
            break
        if t == 1:  # No Operation
            i += 1
            continue
        if i + 1 >= n:
            break
        length = options[i + 1]
        if length < 2:
            break
        if t & 0x80:
            out += options[i:i + length]
        i += length
    return bytes(out)


def fragment(hdr: IPv4Header, payload, mtu: int) -> list[bytes]:
    """Split one datagram into packets that fit `mtu` (RFC 791 §3.2 "Fragmentation").

    `hdr` may itself describe a fragment (a router re-fragmenting): offsets and the MF
    flag of the last piece carry over.
    """
    first_opts = hdr.options
    later_opts = copied_options(first_opts) if first_opts else b""
    out = []
    offset = 0
    total = len(payload)
    base = hdr.frag_offset
    last_mf = hdr.mf
    while offset < total:
        opts = first_opts if offset == 0 else later_opts
        hlen = ipv4_wire.HEADER_LEN + ((len(opts) + 3) & ~3)
        room = (mtu - hlen) & ~7
        if room <= 0:
            raise ValueError(f"MTU {mtu} too small to fragment into")
        chunk = payload[offset:offset + room]
        more = offset + len(chunk) < total
        h = hdr._replace(options=opts, frag_offset=base + offset, mf=more or last_mf)
        out.append(ipv4_wire.build(h, chunk))
        offset += len(chunk)
    return out


class _Queue:
    __slots__ = ("key", "frags", "size", "total", "deadline", "first", "created")

    def __init__(self, key, deadline: int, now: int) -> None:
        self.key = key
        self.frags: list[tuple[int, bytes]] = []  # (offset, data) sorted by offset
        self.size = 0
        self.total: int | None = None  # payload length, known once the last fragment arrives
        self.deadline = deadline
        self.first: IPv4Header | None = None  # header of the offset-0 fragment
        self.created = now


@dataclass
class ReassemblyConfig:
    """Linux's net.ipv4.ipfrag_time and ipfrag_high_thresh."""

    timeout: int = 30_000_000
    high_thresh: int = 4 * 1024 * 1024


class Reassembler:
    """Collects fragments per (src, dst, proto, id) until the datagram is whole.

    Overlapping fragments discard the whole datagram (as Linux does since 2018, and as
    RFC 5722 requires for IPv6); an exact duplicate of a held fragment is ignored, so a
    link that duplicates frames does not break reassembly.  Memory is bounded: past
    `high_thresh` bytes the oldest datagrams are evicted.
    """

    def __init__(self, config: ReassemblyConfig, stats, trace, layer: str = "ip") -> None:
        self.config = config
        self.stats = stats
        self._trace = trace
        self.layer = layer
        self.queues: dict = {}
        self.mem = 0
        self._heap: list = []
        # Whose `_timers_dirty` a new deadline sets (see Node): the host, once it adopts us.
        self.owner = SimpleNamespace(_timers_dirty=True)
        self.max_payload = 65535 - ipv4_wire.HEADER_LEN

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> list[_Queue]:
        """Expire datagrams whose timer ran out; returns them (the caller may send ICMP)."""
        expired = []
        while self._heap and self._heap[0][0] <= now:
            deadline, key = heapq.heappop(self._heap)
            q = self.queues.get(key)
            if q is None or q.deadline != deadline:
                continue
            self._drop(q, "timeout")
            expired.append(q)
        return expired

    def _drop(self, q: _Queue, reason: str) -> None:
        del self.queues[q.key]
        self.mem -= q.size
        self.stats[f"{self.layer}.reasm.{reason}"] += 1
        self._trace(self.layer, "reassembly_drop", reason=reason, src=q.key[0], dst=q.key[1], id=q.key[3],
                    held=q.size)

    def add(self, hdr: IPv4Header, payload, now: int):
        """Add one fragment; returns (header, payload bytes) when the datagram is complete."""
        key = (hdr.src, hdr.dst, hdr.proto, hdr.ident)
        offset = hdr.frag_offset
        data = bytes(payload)
        end = offset + len(data)
        if end > self.max_payload or (hdr.mf and len(data) & 7) or (hdr.mf and not data):
            self.stats[f"{self.layer}.reasm.bad_fragment"] += 1
            self._trace(self.layer, "drop", reason="bad fragment length", src=hdr.src, offset=offset, len=len(data))
            return None
        q = self.queues.get(key)
        if q is None:
            while self.mem + len(data) > self.config.high_thresh and self.queues:
                oldest = min(self.queues.values(), key=lambda x: x.created)
                self._drop(oldest, "memory")
            q = _Queue(key, now + self.config.timeout, now)
            self.queues[key] = q
            heapq.heappush(self._heap, (q.deadline, key))
            self.owner._timers_dirty = True
        if not hdr.mf:
            if (q.total is not None and q.total != end) or any(o + len(d) > end for o, d in q.frags):
                self._drop(q, "inconsistent")
                return None
            q.total = end
        elif q.total is not None and end > q.total:
            self._drop(q, "inconsistent")
            return None
        # insert, checking overlaps with neighbours (the list is sorted by offset)
        frags = q.frags
        i = 0
        while i < len(frags) and frags[i][0] < offset:
            i += 1
        if i < len(frags) and frags[i][0] == offset and len(frags[i][1]) == len(data):
            self.stats[f"{self.layer}.reasm.duplicate"] += 1
            return None
        if (i > 0 and frags[i - 1][0] + len(frags[i - 1][1]) > offset) or (i < len(frags) and frags[i][0] < end):
            self._drop(q, "overlap")
            return None
        frags.insert(i, (offset, data))
        q.size += len(data)
        self.mem += len(data)
        if offset == 0:
            q.first = hdr
        if q.total is None or q.first is None:
            return None
        # complete when the pieces are contiguous from 0 to total
        pos = 0
        for o, d in frags:
            if o != pos:
                return None
            pos += len(d)
        if pos != q.total:
            return None
        del self.queues[q.key]
        self.mem -= q.size
        self.stats[f"{self.layer}.reasm.ok"] += 1
        whole = b"".join(d for _, d in frags)
        first = q.first._replace(mf=False, frag_offset=0, total_length=q.first.header_len + len(whole))
        return first, whole


class PmtuCache:
    """Path MTUs learnt from ICMP (RFC 1191), expiring after ten minutes."""

    def __init__(self) -> None:
        self.entries: dict[bytes, tuple[int, int]] = {}
        self.generation = 0  # bumped whenever a path MTU changes

    def get(self, dst: bytes, now: int) -> int | None:
        e = self.entries.get(dst)
        if e is None:
            return None
        if e[1] <= now:
            del self.entries[dst]
            self.generation += 1
            return None
        return e[0]

    def learn(self, dst: bytes, mtu: int, sent_len: int, now: int, link_mtu: int) -> int | None:
        """Record a fragmentation-needed report; returns the new PMTU if it lowered it."""
        if mtu == 0:  # RFC 1191 §5: an old router; guess the next plateau below what we sent
            mtu = next((p for p in PLATEAUS if p < sent_len), 68)
        mtu = max(mtu, MIN_PMTU if len(dst) == 4 else 1280)
        current = self.get(dst, now) or link_mtu
        if mtu >= current:
            return None
        self.entries[dst] = (mtu, now + PMTU_EXPIRES)
        self.generation += 1
        return mtu
