"""Client secret authentication without Authlib's request wrapping (RFC 6749 §2.3.1).

Answers only when the client certainly authenticates, in exactly the case where Authlib's
``client_secret_basic`` or ``client_secret_post`` would have accepted it first; ``None``
otherwise, and the caller lets Authlib decide (errors, ``private_key_jwt``), so that every
failure response keeps a single source.
"""

from __future__ import annotations

from collections.abc import Collection

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Request

from idp.clients.lookup import find_client_for_authentication
from idp.models import Client


def authenticate_with_secret(request: Request, methods: Collection[str], endpoint: str) -> Client | None:
    """The client, if its secret is right for its registered method, one of ``methods``.

    HTTP Basic (``client_secret_basic``) when an ``Authorization`` header is sent and the
    body has no credentials, else ``client_id``/``client_secret`` in the body
    (``client_secret_post``). The secret is checked as SHA-256 in constant time.
    """
    form = request.form
    if "Authorization" in request.headers:
        if "client_id" in form or "client_secret" in form:
            return None
        method = "client_secret_basic"
        try:
            client_id, secret = extract_basic_authorization(request.headers)
        except UnicodeDecodeError:  # not UTF-8: Authlib's path answers invalid_client
            return None
    else:
        method = "client_secret_post"
        client_id, secret = form.get("client_id"), form.get("client_secret")
    if method not in methods or not client_id or not secret:
        return None
    client = find_client_for_authentication(client_id)
    if client is None or not client.check_client_secret(secret):
        return None
    if not client.check_endpoint_auth_method(method, endpoint):
        return None
    return client
