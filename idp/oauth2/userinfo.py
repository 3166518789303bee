"""The UserInfo endpoint (OIDC Core §5.3) with RFC 6750 §3 error responses."""

from __future__ import annotations

from flask import Request, jsonify

from idp.clients.lookup import find_client
from idp.extensions import db
from idp.models import User
from idp.oauth2.bearer import validate_access_token
from idp.oauth2.bearer_errors import bearer_challenge, extract_bearer
from idp.oauth2.claims import released_user_info
from idp.oauth2.scope_policy import still_allowed


def userinfo_response(request: Request):
    token, problem = extract_bearer(request)
    if problem:
        return bearer_challenge(400, "invalid_request", problem)
    if token is None:
        return bearer_challenge(401)
    validated = validate_access_token(token)
    if validated is None or validated.user_id is None:
        return bearer_challenge(401, "invalid_token", "the access token is not active")
    client = find_client(validated.client_id)
    user = db.session.get(User, validated.user_id)
    if client is None or user is None:
        return bearer_challenge(401, "invalid_token", "the access token is not active")
    scope = " ".join(still_allowed(client, validated.scope))
    if "openid" not in scope.split():
        return bearer_challenge(403, "insufficient_scope", "the openid scope is required")
    response = jsonify(released_user_info(client, user, scope))
    response.headers["Cache-Control"] = "no-store"
    return response
