"""Token revocation (RFC 7009) for access tokens and refresh tokens.

Access tokens are our RFC 9068 JWTs: the signature is checked, then a citizen's token has
its record (found by ``jti``) marked revoked, and a self-contained client_credentials token
has its ``jti`` put on the revocation list (:mod:`idp.oauth2.tokens`). An opaque access
token has its record (found by the token's SHA-256) marked revoked. ``/introspect``,
``/checktoken``, ``/userinfo`` and the registry API read both from the database on every
request. A refresh token revokes its whole family (every token of the
grant), as reuse detection does (RFC 9700 §4.14.2).
"""

from __future__ import annotations

from datetime import UTC, datetime

from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, OAuth2Error
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from idp.extensions import db
from idp.models import AccessTokenRecord, Client, RefreshToken, RevokedAccessToken, utcnow
from idp.oauth2.bearer import MAX_TOKEN_LENGTH, decode_access_token
from idp.oauth2.checks import FORM_REQUEST_CHECKS, run_checks
from idp.oauth2.http import NO_STORE, EndpointResponse, OAuthRequest
from idp.oauth2.server import authenticate_client
from idp.oauth2.tokens import hash_token, is_self_contained, opaque_reference, revoke_grant

#: RFC 7009 §2.1 and §4.1.2: the hints this server understands.
TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
#: An access token that expired a moment ago is still revoked (the signature must still
#: verify, so a forged ``jti`` revokes nothing); past this, it is simply ignored.
EXPIRED_ACCESS_TOKEN_LEEWAY = 24 * 60 * 60
#: ``INSERT … ON CONFLICT DO NOTHING`` for each supported database: two clients revoking the
#: same token at once both succeed.
_INSERT_IGNORING_DUPLICATES = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class UnsupportedTokenTypeError(OAuth2Error):
    """RFC 7009 §2.2.1, a 400 (Authlib's class of that name answers 401)."""

    error = "unsupported_token_type"
    status_code = 400


def revoke(client: Client, token: object, token_type_hint: object = None) -> None:
    """RFC 7009 §2.1: revoke ``token`` if it is ours and ``client``'s; unknown ones are ignored.

    The hint only says where to look first (§2.1); access tokens are JWTs and refresh tokens
    are not, so both kinds are always found. A token issued to another client is refused
    with ``invalid_grant`` (RFC 6749 §5.2: "issued to another client").
    """
    if token_type_hint is not None and token_type_hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenTypeError(description="token_type_hint must be access_token or refresh_token")
    if not isinstance(token, str) or not token:
        raise InvalidRequestError("token is required")
    if len(token) > MAX_TOKEN_LENGTH:
        return
    if token.count(".") == 2:
        _revoke_access_token(client, token)
    elif not _revoke_refresh_token(client, token):
        _revoke_recorded_access_token(client, opaque_reference(token))  # an opaque access token
    db.session.commit()


def _revoke_access_token(client: Client, token: str) -> None:
    claims = decode_access_token(token, leeway=EXPIRED_ACCESS_TOKEN_LEEWAY)
    if claims is None:
        return
    if is_self_contained(claims):
        _check_owner(client, claims["client_id"])
        _list_revoked(claims)
        return
    _revoke_recorded_access_token(client, claims["jti"])


def _revoke_recorded_access_token(client: Client, jti: str) -> None:
    record = db.session.get(AccessTokenRecord, jti)
    if record is None:
        return
    _check_owner(client, record.client_id)
    db.session.execute(
        update(AccessTokenRecord)
        .where(AccessTokenRecord.jti == record.jti, AccessTokenRecord.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _list_revoked(claims: dict) -> None:
    """Put a self-contained token on the revocation list; revoking it twice is a no-op (§2.2)."""
    insert = _INSERT_IGNORING_DUPLICATES[db.engine.dialect.name]
    db.session.execute(
        insert(RevokedAccessToken)
        .values(
            jti=claims["jti"],
            client_id=claims["client_id"],
            revoked_at=utcnow(),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
        .on_conflict_do_nothing(index_elements=[RevokedAccessToken.jti])
    )


def _revoke_refresh_token(client: Client, token: str) -> bool:
    """Whether ``token`` is one of our refresh tokens (then its family is revoked)."""
    row = db.session.scalar(db.select(RefreshToken).where(RefreshToken.token_hash == hash_token(token)))
    if row is None:
        return False
    _check_owner(client, row.client_id)
    revoke_grant(row.grant_id)
    return True


def _check_owner(client: Client, owner_client_id: str) -> None:
    if owner_client_id != client.client_id:
        raise InvalidGrantError("the token was not issued to this client")


def endpoint(request: OAuthRequest) -> EndpointResponse:
    """``POST /revoke``: 200 with an empty body, whether or not the token was known (§2.2)."""
    run_checks(FORM_REQUEST_CHECKS, request)
    client = authenticate_client(request, "revocation")
    revoke(client, request.form.get("token"), request.form.get("token_type_hint"))
    return EndpointResponse(200, b"", NO_STORE)
