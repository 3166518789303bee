"""POST /webhooks/datapass: signature, environment, body checks, unknown events and fields."""

from __future__ import annotations

import json

import pytest

from idp.extensions import db
from idp.models import AuditEvent, Client, Habilitation, WebhookDelivery
from tests.idp.datapass.conftest import OLD_SECRET, SECRET, WEBHOOK, deliver, sample, signature


def stored_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (WebhookDelivery, Habilitation, Client)
        )


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Hub-Signature-256": "sha256="}, id="empty digest"),
        pytest.param({"X-Hub-Signature-256": signature(b"{}")}, id="signature of another body"),
        pytest.param({"X-Hub-Signature-256": "sha1=" + "0" * 40}, id="other algorithm"),
        pytest.param({"X-Hub-Signature-256": signature(b"x", "not-the-secret-at-all")}, id="wrong secret"),
    ],
)
def test_missing_or_wrong_signature_is_401_and_stores_nothing(app, client, headers):
    before = stored_counts(app)
    response = deliver(client, sample("approve-france-connect"), secret=None, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    assert stored_counts(app) == before


def test_signature_is_over_the_raw_bytes(app, client):
    body = json.dumps(sample("approve-france-connect")).encode()
    reformatted = json.dumps(json.loads(body), indent=2).encode()
    response = client.post(
        WEBHOOK,
        data=reformatted,
        headers={"X-Hub-Signature-256": signature(body)},
        content_type="application/json",
    )
    assert response.status_code == 401


@pytest.mark.parametrize("secret", [SECRET, OLD_SECRET], ids=["current", "previous (rotation)"])
def test_every_configured_secret_is_accepted(client, secret):
    assert deliver(client, sample("approve-france-connect"), secret=secret).status_code == 200


@pytest.mark.parametrize("app_settings", [{"DATAPASS_WEBHOOK_SECRETS": ""}])
def test_without_configured_secrets_every_delivery_is_refused(app, client, app_settings):
    assert deliver(client, sample("ping")).status_code == 401


class TestEnvironment:
    @pytest.fixture
    def app_settings(self):
        return {"DATAPASS_WEBHOOK_SECRETS": SECRET, "DATAPASS_ENVIRONMENT": "production"}

    @pytest.mark.parametrize("environment", ["staging", "sandbox", ""])
    def test_wrong_environment_is_403_and_stores_nothing(self, app, client, environment):
        response = deliver(
            client, sample("approve-france-connect"), headers={"X-App-Environment": environment}
        )
        assert response.status_code == 403
        body = response.get_json()
        assert body["error"] == "access_denied"
        assert "production" in body["error_description"]
        assert stored_counts(app) == (0, 0, 0)

    def test_right_environment_is_accepted(self, client):
        assert deliver(client, sample("approve-france-connect")).status_code == 200


def test_ping_answers_200(client):
    assert deliver(client, sample("ping")).status_code == 200


def _without(payload: dict, *path: str) -> dict:
    target = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return payload


def _with(payload: dict, value, *path) -> dict:
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


@pytest.mark.parametrize(
    ("body", "error_path"),
    [
        pytest.param(b"{not json", ("_schema",), id="not JSON"),
        pytest.param(b"[1, 2]", ("_schema",), id="not an object"),
        pytest.param(_without(sample("approve-france-connect"), "event"), ("event",), id="no event"),
        pytest.param(
            _with(sample("approve-france-connect"), "hier", "fired_at"), ("fired_at",), id="bad fired_at"
        ),
        pytest.param(
            _with(sample("approve-france-connect"), "habilitation", "model_type"),
            ("model_type",),
            id="model_type",
        ),
        pytest.param(_without(sample("approve-france-connect"), "data"), ("data",), id="no data"),
        pytest.param(
            _with(sample("approve-france-connect"), 1, "data", "id"), ("data.id",), id="data.id != model_id"
        ),
        pytest.param(
            _with(sample("approve-france-connect"), "dgfip_rfr", "data", "data", "scopes"),
            ("data", "data", "scopes"),
            id="scopes not a list",
        ),
        pytest.param(
            _without(sample("approve-france-connect"), "data", "authorizations", 0, "id"),
            ("data", "authorizations", "0", "id"),
            id="authorization without id",
        ),
        pytest.param(
            _with(sample("approve-france-connect"), 2**63, "model_id"), ("model_id",), id="huge model_id"
        ),
        pytest.param(
            _with(sample("approve-france-connect"), 2**64, "fired_at"), ("fired_at",), id="huge fired_at"
        ),
        pytest.param(
            _with(sample("approve-france-connect"), "authorization_request/" + "a" * 200, "model_type"),
            ("model_type",),
            id="model_type too long for its column",
        ),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, ("_schema",), id="nested 10,000 deep"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, ("_schema",), id="objects 10,000 deep"),
    ],
)
def test_malformed_delivery_is_400_listing_the_errors(app, client, body, error_path):
    response = deliver(client, body if isinstance(body, bytes) else json.dumps(body).encode())
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["error"] == "invalid_request"
    errors = answer["errors"]
    for key in error_path:
        assert key in errors, answer
        errors = errors[key]
    assert stored_counts(app) == (0, 0, 0)


def test_unknown_event_is_recorded_and_ignored(app, client):
    payload = sample("approve-france-connect")
    payload["event"] = "suspend"
    payload["data"] = {"whatever": "shape"}
    response = deliver(client, payload)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored_unknown_event"
    with app.app_context():
        delivery = db.session.scalar(db.select(WebhookDelivery))
        assert (delivery.event, delivery.outcome, delivery.model_id) == (
            "suspend",
            "ignored_unknown_event",
            4242,
        )
        assert db.session.get(Habilitation, 4242) is None
        audit = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "webhook_delivery"))
        assert audit.detail["outcome"] == "ignored_unknown_event"


def test_a_habilitation_type_this_hub_does_not_serve_is_recorded_and_not_applied(app, client):
    """DataPass definitions other than FranceConnect and the APIs used through it
    (KNOWN_DEFINITIONS) create no habilitation and grant nothing."""
    payload = sample("approve-france-connect")
    payload["model_type"] = "authorization_request/api_entreprise"
    response = deliver(client, payload)
    assert response.status_code == 200
    assert response.get_json() == {
        "outcome": "ignored_unknown_definition",
        "habilitation_id": 4242,
        "token_id": None,
    }
    with app.app_context():
        delivery = db.session.scalar(db.select(WebhookDelivery))
        assert (delivery.model_type, delivery.outcome) == (
            "authorization_request/api_entreprise",
            "ignored_unknown_definition",
        )
        assert db.session.get(Habilitation, 4242) is None
        assert db.session.scalar(db.select(db.func.count(Client.id))) == 0


def _sprinkle_unknown_fields(payload: dict) -> dict:
    payload["schema_version"] = 3
    payload["data"]["reopening"] = False
    payload["data"]["data"]["nouveau_champ"] = {"nested": [1, 2]}
    payload["data"]["organization"]["forme_juridique"] = "7210"
    payload["data"]["authorizations"][0]["new_flag"] = True
    payload["data"]["authorizations"][0]["data"]["extra"] = "x"
    return payload


def test_unknown_fields_anywhere_are_ignored(app, client):
    response = deliver(client, _sprinkle_unknown_fields(sample("approve-france-connect")))
    assert response.status_code == 200, response.get_json()
    token_id = response.get_json()["token_id"]
    with app.app_context():
        habilitation = db.session.get(Habilitation, 4242)
        assert (habilitation.active, habilitation.client_id) == (True, token_id)
        assert habilitation.authorization_ids == ["901"]


def test_delivery_larger_than_the_app_wide_limit_is_accepted(app, client):
    """A 413 would make DataPass retry forever: big real payloads must get through."""
    import hashlib
    import hmac
    import json as json_module

    secret = app.config["DATAPASS_WEBHOOK_SECRETS"][0] if app.config["DATAPASS_WEBHOOK_SECRETS"] else None
    assert secret, "the receiver tests configure a webhook secret"
    body = json_module.dumps({"test": True, "padding": "x" * (200 * 1024)}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/webhooks/datapass",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature},
    )
    assert response.status_code == 200


def _approved_then_revoked(app, client, **revoke_changes):
    assert deliver(client, sample("approve-france-connect")).status_code == 200
    assert deliver(client, sample("approve-api-impot-particulier")).status_code == 200
    revoke = sample("revoke-api-impot-particulier")
    for path, value in revoke_changes.items():
        _with(revoke, value, *path.split("."))
    return deliver(client, revoke), revoke


@pytest.mark.parametrize(
    "changes",
    [
        {"data.data.intitule": "Aide au logement étudiant " * 30},  # 780 characters: column is 500
        {"data.data.intitule": "titre\x00avec un NUL"},
        {"data.organization.name": "Commune " * 100},
        {"data.organization.siret": "SIRET"},
        {"data.public_id": "p" * 300},
        {"data.state": "x" * 300},
    ],
    ids=[
        "long intitule",
        "NUL in intitule",
        "long organisation",
        "bad siret",
        "long public_id",
        "long state",
    ],
)
def test_a_revocation_applies_whatever_its_descriptive_fields(app, client, changes):
    """A signed revoke is applied even when a descriptive field is too long or malformed for
    storage: that field is truncated or dropped, never the revocation (a 4xx or 503 here
    would be retried by DataPass for ever, and the scopes would stay allowed)."""
    response, revoke = _approved_then_revoked(app, client, **changes)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["outcome"] == "applied"
    with app.app_context():
        habilitation = db.session.get(Habilitation, revoke["model_id"])
        assert habilitation.active is False
        assert len(habilitation.intitule or "") <= 500
        assert "\x00" not in (habilitation.intitule or "")
        assert len(habilitation.organization_name or "") <= 500
        assert habilitation.organization_siret in (None, revoke["data"]["organization"]["siret"])
