"""makefile(), MicroPython's stream methods, create_connection / create_server / socketpair."""

import io

import pytest
from differential import compare

from tests.helpers import two_hosts as lan


def test_line_protocol_over_makefile_and_micropython_stream_methods():
    net, h1, h2 = lan()

    def server(socket):
        with socket.create_server(("", 2323)) as ls:
            c, _ = ls.accept()
            with c, c.makefile("rw", encoding="utf-8", newline="\n") as f:
                for line in f:
                    f.write(line.upper())
                    f.flush()

    def client(socket):
        s = socket.create_connection(("h2", 2323), timeout=5)  # a network name, resolved by getaddrinfo
        out = []
        for word in ("alpha", "beta"):
            assert s.write(f"{word}\n".encode()) == len(word) + 1  # MicroPython: no short writes
            out.append(s.readline())  # MicroPython: through the newline
        s.write(b"gamma\n")
        out.append(s.read(6))  # MicroPython: no short reads
        s.shutdown(socket.SHUT_WR)
        out.append(s.readall())
        s.close()
        return out

    h2.spawn(server)
    t = h1.spawn(client)
    net.run()
    assert t.result == [b"ALPHA\n", b"BETA\n", b"GAMMA\n", b""]


def test_socket_stays_open_until_its_files_close():
    net, h1, h2 = lan()
    a, b = h1.socket.socketpair()
    f = a.makefile("rb")
    a.close()
    assert a.fileno() != -1  # a file still uses it
    b.sendall(b"still readable\n")
    assert f.readline() == b"still readable\n"
    f.close()
    assert a.fileno() == -1
    b.close()


def test_create_connection_tries_every_address_and_raises_the_first_error():
    net, h1, h2 = lan()
    h1.hosts["multi"] = [bytes([192, 0, 2, 77]), bytes([192, 0, 2, 2])]  # the first one is dead

    def server(socket):
        with socket.create_server(("", 80), backlog=1) as ls:
            c, _ = ls.accept()
            c.close()

    def client(socket):
        s = socket.create_connection(("multi", 80), timeout=2)
        peer = s.getpeername()
        s.close()
        try:
            socket.create_connection(("192.0.2.2", 81), timeout=2)
        except ConnectionRefusedError as e:
            return peer, e.errno
        return peer, None

    h2.spawn(server)
    t = h1.spawn(client)
    net.run()
    assert t.result == (("192.0.2.2", 80), 111)


def _makefile_script(sk, step):
    # socketpair()'s family differs on purpose (AF_UNIX on Linux; AF_INET over loopback here,
    # CPython's own fallback), so the script makes its pair the same way on both sides
    ls = sk.create_server(("127.0.0.1", 0))
    b = sk.create_connection(ls.getsockname())
    a, _ = ls.accept()
    ls.close()
    fw = b.makefile("wb")
    fr = a.makefile("r", encoding="ascii")
    step(lambda: (fw.mode, fr.mode, fw.writable(), fr.readable()))
    fw.write(b"line one\nline two\n")
    fw.flush()
    step(fr.readline)
    step(fr.readline)
    step(lambda: b.makefile("x"))
    raw = a.makefile("rb", buffering=0)
    step(lambda: type(raw).__name__)
    step(lambda: a.makefile("r", buffering=0))
    for f in (fw, fr, raw):
        f.close()
    a.close()
    b.close()
    step(a.fileno)


def _create_server_script(sk, step):
    ls = sk.create_server(("127.0.0.1", 0))
    step(lambda: ls.getsockopt(sk.SOL_SOCKET, sk.SO_REUSEADDR) != 0)
    step(lambda: ls.getsockopt(sk.SOL_SOCKET, sk.SO_ACCEPTCONN))
    c = sk.create_connection(ls.getsockname(), timeout=3)
    s, _ = ls.accept()
    step(lambda: c.gettimeout())
    step(lambda: s.getpeername() == c.getsockname())
    for x in (ls, c, s):
        x.close()


def _sendfile_script(sk, step):
    """sendfile() and the two private ways CPython's own tests call (_sendfile_use_sendfile
    reads the descriptor as os.sendfile would, and gives up where CPython's does), SO_REUSEPORT
    reported, and setblocking on a descriptor closed under its object."""
    import os
    import tempfile

    ls = sk.create_server(("127.0.0.1", 0), reuse_port=True)
    step(lambda: ls.getsockopt(sk.SOL_SOCKET, sk.SO_REUSEPORT))
    c = sk.create_connection(ls.getsockname(), timeout=3)
    s, _ = ls.accept()
    s.settimeout(3)
    with tempfile.TemporaryFile() as f:
        f.write(bytes(range(256)) * 40)
        f.seek(0)
        step(c.sendfile, f, 100, 5000)
        step(f.tell)
        step(c._sendfile_use_send, f, 0, 10)
        step(f.tell)
        step(c._sendfile_use_sendfile, f, 3, 7)
        step(f.tell)
        fd = os.open(os.curdir, os.O_RDONLY)
        os.close(fd)

        class File:
            def __init__(self, n):
                self.n = n

            def fileno(self):
                return self.n

        step(lambda: c._sendfile_use_sendfile(File(fd)), label="closed descriptor")
        step(lambda: c._sendfile_use_sendfile(File(2 ** 1000)), label="descriptor out of range")
        step(lambda: c._sendfile_use_sendfile(File(None)), label="no descriptor")
        step(c.sendfile, f, 0, 0)
        step(c.sendfile, f, 0, "x")
        step(c.sendfile, io.StringIO("text"))
    got = b""
    while len(got) < 5017:
        got += s.recv(8192)
    step(lambda: got == (bytes(range(256)) * 40)[100:5100] + bytes(range(10)) + bytes(range(3, 10)),
         label="bytes sent")
    c.setblocking(False)
    step(c._sendfile_use_send, io.BytesIO(b"x"))
    u = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    step(u.sendfile, io.BytesIO(b"x"))
    u.close()
    s0 = sk.socket()
    s1 = sk.socket(sk.AF_INET, sk.SOCK_STREAM, 0, s0.fileno())
    s0.close()
    step(s1.setblocking, False)
    step(s1.settimeout, 1.0)
    s1.detach()
    for x in (ls, c, s):
        x.close()


@pytest.mark.parametrize("script", [_makefile_script, _create_server_script, _sendfile_script])
def test_differential_files_and_helpers(script):
    compare(script)


def _names_script(sk, step):
    step(sk.getnameinfo, ("127.0.0.1", 80), 0)
    step(sk.getnameinfo, ("127.0.0.1", 80), sk.NI_NUMERICHOST)
    step(sk.getnameinfo, ("127.0.0.1", 80), sk.NI_NUMERICHOST | sk.NI_NUMERICSERV)
    step(sk.getnameinfo, ("127.0.0.1", 53), sk.NI_DGRAM)
    step(sk.getnameinfo, ("192.0.2.77", 80), sk.NI_NAMEREQD)
    step(sk.getnameinfo, ("192.0.2.77", 65000), 0)
    step(sk.getnameinfo, ("127.0.0.1",), 0)
    step(sk.getnameinfo, "x", 0)
    step(sk.if_nametoindex, "lo")
    step(sk.if_nametoindex, "no-such-if")
    step(sk.if_indextoname, 1)
    step(sk.if_indextoname, 999)
    step(sk.if_indextoname, "1")
    step(sk.if_nametoindex, 1)
    step(lambda: sk.if_nameindex()[0])
    for n in (0, 1, 4, 9):
        step(sk.CMSG_LEN, n)
        step(sk.CMSG_SPACE, n)
    step(sk.CMSG_LEN, -1)
    with sk.socket() as s:
        step(s.get_inheritable)
        s.set_inheritable(True)
        step(s.get_inheritable)


def test_differential_names_and_misc():
    compare(_names_script)


def _msg_script(sk, step):
    a = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b = sk.socket(sk.AF_INET, sk.SOCK_DGRAM)
    b.bind(("127.0.0.1", 0))
    a.settimeout(2)
    step(b.sendmsg, [b"ab", b"cd"], [], 0, a.getsockname())
    step(lambda: a.recvmsg(2)[:3])  # truncated: MSG_TRUNC
    step(b.sendmsg, [b"hello"], (), 0, a.getsockname())
    step(lambda: a.recvmsg(100, 0)[:3])
    step(b.sendmsg, [b"xyz"], [], 0, a.getsockname())
    buf1, buf2 = bytearray(2), bytearray(5)
    step(lambda: a.recvmsg_into([buf1, buf2])[:3])
    step(lambda: (bytes(buf1), bytes(buf2)))
    step(b.sendmsg, "str")
    step(b.sendmsg, [b"x"])
    step(a.recvmsg, -1)
    step(b.sendfile, None)
    a.close()
    b.close()
    ls = sk.create_server(("127.0.0.1", 0))
    c = sk.create_connection(ls.getsockname(), timeout=3)
    s, _ = ls.accept()
    s.settimeout(3)
    f = io.BytesIO(b"0123456789")
    step(c.sendfile, f, 2, 5)
    step(f.tell)
    step(s.recv, 100)
    step(c.sendfile, f, 0, -1)
    step(c.sendmsg, [b"tcp", b"!"])
    step(lambda: s.recvmsg(100)[:3])
    for x in (ls, c, s):
        x.close()


def test_differential_msg_and_sendfile():
    compare(_msg_script)


def test_a_socket_dropped_unclosed_warns_and_closes_as_cpython_does():
    """CPython's finalizer: ResourceWarning "unclosed <socket...>", then the descriptor is
    closed, so the peer of a dropped connection reads the end of the stream."""
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()  # sockets earlier tests dropped warn now, not in the count below
    net, h1, h2 = lan()

    def server(socket):
        ls = socket.socket()
        ls.bind(("", 80))
        ls.listen()
        c, _ = ls.accept()
        out = (c.recv(10), c.recv(10))
        c.close()
        ls.close()
        return out

    def client(socket):
        s = socket.socket()
        s.connect(("192.0.2.2", 80))
        s.send(b"hi")
        return repr(s)  # and the object goes with the task's frame, unclosed

    srv = h2.spawn(server)
    cli = h1.spawn(client)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.run(until=1)
        gc.collect()
    assert srv.result == (b"hi", b"")
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == [f"unclosed {cli.result}"]
