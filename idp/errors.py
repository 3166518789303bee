"""Errors that no endpoint answered itself: JSON for machines, a page for people, no trace.

Protocol errors are rendered by the endpoints (:func:`idp.oauth2.http.error_response`);
what reaches here is an HTTP error of routing (404, 405, 413), a form's CSRF failure, an
unavailable database (503 ``temporarily_unavailable`` with ``Retry-After``, so that callers
retry; a value the database refuses is the request's fault, 400), or a bug (500
``server_error``, logged with its trace, never shown). The lean path (:mod:`idp.hotpath`)
answers its own with the same :func:`database_error` and :func:`unexpected`.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from idp.database import is_data_error
from idp.extensions import db
from idp.oauth2.http import JSONError, error_response
from idp.paths import ENDPOINT_PATHS
from idp.telemetry import metrics
from idp.views.oauth import flask_response

log = logging.getLogger(__name__)

#: Paths answered in JSON (machines); everything else gets an HTML page.
JSON_PREFIXES = (
    *(
        path
        for name, path in ENDPOINT_PATHS.items()
        if name not in ("authorization_endpoint", "end_session_endpoint")
    ),
    "/api/",
    "/webhooks/",
    "/.well-known/",
    "/demo-api/",
    "/healthz",
    "/readyz",
    "/metrics",
)

HTTP_ERROR_CODES = {
    400: "invalid_request",
    401: "invalid_client",
    403: "access_denied",
    404: "not_found",
    405: "invalid_request",
    413: "invalid_request",
    415: "invalid_request",
}
#: Seconds a client should wait before retrying after a 503 (RFC 9110 §10.2.3).
RETRY_AFTER_SECONDS = 5


def unavailable() -> JSONError:
    return JSONError(
        503,
        "temporarily_unavailable",
        "the service is temporarily unavailable; retry later",
        headers=[("Retry-After", str(RETRY_AFTER_SECONDS))],
    )


def refused_value() -> JSONError:
    """A value the database cannot store (:func:`idp.database.is_data_error`)."""
    return JSONError(400, "invalid_request", "a value is malformed or too long")


def database_error(error: DBAPIError) -> JSONError:
    """What a failed database statement answers, in both adapters (Flask and the lean path).

    A value the database refuses (:func:`idp.database.is_data_error`) is the request's
    fault, 400. An outage (unreachable, locked, read-only, too slow:
    :mod:`idp.database.bounds`) is :func:`unavailable`. Only type names are logged: a
    statement's text or parameters may carry a token.
    """
    if is_data_error(error):
        metrics.database_error("refused_value")
        log.warning("database refused a value: %s", type(error).__name__)
        return refused_value()
    metrics.database_error("unavailable")
    log.error("database unavailable: %s (%s)", type(error).__name__, type(error.orig).__name__)
    return unavailable()


def unexpected() -> JSONError:
    return JSONError(500, "server_error", "an unexpected error occurred")


def _respond(error: JSONError):
    if request.path.startswith(JSON_PREFIXES):
        return flask_response(error_response(error))
    page = render_template("error.html", error=error.error, description=error.description)
    return page, error.status_code, error.extra_headers


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _respond(
            JSONError(
                400, "invalid_request", "the form expired or was not sent from this site; please try again"
            )
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        description = error.description if isinstance(error.description, str) else error.name
        if status == 413:
            description = "request body too large"
        return _respond(JSONError(status, HTTP_ERROR_CODES.get(status, "invalid_request"), description))

    @app.errorhandler(DBAPIError)
    def database_failed(error: DBAPIError):
        db.session.rollback()
        return _respond(database_error(error))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _respond(unexpected())
