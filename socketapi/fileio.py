"""File-like faces of a socket: CPython's makefile() and MicroPython's stream methods.

makefile() follows CPython: a raw `SocketIO` (readinto -> recv_into, write -> send) wrapped
in io's buffered and text layers as the mode asks; the socket really closes only when the
socket and every file made from it are closed.  After a timeout a SocketIO refuses further
reads, as CPython's does, since buffered data may have been lost.

MicroPython's stream methods are offered on the socket itself: read() and readinto() make
no short reads (read() without a size reads to end of stream), readline() reads through
the next newline, write() makes no short writes on a blocking socket, readall() reads to
end of stream.
"""

from __future__ import annotations

import errno
import io

_BLOCKING_ERRNOS = {errno.EAGAIN, errno.EWOULDBLOCK}


class SocketIO(io.RawIOBase):
    def __init__(self, sock, mode: str) -> None:
        if mode not in ("r", "w", "rw", "rb", "wb", "rwb"):
            raise ValueError(f"invalid mode: {mode!r}")
        io.RawIOBase.__init__(self)
        self._sock = sock
        if "b" not in mode:
            mode += "b"
        self._mode = mode
        self._reading = "r" in mode
        self._writing = "w" in mode
        self._timeout_occurred = False

    def readinto(self, b):
        self._checkClosed()
        self._checkReadable()
        if self._timeout_occurred:
            raise OSError("cannot read from timed out object")
        try:
            return self._sock.recv_into(b)
        except TimeoutError:
            self._timeout_occurred = True
            raise
        except OSError as e:
            if e.errno in _BLOCKING_ERRNOS:
                return None
            raise

    def write(self, b):
        self._checkClosed()
        self._checkWritable()
        try:
            return self._sock.send(b)
        except OSError as e:
            if e.errno in _BLOCKING_ERRNOS:
                return None
            raise

    def readable(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._reading

    def writable(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._writing

    def seekable(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return False

    def fileno(self) -> int:
        self._checkClosed()
        return self._sock.fileno()

    @property
    def name(self):
        return self.fileno() if not self.closed else -1

    @property
    def mode(self) -> str:
        return self._mode

    def close(self) -> None:
        if self.closed:
            return
        io.RawIOBase.close(self)
        self._sock._decref_socketios()
        self._sock = None


class FileMethods:
    """Mixed into `socketapi.socket`."""

    def makefile(self, mode="r", buffering=None, *, encoding=None, errors=None, newline=None):
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        writing = "w" in mode
        reading = "r" in mode or not writing
        assert reading or writing
        binary = "b" in mode
        rawmode = ""
        if reading:
            rawmode += "r"
        if writing:
            rawmode += "w"
        raw = SocketIO(self, rawmode)
        self._io_refs += 1
        if buffering is None:
            buffering = -1
        if buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if not binary:
                raise ValueError("unbuffered streams must be binary")
            return raw
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            buffer = io.BufferedWriter(raw, buffering)
        if binary:
            return buffer
        text = io.TextIOWrapper(buffer, encoding, errors, newline)
        text.mode = mode
        return text

    # -- MicroPython's stream methods -------------------------------------------------

    def read(self, size=-1) -> bytes:
        """Read `size` bytes (fewer only at end of stream), or to end of stream without a size."""
        if size is None or size < 0:
            return self.readall()
        chunks = []
        got = 0
        while got < size:
            data = self.recv(size - got)
            if not data:
                break
            chunks.append(data)
            got += len(data)
        return b"".join(chunks)

    def readall(self) -> bytes:
        chunks = []
        while True:
            data = self.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def readinto(self, buf, nbytes=None) -> int:
        mv = memoryview(buf).cast("B")
        want = len(mv) if nbytes is None else min(nbytes, len(mv))
        got = 0
        while got < want:
            n = self.recv_into(mv[got:want])
            if not n:
                break
            got += n
        return got

    def readline(self) -> bytes:
        line = bytearray()
        while True:
            ch = self.recv(1)
            if not ch:
                break
            line += ch
            if ch == b"\n":
                break
        return bytes(line)

    def write(self, buf) -> int:
        """MicroPython: no short writes on a blocking socket (sendall); a non-blocking socket
        writes what fits."""
        if self.gettimeout() == 0.0:
            try:
                return self.send(buf)
            except BlockingIOError:
                return None
        self.sendall(buf)
        return len(memoryview(buf).cast("B"))
