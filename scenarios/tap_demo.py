"""tap-demo: attach a stack host to a TAP interface in a namespace; reach it with ping, curl and nc.

The steps a user follows, run for real (as root, with /dev/net/tun):

    ip netns add demo                                   # a namespace keeps the experiment off real networks
    python3 -m tap demo0 --netns demo --ip 192.0.2.2/24 --ip6 2001:db8::2/64 --http ./site &
                                                        # our stack, serving echo, daytime, HTTP...; the TAP
                                                        # device is created inside the namespace
    ip netns exec demo ip addr add 192.0.2.1/24 dev demo0
    ip netns exec demo ip -6 addr add 2001:db8::1/64 dev demo0
    ip netns exec demo ip link set demo0 up
    ip netns exec demo ping -c 3 192.0.2.2              # the kernel pings our stack
    ip netns exec demo ping -6 -c 3 2001:db8::2         # ...over IPv6 too (after NDP)
    ip netns exec demo curl http://192.0.2.2/           # HTTP from our stack's server
    ip netns exec demo curl 'http://[2001:db8::2]/'     # the same server, dual-stack
    echo hello | ip netns exec demo nc -w1 192.0.2.2 7  # TCP echo (RFC 862)
    kill %1; ip netns del demo                          # clean up

Here the scenario does the same in-process with `tap.attach`, narrates each step, and
checks what each tool printed.  Only documentation addresses (RFC 5737) are used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

NAME = "tap-demo"


def unavailable() -> str | None:
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun does not exist"
    if os.geteuid() != 0:
        return "TAP devices and namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 is not installed"
    return None


def sh(cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60)


def run(ctx) -> None:
    import tap
    from tap.services import Service

    why = unavailable()
    if why:
        ctx.say(f"cannot run for real here: {why}; the steps are in this module's docstring")
        ctx.check(False, f"TAP available ({why})")
        return
    ns, ifname = f"demo{os.getpid() % 100000}", f"demo{os.getpid() % 100000}"
    site = tempfile.mkdtemp()
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<h1>Hello from a Python TCP/IP stack</h1>\n")
    sh(f"ip netns add {ns}")
    host = None
    try:
        ctx.say(f"$ ip netns add {ns}")
        host = tap.attach(ifname, ip="192.0.2.2/24", ip6="2001:db8::2/64", gateway=None, netns=ns)
        services = [Service(host.socket, "echo"), Service(host.socket, "http", 80, site)]
        for s in services:
            s.start()
        ctx.say(f"$ python3 -m tap {ifname} --netns {ns} --ip 192.0.2.2/24 --ip6 2001:db8::2/64 --http {site}"
                "   (done in-process: tap.attach)")
        for cmd in (f"ip netns exec {ns} ip addr add 192.0.2.1/24 dev {ifname}",
                    f"ip netns exec {ns} ip -6 addr add 2001:db8::1/64 dev {ifname} nodad",
                    f"ip netns exec {ns} ip link set {ifname} up"):
            ctx.say(f"$ {cmd}")
            r = sh(cmd)
            if r.returncode:
                ctx.check(False, f"{cmd}: {r.stderr.strip()}")
                return
        time.sleep(0.2)
        ctx.say(f"$ ip netns exec {ns} ping -c 3 -i 0.2 192.0.2.2")
        r = sh(f"ip netns exec {ns} ping -c 3 -i 0.2 -W 2 192.0.2.2")
        for line in r.stdout.splitlines()[1:4]:
            ctx.say(f"  {line}")
        ctx.check("3 received" in r.stdout, "the kernel's ping got three replies from our stack")
        ctx.say(f"$ ip netns exec {ns} ping -6 -c 3 -i 0.2 2001:db8::2")
        r = sh(f"ip netns exec {ns} ping -6 -c 3 -i 0.2 -W 2 2001:db8::2")
        for line in r.stdout.splitlines()[1:4]:
            ctx.say(f"  {line}")
        ctx.check("3 received" in r.stdout, "and three over IPv6")
        if shutil.which("curl"):
            ctx.say(f"$ ip netns exec {ns} curl http://192.0.2.2/")
            r = sh(f"ip netns exec {ns} curl -s --max-time 10 http://192.0.2.2/")
            ctx.say(f"  {r.stdout.strip()}")
            ctx.check("Hello from a Python TCP/IP stack" in r.stdout, "curl fetched the page over our TCP")
            ctx.say(f"$ ip netns exec {ns} curl 'http://[2001:db8::2]/'")
            r = sh(f"ip netns exec {ns} curl -s --max-time 10 'http://[2001:db8::2]/'")
            ctx.say(f"  {r.stdout.strip()}")
            ctx.check("Hello from a Python TCP/IP stack" in r.stdout, "and over IPv6, from the same dual-stack server")
        if shutil.which("nc"):
            ctx.say(f"$ echo hello | ip netns exec {ns} nc -w1 192.0.2.2 7")
            r = sh(f"echo hello | ip netns exec {ns} nc -q1 -w2 192.0.2.2 7 || "
                   f"echo hello | ip netns exec {ns} nc -w2 192.0.2.2 7")
            ctx.say(f"  {r.stdout.strip()}")
            ctx.check("hello" in r.stdout, "nc's line came back from the echo service")
        ctx.say("our stack's connections (like ss -tan):")
        for line in host.tcp.ss().splitlines():
            ctx.say(f"  {line}")
        for s in services:
            s.stop()
    finally:
        if host is not None:
            host.close()
        sh(f"ip netns del {ns}")
        shutil.rmtree(site, ignore_errors=True)
        ctx.say(f"$ ip netns del {ns}")
