"""The two adapters answer alike: the lean path (idp.hotpath) and the Flask views.

Each request is sent twice: to the application (lean path in front) and to a second
application on the same database with ``LEAN_ENDPOINTS`` false (Flask answers everything).
Flask's ``request_started`` signal tells which one answered: the lean path answers every
request to a machine endpoint itself, errors included, and nothing else.
"""

from __future__ import annotations

import base64
from urllib.parse import quote, urlencode

import jwt
import pytest
from sqlalchemy import select

from idp import signing
from idp.database import reads
from idp.extensions import db
from idp.models import AccessTokenRecord
from idp.oauth2.bearer import RECORDED_TOKEN, SELF_CONTAINED_TOKEN
from tests.conftest import BASE_SETTINGS
from tests.idp.conftest import CodeFlow, make_client
from tests.idp.hotpath.conftest import Answered, comparable_headers
from tests.idp.oauth2.introspection.conftest import DATA_SCOPE, make_data_provider
from tests.jose.peers import key_pair, node

FORM = "application/x-www-form-urlencoded"


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: each part form-urlencoded, then Base64."""
    return "Basic " + base64.b64encode(f"{quote(client_id)}:{quote(secret)}".encode()).decode()


@pytest.fixture
def both(app, flask_only):
    answered = Answered(app, flask_only)
    lean_client, flask_client = app.test_client(), flask_only.test_client()

    def send(method: str, path: str, body: bytes | str = b"", headers: dict | None = None):
        answered.by_flask(app)  # forget the requests the test made before
        lean = lean_client.open(path, method=method, data=body, headers=headers)
        lean_by_flask = answered.by_flask(app)
        reference = flask_client.open(path, method=method, data=body, headers=headers)
        assert answered.by_flask(flask_only)
        return lean, lean_by_flask, reference

    return send


@pytest.fixture
def parties(app):
    """A service provider allowed dgfip_statistiques (both secret methods) and the DGFiP data provider."""
    dgfip = make_data_provider(app, "dgfip")
    return {
        "basic": make_client(app, auth_method="client_secret_basic"),
        "post": make_client(app, auth_method="client_secret_post"),
        "dgfip": dgfip,
        "cnaf": make_data_provider(app, "cnaf", auth_method="client_secret_post"),
    }


def token_request(sp, method: str, **extra) -> tuple[str, dict]:
    form = {"grant_type": "client_credentials", "scope": "dgfip_statistiques", **extra}
    headers = {"Content-Type": FORM}
    if method == "basic":
        headers["Authorization"] = basic(sp.client_id, sp.client_secret)
    else:
        form.update(client_id=sp.client_id, client_secret=sp.client_secret)
    return urlencode(form), headers


def issued_token(app, parties) -> str:
    body, headers = token_request(parties["basic"], "basic")
    response = app.test_client().post("/token", data=body, headers=headers)
    return response.get_json()["access_token"]


def jwt_payload(response) -> dict:
    payload = jwt.decode(response.get_data(as_text=True), options={"verify_signature": False})
    payload.pop("iat")
    return payload


# -- the success cases: answered by the lean path, exactly as Flask answers them ------------


@pytest.mark.parametrize("method", ["basic", "post"])
def test_client_credentials_token(app, both, parties, method):
    lean, by_flask, reference = both("POST", "/token", *token_request(parties[method], method))
    assert not by_flask
    assert lean.status_code == reference.status_code == 200
    assert comparable_headers(lean) == comparable_headers(reference)
    lean_body, reference_body = lean.get_json(), reference.get_json()
    assert lean_body.keys() == reference_body.keys()
    for name in ("token_type", "expires_in", "scope"):
        assert lean_body[name] == reference_body[name]
    with app.app_context():
        ring = signing.keyring()
        lean_claims = ring.verify(lean_body["access_token"], typ="at+jwt")
        reference_claims = ring.verify(reference_body["access_token"], typ="at+jwt")
        assert lean_claims.keys() == reference_claims.keys()
        for name in ("iss", "sub", "aud", "client_id", "scope"):
            assert lean_claims[name] == reference_claims[name]
        assert (
            lean_claims["exp"] - lean_claims["iat"] == reference_claims["exp"] - reference_claims["iat"] == 60
        )
        # Self-contained on both paths: nothing recorded (idp.oauth2.tokens).
        assert db.session.scalar(select(db.func.count()).select_from(AccessTokenRecord)) == 0


@pytest.mark.parametrize("accept", [None, "application/token-introspection+jwt"], ids=["json", "jwt"])
def test_introspection(app, both, parties, accept):
    token = issued_token(app, parties)
    headers = {
        "Content-Type": FORM,
        "Authorization": basic(parties["dgfip"].client_id, parties["dgfip"].client_secret),
    }
    if accept:
        headers["Accept"] = accept
    lean, by_flask, reference = both("POST", "/introspect", urlencode({"token": token}), headers)
    assert not by_flask
    assert lean.status_code == reference.status_code == 200
    assert comparable_headers(lean) == comparable_headers(reference)
    if accept:
        assert jwt_payload(lean) == jwt_payload(reference)
        assert jwt_payload(lean)["token_introspection"]["active"] is True
    else:
        assert lean.get_json() == reference.get_json()
        assert lean.get_json()["active"] is True


def test_introspection_of_a_citizen_token(app, both, flow, parties):
    """The pivot identity and the data provider's pairwise ``sub``, from the joined row."""
    token = flow.tokens(scope=DATA_SCOPE)["access_token"]
    dgfip = parties["dgfip"]
    headers = {"Content-Type": FORM, "Authorization": basic(dgfip.client_id, dgfip.client_secret)}
    lean, by_flask, reference = both("POST", "/introspect", urlencode({"token": token}), headers)
    assert not by_flask
    assert lean.get_json() == reference.get_json()
    assert {"given_name", "family_name", "birthdate", "auth_time", "acr"} <= lean.get_json().keys()


@pytest.mark.parametrize("path", ["/checktoken", "/api/v2/checktoken"])
def test_checktoken(app, both, parties, path):
    token = issued_token(app, parties)
    dgfip = parties["dgfip"]
    body = urlencode({"token": token, "client_id": dgfip.client_id, "client_secret": dgfip.client_secret})
    lean, by_flask, reference = both("POST", path, body, {"Content-Type": FORM})
    assert not by_flask
    assert lean.status_code == reference.status_code == 200
    assert comparable_headers(lean) == comparable_headers(reference)
    assert jwt_payload(lean) == jwt_payload(reference)


@pytest.mark.parametrize("encrypted", [False, True], ids=["signed", "signed-then-encrypted"])
def test_signed_userinfo(app, both, citizen, encrypted):
    """``application/jwt`` through both adapters, the same claims (iat apart), opened by jose."""
    pair = key_pair("ECDH-ES") if encrypted else None
    encryption = (
        {
            "jwks": {"keys": [pair["public"]]},
            "userinfo_encrypted_response_alg": "ECDH-ES",
            "userinfo_encrypted_response_enc": "A256GCM",
        }
        if pair
        else {}
    )
    sp = make_client(app, userinfo_signed_response_alg="ES256", **encryption)
    token = CodeFlow(app.test_client(), sp).tokens()["access_token"]
    lean, by_flask, reference = both("GET", "/userinfo", "", {"Authorization": f"Bearer {token}"})
    assert not by_flask
    assert lean.status_code == reference.status_code == 200
    assert comparable_headers(lean) == comparable_headers(reference)
    assert lean.content_type == "application/jwt"
    if not encrypted:
        assert jwt_payload(lean) == jwt_payload(reference)
        return
    jwks = app.test_client().get("/jwks").get_json()
    opened = [
        node(
            "decrypt",
            {
                "jwe": response.get_data(as_text=True),
                "keys": {"keys": [pair["private"]]},
                "jwks": jwks,
                "issuer": BASE_SETTINGS["ISSUER"],
                "audience": sp.client_id,
            },
        )
        for response in (lean, reference)
    ]
    for answer in opened:
        answer["payload"].pop("iat")
        answer["jwe_header"].pop("epk")
    assert opened[0] == opened[1]


def test_jwks(both):
    lean, by_flask, reference = both("GET", "/jwks")
    assert not by_flask
    assert lean.status_code == reference.status_code == 200
    assert comparable_headers(lean) == comparable_headers(reference)
    assert lean.get_json() == reference.get_json()


# -- the error cases: answered by the lean path too, exactly as Flask answers them ---------


def _token_case(parties, case: str) -> tuple[str, str, bytes | str, dict]:
    sp = parties["basic"]
    body, headers = token_request(sp, "basic")
    if case == "query string":
        return "POST", "/token?x=1", body, headers
    if case == "repeated parameter":
        return "POST", "/token", body + "&scope=dgfip_statistiques", headers
    if case == "repeated parameter named %22":
        return "POST", "/token", body + "&%22=1&%22=2", headers
    if case == "unknown parameter":
        return "POST", "/token", body + "&resource=https%3A%2F%2Fapi.example.fr", headers
    if case == "wrong secret":
        return "POST", "/token", body, {**headers, "Authorization": basic(sp.client_id, "wrong")}
    if case == "scope not allowed":
        return "POST", "/token", token_request(sp, "basic", scope="cnaf_quotient_familial")[0], headers
    if case == "json body":
        return (
            "POST",
            "/token",
            '{"grant_type": "client_credentials"}',
            {**headers, "Content-Type": "application/json"},
        )
    if case == "non-ascii body":
        return "POST", "/token", body.encode() + "&x=é".encode(), headers
    if case == "non-utf8 body":
        return "POST", "/token", body.encode() + b"&x=\xff", headers
    if case == "bad escape":
        return "POST", "/token", body + "&x=%zz%", headers
    if case == "large body":
        return "POST", "/token", body + "&pad=" + "a" * 70_000, headers
    if case == "unknown grant type":
        return "POST", "/token", body.replace("client_credentials", "password"), headers
    raise AssertionError(case)


TOKEN_CASES = [
    "query string",
    "repeated parameter",
    "repeated parameter named %22",
    "unknown parameter",
    "wrong secret",
    "scope not allowed",
    "json body",
    "non-ascii body",
    "non-utf8 body",
    "bad escape",
    "large body",
    "unknown grant type",
]


@pytest.mark.parametrize("case", TOKEN_CASES)
def test_token_requests_of_every_kind(both, parties, case):
    lean, by_flask, reference = both(*_token_case(parties, case))
    assert not by_flask
    assert lean.status_code == reference.status_code
    assert lean.status_code < 500
    assert comparable_headers(lean) == comparable_headers(reference)
    if lean.status_code != 200:
        assert lean.get_json() == reference.get_json()
    else:
        assert lean.get_json()["scope"] == reference.get_json()["scope"] == "dgfip_statistiques"


@pytest.mark.parametrize(
    "case", ["not a data provider", "wrong secret", "no token", "secret in the body of a basic client"]
)
def test_introspection_refusals(app, both, parties, case):
    token = issued_token(app, parties)
    caller = parties["basic"] if case == "not a data provider" else parties["dgfip"]
    secret = "wrong" if case == "wrong secret" else caller.client_secret
    form = {} if case == "no token" else {"token": token}
    headers = {"Content-Type": FORM, "Authorization": basic(caller.client_id, secret)}
    if case == "secret in the body of a basic client":
        form.update(client_id=caller.client_id, client_secret=secret)
        del headers["Authorization"]
    lean, by_flask, reference = both("POST", "/introspect", urlencode(form), headers)
    assert not by_flask
    assert lean.status_code == reference.status_code != 200
    assert comparable_headers(lean) == comparable_headers(reference)
    assert lean.get_json() == reference.get_json()


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
@pytest.mark.parametrize(
    "authorization",
    ["Basic " + base64.b64encode(b"\xff\xfe:secret").decode(), "Basic !!!", "Basic", "Bearer abc"],
    ids=["not-utf8", "not-base64", "empty", "other-scheme"],
)
def test_unusable_basic_credentials_are_invalid_client(both, path, authorization):
    body = urlencode({"grant_type": "client_credentials", "scope": "dgfip_statistiques", "token": "x"})
    lean, by_flask, reference = both(
        "POST", path, body, {"Content-Type": FORM, "Authorization": authorization}
    )
    assert not by_flask
    assert lean.status_code == reference.status_code == 401
    assert lean.get_json() == reference.get_json()
    assert lean.get_json()["error"] == "invalid_client"


def test_checktoken_without_secret(app, both, parties):
    body = urlencode({"token": issued_token(app, parties), "client_id": parties["dgfip"].client_id})
    lean, by_flask, reference = both("POST", "/checktoken", body, {"Content-Type": FORM})
    assert not by_flask
    assert lean.status_code == reference.status_code == 400
    assert lean.get_json() == reference.get_json()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_without_token(both, method):
    lean, by_flask, reference = both(method, "/userinfo", "", {"Content-Type": FORM})
    assert not by_flask
    assert lean.status_code == reference.status_code == 401
    assert comparable_headers(lean) == comparable_headers(reference)
    assert lean.headers["WWW-Authenticate"] == 'Bearer realm="idp"'


def test_other_methods_and_paths_are_flask_s(both):
    for method, path in (("GET", "/token"), ("HEAD", "/jwks"), ("GET", "/.well-known/openid-configuration")):
        lean, by_flask, reference = both(method, path)
        assert by_flask
        assert lean.status_code == reference.status_code


def test_a_database_failure_is_503_then_recovers(app, parties):
    body, headers = token_request(parties["basic"], "basic")
    client = app.test_client()
    assert client.post("/token", data=body, headers=headers).status_code == 200
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE clients RENAME TO clients_away")
    failed = client.post("/token", data=body, headers=headers)
    assert failed.status_code == 503
    assert failed.get_json()["error"] == "temporarily_unavailable"
    assert failed.headers["Retry-After"]
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE clients_away RENAME TO clients")
    assert client.post("/token", data=body, headers=headers).status_code == 200


def test_a_broken_thread_connection_is_replaced(app, both, parties):
    """The held connection dies (server restart, network): the read is tried again on a new
    connection, and the request does not notice."""
    token_request_args = token_request(parties["basic"], "basic")
    lean, by_flask, _ = both("POST", "/token", *token_request_args)
    assert (lean.status_code, by_flask) == (200, False)
    held = app.extensions["idp_thread_connections"]
    held._local.connection.close()
    lean, by_flask, _ = both("POST", "/token", *token_request_args)
    assert (lean.status_code, by_flask) == (200, False)
    assert held._local.connection is not None


# -- the raw statements read what SQLAlchemy reads -----------------------------------------


@pytest.mark.parametrize("kind", ["citizen", "self-contained"])
def test_raw_statements_read_like_sqlalchemy(app, flow, parties, kind):
    if kind == "citizen":
        token = flow.tokens(scope=DATA_SCOPE)["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        statement, values = RECORDED_TOKEN, {"jti": claims["jti"]}
    else:
        claims = jwt.decode(issued_token(app, parties), options={"verify_signature": False})
        statement, values = SELF_CONTAINED_TOKEN, {"jti": claims["jti"], "client_id": claims["client_id"]}
    with app.app_context():
        raw = reads.first(statement, values)
        reference = db.session.connection().execute(statement, values).first()
    assert raw is not None
    assert tuple(raw) == tuple(reference)
    assert raw._fields == tuple(reference._fields)
