"""Error handling: JSON for machine endpoints, a human page for browsers, never a stack trace.

An unavailable database answers 503 with ``temporarily_unavailable`` so that callers retry.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from idp.extensions import db

log = logging.getLogger(__name__)

#: Paths answered in JSON (machines); everything else gets an HTML page.
JSON_PREFIXES = (
    "/token",
    "/introspect",
    "/revoke",
    "/checktoken",
    "/userinfo",
    "/api/",
    "/webhooks/",
    "/jwks",
    "/.well-known/",
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


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _respond(status: int, error: str, description: str):
    if wants_json():
        response = jsonify({"error": error, "error_description": description})
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("error.html", error=error, description=description), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _respond(
            400, "invalid_request", "the form expired or was not sent from this site; please try again"
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        description = error.description if isinstance(error.description, str) else error.name
        if status == 413:
            description = "request body too large"
        return _respond(status, HTTP_ERROR_CODES.get(status, "invalid_request"), description)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(error: Exception):
        db.session.rollback()
        log.error("database unavailable: %s", type(error).__name__)
        response = _respond(
            503, "temporarily_unavailable", "the service is temporarily unavailable; retry later"
        )
        response = app.make_response(response)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _respond(500, "server_error", "an unexpected error occurred")
