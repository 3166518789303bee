"""Managing the scope registry: import, export, and changes to one scope at a time.

Shared by ``idp scopes ...`` (:mod:`idp.cli_registry`) and the registry API (:mod:`idp.api`).
Every write runs in one transaction that first locks the provider rows, so that concurrent
writers on several instances serialize instead of losing each other's updates, then checks the
whole resulting registry (:mod:`scopes.consistency`) before anything is written.

* **Import** (``scope-registry/1``) merges: providers and scopes of the document are created or
  replaced, entries absent from it are kept (deleting is :func:`delete_scope`'s job, with its
  safety checks). It is all-or-nothing and reports every problem at once; importing the same
  document again changes nothing.
* **One scope**: create, update, deprecate, delete, under the namespace rule of
  :func:`scopes.can_manage` (DESIGN "Rules of the domain": a namespace belongs to one data
  provider, and only it or an operator changes its scopes).
* **Deleting** a scope that a habilitation or a live token still holds is refused; it can only
  be deprecated (issue 3, "Deleting").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from idp import registry_store
from idp.allowed_scopes import recompute
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
from scopes import (
    Provider,
    ProviderError,
    Registry,
    RegistryError,
    RegistryValidationError,
    ScopeDefinition,
    ScopeDefinitionError,
    ScopeKeyError,
    can_manage,
    dump_registry_document,
    parse_registry_document,
)
from scopes.consistency import check_consistency

__all__ = [
    "SCOPE_PATH",
    "Actor",
    "ImportReport",
    "ManagementForbidden",
    "RegistryAdminError",
    "ScopeConflict",
    "ScopeNotFound",
    "create_scope",
    "delete_scope",
    "deprecate_scope",
    "export_document",
    "get_scope",
    "import_document",
    "list_scopes",
    "scope_holders",
    "update_scope",
]

#: Path given to the scope of a single-scope change: its problems come back as ``scope.<field>``.
SCOPE_PATH = "scope"
#: Longest provider slug the ``registry_providers.slug`` column holds.
MAX_STORED_SLUG_LENGTH = RegistryProvider.__table__.c.slug.type.length
#: Label languages the ``registry_scopes`` table has columns for.
STORED_LANGUAGES = ("fr", "en")
#: Fields of :class:`~scopes.ScopeDefinition` that :func:`update_scope` may change.
UPDATABLE_FIELDS = frozenset(
    {"provider", "labels", "description", "group", "claims", "legacy", "deprecated_since"}
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


@dataclass
class ImportReport:
    """What an import did: keys (scopes) and slugs (providers) created or updated."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


# --- reading ------------------------------------------------------------------------------
def export_document() -> dict[str, Any]:
    """The registry as a ``scope-registry/1`` document; :func:`import_document` takes it back."""
    return dump_registry_document(registry_store.read_registry())


def list_scopes(provider: str | None = None) -> list[ScopeDefinition]:
    """Scopes in registry order, optionally only those of ``provider``."""
    known = registry_store.read_registry()
    return list(known.scopes_of(provider) if provider else known.scopes)


# --- import -------------------------------------------------------------------------------
def import_document(document: object) -> ImportReport:
    """Merge a ``scope-registry/1`` document into the registry, all or nothing.

    Raises :class:`~scopes.RegistryValidationError` listing every problem (of the document,
    and of the registry it would produce together with the entries it does not mention);
    nothing is written then.
    """
    incoming = parse_registry_document(document)
    _lock_registry()
    current = registry_store.read_registry()
    providers = _merge(current.providers, incoming.providers, "slug", "providers")
    scopes = _merge(current.scopes, incoming.scopes, "key", "scopes")
    errors = [*_storage_problems(providers, scopes), *check_consistency(providers, scopes)]
    if errors:
        db.session.rollback()
        raise RegistryValidationError(errors)
    merged = Registry([p for _, p in providers], [s for _, s in scopes])
    report = _diff(current, merged)
    if report.changed:
        _free_moved_namespaces(current, merged)
        registry_store.write_registry(merged)
        _recompute_holders(report.created)
    db.session.commit()
    registry_store.invalidate()
    return report


def _merge(existing: Sequence[Any], incoming: Sequence[Any], id_field: str, name: str) -> list:
    """Existing entries (replaced in place by incoming ones) then new ones, each with its path.

    Paths point into the imported document (``scopes[3]``) or name a stored entry.
    """
    by_id = {getattr(item, id_field): (f"{name}[{i}]", item) for i, item in enumerate(incoming)}
    merged = [
        by_id.pop(getattr(item, id_field), (f"stored {name} {getattr(item, id_field)}", item))
        for item in existing
    ]
    return merged + list(by_id.values())


def _storage_problems(
    providers: Iterable[tuple[str, Provider]], scopes: Iterable[tuple[str, ScopeDefinition]]
) -> list[RegistryError]:
    """Limits of the tables that the document format does not have."""
    problems: list[RegistryError] = []
    for path, provider in providers:
        if len(provider.slug) > MAX_STORED_SLUG_LENGTH:
            problems.append(
                ProviderError(
                    f"slug must have at most {MAX_STORED_SLUG_LENGTH} characters",
                    key=provider.slug[:MAX_STORED_SLUG_LENGTH],
                    rule="too_long",
                    path=f"{path}.slug",
                )
            )
    problems.extend(
        ScopeDefinitionError(
            f"only labels in {' and '.join(STORED_LANGUAGES)} are stored",
            key=scope.key,
            rule="label_language",
            path=f"{path}.label.{lang}",
        )
        for path, scope in scopes
        for lang in scope.labels
        if lang not in STORED_LANGUAGES
    )
    texts = [(f"{path}.label", p.label) for path, p in providers]
    texts += [(f"{path}.label_en", p.label_en) for path, p in providers]
    for path, scope in scopes:
        texts += [(f"{path}.label.{lang}", text) for lang, text in scope.labels.items()]
        texts += [(f"{path}.description", scope.description), (f"{path}.group", scope.group)]
    problems.extend(
        RegistryError("must not contain a NUL character", rule="control_character", path=path)
        for path, text in texts
        if text and "\x00" in text
    )
    return problems


def _diff(current: Registry, merged: Registry) -> ImportReport:
    report = ImportReport()
    for provider in merged.providers:
        before = current.provider(provider.slug)
        _tally(report, f"provider {provider.slug}", before, provider)
    for scope in merged.scopes:
        _tally(report, scope.key, current.scope(scope.key), scope)
    return report


def _tally(report: ImportReport, name: str, before: object, after: object) -> None:
    if before is None:
        report.created.append(name)
    elif before != after:
        report.updated.append(name)
    else:
        report.unchanged += 1


def _free_moved_namespaces(current: Registry, merged: Registry) -> None:
    """Clear namespaces that change hands first, so the unique index never sees a swap half-done."""
    moved = [
        p.slug
        for p in merged.providers
        if (old := current.provider(p.slug)) is not None and old.namespace != p.namespace
    ]
    if moved:
        db.session.execute(
            sa.update(RegistryProvider).where(RegistryProvider.slug.in_(moved)).values(namespace=None)
        )


# --- one scope ----------------------------------------------------------------------------
def get_scope(key: str) -> ScopeDefinition:
    """The definition of ``key``; raises :class:`ScopeNotFound`."""
    scope = registry_store.read_registry().scope(key)
    if scope is None:
        raise ScopeNotFound(f"unknown scope {key}")
    return scope


def create_scope(actor: Actor, definition: ScopeDefinition) -> ScopeDefinition:
    """Add a new scope; a data provider only inside its own namespace."""
    _lock_registry()
    current = registry_store.read_registry()
    if current.scope(definition.key) is not None:
        db.session.rollback()
        raise ScopeConflict(f"scope {definition.key} already exists")
    _authorize(actor, current, definition.key, definition.provider)
    _save(current, definition)
    _recompute_holders([definition.key])
    _commit()
    return definition


def update_scope(actor: Actor, key: str, changes: dict[str, Any]) -> ScopeDefinition:
    """Change fields of scope ``key`` (names of :data:`UPDATABLE_FIELDS`)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
    _lock_registry()
    current = registry_store.read_registry()
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
    _lock_registry()
    current = registry_store.read_registry()
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
    _commit()


def scope_holders(key: str) -> list[str]:
    """What still holds ``key``: habilitations (requested or approved) and live tokens."""
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
def _lock_registry() -> None:
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
    errors = [*_storage_problems([], [(SCOPE_PATH, definition)]), *check_consistency(providers, scopes)]
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


def _recompute_holders(created: Iterable[str]) -> None:
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
    registry_store.invalidate()
