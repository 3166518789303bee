"""Consistency rules of a registry, checked all at once.

:func:`check_consistency` returns every problem instead of stopping at the
first, so that an import reports a whole document's mistakes in one go.

Provider rules: ``slug_format``, ``duplicate_provider``, ``missing_label``,
``missing_namespace`` (a data provider owns a namespace),
``namespace_format``, ``namespace_taken`` (a namespace belongs to one
provider), ``namespace_overlap`` (``api`` and ``api_fc`` would both claim
``api_fc_x``).

Scope rules: ``unknown_provider``, ``reserved_key`` (protocol scopes),
``duplicate_key``, the key grammar of :func:`scopes.grammar.validate_key`,
``missing_label`` (a non-blank French label), ``claims_on_data_scope`` (a
data provider's data never goes into ID tokens or userinfo).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from scopes.errors import (
    ProviderError,
    RegistryError,
    ScopeDefinitionError,
    ScopeKeyError,
)
from scopes.grammar import validate_key, validate_namespace
from scopes.protocol import PROTOCOL_SCOPES

if TYPE_CHECKING:
    from scopes.model import Provider, ScopeDefinition

__all__ = ["SLUG_PATTERN", "check_consistency"]

SLUG_PATTERN = re.compile(r"[a-z][a-z0-9_-]*")
MAX_SLUG_LENGTH = 100


def _check_providers(
    providers: Sequence[tuple[str, Provider]],
) -> tuple[list[RegistryError], set[str]]:
    """Provider problems, and the slugs whose namespace is in doubt."""
    errors: list[RegistryError] = []
    doubtful: set[str] = set()
    slugs: set[str] = set()
    namespaces: dict[str, str] = {}
    for path, provider in providers:
        slug = provider.slug
        if (
            not isinstance(slug, str)
            or len(slug) > MAX_SLUG_LENGTH
            or SLUG_PATTERN.fullmatch(slug) is None
        ):
            errors.append(
                ProviderError(
                    f"slug must match {SLUG_PATTERN.pattern} "
                    f"with at most {MAX_SLUG_LENGTH} characters",
                    key=str(slug)[:MAX_SLUG_LENGTH],
                    rule="slug_format",
                    path=f"{path}.slug",
                )
            )
        elif slug in slugs:
            errors.append(
                ProviderError(
                    "slug is defined twice",
                    key=slug,
                    rule="duplicate_provider",
                    path=f"{path}.slug",
                )
            )
            continue
        slugs.add(slug)
        if not isinstance(provider.label, str) or not provider.label.strip():
            errors.append(
                ProviderError(
                    "label must be a non-blank string",
                    key=slug,
                    rule="missing_label",
                    path=f"{path}.label",
                )
            )
        namespace = provider.namespace
        if namespace is None:
            if provider.kind == "data":
                errors.append(
                    ProviderError(
                        "a data provider must own a namespace",
                        key=slug,
                        rule="missing_namespace",
                        path=f"{path}.namespace",
                    )
                )
            continue
        try:
            validate_namespace(namespace)
        except ScopeKeyError as exc:
            errors.append(
                ProviderError(exc.message, key=slug, rule=exc.rule, path=f"{path}.namespace")
            )
            doubtful.add(slug)
            continue
        if namespace in namespaces:
            errors.append(
                ProviderError(
                    f"namespace {namespace} already belongs to provider {namespaces[namespace]}",
                    key=slug,
                    rule="namespace_taken",
                    path=f"{path}.namespace",
                )
            )
            doubtful.add(slug)
            continue
        for other_ns, other_slug in namespaces.items():
            if namespace.startswith(other_ns + "_") or other_ns.startswith(namespace + "_"):
                errors.append(
                    ProviderError(
                        f"namespace {namespace} overlaps namespace {other_ns} "
                        f"of provider {other_slug}",
                        key=slug,
                        rule="namespace_overlap",
                        path=f"{path}.namespace",
                    )
                )
                doubtful.add(slug)
        namespaces[namespace] = slug
    return errors, doubtful


def _check_scope(
    path: str, scope: ScopeDefinition, provider: Provider | None, *, check_grammar: bool
) -> list[RegistryError]:
    errors: list[RegistryError] = []
    key = scope.key
    if key in PROTOCOL_SCOPES:
        errors.append(
            ScopeDefinitionError(
                "key is a built-in protocol scope and cannot be defined in the registry",
                key=key,
                rule="reserved_key",
                path=f"{path}.key",
            )
        )
    elif provider is not None and check_grammar:
        try:
            validate_key(key, provider.namespace, legacy=scope.legacy)
        except ScopeKeyError as exc:
            errors.append(exc.at(f"{path}.key"))
    french = scope.labels.get("fr")
    if not isinstance(french, str) or not french.strip():
        errors.append(
            ScopeDefinitionError(
                "a non-blank French label (fr) is required",
                key=key,
                rule="missing_label",
                path=f"{path}.label.fr",
            )
        )
    for lang, label in scope.labels.items():
        if lang != "fr" and (not isinstance(label, str) or not label.strip()):
            errors.append(
                ScopeDefinitionError(
                    f"label {lang} must be a non-blank string",
                    key=key,
                    rule="missing_label",
                    path=f"{path}.label.{lang}",
                )
            )
    if provider is not None and provider.kind == "data" and scope.claims:
        errors.append(
            ScopeDefinitionError(
                f"a scope of data provider {provider.slug} cannot release OIDC claims",
                key=key,
                rule="claims_on_data_scope",
                path=f"{path}.claims",
            )
        )
    return errors


def check_consistency(
    providers: Sequence[tuple[str, Provider]],
    scopes: Sequence[tuple[str, ScopeDefinition]],
    *,
    unresolved_providers: Collection[str] = (),
) -> list[RegistryError]:
    """Every rule broken by ``providers`` and ``scopes``, each given with its path.

    ``unresolved_providers`` are slugs of providers that exist but could not be
    built (a document import reports them already): scopes naming them are not
    reported as ``unknown_provider``. The key grammar of scopes whose
    provider's namespace is itself wrong (format, taken, overlap) is not
    checked either, to report the cause once rather than every consequence.
    """
    errors, doubtful = _check_providers(providers)
    by_slug: dict[str, Provider] = {}
    for _, provider in providers:
        by_slug.setdefault(provider.slug, provider)
    seen: set[str] = set()
    for path, scope in scopes:
        provider = by_slug.get(scope.provider)
        if provider is None and scope.provider not in unresolved_providers:
            errors.append(
                ProviderError(
                    f"scope names provider {str(scope.provider)[:MAX_SLUG_LENGTH]}, "
                    "which is not in the registry",
                    key=scope.key,
                    rule="unknown_provider",
                    path=f"{path}.provider",
                    subject="scope",
                )
            )
        if scope.key in seen:
            errors.append(
                ScopeDefinitionError(
                    "key is defined twice", key=scope.key, rule="duplicate_key", path=f"{path}.key"
                )
            )
        seen.add(scope.key)
        errors.extend(
            _check_scope(path, scope, provider, check_grammar=scope.provider not in doubtful)
        )
    return errors
