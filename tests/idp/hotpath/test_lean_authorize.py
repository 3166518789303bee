"""``GET /authorize`` in front of Flask (idp.hotpath.authorize): the code of a citizen signed
in and consented, exactly as the view issues it; every other answer is Flask's own.

Flask's ``request_started`` signal tells which adapter answered (as in test_lean_path.py).
"""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import AuthorizationCode, ConnectionEvent
from tests.idp.conftest import IDENTITY_SCOPES, csrf_token, query_of
from tests.idp.hotpath.conftest import Answered, comparable_headers


@pytest.fixture
def answered(app, flask_only):
    return Answered(app, flask_only)


@pytest.fixture
def consented(flow, answered):
    """The citizen signed in and consented through the pages (Flask) once."""
    flow.code()
    answered.by_flask(flow.http.application)
    return flow


def authorize(flow, **extra):
    return flow.http.get("/authorize", query_string=flow.authorize_params(**extra))


def test_the_code_of_a_consented_citizen_comes_from_the_lean_path(app, flask_only, consented, answered):
    lean = authorize(consented)
    assert lean.status_code == 302
    assert not answered.by_flask(app)

    reference_client = flask_only.test_client()
    reference_client.set_cookie(
        app.config["SESSION_COOKIE_NAME"], consented.http.get_cookie("idp_session").value
    )
    reference = reference_client.get("/authorize", query_string=consented.authorize_params())
    assert answered.by_flask(flask_only)
    assert reference.status_code == 302
    lean_query, reference_query = query_of(lean.headers["Location"]), query_of(reference.headers["Location"])
    assert lean_query.keys() == reference_query.keys() == {"code", "state", "iss"}
    assert lean_query["code"] != reference_query["code"]
    lean_headers, reference_headers = comparable_headers(lean), comparable_headers(reference)
    assert lean_headers.pop("Location").split("?")[0] == reference_headers.pop("Location").split("?")[0]
    assert lean_headers == reference_headers
    assert "Set-Cookie" not in lean.headers

    tokens = consented.exchange(lean_query["code"])
    assert tokens.status_code == 200, tokens.get_json()
    assert (
        consented.http.get(
            "/userinfo", headers={"Authorization": "Bearer " + tokens.get_json()["access_token"]}
        ).get_json()["given_name"]
        == "Camille Anne"
    )


def test_the_lean_code_is_stored_with_its_connection(app, consented, answered):
    with app.app_context():
        before = db.session.query(ConnectionEvent).count()
    code = query_of(authorize(consented).headers["Location"])["code"]
    assert not answered.by_flask(app)
    with app.app_context():
        assert db.session.query(ConnectionEvent).count() == before + 1
        stored = db.session.scalars(
            db.select(AuthorizationCode).order_by(AuthorizationCode.id.desc())
        ).first()
        assert stored.scope == IDENTITY_SCOPES
        assert stored.nonce == consented.authorize_params()["nonce"]
        assert stored.used_at is None
    assert consented.exchange(code).status_code == 200
    assert consented.exchange(code).status_code == 400  # single use, as ever


@pytest.mark.parametrize(
    ("extra", "expected_status"),
    [
        ({"prompt": "login"}, 303),  # sign in again: a step
        ({"prompt": "consent"}, 303),  # asked again
        ({"scope": IDENTITY_SCOPES + " preferred_username"}, 302),  # not allowed: invalid_scope
        ({"redirect_uri": "https://elsewhere.example/cb"}, 400),  # an error page
        ({"acr_values": "eidas3"}, 302),  # invalid_acr, by redirect
        ({"nonce": "short"}, 302),  # invalid_request, by redirect
    ],
)
def test_other_answers_are_flask_s(app, consented, answered, extra, expected_status):
    response = authorize(consented, **extra)
    assert response.status_code == expected_status
    assert answered.by_flask(app)
    if expected_status == 302:
        assert "error" in query_of(response.headers["Location"])


def test_without_a_sign_in_flask_answers(app, client, service_provider, answered):
    from tests.idp.conftest import CodeFlow

    response = authorize(CodeFlow(client, service_provider))
    assert response.status_code == 303
    assert answered.by_flask(app)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "forged.cookie.value")
    assert authorize(CodeFlow(client, service_provider)).status_code == 303
    assert answered.by_flask(app)


def test_a_pending_request_is_flask_s_to_clear(app, consented, answered):
    assert authorize(consented, prompt="consent").status_code == 303  # pending: asked again
    answered.by_flask(app)
    response = authorize(consented)  # the consented request again: Flask forgets the pending one
    assert response.status_code == 302
    assert answered.by_flask(app)
    assert "Set-Cookie" in response.headers
    authorize(consented)
    assert not answered.by_flask(app)  # nothing pending any more


def test_after_logout_flask_answers(app, consented, answered):
    page = consented.http.get("/logout")  # without an id_token_hint: confirmed by a form
    consented.http.post(
        "/logout", data={"confirm": "yes", "csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    answered.by_flask(app)
    assert authorize(consented).status_code == 303
    assert answered.by_flask(app)


@pytest.mark.parametrize("app_settings", [{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9}])
def test_a_due_connection_alert_is_flask_s(app, client, service_provider, citizen, answered):
    """The alert's mark goes in the cookie session: the first code after a sign-in is the
    view's; the next ones, the alert sent, are the lean path's."""
    from tests.idp.conftest import CodeFlow

    flow = CodeFlow(client, service_provider)
    flow.authorize_params()
    response = flow.http.get("/authorize", query_string=flow.authorize_params())
    assert response.status_code == 303
    flow.login()
    answered.by_flask(app)
    response = authorize(flow)
    while response.status_code == 303:
        response = flow.http.get(flow.consent().headers["Location"])
    assert response.status_code == 302
    assert answered.by_flask(app)  # the code whose alert was sent, and its mark set
    assert authorize(flow).status_code == 302
    assert not answered.by_flask(app)


def test_a_get_with_a_form_body_is_flask_s(app, consented, answered):
    """Flask reads parameters from a form body, even on GET: the lean path leaves it whole."""
    params = consented.authorize_params()
    state = params.pop("state")
    response = consented.http.get(
        "/authorize",
        query_string=params,
        data=f"state={state}",
        content_type="application/x-www-form-urlencoded",
    )
    assert answered.by_flask(app)
    assert response.status_code == 302
    assert query_of(response.headers["Location"])["state"] == state
