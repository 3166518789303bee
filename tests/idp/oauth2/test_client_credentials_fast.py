"""The lean client_credentials path answers exactly as Authlib would, or lets Authlib answer."""

from __future__ import annotations

import base64

import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer as AuthlibServer
from flask import request

from idp import keystore
from idp.extensions import db
from idp.models import AccessTokenRecord
from idp.oauth2 import authorization_server
from idp.oauth2.client_credentials_fast import client_credentials_response
from idp.oauth2.secret_auth import authenticate_with_secret
from tests.idp.conftest import make_client


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def credentials(sp, method: str, secret: str | None = None) -> tuple[dict, dict]:
    """(form fields, headers) authenticating ``sp`` with ``method``."""
    secret = sp.client_secret if secret is None else secret
    if method == "client_secret_basic":
        return {}, {"Authorization": basic(sp.client_id, secret)}
    return {"client_id": sp.client_id, "client_secret": secret}, {}


def answer(app, path: str, data: dict, headers: dict, *, lean: bool):
    """The lean path's response, or Authlib's own for the same request; committed."""
    with app.test_request_context(path, method="POST", data=data, headers=headers):
        server = authorization_server()
        if lean:
            response = client_credentials_response(request, server.handle_response)
        else:
            response = AuthlibServer.create_token_response(server)
        db.session.commit()
        return response


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("scope", ["dgfip_rfr", "dgfip_rfr  dgfip_rfr"])
def test_lean_and_authlib_answers_match(app, method, scope):
    sp = make_client(app, auth_method=method)
    form, headers = credentials(sp, method)
    data = {"grant_type": "client_credentials", "scope": scope, **form}
    lean = answer(app, "/token", data, headers, lean=True)
    upstream = answer(app, "/token", data, headers, lean=False)
    assert lean is not None
    assert (lean.status_code, lean.headers.to_wsgi_list()) == (
        upstream.status_code,
        upstream.headers.to_wsgi_list(),
    )
    lean_body, upstream_body = lean.get_json(), upstream.get_json()
    assert lean_body.keys() == upstream_body.keys()
    for name in ("token_type", "expires_in", "scope"):
        assert lean_body[name] == upstream_body[name]
    with app.app_context():
        ring = keystore.keyring()
        lean_claims = ring.verify(lean_body["access_token"], typ="at+jwt")
        upstream_claims = ring.verify(upstream_body["access_token"], typ="at+jwt")
        assert lean_claims.keys() == upstream_claims.keys()
        for name in ("iss", "sub", "aud", "client_id", "scope"):
            assert lean_claims[name] == upstream_claims[name]
        records = [db.session.get(AccessTokenRecord, c["jti"]) for c in (lean_claims, upstream_claims)]
        assert [(r.client_id, r.scope, r.user_id, r.grant_id) for r in records] == [
            (sp.client_id, "dgfip_rfr", None, None)
        ] * 2


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("wrong secret", 401, "invalid_client"),
        ("post for a basic client", 401, "invalid_client"),
        ("basic header and body credentials", 200, None),
        ("unknown parameter", 200, None),
        ("query parameter", 200, None),
        ("scope outside the habilitations", 400, "invalid_scope"),
        ("no scope", 400, "invalid_scope"),
        ("other grant", 400, "invalid_request"),
    ],
)
def test_lean_path_declines_and_authlib_answers(app, client, case, status, error):
    sp = make_client(app, auth_method="client_secret_basic")
    form, headers = credentials(sp, "client_secret_basic")
    data = {"grant_type": "client_credentials", "scope": "dgfip_rfr", **form}
    path = "/token"
    if case == "wrong secret":
        headers = {"Authorization": basic(sp.client_id, "nope")}
    elif case == "post for a basic client":
        headers = {}
        data.update(credentials(sp, "client_secret_post")[0])
    elif case == "basic header and body credentials":
        data["client_id"] = sp.client_id
    elif case == "unknown parameter":
        data["resource"] = "https://api.example.fr"
    elif case == "query parameter":
        path = "/token?foo=bar"
    elif case == "scope outside the habilitations":
        data["scope"] = "dgfip_rfr openid_unknown"
    elif case == "no scope":
        del data["scope"]
    else:
        data["grant_type"] = "authorization_code"
    with app.test_request_context(path, method="POST", data=data, headers=headers):
        assert client_credentials_response(request, authorization_server().handle_response) is None
    response = client.post(path, data=data, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    if error:
        assert response.get_json()["error"] == error


@pytest.mark.parametrize(
    ("registered", "sent", "methods", "found"),
    [
        ("client_secret_basic", "client_secret_basic", ("client_secret_basic",), True),
        ("client_secret_post", "client_secret_post", ("client_secret_post",), True),
        ("client_secret_basic", "client_secret_post", ("client_secret_basic", "client_secret_post"), False),
        ("client_secret_post", "client_secret_basic", ("client_secret_basic", "client_secret_post"), False),
        ("client_secret_basic", "client_secret_basic", ("client_secret_post",), False),
    ],
)
def test_authenticate_with_secret(app, registered, sent, methods, found):
    sp = make_client(app, auth_method=registered)
    for secret, expected in ((sp.client_secret, found), ("wrong", False)):
        form, headers = credentials(sp, sent, secret)
        with app.test_request_context("/introspect", method="POST", data=form, headers=headers):
            client = authenticate_with_secret(request, methods, "introspection")
            assert (client is not None and client.client_id == sp.client_id) is expected
