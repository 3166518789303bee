"""What ``idp serve`` checks before it starts Granian, so that an operator's mistake is one
line on stderr rather than a worker's traceback: the address is free to listen on, and an
external database's schema is at head (the embedded one is migrated at start).
"""

from __future__ import annotations

import errno
import os
import socket

from flask import Flask

from idp.database.schema import schema_state
from idp.extensions import db


def address_problem(host: str, port: int, option: str = "--port") -> str | None:
    """Why ``host:port`` cannot be listened on (busy, not an address of this machine, a
    privileged port), or None. Bound and closed at once, as Granian binds it (with
    ``SO_REUSEADDR``: a port whose last connections are in TIME_WAIT is free)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        with socket.create_server((host, port), family=family):
            return None
    except socket.gaierror as error:
        return f"cannot listen on {host}: {error.strerror}"
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            busy = f"port {port} on {host} is busy: another server listens there"
            return f"{busy} (choose another with {option})"
        return f"cannot listen on {host}:{port}: {os.strerror(error.errno) if error.errno else error}"


def serve_problem(app: Flask, host: str, port: int, metrics: tuple[str, int] | None = None) -> str | None:
    """The first reason ``idp serve`` cannot start, or None (within ``app``'s context). A
    database that cannot be reached is left to raise (the ``idp`` command explains it).
    ``metrics``: the address of ``--metrics-port``'s listener."""
    problem = address_problem(host, port)
    if problem is None and metrics is not None:
        problem = address_problem(*metrics, option="--metrics-port")
    if problem or app.config["EMBEDDED_DATABASE"]:
        return problem
    return schema_state(db.engine).problem
