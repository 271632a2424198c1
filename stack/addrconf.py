"""IPv6 addresses on interfaces: their life cycle, duplicate address detection, SLAAC, and
source address selection (RFC 4291, RFC 4862, RFC 4429, RFC 6724 §5).

An address goes through these states (RFC 4862 §5.4, RFC 4429 §2.1)::

    TENTATIVE / OPTIMISTIC --DAD passes--> PREFERRED --preferred lifetime--> DEPRECATED --valid--> (removed)
              |
              +--a neighbor claims it--> DUPLICATE (kept, never used: `ip -6 addr` shows "dadfailed")

A TENTATIVE address cannot be used at all until DAD passes (about one second: a random
delay of up to MAX_RTR_SOLICITATION_DELAY, then DupAddrDetectTransmits solicitations
RetransTimer apart).  An OPTIMISTIC address (RFC 4429) may be used at once but counts as
deprecated when choosing a source, its neighbor advertisements do not set the Override
flag (so they never replace a cache entry another node made), and its router
solicitations carry no source link-layer address.  Its neighbor solicitations do carry
one, as Linux sends them: without it two optimistic neighbors wait for each other.

Decision: this stack configures every address optimistically by default
(`HostConfig.optimistic_dad`), although RFC 4429 §3.1 advises against it for manually
entered addresses, so that a simulated network can carry IPv6 traffic from time zero just
as it carries IPv4.  DAD still runs and still detects and reports duplicates.  Setting
`optimistic_dad=False` gives RFC 4862's strict tentative state (the `dad` scenario shows
both).

The link-local address is fe80::/64 with the modified EUI-64 interface identifier of the
interface's MAC (RFC 4291 Appendix A), as Linux's default addr_gen_mode makes it; SLAAC
addresses use the same identifier.  Stable privacy identifiers (RFC 7217) are not
generated: in a teaching simulator an address that shows its MAC is easier to follow.
"""

from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass

from .addr import IPV6_LOOPBACK, SCOPE_GLOBAL, interface_id, ip_str, is_link_local, link_local, scope

MAX_RTR_SOLICITATION_DELAY = 1_000_000  # µs (RFC 4861 §10)
TWO_HOURS = 7200  # s (RFC 4862 §5.5.3 e)


class AddrState(enum.Enum):
    TENTATIVE = "tentative"
    OPTIMISTIC = "optimistic"
    PREFERRED = "preferred"
    DEPRECATED = "deprecated"
    DUPLICATE = "dadfailed"


S = AddrState
USABLE = frozenset({S.OPTIMISTIC, S.PREFERRED, S.DEPRECATED})


@dataclass
class AddrConfConfig:
    """Linux's defaults (net.ipv6.conf.default.*)."""

    dad_transmits: int = 1  # DupAddrDetectTransmits
    retrans_time: int = 1_000_000  # µs
    optimistic_dad: bool = True  # see the module docstring
    dad_delay: bool = True  # wait a random 0..MAX_RTR_SOLICITATION_DELAY before the first probe


class Addr6:
    """One IPv6 address on one interface."""

    __slots__ = ("addr", "prefix_len", "iface", "state", "origin", "valid_until", "preferred_until", "probes",
                 "deadline")

    def __init__(self, addr: bytes, prefix_len: int, iface, state: AddrState, origin: str) -> None:
        self.addr = addr
        self.prefix_len = prefix_len
        self.iface = iface
        self.state = state
        self.origin = origin  # "static", "link" (link-local), "slaac"
        self.valid_until: int | None = None  # µs; None: forever
        self.preferred_until: int | None = None
        self.probes = 0  # DAD solicitations still to send
        self.deadline: int | None = None  # next DAD event

    @property
    def usable(self) -> bool:
        return self.state in USABLE

    @property
    def tentative(self) -> bool:
        return self.state is S.TENTATIVE or self.state is S.OPTIMISTIC

    def __str__(self) -> str:
        return f"{ip_str(self.addr)}/{self.prefix_len}"

    def __repr__(self) -> str:
        return f"<Addr6 {self} {self.state.value} {self.origin}>"


class AddrConf:
    """The IPv6 addresses of one host, and the timers that move them between states.

    The owner (the host) provides `send_dad_probe(iface, addr)`, `address_usable(a)` /
    `address_gone(a)` to keep its lookup sets current, and `join_group` / `leave_group`.
    """

    def __init__(self, host, config: AddrConfConfig) -> None:
        self.host = host
        self.config = config
        self._heap: list = []  # (deadline, seq, Addr6)
        self._seq = 0

    # -- adding and removing ------------------------------------------------------

    def add(self, iface, addr: bytes, prefix_len: int, origin: str, now: int, valid: int | None = None,
            preferred: int | None = None) -> Addr6:
        """Configure `addr` on `iface` and start DAD (or take it as is on loopback)."""
        host = self.host
        existing = next((a for a in iface.ipv6 if a.addr == addr), None)
        if existing is not None:
            return existing
        a = Addr6(addr, prefix_len, iface, S.PREFERRED, origin)
        if valid is not None:
            a.valid_until = now + valid * 1_000_000 if valid != 0xFFFFFFFF else None
        if preferred is not None:
            a.preferred_until = now + preferred * 1_000_000 if preferred != 0xFFFFFFFF else None
        iface.ipv6.append(a)
        iface.addrs6[addr] = a
        if iface.loopback or self.config.dad_transmits == 0:
            host.trace("addrconf", "address", addr=addr, iface=iface.name, state=a.state.value, origin=origin)
            host.address_usable(a)
        else:
            a.state = S.OPTIMISTIC if self.config.optimistic_dad else S.TENTATIVE
            host.trace("addrconf", "address", addr=addr, iface=iface.name, state=a.state.value, origin=origin)
            if a.usable:
                host.address_usable(a)
            host.join_group(iface, solicited_node_of(addr))  # RFC 4862 §5.4.2: before the first probe
            if iface.up:
                self.start_dad(a, now)
        self._arm_lifetime(a)
        return a

    def remove(self, a: Addr6, reason: str) -> None:
        iface = a.iface
        if a in iface.ipv6:
            iface.ipv6.remove(a)
            iface.addrs6.pop(a.addr, None)
            a.deadline = None
            self.host.address_gone(a)
            if not any(solicited_node_of(o.addr) == solicited_node_of(a.addr) for o in iface.ipv6):
                self.host.leave_group(iface, solicited_node_of(a.addr))
            self.host.trace("addrconf", "address_removed", addr=a.addr, iface=iface.name, reason=reason)

    def link_local(self, iface, now: int) -> Addr6:
        return self.add(iface, link_local(iface.mac), 64, "link", now)

    def slaac(self, iface, prefix: bytes, prefix_len: int, valid: int, preferred: int, now: int) -> None:
        """RFC 4862 §5.5.3: form or refresh an address from a Prefix Information option."""
        if prefix_len != 64:  # the interface identifier is 64 bits (RFC 4291 §2.5.1)
            self.host.trace("addrconf", "slaac_ignored", prefix=prefix, prefix_len=prefix_len,
                            reason="prefix length plus interface identifier is not 128")
            return
        addr = prefix[:8] + interface_id(iface.mac)
        a = iface.addrs6.get(addr)
        if a is None:
            if valid == 0:
                return
            self.add(iface, addr, 64, "slaac", now, valid, preferred)
            return
        if a.origin != "slaac":
            return
        # (e): never let a forged RA shorten a valid lifetime below two hours
        remaining = None if a.valid_until is None else max(0, (a.valid_until - now) // 1_000_000)
        if valid > TWO_HOURS or (remaining is not None and valid > remaining):
            new_valid = valid
        elif remaining is not None and remaining <= TWO_HOURS:
            new_valid = remaining
        else:
            new_valid = TWO_HOURS
        a.valid_until = None if new_valid == 0xFFFFFFFF else now + new_valid * 1_000_000
        a.preferred_until = None if preferred == 0xFFFFFFFF else now + preferred * 1_000_000
        if a.state is S.DEPRECATED and preferred > 0:
            self._set_state(a, S.PREFERRED, "preferred lifetime renewed")
        self._arm_lifetime(a)

    # -- DAD ---------------------------------------------------------------------------

    def start_dad(self, a: Addr6, now: int) -> None:
        if not a.tentative:
            return
        a.probes = self.config.dad_transmits
        delay = int(self.host.rng.random() * MAX_RTR_SOLICITATION_DELAY) if self.config.dad_delay else 0
        self._arm(a, now + delay)

    def conflict(self, a: Addr6, why: str) -> None:
        """Someone else has the address (RFC 4862 §5.4.3, §5.4.4)."""
        host = self.host
        host.stats["addrconf.dad.duplicate"] += 1
        if not a.tentative:
            # a conflict after DAD: RFC 4862 §5.4.4 leaves it to the implementation; as Linux, log it
            host.trace("addrconf", "address_conflict", addr=a.addr, iface=a.iface.name, why=why)
            return
        was_usable = a.usable
        self._set_state(a, S.DUPLICATE, why)
        a.deadline = None
        if was_usable:
            host.address_gone(a)
        host.trace("addrconf", "dad_failed", addr=a.addr, iface=a.iface.name, why=why)

    def _set_state(self, a: Addr6, new: AddrState, cause: str) -> None:
        if new is not a.state:
            self.host.trace("addrconf", "state", addr=a.addr, iface=a.iface.name, frm=a.state.value, to=new.value,
                            cause=cause)
            a.state = new

    # -- timers ----------------------------------------------------------------------------

    def _arm(self, a: Addr6, at: int) -> None:
        a.deadline = at
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, a))
        self.host._timers_dirty = True

    def _arm_lifetime(self, a: Addr6) -> None:
        for t in (a.preferred_until, a.valid_until):
            if t is not None:
                self._seq += 1
                heapq.heappush(self._heap, (t, self._seq, a))
                self.host._timers_dirty = True

    def poll_at(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def poll(self, now: int) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _, a = heapq.heappop(heap)
            if a not in a.iface.ipv6:
                continue
            if a.deadline == at and a.tentative:
                a.deadline = None
                if a.probes > 0:
                    a.probes -= 1
                    self.host.stats["addrconf.dad.probe"] += 1
                    self.host.send_dad_probe(a.iface, a.addr)
                    self._arm(a, now + self.config.retrans_time)
                else:
                    was_usable = a.usable
                    self._set_state(a, S.PREFERRED, "DAD completed")
                    if not was_usable:
                        self.host.address_usable(a)
                    self.host.dad_completed(a)
                continue
            if a.valid_until is not None and a.valid_until <= now:
                self.remove(a, "valid lifetime expired")
            elif a.preferred_until is not None and a.preferred_until <= now and a.state is S.PREFERRED:
                self._set_state(a, S.DEPRECATED, "preferred lifetime expired")


def solicited_node_of(addr: bytes) -> bytes:
    from .addr import solicited_node

    return solicited_node(addr)


def _common_prefix_len(a: bytes, b: bytes) -> int:
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return 128 - x.bit_length()


def select_source(candidates, dst: bytes) -> bytes | None:
    """RFC 6724 §5 among `candidates` (Addr6 on the outgoing interface), the rules that apply
    to a host without home addresses, temporary addresses or labels of its own:

    1. prefer the destination itself; 2. prefer the smallest scope not below the
    destination's; 3. avoid deprecated (and optimistic, RFC 4429 §3.3) addresses;
    8. prefer the longest matching prefix.
    """
    if dst == IPV6_LOOPBACK:
        return IPV6_LOOPBACK
    dscope = scope(dst)
    best = None
    best_key = None
    for a in candidates:
        if not a.usable:
            continue
        if a.addr == dst:
            return dst
        s = scope(a.addr) if not is_link_local(a.addr) else 2
        if a.addr == IPV6_LOOPBACK:
            continue
        key = (
            0 if s >= dscope else 1,  # rule 2: big enough scope first...
            s if s >= dscope else -s,  # ...the smallest of those, else the largest below
            1 if a.state is not S.PREFERRED else 0,  # rule 3
            -_common_prefix_len(a.addr, dst),  # rule 8
        )
        if best_key is None or key < best_key:
            best, best_key = a.addr, key
    return best


__all__ = ["AddrConf", "AddrConfConfig", "Addr6", "AddrState", "select_source", "SCOPE_GLOBAL"]
