"""/account, "Mes échanges de données": listing consents, withdrawing one, and its effects
(tokens issued under it stop working: RFC 6749 §6 invalid_grant on refresh)."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Consent
from tests.idp.conftest import IDENTITY_SCOPES, PASSWORD, CodeFlow, csrf_token, make_client

OFFLINE_SCOPES = IDENTITY_SCOPES + " offline_access"


def refresh(flow: CodeFlow, token: str):
    return flow.http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(flow.sp.client_id, flow.sp.client_secret),
    )


def the_consent(app) -> Consent:
    with app.app_context():
        return db.session.scalars(db.select(Consent)).one()


def withdraw(flow: CodeFlow, consent_id: int, with_token: bool = True):
    page = flow.http.get("/login").get_data(as_text=True)  # the session's token, on any form
    data = {"csrf_token": csrf_token(page)} if with_token else {}
    return flow.http.post(f"/account/consents/{consent_id}/withdraw", data=data)


def test_account_requires_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 303
    assert response.headers["Location"] == "/identity-providers?next=/account"


def test_sign_in_from_account_comes_back_to_it(client, citizen):
    page = client.get("/login?next=/account").get_data(as_text=True)
    response = client.post(
        "/login?next=/account",
        data={"username": citizen, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    "next_value",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aX:1\r\n"],
    ids=["absolute", "scheme-relative", "backslash", "javascript", "header-injection"],
)
def test_sign_in_never_redirects_off_site(client, citizen, next_value):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        query_string={"next": next_value},
        data={"username": citizen, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] in ("/account", next_value.replace("\r\n", ""))
    assert response.headers["Location"].startswith("/") and not response.headers["Location"].startswith("//")


def test_account_lists_service_labels_and_dates(app, flow: CodeFlow):
    flow.tokens(scope="openid given_name family_name dgfip_rfr")
    html = flow.http.get("/account").get_data(as_text=True)
    assert "<h1>Mes échanges de données</h1>" in html
    assert "<h2>Portail test</h2>" in html
    assert "Informations récupérées depuis : Direction générale des Finances publiques" in html
    for label in ("Prénom(s)", "Nom de naissance"):
        assert f"<li>{label}</li>" in html
    consent = the_consent(app)
    assert consent.last_issued_at is not None
    assert "Autorisé le" in html
    assert "Aucune pour le moment" not in html  # tokens were issued


def test_last_issuance_is_empty_before_any_token(flow: CodeFlow):
    flow.code()
    html = flow.http.get("/account").get_data(as_text=True)
    assert "Aucune pour le moment" in html


def test_last_issuance_follows_refresh(app, flow: CodeFlow):
    tokens = flow.tokens(scope=OFFLINE_SCOPES)
    first = the_consent(app).last_issued_at
    assert refresh(flow, tokens["refresh_token"]).status_code == 200
    assert the_consent(app).last_issued_at >= first


def test_withdrawal_revokes_refresh_tokens_and_consent_is_asked_again(app, flow: CodeFlow):
    tokens = flow.tokens(scope=OFFLINE_SCOPES)
    consent = the_consent(app)

    response = withdraw(flow, consent.id)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    page = flow.http.get("/account").get_data(as_text=True)
    assert "Votre autorisation pour « Portail test » est retirée" in page
    assert "<h2>Portail test</h2>" not in page
    assert the_consent(app).revoked_at is not None

    refreshed = refresh(flow, tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.get_json()["error"] == "invalid_grant"

    again = flow.http.get("/authorize", query_string=flow.authorize_params(scope=OFFLINE_SCOPES))
    assert again.status_code == 303
    assert again.headers["Location"] == "/consent"


def test_withdrawal_without_csrf_token_changes_nothing(app, flow: CodeFlow):
    tokens = flow.tokens(scope=OFFLINE_SCOPES)
    response = withdraw(flow, the_consent(app).id, with_token=False)
    assert response.status_code == 400
    assert the_consent(app).revoked_at is None
    assert refresh(flow, tokens["refresh_token"]).status_code == 200


def test_withdrawal_by_get_is_not_allowed(app, flow: CodeFlow):
    flow.tokens()
    response = flow.http.get(f"/account/consents/{the_consent(app).id}/withdraw")
    assert response.status_code == 405
    assert the_consent(app).revoked_at is None


def test_cannot_withdraw_someone_elses_consent(app, client, flow: CodeFlow):
    flow.tokens()
    victim_consent = the_consent(app)
    with app.app_context():
        from idp.citizens.users import create_user

        create_user(
            username="intruder",
            password=PASSWORD,
            given_name="Ivan",
            family_name="Intrus",
            birthdate="1970-01-01",
            gender="male",
            birthplace="75056",
            birthcountry="99100",
        )
    other = app.test_client()
    intruder = CodeFlow(other, make_client(app), username="intruder")
    intruder.login()
    response = withdraw(intruder, victim_consent.id)
    assert response.status_code == 404
    assert the_consent(app).revoked_at is None


def test_withdrawing_an_unknown_consent_is_a_404(flow: CodeFlow):
    flow.login()
    assert withdraw(flow, 999_999).status_code == 404


def test_scopes_no_longer_allowed_are_not_shown_as_shared(app, flow: CodeFlow):
    """Issue 4: a revoked habilitation's scopes stop being shown as valid consents."""
    from idp.clients.admin import ClientSettings, update_client

    flow.tokens(scope="openid family_name dgfip_rfr")
    assert "Revenu fiscal de référence" in flow.http.get("/account").get_data(as_text=True)
    with app.app_context():
        update_client(flow.sp.client_id, ClientSettings(operator_scope_override=["openid", "family_name"]))
    page = flow.http.get("/account").get_data(as_text=True)
    consents, history = page.split("Historique des connexions")
    assert "Revenu fiscal de référence" not in consents
    assert "Nom de naissance" in consents
    assert "Revenu fiscal de référence" in history  # what was shared then stays in the history
