"""TAP fixtures: each test gets its own network namespace holding the kernel side.

The TAP device is created inside a fresh namespace (this process enters it just long
enough to open the device), where the kernel side gets 192.0.2.1/24 and 2001:db8::1/64.
Only documentation addresses are used, and both the namespace and the device are removed
afterwards.  Where /dev/net/tun or namespaces are unavailable the tests skip and say why.

Every test's traffic is captured on the TAP link and read by tshark afterwards: no
malformed frame, no bad checksum, no expert error; and unless the test impaired the link
(`k.impaired = True`), no TCP retransmission or reordering by us and no gap the kernel
saw in our segments either (see TCP_TROUBLE).
"""

import itertools
import os
import shutil
import subprocess
import time

import pytest

_counter = itertools.count()


def sh(cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd!r} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def _why_unavailable() -> str | None:
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun does not exist"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    if os.geteuid() != 0:
        return "TAP and namespaces need root"
    name = f"pyst-probe{os.getpid()}"
    r = subprocess.run(f"ip netns add {name}", shell=True, capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    subprocess.run(f"ip netns del {name}", shell=True)
    return None


REASON = _why_unavailable()


class Kernel:
    """The Linux side: a namespace with the TAP device in it."""

    def __init__(self, ns: str, ifname: str) -> None:
        self.ns = ns
        self.ifname = ifname
        self.impaired = False  # a test that impairs the link sets this: TCP recovery is then expected
        self.ip = "192.0.2.1"
        self.ip6 = "2001:db8::1"

    def run(self, cmd: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return sh(f"ip netns exec {self.ns} {cmd}", check=check, timeout=timeout)

    def popen(self, cmd: str, **kw) -> subprocess.Popen:
        return subprocess.Popen(f"ip netns exec {self.ns} {cmd}", shell=True, **kw)

    def python(self, code: str, **kw) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.ns, "python3", "-c", code], **kw)


@pytest.fixture
def tap_pair(request):
    """(host, kernel): our stack on one end of a TAP link, the kernel's stack on the other."""
    if REASON:
        print(f"SKIP TAP test: {REASON}")
        pytest.skip(REASON)
    import tap

    n = next(_counter)
    ns = f"pyst{os.getpid() % 10000}n{n}"
    ifname = f"pyst{os.getpid() % 10000}t{n}"
    sh(f"ip netns add {ns}")
    host = None
    try:
        # the TAP device is created inside the namespace: it never exists on this machine's side
        host = tap.attach(ifname, ip="192.0.2.2/24", ip6="2001:db8::2/64", gateway="192.0.2.1", netns=ns)
        pcap = f"/tmp/{ifname}.pcapng"
        # A long transfer is captured to its headers: writing hundreds of megabytes to disk
        # stalls now and then on these machines, and a stalled stack rightly retransmits.
        marker = request.node.get_closest_marker("tap_snaplen")
        host.capture(pcap, marker.args[0] if marker else 262144)
        k = Kernel(ns, ifname)
        k.run("ip link set lo up")
        k.run(f"ip addr add 192.0.2.1/24 dev {ifname}")
        k.run(f"ip -6 addr add 2001:db8::1/64 dev {ifname} nodad")
        k.run(f"ip link set {ifname} up")
        time.sleep(0.1)
        yield host, k
    finally:
        if host is not None:
            host.close()
        sh(f"ip netns del {ns}", check=False)
    if os.environ.get("PYSTACK_DEBUG_TAP"):
        print({k: v for k, v in host.stats.items() if k.startswith("tap.")})
    _check_capture(pcap, k.impaired, host.stats if host is not None else {})


# On an unimpaired link nothing is lost, so: we never retransmit or reorder, and the kernel
# never sees a gap in what we send (duplicate ACKs, lost segments).  The kernel itself may
# retransmit on a timer (its tail loss probe fires after about two round trips when a Python
# receiver is slow to ACK a full window); that is timing, not loss, and is allowed.
OURS = "(ip.src == 192.0.2.2 || ipv6.src == 2001:db8::2)"
TCP_TROUBLE = (f"({OURS} && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
               f"tcp.analysis.out_of_order)) || (!{OURS} && (tcp.analysis.duplicate_ack || "
               f"tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment))")


def _check_capture(pcap: str, impaired: bool, stats) -> None:
    from tshark import tshark_fields, tshark_problems

    try:
        assert tshark_problems(pcap) == []
        if not impaired:
            trouble = tshark_fields(pcap, ["frame.number", "_ws.col.Info"], TCP_TROUBLE)
            assert trouble == [], f"TCP analysis flags on an unimpaired link: {trouble[:5]}; host stats " + \
                str({k: v for k, v in stats.items() if k.startswith(("tap.", "tcp.tx.re", "tcp.rto", "tcp.fast"))})
    finally:
        if not os.environ.get("PYSTACK_KEEP_PCAP"):
            os.unlink(pcap)
