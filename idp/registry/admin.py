"""Managing the scope registry one scope at a time, and what every registry write shares.

Shared by the registry API (:mod:`idp.views.api`) and :mod:`idp.registry.transfer` (``idp scopes``).
Every write runs in one transaction that first locks the provider rows, so that concurrent
writers on several instances serialize instead of losing each other's updates, then checks the
whole resulting registry (:mod:`scopes.consistency`) before anything is written.

* **One scope**: create, update, deprecate, delete, under the namespace rule of
  :func:`scopes.can_manage` (DESIGN "Rules of the domain": a namespace belongs to one data
  provider, and only it or an operator changes its scopes).
* **Deleting** a scope that a habilitation or a live token still holds is refused; it can only
  be deprecated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from idp.extensions import db
from idp.models import (
    AccessTokenRecord,
    Client,
    Habilitation,
    RefreshToken,
    RegistryProvider,
    RegistryScope,
    utcnow,
)
from idp.registry import store
from idp.registry.allowed import recompute
from scopes import (
    Registry,
    RegistryError,
    RegistryValidationError,
    ScopeDefinition,
    ScopeKeyError,
    can_manage,
)
from scopes.consistency import check_consistency

__all__ = [
    "SCOPE_PATH",
    "Actor",
    "ManagementForbidden",
    "RegistryAdminError",
    "ScopeConflict",
    "ScopeNotFound",
    "create_scope",
    "delete_scope",
    "deprecate_scope",
    "get_scope",
    "list_scopes",
    "lock_registry",
    "recompute_holders",
    "scope_holders",
    "update_scope",
]

#: Path given to the scope of a single-scope change: its problems come back as ``scope.<field>``.
SCOPE_PATH = "scope"
#: Longest provider slug the ``registry_providers.slug`` column holds.
MAX_STORED_SLUG_LENGTH = RegistryProvider.__table__.c.slug.type.length
#: Fields of :class:`~scopes.ScopeDefinition` that :func:`update_scope` may change.
UPDATABLE_FIELDS = frozenset(
    {"provider", "labels", "description", "group", "claims", "legacy", "machine", "deprecated_since"}
)


class RegistryAdminError(Exception):
    """A registry change that cannot be made; ``status`` is the HTTP status it maps to."""

    status = 400
    error = "invalid_request"


class ScopeNotFound(RegistryAdminError):
    status = 404
    error = "not_found"


class ScopeConflict(RegistryAdminError):
    """The key already exists, or is still held by a habilitation or a live token."""

    status = 409
    error = "conflict"


class ManagementForbidden(RegistryAdminError):
    """The actor's namespace does not own the scope (``scopes.can_manage``)."""

    status = 403
    error = "access_denied"


@dataclass(frozen=True)
class Actor:
    """Who changes the registry: an operator, or a data provider owning ``namespace``."""

    client_id: str
    role: str
    namespace: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


# --- reading ------------------------------------------------------------------------------
def list_scopes(provider: str | None = None) -> list[ScopeDefinition]:
    """Scopes in registry order, optionally only those of ``provider``."""
    known = store.read_registry()
    return list(known.scopes_of(provider) if provider else known.scopes)


# --- one scope ----------------------------------------------------------------------------
def get_scope(key: str) -> ScopeDefinition:
    """The definition of ``key``; raises :class:`ScopeNotFound`."""
    scope = store.read_registry().scope(key)
    if scope is None:
        raise ScopeNotFound(f"unknown scope {key}")
    return scope


def create_scope(actor: Actor, definition: ScopeDefinition) -> ScopeDefinition:
    """Add a new scope; a data provider only inside its own namespace."""
    lock_registry()
    current = store.read_registry()
    if current.scope(definition.key) is not None:
        db.session.rollback()
        raise ScopeConflict(f"scope {definition.key} already exists")
    _authorize(actor, current, definition.key, definition.provider)
    _save(current, definition)
    recompute_holders([definition.key])
    _commit()
    return definition


def update_scope(actor: Actor, key: str, changes: dict[str, Any]) -> ScopeDefinition:
    """Change fields of scope ``key`` (names of :data:`UPDATABLE_FIELDS`)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
    lock_registry()
    current = store.read_registry()
    existing = current.scope(key)
    if existing is None:
        db.session.rollback()
        raise ScopeNotFound(f"unknown scope {key}")
    _authorize(actor, current, key, existing.provider)
    updated = dataclasses.replace(existing, **changes)
    if updated.provider != existing.provider:
        _authorize(actor, current, key, updated.provider)
    if updated != existing:
        _save(current, updated)
    _commit()
    return updated


def deprecate_scope(actor: Actor, key: str, since: date | None = None) -> ScopeDefinition:
    """Deprecate ``key`` from ``since`` (today by default); it stops being grantable that day."""
    return update_scope(actor, key, {"deprecated_since": since or date.today()})


def delete_scope(actor: Actor, key: str) -> None:
    """Delete ``key``, unless a habilitation or a live token still holds it (then deprecate it)."""
    lock_registry()
    current = store.read_registry()
    existing = current.scope(key)
    if existing is None:
        db.session.rollback()
        raise ScopeNotFound(f"unknown scope {key}")
    _authorize(actor, current, key, existing.provider)
    holders = scope_holders(key)
    if holders:
        db.session.rollback()
        raise ScopeConflict(f"scope {key} is still held by {', '.join(holders)}; deprecate it instead")
    db.session.execute(sa.delete(RegistryScope).where(RegistryScope.key == key))
    _forget_overrides(key)
    _commit()


def _forget_overrides(key: str) -> None:
    """A deleted key leaves every operator override, so that a scope created later under the
    same key is not allowed again by an old override; each such client is recomputed."""
    query = sa.select(Client).where(
        sa.cast(Client.operator_scope_override, sa.Text).contains(key, autoescape=True)
    )
    for client in db.session.scalars(query):
        if key in (client.operator_scope_override or []):
            client.operator_scope_override = [item for item in client.operator_scope_override if item != key]
            db.session.flush()
            recompute(client, reason=f"scope {key} deleted")


def scope_holders(key: str) -> list[str]:
    """What still holds ``key``: habilitations (requested or approved) and live tokens.

    Live tokens are citizens' (recorded) ones and refresh tokens. A self-contained
    client_credentials token is not recorded; its scopes are checked against its client's
    habilitations at every use, and introspection releases only scopes the registry still
    defines, so a deleted scope leaves it as soon as the workers re-read the registry.
    """
    holders = [f"habilitation {h.id}" for h in _habilitations_holding(key, active_only=False)]
    now = utcnow()
    access = db.session.scalars(
        sa.select(AccessTokenRecord.scope).where(
            AccessTokenRecord.revoked_at.is_(None),
            AccessTokenRecord.expires_at > now,
            AccessTokenRecord.scope.contains(key, autoescape=True),
        )
    )
    if any(key in scope.split() for scope in access):
        holders.append("a live access token")
    refresh = db.session.scalars(
        sa.select(RefreshToken.scope).where(
            RefreshToken.revoked_at.is_(None),
            RefreshToken.used_at.is_(None),
            RefreshToken.expires_at > now,
            RefreshToken.scope.contains(key, autoescape=True),
        )
    )
    if any(key in scope.split() for scope in refresh):
        holders.append("a live refresh token")
    return holders


# --- helpers ------------------------------------------------------------------------------
def lock_registry() -> None:
    """Serialize registry writers (row locks on PostgreSQL; SQLite serializes writes itself)."""
    db.session.execute(sa.select(RegistryProvider.slug).with_for_update()).all()


def _authorize(actor: Actor, current: Registry, key: str, provider_slug: str) -> None:
    """:func:`scopes.can_manage`, as 403; a malformed new key in the actor's own namespace is a 400."""
    try:
        can_manage(current, actor.namespace, key, provider_slug, operator=actor.is_operator)
    except RegistryError as exc:
        db.session.rollback()
        cause = exc.__cause__
        provider = current.provider(provider_slug)
        own = provider is not None and provider.namespace == actor.namespace
        if own and isinstance(cause, ScopeKeyError) and cause.rule != "namespace_prefix":
            raise RegistryValidationError([cause.at(f"{SCOPE_PATH}.key")]) from None
        raise ManagementForbidden(str(exc)) from None


def _save(current: Registry, definition: ScopeDefinition) -> None:
    """Check the registry with ``definition`` in it, then write that one row."""
    scopes = [(f"stored scopes {s.key}", s) for s in current.scopes if s.key != definition.key]
    scopes.append((SCOPE_PATH, definition))
    providers = [(f"stored providers {p.slug}", p) for p in current.providers]
    errors = check_consistency(providers, scopes)
    if errors:
        db.session.rollback()
        raise RegistryValidationError(errors)
    row = db.session.get(RegistryScope, definition.key)
    if row is None:
        last = db.session.scalar(sa.select(sa.func.max(RegistryScope.position)))
        row = RegistryScope(key=definition.key, position=(last or 0) + 1)
        db.session.add(row)
    row.provider_slug = definition.provider
    row.label_fr = definition.labels["fr"]
    row.label_en = definition.labels.get("en")
    row.description = definition.description
    row.group = definition.group
    row.claims = list(definition.claims)
    row.deprecated_since = definition.deprecated_since
    row.legacy = definition.legacy
    row.machine = definition.machine


def _habilitations_holding(key: str, *, active_only: bool) -> list[Habilitation]:
    """Habilitations whose requested or approved scopes list ``key``."""
    query = sa.select(Habilitation).where(
        sa.or_(
            sa.cast(Habilitation.scopes, sa.Text).contains(key, autoescape=True),
            sa.cast(Habilitation.approved_scopes, sa.Text).contains(key, autoescape=True),
        )
    )
    if active_only:
        query = query.where(Habilitation.active.is_(True))
    return [
        h
        for h in db.session.scalars(query.order_by(Habilitation.id))
        if key in (h.scopes or []) or key in (h.approved_scopes or [])
    ]


def recompute_holders(created: Iterable[str]) -> None:
    """A new key may already be approved by an active habilitation: grant it to its client."""
    client_ids = {
        h.client_id for key in created for h in _habilitations_holding(key, active_only=True) if h.client_id
    }
    if not client_ids:
        return
    db.session.flush()
    for client in db.session.scalars(sa.select(Client).where(Client.client_id.in_(client_ids))):
        recompute(client, reason="registry scope created")


def _commit() -> None:
    db.session.commit()
    store.invalidate()
