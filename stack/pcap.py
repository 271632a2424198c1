"""pcapng capture files (the IETF draft-ietf-opsawg-pcapng format Wireshark writes).

One Section Header Block, one Interface Description Block per capture point (its name, such
as a link "h1-s1", in if_name; microsecond timestamps, if_tsresol = 6), then one Enhanced
Packet Block per frame.  Writes are buffered; `flush()` leaves a complete, readable file on
disk at any time, so a capture can be inspected while the simulation continues.
"""

from __future__ import annotations

import struct

LINKTYPE_ETHERNET = 1
_SHB = 0x0A0D0D0A
_IDB = 0x00000001
_EPB = 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D


def _pad4(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad4(value)


def _block(btype: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


class PcapWriter:
    def __init__(self, path: str, snaplen: int = 262144) -> None:
        self.path = path
        self.snaplen = snaplen
        self._f = open(path, "wb")
        self._buf: list[bytes] = []
        self._names: list[str] = []
        shb = struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1) + _option(4, b"pystack") + _option(0, b"")
        self._f.write(_block(_SHB, shb))
        self._f.flush()

    def add_interface(self, name: str) -> int:
        opts = _option(2, name.encode()) + _option(9, bytes([6])) + _option(0, b"")
        self._buf.append(_block(_IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, self.snaplen) + opts))
        self._names.append(name)
        return len(self._names) - 1

    def write(self, if_index: int, time_us: int, frame) -> None:
        data = bytes(frame)
        cap = data[:self.snaplen]
        body = struct.pack("<IIIII", if_index, time_us >> 32, time_us & 0xFFFFFFFF, len(cap), len(data)) + _pad4(cap)
        self._buf.append(_block(_EPB, body))
        if len(self._buf) > 4096:
            self.flush()

    def flush(self) -> None:
        if self._f.closed:
            return
        if self._buf:
            self._f.write(b"".join(self._buf))
            self._buf.clear()
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self.flush()
            self._f.close()


def read_pcapng(path: str) -> list[tuple[str, int, bytes]]:
    """(interface name, time in µs, frame) for every packet block; for tests and tools."""
    out = []
    names: list[str] = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 12 <= len(data):
        btype, total = struct.unpack_from("<II", data, pos)
        body = data[pos + 8:pos + total - 4]
        if btype == _IDB:
            name = ""
            i = 8
            while i + 4 <= len(body):
                code, ln = struct.unpack_from("<HH", body, i)
                if code == 0:
                    break
                if code == 2:
                    name = body[i + 4:i + 4 + ln].decode()
                i += 4 + ln + (-ln % 4)
            names.append(name)
        elif btype == _EPB:
            idx, hi, lo, caplen, _orig = struct.unpack_from("<IIIII", body)
            out.append((names[idx], (hi << 32) | lo, body[20:20 + caplen]))
        pos += total
    return out
