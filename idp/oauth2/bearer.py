"""Validating our own RFC 9068 access tokens (RFC 6750 bearer usage, RFC 9068 §4)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

import keys
from idp import signing
from idp.extensions import db
from idp.models import AccessTokenRecord, RevokedAccessToken, utcnow
from idp.oauth2.tokens import ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP, is_self_contained

#: Longer input is not one of our tokens (and is not worth parsing).
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class ValidatedToken:
    """An active access token: its verified claims and, for a citizen's token, the citizen."""

    claims: dict
    user_id: int | None

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    @property
    def scope(self) -> str:
        return self.claims["scope"]


def decode_access_token(token: object, *, leeway: float = 0) -> dict | None:
    """Our signature, ``typ: at+jwt``, issuer and expiry (RFC 9068 §4); claims or None.

    No database work: callers look the ``jti`` up themselves, in the one query they need.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        return signing.keyring().verify(
            token,
            algorithms=(ACCESS_TOKEN_ALG,),
            issuer=current_app.config["ISSUER"],
            typ=ACCESS_TOKEN_TYP,
            leeway=leeway,
            require=["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"],
        )
    except keys.KeyManagementError:
        return None


def validate_access_token(token: object) -> ValidatedToken | None:
    """Signature, ``typ``, issuer and expiry, then one indexed lookup for revocation.

    A citizen's token must have its record, not revoked; a self-contained client_credentials
    token must not be on the revocation list (:mod:`idp.oauth2.tokens`). Returns None for
    anything not active: bad signature, expired, unknown or revoked.
    """
    claims = decode_access_token(token)
    if claims is None:
        return None
    if is_self_contained(claims):
        if db.session.get(RevokedAccessToken, claims["jti"]) is not None:
            return None
        return ValidatedToken(claims=claims, user_id=None)
    record = db.session.get(AccessTokenRecord, claims["jti"])
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    return ValidatedToken(claims=claims, user_id=record.user_id)
