"""select-chat: a select()-based chat server, one thread serving several clients.

h1 runs the classic single-threaded chat server: one `select.select()` over the
listening socket and every client, accepting, reading whatever is ready, and relaying
each line to the other clients.  alice (h2), bob (h3) and carol (h4) join, say two things
each at staggered times, and leave once they have heard everyone else.  The code is
ordinary standard-library code (`import select, socket, time`); `socketapi.patch()`
makes it run on the stack, with select() waiting in virtual time.
"""

from __future__ import annotations

NAME = "select-chat"
PORT = 9009
PEOPLE = (("alice", "h2", (0.10, 0.40)), ("bob", "h3", (0.20, 0.50)), ("carol", "h4", (0.30, 0.60)))


def chat_server(_sk, expected: int):
    """The server: returns its transcript and how many select() calls it made."""
    import select
    import socket

    ls = socket.create_server(("", PORT))
    names: dict = {}  # client socket -> nickname (None until its first line)
    pending: dict = {}  # client socket -> bytes of an unfinished line
    transcript: list[str] = []
    selects = left = 0

    def relay(text: str, sender=None) -> None:
        transcript.append(text)
        for c, name in names.items():
            if c is not sender and name is not None:
                c.sendall(text.encode() + b"\n")

    while left < expected:
        readable, _, _ = select.select([ls, *names], [], [], 10.0)
        selects += 1
        for s in readable:
            if s is ls:
                c, _ = ls.accept()
                names[c], pending[c] = None, b""
                continue
            data = s.recv(4096)
            if not data:
                name = names.pop(s)
                pending.pop(s)
                s.close()
                relay(f"* {name} left")
                left += 1
                continue
            pending[s] += data
            while b"\n" in pending[s]:
                line, pending[s] = pending[s].split(b"\n", 1)
                if names[s] is None:
                    names[s] = line.decode()
                    relay(f"* {names[s]} joined", s)
                else:
                    relay(f"<{names[s]}> {line.decode()}", s)
    ls.close()
    return transcript, selects


def chat_client(_sk, name: str, says, others: int):
    """Join, say each thing at its time, leave after hearing `others` lines of chat."""
    import socket
    import time

    s = socket.create_connection(("h1", PORT), timeout=10)
    f = s.makefile("rb")
    s.sendall(name.encode() + b"\n")
    start = time.monotonic()
    for i, at in enumerate(says):
        time.sleep(max(0.0, at - (time.monotonic() - start)))
        s.sendall(f"message {i + 1} from {name}".encode() + b"\n")
    heard = []
    while sum(line.startswith("<") for line in heard) < others:
        heard.append(f.readline().decode().rstrip("\n"))
    f.close()
    s.close()
    return heard


def run(ctx) -> None:
    import socketapi

    net = ctx.network()
    s1 = net.add_switch("s1")
    server_host = net.add_host("h1", ip="192.0.2.1/24")
    net.add_link(server_host, s1, delay=0.002)
    hosts = {}
    for i, (_, hname, _) in enumerate(PEOPLE):
        hosts[hname] = net.add_host(hname, ip=f"192.0.2.{i + 2}/24")
        net.add_link(hosts[hname], s1, delay=0.002)
    ctx.start_capture()
    with socketapi.patch():
        srv = server_host.spawn(chat_server, len(PEOPLE))
        clients = {name: hosts[h].spawn(chat_client, name, says, 2 * (len(PEOPLE) - 1)) for name, h, says in PEOPLE}
        net.run()
    transcript, selects = srv.result
    for line in transcript:
        ctx.say(f"  server: {line}")
    ctx.say(f"  the server made {selects} select() calls, one thread serving every client")
    for name, task in clients.items():
        chat = [line for line in task.result if line.startswith("<")]
        ctx.say(f"  {name} heard: {', '.join(chat)}")
        expected = sorted(f"<{other}> message {i} from {other}" for other, _, _ in PEOPLE if other != name
                          for i in (1, 2))
        ctx.check(sorted(chat) == expected, f"{name} heard the other two, twice each")
        ctx.check(not any(line.startswith(f"<{name}>") for line in task.result),
                  f"{name}'s own lines were not sent back to {name}")
    said = [line for line in transcript if line.startswith("<")]
    ctx.check(len(said) == 6 and [line for line in transcript if line.endswith("left")] != [],
              "six lines relayed; everyone left")
    order = [line.split()[0] for line in said]
    ctx.check(order == ["<alice>", "<bob>", "<carol>"] * 2, "lines relayed in the order they were said")
