"""Attach a stack host to a Linux TAP interface, so the kernel and real programs talk to it.

    import tap
    host = tap.attach("tap0", ip="192.0.2.2/24", ip6="2001:db8::2/64", gateway="192.0.2.1")
    host.socket.create_connection(("192.0.2.1", 80))   # from any OS thread
    host.close()

The host runs on a RealtimeRuntime: a stack thread reads the TAP descriptor and runs the
host's timers; ordinary threaded programs use `host.socket` concurrently.
"""

from __future__ import annotations

import os
import random

from socketapi.realtime import RealtimeRuntime
from stack.addr import mac as parse_mac
from stack.host import Host
from stack.trace import Tracer

from stack.wire.ethernet import VerifiedFrame

from .device import (
    MAX_FRAME, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM, VNET_HDR, VNET_HDR_LEN, TapChannel, TapError,
    VNET_FDS, complete_checksum, open_tap,
)
from .device import netns as _netns

__all__ = ["attach", "TapHost", "TapError"]


class TapHost(Host):
    """A host whose one real interface is a TAP device.  `close()` detaches cleanly."""

    kind = "tap-host"

    def _start_tap(self, dev, runtime: RealtimeRuntime, port: int, channel: TapChannel) -> None:
        self.dev = dev
        self.tap_port = port
        self.tap_channel = channel
        self._closed = False
        fd = dev.fileno()

        def readable() -> None:
            now = runtime.now_us()
            vnet = channel.vnet_hdr
            for _ in range(256):  # bounded: let timers and other devices run too
                try:
                    frame = os.read(fd, MAX_FRAME)
                except BlockingIOError:
                    break
                except OSError as e:
                    self.stats["tap.rx.error"] += 1
                    self.trace("tap", "read_error", error=repr(e))
                    break
                self.stats["tap.rx.frames"] += 1
                if vnet:
                    flags, gso_type, _hl, _gs, csum_start, csum_offset = VNET_HDR.unpack_from(frame)
                    frame = frame[VNET_HDR_LEN:]
                    if gso_type:
                        self.stats["tap.rx.gso"] += 1
                    if flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID):
                        if channel.captures and flags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
                            shown = complete_checksum(frame, csum_start, csum_offset)
                            for w, index in channel.captures:
                                w.write(index, now, shown)
                        elif channel.captures:
                            for w, index in channel.captures:
                                w.write(index, now, frame)
                        self.receive(port, VerifiedFrame(frame), now)  # the kernel vouches for it
                        continue
                if channel.captures:
                    for w, index in channel.captures:
                        w.write(index, now, frame)
                self.receive(port, frame, now)
            runtime.touch(self)

        runtime.add_reader(fd, readable)
        runtime.add_flusher(channel.flush)
        runtime.start()
        with runtime.lock:
            runtime.touch(self)

    def capture(self, path: str, snaplen: int = 262144):
        """Write every frame crossing the TAP interface to a pcapng file (the first `snaplen`
        bytes of each: a small one keeps long transfers' captures to their headers)."""
        from stack.pcap import PcapWriter

        w = PcapWriter(path, snaplen)
        index = w.add_interface(self.dev.name)
        self.tap_channel.captures.append((w, index))
        self._captures = getattr(self, "_captures", []) + [w]
        return w

    def close(self) -> None:
        """Stop the stack thread, close the device (a device we created disappears)."""
        if self._closed:
            return
        self._closed = True
        rt = self.runtime
        with rt.lock:
            for c in list(getattr(self.tcp, "conns", {}).values()):
                abort = getattr(c, "abort", None)
                if abort is not None and getattr(c, "state", None) is not None:
                    try:
                        abort(rt.now_us())
                    except Exception:  # closing must not fail half-way
                        pass
        rt.remove_reader(self.dev.fileno())
        with rt.lock:
            self.tap_channel.flush()
        rt.remove_flusher(self.tap_channel.flush)
        rt.close()
        for w in getattr(self, "_captures", []):
            w.close()
        VNET_FDS.discard(self.dev.fileno())
        self.dev.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def attach(ifname: str, ip: str | None = "192.0.2.2/24", ip6: str | None = "2001:db8::2/64",
           gateway: str | None = "192.0.2.1", mtu: int | None = None, mac: str | None = None, *,
           name: str | None = None, trace=None, seed: int | None = None, netns: str | None = None) -> TapHost:
    """Open TAP interface `ifname` (existing, or created) and return a running host on it.

    `netns` names a network namespace (`ip netns add NAME`) to open or create the device
    in, so the kernel side lives only there; the host itself keeps running in this process.

    `trace` may be a callable receiving every trace event (e.g. `print`).
    """
    dev = open_tap(ifname, netns)
    with _netns(netns):  # the device's settings are read and changed where it lives
        try:
            dev.up()
        except Exception:  # the device may be in another namespace's control; the kernel side brings it up
            pass
        try:
            dev_mtu = dev.mtu
        except Exception:
            dev_mtu = None
    runtime = RealtimeRuntime()
    tracer = Tracer()
    if trace is not None:
        tracer.subscribe(trace)
    host = TapHost(name or ifname, seed=seed if seed is not None else random.SystemRandom().randrange(1 << 30),
                   tracer=tracer, clock=runtime.now_us)
    host.runtime = runtime
    if mac is None:
        mac_bytes = bytes([0x02]) + os.urandom(5)
    else:
        mac_bytes = parse_mac(mac)
    link_mtu = mtu or dev_mtu or 1500
    iface = host.add_interface("eth0", ip=ip, mtu=link_mtu, mac=mac_bytes)
    if ip6 is not None:
        if hasattr(host, "ip6"):
            host.add_address(iface, ip6)
        else:
            host.trace("tap", "ipv6_unavailable", address=ip6)
    channel = TapChannel(dev, host.stats, link_mtu)
    channel.clock = runtime.now_us
    port = host.attach(channel)
    if gateway is not None and ip is not None:
        host.set_gateway(gateway)
    host._start_tap(dev, runtime, port, channel)
    return host
