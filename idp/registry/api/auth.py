"""Who may write to the registry API: a client_credentials access token carrying ``registry_write``.

The token is one of our RFC 9068 access tokens, presented as an RFC 6750 bearer token. Its client
must be an operator (may change anything) or a data provider (only its own namespace, checked by
:func:`scopes.can_manage` in :mod:`idp.registry.admin`).
"""

from __future__ import annotations

from flask import Response, request

from idp.clients.lookup import find_client
from idp.oauth2.bearer import validate_access_token
from idp.oauth2.bearer_errors import bearer_challenge, extract_bearer
from idp.oauth2.scope_policy import still_allowed
from idp.registry.admin import Actor
from scopes import REGISTRY_WRITE

#: Client roles that manage the registry (DESIGN "Who uses it").
MANAGER_ROLES = ("data-provider", "operator")


class BearerRejected(Exception):
    """The request does not carry a token that may write; :attr:`response` says why (RFC 6750 §3)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def require_registry_writer() -> Actor:
    """The actor behind the request's bearer token, or :class:`BearerRejected`.

    RFC 6750 §3.1: no token → 401 without error code; a token that is not active →
    401 ``invalid_token``; an active token without ``registry_write`` (or whose client no longer
    has it) → 403 ``insufficient_scope``; a token of a citizen or of a service provider → 403.
    """
    token, problem = extract_bearer(request)
    if problem:
        raise BearerRejected(bearer_challenge(400, "invalid_request", problem))
    if token is None:
        raise BearerRejected(bearer_challenge(401))
    validated = validate_access_token(token)
    client = find_client(validated.client_id) if validated else None
    if validated is None or client is None:
        raise BearerRejected(bearer_challenge(401, "invalid_token", "the access token is not active"))
    if REGISTRY_WRITE not in still_allowed(client, validated.scope):
        raise BearerRejected(
            bearer_challenge(403, "insufficient_scope", f"the {REGISTRY_WRITE} scope is required")
        )
    if validated.user_id is not None or client.role not in MANAGER_ROLES:
        raise BearerRejected(
            bearer_challenge(
                403,
                "insufficient_scope",
                "only a data provider's or an operator's client_credentials token may write",
            )
        )
    return Actor(client_id=client.client_id, role=client.role, namespace=client.namespace)
