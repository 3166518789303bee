"""The demo's second identity provider: another ``idp serve`` that ``make run`` starts beside
the hub, so that the chooser offers two accounts (``local`` and this one) out of the box.

Two idempotent steps, one on each side, exchanging no secret: the hub authenticates to the
upstream with ``private_key_jwt`` (RFC 7523), its keys found at the hub's ``/jwks``.

- :func:`seed_hub_client`, run at the upstream: the hub as a service provider there;
- :func:`seed_upstream_provider`, run at the hub: the upstream as identity provider
  :data:`DEMO_PROVIDER`.
"""

from __future__ import annotations

from collections.abc import Iterator

from idp.citizens.federation import providers
from idp.citizens.federation.providers import ProviderSettings
from idp.clients.admin import ClientSettings, create_client, update_client
from idp.clients.lookup import find_client

DEMO_PROVIDER = "idp-demo"
DEMO_PROVIDER_TITLE = "Compte de démonstration (second idp)"
#: The hub's client id at the upstream.
HUB_CLIENT_ID = "demo-hub"


def seed_hub_client(hub_issuer: str) -> Iterator[str]:
    """At the upstream: the hub may sign its citizens in here, asking for the pivot identity."""
    hub_issuer = hub_issuer.rstrip("/")
    settings = ClientSettings(
        name="Hub de démonstration",
        redirect_uris=[f"{hub_issuer}/identity-providers/{DEMO_PROVIDER}/callback"],
        post_logout_redirect_uris=[f"{hub_issuer}/identity-providers/{DEMO_PROVIDER}/logged-out"],
        auth_method="private_key_jwt",
        jwks_uri=f"{hub_issuer}/jwks",
        operator_scope_override=providers.DEFAULT_SCOPE.split(),
    )
    if find_client(HUB_CLIENT_ID) is None:
        create_client(settings, client_id=HUB_CLIENT_ID)
    else:
        update_client(HUB_CLIENT_ID, settings)
    yield f"hub {hub_issuer} registered here as client {HUB_CLIENT_ID} (private_key_jwt)"


def seed_upstream_provider(upstream_issuer: str) -> Iterator[str]:
    """At the hub: the upstream as identity provider :data:`DEMO_PROVIDER`."""
    settings = ProviderSettings(
        title=DEMO_PROVIDER_TITLE,
        discovery_url=f"{upstream_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_id=HUB_CLIENT_ID,
        auth_method="private_key_jwt",
        eidas_levels=["eidas1"],
        active=True,
    )
    if providers.find(DEMO_PROVIDER) is None:
        providers.add(DEMO_PROVIDER, settings)
    else:
        providers.update(DEMO_PROVIDER, settings)
    yield f"identity provider {DEMO_PROVIDER}: {upstream_issuer}"
