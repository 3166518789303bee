"""The registry import/export format ``scope-registry/1``.

Shape (see ``idp/data/franceconnect-registry.json``)::

    {"format": "scope-registry/1",
     "providers": [{"slug", "namespace" (string or null), "label", "kind",
                    "label_en"?}],
     "scopes": [{"key", "provider", "label": {"fr", "en"?},
                 "claims"?, "group"?, "description"?, "legacy"?, "machine"?,
                 "deprecated_since"? (ISO date YYYY-MM-DD)}]}

:func:`parse_registry_document` accepts any JSON value and either returns a
:class:`~scopes.model.Registry` or raises one
:class:`~scopes.errors.RegistryValidationError` listing every problem, each
with a path such as ``scopes[3].label.fr``. Unknown fields are refused
(rule ``unknown_field``) so that a typo does not silently drop data.
Shape rules: ``document_type``, ``format``, ``required``, ``field_type``,
``too_long``, ``unknown_field``, ``label_language``, ``claim_format``,
``duplicate_claim``, ``date_format``, ``provider_kind``; then the
consistency rules of :mod:`scopes.consistency`.

:func:`dump_registry_document` writes the same shape back, omitting absent
optional fields, so that ``parse(dump(registry)) == registry``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from scopes.consistency import check_consistency
from scopes.errors import (
    ProviderError,
    RegistryError,
    RegistryValidationError,
    ScopeDefinitionError,
)
from scopes.grammar import MAX_KEY_LENGTH
from scopes.model import Provider, ProviderKind, Registry, ScopeDefinition

__all__ = ["FORMAT", "dump_registry_document", "parse_registry_document"]

FORMAT = "scope-registry/1"

MAX_LABEL_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 2000
MAX_SLUG_LENGTH = 100
MAX_CLAIM_LENGTH = 100
MAX_CLAIMS = 100

_TOP_FIELDS = frozenset({"format", "providers", "scopes"})
_PROVIDER_FIELDS = frozenset({"slug", "namespace", "label", "kind", "label_en"})
_SCOPE_FIELDS = frozenset(
    {"key", "provider", "label", "claims", "group", "description", "legacy", "machine", "deprecated_since"}
)
_LANG_PATTERN = re.compile(r"[a-z]{2,3}")
_CLAIM_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_INVALID = object()


def _describe(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), "an unsupported value")


class _Reader:
    """Reads fields of one JSON object, appending problems to ``errors``."""

    def __init__(
        self,
        errors: list[RegistryError],
        key: str | None = None,
        kind: type[RegistryError] = RegistryError,
    ) -> None:
        self.errors = errors
        self.key = key
        self.kind = kind

    def error(self, message: str, rule: str, path: str) -> None:
        self.errors.append(self.kind(message, rule=rule, key=self.key, path=path))

    def check_fields(self, obj: dict[Any, Any], allowed: frozenset[str], path: str) -> None:
        for name in obj:
            if name not in allowed:
                shown = str(name)[:40] if isinstance(name, str) else _describe(name)
                where = shown if path == "$" else f"{path}.{shown}"
                self.error(f"unknown field {shown}", "unknown_field", where)

    def string(
        self,
        obj: dict[Any, Any],
        name: str,
        path: str,
        *,
        max_length: int,
        required: bool = True,
        nullable: bool = False,
    ) -> Any:
        """The string at ``obj[name]``; None when absent/null and allowed; else _INVALID."""
        where = f"{path}.{name}"
        if name not in obj:
            if required:
                self.error(f"field {name} is required", "required", where)
                return _INVALID
            return None
        value = obj[name]
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            expected = "a string or null" if nullable else "a string"
            self.error(f"must be {expected}, not {_describe(value)}", "field_type", where)
            return _INVALID
        if len(value) > max_length:
            self.error(f"must have at most {max_length} characters", "too_long", where)
            return _INVALID
        return value


def _parse_provider(item: object, path: str, errors: list[RegistryError]) -> Provider | None:
    if not isinstance(item, dict):
        errors.append(
            RegistryError(f"must be an object, not {_describe(item)}", rule="field_type", path=path)
        )
        return None
    slug = item.get("slug")
    reader = _Reader(
        errors,
        slug if isinstance(slug, str) and len(slug) <= MAX_SLUG_LENGTH else None,
        ProviderError,
    )
    before = len(errors)
    reader.check_fields(item, _PROVIDER_FIELDS, path)
    slug = reader.string(item, "slug", path, max_length=MAX_SLUG_LENGTH)
    namespace = reader.string(
        item, "namespace", path, max_length=MAX_KEY_LENGTH, required=False, nullable=True
    )
    label = reader.string(item, "label", path, max_length=MAX_LABEL_LENGTH)
    label_en = reader.string(item, "label_en", path, max_length=MAX_LABEL_LENGTH, required=False)
    kind = reader.string(item, "kind", path, max_length=MAX_SLUG_LENGTH)
    if isinstance(kind, str) and kind not in {k.value for k in ProviderKind}:
        reader.error("kind must be identity or data", "provider_kind", f"{path}.kind")
        kind = _INVALID
    if len(errors) > before:
        return None
    return Provider(
        slug=slug, label=label, kind=ProviderKind(kind), namespace=namespace, label_en=label_en
    )


def _parse_labels(reader: _Reader, item: dict[Any, Any], path: str) -> Any:
    where = f"{path}.label"
    if "label" not in item:
        reader.error("field label is required", "missing_label", where)
        return _INVALID
    value = item["label"]
    if not isinstance(value, dict):
        reader.error(
            f"must be an object of labels by language, not {_describe(value)}", "field_type", where
        )
        return _INVALID
    labels: dict[str, str] = {}
    ok = True
    for lang in value:
        if not isinstance(lang, str) or _LANG_PATTERN.fullmatch(lang) is None:
            shown = str(lang)[:40] if isinstance(lang, str) else _describe(lang)
            reader.error(
                "language must be a 2 or 3 letter code", "label_language", f"{where}.{shown}"
            )
            ok = False
            continue
        text = reader.string(value, lang, where, max_length=MAX_LABEL_LENGTH)
        if text is _INVALID:
            ok = False
        else:
            labels[lang] = text
    if "fr" not in value:
        reader.error("a French label (fr) is required", "missing_label", f"{where}.fr")
        ok = False
    return labels if ok else _INVALID


def _parse_claims(reader: _Reader, item: dict[Any, Any], path: str) -> Any:
    where = f"{path}.claims"
    if "claims" not in item:
        return ()
    value = item["claims"]
    if not isinstance(value, list):
        reader.error(f"must be an array of strings, not {_describe(value)}", "field_type", where)
        return _INVALID
    if len(value) > MAX_CLAIMS:
        reader.error(f"must have at most {MAX_CLAIMS} claims", "too_long", where)
        return _INVALID
    claims: list[str] = []
    ok = True
    for index, claim in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(claim, str):
            reader.error(f"must be a string, not {_describe(claim)}", "field_type", at)
            ok = False
        elif len(claim) > MAX_CLAIM_LENGTH or _CLAIM_PATTERN.fullmatch(claim) is None:
            reader.error(
                f"claim name must match {_CLAIM_PATTERN.pattern} "
                f"with at most {MAX_CLAIM_LENGTH} characters",
                "claim_format",
                at,
            )
            ok = False
        elif claim in claims:
            reader.error(f"claim {claim} is listed twice", "duplicate_claim", at)
            ok = False
        else:
            claims.append(claim)
    return tuple(claims) if ok else _INVALID


def _parse_date(reader: _Reader, item: dict[Any, Any], path: str) -> Any:
    value = reader.string(item, "deprecated_since", path, max_length=10, required=False)
    if not isinstance(value, str):
        return value
    where = f"{path}.deprecated_since"
    if _DATE_PATTERN.fullmatch(value) is None:
        reader.error("must be an ISO date YYYY-MM-DD", "date_format", where)
        return _INVALID
    try:
        return date.fromisoformat(value)
    except ValueError:
        reader.error("must be a valid calendar date YYYY-MM-DD", "date_format", where)
        return _INVALID


def _parse_scope(item: object, path: str, errors: list[RegistryError]) -> ScopeDefinition | None:
    if not isinstance(item, dict):
        errors.append(
            RegistryError(f"must be an object, not {_describe(item)}", rule="field_type", path=path)
        )
        return None
    key = item.get("key")
    reader = _Reader(
        errors,
        key if isinstance(key, str) and len(key) <= MAX_KEY_LENGTH else None,
        ScopeDefinitionError,
    )
    before = len(errors)
    reader.check_fields(item, _SCOPE_FIELDS, path)
    key = reader.string(item, "key", path, max_length=MAX_KEY_LENGTH)
    provider = reader.string(item, "provider", path, max_length=MAX_SLUG_LENGTH)
    labels = _parse_labels(reader, item, path)
    claims = _parse_claims(reader, item, path)
    group = reader.string(item, "group", path, max_length=MAX_LABEL_LENGTH, required=False)
    description = reader.string(
        item, "description", path, max_length=MAX_DESCRIPTION_LENGTH, required=False
    )
    legacy, machine = (item.get(name, False) for name in ("legacy", "machine"))
    for name, flag in (("legacy", legacy), ("machine", machine)):
        if not isinstance(flag, bool):
            reader.error(f"must be a boolean, not {_describe(flag)}", "field_type", f"{path}.{name}")
    deprecated_since = _parse_date(reader, item, path)
    if len(errors) > before:
        return None
    return ScopeDefinition(
        key=key,
        provider=provider,
        labels=labels,
        description=description,
        group=group,
        claims=claims,
        deprecated_since=deprecated_since,
        legacy=legacy,
        machine=machine,
    )


def _array(doc: dict[Any, Any], name: str, errors: list[RegistryError]) -> list[Any]:
    if name not in doc:
        errors.append(RegistryError(f"field {name} is required", rule="required", path=name))
        return []
    value = doc[name]
    if not isinstance(value, list):
        errors.append(
            RegistryError(f"must be an array, not {_describe(value)}", rule="field_type", path=name)
        )
        return []
    return value


def parse_registry_document(doc: object) -> Registry:
    """Build a :class:`~scopes.model.Registry` from a ``scope-registry/1`` document.

    Raises :class:`~scopes.errors.RegistryValidationError` with every problem
    (shape and consistency) and its path; never anything else, whatever the
    JSON value.
    """
    if not isinstance(doc, dict):
        raise RegistryValidationError(
            [
                RegistryError(
                    f"document must be an object, not {_describe(doc)}",
                    rule="document_type",
                    path="$",
                )
            ]
        )
    errors: list[RegistryError] = []
    _Reader(errors).check_fields(doc, _TOP_FIELDS, "$")
    if "format" not in doc:
        errors.append(RegistryError("field format is required", rule="required", path="format"))
    elif doc["format"] != FORMAT:
        errors.append(RegistryError(f"format must be {FORMAT}", rule="format", path="format"))

    providers: list[tuple[str, Provider]] = []
    unresolved: set[str] = set()
    for index, item in enumerate(_array(doc, "providers", errors)):
        path = f"providers[{index}]"
        provider = _parse_provider(item, path, errors)
        if provider is not None:
            providers.append((path, provider))
        elif isinstance(item, dict) and isinstance(item.get("slug"), str):
            unresolved.add(item["slug"])

    scopes: list[tuple[str, ScopeDefinition]] = []
    for index, item in enumerate(_array(doc, "scopes", errors)):
        path = f"scopes[{index}]"
        scope = _parse_scope(item, path, errors)
        if scope is not None:
            scopes.append((path, scope))

    errors.extend(check_consistency(providers, scopes, unresolved_providers=unresolved))
    if errors:
        raise RegistryValidationError(errors)
    return Registry([p for _, p in providers], [s for _, s in scopes])


def _dump_provider(provider: Provider) -> dict[str, Any]:
    out: dict[str, Any] = {
        "slug": provider.slug,
        "namespace": provider.namespace,
        "label": provider.label,
        "kind": provider.kind.value,
    }
    if provider.label_en is not None:
        out["label_en"] = provider.label_en
    return out


def _dump_scope(scope: ScopeDefinition) -> dict[str, Any]:
    labels = {"fr": scope.labels["fr"]} if "fr" in scope.labels else {}
    labels.update((lang, text) for lang, text in scope.labels.items() if lang != "fr")
    out: dict[str, Any] = {"key": scope.key, "provider": scope.provider, "label": labels}
    if scope.claims:
        out["claims"] = list(scope.claims)
    if scope.group is not None:
        out["group"] = scope.group
    if scope.description is not None:
        out["description"] = scope.description
    if scope.legacy:
        out["legacy"] = True
    if scope.machine:
        out["machine"] = True
    if scope.deprecated_since is not None:
        out["deprecated_since"] = scope.deprecated_since.isoformat()
    return out


def dump_registry_document(registry: Registry) -> dict[str, Any]:
    """The ``scope-registry/1`` document of ``registry``, optional fields omitted when absent."""
    return {
        "format": FORMAT,
        "providers": [_dump_provider(p) for p in registry.providers],
        "scopes": [_dump_scope(s) for s in registry.scopes],
    }
