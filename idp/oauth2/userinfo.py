"""The UserInfo endpoint (OIDC Core §5.3), a protected resource (RFC 6750)."""

from __future__ import annotations

import time

from flask import current_app

from idp.clients.lookup import find_client_for_authentication
from idp.oauth2.bearer import NOT_ACTIVE, ActiveToken, BearerTokenError, authenticate_bearer
from idp.oauth2.claims import released_user_info
from idp.oauth2.http import EndpointResponse, OAuthRequest, json_response, respond
from idp.oauth2.jose_answers import JWT_MEDIA_TYPE, signed_answer
from idp.oauth2.scope_policy import still_allowed


def userinfo(request: OAuthRequest) -> EndpointResponse:
    """The citizen's claims that the token's scopes release (OIDC Core §5.3.2), never cached:
    JSON, or a JWT for a client that registered ``userinfo_signed_response_alg``.

    A client_credentials token names no citizen: it is not a token for this endpoint. A
    token none of whose scopes is still allowed is inactive (401); one that only lost
    ``openid`` is 403 ``insufficient_scope``.
    """
    active = authenticate_bearer(request)
    scope = still_allowed(active.client, active.scope)
    if active.user is None or not scope:
        # A token whose every scope lost its habilitation is no longer active (RFC 6750 §3.1).
        raise BearerTokenError(401, "invalid_token", NOT_ACTIVE)
    if "openid" not in scope:
        raise BearerTokenError(403, "insufficient_scope", "the openid scope is required")
    info = released_user_info(active.sector, active.user, " ".join(scope))
    if not active.client.userinfo_signed_response_alg:
        return json_response(info)
    return respond(signed_user_info(active, info).encode(), JWT_MEDIA_TYPE)


def signed_user_info(active: ActiveToken, info: dict) -> str:
    """OIDC Core §5.3.2: the claims as a JWT with ``iss`` and ``aud``, and, as FranceConnect's
    (node-oidc-provider's ``userinfo.js``), ``iat`` and the access token's ``exp``; encrypted
    when the client registered ``userinfo_encrypted_response_alg`` (:mod:`.jose_answers`)."""
    client = find_client_for_authentication(active.client_id)
    if client is None:  # deleted since the token was read
        raise BearerTokenError(401, "invalid_token", NOT_ACTIVE)
    claims = {
        **info,
        "iss": current_app.config["ISSUER"],
        "aud": client.client_id,
        "iat": int(time.time()),
        "exp": active.claims["exp"],
    }
    return signed_answer(claims, client, "userinfo", client.userinfo_signed_response_alg)
