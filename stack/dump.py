"""One-line, tcpdump-style descriptions of Ethernet frames, for traces and teaching output.

`describe(frame)` never raises: whatever a frame holds, the line says what could be read and
where it stopped ("[malformed ipv4: truncated ...]").  `describe(frame, link=True)` prefixes
the MAC addresses as `tcpdump -e` does.
"""

from __future__ import annotations

import struct

from .addr import ip_str, mac_str
from .wire import arp as arp_wire
from .wire import ethernet, icmp, ipv4, udp
from .wire.errors import WireError

_ICMP_NAMES = {0: "echo reply", 8: "echo request", 3: "unreachable", 11: "time exceeded", 12: "parameter problem",
               5: "redirect"}
_UNREACH = {0: "net", 1: "host", 2: "protocol", 3: "port", 4: "need to frag", 13: "admin prohibited"}
_TCP_FLAGS = ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W"))


def describe(frame, link: bool = False) -> str:
    buf = memoryview(bytes(frame))
    try:
        eth, payload = ethernet.parse(buf)
    except WireError as e:
        return f"[malformed ethernet: {e}]"
    prefix = f"{mac_str(eth.src)} > {mac_str(eth.dst)}, " if link else ""
    if eth.vlan is not None:
        prefix += f"vlan {eth.vlan}, "
    try:
        if eth.ethertype == ethernet.ETH_P_ARP:
            return prefix + _arp(payload)
        if eth.ethertype == ethernet.ETH_P_IP:
            return prefix + _ipv4(payload)
        if eth.ethertype == ethernet.ETH_P_IPV6:
            return prefix + _ipv6(payload)
    except WireError as e:
        return prefix + f"[malformed: {e}]"
    except (struct.error, IndexError, ValueError) as e:
        return prefix + f"[malformed: {e}]"
    return prefix + f"ethertype {eth.ethertype:#06x}, length {len(payload)}"


def _arp(buf) -> str:
    p = arp_wire.parse(buf)
    if p.op == arp_wire.REQUEST:
        if p.spa == p.tpa:
            return f"ARP, Announcement {ip_str(p.spa)}, length {arp_wire.LENGTH}"
        return f"ARP, Request who-has {ip_str(p.tpa)} tell {ip_str(p.spa)}, length {arp_wire.LENGTH}"
    return f"ARP, Reply {ip_str(p.spa)} is-at {mac_str(p.sha)}, length {arp_wire.LENGTH}"


def _ipv4(buf) -> str:
    h, payload = ipv4.parse(buf, verify_checksum=False)
    src, dst = ip_str(h.src), ip_str(h.dst)
    frag = ""
    if h.is_fragment:
        frag = f" (frag id {h.ident}, offset {h.frag_offset}, flags [{'+' if h.mf else 'none'}])"
        if h.frag_offset:
            return f"IP {src} > {dst}: proto {h.proto}, length {len(payload)}{frag}"
    if h.proto == ipv4.PROTO_UDP:
        hdr, data = udp.parse(payload, h.src, h.dst) if len(payload) >= 8 and not h.mf else (None, payload)
        if hdr is None:
            sport, dport = struct.unpack_from("!HH", payload)
            return f"IP {src}.{sport} > {dst}.{dport}: UDP{frag}"
        return f"IP {src}.{hdr.sport} > {dst}.{hdr.dport}: UDP, length {len(data)}{frag}"
    if h.proto == ipv4.PROTO_ICMP:
        return f"IP {src} > {dst}: {_icmp(payload)}{frag}"
    if h.proto == ipv4.PROTO_TCP:
        return _tcp(src, dst, payload) + frag
    return f"IP {src} > {dst}: proto {h.proto}, length {len(payload)}{frag}"


def _icmp(buf) -> str:
    ic, body = icmp.parse(buf, verify_checksum=False)
    name = _ICMP_NAMES.get(ic.type, f"type {ic.type}")
    if ic.type in (0, 8):
        return f"ICMP {name}, id {ic.ident}, seq {ic.seq}, length {len(buf)}"
    about = ""
    if len(body) >= 20:
        q = body
        qsrc, qdst = ip_str(bytes(q[12:16])), ip_str(bytes(q[16:20]))
        ihl = (q[0] & 0x0F) * 4
        if q[9] in (6, 17) and len(q) >= ihl + 4:
            sport, dport = struct.unpack_from("!HH", q, ihl)
            about = f" {qsrc}.{sport} > {qdst}.{dport} {'tcp' if q[9] == 6 else 'udp'}"
        else:
            about = f" {qsrc} > {qdst} proto {q[9]}"
    if ic.type == 3:
        what = _UNREACH.get(ic.code, f"code {ic.code}")
        extra = f" (mtu {ic.mtu})" if ic.code == 4 else ""
        return f"ICMP{about} {what} unreachable{extra}, length {len(buf)}"
    if ic.type == 11:
        why = "in-transit" if ic.code == 0 else "reassembly"
        return f"ICMP time exceeded {why}{about}, length {len(buf)}"
    return f"ICMP {name} code {ic.code}{about}, length {len(buf)}"


def _tcp(src: str, dst: str, buf) -> str:
    if len(buf) < 20:
        return f"IP {src} > {dst}: [truncated tcp]"
    sport, dport, seq, ack, off, flags, win = struct.unpack_from("!HHIIBBH", buf)
    hlen = (off >> 4) * 4
    flag_text = "".join(ch for bit, ch in _TCP_FLAGS if flags & bit) or "none"
    if flag_text.startswith(".") and len(flag_text) > 1:
        flag_text = flag_text[1:] + "."
    parts = [f"Flags [{flag_text}]"]
    data_len = max(0, len(buf) - hlen)
    if flags & 0x07 or data_len:
        parts.append(f"seq {seq}" + (f":{(seq + data_len) & 0xFFFFFFFF}" if data_len else ""))
    if flags & 0x10:
        parts.append(f"ack {ack}")
    parts.append(f"win {win}")
    opts = _tcp_options(bytes(buf[20:hlen])) if hlen > 20 else ""
    if opts:
        parts.append(f"options [{opts}]")
    parts.append(f"length {data_len}")
    return f"IP {src}.{sport} > {dst}.{dport}: " + ", ".join(parts)


def _tcp_options(opts: bytes) -> str:
    out = []
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            out.append("eol")
            break
        if kind == 1:
            out.append("nop")
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            out.append("bad opt")
            break
        ln = opts[i + 1]
        val = opts[i + 2:i + ln]
        if kind == 2 and ln == 4:
            out.append(f"mss {int.from_bytes(val, 'big')}")
        elif kind == 3 and ln == 3:
            out.append(f"wscale {val[0]}")
        elif kind == 4:
            out.append("sackOK")
        elif kind == 8 and ln == 10:
            tsval, tsecr = struct.unpack("!II", val)
            out.append(f"TS val {tsval} ecr {tsecr}")
        elif kind == 5:
            blocks = [struct.unpack_from("!II", val, j) for j in range(0, len(val) - 7, 8)]
            out.append("sack %d %s" % (len(blocks), " ".join(f"{{{a}:{b}}}" for a, b in blocks)))
        else:
            out.append(f"opt-{kind}:{val.hex()}")
        i += ln
    return ",".join(out)


def _ipv6(buf) -> str:
    if len(buf) < 40:
        raise WireError(f"IPv6 header of {len(buf)} bytes")
    plen, nh, hlim = struct.unpack_from("!HBB", buf, 4)
    return f"IP6 {ip_str(bytes(buf[8:24]))} > {ip_str(bytes(buf[24:40]))}: next-header {nh}, length {plen}"
