"""socketapi.patch(): unmodified standard-library programs over the stack.

Simulation tests run in virtual time (no real sleeping): the clock the programs read is
the network's.  The asyncio test runs in the RealtimeRuntime with bounded waits.
"""

from __future__ import annotations

import hashlib
import os
import select
import selectors
import socket
import socketserver
import threading
import time

import pytest

import socketapi
from socketapi.patching import VIRTUAL_EPOCH
from tests.helpers import two_hosts

ORIGINALS = dict(socket=socket.socket, create_connection=socket.create_connection, getaddrinfo=socket.getaddrinfo,
                 sleep=time.sleep, monotonic=time.monotonic, time=time.time, select=select.select,
                 DefaultSelector=selectors.DefaultSelector, start=threading.Thread.start,
                 wait=threading.Event.wait, server_selector=socketserver._ServerSelector,
                 server_time=socketserver.time)


def current():
    return dict(socket=socket.socket, create_connection=socket.create_connection, getaddrinfo=socket.getaddrinfo,
                sleep=time.sleep, monotonic=time.monotonic, time=time.time, select=select.select,
                DefaultSelector=selectors.DefaultSelector, start=threading.Thread.start,
                wait=threading.Event.wait, server_selector=socketserver._ServerSelector,
                server_time=socketserver.time)


@pytest.fixture(autouse=True)
def everything_restored():
    yield
    assert current() == ORIGINALS


def test_http_server_with_urllib_and_http_client(tmp_path):
    import http.client
    import http.server
    import urllib.request

    net, h1, h2 = two_hosts()
    doc = os.urandom(300_000)
    (tmp_path / "doc.bin").write_bytes(doc)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = hashlib.sha256(body).hexdigest().encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    servers = []

    def server(_sk):
        srv = http.server.ThreadingHTTPServer(("", 8080), Handler)
        servers.append(srv)
        srv.serve_forever(poll_interval=0.5)
        srv.server_close()
        return "served"

    def client(_sk):
        t0 = time.monotonic()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy from the environment
        with opener.open("http://h2:8080/doc.bin", timeout=10) as r:
            got = r.read()
            status, length = r.status, int(r.headers["Content-Length"])
        conn = http.client.HTTPConnection("192.0.2.2", 8080, timeout=10)
        conn.request("POST", "/echo", body=b"abc" * 1000)
        posted = conn.getresponse().read()
        conn.close()
        conn.request("GET", "/missing")  # reconnects
        missing = conn.getresponse().status
        conn.close()
        elapsed = time.monotonic() - t0
        servers[0].shutdown()  # Event.wait in a task: yields until serve_forever notices
        return got, status, length, posted, missing, elapsed, time.time()

    with socketapi.patch():
        ts = h2.spawn(server)
        tc = h1.spawn(client)
        net.run()
    got, status, length, posted, missing, elapsed, wall = tc.result
    assert got == doc and status == 200 and length == len(doc)
    assert posted == hashlib.sha256(b"abc" * 1000).hexdigest().encode()
    assert missing == 404
    assert ts.result == "served"
    assert 0 < elapsed < 1.0  # virtual seconds
    assert wall == pytest.approx(VIRTUAL_EPOCH + net.now, abs=1.0)
    handlers = [e for e in net.tracer.events if e.layer == "task"]
    assert not handlers, handlers  # no task failed


def test_threading_socketserver_threads_become_tasks_and_are_joined():
    net, h1, h2 = two_hosts()
    seen = []

    class Echo(socketserver.StreamRequestHandler):
        def handle(self):
            seen.append(threading.current_thread().name)
            for line in self.rfile:
                self.wfile.write(line.upper())

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = False  # server_close() joins every handler thread

    def server(_sk):
        with Server(("", 7007), Echo) as srv:
            for _ in range(3):
                srv.handle_request()
            srv.server_close()
            return srv.socket.fileno()

    def client(_sk, n):
        with socket.create_connection(("h2", 7007), timeout=5) as s:
            f = s.makefile("rwb")
            replies = []
            for i in range(3):
                f.write(b"hello %d from %d\n" % (i, n))
                f.flush()
                time.sleep(0.2)  # virtual: the three clients interleave
                replies.append(f.readline())
            f.close()
            return replies

    with socketapi.patch():
        ts = h2.spawn(server)
        clients = [h1.spawn(client, n) for n in range(3)]
        t0 = time.perf_counter()
        net.run()
    assert time.perf_counter() - t0 < 5
    for n, c in enumerate(clients):
        assert c.result == [b"HELLO %d FROM %d\n" % (i, n) for i in range(3)]
    assert ts.result == -1  # closed
    assert len(seen) == 3
    assert net.now == pytest.approx(0.6, abs=0.1)  # the three conversations ran concurrently


def test_udp_socketserver():
    net, h1, h2 = two_hosts()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            sock.sendto(data[::-1], self.client_address)

    def server(_sk):
        with socketserver.UDPServer(("", 9999), Handler) as srv:
            srv.timeout = 2.0
            srv.handle_request()
            srv.handle_request()  # nobody comes: handle_timeout after 2 virtual seconds
        return time.monotonic()

    def client(_sk):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(b"stressed", ("192.0.2.2", 9999))
        return s.recvfrom(100)

    with socketapi.patch():
        ts = h2.spawn(server)
        tc = h1.spawn(client)
        net.run()
    assert tc.result == (b"desserts", ("192.0.2.2", 9999))
    assert ts.result == pytest.approx(2.0, abs=0.1)


def test_xmlrpc_server_and_client():
    import xmlrpc.client
    import xmlrpc.server

    net, h1, h2 = two_hosts()

    def server(_sk):
        with xmlrpc.server.SimpleXMLRPCServer(("", 8000), logRequests=False, allow_none=True) as srv:
            srv.register_function(pow)
            srv.register_function(lambda a, b: a + b, "add")
            srv.register_introspection_functions()
            for _ in range(4):
                srv.handle_request()

    def client(_sk):
        proxy = xmlrpc.client.ServerProxy("http://h2:8000/")
        out = [proxy.pow(2, 10), proxy.add("stack", "ed"), sorted(proxy.system.listMethods())[:2]]
        try:
            proxy.nope()
        except xmlrpc.client.Fault as f:
            out.append(f.faultCode)
        return out

    with socketapi.patch():
        h2.spawn(server)
        tc = h1.spawn(client)
        net.run()
    assert tc.result == [1024, "stacked", ["add", "pow"], 1]


def test_stdlib_select_and_selectors_wait_in_virtual_time():
    net, h1, h2 = two_hosts()

    def server(_sk):
        ls = socket.create_server(("", 6000))
        t0 = time.monotonic()
        assert select.select([ls], [], [], 3.0) == ([], [], [])  # nobody yet: 3 virtual seconds
        waited = time.monotonic() - t0
        with selectors.DefaultSelector() as sel:
            sel.register(ls, selectors.EVENT_READ)
            assert len(sel.select(10)) == 1
        c, _ = ls.accept()
        p = select.poll()
        p.register(c.fileno(), select.POLLIN)  # by descriptor number
        [(fd, _ev)] = p.poll(5000)
        return waited, fd == c.fileno(), c.recv(10)

    def client(_sk):
        time.sleep(5)
        s = socket.create_connection(("192.0.2.2", 6000))
        s.sendall(b"late")
        time.sleep(1)
        s.close()

    t0 = time.perf_counter()
    with socketapi.patch():
        ts = h2.spawn(server)
        h1.spawn(client)
        net.run()
    assert time.perf_counter() - t0 < 2  # six virtual seconds, no real sleeping
    waited, by_fd, data = ts.result
    assert waited == pytest.approx(3.0) and by_fd and data == b"late"
    assert net.now == pytest.approx(6.0, abs=0.1)


def test_create_connection_looks_its_helpers_up_through_the_patched_module():
    net, h1, h2 = two_hosts()
    asked = []

    def listener(sk):
        ls = sk.socket()
        ls.bind(("", 80))
        ls.listen()
        c, _ = ls.accept()
        c.close()

    def fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.2", port))]

    def client(_sk):
        socket.getaddrinfo = fake_getaddrinfo  # what a test mocking DNS does
        with socket.create_connection(("www.example.test", 80), timeout=5) as s:
            return s.getpeername()

    with socketapi.patch():
        h2.spawn(listener)
        tc = h1.spawn(client)
        net.run()
    assert tc.result == ("192.0.2.2", 80) and asked == ["www.example.test"]


def test_patch_restores_on_exception_and_outside_tasks_time_is_real():
    net, h1, _h2 = two_hosts()
    with pytest.raises(ZeroDivisionError):
        with socketapi.patch():
            t0 = time.time()
            assert abs(t0 - ORIGINALS["time"]()) < 5  # no task, no default host: real time
            assert isinstance(socket.socket.__new__(socket.socket), socketapi.socket)
            raise ZeroDivisionError
    assert socket.socket is ORIGINALS["socket"]
    with socketapi.patch(h1):  # a default host: code outside tasks uses it, in its virtual time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", 53))
        assert s.getsockname() == ("0.0.0.0", 53) and isinstance(s, socketapi.socket)
        time.sleep(2.5)
        assert time.monotonic() == pytest.approx(2.5) and net.now == pytest.approx(2.5)
        assert socket.gethostname() == "h1"
        s.close()
    with pytest.raises(RuntimeError):
        socketapi.socket()  # the default host is forgotten again


def test_asyncio_streams_in_real_time():
    import asyncio

    net, h1, h2 = two_hosts(realtime=True)
    net.start()
    ready = threading.Event()

    def server_thread(_sk):
        async def handle(reader, writer):
            while line := await reader.readline():
                writer.write(line[::-1].strip() + b"\n")
                await writer.drain()
            writer.close()
            await writer.wait_closed()

        async def main():
            srv = await asyncio.start_server(handle, "0.0.0.0", 8888)
            ready.set()
            async with srv:
                await asyncio.sleep(3)  # long enough for the client

        asyncio.run(main())

    async def client():
        reader, writer = await asyncio.open_connection("192.0.2.2", 8888)
        replies = []
        for word in (b"stack", b"level", b"python"):
            writer.write(word + b"\n")
            await writer.drain()
            replies.append(await reader.readline())
        peer = writer.get_extra_info("peername")
        writer.close()
        await writer.wait_closed()
        return replies, peer

    try:
        with socketapi.patch(h1):
            t = h2.spawn(server_thread)
            assert ready.wait(5)
            replies, peer = asyncio.run(asyncio.wait_for(client(), 10))
            t.join(10)
    finally:
        net.stop()
    assert replies == [b"kcats\n", b"level\n", b"nohtyp\n"]
    assert peer == ("192.0.2.2", 8888)
    assert t.done and t.exception is None
