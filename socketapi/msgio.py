"""sendmsg / recvmsg / recvmsg_into and sendfile, as CPython offers them, over the socket's own calls.

Ancillary data: an IP stack has no file descriptors to pass (SCM_RIGHTS) or credentials to
prove (SCM_CREDENTIALS); those raise an OSError saying so.  No control messages are
received either, so the ancillary list is always empty.  recvmsg reports MSG_TRUNC when a
datagram was longer than the buffer, as Linux does.
"""

from __future__ import annotations

import errno
import io
import os

from . import constants as C

MSG_TRUNC = int(C.MSG_TRUNC)


def _socket_module():
    """The standard library's socket module (for `_GiveupOnSendfile`, which sendfile's
    callers and CPython's own tests expect to see)."""
    import socket

    return socket


class MessageMethods:
    """Mixed into `socketapi.socket`."""

    def sendmsg(self, buffers, ancdata=(), flags=0, address=None) -> int:
        from .sock import _bytes_like

        data = b"".join(bytes(_bytes_like(b)) for b in buffers)
        for item in ancdata:
            level, kind, _payload = item
            if level == C.SOL_SOCKET and kind in (C.SCM_RIGHTS, C.SCM_CREDENTIALS):
                raise OSError(errno.EOPNOTSUPP, "Operation not supported: an IP stack in userspace has no "
                                                "descriptors or credentials to pass (SCM_RIGHTS, SCM_CREDENTIALS)")
        if address is None:
            return self.send(data, flags)
        return self.sendto(data, flags, address)

    def recvmsg(self, bufsize, ancbufsize=0, flags=0):
        from .sock import _index

        bufsize, ancbufsize, flags = _index(bufsize), _index(ancbufsize), _index(flags)
        if bufsize < 0 or ancbufsize < 0:
            raise ValueError("negative buffer size in recvmsg()")
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
        data, src = item
        msg_flags = MSG_TRUNC if len(data) > bufsize else 0
        return data[:bufsize], [], msg_flags, self._from_name(src)

    def recvmsg_into(self, buffers, ancbufsize=0, flags=0):
        views = [memoryview(b).cast("B") for b in buffers]
        total = sum(len(v) for v in views)
        data, anc, msg_flags, addr = self.recvmsg(total, ancbufsize, flags)
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
        """The zero-copy way CPython tries first.  The file's descriptor is checked as
        CPython checks it (a bad one gives up, a number out of range or not a number
        raises), then it gives up: the kernel cannot copy into this stack's socket."""
        giveup = _socket_module()._GiveupOnSendfile
        self._sendfile_params(file, count)
        self._check()
        try:
            fileno = file.fileno()
        except (AttributeError, io.UnsupportedOperation) as e:
            raise giveup(e) from None
        try:
            os.fstat(fileno)
        except OSError as e:
            raise giveup(e) from None
        raise giveup("os.sendfile() cannot write into a userspace stack's socket")

    def _sendfile_use_send(self, file, offset=0, count=None):
        """Read and send() in blocks; each send waits as the socket's timeout says (a
        non-blocking socket is refused, as CPython refuses it)."""
        self._sendfile_params(file, count)
        if self.gettimeout() == 0:
            raise ValueError("non-blocking sockets are not supported")
        if offset:
            file.seek(offset)
        total = 0
        try:
            while count is None or total < count:
                block = memoryview(file.read(262144 if count is None else min(262144, count - total)))
                if not block:
                    break
                self.sendall(block)
                total += len(block)
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset + total)
        return total
