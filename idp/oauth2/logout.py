"""Validation of logout requests (OpenID Connect RP-Initiated Logout 1.0 §2-§3).

``post_logout_redirect_uri`` is honoured only when it is registered, exactly, for the client
named by the ``id_token_hint`` (or ``client_id``); the hint must be an ID token we signed,
possibly expired.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from flask import current_app
from sqlalchemy import update

import keys
from idp import signing
from idp.citizens.sessions import SignIn, end_login
from idp.citizens.subject import pairwise_sub
from idp.clients.lookup import find_client
from idp.extensions import db
from idp.models import AccessTokenRecord, AuthorizationCode, User, utcnow


class LogoutRequestError(ValueError):
    pass


@dataclass
class LogoutRequest:
    client: object | None
    sub: str | None
    post_logout_redirect_uri: str | None
    state: str | None

    def matches(self, user: User) -> bool:
        """The hint names this signed-in citizen (its pairwise sub for that client)."""
        return bool(
            self.client and self.sub and self.sub == pairwise_sub(self.client.sector, user.identity_hash)
        )


#: ``typ`` headers of our ID tokens (none: OIDC Core §2 sets no ``typ``; RFC 7519 §5.1 "JWT").
ID_TOKEN_TYPES = (None, "JWT")


def _decode_hint(hint: str) -> dict:
    """One of our ID tokens, maybe expired (§2); an access token (``typ: at+jwt``, RFC 9068)
    or a signed introspection answer is not a hint, though our keys signed it too."""
    try:
        if jwt.get_unverified_header(hint).get("typ") not in ID_TOKEN_TYPES:
            raise LogoutRequestError("id_token_hint must be an ID token, not another of our tokens")
    except jwt.DecodeError as exc:
        raise LogoutRequestError("id_token_hint is not a valid ID token from this provider") from exc
    try:
        return signing.keyring().verify(
            hint,
            algorithms=("RS256", "ES256"),
            issuer=current_app.config["ISSUER"],
            leeway=10**9,  # expired hints are fine: they only identify the session (§2)
            require=["sub", "aud"],
        )
    except keys.KeyManagementError as exc:
        raise LogoutRequestError("id_token_hint is not a valid ID token from this provider") from exc


def parse_logout_request(values) -> LogoutRequest:
    hint = values.get("id_token_hint")
    client_id = values.get("client_id")
    redirect_uri = values.get("post_logout_redirect_uri")
    state = values.get("state")
    if state and len(state) > 2048:
        raise LogoutRequestError("state is too long")
    sub = None
    if hint:
        claims = _decode_hint(hint)
        audience = claims["aud"] if isinstance(claims["aud"], str) else (claims["aud"] or [None])[0]
        if client_id and client_id != audience:
            raise LogoutRequestError("client_id does not match the id_token_hint")
        client_id, sub = audience, claims["sub"]
    client = find_client(client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRequestError("unknown client")
    if redirect_uri:
        if client is None:
            raise LogoutRequestError("post_logout_redirect_uri needs id_token_hint or client_id")
        if redirect_uri not in (client.post_logout_redirect_uris or []):
            raise LogoutRequestError("post_logout_redirect_uri is not registered for this client")
    return LogoutRequest(client=client, sub=sub, post_logout_redirect_uri=redirect_uri, state=state)


def end_session(login: SignIn | None) -> None:
    """Sign the citizen out (RP-Initiated Logout 1.0 §2): the sign-in ends, and the access
    tokens issued in it are revoked at once (introspection and ``/userinfo`` say inactive).

    Refresh tokens, which only ``offline_access`` brings, outlive the sign-in: access "when
    the End-User is not logged in" is what that scope asks for (OIDC Core §11). ``/revoke``
    or a consent withdrawal ends them.
    """
    grants = []
    if login is not None:
        grants = db.session.scalars(
            db.select(AuthorizationCode.grant_id).where(AuthorizationCode.session_id == login.id)
        ).all()
    if grants:
        db.session.execute(
            update(AccessTokenRecord)
            .where(AccessTokenRecord.grant_id.in_(grants), AccessTokenRecord.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    end_login()
