"""The scope registry in the database, and a short per-process cache of it.

Definitions (labels, claims, deprecation dates) are cached for ``REGISTRY_CACHE_SECONDS``, or
until a change is notified (:mod:`idp.database.notifications`).
What a client may request is *not* cached: it is read from the client row on every request,
so a revoked habilitation takes effect at once (see :mod:`idp.registry.allowed`).
"""

from __future__ import annotations

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


def _registry() -> TimedValue[Registry]:
    return timed_value(
        "idp_registry", "REGISTRY_CACHE_SECONDS", lambda _previous: read_registry(), tables=TABLES
    )


def registry() -> Registry:
    """The registry as this process last read it: at most ``REGISTRY_CACHE_SECONDS`` old, and
    reloaded at once when another instance's change is notified (:mod:`idp.database.notifications`)."""
    return _registry().get()


def invalidate() -> None:
    """Forget this process's copy after a local write (other processes are notified, or
    expire by TTL)."""
    _registry().invalidate()
