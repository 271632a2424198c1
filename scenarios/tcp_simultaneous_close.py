"""simultaneous-close: both ends close at the same instant and both enter TIME-WAIT (RFC 9293 §3.6).

Each FIN crosses the other in flight: each side goes FIN-WAIT-1 -> CLOSING (a FIN
arrived before the ACK of its own) -> TIME-WAIT.  See also `simultaneous-open`.
"""

from scenarios.tcp_simultaneous import run_close as run  # noqa: F401

NAME = "simultaneous-close"
