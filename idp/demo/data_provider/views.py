"""``GET /demo-api/impot-particulier/situations``: the demo data provider's one resource."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from idp.demo.data_provider.credentials import load_credentials
from idp.demo.data_provider.tax_records import find_situation, released_scopes
from idp.demo.data_provider.token_checks import TokenRejected, check_locally, check_with_provider
from idp.extensions import csrf
from idp.oauth2.http import NO_STORE
from idp.views.json_errors import json_error

bp = Blueprint("demo_provider", __name__, url_prefix="/demo-api")
csrf.exempt(bp)


def _error(status: int, error: str, description: str):
    """RFC 6750 §3: errors of a protected resource, with a ``Bearer`` challenge."""
    challenge = (
        [("WWW-Authenticate", f'Bearer realm="demo-api", error="{error}"')] if status in (401, 403) else []
    )
    return json_error(status, error, description, challenge)


@bp.get("/impot-particulier/situations")
def situations():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "invalid_request", "send the access token as 'Authorization: Bearer <token>'")
    credentials = load_credentials()
    if credentials is None:
        return _error(404, "not_found", "the demo data provider is not set up (run idp seed-demo)")
    issuer = current_app.config["ISSUER"]
    try:
        # An opaque token (IDP_ACCESS_TOKEN_FORMAT=opaque) has nothing to check locally.
        is_jwt = token.count(".") == 2
        local = check_locally(token.strip(), issuer, credentials["client_id"]) if is_jwt else None
        introspection = check_with_provider(
            token.strip(), issuer, credentials["client_id"], credentials["client_secret"]
        )
    except TokenRejected as rejected:
        return _error(401, "invalid_token", str(rejected))
    if not introspection.get("active"):
        return _error(401, "invalid_token", "the provider says the token is not active")
    scopes = released_scopes(str(introspection.get("scope", "")).split())
    if not scopes:
        return _error(403, "insufficient_scope", "the token carries no scope of this API")
    situation = find_situation(introspection, scopes)
    if situation is None:
        return _error(404, "not_found", "no tax record for this person")
    response = jsonify(
        {
            **situation,
            "verification": {
                "local": {"jti": local["jti"], "aud": local["aud"], "exp": local["exp"]} if local else None,
                "checktoken": {"active": True, "scope": introspection["scope"], "sub": introspection["sub"]},
            },
        }
    )
    response.headers.update(NO_STORE)
    return response
