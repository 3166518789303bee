"""``POST /checktoken`` and ``POST /api/v2/checktoken``: FranceConnect v2's token check for
data providers (``back/apps/core-fcp/src/controllers/data-provider.controller.ts`` and
``services/data-provider.service.ts`` in france-connect/sources).

A data provider written for FranceConnect changes only the host:

- It posts the form fields ``token``, ``client_id`` and ``client_secret``, each a non-empty
  string, and nothing else (FranceConnect validates ``ChecktokenRequestDto`` with
  ``forbidNonWhitelisted``); anything else is 400 ``invalid_request``.
- It gets ``application/token-introspection+jwt``: a JWS signed with our key of its
  ``checktoken_signed_response_alg`` (ES256 when it registered none), whose payload is
  ``{iss, aud: <its client_id>, iat, token_introspection}`` (the RFC 9701 §5 layout, ``typ``
  ``token-introspection+jwt``), nested in a JWE to its key when it registered
  ``checktoken_encrypted_response_alg`` and ``_enc`` (FranceConnect's ``generateJwe``).
- ``token_introspection`` is ``{"active": false}``, or FranceConnect's
  ``generateValidResponse``: ``active``, ``aud`` (the service provider's ``client_id``),
  ``sub`` (pairwise for this data provider), ``iat``, ``exp``, ``acr``, ``jti``, ``scope``
  (only this data provider's scopes) and the pivot identity.

One rule differs from FranceConnect's: a token carrying none of this data provider's scopes
(or none still covered by a habilitation) is inactive, where FranceConnect answers active
with an empty ``scope`` (DESIGN: data-provider introspection).
"""

from __future__ import annotations

import time

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from flask import current_app

from idp.clients.lookup import confirmed_with_next_read
from idp.models import Client
from idp.models.clients import DEFAULT_CHECKTOKEN_SIGNING_ALG
from idp.oauth2.checks import FORM_REQUEST_CHECKS, Check, run_checks
from idp.oauth2.claims import user_claims
from idp.oauth2.http import EndpointResponse, OAuthRequest, respond
from idp.oauth2.introspection import (
    INACTIVE,
    JWT_MEDIA_TYPE,
    JWT_RESPONSE_TYP,
    require_data_provider,
    seen_by,
)
from idp.oauth2.jose_answers import signed_answer
from idp.oauth2.server import authenticate_client
from idp.telemetry import metrics

#: FranceConnect's ``ChecktokenRequestDto``: the only fields, each required.
REQUEST_FIELDS = ("token", "client_id", "client_secret")
#: The pivot identity as FranceConnect spreads it in ``token_introspection``
#: (``...rnippIdentity``, ``RnippPivotIdentity``).
PIVOT_IDENTITY = (
    "gender",
    "family_name",
    "given_name",
    "given_name_array",
    "birthdate",
    "birthplace",
    "birthcountry",
)


def check_fields(request: OAuthRequest) -> None:
    """Every field present and non-empty, and no other one (in the body or the query)."""
    missing = [name for name in REQUEST_FIELDS if not request.form.get(name)]
    if missing:
        raise InvalidRequestError(f"missing parameter: {', '.join(missing)}")
    extra = sorted((set(request.form) | set(request.args)) - set(REQUEST_FIELDS))
    if extra:
        raise InvalidRequestError(f"unknown parameter: {', '.join(extra)[:200]}")


CHECKTOKEN_CHECKS = (
    *FORM_REQUEST_CHECKS,
    Check("token, client_id and client_secret, non-empty, and nothing else (FranceConnect)", check_fields),
)


def token_introspection(data_provider: Client, token: str) -> dict:
    """FranceConnect's ``token_introspection`` of ``token`` for ``data_provider``.

    Inactive: not one of our tokens, expired, revoked, client gone, or no scope of this data
    provider among those its client is still allowed (a revoked habilitation counts at once).
    """
    seen = seen_by(data_provider, token)
    if seen is None:
        return INACTIVE
    claims, user = seen.claims, seen.user
    answer = {
        "active": True,
        "aud": claims["client_id"],
        "sub": seen.sub,
        "iat": claims["iat"],
        "exp": claims["exp"],
    }
    if "acr" in claims:
        answer["acr"] = claims["acr"]
    answer.update(jti=claims["jti"], scope=" ".join(seen.scopes))
    if user is not None:
        identity = user_claims(user)
        answer.update({name: identity[name] for name in PIVOT_IDENTITY if name in identity})
    return answer


def checktoken_jwt(data_provider: Client, introspection: dict) -> str:
    """``{iss, aud, iat, token_introspection}`` signed, then encrypted as the data provider
    registered. No top-level ``sub`` or ``exp``: it cannot pass for an access or ID token."""
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": data_provider.client_id,
        "iat": int(time.time()),
        "token_introspection": introspection,
    }
    alg = data_provider.checktoken_signed_response_alg or DEFAULT_CHECKTOKEN_SIGNING_ALG
    return signed_answer(
        claims, data_provider, "checktoken", alg, typ=JWT_RESPONSE_TYP, header_claims=(), name_key=False
    )


def endpoint(request: OAuthRequest) -> EndpointResponse:
    """The signed (and maybe encrypted) answer; the credentials are form fields, whatever
    secret method the data provider registered (:meth:`idp.models.Client.check_endpoint_auth_method`)."""
    run_checks(CHECKTOKEN_CHECKS, request)
    return confirmed_with_next_read(request.form, lambda: _answer(request))


def _answer(request: OAuthRequest) -> EndpointResponse:
    data_provider = require_data_provider(authenticate_client(request, "checktoken"))
    metrics.introspected(data_provider.client_id, "checktoken")
    answer = checktoken_jwt(data_provider, token_introspection(data_provider, request.form["token"]))
    return respond(answer.encode(), JWT_MEDIA_TYPE)
