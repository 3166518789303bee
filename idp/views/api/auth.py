"""Who may write to the registry API: a client_credentials access token carrying ``registry_write``.

The token is one of our RFC 9068 access tokens, presented as an RFC 6750 bearer token
(:func:`idp.oauth2.bearer.authenticate_bearer`, as ``/userinfo`` does). Its client must be an
operator (may change anything) or a data provider (only its own namespace, checked by
:func:`scopes.can_manage` in :mod:`idp.registry.admin`).
"""

from __future__ import annotations

from idp.oauth2.bearer import BearerTokenError, authenticate_bearer
from idp.oauth2.http import OAuthRequest
from idp.oauth2.scope_policy import still_allowed
from idp.registry.admin import Actor
from scopes import REGISTRY_WRITE

#: Client roles that manage the registry (DESIGN "Who uses it").
MANAGER_ROLES = ("data-provider", "operator")


def require_registry_writer(request: OAuthRequest) -> Actor:
    """The actor behind the request's bearer token, or :class:`~idp.oauth2.bearer.BearerTokenError`.

    RFC 6750 §3.1: no token → 401 without error code; a token that is not active →
    401 ``invalid_token``; an active token without ``registry_write`` (or whose client no longer
    has it) → 403 ``insufficient_scope``; a token of a citizen or of a service provider → 403.
    """
    active = authenticate_bearer(request)
    if REGISTRY_WRITE not in still_allowed(active.client, active.scope):
        raise BearerTokenError(403, "insufficient_scope", f"the {REGISTRY_WRITE} scope is required")
    if active.user is not None or active.client.role not in MANAGER_ROLES:
        raise BearerTokenError(
            403,
            "insufficient_scope",
            "only a data provider's or an operator's client_credentials token may write",
        )
    return Actor(client_id=active.client_id, role=active.client.role, namespace=active.client.namespace)
