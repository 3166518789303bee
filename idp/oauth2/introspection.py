"""Token introspection for data providers: RFC 7662, with JWT responses (RFC 9701).

A data provider learns three things about an access token it was shown: whether it is
active, which of *its own* scopes it carries (still covered by a habilitation), and who the
citizen is (the pivot identity, with a ``sub`` pairwise for this data provider).

Cost per request: one signature check with the cached key ring, and one indexed query.
For a citizen's token, it joins the token record (by ``jti``, its primary key) to its client
and its citizen; for a self-contained client_credentials token, it reads the client and the
revocation list (:mod:`idp.oauth2.tokens`). Revocation is read from the database on every
request, never from a process cache, so a revocation is seen by every instance from the next
request on.
"""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import Row, bindparam, exists, select

from idp import request_sql, signing
from idp.citizens.subject import pairwise_sub
from idp.models import AccessTokenRecord, Client, RevokedAccessToken, User, utcnow
from idp.oauth2.bearer import decode_access_token
from idp.oauth2.claims import user_claims
from idp.oauth2.client_auth import PRIVATE_KEY_JWT
from idp.oauth2.scope_policy import still_allowed
from idp.oauth2.tokens import is_self_contained
from idp.registry.store import registry
from scopes import owned_scopes

#: RFC 8414 §2 ``introspection_endpoint_auth_methods_supported``.
AUTH_METHODS = ["client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT]
#: The FranceConnect pivot identity, released to every data provider that sees a token.
PIVOT_IDENTITY_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
#: RFC 7662 §2.2: the whole answer for anything this caller may not see as active.
INACTIVE: dict = {"active": False}
#: RFC 9701 §5 and §8: the JWT ``typ`` and the media type of signed responses.
JWT_RESPONSE_TYP = "token-introspection+jwt"
JWT_MEDIA_TYPE = "application/token-introspection+jwt"
SIGNING_ALG = "ES256"


def may_introspect(client: Client) -> bool:
    """Only a data provider owning a namespace introspects (DESIGN: data-provider rules)."""
    return client.role == "data-provider" and bool(client.namespace)


#: The columns introspection reads, named as on the models: one Core row then stands in for
#: the token's client (``allowed_scopes``) and its citizen (``id`` and identity).
_CLIENT_COLUMNS = (Client.allowed_scopes,)
_USER_COLUMNS = (
    User.id,
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
#: construction and result-column adaptation (the compiled form is cached either way).
#: SQLAlchemy Core, not ORM entities: building objects per request cost more than the query.
_RECORDED_TOKEN = (
    select(AccessTokenRecord.revoked_at, AccessTokenRecord.expires_at, *_CLIENT_COLUMNS, *_USER_COLUMNS)
    .join_from(AccessTokenRecord, Client, Client.client_id == AccessTokenRecord.client_id)
    .outerjoin(User, User.id == AccessTokenRecord.user_id)
    .where(AccessTokenRecord.jti == bindparam("jti"))
)
_SELF_CONTAINED_TOKEN = select(
    *_CLIENT_COLUMNS,
    exists().where(RevokedAccessToken.jti == bindparam("jti")).label("revoked"),
).where(Client.client_id == bindparam("client_id"))


def _lookup(claims: dict) -> tuple[Row, Row | None] | None:
    """The token's client and citizen (``None`` for a machine token), if it is still active.

    One query on primary keys either way. A token whose client is gone is not found; a
    citizen's token also ends with its record (revoked, or cut short).
    """
    if is_self_contained(claims):
        keys = {"jti": claims["jti"], "client_id": claims["client_id"]}
        row = request_sql.first(_SELF_CONTAINED_TOKEN, keys)
        return None if row is None or row.revoked else (row, None)
    row = request_sql.first(_RECORDED_TOKEN, {"jti": claims["jti"]})
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row, (row if row.id is not None else None)


def introspect(data_provider: Client, token: object) -> dict:
    """RFC 7662 §2.2 response for ``data_provider``; :data:`INACTIVE` when nothing is left.

    Inactive: bad signature, wrong ``typ``, expired, unknown ``jti``, revoked, client gone, or
    no scope of this data provider among those the token's client is still allowed (a revoked
    habilitation takes effect at once, since the client row is read on every request).
    """
    claims = decode_access_token(token)
    if claims is None:
        return INACTIVE
    found = _lookup(claims)
    if found is None:
        return INACTIVE
    service_provider, user = found
    visible = owned_scopes(
        registry(), data_provider.namespace, still_allowed(service_provider, claims["scope"])
    )
    if not visible:
        return INACTIVE
    response = {
        "active": True,
        "scope": " ".join(visible),
        "client_id": claims["client_id"],
        "token_type": "Bearer",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": claims["iss"],
        "aud": claims["aud"],
        "sub": pairwise_sub(data_provider.sector, user.id) if user else claims["client_id"],
    }
    for name in ("acr", "auth_time"):
        if name in claims:
            response[name] = claims[name]
    if user is not None:
        identity = user_claims(user)
        response.update({name: identity[name] for name in PIVOT_IDENTITY_CLAIMS if name in identity})
    return response


def wants_jwt_response(accept: str | None) -> bool:
    """RFC 9701 §4: the caller asks for a JWT with ``Accept: application/token-introspection+jwt``."""
    if not accept:
        return False
    return any(part.split(";")[0].strip().lower() == JWT_MEDIA_TYPE for part in accept.split(","))


def introspection_jwt(data_provider: Client, response: dict) -> str:
    """RFC 9701 §5: ``{iss, aud, iat, token_introspection}`` signed with the active ES256 key.

    No top-level ``sub`` or ``exp``, so the JWT cannot pass for an access or ID token.
    """
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": data_provider.client_id,
        "iat": int(time.time()),
        "token_introspection": response,
    }
    return signing.keyring().sign(claims, alg=SIGNING_ALG, typ=JWT_RESPONSE_TYP)
