"""The lean WSGI adapter: the machine endpoints answered in front of Flask.

A token request or an introspection is a few hundred microseconds of real work: one
signature, one or two indexed single-row statements. Flask's request machinery (request
context, session, routing, hooks) costs as much again (``bench/RESULTS.md``). So the WSGI
application first looks the request up in :data:`idp.oauth2.endpoints.MACHINE_ENDPOINTS`,
the same table the Flask views serve (:mod:`idp.views.oauth`), and when it is there:

- builds the :class:`~idp.oauth2.http.OAuthRequest` from the environ (:mod:`.request`);
- calls the same endpoint function, inside an application context;
- sends its :class:`~idp.oauth2.http.EndpointResponse` with the security headers every
  response carries (:mod:`idp.security_headers`).

Errors are the endpoint's own (:func:`~idp.oauth2.http.dispatch`); an unavailable database
is a 503 and a bug a logged 500, as :mod:`idp.errors` answers them in Flask.

``GET /authorize`` is tried here too (:mod:`.authorize`): the code of a citizen signed in
and consented, by the same protocol functions as the view; any other answer is Flask's.
Everything else (another path or method, the pages) goes to Flask unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus

from flask import Flask
from sqlalchemy.exc import DBAPIError

from idp.bodies import body_limit
from idp.database import rollback_request
from idp.errors import database_error, unexpected
from idp.hotpath.authorize import LeanAuthorize
from idp.hotpath.request import oauth_request
from idp.oauth2.endpoints import MACHINE_ENDPOINTS
from idp.oauth2.http import EndpointResponse, JSONError, dispatch, error_response
from idp.paths import ENDPOINT_PATHS
from idp.security_headers import security_headers
from idp.telemetry.context import note_route

log = logging.getLogger(__name__)


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


class LeanPath:
    """WSGI middleware: the machine endpoints here, everything else in Flask."""

    def __init__(self, app: Flask, flask_wsgi_app: Callable) -> None:
        self.app = app
        self.flask_wsgi_app = flask_wsgi_app
        #: (method, path) → (endpoint function, largest body accepted there: idp.bodies)
        self.routes = {
            (method, endpoint.path): (endpoint.answer, body_limit(app, endpoint.path))
            for endpoint in MACHINE_ENDPOINTS
            for method in endpoint.methods
        }
        self.security_headers = security_headers(app.config["SESSION_COOKIE_SECURE"])
        self.issuer = app.config["ISSUER"]
        self.authorize_path = ENDPOINT_PATHS["authorization_endpoint"]
        self.authorize = LeanAuthorize(app)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        route = self.routes.get((method, path))
        if route is not None:
            response = self._answer(*route, environ)
        elif method == "GET" and path == self.authorize_path:
            response = self.authorize(environ)
            if response is None:
                return self.flask_wsgi_app(environ, start_response)
        else:
            return self.flask_wsgi_app(environ, start_response)
        note_route(path)  # the endpoint's path, which is its Flask URL rule too
        length = ("Content-Length", str(len(response.body)))
        start_response(status_line(response.status), [*response.headers, length, *self.security_headers])
        return [response.body]

    def _answer(self, answer: Callable, max_content_length: int, environ: dict) -> EndpointResponse:
        with self.app.app_context():
            try:
                request = oauth_request(environ, self.issuer, max_content_length)
                return dispatch(answer, request)
            except JSONError as error:
                return error_response(error)
            except DBAPIError as error:  # the ORM's, and the hot reads' (idp.database.reads)
                rollback_request()
                return error_response(database_error(error))
            except Exception:
                rollback_request()
                log.exception(
                    "unexpected error on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
                )
                return error_response(unexpected())


def install(app: Flask) -> None:
    """Put the lean path in front of ``app.wsgi_app`` unless ``LEAN_ENDPOINTS`` is false."""
    if app.config["LEAN_ENDPOINTS"]:
        app.wsgi_app = LeanPath(app, app.wsgi_app)
