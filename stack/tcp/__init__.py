"""TCP (RFC 9293) as a sans-IO layer: `TcpLayer(env, config)` is what a host composes."""

from .config import SocketOptions, TcpConfig
from .connection import Connection
from .layer import Binding, TcpLayer
from .listener import Listener
from .state import State
from .timewait import TimeWait

__all__ = ["Binding", "Connection", "Listener", "SocketOptions", "State", "TcpConfig", "TcpLayer", "TimeWait"]
