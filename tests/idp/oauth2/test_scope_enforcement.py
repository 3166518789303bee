"""invalid_scope at /authorize (error redirect, RFC 6749 §4.1.2.1 + RFC 9207 iss) and at /token
(JSON 400, RFC 6749 §5.2) for each case: unknown, deprecated past its date, not allowed
for the client, malformed. The description names the offending keys; nothing is dropped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from idp.registry.admin import Actor, deprecate_scope
from tests.idp.conftest import IDENTITY_SCOPES, CodeFlow, query_of

ISSUER = "http://127.0.0.1:5000"
OPERATOR = Actor(client_id="test-operator", role="operator")
PAST = date.today() - timedelta(days=1)
FUTURE = date.today() + timedelta(days=365)


def deprecate(app, key: str, since: date) -> None:
    with app.app_context():
        deprecate_scope(OPERATOR, key, since)


# (scope requested next to openid, description expected); dgfip_rfr is deprecated since yesterday.
CASES = [
    ("no_such_scope", "unknown scope: no_such_scope"),
    ("dgfip_rfr", "deprecated scope: dgfip_rfr"),
    ("cnaf_quotient_familial", "scope not allowed for this client: cnaf_quotient_familial"),
    ('bad"quote', "malformed scope: bad?quote"),
    ("donnée", "malformed scope: donn?e"),
    (
        "no_such_scope cnaf_quotient_familial dgfip_rfr",
        "unknown scope: no_such_scope; deprecated scope: dgfip_rfr; "
        "scope not allowed for this client: cnaf_quotient_familial",
    ),
]
IDS = ["unknown", "deprecated", "not-allowed", "malformed-quote", "malformed-non-ascii", "all-named"]


@pytest.mark.parametrize(("extra", "description"), CASES, ids=IDS)
def test_authorize_redirects_invalid_scope_with_state_and_iss(app, flow: CodeFlow, extra, description):
    deprecate(app, "dgfip_rfr", PAST)
    response = flow.http.get("/authorize", query_string=flow.authorize_params(scope=f"openid {extra}"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(flow.sp.redirect_uri + "?")
    assert query_of(response.headers["Location"]) == {
        "error": "invalid_scope",
        "error_description": description,
        "state": "state-123",
        "iss": ISSUER,
    }


@pytest.mark.parametrize(("extra", "description"), CASES, ids=IDS)
def test_token_answers_invalid_scope_in_json(app, client, service_provider, extra, description):
    deprecate(app, "dgfip_rfr", PAST)
    response = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": f"openid {extra}"},
        auth=(service_provider.client_id, service_provider.client_secret),
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_scope", "error_description": description}
    assert response.headers["Cache-Control"] == "no-store"


def test_deprecated_scope_still_works_until_its_date(app, flow: CodeFlow):
    deprecate(app, "dgfip_rfr", FUTURE)
    tokens = flow.tokens(scope=f"{IDENTITY_SCOPES} dgfip_rfr")
    assert "dgfip_rfr" in tokens["scope"].split()


def test_scope_deprecated_between_authorize_and_token_is_refused_at_token(app, flow: CodeFlow):
    code = flow.code(scope=f"{IDENTITY_SCOPES} dgfip_rfr")
    deprecate(app, "dgfip_rfr", date.today())
    response = flow.exchange(code)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_scope"
    assert "dgfip_rfr" in body["error_description"]

