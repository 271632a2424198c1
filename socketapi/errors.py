"""The socket module's exceptions, and the one way this package raises OS errors.

`OSError(code, strerror)` is what CPython raises: Python turns it into the right subclass
(ECONNREFUSED -> ConnectionRefusedError, EAGAIN -> BlockingIOError, ...).
"""

import os

error = OSError
timeout = TimeoutError


class herror(OSError):
    """Address-related errors from gethostbyaddr() and friends (h_errno values)."""


class gaierror(OSError):
    """getaddrinfo() and getnameinfo() errors: errno is one of the EAI_* numbers."""


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
