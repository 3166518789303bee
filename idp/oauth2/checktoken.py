"""``POST /checktoken``: the FranceConnect v2-style introspection for data providers.

Existing data providers switch to us without changing code: they post the form fields
``token``, ``client_id`` and ``client_secret`` and get a signed JWT whose payload is
``{iss, aud: <their client_id>, iat, token_introspection}`` (the RFC 9701 §5 layout), sent as
``application/token-introspection+jwt``. The ``token_introspection`` object is exactly what
``/introspect`` answers (:func:`idp.oauth2.introspection.introspect`).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError

from idp.clients.lookup import find_client_for_authentication
from idp.models import Client
from idp.oauth2.introspection import introspect, introspection_jwt

REQUIRED_FIELDS = ("token", "client_id", "client_secret")


def check_form(form) -> dict[str, str]:
    """Every field present once and non-empty, else 400 ``invalid_request`` naming them."""
    missing = [name for name in REQUIRED_FIELDS if not form.get(name)]
    if missing:
        raise InvalidRequestError(f"missing parameter: {', '.join(missing)}")
    repeated = [name for name in REQUIRED_FIELDS if len(form.getlist(name)) > 1]
    if repeated:
        raise InvalidRequestError(f"parameter repeated: {', '.join(repeated)}")
    return {name: form[name] for name in REQUIRED_FIELDS}


def authenticate(client_id: str, client_secret: str) -> Client:
    """The form's credentials, checked against the stored SHA-256 in constant time.

    Any secret-based data provider may call, whichever of client_secret_basic or
    client_secret_post it registered: FranceConnect's endpoint only takes form fields.
    """
    client = find_client_for_authentication(client_id)
    if client is None or not client.check_client_secret(client_secret):
        raise InvalidClientError(status_code=401, description="client authentication failed")
    return client


def checktoken_jwt(data_provider: Client, token: str) -> str:
    return introspection_jwt(data_provider, introspect(data_provider, token))
