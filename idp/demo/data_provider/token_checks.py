"""How the demo data provider checks a token, as any data provider would, over HTTP.

1. Locally (RFC 9068 §4): ``typ`` is ``at+jwt``, the signature verifies with a key of the
   provider's ``/jwks``, ``iss`` is the provider, ``aud`` names this data provider, ``exp``
   has not passed. Cheap, but blind to revocation.
2. Remotely, with ``/checktoken``: a signed answer (RFC 9701 layout) saying whether the token
   is still active, which of this data provider's scopes it carries, and who the citizen is.
"""

from __future__ import annotations

import threading

import jwt
import requests

ACCESS_TOKEN_TYP = "at+jwt"
INTROSPECTION_TYP = "token-introspection+jwt"
ALGORITHMS = ["ES256", "RS256"]

_jwk_clients: dict[str, jwt.PyJWKClient] = {}
_lock = threading.Lock()


class TokenRejected(Exception):
    """The token (or the provider's answer about it) did not pass a check."""


def _jwk_client(issuer: str) -> jwt.PyJWKClient:
    """One cached key set per issuer; PyJWT refetches it when it meets an unknown ``kid``."""
    with _lock:
        if issuer not in _jwk_clients:
            _jwk_clients[issuer] = jwt.PyJWKClient(f"{issuer}/jwks", lifespan=300, timeout=5)
        return _jwk_clients[issuer]


def _verify(token: str, issuer: str, audience: str, typ: str, require: list[str]) -> dict:
    try:
        header = jwt.get_unverified_header(token)
        if str(header.get("typ", "")).lower().removeprefix("application/") != typ:
            raise TokenRejected(f"typ must be {typ}")
        key = _jwk_client(issuer).get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            issuer=issuer,
            audience=audience,
            options={"require": require},
        )
    except jwt.PyJWKClientConnectionError as error:
        raise TokenRejected("the provider's keys could not be fetched") from error
    except jwt.PyJWTError as error:
        raise TokenRejected(str(error)) from error


def check_locally(token: str, issuer: str, client_id: str) -> dict:
    """RFC 9068 §4 validation with the provider's published keys; returns the claims."""
    return _verify(
        token,
        issuer,
        client_id,
        ACCESS_TOKEN_TYP,
        ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"],
    )


def check_with_provider(token: str, issuer: str, client_id: str, client_secret: str) -> dict:
    """POST /checktoken, then verify the signed answer; returns ``token_introspection``."""
    try:
        response = requests.post(
            f"{issuer}/checktoken",
            data={"token": token, "client_id": client_id, "client_secret": client_secret},
            timeout=5,
        )
    except requests.RequestException as error:
        raise TokenRejected("the provider could not be reached") from error
    if response.status_code != 200:
        raise TokenRejected(f"/checktoken answered {response.status_code}")
    claims = _verify(response.text, issuer, client_id, INTROSPECTION_TYP, ["iss", "aud", "iat"])
    introspection = claims.get("token_introspection")
    if not isinstance(introspection, dict):
        raise TokenRejected("the answer has no token_introspection")
    return introspection
