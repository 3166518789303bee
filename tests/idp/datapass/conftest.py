"""DataPass fixtures: the samples, signed deliveries, and synthetic habilitation payloads."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from tests.idp.conftest import IDENTITY_SCOPES

SECRET = "datapass-current-secret-0123456789"
OLD_SECRET = "datapass-previous-secret-987654321"
SAMPLES = Path(__file__).parent / "samples"
WEBHOOK = "/webhooks/datapass"
FC_SCOPES = IDENTITY_SCOPES.split()
EVENT_STATES = {
    "create": "draft",
    "update": "draft",
    "submit": "submitted",
    "approve": "validated",
    "refuse": "refused",
    "request_changes": "changes_requested",
    "revoke": "revoked",
    "archive": "archived",
    "reopen": "draft",
    "cancel_reopening": "validated",
    "transfer": "draft",
}


@pytest.fixture
def app_settings() -> dict:
    return {"DATAPASS_WEBHOOK_SECRETS": f"{OLD_SECRET}, {SECRET}"}


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def signature(body: bytes, secret: str = SECRET) -> str:
    """Computed here, independently of idp.datapass.signature."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(http, payload, *, secret: str | None = SECRET, headers: dict | None = None):
    """POST a delivery the way DataPass does; ``payload`` is a dict or the raw bytes."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json", "X-App-Environment": "production"}
    if secret is not None:
        sent["X-Hub-Signature-256"] = signature(body, secret)
    sent.update(headers or {})
    return http.post(WEBHOOK, data=body, headers=sent)


def habilitation_payload(
    event: str,
    fired_at: int,
    model_id: int,
    *,
    definition: str = "api_impot_particulier",
    scopes: list[str] | None = None,
    authorizations: list[dict] | None = None,
    state: str | None = None,
    **form,
) -> dict:
    """A delivery shaped like the samples, for a synthetic request."""
    data = {"intitule": f"Démarche {model_id}", "scopes": scopes or ["dgfip_rfr"], **form}
    return {
        "event": event,
        "fired_at": fired_at,
        "model_type": f"authorization_request/{definition}",
        "model_id": model_id,
        "data": {
            "id": model_id,
            "public_id": f"public-{model_id}",
            "state": state or EVENT_STATES[event],
            "data": data,
            "organization": {"name": "COMMUNE DE TEST", "siret": "21930048000015"},
            "authorizations": authorizations if authorizations is not None else [],
        },
    }


def authorization(
    authorization_id: int, scopes: list[str], *, definition: str, revoked: bool = False
) -> dict:
    return {
        "id": authorization_id,
        "state": "revoked" if revoked else "active",
        "revoked": revoked,
        "definition_id": definition,
        "data": {"scopes": scopes},
    }


def with_changes(payload: dict, **changes) -> dict:
    changed = copy.deepcopy(payload)
    changed.update(changes)
    return changed
