"""Immutable domain objects: providers, scope definitions, the registry.

A :class:`Registry` is only ever built valid: its constructor runs every
consistency rule (:mod:`scopes.consistency`) and raises one
:class:`~scopes.errors.RegistryValidationError` listing all problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from scopes.consistency import check_consistency
from scopes.errors import ProviderError, RegistryValidationError
from scopes.protocol import PROTOCOL_SCOPES

__all__ = [
    "PROTOCOL_SCOPES",
    "Labels",
    "Provider",
    "ProviderKind",
    "Registry",
    "ScopeDefinition",
]

DEFAULT_LANG = "fr"


def _primary(lang: str) -> str:
    """``en-GB`` → ``en``."""
    return lang.replace("_", "-").split("-", 1)[0].lower()


class ProviderKind(StrEnum):
    """What a provider gives: the identity (OIDC claims) or API data."""

    IDENTITY = "identity"
    DATA = "data"


class Labels(Mapping[str, str]):
    """An immutable, hashable ``{language: label}`` mapping."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._items: dict[str, str] = dict(items)

    def __getitem__(self, lang: str) -> str:
        return self._items[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"Labels({self._items!r})"


@dataclass(frozen=True)
class Provider:
    """A scope provider: FranceConnect itself, or a data provider (FD).

    ``namespace`` is the key prefix the provider owns (``dgfip``); the
    identity provider owns none. ``label`` is the French display name.
    """

    slug: str
    label: str
    kind: ProviderKind
    namespace: str | None = None
    label_en: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ProviderKind):
            try:
                object.__setattr__(self, "kind", ProviderKind(self.kind))
            except ValueError:
                raise ProviderError(
                    "kind must be one of identity, data", key=self.slug, rule="provider_kind"
                ) from None

    def label_for(self, lang: str) -> str:
        """Display name in ``lang``: ``label_en`` for English when set, else French."""
        if _primary(lang) == "en" and self.label_en:
            return self.label_en
        return self.label


@dataclass(frozen=True)
class ScopeDefinition:
    """One scope of the registry.

    ``labels`` maps a language to the consent-screen label (``fr`` required).
    ``claims`` are the OIDC claims the scope releases (identity scopes only;
    OIDC Core §5.4). A scope is deprecated from ``deprecated_since`` on.
    ``legacy`` marks an existing production key exempt from the new-key rules.
    ``machine`` marks a scope a client may get for itself with ``client_credentials``
    (RFC 6749 §4.4): one that describes no citizen's data (a public list, aggregates).
    Every other scope is only ever granted with a citizen's consent.
    """

    key: str
    provider: str
    labels: Mapping[str, str]
    description: str | None = None
    group: str | None = None
    claims: tuple[str, ...] = ()
    deprecated_since: date | None = None
    legacy: bool = False
    machine: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.labels, Labels):
            object.__setattr__(self, "labels", Labels(self.labels))
        if not isinstance(self.claims, tuple):
            object.__setattr__(self, "claims", tuple(self.claims))

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """Label in ``lang`` (``en-GB`` tries ``en``), falling back to French."""
        return (
            self.labels.get(lang)
            or self.labels.get(_primary(lang))
            or self.labels.get(DEFAULT_LANG)
            or self.key
        )

    def is_deprecated(self, today: date) -> bool:
        """True from ``deprecated_since`` on (``deprecated_since <= today``)."""
        return self.deprecated_since is not None and self.deprecated_since <= today


class Registry:
    """A consistent set of providers and scopes, with lookups.

    Construction validates every rule and raises
    :class:`~scopes.errors.RegistryValidationError` listing all problems.
    Order is kept: :attr:`providers` and :attr:`scopes` are in input order,
    which is the "registry order" of the consent screen.
    """

    __slots__ = (
        "_by_key",
        "_by_namespace",
        "_by_slug",
        "_position",
        "_providers",
        "_scopes",
        "_scopes_by_slug",
    )

    def __init__(
        self,
        providers: Iterable[Provider] = (),
        scopes: Iterable[ScopeDefinition] = (),
    ) -> None:
        providers = tuple(providers)
        scopes = tuple(scopes)
        errors = check_consistency(
            [(f"providers[{i}]", p) for i, p in enumerate(providers)],
            [(f"scopes[{i}]", s) for i, s in enumerate(scopes)],
        )
        if errors:
            raise RegistryValidationError(errors)
        self._providers = providers
        self._scopes = scopes
        self._by_slug = {p.slug: p for p in providers}
        self._by_namespace = {p.namespace: p for p in providers if p.namespace is not None}
        self._by_key = {s.key: s for s in scopes}
        # Built once, so that a request's lookups cost what it asks for, not the registry's
        # size (the token's ``aud``, the consent screen; bench/large_data.py's 1,000 scopes).
        self._position = {p.slug: index for index, p in enumerate(providers)}
        by_slug: dict[str, list[ScopeDefinition]] = {}
        for scope in scopes:
            by_slug.setdefault(scope.provider, []).append(scope)
        self._scopes_by_slug = {slug: tuple(owned) for slug, owned in by_slug.items()}

    @property
    def providers(self) -> tuple[Provider, ...]:
        """All providers, in registry order."""
        return self._providers

    @property
    def scopes(self) -> tuple[ScopeDefinition, ...]:
        """All scope definitions, in registry order (protocol scopes excluded)."""
        return self._scopes

    def scope(self, key: str) -> ScopeDefinition | None:
        """The definition of ``key``, or None (also for protocol scopes)."""
        return self._by_key.get(key)

    def provider(self, slug: str) -> Provider | None:
        """The provider with ``slug``, or None."""
        return self._by_slug.get(slug)

    def provider_by_namespace(self, namespace: str) -> Provider | None:
        """The provider owning ``namespace``, or None."""
        return self._by_namespace.get(namespace)

    def provider_of(self, key: str) -> Provider | None:
        """The provider owning scope ``key``, or None (unknown or protocol scope)."""
        scope = self._by_key.get(key)
        return None if scope is None else self._by_slug[scope.provider]

    def scopes_of(self, slug: str) -> tuple[ScopeDefinition, ...]:
        """The scopes of provider ``slug``, in registry order."""
        return self._scopes_by_slug.get(slug, ())

    def in_registry_order(self, slugs: Iterable[str]) -> list[Provider]:
        """The providers of ``slugs`` (unknown ones left out), each once, in registry order."""
        known = {slug for slug in slugs if slug in self._position}
        return [self._by_slug[slug] for slug in sorted(known, key=self._position.__getitem__)]

    def is_known(self, key: str) -> bool:
        """True for a registry key or a protocol scope (:data:`PROTOCOL_SCOPES`)."""
        return key in self._by_key or key in PROTOCOL_SCOPES

    def with_scope(self, definition: ScopeDefinition) -> Registry:
        """A new registry with ``definition`` added, or replacing the same key in place."""
        if definition.key in self._by_key:
            scopes = [definition if s.key == definition.key else s for s in self._scopes]
        else:
            scopes = [*self._scopes, definition]
        return Registry(self._providers, scopes)

    def without_scope(self, key: str) -> Registry:
        """A new registry without scope ``key`` (unchanged when absent)."""
        return Registry(self._providers, [s for s in self._scopes if s.key != key])

    def with_provider(self, provider: Provider) -> Registry:
        """A new registry with ``provider`` added, or replacing the same slug in place."""
        if provider.slug in self._by_slug:
            providers = [provider if p.slug == provider.slug else p for p in self._providers]
        else:
            providers = [*self._providers, provider]
        return Registry(providers, self._scopes)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[ScopeDefinition]:
        return iter(self._scopes)

    def __len__(self) -> int:
        return len(self._scopes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Registry):
            return NotImplemented
        return self._providers == other._providers and self._scopes == other._scopes

    def __hash__(self) -> int:
        return hash((self._providers, self._scopes))

    def __repr__(self) -> str:
        return f"<Registry providers={len(self._providers)} scopes={len(self._scopes)}>"
