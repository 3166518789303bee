"""``idp seed-demo``: register the demo data provider, owner of the ``dgfip`` namespace."""

from __future__ import annotations

from collections.abc import Iterator

from idp.clients.admin import (
    ClientConfigurationError,
    ClientSettings,
    create_client,
    rotate_secret,
    update_client,
)
from idp.clients.lookup import find_client
from idp.demo.data_provider.credentials import DEMO_DATA_PROVIDER_ID, load_credentials, save_credentials

SITUATIONS_PATH = "/demo-api/impot-particulier/situations"
SETTINGS = ClientSettings(
    name="Démonstration — API Impôt particulier (DGFiP)",
    role="data-provider",
    namespace="dgfip",
    auth_method="client_secret_post",
    redirect_uris=[],
    post_logout_redirect_uris=[],
)


def seed_demo_data_provider() -> Iterator[str]:
    """Create (or refresh) the client; a new secret only when the stored one no longer works."""
    try:
        if find_client(DEMO_DATA_PROVIDER_ID) is None:
            client, secret = create_client(SETTINGS, client_id=DEMO_DATA_PROVIDER_ID)
        else:
            client, secret = update_client(DEMO_DATA_PROVIDER_ID, SETTINGS)
    except ClientConfigurationError as problem:
        yield f"demo data provider skipped: {problem}"
        return
    stored = load_credentials()
    if secret is None and not (stored and client.check_client_secret(stored["client_secret"])):
        secret = rotate_secret(DEMO_DATA_PROVIDER_ID)
    if secret is not None:
        save_credentials(DEMO_DATA_PROVIDER_ID, secret)
    yield f"demo data provider: {DEMO_DATA_PROVIDER_ID} (namespace dgfip) at {SITUATIONS_PATH}"
