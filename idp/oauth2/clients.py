"""Client lookup and creation helpers shared by the endpoints and the CLI."""

from __future__ import annotations

import secrets

from idp.extensions import db
from idp.models import Client


def find_client(client_id: object) -> Client | None:
    """One indexed query; hostile ids (non-strings, huge) simply find nothing."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
        return None
    return db.session.scalar(db.select(Client).where(Client.client_id == client_id))


def generate_client_secret() -> str:
    """256 bits of entropy (DESIGN: secrets are stored as SHA-256, never with a KDF)."""
    return secrets.token_urlsafe(32)


def generate_client_id() -> str:
    return secrets.token_hex(16)
