"""``POST /token`` (RFC 6749 §3.2): :data:`TOKEN_CHECKS`, then the grant, in one transaction.

The grants are Authlib's, subclassed in :mod:`idp.oauth2.grants`; :data:`GRANT_CHECKS` lists
what each one checks, and where.
"""

from __future__ import annotations

from idp.database import commit_request, rollback_request
from idp.oauth2.checks import FORM_REQUEST_CHECKS, Check, authlib, run_checks
from idp.oauth2.http import EndpointResponse, OAuthRequest
from idp.oauth2.server import authorization_server

#: Every token request, in this order; the grant's own checks follow (:data:`GRANT_CHECKS`).
TOKEN_CHECKS = (
    *FORM_REQUEST_CHECKS,
    authlib("grant_type is one of ours (RFC 6749 §5.2 unsupported_grant_type)", "get_token_grant"),
    authlib(
        "the client authenticates with its registered method (RFC 6749 §2.3, RFC 7523 §2.2)",
        "authenticate_token_endpoint_client -> server.authenticate_client",
    ),
    Check(
        "the client is within IDP_CLIENT_RATE_LIMIT at /token (RFC 6585 §4: 429, Retry-After)",
        by="server.authenticate_client -> rate_limits.charge",
    ),
    authlib("the client may use the grant type (unauthorized_client)", "Client.check_grant_type"),
)

#: What each grant checks after :data:`TOKEN_CHECKS`, in its ``validate_token_request``.
GRANT_CHECKS = {
    "authorization_code": (
        Check("redirect_uri is sent (RFC 6749 §4.1.3)", by="AuthorizationCodeGrant.validate_token_request"),
        Check(
            "the code is ours, for this client, unused (a replay revokes its tokens), unexpired, "
            "and its consent stands (RFC 6749 §4.1.2, §10.5)",
            by="AuthorizationCodeGrant.query_authorization_code",
        ),
        authlib(
            "redirect_uri equals the authorization request's (RFC 6749 §4.1.3)", "validate_token_request"
        ),
        authlib(
            "code_verifier matches code_challenge, S256 (RFC 7636 §4.6)",
            "CodeChallenge.validate_code_verifier",
        ),
        Check(
            "every granted scope is still allowed by a habilitation",
            by="AuthorizationCodeGrant.validate_token_request",
        ),
    ),
    "refresh_token": (
        Check(
            "the refresh token is ours, live and unused; reuse revokes the family (RFC 9700 §4.14.2)",
            by="RefreshTokenGrant.authenticate_refresh_token",
        ),
        authlib("the refresh token belongs to this client (RFC 6749 §6)", "RefreshToken.check_client"),
        authlib("the scope asked is within the original grant (RFC 6749 §6)", "_validate_token_scope"),
        Check("the consent stands, offline_access still allowed", by="RefreshTokenGrant.issue_token"),
    ),
    "client_credentials": (
        Check(
            "scope is sent, known, and allowed to the client (RFC 6749 §3.3)",
            by="IdpGrantMixin.validate_requested_scope",
        ),
        Check(
            "every scope is machine-usable: no citizen's data without the citizen (DESIGN)",
            by="ClientCredentialsGrant.validate_requested_scope",
        ),
    ),
}


def token(request: OAuthRequest) -> EndpointResponse:
    """RFC 6749 §5.1 token response, or a §5.2 error; the grant's writes commit together."""
    run_checks(TOKEN_CHECKS, request)
    try:
        response = authorization_server().create_token_response(request)
        commit_request()
    except BaseException:
        rollback_request()
        raise
    return response
