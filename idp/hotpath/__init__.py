"""Lean paths for the hot machine endpoints, in front of Flask (issue 7, ``bench/``).

A token request or an introspection is a few hundred microseconds of real work: one
signature, one or two indexed single-row statements. Flask's request machinery, Authlib's
request wrapping and the ORM session each cost as much again (``bench/RESULTS.md``). So the
WSGI application first offers the request to a lean handler (:mod:`idp.hotpath.endpoints`):
- only the success case of ``POST /token`` (client_credentials), ``POST /introspect``,
  ``POST /checktoken`` and ``GET /jwks``, for the plainest requests
  (:mod:`idp.hotpath.request`);
- running the same functions as the Flask views, inside an application context, with its
  reads on the thread's DBAPI connection (:mod:`idp.request_sql`, :mod:`idp.hotpath.rawdb`);
- and answering with the same media types and headers, security headers included.

These requests write nothing: client_credentials tokens are self-contained
(:mod:`idp.oauth2.tokens`). Whenever a handler declines, and on any exception (an
unavailable database included), the request goes to Flask unchanged, body included. Flask
then answers it in full, and every error response keeps a single source.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable

from flask import Flask
from sqlalchemy.exc import DBAPIError

from idp.extensions import db
from idp.hotpath.endpoints import ROUTES
from idp.hotpath.rawdb import StatementCache, ThreadConnections
from idp.hotpath.request import parse, read_body
from idp.hotpath.responses import LeanResponse
from idp.request_sql import lean_connections
from idp.security_headers import security_headers

log = logging.getLogger(__name__)


class LeanPath:
    """WSGI middleware: the lean handler when one matches and accepts, else Flask."""

    def __init__(self, app: Flask, flask_wsgi_app: Callable) -> None:
        self.app = app
        self.flask_wsgi_app = flask_wsgi_app
        self.security_headers = security_headers(app.config["SESSION_COOKIE_SECURE"])
        with app.app_context():
            engine = db.engine
        self.connections = ThreadConnections(StatementCache(engine))
        #: The driver's errors (raw cursors) and SQLAlchemy's (the ORM's rare cache refills).
        self.database_errors = (engine.dialect.loaded_dbapi.Error, DBAPIError)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        handler = ROUTES.get((environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")))
        if handler is None:
            return self.flask_wsgi_app(environ, start_response)
        body = read_body(environ)
        if body is None:
            return self.flask_wsgi_app(environ, start_response)
        request = parse(environ, body)
        response = self._answer(handler, request) if request is not None else None
        if response is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.flask_wsgi_app(environ, start_response)
        start_response("200 OK", response.headers + self.security_headers)
        return [response.body]

    def _answer(self, handler: Callable, request) -> LeanResponse | None:
        """The handler's response; ``None`` when it declines or anything fails."""
        with self.app.app_context():
            reads = lean_connections.set(self.connections)
            try:
                return handler(request)
            except self.database_errors as error:  # Flask answers: 503 if it persists
                log.warning("lean path: database error (%s); handing over to Flask", type(error).__name__)
                return None
            except Exception:
                log.exception("lean path failed on %s; handing over to Flask", handler.__name__)
                return None
            finally:
                lean_connections.reset(reads)


def install(app: Flask) -> None:
    """Put the lean path in front of ``app.wsgi_app`` unless ``LEAN_ENDPOINTS`` is false."""
    if app.config["LEAN_ENDPOINTS"]:
        app.wsgi_app = LeanPath(app, app.wsgi_app)
