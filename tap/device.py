"""Opening a Linux TAP device (python-pytun) and moving Ethernet frames through it.

`IFF_TAP | IFF_NO_PI`: every read is one Ethernet frame without the FCS, every write
sends one, exactly the frames the stack builds.  The descriptor is non-blocking: the
RealtimeRuntime reads when the selector says it is readable, and a write that would
block drops the frame (counted), as a NIC with a full ring does.

With `IFF_VNET_HDR` (the default) each frame is preceded by a `struct virtio_net_hdr`, as
between a virtual machine's NIC and its host, and the device offers checksum offload and
TCP segmentation offload (`TUNSETOFFLOAD`).  The kernel then hands us frames whose
checksums it vouches for (`DATA_VALID`) or left for the NIC to fill (`NEEDS_CSUM`: we take
them as valid and complete the checksum only for a capture), and TCP segments of up to
64 KiB that it did not cut to the MSS (GSO): one read instead of forty-four.  What we write
is marked `DATA_VALID`: our host computed every checksum.  And consecutive full-sized
segments of one TCP flow written in the same turn of the stack are handed to the kernel as
one GSO frame (the segments a NIC with TSO would send, the kernel's GRO would rebuild), so
a burst costs one write instead of one per segment.  A capture still shows each segment
as our TCP built it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct

VNET_HDR = struct.Struct("=BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_HDR_LEN = VNET_HDR.size
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_F_DATA_VALID = 2
TUNSETOFFLOAD = 0x400454D0
TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 = 0x01, 0x02, 0x04
MAX_FRAME = 65536 + 14 + VNET_HDR_LEN + 64
TX_VALID = VNET_HDR.pack(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0)
GSO_TCPV4, GSO_TCPV6 = 1, 4
GSO_MAX = 65000  # bytes of TCP payload merged into one frame (the IP length field's limit, with room)
VNET_FDS: set[int] = set()  # descriptors of open devices whose frames carry the header


class TapError(OSError):
    """A TAP device could not be opened; the message says what failed and what to do."""


CLONE_NEWNET = 0x40000000


class netns:
    """Run the enclosed code (in this thread) inside network namespace `name`, as
    `ip netns exec` would: a TAP device created there exists only there, and its
    descriptor keeps working after the thread returns to its own namespace."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self._home = None

    def __enter__(self):
        if self.name is None:
            return self
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        self._setns = libc.setns
        path = f"/var/run/netns/{self.name}"
        try:
            target = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise TapError(e.errno, f"no network namespace {self.name!r} ({path}): create it with "
                                    f"`ip netns add {self.name}`") from e
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            if self._setns(target, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                os.close(self._home)
                self._home = None
                raise TapError(err, f"cannot enter network namespace {self.name!r}: {os.strerror(err)} "
                                    "(needs CAP_SYS_ADMIN)")
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc) -> None:
        if self._home is not None:
            try:
                if self._setns(self._home, CLONE_NEWNET) != 0:  # pragma: no cover - cannot fail for our own
                    raise OSError("cannot return to the original network namespace")
            finally:
                os.close(self._home)
                self._home = None


def open_tap(ifname: str, namespace: str | None = None, offload: bool = True):
    """Open (or create) TAP interface `ifname` (inside network namespace `namespace` if
    given); returns the pytun device, non-blocking; its descriptor is in `VNET_FDS` when
    frames carry a virtio-net header (see the module docstring)."""
    with netns(namespace):
        if offload:
            try:
                dev = _open_tap(ifname, vnet=True)
            except TapError:
                dev = None  # an existing device made without IFF_VNET_HDR: open it as it is
            if dev is not None:
                try:
                    fcntl.ioctl(dev.fileno(), TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
                except OSError:
                    pass  # the header stays, offload stays off: frames come whole and checksummed
                VNET_FDS.add(dev.fileno())
                return dev
        dev = _open_tap(ifname)
        VNET_FDS.discard(dev.fileno())
        return dev


def _open_tap(ifname: str, vnet: bool = False):
    try:
        import pytun
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise TapError(errno.ENOPKG, f"python-pytun is not installed ({e}); pip install python-pytun") from e
    if not os.path.exists("/dev/net/tun"):
        raise TapError(errno.ENOENT, "/dev/net/tun does not exist: load the tun module (modprobe tun) or run "
                                     "where TUN/TAP is available (containers need --device /dev/net/tun)")
    if len(ifname.encode()) >= 16:
        raise TapError(errno.EINVAL, f"interface name {ifname!r} is too long (at most 15 bytes)")
    try:
        dev = pytun.TunTapDevice(name=ifname, flags=pytun.IFF_TAP | pytun.IFF_NO_PI
                                 | (pytun.IFF_VNET_HDR if vnet else 0))
    except pytun.Error as e:
        code = e.args[0] if e.args and isinstance(e.args[0], int) else errno.EIO
        if code in (errno.EPERM, errno.EACCES):
            why = "permission denied: run as root, or give this user CAP_NET_ADMIN, or create the device first " \
                  f"with `ip tuntap add dev {ifname} mode tap user $USER`"
        elif code == errno.EBUSY:
            why = f"{ifname} is in use by another process (or is not a TAP device): pick another name or stop it"
        elif code == errno.EINVAL:
            why = f"{ifname} exists but is not a TAP device without packet information (is it a TUN device?)"
        else:
            why = str(e)
        raise TapError(code, f"cannot open TAP device {ifname}: {why}") from e
    os.set_blocking(dev.fileno(), False)
    return dev


def complete_checksum(frame: bytes, csum_start: int, csum_offset: int) -> bytes:
    """The frame with the transport checksum a NIC would have filled in (NEEDS_CSUM).

    The field holds the pseudo-header sum; for a GSO frame the kernel leaves the length out
    of it (each segment's differs), so the checksum is simply computed afresh here from the
    IP header's addresses and the segment as it stands.
    """
    from stack.wire.checksum import transport_checksum

    if len(frame) < csum_start + csum_offset + 2:
        return frame
    ip_at = 14
    version = frame[ip_at] >> 4
    if version == 4:
        src, dst, proto = frame[ip_at + 12:ip_at + 16], frame[ip_at + 16:ip_at + 20], frame[ip_at + 9]
    elif version == 6:
        src, dst, proto = frame[ip_at + 8:ip_at + 24], frame[ip_at + 24:ip_at + 40], frame[ip_at + 6]
    else:
        return frame
    field = csum_start + csum_offset
    seg = frame[csum_start:field] + b"\0\0" + frame[field + 2:]
    csum = transport_checksum(src, dst, proto, seg)
    if proto == 17 and csum == 0:
        csum = 0xFFFF
    return frame[:field] + csum.to_bytes(2, "big") + frame[field + 2:]


class TapChannel:
    """What the host's interface transmits into: writes frames to the TAP descriptor."""

    def __init__(self, dev, stats, mtu: int) -> None:
        self.dev = dev
        self.fd = dev.fileno()
        self.stats = stats
        self.mtu = mtu
        self.captures: list = []
        self.clock = None
        self.vnet_hdr = self.fd in VNET_FDS
        self._held = None  # a GSO frame being built: [key, first frame, payloads, next seq, gso_size, last length]

    def transmit(self, frame) -> None:
        if self.captures:
            now = self.clock()
            for w, index in self.captures:
                w.write(index, now, frame)
        if self.vnet_hdr:
            seg = _tcp_data_segment(frame)
            held = self._held
            if held is not None:
                if seg is not None and seg[0] == held[0] and seg[1] == held[3] and held[5] == held[4] \
                        and seg[2] <= held[4] and sum(map(len, held[2])) + seg[2] <= GSO_MAX:
                    held[2].append(frame[seg[4]:])
                    held[3] = (seg[1] + seg[2]) & 0xFFFFFFFF
                    held[5] = seg[2]
                    if seg[3]:  # PSH: the end of what the application wrote
                        self.flush()
                    return
                self.flush()
            if seg is not None and not seg[3]:
                self._held = [seg[0], frame, [frame[seg[4]:]], (seg[1] + seg[2]) & 0xFFFFFFFF, seg[2], seg[2]]
                return
            self._write(TX_VALID + frame)
            return
        self._write(frame)

    def flush(self) -> None:
        """Write the held segments: as they were if only one, else as one GSO frame."""
        held, self._held = self._held, None
        if held is None:
            return
        key, first, payloads, _next, gso_size, _last = held
        if len(payloads) == 1:
            self._write(TX_VALID + first)
            return
        self.stats["tap.tx.gso"] += 1
        self.stats["tap.tx.gso_segments"] += len(payloads)
        self._write(_gso_frame(first, b"".join(payloads), gso_size))

    def _write(self, data) -> None:
        try:
            os.write(self.fd, data)
            self.stats["tap.tx.frames"] += 1
        except BlockingIOError:
            self.stats["tap.tx.busy"] += 1
        except OSError as e:  # EIO while the kernel side is down
            self.stats[f"tap.tx.{errno.errorcode.get(e.errno, e.errno)}"] += 1


def _tcp_data_segment(frame: bytes):
    """(flow key, seq, payload length, PSH, payload offset) of a plain TCP data segment in an
    Ethernet frame (ACK, maybe PSH, nothing else), or None.  The key is the headers with the
    fields that differ between consecutive segments (lengths, IPv4 ident and checksum, the
    sequence number, the TCP checksum, PSH) blanked: segments merge only when it matches."""
    if len(frame) < 54:
        return None
    et = frame[12:14]
    if et == b"\x08\x00":
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 6 or frame[20] & 0x3F or frame[21]:  # not TCP, or a fragment
            return None
        t = 14 + ihl
        ip_key = frame[14:16] + frame[20:24] + frame[26:14 + ihl]
    elif et == b"\x86\xdd":
        if frame[20] != 6:  # a next header other than TCP (extension headers are not merged)
            return None
        t = 54
        ip_key = frame[14:18] + frame[20:54]
    else:
        return None
    if len(frame) < t + 20:
        return None
    flags = frame[t + 13]
    if flags & ~0x18 or not flags & 0x10:  # anything but ACK (+PSH)
        return None
    thl = (frame[t + 12] >> 4) * 4
    payload_at = t + thl
    n = len(frame) - payload_at
    if n <= 0:
        return None
    key = frame[:14] + ip_key + frame[t:t + 4] + frame[t + 8:t + 13] + frame[t + 14:t + 16] + frame[t + 18:payload_at]
    seq = int.from_bytes(frame[t + 4:t + 8], "big")
    return key, seq, n, bool(flags & 0x08), payload_at


def _gso_frame(first: bytes, payload: bytes, gso_size: int) -> bytes:
    """One frame carrying `payload` with the headers of `first`, for the kernel to treat as
    the segments of `gso_size` bytes it stands for (virtio_net_hdr with NEEDS_CSUM: the TCP
    checksum field holds the pseudo-header sum, as a NIC doing TSO expects)."""
    from stack.wire.checksum import header_checksum, ones_sum, pseudo_header_sum

    v4 = first[12:14] == b"\x08\x00"
    if v4:
        ihl = (first[14] & 0x0F) * 4
        t = 14 + ihl
        thl = (first[t + 12] >> 4) * 4
        ip = bytearray(first[14:t])
        total = ihl + thl + len(payload)
        ip[2:4] = total.to_bytes(2, "big")
        ip[10:12] = b"\0\0"
        ip[10:12] = header_checksum(bytes(ip)).to_bytes(2, "big")
        src, dst = bytes(ip[12:16]), bytes(ip[16:20])
        gso_type = GSO_TCPV4
    else:
        t = 54
        thl = (first[t + 12] >> 4) * 4
        ip = bytearray(first[14:54])
        ip[4:6] = (thl + len(payload)).to_bytes(2, "big")
        src, dst = bytes(ip[8:24]), bytes(ip[24:40])
        gso_type = GSO_TCPV6
    tcp = bytearray(first[t:t + thl])
    partial = pseudo_header_sum(src, dst, 6, thl + len(payload))
    partial = ones_sum(b"", partial)
    tcp[16:18] = partial.to_bytes(2, "big")
    hdr = VNET_HDR.pack(VIRTIO_NET_HDR_F_NEEDS_CSUM, gso_type, t + thl, gso_size, t, 16)
    return hdr + first[:14] + bytes(ip) + bytes(tcp) + payload
