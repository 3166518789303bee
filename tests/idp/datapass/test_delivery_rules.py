"""Delivery rules: repeats, ordering, reopening, linking, unknown registry keys, DB failure."""

from __future__ import annotations

import json

import pytest

from idp.clients.admin import ClientSettings, create_client
from idp.datapass.admin import describe, get_habilitation
from idp.extensions import db
from idp.models import AuditEvent, Client, Habilitation, WebhookDelivery
from tests.idp.conftest import IDENTITY_SCOPES, REDIRECT_URI, CodeFlow, ServiceProvider, query_of
from tests.idp.datapass.conftest import (
    FC_SCOPES,
    authorization,
    deliver,
    habilitation_payload,
    sample,
)

TAX = ["dgfip_rfr", "dgfip_nbpart"]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def allowed_scopes(app, client_id: str) -> list[str]:
    with app.app_context():
        return db.session.scalar(db.select(Client.allowed_scopes).where(Client.client_id == client_id))


def habilitation(app, habilitation_id: int) -> dict:
    with app.app_context():
        return describe(get_habilitation(habilitation_id))


def fc_approval(model_id: int = 4242, authorization_id: int = 901, fired_at: int = 1000) -> dict:
    return habilitation_payload(
        "approve",
        fired_at,
        model_id,
        definition="france_connect",
        scopes=FC_SCOPES,
        france_connect_eidas="eidas_2",
        authorizations=[authorization(authorization_id, FC_SCOPES, definition="france_connect")],
    )


def api_event(
    event: str, fired_at: int, *, scopes=TAX, live: bool = True, model_id: int = 5150, **form
) -> dict:
    form.setdefault("modalities", ["with_france_connect"])
    form.setdefault("france_connect_authorization_id", "901")
    return habilitation_payload(
        event,
        fired_at,
        model_id,
        scopes=scopes,
        authorizations=[authorization(1207, TAX, definition="api_impot_particulier", revoked=not live)],
        **form,
    )


def test_repeated_delivery_is_a_noop_with_the_same_answer(app, client):
    first = deliver(client, sample("approve-france-connect"))
    audit_before = count(app, AuditEvent)
    again = deliver(client, sample("approve-france-connect"))
    assert again.status_code == 200
    assert again.get_json() == {**first.get_json(), "outcome": "duplicate"}
    assert count(app, WebhookDelivery) == 1
    assert count(app, Client) == 1
    assert count(app, AuditEvent) == audit_before


def test_retry_with_reserialized_body_is_still_a_repeat(app, client):
    deliver(client, sample("approve-france-connect"))
    reformatted = json.dumps(sample("approve-france-connect"), indent=4, sort_keys=True).encode()
    assert deliver(client, reformatted).get_json()["outcome"] == "duplicate"
    assert count(app, WebhookDelivery) == 1


def test_older_delivery_arriving_late_is_recorded_as_stale_and_changes_nothing(app, client):
    client_id = deliver(client, fc_approval()).get_json()["token_id"]
    assert deliver(client, api_event("revoke", 3000, live=False)).get_json()["outcome"] == "applied"
    late = deliver(client, api_event("approve", 2000))
    assert late.status_code == 200
    assert late.get_json()["outcome"] == "stale"
    described = habilitation(app, 5150)
    assert (described["state"], described["active"], described["last_fired_at"]) == ("revoked", False, 3000)
    assert "dgfip_rfr" not in allowed_scopes(app, client_id)
    assert count(app, WebhookDelivery, WebhookDelivery.outcome == "stale") == 1


def test_reopened_habilitation_keeps_its_approved_scopes_until_approved_again(app, client):
    client_id = deliver(client, fc_approval()).get_json()["token_id"]
    deliver(client, api_event("approve", 2000))
    # Reopened to ask for one more scope: the live authorization still carries the old ones.
    deliver(client, api_event("reopen", 3000, scopes=[*TAX, "dgfip_sitfam"]))
    deliver(client, api_event("submit", 3100, scopes=[*TAX, "dgfip_sitfam"]))
    assert set(allowed_scopes(app, client_id)) >= set(TAX)
    assert "dgfip_sitfam" not in allowed_scopes(app, client_id)
    assert habilitation(app, 5150)["state"] == "submitted"
    deliver(client, api_event("approve", 4000, scopes=[*TAX, "dgfip_sitfam"]))
    assert "dgfip_sitfam" in allowed_scopes(app, client_id)


@pytest.mark.parametrize(
    ("event", "live", "active"),
    [
        ("refuse", True, True),  # a refused reopening leaves the earlier approval in force
        ("cancel_reopening", True, True),
        ("request_changes", True, True),
        ("update", False, False),
        ("archive", True, False),  # archive and revoke end it at once, whatever the snapshot
        ("revoke", True, False),
    ],
)
def test_each_event_updates_state_and_activity(app, client, event, live, active):
    client_id = deliver(client, fc_approval()).get_json()["token_id"]
    deliver(client, api_event("approve", 2000))
    assert deliver(client, api_event(event, 3000, live=live)).get_json()["outcome"] == "applied"
    described = habilitation(app, 5150)
    assert described["active"] is active
    assert ("dgfip_rfr" in allowed_scopes(app, client_id)) is active


def test_api_approved_before_its_france_connect_habilitation_waits_then_links(app, client):
    waiting = deliver(client, api_event("approve", 1000))
    assert waiting.get_json()["token_id"] is None
    assert habilitation(app, 5150)["client_id"] is None
    client_id = deliver(client, fc_approval(fired_at=2000)).get_json()["token_id"]
    assert habilitation(app, 5150)["client_id"] == client_id
    assert set(TAX) <= set(allowed_scopes(app, client_id))


@pytest.mark.parametrize("rides_on", ["901", "9010", "1901"])
def test_an_api_habilitation_rides_on_the_authorization_of_exactly_its_id(app, client, rides_on):
    """The owner is found by the id within the FranceConnect habilitations' lists, not by a
    text that merely contains it (idp.datapass.linking.france_connect_owner)."""
    owners = {
        str(authorization_id): deliver(client, fc_approval(model_id, authorization_id)).get_json()["token_id"]
        for model_id, authorization_id in ((4242, 9010), (4243, 1901), (4244, 901))
    }
    deliver(client, api_event("approve", 2000, france_connect_authorization_id=rides_on))
    assert habilitation(app, 5150)["client_id"] == owners[rides_on]
    assert set(TAX) <= set(allowed_scopes(app, owners[rides_on]))


def test_unlinkable_habilitation_waits_then_is_linked_by_hand(app, client, runner, citizen):
    with app.app_context():
        sp_client, secret = create_client(
            ClientSettings(
                name="Portail existant", redirect_uris=[REDIRECT_URI], operator_scope_override=["openid"]
            )
        )
        sp = ServiceProvider(sp_client.client_id, secret)
    # Same SIRET as the client's organisation would be no reason to link: nothing is guessed.
    response = deliver(
        client, api_event("approve", 1000, modalities=[], france_connect_authorization_id=None)
    )
    assert response.get_json()["token_id"] is None
    refused = CodeFlow(client, sp).authorize(scope="openid dgfip_rfr")
    assert query_of(refused.headers["Location"])["error"] == "invalid_scope"

    result = runner.invoke(args=["habilitations", "link", "5150", "--client", sp.client_id])
    assert result.exit_code == 0, result.output
    assert habilitation(app, 5150)["client_id"] == sp.client_id
    tokens = CodeFlow(client, sp).tokens(scope="openid dgfip_rfr")
    assert tokens["scope"].split() == ["openid", "dgfip_rfr"]
    with app.app_context():
        link = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "habilitation_linked"))
        assert (link.habilitation_id, link.client_id, link.detail["how"]) == (5150, sp.client_id, "manual")


def test_scope_unknown_to_the_registry_is_kept_reported_and_not_granted(app, client, runner):
    client_id = deliver(client, fc_approval()).get_json()["token_id"]
    deliver(client, api_event("approve", 2000, scopes=["dgfip_rfr", "dgfip_futur_scope"]))
    with app.app_context():
        stored = db.session.get(Habilitation, 5150)
        assert stored.approved_scopes == ["dgfip_rfr", "dgfip_futur_scope"]
    assert "dgfip_rfr" in allowed_scopes(app, client_id)
    assert "dgfip_futur_scope" not in allowed_scopes(app, client_id)
    shown = runner.invoke(args=["habilitations", "show", "5150"])
    assert shown.exit_code == 0
    assert json.loads(shown.output)["unknown_scope_keys"] == ["dgfip_futur_scope"]


def test_france_connect_client_is_updated_not_duplicated_by_a_new_approval(app, client):
    client_id = deliver(client, fc_approval()).get_json()["token_id"]
    renamed = fc_approval(fired_at=5000)
    renamed["data"]["data"]["intitule"] = "Nouveau nom"
    renamed["data"]["data"]["france_connect_eidas"] = "eidas_3"
    assert deliver(client, renamed).get_json()["token_id"] == client_id
    with app.app_context():
        (row,) = db.session.scalars(db.select(Client)).all()
        assert (row.name, row.eidas_level, row.client_secret_hash) == ("Nouveau nom", "eidas3", None)


def test_identity_scopes_of_the_sample_client(app, client):
    client_id = deliver(client, sample("approve-france-connect")).get_json()["token_id"]
    assert allowed_scopes(app, client_id) == IDENTITY_SCOPES.split()


class TestDatabaseFailure:
    """The audit table disappears mid-delivery: after the delivery and habilitation rows were written."""

    def test_failure_answers_503_applies_nothing_then_exactly_once_on_resend(self, app, client):
        audit_table = db.metadata.tables["audit_events"]
        with app.app_context():
            audit_table.drop(db.engine)
        failed = deliver(client, sample("approve-france-connect"))
        assert failed.status_code == 503
        assert failed.get_json()["error"] == "temporarily_unavailable"
        assert failed.headers["Retry-After"]
        with app.app_context():
            assert db.session.scalar(db.select(db.func.count(WebhookDelivery.id))) == 0
            assert db.session.get(Habilitation, 4242) is None
            assert db.session.scalar(db.select(db.func.count(Client.id))) == 0
            audit_table.create(db.engine)

        resent = deliver(client, sample("approve-france-connect"))
        assert resent.status_code == 200
        assert resent.get_json()["outcome"] == "applied"
        assert deliver(client, sample("approve-france-connect")).get_json()["outcome"] == "duplicate"
        assert count(app, WebhookDelivery) == 1
        assert count(app, Client) == 1
        assert count(app, AuditEvent, AuditEvent.kind == "client_created_from_habilitation") == 1
