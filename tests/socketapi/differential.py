"""Differential testing: one script, run against CPython's `socket` and against socketapi.

A script is a function `script(sk, step)`: `sk` is a socket-module-like object (the real
`socket` module, or a simulated host's namespace) and `step(fn, *args)` calls `fn`,
records what happened and returns the result (None if it raised).  Each recorded entry is

    (label, "ok", normalised result)            or
    (label, "raise", type name, errno, str(exception))

The real side runs on 127.0.0.1 of the machine; the simulated side on a fresh `Network`
with one host (192.0.2.1/24 plus its loopback), whose blocking calls made outside any task
drive the simulation themselves, so the same single-threaded script serves both.

Values that must differ are normalised (NORMALISED says which and why).  Behaviour that
differs on purpose is marked in the script (`step(..., differs="key")`) and described once,
with the outcome expected on each side, in DELIBERATE below; nothing else may differ.
"""

from __future__ import annotations

import re
import socket as real_socket
from dataclasses import dataclass

from stack import Network

EPHEMERAL = range(32768, 61000)  # Linux net.ipv4.ip_local_port_range, also the stack's

NORMALISED = {
    "ephemeral ports": "port numbers the system picks (32768-60999) differ run to run: an address tuple's port "
                       "in that range becomes 'port#k', numbered by first appearance, so equality between two "
                       "ports of one run is still checked",
    "file descriptors": "fileno(), detach() and dup(fd) return whatever number the OS hands out: a non-negative "
                        "result becomes 'fd' (-1 after close is kept)",
    "socket objects": "a step returning a socket records its repr at that moment (then normalised as below)",
    "repr": "a socket's repr names its class's module ('socket' vs 'socketapi') and its fd: both are normalised "
            "to 'socket.socket' and 'fd=N'; the rest of the repr is compared",
}


@dataclass(frozen=True)
class Difference:
    reason: str
    real: tuple  # the entry (without label) CPython on Linux records
    sim: tuple  # the entry socketapi records


DELIBERATE = {
    "int-timeo": Difference(
        "SO_RCVTIMEO / SO_SNDTIMEO given a plain int: MicroPython documents an integer number of "
        "milliseconds (code written for it passes one); Linux CPython passes 4 bytes and the kernel "
        "rejects the short struct timeval with EINVAL.  socketapi accepts it as milliseconds.",
        real=("raise", "OSError", 22, "[Errno 22] Invalid argument"),
        sim=("ok", None)),
    "af-unix": Difference(
        "AF_UNIX sockets name files in a kernel; a userspace IP stack has none, so socketapi refuses the "
        "family with EAFNOSUPPORT (and says why) instead of pretending",
        real=("ok", None),
        sim=("raise", "OSError", 97, "[Errno 97] Address family not supported by protocol: AF_UNIX sockets "
             "name files in a kernel; a userspace IP stack has none")),
    "int-timeo-read": Difference(
        "reading back the timeout the accepted integer form above set: 250 ms, rounded up to whole "
        "jiffies (HZ=250) as Linux stores it, read as a struct timeval; CPython kept no timeout",
        real=("ok", b"\x00" * 16),
        sim=("ok", b"\x00" * 8 + (252_000).to_bytes(8, "little"))),
}


class Recorder:
    """The `step` callable handed to a script; `trace` is what it recorded."""

    def __init__(self) -> None:
        self.trace: list[tuple] = []
        self.ports: dict[int, str] = {}

    def __call__(self, fn, *args, differs: str | None = None, label: str | None = None, **kwargs):
        label = label or getattr(fn, "__name__", None) or repr(fn)
        if differs is not None:
            label = f"{label} [differs: {differs}]"
        try:
            result = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - every exception is an observation
            self.trace.append((label, "raise", type(e).__name__, getattr(e, "errno", None), str(e)))
            return None
        self.trace.append((label, "ok", self.normalise(result, label)))
        return result

    def normalise(self, value, label: str):
        if label.startswith(("fileno", "detach", "dup")) and isinstance(value, int) and value >= 0:
            return "fd"
        if isinstance(value, real_socket.socket) or hasattr(value, "_ready_mask"):
            value = repr(value)  # a socket object: compared by what its repr shows, at this step
        if isinstance(value, str) and value.startswith("<socket"):
            value = re.sub(r"^<socketapi\.socket", "<socket.socket", value)
            value = re.sub(r"fd=\d+", "fd=N", value)
            return re.sub(r"(?<=', )(\d+)(?=\))", lambda m: self.port(int(m.group(1))), value)
        return self._addr(value)

    def port(self, p: int):
        if p not in EPHEMERAL:
            return str(p)
        return self.ports.setdefault(p, f"port#{len(self.ports)}")

    def _addr(self, value):
        if isinstance(value, tuple):
            if len(value) in (2, 4) and isinstance(value[0], str) and type(value[1]) is int:
                p = value[1]
                return (value[0], self.port(p) if p in EPHEMERAL else p, *value[2:])
            return tuple(self._addr(v) for v in value)
        if isinstance(value, list):
            return [self._addr(v) for v in value]
        return value


def run_real(script) -> list[tuple]:
    rec = Recorder()
    script(real_socket, rec)
    return rec.trace


def sim_host(seed: int = 1):
    net = Network(seed=seed)
    return net, net.add_host("h", ip="192.0.2.1/24")


def run_sim(script) -> list[tuple]:
    _, h = sim_host()
    rec = Recorder()
    script(h.socket, rec)
    return rec.trace


def compare(script) -> tuple[list, list]:
    """Run `script` both ways; raise AssertionError listing every difference not declared deliberate."""
    real, sim = run_real(script), run_sim(script)
    problems = []
    for i in range(max(len(real), len(sim))):
        r = real[i] if i < len(real) else None
        s = sim[i] if i < len(sim) else None
        if r is None or s is None or r[0] != s[0]:
            problems.append(f"step {i}: real {r!r}\n{'':>{len(str(i)) + 7}}sim  {s!r}")
            break  # the scripts diverged: later steps would only repeat it
        m = re.search(r"\[differs: (.+)\]$", r[0])
        if m:
            d = DELIBERATE[m.group(1)]
            if r[1:] != d.real:
                problems.append(f"step {i} {r[0]}: CPython gave {r[1:]!r}, DELIBERATE says {d.real!r}")
            if s[1:] != d.sim:
                problems.append(f"step {i} {r[0]}: socketapi gave {s[1:]!r}, DELIBERATE says {d.sim!r}")
        elif r != s:
            problems.append(f"step {i}: real {r!r}\n{'':>{len(str(i)) + 7}}sim  {s!r}")
    if problems:
        raise AssertionError("traces differ:\n" + "\n".join(problems) + "\n\nreal trace:\n" +
                             "\n".join(map(repr, real)) + "\n\nsim trace:\n" + "\n".join(map(repr, sim)))
    return real, sim
