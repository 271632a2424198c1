"""Every scenario passes its own checks, writes a pcap tshark reads cleanly, and is deterministic."""

import subprocess
import sys

import pytest

from scenarios import REGISTRY
from scenarios.__main__ import run_scenario
from tests.tshark import tshark_problems

NAMES = sorted(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_passes_and_its_pcap_is_clean(name, tmp_path):
    if name == "tap-demo":
        from scenarios.tap_demo import unavailable

        if unavailable():
            print(f"SKIP tap-demo: {unavailable()}")
            pytest.skip(unavailable())
        ctx = run_scenario(name, seed=1, quiet=True)
        assert ctx.passed, ctx.failures
        return
    pcap = tmp_path / f"{name}.pcapng"
    ctx = run_scenario(name, seed=1, pcap=str(pcap), quiet=True)
    assert ctx.passed, ctx.failures
    assert pcap.stat().st_size > 200
    assert tshark_problems(str(pcap)) == []


@pytest.mark.parametrize("name", [n for n in NAMES if n != "tap-demo"])
def test_scenario_passes_without_a_capture(name):
    """As `python -m scenarios run NAME` runs it by default: with no capture, channels take
    their shortcuts (a capture turns them off), so a scenario that changed a link behind the
    shortcut's back would fail here and pass above."""
    ctx = run_scenario(name, seed=1, quiet=True)
    assert ctx.passed, ctx.failures


@pytest.mark.parametrize("name", ["arp-ping", "fragments"])
def test_same_seed_gives_byte_identical_pcaps(name, tmp_path):
    a, b = tmp_path / "a.pcapng", tmp_path / "b.pcapng"
    run_scenario(name, seed=7, pcap=str(a), quiet=True)
    run_scenario(name, seed=7, pcap=str(b), quiet=True)
    assert a.read_bytes() == b.read_bytes()


def test_command_line_list_and_run():
    out = subprocess.run([sys.executable, "-m", "scenarios", "list"], capture_output=True, text=True, check=True)
    for name in NAMES:
        assert name in out.stdout
    r = subprocess.run([sys.executable, "-m", "scenarios", "run", "udp-echo", "--seed", "3"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "udp-echo: passed" in r.stdout
    bad = subprocess.run([sys.executable, "-m", "scenarios", "run", "no-such-thing"], capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown scenario" in bad.stderr


def test_trace_flag_prints_decisions():
    r = subprocess.run([sys.executable, "-m", "scenarios", "run", "arp-ping", "--trace"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert "arp    resolve addr=192.0.2.2" in r.stdout and "neigh_state" in r.stdout


def test_lossy_bulk_retransmits_only_what_the_link_dropped(tmp_path):
    """tshark's TCP analysis of the lossy link: every retransmission repeats a segment the link lost."""
    import struct

    from tests.tshark import tshark_fields

    pcap = tmp_path / "lossy.pcapng"
    ctx = run_scenario("lossy-bulk", seed=1, pcap=str(pcap), quiet=True)
    assert ctx.passed, ctx.failures
    lost_seqs = set()
    for _, direction, frame in ctx.lossy_bulk["cubic"]["lost"]:
        if direction == "h1>s1" and frame[23] == 6:  # IPv4 carrying TCP, from the sender
            ihl = (frame[14] & 0x0F) * 4
            seq = struct.unpack_from("!I", frame, 14 + ihl + 4)[0]
            doff = (frame[14 + ihl + 12] >> 4) * 4
            if len(frame) - 14 - ihl - doff > 0:
                lost_seqs.add(seq)
    rows = tshark_fields(str(pcap), ["tcp.seq_raw", "tcp.len"],
                         "tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
                         "tcp.analysis.spurious_retransmission")
    assert rows, "a 1% lossy link should have caused retransmissions"
    assert lost_seqs
    unexplained = [r for r in rows if int(r[0]) not in lost_seqs]
    assert unexplained == [], f"retransmissions of segments the link did not drop: {unexplained[:5]}"
    assert tshark_problems(str(pcap)) == []
