"""Runnable teaching scenarios: `python -m scenarios list`, `python -m scenarios run NAME`."""

REGISTRY = {
    "arp-ping": "scenarios.arp_ping",
    "udp-echo": "scenarios.udp_echo",
    "traceroute": "scenarios.traceroute",
    "fragments": "scenarios.fragments",
    "tap-demo": "scenarios.tap_demo",
}
SHOWCASE = "arp-ping"
