"""tshark as an independent reader of our captures: malformed frames, bad checksums, expert errors."""

import shutil
import subprocess

import pytest

def _tshark():
    path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed (./run-tests installs it from Debian's packages as root)")
    return path


def tshark_fields(path: str, fields, display_filter: str | None = None, extra=()) -> list[list[str]]:
    cmd = [_tshark(), "-n", "-r", path, "-T", "fields", *extra]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


def tshark_problems(path: str) -> list[str]:
    """Frames tshark finds malformed, with a bad checksum, or with an error-level expert note."""
    checks = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
    # A transport checksum inside an ICMP error cannot verify: the quote is cut short (RFC 4443
    # §2.4 c keeps ICMPv6 errors within 1280 bytes), yet tshark checks it as a whole segment.
    # Such frames are judged by their own ICMP checksum and by being well formed.
    # tshark also calls a TCP checksum of 0xffff "bad" where the sum is zero (RFC 1624 prefers
    # 0x0000); both are the same one's-complement zero and every receiver accepts either, and
    # the Linux kernel sends 0xffff now and then: that case is not a problem.
    inner = "(udp.checksum.status == 0 || (tcp.checksum.status == 0 && tcp.checksum != 0xffff))"
    rows = tshark_fields(path, ["frame.number", "_ws.col.Info"],
                         "_ws.malformed || (_ws.expert.severity == error && !(icmpv6 && " + inner + ")) || "
                         "ip.checksum.status == 0 || (" + inner + " && !icmp && !icmpv6) || "
                         "icmp.checksum.status == 0 || icmpv6.checksum.status == 0",
                         extra=checks)
    return [" ".join(r) for r in rows]
