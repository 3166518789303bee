"""``idp serve``: the production WSGI server (Granian), with several worker processes."""

from __future__ import annotations

import os

from flask import Flask


def app_factory() -> Flask:
    """Entry point imported by each Granian worker (configuration comes from IDP_*)."""
    from idp import create_app

    return create_app()


def serve(host: str, port: int, workers: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "idp.serving:app_factory",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        factory=True,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


def default_workers() -> int:
    return os.cpu_count() or 2
