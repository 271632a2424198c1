"""Names and numbers: address tuples, inet_* conversions, getaddrinfo over the network's hosts.

A simulated network resolves its hosts' names (and `localhost`); each host also has its
own `/etc/hosts`-like table (`host.hosts`).  Unknown names raise gaierror(EAI_NONAME)
with glibc's message, as CPython does on Linux.
"""

from __future__ import annotations

import ipaddress

from stack.addr import ip_str

from . import constants as C
from .errors import gai, oserror

SERVICES = {
    "echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25,
    "domain": 53, "http": 80, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "https": 443, "syslog": 514,
    "ipp": 631, "http-alt": 8080,
}
UDP_ONLY = {"ntp", "snmp", "syslog"}
TCP_ONLY = {"ftp", "ssh", "telnet", "smtp", "pop3", "imap", "http", "https", "ipp", "http-alt"}
PROTOCOLS = {"ip": 0, "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "ipv6": 41, "ipv6-icmp": 58, "raw": 255}


# -- numeric conversions -------------------------------------------------------

def inet_aton(text: str) -> bytes:
    """glibc's inet_aton: 'a', 'a.b', 'a.b.c' or 'a.b.c.d' with decimal, octal (0...) or hex
    (0x...) parts; anything after the first whitespace is ignored, as glibc does."""
    if not isinstance(text, str):
        raise TypeError(f"inet_aton() argument 1 must be str, not {type(text).__name__}")
    head = text.split(None, 1)[0] if text and not text[0].isspace() else ""
    parts = head.split(".")
    try:
        if len(parts) > 4 or not head or any(p == "" for p in parts):
            raise ValueError
        nums = []
        for p in parts:
            if p[:2].lower() == "0x":
                nums.append(int(p[2:], 16) if p[2:] else 0)
            elif len(p) > 1 and p[0] == "0":
                nums.append(int(p, 8))
            else:
                if not p.isdigit():
                    raise ValueError
                nums.append(int(p))
        last = nums[-1]
        if any(n > 255 for n in nums[:-1]) or last >= 1 << (8 * (5 - len(nums))):
            raise ValueError
        value = 0
        for n in nums[:-1]:
            value = value << 8 | n
        value = (value << (8 * (5 - len(nums)))) | last
        return value.to_bytes(4, "big")
    except ValueError:
        raise OSError("illegal IP address string passed to inet_aton") from None


def _buffer(obj) -> bytes:
    if isinstance(obj, str) or not hasattr(obj, "__buffer__") and not isinstance(obj, (bytes, bytearray, memoryview)):
        raise TypeError(f"a bytes-like object is required, not '{type(obj).__name__}'")
    return bytes(obj)


def inet_ntoa(packed) -> str:
    b = _buffer(packed)
    if len(b) != 4:
        raise OSError("packed IP wrong length for inet_ntoa")
    return "%d.%d.%d.%d" % tuple(b)


def inet_pton(family: int, text: str) -> bytes:
    if isinstance(family, float) or not hasattr(family, "__index__"):
        raise TypeError(f"'{type(family).__name__}' object cannot be interpreted as an integer")
    if not isinstance(text, str):
        raise TypeError(f"inet_pton() argument 2 must be str, not {type(text).__name__}")
    if family == C.AF_INET:
        try:
            return ipaddress.IPv4Address(text).packed
        except ValueError:
            raise OSError("illegal IP address string passed to inet_pton") from None
    if family == C.AF_INET6:
        try:
            return ipaddress.IPv6Address(text).packed
        except ValueError:
            raise OSError("illegal IP address string passed to inet_pton") from None
    raise oserror(97)


def inet_ntop(family: int, packed) -> str:
    b = _buffer(packed)
    if family == C.AF_INET:
        if len(b) != 4:
            raise ValueError("invalid length of packed IP address string")
        return "%d.%d.%d.%d" % tuple(b)
    if family == C.AF_INET6:
        if len(b) != 16:
            raise ValueError("invalid length of packed IP address string")
        return ipv6_text(b)
    raise ValueError(f"unknown address family {family}")


def ipv6_text(b: bytes) -> str:
    """RFC 5952 text, with glibc's dotted tail for IPv4-mapped and -compatible addresses."""
    return ip_str(bytes(b))


def _uint(name: str, bits: int):
    """CPython's htons/ntohs (16-bit, argument-clinic messages) and htonl/ntohl (32-bit)."""

    def conv(x):
        if bits == 32 and not isinstance(x, int):
            raise TypeError(f"expected int, {type(x).__name__} found")
        if not isinstance(x, int):
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        if x < 0:
            if bits == 32:
                raise OverflowError("can't convert negative value to unsigned int")
            raise OverflowError(f"{name}: can't convert negative Python int to C {bits}-bit unsigned integer")
        if x >> bits:
            if bits == 32:
                raise OverflowError("int larger than 32 bits")
            raise OverflowError(f"{name}: Python int too large to convert to C {bits}-bit unsigned integer")
        return int.from_bytes(x.to_bytes(bits // 8, "big"), "little")

    conv.__name__ = name
    return conv


htons = _uint("htons", 16)
ntohs = _uint("ntohs", 16)
htonl = _uint("htonl", 32)
ntohl = _uint("ntohl", 32)


# -- names -----------------------------------------------------------------------

_NUMERIC: dict[str, bytes | None] = {}  # text -> _parse_numeric(text), bounded


def _numeric(text: str) -> bytes | None:
    """The address `text` is in numeric form, or None.  Answers are remembered: a client
    connecting in a loop names the same address every time, and parsing it costs more
    than the rest of the connect() argument checks together."""
    if type(text) is not str:
        return _parse_numeric(text)
    n = _NUMERIC.get(text, False)
    if n is False:
        n = _parse_numeric(text)
        if len(_NUMERIC) >= 1024:
            _NUMERIC.clear()
        _NUMERIC[text] = n
    return n


def _parse_numeric(text: str) -> bytes | None:
    parts = text.split(".")
    if len(parts) == 4:
        # Dotted-quad IPv4, the common case, without ipaddress's machinery; its rules kept:
        # ASCII digits only, at most three, no leading zero, each at most 255.
        for p in parts:
            if not (p.isascii() and p.isdigit()) or len(p) > 3 or (p[0] == "0" and p != "0"):
                break
        else:
            values = [int(p) for p in parts]
            if max(values) <= 255:
                return bytes(values)
            return None
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).packed
    except ValueError:
        return None


def _scope_id(host_obj, text: str) -> int:
    """The scope id of "fe80::1%eth0" or "fe80::1%2" (glibc's __inet6_scopeid_pton): an
    interface name for a link-local address, else a number; anything else is no name."""
    addr, _, zone = text.partition("%")
    try:
        a = ipaddress.IPv6Address(addr).packed
    except ValueError:
        raise gai(C.EAI_NONAME) from None
    if (a[0] == 0xFE and a[1] & 0xC0 == 0x80) or (a[0] == 0xFF and a[1] & 0x0F == 2):
        for i in host_obj.interfaces:
            if i.name == zone:
                return i.index + 1
    if zone.isascii() and zone.isdigit() and int(zone) <= 0xFFFFFFFF:
        return int(zone)
    raise gai(C.EAI_NONAME)


def lookup_name(host, name: str) -> list[bytes]:
    """Addresses for `name` on `host`'s network: numeric, localhost, host table, network names."""
    n = _numeric(name)
    if n is not None:
        return [n]
    key = name.lower().rstrip(".")
    if key in host.hosts:
        return list(host.hosts[key])
    if key in ("localhost", "localhost.localdomain"):
        return [b"\x7f\x00\x00\x01"]
    if key in ("ip6-localhost", "ip6-loopback"):  # Debian's /etc/hosts names for ::1
        return [bytes(15) + b"\x01"]
    if key == host.hostname.lower():
        own = [a for a in host.addresses(4) if a[0] != 127]
        own += [a for a in host.addresses(16) if a != bytes(15) + b"\x01" and not (a[0] == 0xFE and a[1] & 0xC0 == 0x80)]
        return own or [b"\x7f\x00\x00\x01"]
    net = host.network
    if net is not None:
        found = net.resolve(key)
        if found:
            return found
    raise gai(C.EAI_NONAME)


def name_for(host, addr: bytes) -> str | None:
    for name, addrs in host.hosts.items():
        if addr in addrs:
            return name
    if addr[0] == 127 and len(addr) == 4:
        return "localhost"
    if addr in host.addresses(4):
        return host.hostname
    if host.network is not None:
        return host.network.name_of(addr)
    return None


def _service(port, socktype: int, flags: int) -> int | None:
    if port is None:
        return None
    if isinstance(port, int):
        return port
    if isinstance(port, (bytes, bytearray)):
        port = port.decode()
    if isinstance(port, str):
        port.encode("utf-8")  # CPython passes the service to C as UTF-8: a lone surrogate raises here
        if port.isdigit():
            return int(port)
        if flags & C.AI_NUMERICSERV:
            raise gai(C.EAI_NONAME)
        p = SERVICES.get(port)
        if p is None or (socktype == C.SOCK_DGRAM and port in TCP_ONLY) or (
                socktype == C.SOCK_STREAM and port in UDP_ONLY) or socktype == C.SOCK_RAW:
            raise gai(C.EAI_SERVICE)
        return p
    raise OSError("Int or String expected")


def getaddrinfo(host_obj, host, port, family=0, type=0, proto=0, flags=0):
    """CPython's getaddrinfo, answered from the simulated network's names."""
    if host is not None and not isinstance(host, (str, bytes, bytearray)):
        raise TypeError("getaddrinfo() argument 1 must be string or None")
    if isinstance(host, (bytes, bytearray)):
        host = host.decode("idna")
    elif host is not None and host:
        host.encode("idna")  # CPython encodes the name with IDNA first: its errors come before any lookup
    if family not in (C.AF_UNSPEC, C.AF_INET, C.AF_INET6):
        raise gai(C.EAI_FAMILY)
    if type not in (0, C.SOCK_STREAM, C.SOCK_DGRAM, C.SOCK_RAW):
        raise gai(C.EAI_SOCKTYPE)
    if flags & ~_GAI_FLAGS or (flags & C.AI_CANONNAME and host is None):
        raise gai(C.EAI_BADFLAGS)
    if host is None and port is None:
        raise gai(C.EAI_NONAME)
    if type and proto and type != C.SOCK_RAW and proto != {C.SOCK_STREAM: C.IPPROTO_TCP,
                                                          C.SOCK_DGRAM: C.IPPROTO_UDP}[type]:
        raise gai(C.EAI_SOCKTYPE)
    portnum = _service(port, type, flags)
    if portnum is not None:
        portnum &= 0xFFFF  # glibc truncates as htons() does; CPython passes it through
    scope_id = 0
    if host is not None and "%" in host:
        scope_id = _scope_id(host_obj, host)
    if host is None:
        # glibc: the wildcards IPv4 first when passive, the loopbacks IPv6 first otherwise
        addrs = [bytes(4), bytes(16)] if flags & C.AI_PASSIVE else [bytes(15) + b"\x01", b"\x7f\x00\x00\x01"]
        canon = ""
    else:
        if flags & C.AI_NUMERICHOST:
            n = _numeric(host)
            if n is None:
                raise gai(C.EAI_NONAME)
            addrs = [n]
        else:
            addrs = lookup_name(host_obj, host)
        canon = canonical_name(host_obj, host) if flags & C.AI_CANONNAME else ""
    if family == C.AF_INET:
        addrs = [a for a in addrs if len(a) == 4]
    elif family == C.AF_INET6:
        addrs = [a for a in addrs if len(a) == 16]
    elif host is not None and len(addrs) > 1:
        addrs = sort_destinations(host_obj, addrs)
    if not addrs:
        raise gai(C.EAI_ADDRFAMILY)
    kinds = [(C.SOCK_STREAM, C.IPPROTO_TCP), (C.SOCK_DGRAM, C.IPPROTO_UDP), (C.SOCK_RAW, 0)]
    if type:
        kinds = [(t, proto if t == C.SOCK_RAW else p) for t, p in kinds if t == type]
    if proto and type != C.SOCK_RAW:
        kinds = [(t, p) for t, p in kinds if p == proto]
        if not kinds:
            raise gai(C.EAI_SERVICE)
    if isinstance(port, str) and not port.isdigit():
        kinds = [(t, p) for t, p in kinds if t != C.SOCK_RAW]
    out = []
    for a in addrs:
        fam = C.AddressFamily.AF_INET if len(a) == 4 else C.AddressFamily.AF_INET6
        text = ip_str(a)
        sa = (text, portnum or 0) if len(a) == 4 else (text, portnum or 0, 0, scope_id)
        for t, p in kinds:
            out.append((fam, C.SocketKind(t), p, canon, sa))
            canon = ""
    return out


# RFC 6724 §2.1: the default policy table, (prefix, length, precedence), longest prefix first
_POLICY = [
    (bytes(15) + b"\x01", 128, 50),
    (bytes(10) + b"\xff\xff" + bytes(4), 96, 35),
    (bytes(16), 96, 1),
    (bytes.fromhex("20010000") + bytes(12), 32, 5),
    (bytes.fromhex("2002") + bytes(14), 16, 30),
    (bytes.fromhex("3ffe") + bytes(14), 16, 1),
    (bytes.fromhex("fec0") + bytes(14), 10, 1),
    (bytes.fromhex("fc00") + bytes(14), 7, 3),
    (bytes(16), 0, 40),
]


def _precedence(addr16: bytes) -> int:
    n = int.from_bytes(addr16, "big")
    for prefix, plen, prec in _POLICY:
        shift = 128 - plen
        if n >> shift == int.from_bytes(prefix, "big") >> shift:
            return prec
    return 40


def sort_destinations(host_obj, addrs: list[bytes]) -> list[bytes]:
    """RFC 6724 §6 destination ordering for the rules that need no more than the host's
    routes and addresses: 1 (avoid unusable destinations), 2 (prefer matching scope),
    6 (higher precedence), 8 (smaller scope), 9 (longest matching prefix, IPv6), 10 (order).
    IPv4 addresses are compared as their IPv4-mapped form (§2)."""
    from stack.addr import scope as scope6

    def mapped(a: bytes) -> bytes:
        return a if len(a) == 16 else bytes(10) + b"\xff\xff" + a

    def scope_of(a: bytes) -> int:
        if len(a) == 4:
            return 2 if a[0] == 127 or a[:2] == b"\xa9\xfe" else 14  # §3.2: loopback and 169.254/16 are link
        return scope6(a)

    def key(item):
        i, a = item
        src = host_obj.source_for(a) if hasattr(host_obj, "source_for") else None
        usable = src is not None
        match = usable and scope_of(a) == scope_of(src)
        common = 0
        if usable and len(a) == 16:
            common = 128 - (int.from_bytes(a, "big") ^ int.from_bytes(src, "big")).bit_length()
        return (not usable, not match, -_precedence(mapped(a)), scope_of(a), -common, i)

    return [a for _, a in sorted(enumerate(addrs), key=key)]


_GAI_FLAGS = 0x4FF  # glibc: PASSIVE CANONNAME NUMERICHOST V4MAPPED ALL ADDRCONFIG IDN CANONIDN NUMERICSERV


def canonical_name(host_obj, name: str) -> str:
    """The canonical name getaddrinfo's AI_CANONNAME returns: the numeric text, or the name as
    the host table or network knows it (lower case, as /etc/hosts spells localhost)."""
    if _numeric(name) is not None:
        return name
    key = name.lower().rstrip(".")
    if key in ("localhost", "localhost.localdomain"):
        return "localhost"
    return key


def getservbyname(name: str, proto: str | None = None) -> int:
    if not isinstance(name, str):
        raise TypeError(f"getservbyname() argument 1 must be str, not {type(name).__name__}")
    if proto is not None and not isinstance(proto, str):
        raise TypeError(f"getservbyname() argument 2 must be str, not {type(proto).__name__}")
    if proto not in (None, "tcp", "udp"):
        raise OSError("service/proto not found")
    p = SERVICES.get(name)
    if p is None or (proto == "udp" and name in TCP_ONLY) or (proto == "tcp" and name in UDP_ONLY):
        raise OSError("service/proto not found")
    return p


def getservbyport(port: int, proto: str | None = None) -> str:
    if not isinstance(port, int):
        raise TypeError(f"'{type(port).__name__}' object cannot be interpreted as an integer")
    if not 0 <= port <= 65535:
        raise OverflowError("getservbyport: port must be 0-65535.")
    for name, p in SERVICES.items():
        if p == port and not (proto == "udp" and name in TCP_ONLY) and not (proto == "tcp" and name in UDP_ONLY):
            return name
    raise OSError("port/proto not found")


def getprotobyname(name: str) -> int:
    if not isinstance(name, str):
        raise TypeError(f"getprotobyname() argument 1 must be str, not {type(name).__name__}")
    p = PROTOCOLS.get(name.lower())
    if p is None:
        raise OSError("protocol not found")
    return p

