"""Access tokens and refresh tokens: issuing, recording, revoking.

Access tokens are ES256 JWTs with ``typ: at+jwt`` (RFC 9068 §2.1), or, with
``IDP_ACCESS_TOKEN_FORMAT=opaque``, random references as FranceConnect's are: such a token
says nothing to whoever holds it, and is always recorded (its record is all there is; data
providers learn what it grants through ``/introspect`` or ``/checktoken``). The server keeps
what revocation needs, never the token itself (an opaque token's record is keyed by its
SHA-256); refresh tokens are random and stored as SHA-256.

A token request with ``resource`` (RFC 8707, :mod:`idp.oauth2.resource`) gets a token for
that data provider alone.

- A citizen's token is recorded at issuance (``jti``, client, grant, consent): revoking its
  grant (code replay, refresh token reuse) or withdrawing the consent revokes it.
- A client_credentials JWT is **self-contained**: no resource owner, no grant, no
  consent, so nothing in it can be revoked in bulk, and everything introspection needs is
  signed into it (``client_id``, ``scope``, ``exp``). It is not recorded; ``/revoke`` puts
  its ``jti`` on a revocation list (:class:`~idp.models.RevokedAccessToken`), read at every
  use, and its client's current habilitations still bound its scopes at every use.
  node-oidc-provider and Keycloak do not store JWT access tokens either; here this spares
  the hottest endpoint a database write per token (``bench/RESULTS.md``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, insert, update

from idp import signing
from idp.citizens.subject import pairwise_sub
from idp.database import writes
from idp.extensions import db
from idp.models import AccessTokenRecord, Client, Consent, RefreshToken, User, utcnow
from idp.models.clients import normalize_scope
from idp.oauth2.audience import token_audience
from idp.oauth2.resource import Target, requested_target

ACCESS_TOKEN_TYP = "at+jwt"
ACCESS_TOKEN_ALG = "ES256"


@dataclass(frozen=True)
class GrantContext:
    """What a citizen's tokens are issued under: the authorization they come from.

    Set on the request by the grant that validated it (the code's, or the refresh token's),
    and read when the tokens are signed and recorded. ``grant_id`` ties a code to every
    token issued from it and from its refreshes (one family, revoked together).
    """

    grant_id: str
    consent_id: int | None
    auth_time: int
    acr: str
    amr: list[str] = field(default_factory=list)


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def opaque_reference(token: str) -> str:
    """The record key of an opaque access token: its SHA-256, never the token."""
    return hash_token(token)


def issue_access_token(
    client: Client,
    scope: str,
    user: User | None = None,
    auth_time: int | None = None,
    acr: str | None = None,
    target: Target | None = None,
) -> tuple[str, dict]:
    """An RFC 9068 §2.2 access token (or an opaque one); returns it and its claims.

    With a ``target`` (RFC 8707), ``aud`` is that data provider and ``sub`` its own.
    """
    now = int(time.time())
    config = current_app.config
    lifetime = config["ACCESS_TOKEN_LIFETIME"]
    sector = target.sector if target else client.sector
    claims = {
        "iss": config["ISSUER"],
        "sub": pairwise_sub(sector, user.identity_hash) if user else client.client_id,
        "aud": target.client_id if target else token_audience(scope.split()),
        "exp": now + lifetime,
        "iat": now,
        "jti": secrets.token_urlsafe(24),
        "client_id": client.client_id,
        "scope": scope,
    }
    if user is not None:
        if auth_time is not None:
            claims["auth_time"] = auth_time
        if acr:
            claims["acr"] = acr
    if config["ACCESS_TOKEN_FORMAT"] == "opaque":
        token = secrets.token_urlsafe(32)
        claims["jti"] = opaque_reference(token)
        return token, claims
    token = signing.keyring().sign(claims, alg=ACCESS_TOKEN_ALG, typ=ACCESS_TOKEN_TYP)
    return token, claims


def is_self_contained(claims: dict) -> bool:
    """A client_credentials JWT: no resource owner, so ``sub`` is the client (RFC 9068 §2.2).

    A citizen's ``sub`` is pairwise (:func:`~idp.citizens.subject.pairwise_sub`) and its token carries
    ``auth_time``; neither can be mistaken for this.
    """
    return claims["sub"] == claims["client_id"] and "auth_time" not in claims


def issue_tokens(request, user=None, scope=None, include_refresh_token: bool = True) -> dict:
    """The RFC 6749 §5.1 token response for ``request``'s client (and citizen, if any).

    A refresh token only for a citizen who granted ``offline_access`` (OIDC Core §11); it
    keeps the whole grant when the access token is for one data provider (``resource``).
    What :func:`save_token` records stays on the request.
    """
    context: GrantContext | None = request.grant
    granted = normalize_scope(scope)
    target = requested_target(request.form.get("resource"), granted)
    access_scope = target.scope if target else granted
    access_token, claims = issue_access_token(
        request.client,
        access_scope,
        user,
        auth_time=context.auth_time if context else None,
        acr=context.acr if context else None,
        target=target,
    )
    request.issued_claims = claims
    request.granted_scope = granted
    request.issued_opaque = current_app.config["ACCESS_TOKEN_FORMAT"] == "opaque"
    token = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": claims["exp"] - claims["iat"],
        "scope": access_scope,
    }
    if include_refresh_token and user is not None and "offline_access" in granted.split():
        token["refresh_token"] = secrets.token_urlsafe(48)
    return token


_INSERT_ACCESS_TOKEN_RECORD = insert(AccessTokenRecord.__table__)
_INSERT_REFRESH_TOKEN = insert(RefreshToken.__table__)
_NOTE_ISSUANCE = (
    update(Consent.__table__)
    .where(Consent.__table__.c.id == bindparam("consent_id"))
    .values(last_issued_at=bindparam("issued_at"))
)


def save_token(token: dict, request) -> None:
    """Authlib's ``save_token``: record the access token and its refresh token.

    Self-contained JWTs (:func:`is_self_contained`) are not recorded; every opaque token is.
    The record, the consent's last issuance (``/account``) and the refresh token are one
    transaction on the thread's connection (:mod:`idp.database.writes`), committed before the
    token is sent, not flushed to disk first (``durable=False``): a token whose record a
    crash lost is not active, and a refresh token that is not there cannot be used.
    """
    claims = request.issued_claims
    if is_self_contained(claims) and not request.issued_opaque:
        return
    context: GrantContext | None = request.grant
    user_id = request.user.id if request.user is not None else None
    issued_at = _from_epoch(claims["iat"])
    steps = [
        (
            _INSERT_ACCESS_TOKEN_RECORD,
            {
                "jti": claims["jti"],
                "client_id": claims["client_id"],
                "user_id": user_id,
                "grant_id": context.grant_id if context else None,
                "consent_id": context.consent_id if context else None,
                "scope": claims["scope"],
                "acr": claims.get("acr"),
                "auth_time": _from_epoch(claims.get("auth_time")),
                "issued_at": issued_at,
                "expires_at": _from_epoch(claims["exp"]),
                "revoked_at": None,
            },
        )
    ]
    if context is not None and context.consent_id is not None:
        steps.append((_NOTE_ISSUANCE, {"consent_id": context.consent_id, "issued_at": issued_at}))
    if "refresh_token" in token:
        now = utcnow()
        steps.append(
            (
                _INSERT_REFRESH_TOKEN,
                {
                    "token_hash": hash_token(token["refresh_token"]),
                    "client_id": claims["client_id"],
                    "user_id": user_id,
                    "grant_id": context.grant_id,
                    "consent_id": context.consent_id,
                    "scope": request.granted_scope,
                    "auth_time": _from_epoch(context.auth_time),
                    "acr": context.acr,
                    "amr": context.amr,
                    "issued_at": now,
                    "expires_at": now + timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME"]),
                },
            )
        )
    writes.transaction(*steps, durable=False)


def _from_epoch(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def revoke_grant(grant_id: str) -> None:
    """Revoke every token of one authorization (a code and its refresh family).

    RFC 6749 §4.1.2 (code replay) and RFC 9700 §4.14.2 (refresh token reuse).
    """
    now = utcnow()
    db.session.execute(
        update(AccessTokenRecord)
        .where(AccessTokenRecord.grant_id == grant_id, AccessTokenRecord.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.grant_id == grant_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
