"""`python -m tap` serves echo, discard, chargen, daytime and HTTP to the kernel's tools."""

import os
import subprocess
import sys
import time

import pytest

from tests.tap.conftest import REASON, Kernel, sh


@pytest.fixture
def served(tmp_path):
    if REASON:
        print(f"SKIP TAP test: {REASON}")
        pytest.skip(REASON)
    ns, ifname = f"pystcli{os.getpid() % 10000}", f"pystc{os.getpid() % 10000}"
    (tmp_path / "index.html").write_text("<h1>served by a Python stack</h1>\n")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 4096)
    sh(f"ip netns add {ns}")
    proc = subprocess.Popen([sys.executable, "-m", "tap", ifname, "--ip", "192.0.2.2/24", "--http", str(tmp_path),
                             "--seconds", "60", "--trace", "--netns", ns], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        line = proc.stdout.readline()
        while line and "serving" not in line:
            line = proc.stdout.readline()
        assert "serving" in line, line
        k = Kernel(ns, ifname)
        k.run(f"ip addr add 192.0.2.1/24 dev {ifname}")
        k.run(f"ip link set {ifname} up")
        time.sleep(0.2)
        yield k, tmp_path
    finally:
        proc.send_signal(2)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        sh(f"ip netns del {ns}", check=False)
    assert proc.returncode == 0, out
    assert "closed" in out


def test_http_with_curl_and_services_with_nc(served):
    k, root = served
    if k.run("which curl", check=False).returncode:
        pytest.skip("curl is not installed")
    r = k.run("curl -s --max-time 10 http://192.0.2.2/")
    assert r.stdout == "<h1>served by a Python stack</h1>\n"
    r = k.run("sh -c 'curl -s --max-time 20 http://192.0.2.2/blob.bin | sha256sum'")
    import hashlib

    assert r.stdout.split()[0] == hashlib.sha256((root / "blob.bin").read_bytes()).hexdigest()
    assert "404" in k.run("curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://192.0.2.2/nope").stdout
    r = k.run("python3 -c \"import socket; s=socket.create_connection(('192.0.2.2', 7), timeout=5);"
              " s.sendall(b'echo me'); print(s.recv(100).decode())\"")
    assert r.stdout.strip() == "echo me"
    r = k.run("python3 -c \"import socket; s=socket.create_connection(('192.0.2.2', 13), timeout=5);"
              " print(s.recv(100).decode())\"")
    assert "UTC" in r.stdout
    if k.run("which nc", check=False).returncode == 0:
        r = k.run("sh -c 'echo hello | nc -u -w1 192.0.2.2 7'", check=False)
        assert "hello" in r.stdout
