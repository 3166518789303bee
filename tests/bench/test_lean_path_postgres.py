"""The lean path on PostgreSQL: the raw statements, types and group commit of idp.hotpath
work on psycopg as on SQLite, and a revocation made elsewhere is seen at the next request.

Skipped when PostgreSQL's server binaries are not installed (``make test`` installs them).
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from flask import request_started

from bench import postgres
from idp import create_app, database
from idp.clients.admin import ClientSettings, create_client
from idp.demo.seed import MACHINE_SCOPES
from idp.extensions import db
from idp.models import RevokedAccessToken
from idp.operations.embedded import prepare_embedded
from idp.registry.transfer import import_registry_file

pytestmark = pytest.mark.skipif(not postgres.available(), reason="PostgreSQL is not installed")
FORM = "application/x-www-form-urlencoded"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def app(tmp_path, postgres_empty_database):
    """Its own app on an empty database of the session's cluster (the shared ``app`` fixture's
    PostgreSQL leg copies a template; this one migrates and seeds as an operator would)."""
    application = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_empty_database, "TESTING": True}
    )
    database.upgrade_schema(application)
    prepare_embedded(application)
    with application.app_context():
        import_registry_file()
        import_registry_file(MACHINE_SCOPES)
    yield application
    with application.app_context():
        db.engine.dispose()


def test_token_introspection_checktoken_and_revocation(app):
    with app.app_context():
        service, service_secret = create_client(
            ClientSettings(
                name="fs-pg",
                auth_method="client_secret_basic",
                operator_scope_override=["dgfip_statistiques"],
            )
        )
        provider, provider_secret = create_client(
            ClientSettings(name="fd-pg", role="data-provider", namespace="dgfip")
        )
        service_id, provider_id = service.client_id, provider.client_id
    by_flask: list[str] = []
    request_started.connect(lambda sender, **extra: by_flask.append("flask"), app, weak=False)
    client = app.test_client()

    token_response = client.post(
        "/token",
        data=urlencode({"grant_type": "client_credentials", "scope": "dgfip_statistiques"}),
        headers={"Authorization": basic(service_id, service_secret), "Content-Type": FORM},
    )
    assert token_response.status_code == 200, token_response.get_data(as_text=True)
    token = token_response.get_json()["access_token"]

    def introspect() -> dict:
        response = client.post(
            "/introspect",
            data=urlencode({"token": token}),
            headers={"Authorization": basic(provider_id, provider_secret), "Content-Type": FORM},
        )
        assert response.status_code == 200
        return response.get_json()

    answer = introspect()
    assert (answer["active"], answer["scope"], answer["client_id"]) == (
        True,
        "dgfip_statistiques",
        service_id,
    )
    checked = client.post(
        "/checktoken",
        data=urlencode({"token": token, "client_id": provider_id, "client_secret": provider_secret}),
        headers={"Content-Type": FORM},
    )
    assert checked.status_code == 200
    assert checked.content_type == "application/token-introspection+jwt"
    assert by_flask == []  # all three answered by the lean path

    for _ in range(2):  # RFC 7009 §2.2: revoking twice is fine (ON CONFLICT DO NOTHING)
        revoked = client.post(
            "/revoke",
            data=urlencode({"token": token}),
            headers={"Authorization": basic(service_id, service_secret), "Content-Type": FORM},
        )
        assert revoked.status_code == 200
    with app.app_context():
        assert db.session.scalars(db.select(RevokedAccessToken.client_id)).all() == [service_id]
    assert introspect() == {"active": False}
