"""sendmsg / recvmsg / recvmsg_into and sendfile, as CPython offers them, over the socket's own calls.

Ancillary data (RFC 3542 for IPv6, Linux's IP_* items for IPv4):
- received: a UDP socket that asked with IP_PKTINFO, IP_RECVTTL, IP_RECVTOS,
  IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT or IPV6_RECVTCLASS gets, per datagram, the items
  Linux's ip_cmsg_recv / ip6_datagram_recv_ctl give, in their order, laid out in
  `ancbufsize` bytes as put_cmsg lays them (an item that does not fit is cut or left out
  and MSG_CTRUNC set);
- sent: IP_TTL, IP_TOS, IPV6_HOPLIMIT and IPV6_TCLASS items set that datagram's TTL / hop
  limit and TOS / traffic class, with Linux's checks (exact sizes, ranges; -1 for the
  default); IP_PKTINFO and IPV6_PKTINFO are checked as Linux checks them but their source
  address and interface are not applied (the socket's own are used).
An IP stack has no file descriptors to pass (SCM_RIGHTS) or credentials to prove
(SCM_CREDENTIALS); those raise an OSError saying so.  recvmsg reports MSG_TRUNC when a
datagram was longer than the buffer, as Linux does.
"""

from __future__ import annotations

import errno
import io
import os
import struct

from . import constants as C

MSG_TRUNC = int(C.MSG_TRUNC)
MSG_CTRUNC = int(C.MSG_CTRUNC)
IP_PKTINFO = 8  # <linux/in.h> (CPython does not name it)
_NATIVE_INT = struct.Struct("=i")
_CMSG_HDR = 16  # sizeof(struct cmsghdr) on 64-bit Linux: size_t cmsg_len, int level, int type


def _cmsg_align(n: int) -> int:
    return (n + 7) & ~7


def put_cmsgs(items: list, ancbufsize: int) -> tuple[list, int]:
    """Lay (level, type, data) items into an `ancbufsize`-byte control buffer as Linux's
    put_cmsg does, and read them back as CPython's recvmsg does: an item whose header does
    not fit ends the list, one whose data does not fit is cut to what does; either sets
    MSG_CTRUNC.  Returns (the items as recvmsg returns them, the flags to add)."""
    out = []
    room = ancbufsize
    flags = 0
    for level, kind, data in items:
        if room < _CMSG_HDR:
            flags |= MSG_CTRUNC
            break
        cmlen = _CMSG_HDR + len(data)
        if room < cmlen:
            flags |= MSG_CTRUNC
            cmlen = room
        out.append((level, kind, data[:cmlen - _CMSG_HDR]))
        room -= min(_CMSG_HDR + _cmsg_align(len(data)), room)
    return out, flags


def _socket_module():
    """The standard library's socket module (for `_GiveupOnSendfile`, which sendfile's
    callers and CPython's own tests expect to see)."""
    import socket

    return socket


def _sequence(obj, message: str) -> list:
    """PySequence_Fast: a list of the items of any iterable, TypeError(message) otherwise."""
    if isinstance(obj, (list, tuple)):
        return list(obj)
    try:
        return list(obj)
    except TypeError:
        raise TypeError(message) from None


def _arg_int(x) -> int:
    """A C int argument as PyArg_ParseTuple's "i" converts it (with its messages)."""
    from .sock import _index

    x = _index(x)
    if x > 2 ** 31 - 1:
        raise OverflowError("signed integer is greater than maximum")
    if x < -2 ** 31:
        raise OverflowError("signed integer is less than minimum")
    return x


def _least_one(name: str):
    """CPython's message when a method that needs an argument gets none."""
    def decorate(fn):
        def method(self, *args, **kwargs):
            if not args and not kwargs:
                raise TypeError(f"{name}() takes at least 1 argument (0 given)")
            return fn(self, *args, **kwargs)

        method.__name__ = fn.__name__
        method.__qualname__ = fn.__qualname__
        method.__doc__ = fn.__doc__
        return method

    return decorate


def _ssize(x) -> int:
    """A C ssize_t argument ("n")."""
    from .sock import _index

    x = _index(x)
    if not -2 ** 63 <= x < 2 ** 63:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return x


# Ancillary types Linux's ip_cmsg_send / ip6_datagram_send_ctl accept on a datagram socket
# (IP_RETOPTS, IP_PKTINFO, IP_TTL, IP_TOS; IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS,
# IPV6_DONTFRAG, the routing and hop-by-hop headers); other levels it passes over.
_IP_CMSG = {1, 2, 7, 8}
_IPV6_CMSG = {50, 52, 67, 62, 54, 55, 57, 59, 2, 3, 4, 5, 8, 9, 11}


def _unknown_cmsg(flen: int, level: int, kind: int) -> bool:
    if level == C.SOL_SOCKET:
        return kind not in (C.SCM_RIGHTS, C.SCM_CREDENTIALS, 36, 37, 61)  # SO_MARK, SO_TIMESTAMPING, SCM_TXTIME
    if level == C.IPPROTO_IP and flen == 4:
        return kind not in _IP_CMSG
    if level == C.IPPROTO_IPV6 and flen == 16:
        return kind not in _IPV6_CMSG
    return False


class MessageMethods:
    """Mixed into `socketapi.socket`."""

    @_least_one("sendmsg")
    def sendmsg(self, buffers, ancdata=(), flags=0, address=None) -> int:
        """Send the concatenated buffers.  Arguments are checked in CPython's order (flags,
        address, buffers, then each ancillary item as (int, int, bytes-like)).  Ancillary
        data: passing descriptors or credentials is refused (there are none to pass); on a
        datagram or raw socket the IP-level items Linux knows are accepted and others are
        EINVAL, as ip_cmsg_send answers; TCP looks at none of them, as Linux's doesn't."""
        from .sock import _bytes_like

        flags = _arg_int(flags)
        if address is not None:
            self._sockaddr(address, "sendmsg")
        parts = _sequence(buffers, "sendmsg() argument 1 must be an iterable")
        data = b"".join(bytes(_bytes_like(b)) for b in parts)
        items = []
        for item in _sequence(ancdata, "sendmsg() argument 2 must be an iterable"):
            if isinstance(item, (str, bytes, bytearray)) or not hasattr(item, "__len__") \
                    or not hasattr(item, "__getitem__"):
                raise TypeError("[sendmsg() ancillary data items]() argument must be 3-item sequence, "
                                f"not {type(item).__name__}")
            if len(item) != 3:
                raise TypeError("[sendmsg() ancillary data items]() argument must be sequence of length 3, "
                                f"not {len(item)}")
            level, kind, payload = item[0], item[1], item[2]
            items.append((_arg_int(level), _arg_int(kind), bytes(_bytes_like(payload))))
        for level, kind, _payload in items:
            if level == C.SOL_SOCKET and kind in (C.SCM_RIGHTS, C.SCM_CREDENTIALS):
                raise OSError(errno.EOPNOTSUPP, "Operation not supported: an IP stack in userspace has no "
                                                "descriptors or credentials to pass (SCM_RIGHTS, SCM_CREDENTIALS)")
            if self._kind != C.SOCK_STREAM and _unknown_cmsg(self._flen, level, kind):
                self._check()
                raise OSError(errno.EINVAL, "Invalid argument")
        if items and self._kind == C.SOCK_DGRAM:
            ttl, tos = self._cmsg_ttl_tos(items, address)
            if ttl is not None or tos is not None:
                return self._sendmsg_dgram(data, address, ttl, tos)
        if address is None:
            return self.send(data, flags)
        return self.sendto(data, flags, address)

    def _cmsg_ttl_tos(self, items: list, address):
        """The TTL / hop limit and TOS / traffic class a datagram's ancillary items ask for
        (None: the socket's), with Linux's checks: ip_cmsg_send for an IPv4 socket (or an
        IPv6 one sending to an IPv4-mapped address, which takes the IPv4 way), otherwise
        ip6_datagram_send_ctl, each looking only at its own level."""
        v4 = self._flen == 4
        if not v4 and address is not None:
            addr = self._sockaddr(address, "sendmsg")[0]
            v4 = len(addr) == 16 and addr[:12] == b"\0" * 10 + b"\xff\xff"
        ttl = tos = None
        for level, kind, payload in items:
            n = len(payload)
            if v4 and level == C.IPPROTO_IP:
                if kind == C.IP_TTL:
                    if n != 4:
                        raise OSError(errno.EINVAL, "Invalid argument")
                    value = _NATIVE_INT.unpack(payload)[0]
                    if not 1 <= value <= 255:
                        raise OSError(errno.EINVAL, "Invalid argument")
                    ttl = value
                elif kind == C.IP_TOS:
                    if n == 4:
                        value = _NATIVE_INT.unpack(payload)[0]
                    elif n == 1:
                        value = payload[0]
                    else:
                        raise OSError(errno.EINVAL, "Invalid argument")
                    if not 0 <= value <= 255:
                        raise OSError(errno.EINVAL, "Invalid argument")
                    tos = value
                elif kind == IP_PKTINFO and n != 12:
                    raise OSError(errno.EINVAL, "Invalid argument")
            elif not v4 and level == C.IPPROTO_IPV6:
                if kind in (C.IPV6_HOPLIMIT, C.IPV6_TCLASS):
                    if n != 4:
                        raise OSError(errno.EINVAL, "Invalid argument")
                    value = _NATIVE_INT.unpack(payload)[0]
                    if not -1 <= value <= 255:
                        raise OSError(errno.EINVAL, "Invalid argument")
                    if value != -1:  # -1: the socket's own value (RFC 3542 §6.3, §6.5)
                        if kind == C.IPV6_HOPLIMIT:
                            ttl = value
                        else:
                            tos = value
                elif kind == C.IPV6_PKTINFO and n < 20:
                    raise OSError(errno.EINVAL, "Invalid argument")
        return ttl, tos

    def _sendmsg_dgram(self, data: bytes, address, ttl, tos) -> int:
        """sendto()/send() of one datagram with its own TTL and TOS."""
        from .sock import PEER

        with self._host.runtime.lock:
            self._check()
            n = self._datagram_to(data, PEER if address is None else address, "sendmsg", ttl, tos)
        self._kick()
        return n

    @_least_one("recvmsg")
    def recvmsg(self, bufsize, ancbufsize=0, flags=0):
        bufsize = _ssize(bufsize)
        ancbufsize = _ssize(ancbufsize)
        flags = _arg_int(flags)
        if bufsize < 0:
            raise ValueError("negative buffer size in recvmsg()")
        if not 0 <= ancbufsize <= 0x7FFFFFFF:
            raise ValueError("invalid ancillary data buffer length")
        return self._recvmsg(bufsize, flags, ancbufsize)

    def _recvmsg(self, bufsize: int, flags: int, ancbufsize: int = 0):
        if self._kind == C.SOCK_STREAM:
            data = self.recv(bufsize, flags)
            return data, [], 0, None
        self._check()
        with self._host.runtime.lock:
            item = self._recv_item(flags, "recvmsg")
            if self._mirror is not None:  # real time: the OS-visible readiness follows
                self._mirror.mark()
        if item is None:
            return b"", [], 0, None
        data = item[0]
        msg_flags = MSG_TRUNC if len(data) > bufsize else 0
        anc = []
        if len(item) > 2 and item[2] is not None:
            wanted = self._ancillary(item)
            if wanted:
                anc, more = put_cmsgs(wanted, ancbufsize)
                msg_flags |= more
        return data[:bufsize], anc, msg_flags, self._from_name(item[1])

    def _ancillary(self, item) -> list:
        """The ancillary items this socket asked for about one datagram, in Linux's order:
        for an IPv4 datagram ip_cmsg_recv's (IP_PKTINFO, IP_TTL, IP_TOS), then, on an IPv6
        socket, the IPv6 ones it maps (ip6_datagram_recv_specific_ctl); for an IPv6
        datagram ip6_datagram_recv_ctl's (IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS)."""
        _data, _src, ttl, tos, dst, ifindex = item
        opts = self._opts
        out = []
        ifindex = 0 if ifindex is None else ifindex + 1  # the host's interfaces count from 0, the OS's from 1
        if len(dst) == 4:
            if opts.get((C.IPPROTO_IP, IP_PKTINFO)):
                spec = dst if not (dst[0] >= 224 or dst == b"\xff" * 4) else self._host.source_for(dst) or dst
                out.append((C.IPPROTO_IP, IP_PKTINFO, _NATIVE_INT.pack(ifindex) + spec + dst))
            if opts.get((C.IPPROTO_IP, C.IP_RECVTTL)):
                out.append((C.IPPROTO_IP, C.IP_TTL, _NATIVE_INT.pack(ttl)))
            if opts.get((C.IPPROTO_IP, C.IP_RECVTOS)):
                out.append((C.IPPROTO_IP, C.IP_TOS, bytes((tos,))))
            if self._flen != 16:
                return out
            dst = b"\0" * 10 + b"\xff\xff" + dst  # as the IPv6 socket names it
        if opts.get((C.IPPROTO_IPV6, C.IPV6_RECVPKTINFO)):
            out.append((C.IPPROTO_IPV6, C.IPV6_PKTINFO, dst + _NATIVE_INT.pack(ifindex)))
        if opts.get((C.IPPROTO_IPV6, C.IPV6_RECVHOPLIMIT)):
            out.append((C.IPPROTO_IPV6, C.IPV6_HOPLIMIT, _NATIVE_INT.pack(ttl)))
        if opts.get((C.IPPROTO_IPV6, C.IPV6_RECVTCLASS)):
            out.append((C.IPPROTO_IPV6, C.IPV6_TCLASS, _NATIVE_INT.pack(tos)))
        return out

    @_least_one("recvmsg_into")
    def recvmsg_into(self, buffers, ancbufsize=0, flags=0):
        """recvmsg() scattered into writable buffers (CPython's argument checks and order:
        sizes and flags, then the iterable, then each buffer, then the ancillary size)."""
        ancbufsize = _ssize(ancbufsize)
        flags = _arg_int(flags)
        views = []
        for b in _sequence(buffers, "recvmsg_into() argument 1 must be an iterable"):
            try:
                v = memoryview(b)
            except TypeError:
                v = None
            if v is None or v.readonly or not v.contiguous:
                raise TypeError("recvmsg_into() argument 1 must be an iterable of single-segment read-write buffers")
            views.append(v.cast("B"))
        if not 0 <= ancbufsize <= 0x7FFFFFFF:
            raise ValueError("invalid ancillary data buffer length")
        total = sum(len(v) for v in views)
        data, anc, msg_flags, addr = self._recvmsg(total, flags, ancbufsize)
        pos = 0
        for v in views:
            take = data[pos:pos + len(v)]
            v[:len(take)] = take
            pos += len(take)
            if pos >= len(data):
                break
        return len(data), anc, msg_flags, addr

    def sendmsg_afalg(self, msg=(), *, op, iv=None, assoclen=None, flags=0):
        """Refused: it drives the Linux kernel's crypto API through an AF_ALG socket, which
        a userspace IP stack cannot create (see AF_ALG in socket())."""
        import errno as _errno

        raise OSError(_errno.EOPNOTSUPP, "Operation not supported: sendmsg_afalg() needs an AF_ALG socket "
                      "(the Linux kernel's crypto API); a userspace IP stack has none")

    def sendfile(self, file, offset=0, count=None) -> int:
        """Send a file's bytes from `offset` (at most `count`); the file position ends after
        them.  CPython tries os.sendfile() first and falls back to send(); os.sendfile()
        cannot write into a userspace stack, so here the fallback is the way."""
        try:
            return self._sendfile_use_sendfile(file, offset, count)
        except _socket_module()._GiveupOnSendfile:
            return self._sendfile_use_send(file, offset, count)

    def _sendfile_params(self, file, count) -> None:
        """CPython's checks, in its order: binary file, stream socket, positive count."""
        if "b" not in getattr(file, "mode", "b"):
            raise ValueError("file should be opened in binary mode")
        if self._kind != C.SOCK_STREAM:
            raise ValueError("only SOCK_STREAM type sockets are supported")
        if count is not None:
            if not isinstance(count, int):
                raise TypeError(f"count must be a positive integer (got {count!r})")
            if count <= 0:
                raise ValueError(f"count must be a positive integer (got {count!r})")

    def _sendfile_use_sendfile(self, file, offset=0, count=None):
        """The zero-copy way CPython tries first, os.sendfile(): the kernel reads the file
        by its descriptor from `offset` and writes into the socket, never through the
        file object's buffer.  The kernel cannot write into this stack's socket, so the
        stack does the same itself: os.pread() on the descriptor, blocks sent as
        sendall() sends them.  CPython's checks come first, in its order (the file's
        descriptor and size: an unusable one gives up, so that sendfile() falls back to
        send(); an empty file sends nothing; a non-blocking socket is refused), and
        the file's position ends after what was sent, as CPython leaves it."""
        giveup = _socket_module()._GiveupOnSendfile
        self._sendfile_params(file, count)
        self._check()
        try:
            fileno = file.fileno()
        except (AttributeError, io.UnsupportedOperation) as e:
            raise giveup(e) from None
        try:
            fsize = os.fstat(fileno).st_size
        except OSError as e:
            raise giveup(e) from None
        if not fsize:
            return 0
        if self.gettimeout() == 0:
            raise ValueError("non-blocking sockets are not supported")
        def read(want: int, sent: int) -> bytes:
            try:
                return os.pread(fileno, want, offset + sent)
            except OSError as e:
                if sent == 0:
                    raise giveup(e) from None  # (CPython: not an mmap-able file)
                raise

        return self._send_blocks(read, file, offset, count)

    def _sendfile_use_send(self, file, offset=0, count=None):
        """Read and send() in blocks; each send waits as the socket's timeout says (a
        non-blocking socket is refused, as CPython refuses it)."""
        self._sendfile_params(file, count)
        if self.gettimeout() == 0:
            raise ValueError("non-blocking sockets are not supported")
        if offset:
            file.seek(offset)
        return self._send_blocks(lambda want, sent: memoryview(file.read(want)), file, offset, count)

    def _send_blocks(self, read, file, offset: int, count) -> int:
        """sendall() the blocks `read(want, sent_so_far)` gives (at most `count` bytes in
        all) until one is empty; the file's position ends after what was sent."""
        total = 0
        try:
            while count is None or total < count:
                block = read(262144 if count is None else min(262144, count - total), total)
                if not block:
                    break  # end of file
                self.sendall(block)
                total += len(block)
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset + total)
        return total
