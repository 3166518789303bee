"""Registry API fixtures: data-provider and operator clients, and their registry_write tokens."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import RegistryProvider, RegistryScope
from tests.idp.conftest import ServiceProvider, make_client

WRITE_SCOPE = "registry_write"


def make_manager(app, role: str, namespace: str | None = None) -> ServiceProvider:
    """A data provider (owning ``namespace``) or an operator, authenticating with a secret."""
    return make_client(
        app,
        name=f"{role} {namespace or ''}".strip(),
        role=role,
        namespace=namespace,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        operator_scope_override=[],
    )


def client_credentials_token(http, client: ServiceProvider, scope: str = WRITE_SCOPE) -> str:
    """An RFC 9068 access token from our own /token (RFC 6749 §4.4)."""
    response = http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def table_counts(app) -> tuple[int, int]:
    """Rows of the registry tables: a rejected request must leave them as they were."""
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count()).select_from(RegistryProvider)),
            db.session.scalar(db.select(db.func.count()).select_from(RegistryScope)),
        )


@pytest.fixture
def dgfip_token(app, client) -> str:
    return client_credentials_token(client, make_manager(app, "data-provider", "dgfip"))


@pytest.fixture
def cnaf_token(app, client) -> str:
    return client_credentials_token(client, make_manager(app, "data-provider", "cnaf"))


@pytest.fixture
def operator_token(app, client) -> str:
    return client_credentials_token(client, make_manager(app, "operator"))


def new_scope(key: str = "dgfip_nouvelle_donnee", provider: str = "dgfip", **fields) -> dict:
    body = {"key": key, "provider": provider, "label": {"fr": "Nouvelle donnée", "en": "New data"}}
    body.update(fields)
    return body
