"""Validating our own RFC 9068 access tokens (RFC 6750 bearer usage, RFC 9068 §4)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

import keys
from idp import keystore
from idp.extensions import db
from idp.models import AccessTokenRecord, utcnow
from idp.oauth2.tokens import ACCESS_TOKEN_TYP


@dataclass
class ValidatedToken:
    claims: dict
    record: AccessTokenRecord


def validate_access_token(token: object) -> ValidatedToken | None:
    """Signature, ``typ``, issuer and expiry, then one indexed lookup for revocation.

    Returns None for anything not active: bad signature, expired, unknown or revoked.
    """
    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    try:
        claims = keystore.keyring().verify(
            token,
            algorithms=("ES256",),
            issuer=current_app.config["ISSUER"],
            typ=ACCESS_TOKEN_TYP,
            require=["exp", "iat", "jti", "client_id", "scope"],
        )
    except keys.KeyManagementError:
        return None
    record = db.session.get(AccessTokenRecord, claims["jti"])
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    return ValidatedToken(claims=claims, record=record)
