"""`python -m tap`: bring up a stack host on a TAP interface and serve built-in services.

    python -m tap tap0 --ip 192.0.2.2/24 --gateway 192.0.2.1 --serve echo discard chargen daytime \\
        --http ./site --trace --pcap tap0.pcapng

Ctrl-C closes every connection, stops the stack thread and removes the TAP device if this
command created it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from . import TapError, attach
from .services import Service


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tap", description=__doc__.split("\n\n")[0])
    p.add_argument("ifname", nargs="?", default="tap0", help="TAP interface to open or create (default tap0)")
    p.add_argument("--ip", default="192.0.2.2/24")
    p.add_argument("--ip6", default=None)
    p.add_argument("--gateway", default=None)
    p.add_argument("--mtu", type=int, default=None)
    p.add_argument("--mac", default=None)
    p.add_argument("--serve", nargs="*", default=["echo", "discard", "chargen", "daytime"],
                   choices=["echo", "discard", "chargen", "daytime"], help="TCP and UDP services")
    p.add_argument("--http", metavar="DIR", help="serve this directory over HTTP on port 80")
    p.add_argument("--http-port", type=int, default=80)
    p.add_argument("--trace", action="store_true", help="print trace events (state changes, drops, ARP...)")
    p.add_argument("--frames", action="store_true", help="print every frame tcpdump-style")
    p.add_argument("--pcap", help="capture the TAP interface to this pcapng file")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--netns", default=None, help="create (or open) the TAP device inside this network namespace")
    args = p.parse_args(argv)

    def show(ev):
        print(ev, flush=True)

    try:
        host = attach(args.ifname, ip=args.ip, ip6=args.ip6, gateway=args.gateway, mtu=args.mtu, mac=args.mac,
                      trace=show if args.trace else None, netns=args.netns)
    except TapError as e:
        print(f"python -m tap: {e.strerror}", file=sys.stderr)
        return 2
    if args.pcap:
        host.capture(args.pcap)
    if args.frames:
        from stack.dump import describe

        ch = host.tap_channel
        orig = ch.transmit

        def tx(frame, orig=orig):
            print(f"{host.runtime.now():.6f} > {describe(frame)}", flush=True)
            orig(frame)

        ch.transmit = tx
        rx = host.receive

        def receive(port, frame, now, rx=rx):
            print(f"{now / 1e6:.6f} < {describe(frame)}", flush=True)
            return rx(port, frame, now)

        host.receive = receive
    services = [Service(host.socket, name) for name in args.serve]
    if args.http:
        services.append(Service(host.socket, "http", args.http_port, args.http))
    for s in services:
        s.start()
    print(f"stack host on {args.ifname}: {args.ip} serving "
          + ", ".join(f"{s.name}/{s.port}" for s in services) + " (Ctrl-C to stop)", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: done.set())
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait(args.seconds)
    for s in services:
        s.stop()
    host.close()
    print("closed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
