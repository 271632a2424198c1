"""A pure-Python TCP/IP stack: sans-IO protocol cores and a simulated network to run them on.

    from stack import Network
    net = Network(seed=1)
"""

from .host import Host, HostConfig, Interface
from .router import Router
from .sim.network import Network
from .sim.runtime import Deadlock, Task
from .trace import TraceEvent, Tracer

__all__ = ["Network", "Host", "HostConfig", "Interface", "Router", "Deadlock", "Task", "Tracer", "TraceEvent"]
