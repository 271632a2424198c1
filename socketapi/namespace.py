"""A host's socket namespace: a module-like object with the socket module's names, bound to one host.

Tasks receive one (`def server(socket): ...`); `host.socket` is the same object.  Every
name resolves to the host: `ns.socket(...)` creates a socket there, `ns.getaddrinfo`
asks that host's network, `ns.gethostname()` is its name.  `isinstance(s, socketapi.socket)`
holds for all of them: each namespace's `socket` is a subclass bound to its host.
"""

from __future__ import annotations

import types

from . import constants as C
from . import errors, fds, resolver
from .context import getdefaulttimeout, setdefaulttimeout
from .sock import socket as _socket


def _arg_int(x, low: int = -2 ** 31, high: int = 2 ** 31 - 1) -> int:
    """A C int argument as PyArg_ParseTuple's "i" takes it (its messages)."""
    if not isinstance(x, int):
        if isinstance(x, float) or not hasattr(x, "__index__"):
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        x = x.__index__()
    if x > high:
        raise OverflowError("signed integer is greater than maximum")
    if x < low:
        raise OverflowError("signed integer is less than minimum")
    return x


def _arg_uint(x) -> int:
    """An unsigned int as "I" takes it: no range check, the low 32 bits."""
    if not isinstance(x, int):
        if isinstance(x, float) or not hasattr(x, "__index__"):
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        x = x.__index__()
    return x & 0xFFFFFFFF


def _host_functions(host) -> dict:
    host_obj = host

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        return resolver.getaddrinfo(host_obj, host, port, family, type, proto, flags)

    def gethostname():
        return host.hostname

    def sethostname(name):
        host.hostname = name.decode() if isinstance(name, (bytes, bytearray)) else str(name)

    def gethostbyname(name):
        addrs = [a for a in resolver.lookup_name(host, name) if len(a) == 4]
        if not addrs:
            raise errors.gai(C.EAI_ADDRFAMILY)
        return resolver.inet_ntoa(addrs[0])

    def gethostbyname_ex(name):
        addrs = [resolver.inet_ntoa(a) for a in resolver.lookup_name(host, name) if len(a) == 4]
        return (name, [], addrs)

    def gethostbyaddr(ip_address):
        a = resolver._numeric(ip_address)
        if a is None:
            a = resolver.lookup_name(host, ip_address)[0]
        name = resolver.name_for(host, a)
        if name is None:
            raise errors.herror(1, "Unknown host")
        return (name, [], [resolver.inet_ntop(C.AF_INET if len(a) == 4 else C.AF_INET6, a)])

    def getfqdn(name=""):
        name = name.strip()
        if not name or name in ("0.0.0.0", "::"):
            name = host.hostname
        try:
            return gethostbyaddr(name)[0]
        except OSError:
            return name

    def getnameinfo(sockaddr, flags):
        """(host, service) for an address tuple, as CPython asks glibc: the address must be
        numeric (AI_NUMERICHOST), flowinfo at most 20 bits, and a scope id comes back as
        "%eth0" for a link-local address, "%2" for any other."""
        flags = _arg_int(flags)
        if not isinstance(sockaddr, tuple):
            raise TypeError("getnameinfo() argument 1 must be a tuple")
        if not 2 <= len(sockaddr) <= 4 or not isinstance(sockaddr[0], str):
            raise TypeError("getnameinfo(): illegal sockaddr argument")
        addr_text = sockaddr[0]
        port = _arg_int(sockaddr[1])
        flowinfo = _arg_uint(sockaddr[2]) if len(sockaddr) > 2 else 0
        scope_id = _arg_uint(sockaddr[3]) if len(sockaddr) > 3 else 0
        if flowinfo > 0xFFFFF:
            raise OverflowError("getnameinfo(): flowinfo must be 0-1048575.")
        a = resolver._numeric(addr_text)
        if a is None:
            raise errors.gai(C.EAI_NONAME)
        if len(a) == 4 and len(sockaddr) != 2:
            raise OSError("IPv4 sockaddr must be 2 tuple")
        port &= 0xFFFF  # glibc keeps the port as htons() does
        name = None if flags & C.NI_NUMERICHOST else resolver.name_for(host, a)
        if name is None:
            if flags & C.NI_NAMEREQD:
                raise errors.gai(C.EAI_NONAME)
            name = resolver.inet_ntop(C.AF_INET if len(a) == 4 else C.AF_INET6, a)
            if len(a) == 16 and scope_id:
                link_local = (a[0] == 0xFE and a[1] & 0xC0 == 0x80) or (a[0] == 0xFF and a[1] & 0x0F == 2)
                zone = str(scope_id)
                if link_local and 1 <= scope_id <= len(host.interfaces):
                    zone = host.interfaces[scope_id - 1].name
                name += "%" + zone
        service = str(port)
        if not flags & C.NI_NUMERICSERV:
            try:
                service = resolver.getservbyport(port, "udp" if flags & C.NI_DGRAM else "tcp")
            except OSError:
                pass
        return name, service

    def if_nameindex():
        return [(i.index + 1, i.name) for i in host.interfaces]

    def if_nametoindex(name):
        if not isinstance(name, (str, bytes)):
            raise TypeError(f"expected str, bytes or os.PathLike object, not {type(name).__name__}")
        name = name.decode() if isinstance(name, bytes) else name
        for i in host.interfaces:
            if i.name == name:
                return i.index + 1
        raise OSError("no interface with this name")

    def if_indextoname(index):
        if not isinstance(index, int):
            raise TypeError("an integer is required")
        if 1 <= index <= len(host.interfaces):
            return host.interfaces[index - 1].name
        raise errors.oserror(6)

    def dup(fd):
        return fds.dup(host.runtime, fd)

    def close(fd):
        fds.close(host.runtime, fd)

    return {fn.__name__: fn for fn in (dup, close, getaddrinfo, gethostname, sethostname, gethostbyname,
                                       gethostbyname_ex, gethostbyaddr, getfqdn, getnameinfo, if_nameindex,
                                       if_nametoindex, if_indextoname)}


def CMSG_LEN(length: int) -> int:
    """Linux x86-64: a 16-byte cmsghdr, then the data."""
    if not isinstance(length, int):
        raise TypeError(f"'{type(length).__name__}' object cannot be interpreted as an integer")
    if length < 0 or length > 2**63 - 17:
        raise OverflowError("CMSG_LEN() argument out of range")
    return 16 + length


def CMSG_SPACE(length: int) -> int:
    if not isinstance(length, int):
        raise TypeError(f"'{type(length).__name__}' object cannot be interpreted as an integer")
    if length < 0 or length > 2**63 - 24:
        raise OverflowError("CMSG_SPACE() argument out of range")
    return 16 + ((length + 7) & ~7)


def _bind_functions(ns) -> None:
    """Module functions that take the namespace itself (so they use its socket class)."""
    from . import functions as F

    def create_connection(address, timeout=F._GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors=False):
        return F.create_connection(ns, address, timeout, source_address, all_errors=all_errors)

    def create_server(address, *, family=C.AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
        return F.create_server(ns, address, family=family, backlog=backlog, reuse_port=reuse_port,
                               dualstack_ipv6=dualstack_ipv6)

    def socketpair(family=C.AF_INET, type=C.SOCK_STREAM, proto=0):
        return F.socketpair(ns, family, type, proto)

    def fromfd(fd, family, type, proto=0):
        return F.fromfd(ns, fd, family, type, proto)

    ns.fromfd = fromfd
    ns.create_connection = create_connection
    ns.create_server = create_server
    ns.socketpair = socketpair


def _plain_names() -> dict:
    """Host-independent names: constants, exceptions, conversions."""
    names = {k: v for k, v in vars(C).items() if k.isupper() or k in (
        "AddressFamily", "SocketKind", "MsgFlag", "AddressInfo", "AF_DECnet")}
    names.update(
        error=errors.error, herror=errors.herror, gaierror=errors.gaierror, timeout=errors.timeout,
        inet_aton=resolver.inet_aton, inet_ntoa=resolver.inet_ntoa, inet_pton=resolver.inet_pton,
        inet_ntop=resolver.inet_ntop, htons=resolver.htons, ntohs=resolver.ntohs, htonl=resolver.htonl,
        ntohl=resolver.ntohl, getservbyname=resolver.getservbyname, getservbyport=resolver.getservbyport,
        getprotobyname=resolver.getprotobyname, getdefaulttimeout=getdefaulttimeout,
        setdefaulttimeout=setdefaulttimeout, has_ipv6=True, CMSG_LEN=CMSG_LEN, CMSG_SPACE=CMSG_SPACE,
    )
    from .functions import has_dualstack_ipv6

    names["has_dualstack_ipv6"] = has_dualstack_ipv6
    return names


class Namespace(types.ModuleType):
    """The socket module, as seen from one host."""

    def __init__(self, host) -> None:
        super().__init__(f"socketapi[{host.name}]")
        self.__dict__.update(_plain_names())
        self.__dict__.update(_host_functions(host))
        bound = type("socket", (_socket,), {"_bound_host": host, "__module__": "socketapi"})
        self.socket = bound
        self.SocketType = _socket
        self.host = host
        _bind_functions(self)

    def __repr__(self) -> str:
        return f"<socket namespace of host {self.host.name}>"
