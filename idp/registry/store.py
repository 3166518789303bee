"""The scope registry in the database, and a short per-process cache of it.

Definitions (labels, claims, deprecation dates) are cached for ``REGISTRY_CACHE_SECONDS``, or
until a change is notified (:mod:`idp.database.notifications`). A reload that finds the
tables' rows as they were keeps the registry it built from them (:func:`_load_cached`).
What a client may request is *not* cached: it is read from the client row on every request,
so a revoked habilitation takes effect at once (see :mod:`idp.registry.allowed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from idp.database import notifications
from idp.database.cache import TimedValue, timed_value
from idp.extensions import db
from idp.models import RegistryProvider, RegistryScope
from scopes import Provider, ProviderKind, Registry, ScopeDefinition


def _provider(row: RegistryProvider) -> Provider:
    return Provider(
        slug=row.slug,
        label=row.label,
        kind=ProviderKind(row.kind),
        namespace=row.namespace,
        label_en=row.label_en,
    )


def _scope(row: RegistryScope) -> ScopeDefinition:
    labels = {"fr": row.label_fr}
    if row.label_en:
        labels["en"] = row.label_en
    return ScopeDefinition(
        key=row.key,
        provider=row.provider_slug,
        labels=labels,
        description=row.description,
        group=row.group,
        claims=tuple(row.claims or ()),
        deprecated_since=row.deprecated_since,
        legacy=bool(row.legacy),
        machine=bool(row.machine),
    )


def read_registry() -> Registry:
    """Build the domain registry from the tables (uncached)."""
    providers = db.session.scalars(
        db.select(RegistryProvider).order_by(RegistryProvider.position, RegistryProvider.slug)
    )
    scope_rows = db.session.scalars(
        db.select(RegistryScope).order_by(RegistryScope.position, RegistryScope.key)
    )
    return Registry([_provider(p) for p in providers], [_scope(s) for s in scope_rows])


def write_registry(registry: Registry) -> dict[str, int]:
    """Make the tables equal to ``registry`` (in the caller's transaction). Returns counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing_providers = {p.slug: p for p in db.session.scalars(db.select(RegistryProvider))}
    for position, provider in enumerate(registry.providers):
        row = existing_providers.get(provider.slug) or RegistryProvider(slug=provider.slug)
        values = {
            "label": provider.label,
            "label_en": provider.label_en,
            "kind": provider.kind.value,
            "namespace": provider.namespace,
            "position": position,
        }
        _assign(row, values, counts, is_new=provider.slug not in existing_providers)
        db.session.add(row)
    db.session.flush()
    existing_scopes = {s.key: s for s in db.session.scalars(db.select(RegistryScope))}
    for position, scope in enumerate(registry.scopes):
        row = existing_scopes.get(scope.key) or RegistryScope(key=scope.key)
        values = {
            "provider_slug": scope.provider,
            "label_fr": scope.labels["fr"],
            "label_en": scope.labels.get("en"),
            "description": scope.description,
            "group": scope.group,
            "claims": list(scope.claims),
            "deprecated_since": scope.deprecated_since,
            "legacy": scope.legacy,
            "machine": scope.machine,
            "position": position,
        }
        _assign(row, values, counts, is_new=scope.key not in existing_scopes)
        db.session.add(row)
    return counts


def _assign(row, values: dict, counts: dict[str, int], *, is_new: bool) -> None:
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    counts["created" if is_new else "updated" if changed else "unchanged"] += 1


#: What the cached registry is read from.
TABLES = notifications.tables("registry_providers", "registry_scopes")

#: Every column of both tables, as the driver returns them: no ORM object, no type
#: conversion in Python (JSON and dates stay as stored), so cheap to read and to compare.
_STORED_ROWS = tuple(
    sa.select(*(sa.type_coerce(column, sa.types.NULLTYPE) for column in table.c)).order_by(
        *table.primary_key.columns
    )
    for table in (RegistryProvider.__table__, RegistryScope.__table__)
)


@dataclass(frozen=True)
class _CachedRegistry:
    registry: Registry
    #: The rows it was built from (:data:`_STORED_ROWS`), read before it was.
    rows: tuple


def _load_cached(previous: _CachedRegistry | None) -> _CachedRegistry:
    """The registry, rebuilt only when a row of its tables changed since ``previous``.

    Rebuilding it from ORM rows and checking its consistency (:func:`scopes.consistency.check_consistency`)
    cost 61 ms with the 1,039 scopes of ``bench/large_data.py`` (in process, SQLite, this
    host), on a request's thread holding the GIL, every ``REGISTRY_CACHE_SECONDS`` in each
    worker: a tail at the p99 of every endpoint. Reading and comparing the raw rows cost
    9 ms. The comparison is exact whoever wrote (the CLI, another instance, ``psql``). The
    rows are read first: a change made between the two reads makes the next comparison fail
    and the registry be rebuilt, never a stale registry kept.
    """
    rows = tuple(tuple(db.session.execute(select).all()) for select in _STORED_ROWS)
    if previous is not None and previous.rows == rows:
        return previous
    return _CachedRegistry(read_registry(), rows)


def _registry() -> TimedValue[_CachedRegistry]:
    return timed_value("idp_registry", "REGISTRY_CACHE_SECONDS", _load_cached, tables=TABLES)


def registry() -> Registry:
    """The registry as this process last read it: at most ``REGISTRY_CACHE_SECONDS`` old, and
    reloaded at once when another instance's change is notified (:mod:`idp.database.notifications`)."""
    return _registry().get().registry


def invalidate() -> None:
    """Forget this process's copy after a local write (other processes are notified, or
    expire by TTL)."""
    _registry().invalidate()
