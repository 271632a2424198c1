"""One-line, tcpdump-style descriptions of Ethernet frames, for traces and teaching output.

`describe(frame)` never raises: whatever a frame holds, the line says what could be read and
where it stopped ("[malformed ipv4: truncated ...]").  `describe(frame, link=True)` prefixes
the MAC addresses as `tcpdump -e` does.
"""

from __future__ import annotations

import struct

from .addr import ip_str, mac_str
from .wire import arp as arp_wire
from .wire import ethernet, icmp, ipv4, ipv6, udp
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


_ICMP6_NAMES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
                4: "parameter problem", 128: "echo request", 129: "echo reply", 130: "multicast listener query",
                131: "multicast listener report", 132: "multicast listener done", 133: "router solicitation",
                134: "router advertisement", 135: "neighbor solicitation", 136: "neighbor advertisement",
                137: "redirect", 143: "multicast listener report v2"}
_EXT_NAMES = {0: "HBH", 43: "routing", 44: "frag", 60: "DSTOPT"}


def _ipv6(buf) -> str:
    h, payload = ipv6.parse(buf)
    src, dst = ip_str(h.src), ip_str(h.dst)
    nh, data = h.next_header, payload
    notes = []
    while nh in ipv6.EXTENSION_HEADERS:
        ext = ipv6.parse_extension(nh, data)
        if nh == ipv6.NH_FRAGMENT:
            f = ipv6.parse_fragment(ext)
            notes.append(f"frag (0x{f.ident:08x}:{f.offset}|{len(data) - 8}{'+' if f.more else ''})")
            if f.offset:
                return f"IP6 {src} > {dst}: " + " ".join(notes) + f" proto {f.next_header}"
        else:
            notes.append(_EXT_NAMES[nh])
        nh, data = ext.next_header, data[ext.length:]
    head = f"IP6 {src} > {dst}: " + ("".join(n + " " for n in notes))
    if nh == ipv6.NH_UDP and len(data) >= 8:
        sport, dport, length = struct.unpack_from("!HHH", data)
        return f"IP6 {src}.{sport} > {dst}.{dport}: " + "".join(n + " " for n in notes) + f"UDP, length {length - 8}"
    if nh == ipv6.NH_TCP:
        line = _tcp(src, dst, data)
        return ("IP6" + line[2:]) if not notes else line.replace("IP ", "IP6 ", 1)
    if nh == ipv6.NH_ICMPV6 and len(data) >= 4:
        return head + _icmp6(data, h.hop_limit)
    return head + f"next-header {nh}, length {len(data)}"


def _icmp6(buf, hop_limit: int) -> str:
    t, code = buf[0], buf[1]
    name = _ICMP6_NAMES.get(t, f"type {t}")
    body = bytes(buf[8:])
    if t in (128, 129) and len(buf) >= 8:
        ident, seq = struct.unpack_from("!HH", buf, 4)
        return f"ICMP6, {name}, id {ident}, seq {seq}, length {len(buf)}"
    if t in (135, 136) and len(body) >= 16:
        tgt = ip_str(body[:16])
        if t == 135:
            return f"ICMP6, {name}, who has {tgt}, length {len(buf)}"
        flags = ", ".join(w for bit, w in ((0x80, "router"), (0x40, "solicited"), (0x20, "override"))
                          if buf[4] & bit)
        return f"ICMP6, {name}, tgt is {tgt}, length {len(buf)}" + (f", Flags [{flags}]" if flags else "")
    if t == 2 and len(buf) >= 8:
        return f"ICMP6, {name}, mtu {int.from_bytes(buf[4:8], 'big')}, length {len(buf)}"
    if t == 1:
        return f"ICMP6, {name}, code {code}, length {len(buf)}"
    if t == 134 and len(buf) >= 8:
        return f"ICMP6, {name}, length {len(buf)}, hop limit {buf[4]}, router lifetime " \
               f"{int.from_bytes(buf[6:8], 'big')}s"
    return f"ICMP6, {name}" + (f", code {code}" if code else "") + f", length {len(buf)}"
