"""Module functions built on sockets, as CPython's socket.py builds them: create_connection,
create_server, socketpair.  They look their helpers up through the namespace they are given,
so a patched or per-host namespace is used consistently."""

from __future__ import annotations

from . import constants as C

# The standard library's own sentinel: code written for `socket` (http.client, urllib)
# bound it into default arguments at import, and passes it to whatever create_connection
# the socket module has when the call is made.
from socket import _GLOBAL_DEFAULT_TIMEOUT  # noqa: E402


def create_connection(ns, address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors=False):
    """Connect to (host, port), trying every address getaddrinfo gives in turn."""
    host, port = address
    exceptions = []
    for family, kind, proto, _canon, sa in ns.getaddrinfo(host, port, 0, C.SOCK_STREAM):
        sock = None
        try:
            sock = ns.socket(family, kind, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sa)
            exceptions.clear()
            return sock
        except OSError as exc:
            exceptions.append(exc)
            if sock is not None:
                sock.close()
    if exceptions:
        if all_errors:
            raise ExceptionGroup("create_connection failed", exceptions)
        raise exceptions[0]
    raise OSError("getaddrinfo returns an empty list")


def create_server(ns, address, *, family=C.AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
    """A listening TCP socket bound to `address`, with SO_REUSEADDR as CPython sets it."""
    if reuse_port and not hasattr(C, "SO_REUSEPORT"):
        raise ValueError("SO_REUSEPORT not supported on this platform")
    if dualstack_ipv6:
        if family != C.AF_INET6:
            raise ValueError("dualstack_ipv6 requires AF_INET6 family")
    sock = ns.socket(family, C.SOCK_STREAM)
    try:
        sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT, 1)
        if family == C.AF_INET6:
            # as CPython: dual-stack only when asked, IPv6-only otherwise (when it can say so)
            sock.setsockopt(C.IPPROTO_IPV6, C.IPV6_V6ONLY, 0 if dualstack_ipv6 else 1)
        sock.bind(address)
        if backlog is None:
            sock.listen()
        else:
            sock.listen(backlog)
        return sock
    except OSError as err:
        sock.close()
        if err.errno is not None and isinstance(address, tuple):
            # CPython names the address in the message of a failed bind
            raise OSError(err.errno, f"{err.strerror} (while attempting to bind on address {address!r})") from None
        raise


def has_dualstack_ipv6() -> bool:
    """True: an IPv6 socket can accept IPv4 too (IPV6_V6ONLY off)."""
    return True


def socketpair(ns, family=C.AF_INET, type=C.SOCK_STREAM, proto=0):
    """Two connected sockets over the host's loopback (CPython's portable fallback: there is
    no AF_UNIX in an IP stack)."""
    if family not in (C.AF_INET, C.AF_INET6):
        raise ValueError("Only AF_INET and AF_INET6 socket address families are supported")
    if type != C.SOCK_STREAM:
        raise ValueError("Only SOCK_STREAM socket type is supported")
    if proto != 0:
        raise ValueError("Only protocol zero is supported")
    host = "127.0.0.1" if family == C.AF_INET else "::1"
    lsock = ns.socket(family, type, proto)
    try:
        lsock.bind((host, 0))
        lsock.listen()
        addr, port = lsock.getsockname()[:2]
        csock = ns.socket(family, type, proto)
        try:
            csock.setblocking(False)
            try:
                csock.connect((addr, port))
            except (BlockingIOError, InterruptedError):
                pass
            csock.setblocking(True)
            ssock, _ = lsock.accept()
        except BaseException:
            csock.close()
            raise
    finally:
        lsock.close()
    # ensure the connection completed (the non-blocking connect reports once)
    try:
        csock.connect((addr, port))
    except OSError:
        pass
    return ssock, csock


def fromfd(ns, fd, family, type, proto=0):
    """A socket object on a duplicate of descriptor `fd` (CPython: dup, then wrap)."""
    nfd = ns.dup(fd)
    return ns.socket(family, type, proto, nfd)
