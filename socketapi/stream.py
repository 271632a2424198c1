"""SOCK_STREAM behaviour of the socket object: TCP over `stack.tcp`.

The socket moves through three stack objects: a `Binding` (bind reserved a port), then
either a `Listener` (listen) or a `Connection` (connect, or returned by accept).  Every
blocking rule follows CPython on Linux:

- connect() blocks until the handshake ends; with a timeout it raises TimeoutError; a
  non-blocking socket raises BlockingIOError(EINPROGRESS) and a second call EALREADY,
  then EISCONN once connected.
- send() on a blocking socket without a timeout queues everything; with a timeout it
  waits for room once and may write less; non-blocking it writes what fits (EAGAIN when
  nothing does).  sendall()'s timeout bounds the whole call.
- recv() returns b'' at end of stream; MSG_WAITALL waits for the whole count.
"""

from __future__ import annotations

import errno
import struct
from functools import partial

from stack.addr import ip_str
from stack.tcp.config import DEFAULT_OPTIONS as _DEFAULT_OPTIONS
from stack.tcp.config import SocketOptions
from stack.tcp.connection import Connection
from stack.tcp.listener import Listener
from stack.tcp import info as tcp_info
from stack.tcp.state import SYNCHRONIZED as _SYNCHRONIZED
from stack.tcp.state import State

from . import constants as C

# plain ints for flag tests on the hot path: IntFlag's & runs Python code
MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL = int(C.MSG_PEEK), int(C.MSG_DONTWAIT), int(C.MSG_WAITALL)
from . import context as _context
from .errors import oserror, timed_out
from .fds import table_of as fds_of

_INT = struct.Struct("@i")
_CONNECTING = (State.SYN_SENT, State.SYN_RECEIVED)
_SYN_SENT = State.SYN_SENT
_CLOSED = State.CLOSED


def _readable(c: Connection):
    """`lambda: c.readable` without the lambda's frame: what a blocked read waits for."""
    return partial(_READABLE, c)


_READABLE = Connection.readable.fget
_LISTENER_READABLE = Listener.readable.fget


_PEER_TEXT: dict[bytes, str] = {}  # address -> ip_str(address), bounded (see _peer_text)


def _peer_text(a: bytes) -> str:
    """ip_str(a), remembered, for the address accept() reports: a server accepting in a
    loop names the same few clients again and again, and formatting an address costs
    more than the rest of the accepted socket (as resolver._numeric remembers parses).
    accept() reads `_PEER_TEXT` itself and calls this only for an address not in it."""
    text = _PEER_TEXT[a] = ip_str(a)
    if len(_PEER_TEXT) > 1024:
        _PEER_TEXT.clear()
    return text


def _handshake_over(c: Connection) -> bool:
    """What a blocked connect() waits for: the connection left SYN-SENT / SYN-RECEIVED."""
    return c.state not in _CONNECTING


def _secs_to_retrans(seconds: int, timeout: int = 1, rto_max: int = 120) -> int:
    """Linux's secs_to_retrans (TCP_DEFER_ACCEPT): the SYN-ACK retransmissions, from the
    1 s initial timeout doubling up to 120 s, whose total first reaches `seconds`."""
    res = 0
    if seconds > 0:
        period = timeout
        res = 1
        while seconds > period and res < 255:
            res += 1
            timeout = min(timeout << 1, rto_max)
            period += timeout
    return res


def _retrans_to_secs(retrans: int, timeout: int = 1, rto_max: int = 120) -> int:
    """Linux's retrans_to_secs, the inverse: what getsockopt(TCP_DEFER_ACCEPT) reports."""
    period = 0
    if retrans > 0:
        period = timeout
        while retrans > 1:
            retrans -= 1
            timeout = min(timeout << 1, rto_max)
            period += timeout
    return period


# options getsockopt answers from Linux's defaults before any setsockopt (TCP_QUICKACK: 1)
_TCP_DEFAULT_ZERO = frozenset((C.TCP_QUICKACK, C.TCP_CORK, C.TCP_DEFER_ACCEPT, C.TCP_WINDOW_CLAMP,
                               C.TCP_NOTSENT_LOWAT, C.TCP_FASTOPEN))


class StreamMethods:
    """Mixed into `socketapi.socket`; only used when the socket's type is SOCK_STREAM."""

    # (A new SOCK_STREAM socket's state, set up by socket._setup: _tcp, _binding, _conn,
    # _listener, _tcpopts, _reuseaddr, _established, _reported, and _ep, the waitable.)

    def _own_tcpopts(self) -> SocketOptions:
        """The socket's TCP options, to change: its own copy.  A new socket shares the
        defaults (_DEFAULT_OPTIONS, never changed) until its first change, as most never
        set one: a copy less per connection.  The listener or connection already given
        the shared object (which keeps its options by reference, as setsockopt changes
        them) gets the copy too."""
        o = self._tcpopts
        if o is _DEFAULT_OPTIONS:
            o = self._tcpopts = _DEFAULT_OPTIONS.copy()  # (SocketOptions() without the dataclass's __init__)
            if self._conn is not None and self._conn.opts is _DEFAULT_OPTIONS:
                self._conn.opts = o
            if self._listener is not None and self._listener.opts is _DEFAULT_OPTIONS:
                self._listener.opts = o
        return o

    # -- addresses -----------------------------------------------------------------

    def _stream_bind(self, addr: bytes, port: int) -> None:
        if self._binding is not None or self._conn is not None:
            raise oserror(errno.EINVAL)
        self._binding = self._tcp.bind(addr, port, reuseaddr=self._reuseaddr,
                                       family_len=len(addr) if self._flen == 16 else self._flen,
                                       dual=self._flen == 16 and not self._v6only,
                                       reuseport=bool(self._opts.get((C.SOL_SOCKET, C.SO_REUSEPORT))))

    def _stream_sockname(self):
        if self._conn is not None:
            return self._name(self._conn.local)
        if self._binding is not None:
            return self._name((self._binding.addr, self._binding.port))
        return self._name(None)

    def _stream_peername(self):
        c = self._conn
        if c is None or c.state in (State.SYN_SENT, State.CLOSED, State.LISTEN):
            raise oserror(errno.ENOTCONN)
        return self._name(c.remote)

    # -- connection set-up ------------------------------------------------------------

    def listen(self, backlog=None) -> None:
        with self._host.runtime.lock:
            self._listen(backlog)
            if self._mirror is not None:  # real time: a listener is no longer writable
                self._mirror.mark()

    def _listen(self, backlog) -> None:
        if backlog is not None:
            backlog = self._idx(backlog)
            if backlog > 2 ** 31 - 1:  # listen() parses a C int ("i")
                raise OverflowError("signed integer is greater than maximum")
            if backlog < -2 ** 31:
                raise OverflowError("signed integer is less than minimum")
        backlog = min(C.SOMAXCONN, 128) if backlog is None else max(0, backlog)
        self._check()  # (after the argument, as CPython parses it first)
        if self._kind != C.SOCK_STREAM:
            raise oserror(errno.EOPNOTSUPP)
        if self._conn is not None:
            raise oserror(errno.EINVAL)
        if self._binding is None:
            self._binding = self._tcp.bind(bytes(self._flen), 0, reuseaddr=self._reuseaddr, family_len=self._flen,
                                           dual=self._flen == 16 and not self._v6only,
                                           reuseport=bool(self._opts.get((C.SOL_SOCKET, C.SO_REUSEPORT))))
        self._listener = self._tcp.listen(self._binding, backlog, self._tcpopts)
        self._ep = self._listener

    def _accept(self):
        """(new socket, address) as CPython's socket.accept() returns them."""
        if self._closed:  # _check(), inlined
            raise oserror(errno.EBADF)
        lst = self._listener
        if lst is None:
            raise oserror(errno.EINVAL)
        host = self._host
        rt = host.runtime
        while not lst.accept_queue and not lst.closed:  # (not lst.readable, without the property's call)
            if self._timeout is None and not self._rcvtimeo and not rt.realtime:
                # a blocking accept() with neither timeout nor SO_RCVTIMEO: a wakeup, without
                # _wait()'s deadline arithmetic (as sock._take does); then the test again
                rt.wait_signal(lst, "accept", _LISTENER_READABLE)
            else:
                self._wait(lambda: lst.readable, "accept")  # (returns once it is readable)
        # lst.accept(), inlined: keep the two alike
        queue = lst.accept_queue
        if not queue:
            raise oserror(errno.EINVAL)  # the listener was closed under us
        conn = queue.popleft()
        conn.listener = None
        if rt.realtime or host._loop or host._timers_dirty:
            rt.kick(host)  # self._kick(), inlined (SimRuntime.kick does nothing otherwise)
        # The new socket, for the accepted connection (CPython: the listener's family, type
        # and proto; the default timeout, or blocking, as socket.accept() sets it)
        cls = type(self)
        sock = cls.__new__(cls)
        sock._host = host
        sock._family, sock._kind, sock._proto, sock._flen = self._family, self._kind, self._proto, self._flen
        sock._v6only = self._v6only
        sock._closed = False
        sock._timeout = _context._default_timeout  # getdefaulttimeout(), without the call
        sock._rcvtimeo = sock._sndtimeo = None
        sock._opts = self._opts.copy()
        sock._tcp = self._tcp
        sock._binding = conn.binding
        sock._listener = None
        sock._conn = conn
        # A copy of the listening socket's options, which setsockopt on the accepted socket
        # changes for its connection too.  The connection already holds a copy of its own,
        # made from the same options when its SYN arrived (Listener.segment_arrives), held
        # by nothing else, or the shared defaults (which _own_tcpopts copies before a first
        # change): unless the listener's options changed since, it is that one.
        opts = conn.opts
        if opts is not self._tcpopts and opts.__dict__ != self._tcpopts.__dict__:
            opts = conn.opts = self._tcpopts.copy()
        sock._tcpopts = opts
        sock._reuseaddr = self._reuseaddr
        sock._established = True
        sock._reported = True
        sock._ep = conn
        # Its first descriptor, as socket._setup gives a new socket's (keep the two alike)
        sock._io_refs = 0
        sock._close_requested = False
        sock._inheritable = False  # sockets are created close-on-exec, as CPython's are
        sock._label = None
        sock._class = cls  # the class of the state's views (fds.view_of)
        table = rt.fds or fds_of(rt)  # (fds_of() makes the table on first use)
        sock._fileno = table.open(sock)  # (which records this object as the descriptor's owner)
        if rt.realtime:  # (_fd_blocking() has nothing to do without an OS descriptor: RealFds's, with its _mirror)
            sock._fd_blocking()
        if self._flen == 4:
            a, p = conn.remote
            # self._name(conn.remote), inlined for AF_INET: ip_str(a), remembered
            return sock, (_PEER_TEXT.get(a) or _peer_text(a), p)
        return sock, self._name(conn.remote)

    def accept(self):
        rt = self._host.runtime
        if not rt.realtime:
            return self._accept()  # one thread, cooperative tasks: no lock, no OS-visible readiness
        with rt.lock:
            try:
                return self._accept()
            finally:
                if self._mirror is not None:  # real time: the queue may be empty now
                    self._mirror.mark()

    def _stream_connect(self, remote: tuple[bytes, int]) -> None:
        """connect() of a stream socket to `remote`, the (address, port) _sockaddr parsed."""
        c = self._conn
        if self._listener is not None:
            raise oserror(errno.EISCONN)
        if c is not None:
            if c.state in _CONNECTING:
                if self._timeout == 0.0:
                    raise oserror(errno.EALREADY)
                self._wait_connected(c)
                return
            if c.error is not None:
                raise oserror(c.take_error())
            if c.connected and not self._reported:
                # the handshake finished while no connect() was waiting for it (non-blocking, or
                # CPython's timeout mode): the next connect() reports success, once (Linux
                # inet_stream_connect moving SS_CONNECTING to SS_CONNECTED)
                self._reported = True
                self._established = True
                return
            if c.connected or self._established:
                raise oserror(errno.EISCONN)
            # a failed attempt (refused, timed out): Linux lets the socket try again
        host = self._host
        rt = host.runtime
        clock = host.clock  # (as in sock._teardown)
        c = self._tcp.connect(self._binding, remote, rt.events.now if clock is rt.now_us else clock(),
                              self._tcpopts)
        self._conn = c
        self._binding = c.binding
        self._ep = c
        if rt.realtime or host._loop or host._timers_dirty:
            rt.kick(host)  # self._kick(), inlined (SimRuntime.kick does nothing otherwise)
        if self._timeout == 0.0:
            raise oserror(errno.EINPROGRESS)
        # _wait_connected(c), inlined (a Python frame less per connect): keep the two alike
        while c.state in _CONNECTING:
            if self._timeout is None and not self._sndtimeo and not rt.realtime:
                rt.wait_signal(c, "connect", _handshake_over)  # (a wakeup: then the test again)
            else:
                self._wait(lambda: c.state not in _CONNECTING, "connect", send=True)
        if c.state not in _SYNCHRONIZED:  # (not c.connected, without the property's call)
            if c.error is not None:
                raise oserror(c.take_error())
            if c.state is _CLOSED:
                raise oserror(errno.ECONNREFUSED)
        self._established = True
        self._reported = self._timeout is None  # CPython's timeout mode connects non-blocking

    def _wait_connected(self, c) -> None:
        rt = self._host.runtime
        while c.state in _CONNECTING:
            if self._timeout is None and not self._sndtimeo and not rt.realtime:
                # blocking, without SO_SNDTIMEO: a wakeup, without _wait()'s deadline (see _accept)
                rt.wait_signal(self._ep, "connect", _handshake_over)
            else:
                self._wait(lambda: c.state not in _CONNECTING, "connect", send=True)
        if not c.connected:  # (read once: nothing below changes it before raising)
            if c.error is not None:
                raise oserror(c.take_error())
            if c.state is _CLOSED:
                raise oserror(errno.ECONNREFUSED)
        self._established = True

    # -- data --------------------------------------------------------------------------

    def _require_conn(self, for_send: bool):
        c = self._conn
        if c is None:
            raise oserror(errno.EPIPE if for_send else errno.ENOTCONN)
        return c

    def _stream_send(self, mv, flags: int) -> int:
        c = self._require_conn(True)
        if c.state in _CONNECTING:
            if self._timeout == 0.0 or flags & MSG_DONTWAIT:
                raise oserror(errno.EAGAIN)
            self._wait_connected(c)
        now = self._host.clock
        if self._timeout is None and not flags & MSG_DONTWAIT:
            # blocking: the call returns when everything is queued (Linux tcp_sendmsg)
            if not len(mv):
                return 0
            n = c.send(mv, now())
            self._kick()
            return self._send_rest(c, mv, n)
        n = c.send(mv, now())
        self._kick()
        if n == 0 and len(mv):
            self._wait(lambda: c.writable, "send", send=True, nonblock=bool(flags & MSG_DONTWAIT))
            n = c.send(mv, now())
            self._kick()
        return n

    def _send_rest(self, c, mv, total: int) -> int:
        """A blocking send() after its first `total` bytes were queued: wait for room and
        queue the rest."""
        now = self._host.clock
        while total < len(mv):
            self._wait(lambda: c.writable, "send", send=True)
            n = c.send(mv[total:], now())
            self._kick()
            total += n
        return total

    def _stream_sendall(self, mv, flags: int) -> None:
        c = self._require_conn(True)
        deadline = self._sendall_deadline()
        if not len(mv):
            return
        if c.state in _CONNECTING:
            self._wait_connected(c)
        n = c.send(mv, self._host.clock())
        self._kick()
        if n < len(mv):
            self._sendall_rest(c, mv, n, deadline)

    def _sendall_deadline(self) -> int | None:
        """When sendall() must have finished: its timeout bounds the whole call."""
        t = self._timeout
        return None if t is None else self._host.runtime.now_us() + int(round(t * 1e6))

    def _sendall_rest(self, c, mv, total: int, deadline: int | None) -> None:
        """sendall() after its first `total` bytes were queued: wait for room and queue the rest."""
        rt = self._host.runtime
        nonblocking = self._timeout == 0.0  # (read before any wait: the call's own mode)
        while total < len(mv):
            if nonblocking:
                raise oserror(errno.EAGAIN)
            if not rt.wait_until(lambda: c.writable, deadline, (c,), "sendall"):
                raise timed_out()
            if c.state in _CONNECTING:
                self._wait_connected(c)
            n = c.send(mv[total:], self._host.clock())
            self._kick()
            total += n

    def _stream_recv(self, bufsize: int, flags: int) -> bytes:
        c = self._conn
        if c is None:
            raise oserror(errno.ENOTCONN)
        peek = bool(flags & MSG_PEEK)
        nonblock = bool(flags & MSG_DONTWAIT) and self._timeout is None
        if bufsize == 0:
            return b""
        if flags & MSG_WAITALL and not peek:
            chunks = []
            got = 0
            while got < bufsize:
                if not c.readable:
                    if got and (self._timeout == 0.0 or nonblock):
                        break
                    self._wait(lambda: c.readable, "recv", nonblock=nonblock)
                try:
                    data = c.recv(bufsize - got, self._host.clock())
                except OSError:
                    if got:
                        break
                    raise
                self._kick()
                if not data:
                    break
                chunks.append(data)
                got += len(data)
            return b"".join(chunks)
        if not c.readable:
            self._wait(lambda: c.readable, "recv", nonblock=nonblock)
        if c.state is State.SYN_SENT:
            raise oserror(errno.ENOTCONN)
        data = c.recv(bufsize, self._host.clock(), peek)
        self._kick()
        return data

    def _stream_shutdown(self, how: int) -> None:
        c = self._conn
        if c is None:
            if self._listener is not None and how in (C.SHUT_RD, C.SHUT_RDWR):
                return
            raise oserror(errno.ENOTCONN)
        c.shutdown(how, self._host.clock())
        self._kick()

    # -- options ------------------------------------------------------------------------

    def _stream_setopt(self, level: int, name: int, ival, raw) -> bool:
        """TCP's share of setsockopt; False when the option is not a TCP one.  The socket
        takes its own copy of the TCP options (_own_tcpopts) only for a TCP one: a listener
        given SO_REUSEADDR alone still shares the defaults, and so do the connections it
        accepts (each would otherwise copy the listener's at its SYN)."""
        if level == C.SOL_SOCKET:
            if name != C.SO_KEEPALIVE:
                return False
        elif level != C.IPPROTO_TCP:
            return False
        o = self._own_tcpopts()
        c = self._conn
        now = self._host.clock()
        if level == C.SOL_SOCKET:  # SO_KEEPALIVE
            o.keepalive = bool(ival)
            if c is not None:
                c.set_keepalive(o.keepalive, now, o.keepidle, o.keepintvl, o.keepcnt)
            return True
        if name == C.TCP_CONGESTION:
            algo = (raw or b"").split(b"\0", 1)[0].decode(errors="replace") if raw is not None else None
            if algo not in ("cubic", "reno", "newreno"):
                raise oserror(errno.ENOENT)
            o.congestion = "newreno" if algo in ("reno", "newreno") else "cubic"
            if c is not None and hasattr(c, "set_congestion"):
                c.set_congestion(o.congestion, now)
            return True
        if ival is None:
            raise oserror(errno.EINVAL)
        if name == C.TCP_NODELAY:
            o.nodelay = bool(ival)
            if c is not None:
                c.set_nodelay(o.nodelay, now)
        elif name in (C.TCP_KEEPIDLE, C.TCP_KEEPINTVL):
            if not 1 <= ival <= 32767:
                raise oserror(errno.EINVAL)
            if name == C.TCP_KEEPIDLE:
                o.keepidle = ival * 1_000_000
            else:
                o.keepintvl = ival * 1_000_000
            if c is not None:
                c.set_keepalive(o.keepalive, now, o.keepidle, o.keepintvl, o.keepcnt)
        elif name == C.TCP_KEEPCNT:
            if not 1 <= ival <= 127:
                raise oserror(errno.EINVAL)
            o.keepcnt = ival
            if c is not None:
                c.set_keepalive(o.keepalive, now, o.keepidle, o.keepintvl, o.keepcnt)
        elif name == C.TCP_MAXSEG:
            if ival and not 88 <= ival <= 32767:
                raise oserror(errno.EINVAL)
            o.maxseg = ival or None
        elif name == C.TCP_USER_TIMEOUT:
            if ival < 0:
                raise oserror(errno.EINVAL)
            o.user_timeout = ival * 1000 or None
        elif name == C.TCP_SYNCNT:
            if not 1 <= ival <= 127:  # MAX_TCP_SYNCNT
                raise oserror(errno.EINVAL)
            o.syncnt = ival
            if c is not None:
                c.opts.syncnt = ival
        elif name == C.TCP_LINGER2:
            # Linux: negative is "no FIN-WAIT-2 at all", 0 the host's tcp_fin_timeout, at
            # most TCP_FIN_TIMEOUT_MAX (120 s)
            o.linger2 = -1 if ival < 0 else min(ival, 120) * 1_000_000 or None
            if c is not None:
                c.opts.linger2 = o.linger2
        elif name in (C.TCP_QUICKACK, C.TCP_CORK):
            ival = int(ival != 0)  # Linux keeps a flag (the stack acknowledges and sends as without)
        elif name == C.TCP_DEFER_ACCEPT:
            ival = _retrans_to_secs(_secs_to_retrans(ival))  # Linux keeps retransmissions, not seconds
        elif name == C.TCP_WINDOW_CLAMP:
            if ival == 0 and c is not None and c.state is not State.CLOSED:
                raise oserror(errno.EINVAL)
            ival = ival if ival == 0 or ival >= 1152 else 1152  # SOCK_MIN_RCVBUF / 2
        elif name == C.TCP_FASTOPEN:
            if ival < 0 or (c is not None and c.state is not State.CLOSED):
                raise oserror(errno.EINVAL)
        elif name == C.TCP_NOTSENT_LOWAT:
            pass
        else:
            raise oserror(errno.ENOPROTOOPT)
        self._opts[(level, name)] = ival
        return True

    def _stream_getopt(self, level: int, name: int, buflen):
        o = self._tcpopts
        c = self._conn
        if level != C.IPPROTO_TCP:
            raise oserror(errno.ENOPROTOOPT)
        if name == C.TCP_INFO:
            if c is None:
                info = tcp_info.pack(state=7)  # TCP_CLOSE
            else:
                info = c.tcp_info(self._host.clock())
            return info if buflen is not None else info[:4]
        if name == C.TCP_NODELAY:
            return int(o.nodelay)
        if name == C.TCP_KEEPIDLE:
            return (o.keepidle or self._tcp.config.keepalive_time) // 1_000_000
        if name == C.TCP_KEEPINTVL:
            return (o.keepintvl or self._tcp.config.keepalive_intvl) // 1_000_000
        if name == C.TCP_KEEPCNT:
            return o.keepcnt or self._tcp.config.keepalive_probes
        if name == C.TCP_MAXSEG:
            if c is not None and c.connected:
                return c.mss
            return o.maxseg or 536
        if name == C.TCP_USER_TIMEOUT:
            return (o.user_timeout or 0) // 1000
        if name == C.TCP_SYNCNT:
            return o.syncnt or self._tcp.config.syn_retries
        if name == C.TCP_LINGER2:
            if o.linger2 == -1:
                return -1
            return (o.linger2 or self._tcp.config.fin_timeout) // 1_000_000
        if name in _TCP_DEFAULT_ZERO and (level, name) not in self._opts:
            return 1 if name == C.TCP_QUICKACK else 0
        if name == C.TCP_CONGESTION:
            algo = (o.congestion or self._tcp.config.congestion)
            algo = b"reno" if algo == "newreno" else algo.encode()
            return algo.ljust(buflen or 16, b"\0")[:buflen or 16]
        if (level, name) in self._opts:
            return self._opts[(level, name)]
        raise oserror(errno.ENOPROTOOPT)

    def _stream_ready_mask(self) -> int:
        lst = self._listener
        if lst is not None:
            return 0x1 if lst.readable else 0
        c = self._conn
        if c is None:
            return 0x4 | 0x10  # a fresh socket is CLOSED: Linux reports POLLOUT | POLLHUP
        mask = 0
        if c.readable:
            mask |= 0x1
        if c.writable and c.state not in _CONNECTING:
            mask |= 0x4
        if c.error is not None:
            mask |= 0x8
        if c.state is State.CLOSED or (c.fin_rcvd and c.shut_wr):
            mask |= 0x10
        return mask

    @staticmethod
    def _idx(x) -> int:
        if isinstance(x, float) or not hasattr(x, "__index__"):
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        return x.__index__()
