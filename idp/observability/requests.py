"""Per request, in front of both adapters: the request id, the log line and the metrics.

:class:`ObservedRequests` is the outermost WSGI middleware (:func:`install`), so the lean
path (:mod:`idp.hotpath`) and the Flask views are observed by the same code. Each adapter
adds one line, the route that answered (:func:`idp.telemetry.context.note_route`);
client authentication notes the client (:func:`~idp.telemetry.context.note_client`).

The request log line (logger ``idp.request``) has the method, the path (never the query
string: ``/authorize`` carries ``state`` and ``code_challenge``, a callback the identity
provider's ``code``), the status, ``duration_ms``, the route, the client_id when known and
the request id. The request is counted in ``idp_http_requests_total`` and timed in
``idp_http_request_duration_seconds`` by route, never by raw path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, request

from idp.observability.request_ids import HEADER, accepted_or_new
from idp.telemetry import context, metrics

log = logging.getLogger("idp.request")
#: Longest path written in a log line (a path is the caller's to choose).
MAX_LOGGED_PATH = 512


class ObservedRequests:
    """WSGI middleware: an :class:`~idp.telemetry.context.Observation` per request."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        observation = context.Observation(
            accepted_or_new(environ.get("HTTP_X_REQUEST_ID")),
            environ.get("REQUEST_METHOD", ""),
            environ.get("PATH_INFO", ""),
        )
        status = [500]

        def observed_start_response(line: str, headers: list, exc_info=None):
            status[0] = int(line.split(" ", 1)[0])
            return start_response(line, [*headers, (HEADER, observation.request_id)], exc_info)

        token = context.current.set(observation)
        try:
            result = self.wsgi_app(environ, observed_start_response)
        except BaseException:
            finished(observation, 500)
            raise
        finally:
            context.current.reset(token)
        # Every answer here is whole once the application returns (no streamed response):
        # the duration is the application's, up to handing the body to the server.
        finished(observation, status[0])
        return result


def finished(observation: context.Observation, status: int) -> None:
    """The request's log line and metrics, once its answer was handed over."""
    seconds = time.perf_counter() - observation.started
    metrics.request_answered(observation.route, observation.method, status, seconds)
    if not log.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": observation.method,
        "path": observation.path[:MAX_LOGGED_PATH],
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "route": observation.route,
        "client_id": observation.client_id,
        "request_id": observation.request_id,
    }
    log.info("request", extra={"fields": fields, "request_id": observation.request_id})


def install(app: Flask) -> None:
    """The middleware in front of ``app.wsgi_app``, and Flask's half of the route."""

    @app.after_request
    def note_flask_route(response: Response) -> Response:
        context.note_route(request.url_rule.rule if request.url_rule is not None else None)
        return response

    app.wsgi_app = ObservedRequests(app.wsgi_app)
