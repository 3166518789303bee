"""Acceptance: the DataPass samples, signed and posted, decide what the client may request."""

from __future__ import annotations

from idp.clients.admin import ClientSettings, update_client
from idp.extensions import db
from idp.models import Client, Habilitation, WebhookDelivery
from tests.idp.conftest import IDENTITY_SCOPES, REDIRECT_URI, CodeFlow, ServiceProvider, query_of
from tests.idp.datapass.conftest import deliver, sample

TAX_SCOPES = "dgfip_rfr dgfip_nbpart dgfip_annee_n_moins_1"


def provision(app, http) -> ServiceProvider:
    """Both approvals, then the operator's redirect URI and secret (``idp clients update``)."""
    fc = deliver(http, sample("approve-france-connect"))
    assert fc.status_code == 200, fc.get_json()
    client_id = fc.get_json()["token_id"]
    with app.app_context():
        client = db.session.scalar(db.select(Client).where(Client.client_id == client_id))
        assert (client.name, client.eidas_level, client.redirect_uris) == (
            "Portail des aides sociales de la ville",
            "eidas1",
            [],
        )
        assert client.client_secret_hash is None
        _, secret = update_client(client_id, ClientSettings(redirect_uris=[REDIRECT_URI]))
    assert secret
    api = deliver(http, sample("approve-api-impot-particulier"))
    assert api.status_code == 200, api.get_json()
    assert api.get_json() == {"outcome": "applied", "habilitation_id": 5150, "token_id": client_id}
    return ServiceProvider(client_id, secret)


def test_ping_gets_200_and_stores_nothing(app, client):
    response = deliver(client, sample("ping"))
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(WebhookDelivery.id))) == 0


def test_samples_grant_then_revoke_dgfip_rfr(app, client, citizen):
    sp = provision(app, client)
    flow = CodeFlow(client, sp)
    tokens = flow.tokens(scope=f"{IDENTITY_SCOPES} {TAX_SCOPES}")
    assert set(tokens["scope"].split()) >= {"dgfip_rfr", "dgfip_nbpart", "openid"}

    revoked = deliver(client, sample("revoke-api-impot-particulier"))
    assert revoked.status_code == 200
    assert revoked.get_json() == {"outcome": "applied", "habilitation_id": 5150}

    after = CodeFlow(client, sp).authorize(scope=f"{IDENTITY_SCOPES} dgfip_rfr")
    assert after.status_code == 302
    error = query_of(after.headers["Location"])
    assert error["error"] == "invalid_scope"
    assert "dgfip_rfr" in error["error_description"]
    # The FranceConnect habilitation still grants the identity scopes.
    assert "access_token" in CodeFlow(client, sp).tokens(scope=IDENTITY_SCOPES)
    with app.app_context():
        api = db.session.get(Habilitation, 5150)
        assert (api.state, api.active, api.client_id) == ("revoked", False, sp.client_id)


def test_refresh_stops_yielding_revoked_scopes(app, client, citizen):
    sp = provision(app, client)
    with app.app_context():
        update_client(sp.client_id, ClientSettings(operator_scope_override=["offline_access"]))
    flow = CodeFlow(client, sp)
    tokens = flow.tokens(scope="openid dgfip_rfr offline_access")
    assert "dgfip_rfr" in tokens["scope"].split()

    assert deliver(client, sample("revoke-api-impot-particulier")).status_code == 200
    refreshed = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(sp.client_id, sp.client_secret),
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    assert refreshed.get_json()["scope"].split() == ["openid", "offline_access"]
