"""Audit events in the log (idp.telemetry.logs.audit, idp.observability.audit_trail):
key rotation, client and identity-provider changes, habilitation changes, consent
withdrawal; logged once committed, never a secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from idp.citizens.consents import record_consent, withdraw_consent
from idp.citizens.users import find_user
from idp.extensions import db
from idp.models import AuditEvent
from tests.idp.signing.test_keyring import published_for

SAMPLES = Path(__file__).parents[1] / "datapass" / "samples"
WEBHOOK_SECRET = "audit-test-webhook-secret-0123456"


def audits(caplog) -> list[dict]:
    return [record.fields for record in caplog.records if record.name == "idp.audit"]


@pytest.fixture(autouse=True)
def audit_level(caplog):
    caplog.set_level(logging.INFO, logger="idp.audit")


def test_client_commands_are_audited_without_their_secret(runner, caplog):
    created = json.loads(runner.invoke(args=["clients", "create", "--name", "FS", "--json"]).output)
    client_id = created["client_id"]
    rotated = json.loads(runner.invoke(args=["clients", "rotate-secret", client_id, "--json"]).output)
    runner.invoke(args=["clients", "update", client_id, "--name", "FS 2", "--json"])
    runner.invoke(args=["clients", "delete", client_id])
    assert [(line["audit"], line["client_id"]) for line in audits(caplog)] == [
        ("client_created", client_id),
        ("client_secret_rotated", client_id),
        ("client_updated", client_id),
        ("client_deleted", client_id),
    ]
    assert created["client_secret"] not in caplog.text and rotated["client_secret"] not in caplog.text


def test_key_rotation_and_retirement_are_audited(app, runner, caplog):
    published_for(app, timedelta(minutes=5))  # the NEXT keys were published long enough
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    (rotation,) = audits(caplog)
    assert rotation["audit"] == "signing_keys_rotated"
    active = [kid for kid, state in rotation["keys"].items() if state == "active"]
    assert len(active) == 2
    assert runner.invoke(args=["keys", "retire", "--", active[0]]).exit_code == 0
    assert audits(caplog)[1] == {"audit": "signing_key_retired", "kid": active[0]}


def test_identity_provider_changes_are_audited(runner, caplog):
    add = [
        "identity-providers", "add", "--name", "impots", "--title", "impots.gouv.fr",
        "--discovery-url", "https://fi.example.fr/.well-known/openid-configuration",
        "--client-id", "hub", "--client-secret", "a-provider-secret-42", "--json",
    ]  # fmt: skip
    assert runner.invoke(args=add).exit_code == 0
    runner.invoke(args=["identity-providers", "disable", "impots"])
    runner.invoke(args=["identity-providers", "delete", "impots"])
    assert [(line["audit"], line["name"]) for line in audits(caplog)] == [
        ("identity_provider_added", "impots"),
        ("identity_provider_updated", "impots"),
        ("identity_provider_deleted", "impots"),
    ]
    assert audits(caplog)[1]["active"] is False
    assert "a-provider-secret-42" not in caplog.text


def test_consent_withdrawal_is_audited(app, citizen, service_provider, caplog):
    with app.app_context():
        user = find_user(citizen)
        consent = record_consent(user.id, service_provider.client_id, ["openid", "given_name"])
        assert withdraw_consent(user.id, consent.id)
        assert not withdraw_consent(user.id, consent.id)  # already withdrawn: nothing logged
    assert audits(caplog) == [
        {"audit": "consent_withdrawn", "consent_id": consent.id, "client_id": service_provider.client_id}
    ]
    assert "Camille" not in caplog.text and "Durand" not in caplog.text


@pytest.mark.parametrize("app_settings", [{"DATAPASS_WEBHOOK_SECRETS": WEBHOOK_SECRET}])
def test_a_datapass_delivery_logs_its_audit_rows_once_committed(app, client, caplog):
    body = (SAMPLES / "approve-france-connect.json").read_bytes()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post(
        "/webhooks/datapass",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert answer.status_code == 200
    logged = audits(caplog)
    with app.app_context():
        rows = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert sorted(line["audit"] for line in logged) == sorted(row.kind for row in rows)
    delivery = next(line for line in logged if line["audit"] == "webhook_delivery")
    assert delivery["detail"]["outcome"] == "applied"
    assert delivery["client_id"] == answer.get_json()["token_id"]


def test_a_rolled_back_audit_row_is_not_logged(app, caplog):
    with app.app_context():
        db.session.add(AuditEvent(kind="never_committed", detail={}))
        db.session.flush()
        db.session.rollback()
        db.session.add(AuditEvent(kind="committed", detail={}))
        db.session.commit()
    assert [line["audit"] for line in audits(caplog)] == ["committed"]
