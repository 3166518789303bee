"""``GET /healthz``, ``GET /readyz`` and ``GET /metrics``.

- ``/healthz``: liveness. The process answers; it touches no database, so that a database
  outage does not get every instance restarted by its supervisor.
- ``/readyz``: readiness (:mod:`idp.observability.readiness`): 200 ``{"status": "ready"}``
  or 503 ``{"status": "unavailable"}``, with each check's ``ok``, ``failed`` or ``skipped``.
  The details (which database, why) go to the log, not to whoever asked.
- ``/metrics``: the Prometheus text format, with ``IDP_METRICS_TOKEN`` as a bearer token;
  404 when the token is not set (:mod:`idp.observability.exposition`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request

from idp.observability import exposition, readiness

log = logging.getLogger(__name__)

bp = Blueprint("observability", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "alive"}), 200, NO_STORE


@bp.get("/readyz")
def readyz():
    results = readiness.run_checks()
    ready = readiness.ready(results)
    if not ready:
        log.warning("not ready: %s", "; ".join(result.line() for result in results if result.ok is False))
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {result.name: result.status for result in results},
    }
    return jsonify(body), 200 if ready else 503, NO_STORE


@bp.get("/metrics")
def metrics():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    if not exposition.token_accepted(request.headers.get("Authorization"), token):
        refused = {"error": "invalid_token", "error_description": "a valid bearer token is required"}
        return jsonify(refused), 401, {"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE}
    body, media_type = exposition.render(current_app._get_current_object())
    return Response(body, 200, {"Content-Type": media_type, **NO_STORE})
