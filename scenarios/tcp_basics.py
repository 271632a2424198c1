"""Shared helpers for the TCP scenarios: a two-host LAN and reading TCP state changes from the trace."""

from __future__ import annotations


def lan(ctx, delay: float = 0.001, **link):
    net = ctx.network()
    s1 = net.add_switch("s1")
    h1 = net.add_host("h1", ip="192.0.2.1/24")
    h2 = net.add_host("h2", ip="192.0.2.2/24")
    net.add_link(h1, s1, delay=delay, **link)
    net.add_link(h2, s1, delay=delay, **link)
    return net, h1, h2


def states(net, host: str) -> list[str]:
    """The TCP states a host's connections entered, in order (from the trace)."""
    return [e.fields["new"] for e in net.tracer.select(host=host, layer="tcp", event="state")]


def narrate_states(ctx, net, *hosts) -> None:
    for e in net.tracer.events:
        if e.layer == "tcp" and e.event == "state" and e.host in hosts:
            ctx.say(f"  {e.time / 1e6:9.6f} {e.host}: {e.fields['old']:>12s} -> {e.fields['new']:<12s} "
                    f"({e.fields['cause']})")
