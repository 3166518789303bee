"""Demo data for ``make run``: the registry, two citizens and the demo service provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import current_app

from idp.citizens.users import create_user
from idp.clients.admin import ClientSettings, create_client, update_client
from idp.clients.lookup import find_client
from idp.demo.data_provider.seed import seed_demo_data_provider
from idp.demo.relying_party import DEMO_CLIENT_ID
from idp.extensions import db
from idp.models import User
from idp.registry.transfer import import_bundled_registry, import_registry_file

#: A scope a service gets for itself (client_credentials): public aggregates, no citizen.
MACHINE_SCOPES = Path(__file__).parent / "data" / "machine-scopes.json"
MACHINE_SCOPE = "dgfip_statistiques"
DEMO_PASSWORD = "demo-password-2026"
DEMO_CITIZENS = (
    {
        "username": "marie.dupont",
        "given_name": "Marie Claire",
        "family_name": "Dupont",
        "preferred_username": "Martin",
        "birthdate": "1985-04-12",
        "gender": "female",
        "birthplace": "75056",
        "birthcountry": "99100",
        "email": "marie.dupont@example.fr",
    },
    {
        "username": "jean.martin",
        "given_name": "Jean",
        "family_name": "Martin",
        "birthdate": "1962-11-03",
        "gender": "male",
        "birthplace": "69123",
        "birthcountry": "99100",
        "email": "jean.martin@example.fr",
    },
)
DEMO_SCOPES = (
    "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username"
    " dgfip_rfr"
)


def seed_demo() -> Iterator[str]:
    counts = import_bundled_registry()
    yield f"registry: {counts['created']} created, {counts['updated']} updated"
    counts = import_registry_file(MACHINE_SCOPES)
    yield f"demo machine scope {MACHINE_SCOPE}: {counts['created']} created, {counts['updated']} updated"
    for citizen in DEMO_CITIZENS:
        if db.session.scalar(db.select(User.id).where(User.username == citizen["username"])) is None:
            create_user(password=DEMO_PASSWORD, **citizen)
        yield f"citizen: {citizen['username']} / {DEMO_PASSWORD}"
    issuer = current_app.config["ISSUER"]
    settings = ClientSettings(
        name="Démonstration — service en ligne",
        redirect_uris=[f"{issuer}/demo/callback"],
        post_logout_redirect_uris=[f"{issuer}/demo/"],
        auth_method="none",
        operator_scope_override=DEMO_SCOPES.split(),
    )
    if find_client(DEMO_CLIENT_ID) is None:
        create_client(settings, client_id=DEMO_CLIENT_ID)
    else:
        update_client(DEMO_CLIENT_ID, settings)
    yield f"demo service provider: {DEMO_CLIENT_ID} at {issuer}/demo/"
    yield from seed_demo_data_provider()
