"""Hypothesis against the registry API: never a 500, a rejected write changes nothing, and an
accepted write by the DGFiP stays inside the dgfip namespace."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.extensions import db
from idp.models import Habilitation
from idp.registry.transfer import export_document
from tests.idp.views.api.conftest import bearer, table_counts

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "dgfip_rfr",
        "dgfip_nouveau",
        "dgfip_a1_b2",
        "cnaf_quotient_familial",
        "cnaf_nouveau",
        "prime_activite",
        "DGFIP_x",
        "dgfip-x",
        "dgfip",
        "openid",
        "registry_write",
        "dgfip_RevDecl_Cat1_Tspr",
        "",
    ]
) | st.text(max_size=30)
providers = st.sampled_from(["dgfip", "cnaf", "franceconnect", "francetravail", "nope"]) | st.text(
    max_size=10
)
labels = st.dictionaries(
    st.sampled_from(["fr", "en", "de", "FR"]), st.text(max_size=30) | json_values, max_size=3
)
optional_fields = {
    "label": labels | json_values,
    "description": st.none() | st.text(max_size=50),
    "group": st.none() | st.text(max_size=50),
    "claims": st.lists(st.sampled_from(["sub", "email", "bad claim", ""]) | st.text(max_size=10), max_size=3),
    "legacy": st.booleans() | json_values,
    "deprecated_since": st.none()
    | st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
    | st.text(),
    "provider": providers,
    "surprise": json_values,
}
scope_bodies = st.fixed_dictionaries(
    {"key": keys, "provider": providers, "label": labels},
    optional={
        name: strategy for name, strategy in optional_fields.items() if name not in ("provider", "label")
    },
)
patch_bodies = st.fixed_dictionaries({}, optional=optional_fields)


@pytest.fixture
def held_rfr(app):
    """dgfip_rfr held by a habilitation: deleting it is always refused, so examples are repeatable."""
    with app.app_context():
        db.session.add(
            Habilitation(
                id=1,
                definition="api_impot_particulier",
                state="validated",
                scopes=["dgfip_rfr"],
                approved_scopes=["dgfip_rfr"],
            )
        )
        db.session.commit()


def snapshot(app):
    with app.app_context():
        return table_counts(app), export_document()


@FUZZ
@given(body=scope_bodies | json_values)
def test_create_never_fails_and_rejections_write_nothing(app, client, dgfip_token, body):
    before = snapshot(app)
    response = client.post("/api/v1/scopes", json=body, headers=bearer(dgfip_token))
    assert response.status_code in (201, 400, 403, 409), response.get_json()
    if response.status_code == 201:
        created = client.get(f"/api/v1/scopes/{quote(body['key'], safe='')}").get_json()
        assert created["provider"] == "dgfip"
        assert created["key"].startswith("dgfip_")
    else:
        assert response.get_json()["error"] in ("invalid_request", "access_denied", "conflict")
        assert snapshot(app) == before


@FUZZ
@given(key=keys.filter(lambda key: "/" not in key), body=patch_bodies | json_values)
def test_patch_never_fails_and_rejections_write_nothing(app, client, dgfip_token, key, body):
    before = snapshot(app)
    response = client.patch(f"/api/v1/scopes/{quote(key, safe='')}", json=body, headers=bearer(dgfip_token))
    assert response.status_code in (200, 400, 403, 404, 405), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json()["provider"] == "dgfip"
    else:
        assert snapshot(app) == before


@FUZZ
@given(
    method=st.sampled_from(["post", "patch", "delete", "put", "get"]),
    path=st.sampled_from(
        [
            "/api/v1/scopes",
            "/api/v1/scopes/dgfip_rfr",
            "/api/v1/scopes/dgfip_rfr/deprecate",
            "/api/v1/providers/dgfip",
        ]
    ),
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    authorized=st.booleans(),
)
def test_raw_bodies_never_fail(
    app, client, held_rfr, dgfip_token, method, path, raw, content_type, authorized
):
    before = snapshot(app)
    headers = {"Content-Type": content_type} | (bearer(dgfip_token) if authorized else {})
    response = getattr(client, method)(path, data=raw, headers=headers)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    if response.status_code >= 400 or method == "get":
        assert snapshot(app) == before
