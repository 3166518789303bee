"""Validation of logout requests (OpenID Connect RP-Initiated Logout 1.0 §2-§3).

``post_logout_redirect_uri`` is honoured only when it is registered, exactly, for the client
named by the ``id_token_hint`` (or ``client_id``); the hint must be an ID token we signed,
possibly expired.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

import keys
from idp import signing
from idp.citizens.subject import pairwise_sub
from idp.clients.lookup import find_client


class LogoutRequestError(ValueError):
    pass


@dataclass
class LogoutRequest:
    client: object | None
    sub: str | None
    post_logout_redirect_uri: str | None
    state: str | None

    def matches(self, user_id: int) -> bool:
        """The hint names this signed-in citizen (its pairwise sub for that client)."""
        return bool(self.client and self.sub and self.sub == pairwise_sub(self.client.sector, user_id))


def _decode_hint(hint: str) -> dict:
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
