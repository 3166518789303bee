"""The ``aud`` of access tokens (RFC 9068 §3): the data providers owning the granted data
scopes, by their client ids; the provider itself when only identity scopes were granted."""

from __future__ import annotations

from flask import current_app

from idp.database import notifications
from idp.database.cache import timed_value
from idp.extensions import db
from idp.models import Client
from idp.registry.store import registry
from scopes import data_providers_of


def _read_namespace_owners(_previous) -> dict[str, str]:
    rows = db.session.execute(
        db.select(Client.namespace, Client.client_id).where(
            Client.role == "data-provider", Client.namespace.is_not(None)
        )
    ).all()
    return dict(rows)


#: What the namespace owners are read from.
TABLES = notifications.tables("clients")


def _namespace_owners() -> dict[str, str]:
    """namespace -> data-provider client_id, cached like the registry definitions."""
    return timed_value(
        "idp_namespace_owners", "REGISTRY_CACHE_SECONDS", _read_namespace_owners, tables=TABLES
    ).get()


def token_audience(scope_keys: list[str]) -> str | list[str]:
    known = registry()
    owners = _namespace_owners()
    audience = []
    for slug in data_providers_of(known, scope_keys):
        provider = known.provider(slug)
        audience.append(owners.get(provider.namespace, slug) if provider else slug)
    if not audience:
        return current_app.config["ISSUER"]
    return audience[0] if len(audience) == 1 else audience
