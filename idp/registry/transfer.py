"""Importing and exporting the scope registry as a ``scope-registry/1`` document.

* **Import** merges: providers and scopes of the document are created or replaced, entries
  absent from it are kept (deleting is :func:`idp.registry.admin.delete_scope`'s job, with its
  safety checks). It is all-or-nothing and reports every problem at once, with its path in the
  document; importing the same document again changes nothing.
* **Export** writes the same format, so that import(export()) changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from idp.extensions import db
from idp.models import RegistryProvider
from idp.registry import store
from idp.registry.admin import MAX_STORED_SLUG_LENGTH, lock_registry, recompute_holders
from scopes import (
    ProviderError,
    Registry,
    RegistryError,
    RegistryValidationError,
    ScopeDefinitionError,
    dump_registry_document,
    parse_registry_document,
)

__all__ = [
    "BUNDLED_REGISTRY",
    "FRANCECONNECT_SUPPLEMENT",
    "STORED_LANGUAGES",
    "ImportReport",
    "export_document",
    "import_bundled_registry",
    "import_document",
    "import_registry_file",
]

#: FranceConnect's registry with the official French labels, shipped with the server.
BUNDLED_REGISTRY = Path(__file__).parent / "data" / "franceconnect-registry.json"
#: What FranceConnect's own scope lists add to it (``back/libs/scopes/src/data/fcp-high``
#: and ``fcp-low``): FranceConnect+'s ``rnipp_*`` scopes, ``idp_birthdate`` and ``amr``.
FRANCECONNECT_SUPPLEMENT = Path(__file__).parent / "data" / "franceconnect-plus-scopes.json"

#: Label languages the ``registry_scopes`` table has columns for.
STORED_LANGUAGES = ("fr", "en")


@dataclass
class ImportReport:
    """What an import did: keys (scopes) and slugs (providers) created or updated."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def export_document() -> dict[str, Any]:
    """The registry as a ``scope-registry/1`` document; :func:`import_document` takes it back."""
    return dump_registry_document(store.read_registry())


def import_document(document: object) -> ImportReport:
    """Merge a ``scope-registry/1`` document into the registry, all or nothing.

    The document is checked together with the stored entries it does not mention, so it may
    name stored providers, and a namespace it gives away is checked against the stored ones.
    Raises :class:`~scopes.RegistryValidationError` listing every problem, each with its path in
    the document (``scopes[3].key``) or the stored entry it conflicts with; nothing is written.
    """
    lock_registry()
    current = store.read_registry()
    merged_document, origins = _merged_document(document, current)
    problems = _storage_problems(merged_document)
    try:
        merged = parse_registry_document(merged_document)
    except RegistryValidationError as invalid:
        problems.extend(invalid.errors)
    if problems:
        db.session.rollback()
        raise RegistryValidationError([_relabel(problem, origins) for problem in problems])
    report = _diff(current, merged)
    if report.changed:
        _free_moved_namespaces(current, merged)
        store.write_registry(merged)
        recompute_holders(report.created)
    db.session.commit()
    store.invalidate()
    return report


def import_registry_file(path: Path = BUNDLED_REGISTRY) -> dict[str, int]:
    """Merge a registry file (see :func:`import_document`); returns the counts of changes."""
    report = import_document(json.loads(path.read_text(encoding="utf-8")))
    return {"created": len(report.created), "updated": len(report.updated)}


def import_bundled_registry() -> dict[str, int]:
    """The registry shipped with the server: :data:`BUNDLED_REGISTRY`, then its supplement."""
    counts = [import_registry_file(path) for path in (BUNDLED_REGISTRY, FRANCECONNECT_SUPPLEMENT)]
    return {name: sum(count[name] for count in counts) for name in ("created", "updated")}


def _merged_document(document: object, current: Registry) -> tuple[object, dict[str, list[str]]]:
    """The stored registry with the document's entries replacing theirs in place, new ones after.

    Returns that document and, for each list, where each entry came from (``scopes[3]`` of the
    document, or ``stored scope dgfip_rfr``). A document without both lists is returned as is,
    for the parser to report.
    """
    if not isinstance(document, dict) or not all(
        isinstance(document.get(name), list) for name in ("providers", "scopes")
    ):
        return document, {}
    stored = dump_registry_document(current)
    merged = dict(document)
    origins: dict[str, list[str]] = {}
    for name, id_field in (("providers", "slug"), ("scopes", "key")):
        entries = [(f"stored {name[:-1]} {item[id_field]}", item) for item in stored[name]]
        place = {item[id_field]: index for index, (_, item) in enumerate(entries)}
        for position, item in enumerate(document[name]):
            identifier = item.get(id_field) if isinstance(item, dict) else None
            if isinstance(identifier, str) and identifier in place:
                entries[place.pop(identifier)] = (f"{name}[{position}]", item)
            else:  # new, duplicated or unidentifiable: the parser reports the last two
                entries.append((f"{name}[{position}]", item))
        merged[name] = [item for _, item in entries]
        origins[name] = [origin for origin, _ in entries]
    return merged, origins


_LANGUAGE = re.compile(r"[a-z]{2,3}")
_ENTRY_PATH = re.compile(r"(providers|scopes)\[(\d+)\]")


def _relabel(problem: RegistryError, origins: dict[str, list[str]]) -> RegistryError:
    """Point a problem of the merged document back at the imported one (or the stored entry)."""
    match = _ENTRY_PATH.match(problem.path or "")
    if match and match.group(1) in origins:
        origin = origins[match.group(1)][int(match.group(2))]
        problem.path = origin + problem.path[match.end() :]
    return problem


def _storage_problems(document: object) -> list[RegistryError]:
    """Limits of the tables that the document format does not have (slug length, languages, NUL)."""
    if not isinstance(document, dict):
        return []
    problems: list[RegistryError] = []
    providers = document.get("providers") if isinstance(document.get("providers"), list) else []
    scopes = document.get("scopes") if isinstance(document.get("scopes"), list) else []
    for index, provider in enumerate(providers):
        slug = provider.get("slug") if isinstance(provider, dict) else None
        if isinstance(slug, str) and len(slug) > MAX_STORED_SLUG_LENGTH:
            problems.append(
                ProviderError(
                    f"slug must have at most {MAX_STORED_SLUG_LENGTH} characters",
                    key=slug[:MAX_STORED_SLUG_LENGTH],
                    rule="too_long",
                    path=f"providers[{index}].slug",
                )
            )
    for index, scope in enumerate(scopes):
        labels = scope.get("label") if isinstance(scope, dict) else None
        for lang in labels if isinstance(labels, dict) else ():
            if isinstance(lang, str) and _LANGUAGE.fullmatch(lang) and lang not in STORED_LANGUAGES:
                problems.append(
                    ScopeDefinitionError(
                        f"only labels in {' and '.join(STORED_LANGUAGES)} are stored",
                        rule="label_language",
                        path=f"scopes[{index}].label.{lang}",
                    )
                )
    for name, entries in (("providers", providers), ("scopes", scopes)):
        problems.extend(
            RegistryError("must not contain a NUL character", rule="control_character", path=f"{name}[{i}]")
            for i, entry in enumerate(entries)
            if _has_nul(entry)
        )
    return problems


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


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
