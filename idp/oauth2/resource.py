"""Resource indicators at ``/token`` (RFC 8707): an access token for one data provider alone.

A service that sends ``resource=<a data provider's API URL>`` (the data provider's
``--resource-uri``) gets a token whose ``aud`` is that data provider, whose ``scope`` holds
only that provider's scopes among those granted, and whose ``sub`` is the one that provider
sees (pairwise for it, as at introspection). Nothing in it tells that provider about another
one, or about the service's own ``sub`` (DESIGN, "Privacy"). The grant keeps its whole scope:
the refresh token mints the token for the next provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749.errors import OAuth2Error

from idp.extensions import db
from idp.models import Client
from idp.registry.store import registry
from scopes import owned_scopes


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: the resource is not one of ours, or the grant holds nothing for it."""

    error = "invalid_target"


@dataclass(frozen=True)
class Target:
    """The data provider a token is for, and the part of the grant that is its own."""

    client_id: str
    sector: str
    scope: str


def requested_target(resource: object, granted_scope: str) -> Target | None:
    """The data provider named by ``resource`` (None when no resource was sent)."""
    if resource is None or resource == "":
        return None
    parts = urlsplit(resource) if isinstance(resource, str) and len(resource) <= 2048 else None
    if parts is None or not parts.scheme or not parts.netloc or parts.fragment:
        raise InvalidTargetError(
            description="resource must be an absolute URI without fragment (RFC 8707 section 2)"
        )
    provider = db.session.scalar(
        db.select(Client).where(Client.resource_uri == resource, Client.role == "data-provider")
    )
    if provider is None:
        raise InvalidTargetError(description="resource names no data provider of this server")
    scope = owned_scopes(registry(), provider.namespace, granted_scope.split())
    if not scope:
        raise InvalidTargetError(description="the grant holds none of this data provider's scopes")
    return Target(client_id=provider.client_id, sector=provider.sector, scope=" ".join(scope))
