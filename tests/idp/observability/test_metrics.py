"""``/metrics`` (idp.observability.exposition, .views) and the events the features count
(idp.telemetry.metrics), through the Flask test client, in both adapters."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DataError, OperationalError

from idp import errors
from tests.idp.conftest import PASSWORD, csrf_token, make_client
from tests.idp.observability.conftest import METRICS_TOKEN

SAMPLES = Path(__file__).parents[1] / "datapass" / "samples"
WEBHOOK_SECRET = "metrics-test-webhook-secret-0123"
BOTH = pytest.mark.parametrize(
    "app_settings",
    [{"METRICS_TOKEN": METRICS_TOKEN, "LEAN_ENDPOINTS": lean} for lean in (True, False)],
    ids=["lean", "flask"],
)


@pytest.mark.parametrize("app_settings", [{}], ids=["no token set"])
def test_without_a_token_setting_metrics_is_not_found(client):
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert (answer.status_code, answer.get_json()["error"]) == (404, "not_found")


@pytest.mark.parametrize(
    "authorization",
    [None, f"Basic {METRICS_TOKEN}", "Bearer", f"Bearer {METRICS_TOKEN}x", f"Bearer {METRICS_TOKEN[:-1]}"],
)
def test_a_wrong_or_missing_token_is_refused(client, authorization):
    answer = client.get("/metrics", headers={"Authorization": authorization} if authorization else {})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert answer.get_json()["error"] == "invalid_token"


@pytest.mark.parametrize("value", ["too-short", "x" * 31])
def test_a_short_token_setting_fails_at_boot(tmp_path, value):
    from idp import create_app
    from idp.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="IDP_METRICS_TOKEN must be at least 32 characters"):
        create_app({"INSTANCE_PATH": str(tmp_path), "METRICS_TOKEN": value})


@BOTH
def test_requests_and_tokens_are_counted_by_route_status_and_grant(app, client, metrics):
    service = make_client(app)
    before = metrics.scrape()
    for _ in range(3):
        answer = client.post(
            "/token",
            data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
            auth=(service.client_id, service.client_secret),
        )
        assert answer.status_code == 200
    client.post("/token", data={"grant_type": "client_credentials"}, auth=("nobody", "nothing"))
    client.get("/no/such/path/42")
    after = metrics.scrape()

    def moved(name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("idp_http_requests_total", route="/token", method="POST", status="200") == 3
    assert moved("idp_http_requests_total", route="/token", method="POST", status="401") == 1
    assert moved("idp_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert moved("idp_http_request_duration_seconds_count", route="/token") == 4
    assert moved("idp_tokens_issued_total", grant_type="client_credentials") == 3
    assert not [key for key in after if "/no/such/path/42" in str(key)]  # never a raw path


@BOTH
def test_introspections_are_counted_by_data_provider_and_endpoint(app, client, runner, metrics):
    created = runner.invoke(
        args=[
            "clients",
            "create",
            "--name",
            "CNAF",
            "--role",
            "data-provider",
            "--namespace",
            "cnaf",
            "--json",
        ]
    )
    provider = json.loads(created.output)
    auth = (provider["client_id"], provider["client_secret"])
    before = metrics.value("idp_introspections_total", client_id=provider["client_id"], endpoint="introspect")
    assert client.post("/introspect", data={"token": "not-a-token"}, auth=auth).get_json() == {
        "active": False
    }
    client.post("/introspect", data={"token": "not-a-token"}, auth=(provider["client_id"], "wrong"))
    after = metrics.value("idp_introspections_total", client_id=provider["client_id"], endpoint="introspect")
    assert after - before == 1  # the authenticated one only


@pytest.mark.parametrize(
    "app_settings",
    [
        {
            "METRICS_TOKEN": METRICS_TOKEN,
            "LOGIN_MAX_FAILURES_PER_IP": 3,
            "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": 50,
        }
    ],
)
def test_failed_sign_ins_and_held_addresses_are_counted(client, citizen, metrics):
    failures = metrics.value("idp_sign_in_failures_total")
    held = metrics.value("idp_sign_in_throttled_addresses_total")
    statuses = []
    for username in ("someone", "someone-else", citizen, citizen):
        page = client.get("/login").get_data(as_text=True)
        answer = client.post(
            "/login",
            data={"username": username, "password": "wrong" + PASSWORD, "csrf_token": csrf_token(page)},
        )
        statuses.append(answer.status_code)
    assert statuses == [401, 401, 429, 429]
    assert metrics.value("idp_sign_in_failures_total") - failures == 3
    assert metrics.value("idp_sign_in_throttled_addresses_total") - held == 1
    assert not [key for key in metrics.scrape() if "127.0.0.1" in str(key)]


def test_database_errors_are_counted_by_kind(app, metrics):
    unavailable = metrics.value("idp_database_errors_total", kind="unavailable")
    refused = metrics.value("idp_database_errors_total", kind="refused_value")
    with app.app_context():
        assert errors.database_error(OperationalError("SELECT 1", {}, Exception("down"))).status_code == 503
        assert (
            errors.database_error(DataError("INSERT", {}, sqlite3.DataError("too long"))).status_code == 400
        )
    assert metrics.value("idp_database_errors_total", kind="unavailable") - unavailable == 1
    assert metrics.value("idp_database_errors_total", kind="refused_value") - refused == 1


def deliver(client, body: bytes, secret: str = WEBHOOK_SECRET):
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/datapass",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


@pytest.mark.parametrize(
    "app_settings", [{"METRICS_TOKEN": METRICS_TOKEN, "DATAPASS_WEBHOOK_SECRETS": WEBHOOK_SECRET}]
)
def test_datapass_deliveries_are_counted_by_event_and_outcome(client, metrics):
    approve = (SAMPLES / "approve-france-connect.json").read_bytes()
    unknown = json.dumps({**json.loads(approve), "event": "something_new_" + "x" * 40}).encode()
    cases = [
        (lambda: deliver(client, approve, "another-secret-0123456789"), ("none", "invalid_signature"), 401),
        (lambda: deliver(client, b"{not json"), ("none", "malformed"), 400),
        (lambda: deliver(client, b'{"test": true}'), ("test", "test_received"), 200),
        (lambda: deliver(client, b'{"event": ["approve"]}'), ("other", "malformed"), 400),
        (lambda: deliver(client, approve), ("approve", "applied"), 200),
        (lambda: deliver(client, approve), ("approve", "duplicate"), 200),
        (lambda: deliver(client, unknown), ("other", "ignored_unknown_event"), 200),
    ]
    for send, (event, outcome), status in cases:
        before = metrics.value("idp_datapass_deliveries_total", event=event, outcome=outcome)
        assert send().status_code == status
        assert metrics.value("idp_datapass_deliveries_total", event=event, outcome=outcome) - before == 1, (
            event,
            outcome,
        )


def test_the_active_keys_age_is_read_at_scrape_time(app, runner, metrics):
    ages = {
        labels: value
        for (name, labels), value in metrics.scrape().items()
        if name == "idp_signing_key_age_seconds"
    }
    assert sorted(dict(labels)["alg"] for labels in ages) == ["ES256", "RS256"]
    assert all(value >= 0 for value in ages.values())
