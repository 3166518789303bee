"""bench/large_data.py on both databases, a hundredth of the size: the rows it promises are
there, shaped as the server writes them (a client's allowed scopes are what its
habilitations give, its secret authenticates), and the server still answers on top of them,
for the bench's own clients created afterwards as for the seeded ones."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from bench.large_data import LARGE, Seeded, seed
from idp.clients.admin import ClientSettings, create_client
from idp.clients.lookup import find_client
from idp.extensions import db
from idp.models import (
    AccessTokenRecord,
    AuthorizationCode,
    Client,
    Consent,
    Habilitation,
    RegistryProvider,
    RegistryScope,
    User,
    utcnow,
)
from idp.registry.allowed import recompute

SIZES = LARGE.scaled(0.01)
COUNTED = (
    RegistryProvider,
    RegistryScope,
    Client,
    Habilitation,
    User,
    Consent,
    AccessTokenRecord,
    AuthorizationCode,
)


def counts() -> dict[str, int]:
    """Rows per table. The read transaction ends here: on PostgreSQL the seeding drops the
    token tables' indexes, which waits for every transaction that read those tables."""
    found = {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in COUNTED
    }
    db.session.rollback()
    return found


@pytest.fixture
def seeded(app) -> tuple[Seeded, dict[str, int]]:
    """The data set seeded into the test's database; what it holds, and what it added."""
    with app.app_context():
        before = counts()
        added = seed(app.config["DATABASE_URL"], SIZES, rng=random.Random(7))
        after = counts()
    return added, {table: after[table] - before[table] for table in after}


def test_every_row_of_the_data_set_is_there(seeded):
    added, delta = seeded
    citizens_tokens = SIZES.access_tokens - SIZES.access_tokens // 10
    assert delta == {
        "registry_providers": SIZES.data_providers,
        "registry_scopes": SIZES.scopes,
        "clients": SIZES.services + SIZES.data_providers,
        "habilitations": SIZES.habilitations,
        "users": SIZES.citizens,
        "consents": SIZES.citizens * SIZES.consents_per_citizen,
        "access_tokens": SIZES.access_tokens,
        "authorization_codes": citizens_tokens,
    }
    assert (len(added.allowed_scopes), len(added.data_providers)) == (SIZES.services, SIZES.data_providers)


def test_token_records_are_live_expired_and_revoked_and_each_citizen_token_has_its_code(app, seeded):
    now = utcnow()
    tokens = AccessTokenRecord
    with app.app_context():
        live = db.session.scalar(sa.select(sa.func.count()).where(tokens.expires_at > now))
        revoked = db.session.scalar(sa.select(sa.func.count()).where(tokens.revoked_at.is_not(None)))
        unmatched = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(tokens)
            .outerjoin(AuthorizationCode, AuthorizationCode.grant_id == tokens.grant_id)
            .where(tokens.user_id.is_not(None), AuthorizationCode.id.is_(None))
        )
    assert 0 < live < SIZES.access_tokens * 0.2
    assert 0 < revoked < SIZES.access_tokens * 0.2
    assert unmatched == 0


def test_allowed_scopes_are_what_the_habilitations_grant(app, seeded):
    """``recompute`` (what every habilitation change runs) finds nothing to change."""
    added, _ = seeded
    with app.app_context():
        for client_id in list(added.allowed_scopes)[:: SIZES.services // 10]:
            client = find_client(client_id)
            assert (
                recompute(client, reason="test") == client.allowed_scopes == added.allowed_scopes[client_id]
            )
        assert not db.session.dirty
        db.session.rollback()


def machine_token(client, client_id: str, secret: str, scope: str):
    return client.post(
        "/token", data={"grant_type": "client_credentials", "scope": scope}, auth=(client_id, secret)
    )


def test_a_seeded_service_gets_a_token_its_data_provider_introspects(client, seeded):
    added, _ = seeded
    namespace, data_provider = next(iter(added.data_providers.items()))
    scope = f"{namespace}_statistiques"  # the machine-usable scope of each data provider
    service = next(client_id for client_id, allowed in added.allowed_scopes.items() if scope in allowed)

    response = machine_token(client, service, added.client_secret, scope)
    assert response.status_code == 200, response.get_json()
    answer = client.post(
        "/introspect",
        data={"token": response.get_json()["access_token"]},
        auth=(data_provider, added.client_secret),
    ).get_json()
    assert (answer["active"], answer["scope"], answer["client_id"]) == (True, scope, service)
    assert machine_token(client, service, "not-the-secret", scope).status_code == 401


def test_clients_created_on_top_answer_as_on_an_empty_database(app, client, seeded):
    """The bench's own clients, created after the data set as ``bench/fixtures.py`` does."""
    with app.app_context():
        service, service_secret = create_client(
            ClientSettings(name="fs-bench", operator_scope_override=["dgfip_statistiques"])
        )
        provider, provider_secret = create_client(
            ClientSettings(name="fd-bench", role="data-provider", namespace="dgfip")
        )
        service_id, provider_id = service.client_id, provider.client_id
    response = machine_token(client, service_id, service_secret, "dgfip_statistiques")
    assert response.status_code == 200, response.get_json()
    answer = client.post(
        "/introspect",
        data={"token": response.get_json()["access_token"]},
        auth=(provider_id, provider_secret),
    ).get_json()
    assert (answer["active"], answer["scope"], answer["client_id"]) == (
        True,
        "dgfip_statistiques",
        service_id,
    )
