"""Scope enforcement at /authorize and /token, backed by the scope registry.

RFC 6749 §3.3 and DESIGN: an unknown scope, a deprecated one, or one outside the client's
allowed set (the union of its active habilitations) gets ``invalid_scope`` naming the keys.
Nothing is silently dropped or widened.
"""

from __future__ import annotations

from datetime import date

from authlib.oauth2.rfc6749.errors import InvalidScopeError

from idp.models import Client
from idp.oauth2.http import safe_text
from idp.registry.store import registry
from scopes import InvalidScopeRequest, check_machine_usable, check_requested


def enforce_requested_scope(client: Client, requested: str | None) -> str:
    """Return the granted scope string, or raise ``invalid_scope`` with the offending keys."""
    if not requested or not requested.strip():
        raise InvalidScopeError(description="scope is required")
    try:
        granted = check_requested(registry(), requested, client.allowed_scopes or [], date.today())
    except InvalidScopeRequest as problem:
        raise InvalidScopeError(description=safe_text(problem.description)) from None
    return " ".join(granted)


def enforce_machine_scope(granted: str) -> None:
    """``invalid_scope`` unless every granted scope is machine-usable (client_credentials)."""
    try:
        check_machine_usable(registry(), granted.split())
    except InvalidScopeRequest as problem:
        raise InvalidScopeError(description=safe_text(problem.description)) from None


def still_allowed(client: Client, scope: str) -> list[str]:
    """The part of an earlier grant that the client's habilitations still cover."""
    allowed = set(client.allowed_scopes or [])
    known = registry()
    today = date.today()
    kept = []
    for key in scope.split():
        definition = known.scope(key)
        deprecated = definition is not None and definition.is_deprecated(today)
        if key in allowed and not deprecated:
            kept.append(key)
    return kept
