"""The socket module's exceptions, and the one way this package raises OS errors.

`OSError(code, strerror)` is what CPython raises: Python turns it into the right subclass
(ECONNREFUSED -> ConnectionRefusedError, EAGAIN -> BlockingIOError, ...).
"""

import os

# The standard library's own classes, not look-alikes: `except socket.gaierror` in code
# written for CPython catches ours whether or not socketapi.patch() is in force.
from socket import gaierror, herror  # noqa: F401  (address errors: EAI_* and h_errno values)

error = OSError
timeout = TimeoutError


_GAI_MESSAGES = {
    -1: "Bad value for ai_flags",
    -2: "Name or service not known",
    -3: "Temporary failure in name resolution",
    -4: "Non-recoverable failure in name resolution",
    -5: "No address associated with hostname",
    -6: "ai_family not supported",
    -7: "ai_socktype not supported",
    -8: "Servname not supported for ai_socktype",
    -9: "Address family for hostname not supported",
    -10: "Memory allocation failure",
    -11: "System error",
    -12: "Argument buffer overflow",
}


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def gai(code: int) -> gaierror:
    return gaierror(code, _GAI_MESSAGES.get(code, "Unknown error"))


def timed_out() -> TimeoutError:
    return TimeoutError("timed out")
