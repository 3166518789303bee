"""Logout chained to the identity provider the citizen signed in with.

RP-initiated logout here (OpenID Connect RP-Initiated Logout 1.0) also ends the session at
the provider, as FranceConnect does (france-connect/sources,
``back/apps/core-fcp/src/controllers/oidc-client.controller.ts``, ``logoutFromIdp``): the
citizen is sent to the provider's ``end_session_endpoint`` with its ID token as
``id_token_hint``, comes back to ``/identity-providers/<name>/logged-out`` with the ``state``
we sent, and from there goes where the service asked (its ``post_logout_redirect_uri``).
"""

from __future__ import annotations

import hmac
import logging
import secrets

from authlib.common.urls import add_params_to_uri
from flask import session

from idp.citizens.federation import providers
from idp.citizens.federation.metadata import ProviderUnavailable, metadata
from idp.citizens.sessions import SignIn

log = logging.getLogger(__name__)

#: The logout waiting for the provider's return (the cookie session).
LOGOUT_KEY = "federation_logout"


def chain(login: SignIn | None, then: str | None) -> str | None:
    """The provider's logout URL to send the citizen to, remembering ``then`` (where to go
    afterwards); None when there is nothing to end upstream (the local store, a provider
    without ``end_session_endpoint``, or one that is unavailable now)."""
    if login is None or login.identity_provider == providers.LOCAL or not login.upstream_id_token:
        return None
    provider = providers.find(login.identity_provider)
    if provider is None:
        return None
    try:
        endpoint = metadata(provider).end_session_endpoint
    except ProviderUnavailable as problem:
        log.warning("cannot end the session at %s: %s", provider.name, problem)
        return None
    if endpoint is None:
        return None
    state = secrets.token_urlsafe(32)
    session[LOGOUT_KEY] = {"provider": provider.name, "state": state, "then": then}
    return add_params_to_uri(
        endpoint,
        [
            ("id_token_hint", login.upstream_id_token),
            ("post_logout_redirect_uri", providers.logged_out_url(provider.name)),
            ("state", state),
        ],
    )


def returned(name: str, state: object) -> tuple[bool, str | None]:
    """The provider is back from its logout: whether it is the one we sent there with this
    ``state``, and where to go now (the service's URL, which we checked when it asked)."""
    waiting = session.pop(LOGOUT_KEY, None)
    if not isinstance(waiting, dict) or waiting.get("provider") != name or not isinstance(state, str):
        return False, None
    if not hmac.compare_digest(state.encode(), str(waiting.get("state")).encode()):
        return False, None
    return True, waiting.get("then")
