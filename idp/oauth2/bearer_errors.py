"""Reading a bearer token from a request, and RFC 6750 §3 error responses.

Shared by the resource endpoints that take our access tokens (``/userinfo``, ``/api/v1``).
"""

from __future__ import annotations

from flask import Request, Response, jsonify


def bearer_challenge(status: int, error: str | None = None, description: str | None = None) -> Response:
    """RFC 6750 §3: a ``WWW-Authenticate: Bearer`` challenge, with an error when one is due.

    §3.1: a request without any authentication gets no error code in the challenge.
    """
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
