"""Our RFC 9068 access tokens: is this one active, and the RFC 6750 bearer flow around it.

:func:`active_token` is the one answer to "is this token active", for ``/introspect``,
``/checktoken``, ``/userinfo`` and the registry API. A JWT's signature, ``typ``, issuer and
expiry are checked with the cached key ring (RFC 9068 §4); an opaque token (no dot) is its
record. Then one indexed query on primary keys reads what revocation decides and what the
endpoints need:

- a citizen's token: its record (by ``jti``) joined to its client and its citizen; the
  record ends with a revocation (of the grant, the consent, or the token itself);
- a self-contained client_credentials token (:mod:`idp.oauth2.tokens`): its client, and
  whether its ``jti`` is on the revocation list.

Revocation is read from the database on every request, never from a process cache, so it
is seen by every instance from the next request on. A token whose client is gone is not
active. The query takes along the reads that wait for it (:mod:`idp.database.batches`: the
version of the data provider's cached row at ``/introspect``), in the same round trip.

:func:`authenticate_bearer` is the protected-resource side (RFC 6750). Authlib's
``ResourceProtector`` reads only the ``Authorization`` header (§2.1, not the §2.2 form
body), answers a request without credentials with an error code (§3.1 says none), and sends
no challenge with ``insufficient_scope``; hence this one.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import current_app
from sqlalchemy import Row, bindparam, exists, select

import keys
from idp import signing
from idp.citizens.subject import pairwise_sub
from idp.database import batches
from idp.models import AccessTokenRecord, Client, RevokedAccessToken, User, utcnow
from idp.oauth2.audience import token_audience
from idp.oauth2.http import NO_STORE, OAuthRequest
from idp.oauth2.tokens import ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP, is_self_contained, opaque_reference
from idp.telemetry.context import note_client

#: Longer input is not one of our tokens (and is not worth parsing).
MAX_TOKEN_LENGTH = 4096
NOT_ACTIVE = "the access token is not active"

#: What the endpoints read of the token's client and citizen, named as on the models.
_CLIENT_COLUMNS = (
    Client.client_id,
    Client.allowed_scopes,
    Client.role,
    Client.namespace,
    Client.sector_identifier,
    Client.userinfo_signed_response_alg,  # plain JSON or a JWT, without another query
)
_USER_COLUMNS = (
    User.id,
    User.identity_hash,
    User.given_name,
    User.family_name,
    User.preferred_username,
    User.birthdate,
    User.gender,
    User.birthplace,
    User.birthcountry,
    User.email,
)
#: Built once: a statement reused as the same object skips SQLAlchemy's per-call
#: construction (:mod:`idp.database.reads` compiles it once per process).
RECORDED_TOKEN = (
    select(AccessTokenRecord.revoked_at, AccessTokenRecord.expires_at, *_CLIENT_COLUMNS, *_USER_COLUMNS)
    .join_from(AccessTokenRecord, Client, Client.client_id == AccessTokenRecord.client_id)
    .outerjoin(User, User.id == AccessTokenRecord.user_id)
    .where(AccessTokenRecord.jti == bindparam("jti"))
)
#: An opaque token: its record holds everything its claims would (:mod:`idp.oauth2.tokens`).
OPAQUE_TOKEN = (
    select(
        AccessTokenRecord.revoked_at,
        AccessTokenRecord.expires_at,
        AccessTokenRecord.issued_at,
        AccessTokenRecord.scope,
        AccessTokenRecord.acr,
        AccessTokenRecord.auth_time,
        *_CLIENT_COLUMNS,
        *_USER_COLUMNS,
    )
    .join_from(AccessTokenRecord, Client, Client.client_id == AccessTokenRecord.client_id)
    .outerjoin(User, User.id == AccessTokenRecord.user_id)
    .where(AccessTokenRecord.jti == bindparam("jti"))
)
SELF_CONTAINED_TOKEN = select(
    *_CLIENT_COLUMNS,
    exists().where(RevokedAccessToken.jti == bindparam("jti")).label("revoked"),
).where(Client.client_id == bindparam("client_id"))


@dataclass(frozen=True)
class ActiveToken:
    """An active access token: its verified claims, its client's row, its citizen's (or None)."""

    claims: dict
    client: Row
    user: Row | None

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    @property
    def scope(self) -> str:
        return self.claims["scope"]

    @property
    def sector(self) -> str:
        """The client's sector for pairwise ``sub`` values (OIDC Core §8.1)."""
        return self.client.sector_identifier or self.client.client_id


def decode_access_token(token: object, *, leeway: float = 0) -> dict | None:
    """Our signature, ``typ: at+jwt``, issuer and expiry (RFC 9068 §4); claims or None.

    No database work: :func:`active_token` adds the one query that revocation needs.
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


def active_token(token: object) -> ActiveToken | None:
    """The token if it is active: valid, unexpired, unrevoked, its client still there."""
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH and "." not in token:
        return _active_opaque_token(token)
    claims = decode_access_token(token)
    if claims is None:
        return None
    if is_self_contained(claims):
        row = batches.first(SELF_CONTAINED_TOKEN, {"jti": claims["jti"], "client_id": claims["client_id"]})
        return None if row is None or row.revoked else ActiveToken(claims, row, None)
    row = batches.first(RECORDED_TOKEN, {"jti": claims["jti"]})
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return ActiveToken(claims, row, row if row.id is not None else None)


def _active_opaque_token(token: str) -> ActiveToken | None:
    """An opaque token (``IDP_ACCESS_TOKEN_FORMAT=opaque``): its record, found by the token's
    SHA-256, gives the claims a JWT would carry (RFC 9068 §2.2), for the endpoints to read
    alike."""
    row = batches.first(OPAQUE_TOKEN, {"jti": opaque_reference(token)})
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = row if row.id is not None else None
    sector = row.sector_identifier or row.client_id
    claims = {
        "iss": current_app.config["ISSUER"],
        "sub": pairwise_sub(sector, user.identity_hash) if user else row.client_id,
        "aud": token_audience(row.scope.split()),
        "exp": int(row.expires_at.timestamp()),
        "iat": int(row.issued_at.timestamp()),
        "jti": opaque_reference(token),
        "client_id": row.client_id,
        "scope": row.scope,
    }
    if row.auth_time is not None:
        claims["auth_time"] = int(row.auth_time.timestamp())
    if row.acr:
        claims["acr"] = row.acr
    return ActiveToken(claims, row, user)


class BearerTokenError(OAuth2Error):
    """An RFC 6750 §3 answer: its status, and a ``WWW-Authenticate: Bearer`` challenge.

    §3.1: a request without any authentication gets no error code in the challenge.
    """

    def __init__(self, status: int, error: str | None = None, description: str | None = None) -> None:
        super().__init__(description=description, status_code=status, error=error or "invalid_request")
        self.challenged_error = error

    def get_headers(self) -> list[tuple[str, str]]:
        params = ['realm="idp"']
        if self.challenged_error:
            params.append(f'error="{self.challenged_error}"')
            if self.description:
                params.append(f'error_description="{self.description}"')
        return [
            ("Content-Type", "application/json"),
            ("WWW-Authenticate", "Bearer " + ", ".join(params)),
            *NO_STORE,
        ]


def bearer_token(request: OAuthRequest) -> str:
    """RFC 6750 §2.1 header, or §2.2 form body, exactly one of them."""
    header = request.headers.get("Authorization")
    form_token = request.form.get("access_token") if request.method == "POST" else None
    if header and form_token:
        raise BearerTokenError(400, "invalid_request", "use only one way of sending the access token")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise BearerTokenError(
                400, "invalid_request", "the Authorization header must be 'Bearer <token>'"
            )
        return value.strip()
    if form_token:
        return form_token
    raise BearerTokenError(401)


def authenticate_bearer(request: OAuthRequest) -> ActiveToken:
    """The request's active access token; 400, or 401 ``invalid_token``, otherwise."""
    found = active_token(bearer_token(request))
    if found is None:
        raise BearerTokenError(401, "invalid_token", NOT_ACTIVE)
    note_client(found.client_id)  # the client the token was issued to
    return found
