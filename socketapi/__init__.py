"""CPython's socket API (and MicroPython's socket/usocket methods) over the stack.

Inside a simulated task, `import socketapi as socket` acts on the task's host, exactly as
MicroPython code does `import usocket as socket`.  Elsewhere, `socketapi.use(host)` picks
the host; `host.socket` is a namespace already bound to one.
"""

from __future__ import annotations

from . import constants as _C
from . import resolver as _resolver
from .constants import *  # noqa: F401,F403  the socket module's constants
from .constants import AddressFamily, AddressInfo, MsgFlag, SocketKind  # noqa: F401
from .context import current_host as _current_host
from .context import getdefaulttimeout, setdefaulttimeout, use  # noqa: F401
from .errors import error, gaierror, herror, timeout  # noqa: F401
from .namespace import Namespace, _host_functions
from .resolver import (getprotobyname, getservbyname, getservbyport, htonl, htons, inet_aton,  # noqa: F401
                       inet_ntoa, inet_ntop, inet_pton, ntohl, ntohs)
from .sock import socket
from .functions import _GLOBAL_DEFAULT_TIMEOUT  # noqa: F401  (the stdlib's sentinel)

SocketType = socket
has_ipv6 = True


def namespace(host) -> Namespace:
    """The socket namespace bound to `host` (what `host.socket` returns)."""
    return Namespace(host)


def _dispatch(name: str):
    def fn(*args, **kwargs):
        return _host_functions(_current_host())[name](*args, **kwargs)

    fn.__name__ = name
    fn.__qualname__ = name
    return fn


getaddrinfo = _dispatch("getaddrinfo")
gethostname = _dispatch("gethostname")
sethostname = _dispatch("sethostname")
gethostbyname = _dispatch("gethostbyname")
gethostbyname_ex = _dispatch("gethostbyname_ex")
gethostbyaddr = _dispatch("gethostbyaddr")
getfqdn = _dispatch("getfqdn")
dup = _dispatch("dup")
close = _dispatch("close")
getnameinfo = _dispatch("getnameinfo")
if_nameindex = _dispatch("if_nameindex")
if_nametoindex = _dispatch("if_nametoindex")
if_indextoname = _dispatch("if_indextoname")
from .namespace import CMSG_LEN, CMSG_SPACE  # noqa: E402,F401  (re-exported)


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *,  # noqa: F811
                      all_errors=False):
    from . import functions as F

    return F.create_connection(_current_host().socket, address, timeout, source_address,
                               all_errors=all_errors)


def fromfd(fd, family, type, proto=0):
    """A socket object on a duplicate of descriptor `fd`."""
    from . import functions as F

    return F.fromfd(_current_host().socket, fd, family, type, proto)


def create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):  # noqa: F405
    from . import functions as F

    return F.create_server(_current_host().socket, address, family=family, backlog=backlog,
                           reuse_port=reuse_port, dualstack_ipv6=dualstack_ipv6)


def has_dualstack_ipv6() -> bool:
    return True


def socketpair(family=AF_INET, type=SOCK_STREAM, proto=0):  # noqa: F405
    from . import functions as F

    return F.socketpair(_current_host().socket, family, type, proto)

del _C, _resolver


def patch(host=None):
    """Resolve the standard library's socket, select, selectors and time to the stack
    (see socketapi.patching): `with socketapi.patch(): ...`, or once for a whole program."""
    from .patching import patch as _patch

    return _patch(host)
