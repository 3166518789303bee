"""The UserInfo endpoint (OIDC Core §5.3), a protected resource (RFC 6750)."""

from __future__ import annotations

from idp.oauth2.bearer import NOT_ACTIVE, BearerTokenError, authenticate_bearer
from idp.oauth2.claims import released_user_info
from idp.oauth2.http import EndpointResponse, OAuthRequest, json_response
from idp.oauth2.scope_policy import still_allowed


def userinfo(request: OAuthRequest) -> EndpointResponse:
    """The citizen's claims that the token's scopes release (OIDC Core §5.3.2), never cached.

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
    return json_response(released_user_info(active.sector, active.user, " ".join(scope)))
