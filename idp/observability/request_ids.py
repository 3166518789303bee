"""``X-Request-Id``: the caller's, when it is a safe token, else one of ours.

A proxy or a client may send an id to follow one request through several logs; it comes
back in the response and in every log line of the request. It is taken only when short
(at most :data:`MAX_LENGTH` characters) and made of characters that are safe in a header
and a log line (letters, digits and ``._~:+=/-``: a UUID, a hex or base64 string, nginx's
``$request_id``). Anything else is replaced by a new random id, never echoed.
"""

from __future__ import annotations

import random
import re

MAX_LENGTH = 128
_SAFE = re.compile(rf"[A-Za-z0-9._~:+=/-]{{1,{MAX_LENGTH}}}")
HEADER = "X-Request-Id"


def new_request_id() -> str:
    """128 random bits, hex, from Python's own generator (:func:`random.getrandbits`).

    An id names a request in the logs: it must be unique, not secret (a caller may choose its
    own, above). So it does not come from the system's (``secrets``, ``os.urandom``), whose
    system call lets go of the GIL: on ``idp serve``'s application thread, each release
    hands the interpreter to the worker's event loop and back, and py-spy found 5.9 % of a
    ``/jwks`` worker's samples there. Python's generator is seeded from ``os.urandom`` when
    the interpreter starts, and again in a forked child (``random``'s at-fork hook).
    """
    return f"{random.getrandbits(128):032x}"


def accepted_or_new(presented: str | None) -> str:
    if presented and _SAFE.fullmatch(presented):
        return presented
    return new_request_id()
