"""A router is a host that forwards (RFC 1812): several interfaces, ip_forward on."""

from __future__ import annotations

from .host import Host, HostConfig


class Router(Host):
    kind = "router"

    def __init__(self, name: str, *, config: HostConfig | None = None, **kw) -> None:
        config = config or HostConfig()
        config.forwarding = True
        super().__init__(name, config=config, **kw)
