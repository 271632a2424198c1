"""Runnable teaching scenarios: `python -m scenarios list`, `python -m scenarios run NAME`."""

REGISTRY = {
    "arp-ping": "scenarios.arp_ping",
    "udp-echo": "scenarios.udp_echo",
    "traceroute": "scenarios.traceroute",
    "fragments": "scenarios.fragments",
    "tap-demo": "scenarios.tap_demo",
    "tcp-handshake": "scenarios.tcp_handshake",
    "time-wait": "scenarios.tcp_time_wait",
    "rst-closed-port": "scenarios.tcp_rst",
    "half-close": "scenarios.tcp_half_close",
    "simultaneous-open": "scenarios.tcp_simultaneous",
    "simultaneous-close": "scenarios.tcp_simultaneous_close",
    "nagle": "scenarios.tcp_nagle",
    "keepalive": "scenarios.tcp_keepalive",
    "zero-window": "scenarios.tcp_zero_window",
    "syn-flood": "scenarios.tcp_syn_flood",
    "lossy-bulk": "scenarios.tcp_lossy_bulk",
    "http-over-stack": "scenarios.http_over_stack",
    "select-chat": "scenarios.select_chat",
    "ndp": "scenarios.ipv6_ndp",
    "dad": "scenarios.ipv6_dad",
    "slaac": "scenarios.ipv6_slaac",
    "ping6-through-router": "scenarios.ipv6_ping_router",
    "pmtu6": "scenarios.ipv6_pmtu",
    "dualstack-echo": "scenarios.ipv6_dualstack_echo",
}
SHOWCASE = "arp-ping"
