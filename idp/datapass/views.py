"""``POST /webhooks/datapass``: the DataPass webhook receiver.

Order of checks: the HMAC signature over the raw body (401, nothing stored), the
``X-App-Environment`` header when ``IDP_DATAPASS_ENVIRONMENT`` is set (403, nothing stored),
the JSON body (400), the test delivery (200), the schema (400 listing the errors), then the
service stores and applies the delivery. DataPass counts 200, 201 and 204 as success and
retries anything else forever, so only a real problem gets another status.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from idp.bodies import allow_larger_bodies
from idp.datapass.events import KNOWN_EVENTS
from idp.datapass.service import receive_delivery
from idp.datapass.signature import SIGNATURE_HEADER, is_valid_signature
from idp.extensions import csrf
from idp.telemetry import metrics
from idp.views.json_errors import json_error, marshmallow_errors, read_json

log = logging.getLogger(__name__)

bp = Blueprint("datapass", __name__)

ENVIRONMENT_HEADER = "X-App-Environment"
#: Real habilitations carry long free-text fields and many authorizations. A 413 would be
#: retried by DataPass forever, so this endpoint accepts far more than the app-wide limit.
MAX_DELIVERY_BYTES = 2 * 1024 * 1024


@bp.record_once
def allow_large_deliveries(state) -> None:
    allow_larger_bodies(state.app, "/webhooks/datapass", MAX_DELIVERY_BYTES)


@bp.post("/webhooks/datapass")
@csrf.exempt
def receive():
    raw_body = request.get_data(cache=False)
    if not is_valid_signature(
        raw_body, request.headers.get(SIGNATURE_HEADER), current_app.config["DATAPASS_WEBHOOK_SECRETS"]
    ):
        log.warning("DataPass delivery refused: missing or wrong %s", SIGNATURE_HEADER)
        delivered(None, "invalid_signature")
        return json_error(401, "invalid_signature", f"missing or wrong {SIGNATURE_HEADER}")
    expected = current_app.config["DATAPASS_ENVIRONMENT"]
    presented = request.headers.get(ENVIRONMENT_HEADER)
    if expected and presented != expected:
        log.warning("DataPass delivery refused: environment %r, expected %r", presented, expected)
        delivered(None, "wrong_environment")
        return json_error(
            403,
            "access_denied",
            f"{ENVIRONMENT_HEADER} must be {expected!r} on this server, got {presented!r}",
        )
    try:
        payload = read_json(raw_body)
    except ValueError:
        delivered(None, "malformed")
        return json_error(400, "invalid_request", "the body is not JSON", errors={"_schema": ["not JSON"]})
    if not isinstance(payload, dict):
        delivered(None, "malformed")
        return json_error(
            400, "invalid_request", "the body is not a JSON object", errors={"_schema": ["not an object"]}
        )
    if payload.get("test") is True:
        delivered("test", "test_received")
        return jsonify({"outcome": "test_received"}), 200
    try:
        result = receive_delivery(raw_body, payload)
    except ValidationError as problem:
        log.warning("DataPass delivery malformed: fields %s", sorted(map(str, problem.messages)))
        delivered(payload.get("event"), "malformed")
        return json_error(
            400, "invalid_request", "the delivery is malformed", errors=marshmallow_errors(problem.messages)
        )
    delivered(result.event, result.outcome)
    return jsonify(result.answer()), 200


def delivered(event: object, outcome: str) -> None:
    """Count a delivery (``idp_datapass_deliveries_total``): ``none`` before the signature is
    checked or the body read, ``other`` for an event this hub does not know (bounded labels)."""
    if event is None:
        label = "none"
    else:
        label = event if isinstance(event, str) and (event in KNOWN_EVENTS or event == "test") else "other"
    metrics.datapass_delivery(label, outcome)
