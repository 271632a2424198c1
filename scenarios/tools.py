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
    addr = (socket.gethostbyname(dest), 0)
    ident = 0x1234
    payload = bytes(range(size % 256)) * (size // 256) + bytes(size % 256)

    def is_reply(packet, src, seq):
        ihl = (packet[0] & 0x0F) * 4  # an IPv4 raw socket hands over the IP header too
        typ, _code, _c, rid, rseq = struct.unpack_from("!BBHHH", packet, ihl)
        return typ == 0 and rid == ident and rseq == seq and src[0] == addr[0]

    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        return _echo_loop(socket, s, addr, lambda seq: echo_request(ident, seq, payload), is_reply, count, interval,
                          timeout, clock)


def ping6(socket, dest: str, count: int = 3, interval: float = 1.0, timeout: float = 1.0, clock=None,
          size: int = 56) -> list[tuple[int, float | None]]:
    """ping over IPv6: a raw ICMPv6 socket, whose checksum the stack fills in (RFC 3542 §3.1),
    and which receives ICMPv6 messages without the IPv6 header.  Returns [(seq, rtt or None)]."""
    info = socket.getaddrinfo(dest, None, socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    ident = 0x6666

    def is_reply(packet, src, seq):
        typ, _code, _c, rid, rseq = struct.unpack_from("!BBHHH", packet)
        return typ == 129 and rid == ident and rseq == seq

    with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as s:
        return _echo_loop(socket, s, info[0][4], lambda seq: struct.pack("!BBHHH", 128, 0, 0, ident, seq) +
                          bytes(size), is_reply, count, interval, timeout, clock)


def _echo_loop(socket, s, addr, request, is_reply, count, interval, timeout, clock):
    """The loop every ping shares: send, wait for the matching reply or the timeout, pace."""
    import time as _time

    clock = clock or _time.monotonic
    s.settimeout(timeout)
    results = []
    for seq in range(1, count + 1):
        sent = clock()
        s.sendto(request(seq), addr)
        rtt = None
        try:
            while True:
                packet, src = s.recvfrom(65535)
                if is_reply(packet, src, seq):
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


def run_program(socket, source: str, output: list) -> int:
    """Run a whole program's text with `import socket` meaning this host's namespace, as the
    program's author would run it with `python3 prog.py`.  What it prints goes to `output`
    (one string per line); returns its exit status."""
    import builtins
    import sys

    real_import = builtins.__import__

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "socket" and level == 0:
            return socket
        return real_import(name, globals, locals, fromlist, level)

    def print_(*args, sep=" ", end="\n", file=None, flush=False):
        output.extend((sep.join(str(a) for a in args) + end).splitlines())

    env = {"__name__": "__main__", "__builtins__": {**vars(builtins), "__import__": import_, "print": print_}}
    try:
        exec(compile(source, "<program>", "exec"), env)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.stdout.flush()
    return 0


def _sleep(socket, seconds: float) -> None:
    host = getattr(socket, "host", None)
    if host is not None:
        host.sleep(seconds)
    else:
        import time

        time.sleep(seconds)
