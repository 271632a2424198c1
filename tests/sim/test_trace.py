"""The trace as users read it: `net.tracer.events`, `select()` and subscribers all give
`TraceEvent`s with their fields, in order, however the ring keeps them."""

from stack import Network, TraceEvent
from stack.trace import Tracer


def _cycle():
    net = Network(seed=3)
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=0.001)
    net.add_link(h2, s1, delay=0.001)
    seen = []
    net.tracer.subscribe(seen.append)

    def server(socket):
        with socket.socket() as ls:
            ls.bind(("", 80))
            ls.listen()
            c, _ = ls.accept()
            c.close()

    def client(socket):
        with socket.socket() as s:
            s.connect(("192.0.2.2", 80))

    h2.spawn(server)
    h1.spawn(client)
    net.run()
    net.run(until=net.now + 1.0)  # the last FIN's ACK, and into TIME_WAIT
    return net, seen


def test_state_changes_read_back_as_events_with_fields():
    net, seen = _cycle()
    states = net.tracer.select(host="h1", layer="tcp", event="state")
    assert [e.fields["new"] for e in states] == ["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT"]
    assert [e.fields["new"] for e in net.tracer.select(host="h2", event="state")] == [
        "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]
    first = states[0]
    assert isinstance(first, TraceEvent)
    assert first.host == "h1" and first.layer == "tcp" and first.event == "state"
    assert list(first.fields) == ["conn", "old", "new", "cause"]
    assert first.fields["conn"].startswith("192.0.2.1:") and first.fields["conn"].endswith(">192.0.2.2:80")
    assert first.fields["old"] == "CLOSED" and first.fields["cause"] == "connect"
    # a subscriber saw the same events, in the same order, as the ring kept since it subscribed
    assert len(seen) > 10 and list(net.tracer.events)[-len(seen):] == seen
    times = [e.time for e in net.tracer.events]
    assert times == sorted(times)


def test_events_is_a_read_only_sequence_of_the_most_recent():
    t = Tracer(keep=3)
    for i in range(5):
        t.emit(i, "h", "l", f"e{i}", {"i": i, "b": b"\x01"})
    evs = t.events
    assert len(evs) == 3
    assert [e.event for e in evs] == ["e2", "e3", "e4"]
    assert evs[0] == TraceEvent(2, "h", "l", "e2", {"i": 2, "b": b"\x01"})
    assert evs[-1].fields == {"i": 4, "b": b"\x01"}
    assert [e.event for e in evs[1:]] == ["e3", "e4"]
    assert [e.event for e in reversed(evs)] == ["e4", "e3", "e2"]
    assert t.select(event="e3")[0].fields["i"] == 3
    evs.clear()
    assert len(t.events) == 0 and list(t.events) == []
