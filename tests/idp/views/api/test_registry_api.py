"""The registry API (/api/v1): public reads, who may write, field errors, conflicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jwt
import pytest

from idp.extensions import db
from idp.models import AccessTokenRecord, Habilitation, RevokedAccessToken
from tests.idp.conftest import IDENTITY_SCOPES
from tests.idp.views.api.conftest import (
    bearer,
    client_credentials_token,
    make_manager,
    new_scope,
    table_counts,
)


# --- reads ---------------------------------------------------------------------------------
def test_providers_are_public(client):
    response = client.get("/api/v1/providers")
    assert response.status_code == 200
    slugs = [p["slug"] for p in response.get_json()["providers"]]
    assert slugs == ["franceconnect", "dgfip", "cnaf", "cnam", "cnous", "francetravail"]


def test_one_provider_with_its_scopes(client):
    body = client.get("/api/v1/providers/francetravail").get_json()
    assert body["namespace"] == "api_fc"
    assert body["kind"] == "data"
    assert "api_fc-liste-paiementsv1" in [s["key"] for s in body["scopes"]]


def test_scopes_filtered_by_provider(client):
    scopes = client.get("/api/v1/scopes", query_string={"provider": "dgfip"}).get_json()["scopes"]
    assert scopes and {s["provider"] for s in scopes} == {"dgfip"}
    everything = client.get("/api/v1/scopes").get_json()["scopes"]
    assert len(everything) > len(scopes)


def test_one_scope_is_the_registry_format(client):
    assert client.get("/api/v1/scopes/dgfip_rfr").get_json() == {
        "key": "dgfip_rfr",
        "provider": "dgfip",
        "label": {"fr": "Revenu fiscal de référence", "en": "Reference tax income"},
        "claims": [],
        "description": None,
        "group": "Agrégats fiscaux",
        "legacy": False,
        "machine": False,
        "deprecated_since": None,
    }


@pytest.mark.parametrize("path", ["/api/v1/scopes/nope_nope", "/api/v1/providers/nope"])
def test_unknown_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


# --- who may write -------------------------------------------------------------------------
def test_data_provider_creates_inside_its_namespace(client, dgfip_token):
    response = client.post("/api/v1/scopes", json=new_scope(), headers=bearer(dgfip_token))
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == "/api/v1/scopes/dgfip_nouvelle_donnee"
    assert client.get("/api/v1/scopes/dgfip_nouvelle_donnee").get_json()["label"]["fr"] == "Nouvelle donnée"


def test_data_provider_updates_and_deprecates_inside_its_namespace(client, dgfip_token):
    changed = client.patch(
        "/api/v1/scopes/dgfip_rfr", json={"label": {"fr": "RFR"}}, headers=bearer(dgfip_token)
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["label"] == {"fr": "RFR"}
    deprecated = client.post(
        "/api/v1/scopes/dgfip_rfr/deprecate",
        json={"deprecated_since": "2031-01-01"},
        headers=bearer(dgfip_token),
    )
    assert deprecated.status_code == 200
    assert client.get("/api/v1/scopes/dgfip_rfr").get_json()["deprecated_since"] == "2031-01-01"


def test_deprecate_without_body_means_today(client, dgfip_token):
    response = client.post("/api/v1/scopes/dgfip_rfr/deprecate", headers=bearer(dgfip_token))
    assert response.status_code == 200
    assert response.get_json()["deprecated_since"] == date.today().isoformat()


def test_data_provider_manages_its_legacy_keys(client, app):
    token = client_credentials_token(client, make_manager(app, "data-provider", "cnaf"))
    response = client.patch(
        "/api/v1/scopes/prime_activite", json={"group": "Prestations"}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/scopes", new_scope("cnaf_nouvelle_donnee", "cnaf")),
        ("post", "/api/v1/scopes", new_scope("cnaf_nouvelle_donnee", "dgfip")),
        ("post", "/api/v1/scopes", new_scope("dgfip_nouvelle_donnee", "cnaf")),
        ("patch", "/api/v1/scopes/cnaf_quotient_familial", {"label": {"fr": "QF"}}),
        ("patch", "/api/v1/scopes/dgfip_rfr", {"provider": "cnaf"}),
        ("patch", "/api/v1/scopes/prime_activite", {"group": "x"}),
        ("post", "/api/v1/scopes/cnaf_quotient_familial/deprecate", {}),
        ("delete", "/api/v1/scopes/cnaf_quotient_familial", None),
    ],
)
def test_data_provider_outside_its_namespace_is_403(app, client, dgfip_token, method, path, body):
    before = client.get("/api/v1/scopes").get_json()
    response = getattr(client, method)(path, json=body, headers=bearer(dgfip_token))
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["error"] == "access_denied"
    assert client.get("/api/v1/scopes").get_json() == before


def test_operator_may_change_anything(client, operator_token):
    created = client.post(
        "/api/v1/scopes",
        json=new_scope("cnaf_nouveau_droit", "cnaf"),
        headers=bearer(operator_token),
    )
    assert created.status_code == 201
    legacy = client.post(
        "/api/v1/scopes",
        json=new_scope("cnaf-Ancien", "cnaf", legacy=True),
        headers=bearer(operator_token),
    )
    assert legacy.status_code == 201, legacy.get_json()
    assert (
        client.delete("/api/v1/scopes/cnaf_nouveau_droit", headers=bearer(operator_token)).status_code == 204
    )
    assert client.get("/api/v1/scopes/cnaf_nouveau_droit").status_code == 404


WRITES = [
    ("post", "/api/v1/scopes", new_scope()),
    ("patch", "/api/v1/scopes/dgfip_rfr", {"group": "x"}),
    ("post", "/api/v1/scopes/dgfip_rfr/deprecate", {}),
    ("delete", "/api/v1/scopes/dgfip_rfr", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_no_token_is_401_with_a_bearer_challenge(app, client, method, path, body):
    before = table_counts(app)
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="idp"'
    assert table_counts(app) == before


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 5000])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_invalid_token_is_401_invalid_token(client, token, method, path, body):
    response = getattr(client, method)(path, json=body, headers=bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_token_is_401(app, client, dgfip_token):
    """The registry writer's token is a self-contained client_credentials token: revoking it
    puts it on the revocation list, read at every request."""
    claims = jwt.decode(dgfip_token, options={"verify_signature": False})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AccessTokenRecord)) == 0
        db.session.add(
            RevokedAccessToken(
                jti=claims["jti"],
                client_id=claims["client_id"],
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        )
        db.session.commit()
    response = client.post("/api/v1/scopes", json=new_scope(), headers=bearer(dgfip_token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_malformed_authorization_header_is_400(client):
    response = client.post("/api/v1/scopes", json=new_scope(), headers={"Authorization": "Basic abc"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_token_without_registry_write_is_403_insufficient_scope(app, client):
    operator = make_manager(app, "operator")
    with app.app_context():
        from idp.clients.admin import ClientSettings, update_client

        update_client(operator.client_id, ClientSettings(operator_scope_override=["dgfip_statistiques"]))
    token = client_credentials_token(client, operator, scope="dgfip_statistiques")
    response = client.post("/api/v1/scopes", json=new_scope(), headers=bearer(token))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_service_provider_token_is_403_even_with_registry_write(app, client):
    from tests.idp.conftest import make_client

    sp = make_client(app, operator_scope_override=["registry_write"])
    token = client_credentials_token(client, sp)
    response = client.post("/api/v1/scopes", json=new_scope(), headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"


def test_citizen_token_is_refused(app, flow, client):
    """A token of the authorization-code flow is not a data provider's or operator's credential."""
    access_token = flow.tokens(scope=IDENTITY_SCOPES)["access_token"]
    response = client.post("/api/v1/scopes", json=new_scope(), headers=bearer(access_token))
    assert response.status_code == 403


# --- malformed bodies ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"key": "dgfip_x"},
            {"provider": ["Missing data for required field."], "label": ["Missing data for required field."]},
        ),
        (new_scope(label={"en": "x"}), {"label": {"fr": ["Missing data for required field."]}}),
        (new_scope(label={"fr": ""}), {"label": {"fr": ["Length must be between 1 and 500."]}}),
        (new_scope(label={"fr": "x", "de": "y"}), {"label": {"de": ["Unknown field."]}}),
        (new_scope(claims="sub"), {"claims": ["Not a valid list."]}),
        (new_scope(claims=["ok", "pas bon"]), {"claims": {"1": ["must be a claim name"]}}),
        (new_scope(deprecated_since="2024-02-30"), {"deprecated_since": ["Not a valid date."]}),
        (new_scope(legacy="yes please"), {"legacy": ["Not a valid boolean."]}),
        (new_scope(surprise=1), {"surprise": ["Unknown field."]}),
        (new_scope(description="a\x00b"), {"description": ["must not contain a NUL character"]}),
        (new_scope(key=7), {"key": ["Not a valid string."]}),
        ([new_scope()], {"_schema": ["the body must be a JSON object (application/json)"]}),
        ("just a string", {"_schema": ["the body must be a JSON object (application/json)"]}),
    ],
)
def test_malformed_body_is_400_with_field_errors(app, client, dgfip_token, body, errors):
    before = table_counts(app)
    response = client.post("/api/v1/scopes", json=body, headers=bearer(dgfip_token))
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_request",
        "error_description": "the request is malformed",
        "errors": errors,
    }
    assert table_counts(app) == before


def test_non_json_body_is_400(client, dgfip_token):
    response = client.post(
        "/api/v1/scopes",
        data="key=dgfip_x",
        headers=bearer(dgfip_token) | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"_schema": ["the body must be a JSON object (application/json)"]}


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (new_scope("dgfip_Majuscule"), "key", "key_format"),
        (new_scope("dgfip-tiret"), "key", "key_format"),
        (new_scope(claims=["sub"]), "claims", "claims_on_data_scope"),
        (new_scope(label={"fr": "   "}), "label", "missing_label"),
    ],
)
def test_body_breaking_registry_rules_is_400_naming_the_rule(app, client, dgfip_token, body, field, rule):
    before = table_counts(app)
    response = client.post("/api/v1/scopes", json=body, headers=bearer(dgfip_token))
    assert response.status_code == 400, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors
    assert f"(rule {rule})" in str(errors[field])
    assert table_counts(app) == before


def test_patch_cannot_rename_the_key(client, dgfip_token):
    response = client.patch(
        "/api/v1/scopes/dgfip_rfr", json={"key": "dgfip_autre"}, headers=bearer(dgfip_token)
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"key": ["Unknown field."]}


# --- conflicts -----------------------------------------------------------------------------
def test_creating_an_existing_key_is_409(client, dgfip_token):
    response = client.post("/api/v1/scopes", json=new_scope("dgfip_rfr"), headers=bearer(dgfip_token))
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"


def test_unknown_scope_write_is_404(client, dgfip_token):
    for method, path in [
        ("patch", "/api/v1/scopes/dgfip_absent"),
        ("delete", "/api/v1/scopes/dgfip_absent"),
        ("post", "/api/v1/scopes/dgfip_absent/deprecate"),
    ]:
        response = getattr(client, method)(path, json={}, headers=bearer(dgfip_token))
        assert response.status_code == 404, (method, path)


def test_delete_of_a_scope_held_by_a_habilitation_is_409_then_deprecation_works(app, client, dgfip_token):
    with app.app_context():
        db.session.add(
            Habilitation(
                id=42,
                definition="api_impot_particulier",
                state="validated",
                scopes=["dgfip_rfr"],
                approved_scopes=["dgfip_rfr"],
            )
        )
        db.session.commit()
    response = client.delete("/api/v1/scopes/dgfip_rfr", headers=bearer(dgfip_token))
    assert response.status_code == 409
    assert "habilitation 42" in response.get_json()["error_description"]
    assert client.get("/api/v1/scopes/dgfip_rfr").status_code == 200
    deprecated = client.post("/api/v1/scopes/dgfip_rfr/deprecate", headers=bearer(dgfip_token))
    assert deprecated.status_code == 200


def test_delete_of_a_scope_held_by_a_live_token_is_409(app, client, dgfip_token):
    with app.app_context():
        db.session.add(
            AccessTokenRecord(
                jti="live",
                client_id="sp",
                scope="openid dgfip_rfr",
                expires_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
        db.session.commit()
    response = client.delete("/api/v1/scopes/dgfip_rfr", headers=bearer(dgfip_token))
    assert response.status_code == 409
    assert "live access token" in response.get_json()["error_description"]


# --- OpenAPI ---------------------------------------------------------------------------------
def test_openapi_document_is_generated_from_routes_and_schemas(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.0.3"
    routes = {
        rule.rule.replace("<key>", "{key}").replace("<slug>", "{slug}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
    }
    assert set(document["paths"]) == routes
    assert set(document["paths"]["/api/v1/scopes/{key}"]) == {"get", "patch", "delete"}
    scope = document["components"]["schemas"]["Scope"]
    assert scope["required"] == ["key", "label", "provider"]
    assert scope["properties"]["key"]["maxLength"] == 100
    assert document["paths"]["/api/v1/scopes"]["post"]["security"] == [{"registryWrite": []}]
    assert "security" not in document["paths"]["/api/v1/scopes"]["get"]
