"""The consent page and its two decisions (OIDC Core §3.1.2.4; RFC 6749 §4.1.2.1 access_denied;
RFC 9207 §2 iss in every authorization response)."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Consent
from tests.idp.conftest import IDENTITY_SCOPES, CodeFlow, csrf_token, query_of

ISSUER = "http://127.0.0.1:5000"


def reach_consent(flow: CodeFlow, **extra) -> None:
    """Run /authorize and sign in, stopping at the consent page."""
    response = flow.http.get("/authorize", query_string=flow.authorize_params(**extra))
    assert response.headers["Location"].startswith("/identity-providers")
    response = flow.http.get(flow.login().headers["Location"])
    assert response.status_code == 303
    assert response.headers["Location"] == "/consent"


def decide(flow: CodeFlow, decision: str):
    """Post the decision, then follow the redirect back to /authorize."""
    response = flow.consent(decision)
    assert response.status_code == 303
    return flow.http.get(response.headers["Location"])


def consents_of(app) -> list[Consent]:
    with app.app_context():
        return list(db.session.scalars(db.select(Consent)))


def test_accept_redirects_with_a_code_state_and_iss(app, flow: CodeFlow):
    reach_consent(flow)
    response = decide(flow, "accept")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(flow.sp.redirect_uri + "?")
    params = query_of(location)
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER
    assert flow.exchange(params["code"]).status_code == 200
    [consent] = consents_of(app)
    assert consent.scopes == set(IDENTITY_SCOPES.split())
    assert consent.revoked_at is None


def test_deny_redirects_with_access_denied_state_and_iss(app, flow: CodeFlow):
    reach_consent(flow)
    response = decide(flow, "deny")
    assert response.status_code == 302
    params = query_of(response.headers["Location"])
    assert response.headers["Location"].startswith(flow.sp.redirect_uri + "?")
    assert params["error"] == "access_denied"
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER
    assert "code" not in params
    assert consents_of(app) == []


def test_deny_is_not_remembered(flow: CodeFlow):
    """After a refusal, the next request asks again instead of refusing silently."""
    reach_consent(flow)
    decide(flow, "deny")
    response = flow.http.get("/authorize", query_string=flow.authorize_params())
    assert response.status_code == 303
    assert response.headers["Location"] == "/consent"


def test_accepted_consent_is_remembered(flow: CodeFlow):
    reach_consent(flow)
    decide(flow, "accept")
    response = flow.http.get("/authorize", query_string=flow.authorize_params(state="again"))
    assert response.status_code == 302
    assert query_of(response.headers["Location"])["state"] == "again"


@pytest.mark.parametrize(
    "form",
    [{}, {"decision": ""}, {"decision": "maybe"}, {"decision": "ACCEPT"}],
    ids=["missing", "empty", "unknown", "wrong-case"],
)
def test_bad_decision_is_a_400_and_records_nothing(app, flow: CodeFlow, form):
    reach_consent(flow)
    token = csrf_token(flow.http.get("/consent").get_data(as_text=True))
    response = flow.http.post("/consent", data={"csrf_token": token, **form})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert consents_of(app) == []


def test_decision_without_csrf_token_is_refused(app, flow: CodeFlow):
    reach_consent(flow)
    response = flow.http.post("/consent", data={"decision": "accept"})
    assert response.status_code == 400
    assert consents_of(app) == []


def test_consent_page_shows_registry_labels_grouped_by_provider(flow: CodeFlow):
    reach_consent(flow, scope="openid given_name family_name dgfip_rfr")
    html = flow.http.get("/consent").get_data(as_text=True)
    assert "Vous allez vous connecter en tant que" in html
    assert "Camille Anne Durand" in html
    assert "Portail test" in html
    assert "Informations récupérées depuis : FranceConnect" in html
    assert "Informations récupérées depuis : Direction générale des Finances publiques" in html
    for label in ("Prénom(s)", "Nom de naissance", "Identifiant technique"):
        assert f"<li>{label}</li>" in html
    # never a raw key
    for key in ("given_name", "family_name", "dgfip_rfr"):
        assert f"<li>{key}</li>" not in html
    assert 'name="decision" value="accept"' in html
    assert 'name="decision" value="deny"' in html


def test_consent_page_in_english(flow: CodeFlow):
    flow.http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    reach_consent(flow, scope="openid given_name family_name")
    html = flow.http.get("/consent").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "You are about to sign in as" in html
    assert "Information from FranceConnect" in html
    assert "<li>Given name(s)</li>" in html


def test_consent_without_pending_request_explains_what_to_do(flow: CodeFlow):
    flow.login()
    response = flow.http.get("/consent")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Aucune connexion en cours" in html
    assert "Retournez sur le site du service" in html
