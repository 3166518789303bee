"""Authorization endpoint errors: redirect with error, state and iss only when the client and
redirect URI are valid (RFC 6749 §4.1.2.1, RFC 9207 §2); otherwise a page, never a redirect."""

from __future__ import annotations

import pytest

from tests.idp.conftest import CodeFlow, make_client, query_of

ISSUER = "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": None},
        {"client_id": "no-such-client"},
        {"client_id": "x" * 5000},
        {"redirect_uri": None},
        {"redirect_uri": "https://attacker.example/callback"},
        {"redirect_uri": "https://sp.example.fr/callback/extra"},
        {"redirect_uri": "https://sp.example.fr/callback?x=1"},
    ],
    ids=[
        "no-client",
        "unknown-client",
        "huge-client-id",
        "no-redirect",
        "foreign-redirect",
        "prefix-redirect",
        "query-added-redirect",
    ],
)
def test_untrusted_client_or_redirect_shows_a_page(flow: CodeFlow, overrides):
    response = flow.http.get("/authorize", query_string=flow.authorize_params(**overrides))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"


def test_repeated_parameter_is_refused_without_redirect(flow: CodeFlow):
    params = [*flow.authorize_params().items(), ("scope", "openid")]
    response = flow.http.get("/authorize", query_string=params)
    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": None}, "unsupported_response_type"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "openid unknown_scope"}, "invalid_scope"),
        ({"scope": "openid cnaf_quotient_familial"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "select_account"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"acr_values": "eidas3"}, "invalid_acr"),
        ({"claims": '{"id_token": {"acr": {"essential": true, "values": ["eidas3"]}}}'}, "invalid_acr"),
        ({"state": None}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"nonce": "n" * 21}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": "[]"}, "invalid_request"),
        ({"claims": '{"id_token": []}'}, "invalid_request"),
        ({"claims": '{"id_token": {"acr": "eidas1"}}'}, "invalid_request"),
        ({"claims": '{"id_token": {"acr": {"essential": "yes"}}}'}, "invalid_request"),
        ({"claims": '{"userinfo": {"acr": {"values": "eidas1"}}}'}, "invalid_request"),
        ({"claims": '{"id_token": {"amr": {"essential": true}}}'}, "invalid_request"),  # amr not allowed
        ({"claims": "x" * 5000}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://sp.example.fr/req"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"state": "s" * 5000}, "invalid_request"),
        ({"nonce": "n" * 5000}, "invalid_request"),
    ],
)
def test_errors_redirect_with_state_and_iss(flow: CodeFlow, overrides, error):
    response = flow.http.get("/authorize", query_string=flow.authorize_params(**overrides))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(flow.sp.redirect_uri + "?")
    params = query_of(location)
    assert params["error"] == error
    assert params["iss"] == ISSUER
    if "state" not in overrides:
        assert params["state"] == "state-123"
    elif overrides["state"] is None:
        assert "state" not in params


def test_success_carries_code_state_and_iss(flow: CodeFlow):
    response = flow.authorize()
    params = query_of(response.headers["Location"])
    assert set(params) == {"code", "state", "iss"}
    assert params["iss"] == ISSUER
    assert params["state"] == "state-123"


def test_form_post_authorization_request_is_accepted(flow: CodeFlow):
    flow.login()
    flow.authorize()  # consent once
    response = flow.http.post("/authorize", data=flow.authorize_params())
    assert response.status_code == 302
    assert "code" in query_of(response.headers["Location"])


def test_prompt_none_with_session_and_consent_issues_a_code(flow: CodeFlow):
    flow.authorize()
    response = flow.http.get("/authorize", query_string=flow.authorize_params(prompt="none"))
    assert "code" in query_of(response.headers["Location"])


def test_prompt_none_without_consent_is_consent_required(flow: CodeFlow):
    flow.login()
    response = flow.http.get("/authorize", query_string=flow.authorize_params(prompt="none"))
    assert query_of(response.headers["Location"])["error"] == "consent_required"


def test_prompt_login_forces_a_new_sign_in(flow: CodeFlow):
    flow.authorize()
    response = flow.http.get("/authorize", query_string=flow.authorize_params(prompt="login"))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/identity-providers")


def test_prompt_consent_asks_again(flow: CodeFlow):
    flow.authorize()
    response = flow.http.get("/authorize", query_string=flow.authorize_params(prompt="consent"))
    assert response.headers["Location"].startswith("/consent")


def test_max_age_zero_forces_sign_in_and_is_then_satisfied(flow: CodeFlow):
    flow.authorize()
    response = flow.http.get("/authorize", query_string=flow.authorize_params(max_age="0"))
    assert response.headers["Location"].startswith("/identity-providers")
    final = flow.authorize(max_age="0")
    assert "code" in query_of(final.headers["Location"])


def test_login_hint_prefills_the_username(flow: CodeFlow):
    flow.http.get("/authorize", query_string=flow.authorize_params(login_hint="camille"))
    page = flow.http.get("/login").get_data(as_text=True)
    assert 'value="camille"' in page


def test_consent_is_remembered(flow: CodeFlow):
    flow.authorize()
    second = flow.http.get("/authorize", query_string=flow.authorize_params())
    assert second.status_code == 302
    assert "code" in query_of(second.headers["Location"])


def test_deny_returns_access_denied(flow: CodeFlow):
    response = flow.http.get("/authorize", query_string=flow.authorize_params())
    flow.http.get(flow.login().headers["Location"])
    final = flow.http.get(flow.consent("deny").headers["Location"])
    params = query_of(final.headers["Location"])
    assert params["error"] == "access_denied"
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("acr_values", "acr"),
    [("eidas1", "eidas1"), ("eidas9", "eidas1"), ("eidas1 eidas9", "eidas1"), ("", "eidas1")],
    ids=["known", "unknown", "known-and-unknown", "empty"],
)
def test_unknown_acr_values_fall_back_to_the_services_level(flow: CodeFlow, acr_values, acr):
    """FranceConnect's ``pickAcr``: the lowest known level asked, or the default."""
    flow.login()
    response = flow.authorize(acr_values=acr_values)
    assert "code" in query_of(response.headers["Location"]), response.headers["Location"]


def test_invalid_acr_names_the_levels_that_can_be_reached(flow: CodeFlow):
    """FranceConnect's ``rejectInvalidAcr`` wording: expected <levels>, got <level>."""
    response = flow.http.get("/authorize", query_string=flow.authorize_params(acr_values="eidas2 eidas3"))
    params = query_of(response.headers["Location"])
    assert params["error"] == "invalid_acr"
    assert params["error_description"] == (
        "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas2"
    )


@pytest.mark.parametrize(
    ("prompt", "error"), [("none", "invalid_request"), ("login", None), ("login consent", None)]
)
def test_a_service_with_allowed_prompts_may_send_only_those(app, client, citizen, prompt, error):
    """FranceConnect's per-service ``allowedPrompts``."""
    flow = CodeFlow(client, make_client(app, allowed_prompts=["login", "consent"]))
    flow.login()
    response = flow.authorize(prompt=prompt)
    params = query_of(response.headers["Location"])
    assert params.get("error") == error, params
