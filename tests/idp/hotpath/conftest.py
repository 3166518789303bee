"""What the lean path's tests share: a Flask-only twin of the application, and which of
the two answered a request."""

from __future__ import annotations

import pytest
from flask import request_started

from idp import create_app
from idp.extensions import db
from tests.conftest import BASE_SETTINGS


class Answered:
    """Which requests reached Flask's own dispatching, per application."""

    def __init__(self, *apps) -> None:
        self.paths: dict[int, list[str]] = {id(app): [] for app in apps}
        for app in apps:
            request_started.connect(self._record, app, weak=False)

    def _record(self, sender, **_extra) -> None:
        from flask import request

        self.paths[id(sender)].append(request.path)

    def by_flask(self, app) -> bool:
        seen = bool(self.paths[id(app)])
        self.paths[id(app)].clear()
        return seen


@pytest.fixture
def flask_only(app):
    """The same instance and database, without the lean path."""
    other = create_app(
        {
            **BASE_SETTINGS,
            "INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "LEAN_ENDPOINTS": False,
        }
    )
    yield other
    with other.app_context():
        db.engine.dispose()


def comparable_headers(response) -> dict:
    """The headers, less the length and the request id (each request gets its own)."""
    unequal = ("Content-Length", "X-Request-Id")
    return {name: value for name, value in response.headers.items() if name not in unequal}
