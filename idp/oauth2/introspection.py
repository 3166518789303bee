"""Token introspection for data providers: RFC 7662, with JWT responses (RFC 9701).

A data provider learns three things about an access token it was shown: whether it is
active, which of *its own* scopes it carries (still covered by a habilitation), and who the
citizen is (the pivot identity, with a ``sub`` pairwise for this data provider).

Cost per request: one signature check with the cached key ring, and one round trip to the
database: the indexed query of :func:`idp.oauth2.bearer.active_token`, which takes along the
version check of the data provider's cached row when one is needed
(:func:`idp.clients.lookup.confirmed_with_next_read`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import InvalidRequestError, UnauthorizedClientError
from flask import current_app

from idp import signing
from idp.citizens.subject import pairwise_sub
from idp.clients.lookup import confirmed_with_next_read
from idp.models import Client, User
from idp.oauth2.bearer import active_token
from idp.oauth2.checks import FORM_REQUEST_CHECKS, run_checks
from idp.oauth2.claims import user_claims
from idp.oauth2.http import EndpointResponse, OAuthRequest, json_response, respond
from idp.oauth2.scope_policy import still_allowed
from idp.oauth2.server import authenticate_client
from idp.registry.store import registry
from idp.telemetry import metrics
from scopes import owned_scopes

#: The FranceConnect pivot identity, released to every data provider that sees a token.
PIVOT_IDENTITY_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
#: RFC 7662 §2.2: the whole answer for anything this caller may not see as active.
INACTIVE: dict = {"active": False}
#: RFC 9701 §5 and §8: the JWT ``typ`` and the media type of signed responses.
JWT_RESPONSE_TYP = "token-introspection+jwt"
JWT_MEDIA_TYPE = "application/token-introspection+jwt"
SIGNING_ALG = "ES256"


def require_data_provider(client: Client) -> Client:
    """Only a data provider owning a namespace introspects (DESIGN: data-provider rules)."""
    if client.role != "data-provider" or not client.namespace:
        raise UnauthorizedClientError(
            status_code=403, description="only a data provider owning a namespace may introspect tokens"
        )
    return client


@dataclass(frozen=True)
class Seen:
    """What a data provider may see of an active token: its claims and citizen, the scopes
    of this data provider's namespace that its client is still allowed, and the ``sub``."""

    claims: dict
    user: User | None
    scopes: list[str]
    sub: str


def seen_by(data_provider: Client, token: object) -> Seen | None:
    """The token as ``data_provider`` sees it, or None when it is inactive for it: not one of
    ours, expired, revoked, client gone, or none of this data provider's scopes still allowed
    (a revoked habilitation takes effect at once). Shared by ``/introspect`` and
    ``/checktoken``. The ``sub`` is pairwise for the data provider; a client_credentials
    token names no citizen, so its subject is its client (RFC 9068 §2.2)."""
    found = active_token(token)
    if found is None:
        return None
    claims, user = found.claims, found.user
    visible = owned_scopes(registry(), data_provider.namespace, still_allowed(found.client, claims["scope"]))
    if not visible:
        return None
    sub = pairwise_sub(data_provider.sector, user.identity_hash) if user else claims["client_id"]
    return Seen(claims, user, visible, sub)


def introspect(data_provider: Client, token: object) -> dict:
    """RFC 7662 §2.2 response for ``data_provider``; :data:`INACTIVE` when nothing is left.

    Inactive: bad signature, wrong ``typ``, expired, unknown ``jti``, revoked, client gone, or
    no scope of this data provider among those the token's client is still allowed (a revoked
    habilitation takes effect at once, since the client row is read on every request).
    """
    seen = seen_by(data_provider, token)
    if seen is None:
        return INACTIVE
    claims, user = seen.claims, seen.user
    response = {
        "active": True,
        "scope": " ".join(seen.scopes),
        "client_id": claims["client_id"],
        "token_type": "Bearer",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": claims["iss"],
        "aud": claims["aud"],
        "sub": seen.sub,
    }
    for name in ("acr", "auth_time"):
        if name in claims:
            response[name] = claims[name]
    if user is not None:
        identity = user_claims(user)
        response.update({name: identity[name] for name in PIVOT_IDENTITY_CLAIMS if name in identity})
    return response


def wants_jwt_response(accept: str | None) -> bool:
    """RFC 9701 §4: the caller asks for a JWT with ``Accept: application/token-introspection+jwt``."""
    if not accept:
        return False
    return any(part.split(";")[0].strip().lower() == JWT_MEDIA_TYPE for part in accept.split(","))


def introspection_jwt(data_provider: Client, response: dict) -> str:
    """RFC 9701 §5: ``{iss, aud, iat, token_introspection}`` signed with the active ES256 key.

    No top-level ``sub`` or ``exp``, so the JWT cannot pass for an access or ID token.
    """
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": data_provider.client_id,
        "iat": int(time.time()),
        "token_introspection": response,
    }
    return signing.keyring().sign(claims, alg=SIGNING_ALG, typ=JWT_RESPONSE_TYP)


def endpoint(request: OAuthRequest) -> EndpointResponse:
    """``POST /introspect``: RFC 7662 §2.2 JSON, or an RFC 9701 JWT when the caller asks."""
    run_checks(FORM_REQUEST_CHECKS, request)
    return confirmed_with_next_read(request.form, lambda: _answer(request))


def _answer(request: OAuthRequest) -> EndpointResponse:
    data_provider = require_data_provider(authenticate_client(request, "introspection"))
    metrics.introspected(data_provider.client_id, "introspect")
    token = request.form.get("token")
    if not token:
        raise InvalidRequestError("token is required")
    answer = introspect(data_provider, token)
    if wants_jwt_response(request.headers.get("Accept")):
        return respond(introspection_jwt(data_provider, answer).encode(), JWT_MEDIA_TYPE)
    return json_response(answer)
