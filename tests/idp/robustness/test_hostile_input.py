"""Inputs seen in practice that once gave a 500 or a false 503: each gets a 4xx now.

Per endpoint, in tables: text that Authlib refuses to echo in an error, NUL bytes, numbers
past the columns, JSON nested thousands deep. (The DataPass cases are in
``tests/idp/datapass/test_receiver.py``, the client assertions in
``tests/idp/oauth2/test_client_assertions.py``.)
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.idp.conftest import csrf_token


def assert_4xx(response) -> None:
    assert 400 <= response.status_code < 500 or response.status_code in (302, 303), (
        response.status_code,
        response.get_data(as_text=True)[:300],
    )


AUTHORIZE_CASES = {
    "prompt non-ASCII": {"prompt": "é"},
    "acr_values quote": {"acr_values": '"'},
    "response_type quote": {"response_type": '"'},
    "response_type backslash": {"response_type": "co\\de"},
    "redirect_uri quote": {"redirect_uri_suffix": '"'},
    "redirect_uri non-ASCII": {"redirect_uri_suffix": "é"},
    "client_id NUL": {"client_id": "abc\x00def"},
    "state control": {"state": "a\x01b"},
    "nonce quote": {"nonce": 'n"once'},
    "scope quote": {"scope": 'openid "x'},
    "max_age huge": {"max_age": "9" * 9},
    "code_challenge_method quote": {"code_challenge_method": '"'},
}


@pytest.mark.parametrize("case", list(AUTHORIZE_CASES), ids=list(AUTHORIZE_CASES))
def test_authorize(flow, case):
    overrides = dict(AUTHORIZE_CASES[case])
    suffix = overrides.pop("redirect_uri_suffix", None)
    if suffix is not None:
        overrides["redirect_uri"] = flow.sp.redirect_uri + suffix
    response = flow.http.get("/authorize", query_string=flow.authorize_params(**overrides))
    assert_4xx(response)
    if response.status_code == 302:
        assert "error=" in response.headers["Location"]


def test_authorize_with_a_repeated_parameter_named_quote(flow):
    query = urlencode(flow.authorize_params()) + "&%22=1&%22=2"
    assert_4xx(flow.http.get("/authorize?" + query))


TOKEN_CASES = {
    "grant_type quote": {"grant_type": '"'},
    "grant_type non-ASCII": {"grant_type": "é"},
    "client_id NUL": {"grant_type": "client_credentials", "client_id": "a\x00", "client_secret": "x"},
    "code quote": {"grant_type": "authorization_code", "code": 'c"ode', "redirect_uri": "https://x/"},
    "redirect_uri quote": {"grant_type": "authorization_code", "code": "c", "redirect_uri": 'https://x/"'},
    "refresh_token backslash": {"grant_type": "refresh_token", "refresh_token": "r\\t"},
    "code_verifier quote": {"grant_type": "authorization_code", "code": "c", "code_verifier": '"' * 43},
    "scope quote": {"grant_type": "client_credentials", "scope": '"'},
}


@pytest.mark.parametrize("case", list(TOKEN_CASES), ids=list(TOKEN_CASES))
def test_token(client, service_provider, case):
    response = client.post("/token", data=TOKEN_CASES[case], auth=(service_provider.client_id, "x"))
    assert_4xx(response)
    assert response.get_json()["error"]


def test_token_with_a_repeated_parameter_named_quote(client, service_provider):
    body = "grant_type=client_credentials&%22=1&%22=2"
    response = client.post(
        "/token",
        data=body,
        content_type="application/x-www-form-urlencoded",
        auth=(service_provider.client_id, service_provider.client_secret),
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize("path", ["/introspect", "/checktoken", "/revoke"])
@pytest.mark.parametrize("client_id", ["a\x00b", "é", "x" * 5000])
def test_machine_endpoints_with_a_hostile_client_id(client, path, client_id):
    response = client.post(path, data={"token": "t", "client_id": client_id, "client_secret": "s"})
    assert (response.status_code, response.get_json()["error"]) in (
        (400, "invalid_request"),
        (401, "invalid_client"),
    )


@pytest.mark.parametrize("username", ["a\x00b", "\x1b[31m", "x" * 10_000])
def test_sign_in_with_a_hostile_username(client, username):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": "p", "csrf_token": token})
    assert response.status_code == 401


def test_withdrawing_a_consent_id_of_twenty_digits(flow):
    flow.tokens()
    token = csrf_token(flow.http.get("/account").get_data(as_text=True))
    response = flow.http.post("/account/consents/12345678901234567890/withdraw", data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize("body", [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000])
def test_registry_api_with_json_nested_ten_thousand_deep(client, body):
    response = client.post("/api/v1/scopes", data=body, content_type="application/json")
    assert response.status_code in (400, 401)


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke", "/checktoken"])
@pytest.mark.parametrize("authorization", ["Basic ", "Basic \t", "Bearer "])
def test_an_authorization_header_of_a_scheme_and_blanks_is_invalid_client(client, path, authorization):
    form = {"token": "t", "grant_type": "client_credentials", "scope": "x"}
    response = client.post(path, data=form, headers={"Authorization": authorization})
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] in ("invalid_client", "invalid_request")
