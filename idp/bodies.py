"""How large a request body may be: ``IDP_MAX_CONTENT_LENGTH``, or more on the paths that say so.

One table per application, read by everything that bounds a body: the server, which reads
each body before the application runs (:mod:`idp.operations.buffering`), Flask
(``request.max_content_length``, 413 beyond) and the lean path (:mod:`idp.hotpath`). A
feature that needs larger bodies on one path says so once, when its blueprint is
registered (``bp.record_once``), with :func:`allow_larger_bodies`.
"""

from __future__ import annotations

from flask import Flask, request

_KEY = "idp_body_limits"


def allow_larger_bodies(app: Flask, path: str, limit: int) -> None:
    """Accept bodies up to ``limit`` bytes on ``path`` (exactly that path)."""
    app.extensions.setdefault(_KEY, {})[path] = limit


def larger_limits(app: Flask) -> dict[str, int]:
    """The paths that accept more than ``MAX_CONTENT_LENGTH``, with their limits."""
    return dict(app.extensions.get(_KEY, {}))


def body_limit(app: Flask, path: str) -> int:
    """The largest body accepted on ``path``, in bytes."""
    return app.extensions.get(_KEY, {}).get(path, app.config["MAX_CONTENT_LENGTH"])


def init_app(app: Flask) -> None:
    @app.before_request
    def apply_body_limit() -> None:
        limits = app.extensions.get(_KEY)
        if limits and request.path in limits:
            request.max_content_length = limits[request.path]
