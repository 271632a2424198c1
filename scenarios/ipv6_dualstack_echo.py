'''dualstack-echo: the CPython documentation's IPv4/IPv6 echo server and client, unmodified.

The two programs below are the socket module documentation's "support both IPv4 and
IPv6" examples, character for character; they run against a simulated host's socket
namespace in place of `import socket`.  The client's remote host, daring.cwi.nl, is an
entry in h2's host table naming both of h1's addresses.

What happens is what the documentation warns about: the server takes the first address
getaddrinfo(None, ..., AF_UNSPEC, AI_PASSIVE) gives, which is IPv4's 0.0.0.0 on Linux
(glibc lists the IPv4 wildcard first), so it listens on IPv4 only.  The client gets
h1's IPv6 address first (RFC 6724 prefers it), is refused (a RST from h1's TCP), closes
that socket and connects over IPv4 instead: the loop over every address is what saves it.
'''

from scenarios.tools import run_program

NAME = "dualstack-echo"

SERVER = """\
# Echo server program
import socket
import sys

HOST = None               # Symbolic name meaning all available interfaces
PORT = 50007              # Arbitrary non-privileged port
s = None
for res in socket.getaddrinfo(HOST, PORT, socket.AF_UNSPEC,
                              socket.SOCK_STREAM, 0, socket.AI_PASSIVE):
    af, socktype, proto, canonname, sa = res
    try:
        s = socket.socket(af, socktype, proto)
    except OSError as msg:
        s = None
        continue
    try:
        s.bind(sa)
        s.listen(1)
    except OSError as msg:
        s.close()
        s = None
        continue
    break
if s is None:
    print('could not open socket')
    sys.exit(1)
conn, addr = s.accept()
with conn:
    print('Connected by', addr)
    while True:
        data = conn.recv(1024)
        if not data: break
        conn.send(data)
"""

CLIENT = """\
# Echo client program
import socket
import sys

HOST = 'daring.cwi.nl'    # The remote host
PORT = 50007              # The same port as used by the server
s = None
for res in socket.getaddrinfo(HOST, PORT, socket.AF_UNSPEC, socket.SOCK_STREAM):
    af, socktype, proto, canonname, sa = res
    try:
        s = socket.socket(af, socktype, proto)
    except OSError as msg:
        s = None
        continue
    try:
        s.connect(sa)
    except OSError as msg:
        s.close()
        s = None
        continue
    break
if s is None:
    print('could not open socket')
    sys.exit(1)
with s:
    s.sendall(b'Hello, world')
    data = s.recv(1024)
print('Received', repr(data))
"""


def run(ctx) -> None:
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24", ip6="2001:db8::1/64")
    h2 = net.add_host("h2", ip="192.0.2.2/24", ip6="2001:db8::2/64")
    net.add_link(h1, s1, delay=0.001)
    net.add_link(h2, s1, delay=0.001)
    h2.hosts["daring.cwi.nl"] = [bytes.fromhex("20010db8000000000000000000000001"), bytes([192, 0, 2, 1])]
    ctx.start_capture()
    server_out, client_out = [], []
    srv = h1.spawn(run_program, SERVER, server_out)
    cli = h2.spawn(lambda socket: (h2.sleep(0.1), run_program(socket, CLIENT, client_out)))
    net.run()
    for line in server_out:
        ctx.say(f"  server: {line}")
    for line in client_out:
        ctx.say(f"  client: {line}")
    ctx.check(srv.result == 0 and cli.result[1] == 0, "both programs ran to the end")
    ctx.check(client_out == ["Received b'Hello, world'"], "the client got its echo")
    ctx.check(len(server_out) == 1 and server_out[0].startswith("Connected by ('192.0.2.2', "),
              "the server, listening on IPv4 only, was reached over IPv4")
    ctx.check(h1.stats["tcp.tx.rst"] >= 1, "the client's first try, over IPv6, was refused with a RST")
