"""The small standard services `python -m tap` can serve, written against the socket API.

echo (RFC 862), discard (RFC 863), chargen (RFC 864) and daytime (RFC 867), over TCP and
UDP, and a static-file HTTP/1.0 server.  Each runs in threads of its own and stops when
its listening socket is closed.
"""

from __future__ import annotations

import datetime
import mimetypes
import os
import threading
import urllib.parse

PORTS = {"echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "http": 80}
_CHARGEN = bytes(range(32, 127))


def chargen_line(n: int) -> bytes:
    start = n % len(_CHARGEN)
    return (_CHARGEN[start:] + _CHARGEN[:start])[:72] + b"\r\n"


def daytime() -> bytes:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%A, %B %d, %Y %H:%M:%S-UTC\r\n").encode()


class Service:
    def __init__(self, sk, name: str, port: int | None = None, root: str = ".") -> None:
        self.sk = sk
        self.name = name
        self.port = port or PORTS[name]
        self.root = os.path.abspath(root)
        self.sockets: list = []
        self.threads: list[threading.Thread] = []
        self.running = True

    def start(self) -> None:
        sk = self.sk
        # one dual-stack socket per protocol: IPv6, and IPv4 as IPv4-mapped addresses
        t = sk.socket(sk.AF_INET6, sk.SOCK_STREAM)
        t.setsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR, 1)
        t.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 0)
        t.bind(("", self.port))
        t.listen()
        self.sockets.append(t)
        self._thread(self._accept_loop, t)
        if self.name != "http":
            u = sk.socket(sk.AF_INET6, sk.SOCK_DGRAM)
            u.setsockopt(sk.IPPROTO_IPV6, sk.IPV6_V6ONLY, 0)
            u.bind(("", self.port))
            self.sockets.append(u)
            self._thread(self._udp_loop, u)

    def _thread(self, fn, *args) -> None:
        th = threading.Thread(target=fn, args=args, daemon=True, name=f"{self.name}-{len(self.threads)}")
        self.threads.append(th)
        th.start()

    def stop(self) -> None:
        self.running = False
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass

    def _accept_loop(self, ls) -> None:
        ls.settimeout(0.5)
        while self.running:
            try:
                c, _ = ls.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.sockets.append(c)
            self._thread(self._serve_tcp, c)

    def _serve_tcp(self, c) -> None:
        try:
            getattr(self, f"_tcp_{self.name}")(c)
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _tcp_echo(self, c) -> None:
        while self.running:
            data = c.recv(65536)
            if not data:
                return
            c.sendall(data)

    def _tcp_discard(self, c) -> None:
        while self.running and c.recv(65536):
            pass

    def _tcp_daytime(self, c) -> None:
        c.sendall(daytime())

    def _tcp_chargen(self, c) -> None:
        n = 0
        while self.running:
            c.sendall(b"".join(chargen_line(n + i) for i in range(64)))
            n += 64

    def _tcp_http(self, c) -> None:
        c.settimeout(10)
        f = c.makefile("rb") if hasattr(c, "makefile") else None
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = c.recv(4096)
            if not chunk:
                return
            request += chunk
        line = request.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
            c.sendall(b"HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        path = urllib.parse.unquote(urllib.parse.urlsplit(parts[1]).path)
        full = os.path.abspath(os.path.join(self.root, path.lstrip("/")))
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        if not full.startswith(self.root) or not os.path.isfile(full):
            body = b"not found\n"
            c.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body))
            return
        size = os.path.getsize(full)
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                  % (ctype.encode(), size))
        if parts[0] == "GET":
            with open(full, "rb") as fh:
                while True:
                    block = fh.read(262144)
                    if not block:
                        break
                    c.sendall(block)
        del f

    def _udp_loop(self, u) -> None:
        u.settimeout(0.5)
        n = 0
        while self.running:
            try:
                data, peer = u.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                if self.name == "echo":
                    u.sendto(data, peer)
                elif self.name == "daytime":
                    u.sendto(daytime(), peer)
                elif self.name == "chargen":
                    u.sendto(b"".join(chargen_line(n + i) for i in range(7)), peer)
                    n += 7
            except OSError:  # closed while answering: we are shutting down
                return
