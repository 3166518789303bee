"""Pairwise subject identifiers (OIDC Core §8.1), as FranceConnect computes them.

The same citizen gets a different, stable ``sub`` for each sector (service provider) and for
each data provider, so that two parties cannot link their records through ``sub``.
"""

from __future__ import annotations

import hashlib

from flask import current_app


def pairwise_sub(sector: str, user_id: int) -> str:
    """SHA-256 over sector, local user id and a server-side salt; 64 hex chars plus ``v1``."""
    salt = current_app.config["PAIRWISE_SALT"]
    digest = hashlib.sha256(f"{sector}\x00{user_id}\x00{salt}".encode()).hexdigest()
    return f"{digest}v1"
