"""Small programs written against the socket API, as a user would write them: ping, traceroute.

They run inside simulated tasks (`host.spawn(ping, "h2")`), and would run against
CPython's real socket module too (as root, for the raw socket).
"""

from __future__ import annotations

import struct


def checksum(data: bytes) -> int:
    """RFC 1071, the way a ping program computes it."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes) -> bytes:
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    csum = checksum(head + payload)
    return struct.pack("!BBHHH", 8, 0, csum, ident, seq) + payload


def ping(socket, dest: str, count: int = 3, interval: float = 1.0, timeout: float = 1.0, clock=None,
         size: int = 56) -> list[tuple[int, float | None]]:
    """Send `count` echo requests; returns [(seq, rtt seconds or None)]."""
    import time as _time

    clock = clock or _time.monotonic
    addr = socket.gethostbyname(dest)
    results = []
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        s.settimeout(timeout)
        ident = 0x1234
        for seq in range(1, count + 1):
            sent = clock()
            s.sendto(echo_request(ident, seq, bytes(range(size % 256)) * (size // 256) + bytes(size % 256)),
                     (addr, 0))
            rtt = None
            try:
                while True:
                    packet, (src, _) = s.recvfrom(65535)
                    ihl = (packet[0] & 0x0F) * 4
                    typ, code, _c, rid, rseq = struct.unpack_from("!BBHHH", packet, ihl)
                    if typ == 0 and rid == ident and rseq == seq and src == addr:
                        rtt = clock() - sent
                        break
            except TimeoutError:
                pass
            results.append((seq, rtt))
            if seq < count:
                remaining = interval - (clock() - sent)
                if remaining > 0:
                    _sleep(socket, remaining)
    return results


def traceroute(socket, dest: str, max_hops: int = 16, port: int = 33434, timeout: float = 1.0):
    """Classic UDP traceroute: probes with rising TTL; routers answer time exceeded,
    the destination answers port unreachable.  Returns [(ttl, responder or None, kind)]."""
    addr = socket.gethostbyname(dest)
    hops = []
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as icmp, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        icmp.settimeout(timeout)
        for ttl in range(1, max_hops + 1):
            udp.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
            udp.sendto(b"traceroute probe", (addr, port + ttl))
            responder, kind = None, "timeout"
            try:
                while True:
                    packet, (src, _) = icmp.recvfrom(65535)
                    ihl = (packet[0] & 0x0F) * 4
                    typ, code = packet[ihl], packet[ihl + 1]
                    quoted = packet[ihl + 8:]
                    qihl = (quoted[0] & 0x0F) * 4
                    qdport = struct.unpack_from("!H", quoted, qihl + 2)[0]
                    if qdport != port + ttl:
                        continue
                    if typ == 11:
                        responder, kind = src, "time-exceeded"
                    elif typ == 3:
                        responder, kind = src, "port-unreachable" if code == 3 else f"unreachable code {code}"
                    break
            except TimeoutError:
                pass
            hops.append((ttl, responder, kind))
            if kind == "port-unreachable":
                break
    return hops


def _sleep(socket, seconds: float) -> None:
    host = getattr(socket, "host", None)
    if host is not None:
        host.sleep(seconds)
    else:
        import time

        time.sleep(seconds)
