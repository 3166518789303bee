"""Token endpoint (RFC 6749 §3.2, §4.1.3, §5.2, §6; RFC 7636; RFC 9700 §4.14)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from idp.citizens.consents import withdraw_consent
from idp.extensions import db
from idp.models import AuthorizationCode, utcnow
from tests.idp.conftest import CodeFlow, make_client


def assert_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "camille", "password": "x"}, 400, "unsupported_grant_type"),
        ({"grant_type": "implicit"}, 400, "unsupported_grant_type"),
        ({"code": None}, 400, "invalid_request"),
        ({"code": "not-a-code"}, 400, "invalid_grant"),
        ({"code": "c" * 5000}, 400, "invalid_grant"),
        ({"code_verifier": None}, 400, "invalid_request"),
        ({"code_verifier": "w" * 50}, 400, "invalid_grant"),
        ({"redirect_uri": "https://sp.example.fr/other"}, 400, "invalid_grant"),
        ({"redirect_uri": None}, 400, "invalid_request"),
    ],
)
def test_code_exchange_errors(flow: CodeFlow, data, status, error):
    code = flow.code()
    assert_error(flow.exchange(code, **data), status, error)


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        (("wrong-client", "secret"), 401),
        (None, 401),
    ],
)
def test_client_authentication_failures(flow: CodeFlow, auth, status):
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.sp.redirect_uri,
        "code_verifier": flow.verifier,
    }
    response = flow.http.post("/token", data=data, auth=auth)
    assert_error(response, status, "invalid_client")


def test_wrong_secret_gets_401_with_www_authenticate(flow: CodeFlow):
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.sp.redirect_uri,
        "code_verifier": flow.verifier,
    }
    response = flow.http.post("/token", data=data, auth=(flow.sp.client_id, "wrong-secret"))
    assert_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_repeated_parameter_is_invalid_request(flow: CodeFlow):
    code = flow.code()
    body = (
        f"grant_type=authorization_code&code={code}&code={code}"
        f"&redirect_uri={flow.sp.redirect_uri}&code_verifier={flow.verifier}"
    )
    response = flow.http.post(
        "/token",
        data=body,
        content_type="application/x-www-form-urlencoded",
        auth=(flow.sp.client_id, flow.sp.client_secret),
    )
    assert_error(response, 400, "invalid_request")


def test_oversized_body_is_rejected(flow: CodeFlow):
    response = flow.http.post("/token", data={"grant_type": "authorization_code", "code": "x" * 200_000})
    assert response.status_code == 413
    assert response.get_json()["error"] == "invalid_request"


def test_code_is_single_use_and_replay_revokes_tokens(flow: CodeFlow):
    code = flow.code()
    first = flow.exchange(code)
    assert first.status_code == 200
    access_token = first.get_json()["access_token"]
    assert flow.http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code == 200
    assert_error(flow.exchange(code), 400, "invalid_grant")
    revoked = flow.http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert revoked.status_code == 401


def test_expired_code_is_invalid_grant(app, flow: CodeFlow):
    code = flow.code()
    with app.app_context():
        db.session.execute(db.update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(flow.exchange(code), 400, "invalid_grant")


def test_code_of_another_client_is_invalid_grant(app, flow: CodeFlow):
    code = flow.code()
    other = make_client(app, name="Autre")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.sp.redirect_uri,
        "code_verifier": flow.verifier,
    }
    response = flow.http.post("/token", data=data, auth=(other.client_id, other.client_secret))
    assert_error(response, 400, "invalid_grant")
    assert flow.exchange(code).status_code == 200  # not consumed by the other client's attempt


def test_a_code_whose_consent_was_withdrawn_is_invalid_grant_and_stays_unclaimed(app, flow: CodeFlow):
    code = flow.code()
    with app.app_context():
        row = db.session.execute(
            db.select(AuthorizationCode.id, AuthorizationCode.user_id, AuthorizationCode.consent_id).where(
                AuthorizationCode.client_id == flow.sp.client_id
            )
        ).one()
        assert withdraw_consent(row.user_id, row.consent_id)
    response = flow.exchange(code)
    assert_error(response, 400, "invalid_grant")
    assert "consent" in response.get_json()["error_description"]
    with app.app_context():
        assert db.session.get(AuthorizationCode, row.id).used_at is None


def test_client_secret_post_and_public_client(app, client, citizen):
    post_client = make_client(app, auth_method="client_secret_post")
    flow = CodeFlow(client, post_client)
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": post_client.redirect_uri,
        "code_verifier": flow.verifier,
        "client_id": post_client.client_id,
        "client_secret": post_client.client_secret,
    }
    assert client.post("/token", data=data).status_code == 200

    public = make_client(app, auth_method="none")
    assert public.client_secret is None
    flow = CodeFlow(client, public)
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": public.redirect_uri,
        "code_verifier": flow.verifier,
        "client_id": public.client_id,
    }
    response = client.post("/token", data=data)
    assert response.status_code == 200, response.get_json()
    assert "refresh_token" not in response.get_json()


def refresh(flow: CodeFlow, token: str, **extra):
    data = {"grant_type": "refresh_token", "refresh_token": token, **extra}
    return flow.http.post("/token", data=data, auth=(flow.sp.client_id, flow.sp.client_secret))


def test_refresh_rotates_and_reuse_revokes_the_family(flow: CodeFlow):
    from tests.idp.conftest import IDENTITY_SCOPES

    tokens = flow.tokens(scope=IDENTITY_SCOPES + " offline_access")
    first_refresh = tokens["refresh_token"]
    rotated = refresh(flow, first_refresh)
    assert rotated.status_code == 200, rotated.get_json()
    second = rotated.get_json()
    assert second["refresh_token"] != first_refresh
    # Reusing the first refresh token is theft: the whole family dies (RFC 9700 §4.14.2).
    assert_error(refresh(flow, first_refresh), 400, "invalid_grant")
    assert_error(refresh(flow, second["refresh_token"]), 400, "invalid_grant")
    userinfo = flow.http.get("/userinfo", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert userinfo.status_code == 401


def test_no_refresh_token_without_offline_access(flow: CodeFlow):
    assert "refresh_token" not in flow.tokens()


def test_refresh_cannot_widen_scope(flow: CodeFlow):
    from tests.idp.conftest import IDENTITY_SCOPES

    tokens = flow.tokens(scope="openid offline_access")
    assert_error(refresh(flow, tokens["refresh_token"], scope=IDENTITY_SCOPES), 400, "invalid_scope")


def test_refresh_stops_yielding_scopes_no_longer_allowed(app, flow: CodeFlow):
    from idp.clients.admin import ClientSettings, update_client

    tokens = flow.tokens(scope="openid email offline_access")
    with app.app_context():
        update_client(flow.sp.client_id, ClientSettings(operator_scope_override=["openid", "offline_access"]))
    response = refresh(flow, tokens["refresh_token"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scope"].split() == ["openid", "offline_access"]


def test_refresh_token_of_another_client_is_invalid_grant(app, flow: CodeFlow):
    tokens = flow.tokens(scope="openid offline_access")
    other = make_client(app, name="Autre")
    response = flow.http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(other.client_id, other.client_secret),
    )
    assert_error(response, 400, "invalid_grant")
    # Not consumed: the owner's next refresh works, and its family stands.
    owner = refresh(flow, tokens["refresh_token"])
    assert owner.status_code == 200, owner.get_json()


@pytest.mark.parametrize(
    ("scope", "status", "error"),
    [
        ("dgfip_statistiques", 200, None),
        ("dgfip_rfr", 400, "invalid_scope"),
        ("openid", 400, "invalid_scope"),
        ("dgfip_statistiques dgfip_rfr", 400, "invalid_scope"),
        (None, 400, "invalid_scope"),
        ("cnaf_quotient_familial", 400, "invalid_scope"),
        ("no_such_scope", 400, "invalid_scope"),
    ],
)
def test_client_credentials(flow: CodeFlow, scope, status, error):
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = flow.http.post("/token", data=data, auth=(flow.sp.client_id, flow.sp.client_secret))
    assert response.status_code == status, response.get_json()
    if error:
        assert response.get_json()["error"] == error
    else:
        body = response.get_json()
        assert body["token_type"] == "Bearer"
        assert body["scope"] == scope
        assert "refresh_token" not in body


def test_citizen_data_is_never_issued_without_a_citizen(flow: CodeFlow):
    """DESIGN, "Machine tokens": client_credentials gets machine-usable scopes only, and the
    refusal names the citizen scopes."""
    response = flow.http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "dgfip_rfr given_name"},
        auth=(flow.sp.client_id, flow.sp.client_secret),
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_scope",
        "error_description": (
            "scopes of a citizen's data, never granted without the citizen: dgfip_rfr, given_name"
        ),
    }


def test_public_client_cannot_use_client_credentials(app, client):
    public = make_client(app, auth_method="none")
    response = client.post(
        "/token", data={"grant_type": "client_credentials", "scope": "openid", "client_id": public.client_id}
    )
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] in ("unauthorized_client", "invalid_client")
