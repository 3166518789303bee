"""Helpers of the demo relying party: its fixed client id and strict ID token checks."""

from __future__ import annotations

import jwt
import requests

DEMO_CLIENT_ID = "demo-service-provider"


class DemoError(Exception):
    pass


def verify_id_token(id_token: str, issuer: str, client_id: str, nonce: str) -> dict:
    """OIDC Core §3.1.3.7, done the way a relying party does it: keys from /jwks over HTTP."""
    jwks = requests.get(issuer + "/jwks", timeout=5).json()
    header = jwt.get_unverified_header(id_token)
    matching = [key for key in jwks["keys"] if key.get("kid") == header.get("kid")]
    if not matching:
        raise DemoError("ID token signed with an unknown key")
    key = jwt.PyJWK(matching[0])
    claims = jwt.decode(
        id_token,
        key=key.key,
        algorithms=[matching[0]["alg"]],
        audience=client_id,
        issuer=issuer,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "auth_time"]},
    )
    if claims.get("nonce") != nonce:
        raise DemoError("nonce mismatch")
    return claims
