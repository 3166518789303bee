"""The UserInfo endpoint (OIDC Core §5.3) with RFC 6750 §3 error responses."""

from __future__ import annotations

from flask import Request, jsonify

from idp.extensions import db
from idp.models import User
from idp.oauth2.bearer import validate_access_token
from idp.oauth2.claims import released_user_info
from idp.oauth2.clients import find_client
from idp.oauth2.scope_policy import still_allowed


def _challenge(status: int, error: str | None = None, description: str | None = None):
    """RFC 6750 §3: a ``WWW-Authenticate: Bearer`` challenge, with an error when one is due."""
    params = ['realm="idp"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    body = {"error": error, "error_description": description} if error else {"error": "invalid_request"}
    response = jsonify(body)
    response.status_code = status
    response.headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    response.headers["Cache-Control"] = "no-store"
    return response


def extract_bearer(request: Request) -> tuple[str | None, str | None]:
    """RFC 6750 §2.1 header, or §2.2 form body; returns (token, problem)."""
    header = request.headers.get("Authorization")
    form_token = request.form.get("access_token") if request.method == "POST" else None
    if header and form_token:
        return None, "use only one way of sending the access token"
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None, "the Authorization header must be 'Bearer <token>'"
        return value.strip(), None
    if form_token:
        return form_token, None
    return None, None


def userinfo_response(request: Request):
    token, problem = extract_bearer(request)
    if problem:
        return _challenge(400, "invalid_request", problem)
    if token is None:
        return _challenge(401)
    validated = validate_access_token(token)
    if validated is None or validated.record.user_id is None:
        return _challenge(401, "invalid_token", "the access token is not active")
    client = find_client(validated.record.client_id)
    user = db.session.get(User, validated.record.user_id)
    if client is None or user is None:
        return _challenge(401, "invalid_token", "the access token is not active")
    scope = " ".join(still_allowed(client, validated.record.scope))
    if "openid" not in scope.split():
        return _challenge(403, "insufficient_scope", "the openid scope is required")
    response = jsonify(released_user_info(client, user, scope))
    response.headers["Cache-Control"] = "no-store"
    return response
