"""Opening a Linux TAP device (python-pytun) and moving Ethernet frames through it.

`IFF_TAP | IFF_NO_PI`: every read is one Ethernet frame without the FCS, every write
sends one, exactly the frames the stack builds.  The descriptor is non-blocking: the
RealtimeRuntime reads when the selector says it is readable, and a write that would
block drops the frame (counted), as a NIC with a full ring does.
"""

from __future__ import annotations

import errno
import os

MAX_FRAME = 65536


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


def open_tap(ifname: str, namespace: str | None = None):
    """Open (or create) TAP interface `ifname` (inside network namespace `namespace` if
    given); returns the pytun device, non-blocking."""
    with netns(namespace):
        return _open_tap(ifname)


def _open_tap(ifname: str):
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
        dev = pytun.TunTapDevice(name=ifname, flags=pytun.IFF_TAP | pytun.IFF_NO_PI)
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


class TapChannel:
    """What the host's interface transmits into: writes frames to the TAP descriptor."""

    def __init__(self, dev, stats, mtu: int) -> None:
        self.dev = dev
        self.fd = dev.fileno()
        self.stats = stats
        self.mtu = mtu
        self.captures: list = []
        self.clock = None

    def transmit(self, frame) -> None:
        if self.captures:
            now = self.clock()
            for w, index in self.captures:
                w.write(index, now, frame)
        try:
            os.write(self.fd, frame)
            self.stats["tap.tx.frames"] += 1
        except BlockingIOError:
            self.stats["tap.tx.busy"] += 1
        except OSError as e:  # EIO while the kernel side is down
            self.stats[f"tap.tx.{errno.errorcode.get(e.errno, e.errno)}"] += 1
