"""Our pcapng files: read back by our reader, scapy and tshark; the tshark check catches bad frames."""

import pytest

from stack.pcap import PcapWriter, read_pcapng
from tests.helpers import echo_frame, udp_frame
from tests.tshark import tshark_fields, tshark_problems

A = bytes.fromhex("020000000001")
B = bytes.fromhex("020000000002")


def write(path, frames):
    w = PcapWriter(str(path))
    i = w.add_interface("h1-s1")
    j = w.add_interface("s1-h2")
    for n, f in enumerate(frames):
        w.write(i if n % 2 == 0 else j, 1_000_000 + n * 1500, f)
    w.close()


def test_round_trip_with_interface_names_and_times(tmp_path):
    frames = [udp_frame(A, B, "192.0.2.1", "192.0.2.2", 1000, 7, b"x" * n) for n in (1, 50, 1400)]
    write(tmp_path / "a.pcapng", frames)
    got = read_pcapng(str(tmp_path / "a.pcapng"))
    assert [(n, t, f) for n, t, f in got] == [("h1-s1", 1_000_000, frames[0]), ("s1-h2", 1_001_500, frames[1]),
                                              ("h1-s1", 1_003_000, frames[2])]


def test_scapy_reads_it(tmp_path):
    scapy = pytest.importorskip("scapy.all")
    frames = [echo_frame(A, B, "192.0.2.1", "192.0.2.2", seq=s) for s in range(3)]
    write(tmp_path / "b.pcapng", frames)
    pkts = scapy.rdpcap(str(tmp_path / "b.pcapng"))
    assert [p[scapy.ICMP].seq for p in pkts] == [0, 1, 2]
    assert float(pkts[1].time) == pytest.approx(1.0015)


def test_tshark_reads_it_cleanly_and_names_interfaces(tmp_path):
    frames = [udp_frame(A, B, "192.0.2.1", "192.0.2.2", 1000, 7, b"hello"), echo_frame(A, B, "192.0.2.1", "192.0.2.2")]
    write(tmp_path / "c.pcapng", frames)
    assert tshark_problems(str(tmp_path / "c.pcapng")) == []
    rows = tshark_fields(str(tmp_path / "c.pcapng"), ["frame.interface_name", "ip.dst"])
    assert rows == [["h1-s1", "192.0.2.2"], ["s1-h2", "192.0.2.2"]]


def test_tshark_check_catches_bad_checksums_and_truncation(tmp_path):
    good = udp_frame(A, B, "192.0.2.1", "192.0.2.2", 1000, 7, b"hello")
    bad_ip = bytearray(good)
    bad_ip[14 + 10] ^= 0xFF
    bad_udp = bytearray(good)
    bad_udp[14 + 20 + 6] ^= 0xFF
    truncated = good[:14 + 20 + 4]
    write(tmp_path / "d.pcapng", [good, bytes(bad_ip), bytes(bad_udp), truncated])
    problems = tshark_problems(str(tmp_path / "d.pcapng"))
    assert [p.split()[0] for p in problems] == ["2", "3", "4"]
