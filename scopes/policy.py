"""What the server asks the registry: grants, claims, consent, ownership.

Each function is one named check, used by the protocol endpoints:

========================  ===============================================
function                  used by
========================  ===============================================
:func:`check_requested`   ``/authorize`` and ``/token`` (``invalid_scope``)
:func:`released_claims`   ID token and ``/userinfo`` (OIDC Core §5.4)
:func:`consent_groups`    the consent page and ``/account``
:func:`owned_scopes`      ``/introspect`` and ``/checktoken`` for a data provider
:func:`data_providers_of` the access token ``aud``
:func:`can_manage`        the registry API (namespace ownership)
========================  ===============================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from scopes.errors import InvalidScopeRequest, RegistryError, ScopeKeyError
from scopes.grammar import split_scope_request, validate_key
from scopes.model import ProviderKind, Registry
from scopes.protocol import (
    MACHINE_PROTOCOL_SCOPES,
    OFFLINE_ACCESS,
    OFFLINE_ACCESS_LABELS,
    PROTOCOL_GROUP_SLUG,
    PROTOCOL_SCOPES,
)

__all__ = [
    "ConsentGroup",
    "can_manage",
    "check_requested",
    "consent_groups",
    "data_providers_of",
    "owned_scopes",
    "released_claims",
]


def _unique(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def check_requested(
    registry: Registry,
    requested: str | Iterable[str] | None,
    allowed: Iterable[str],
    today: date,
) -> list[str]:
    """Grant exactly the requested scopes, or refuse the request.

    ``requested`` is an RFC 6749 §3.3 scope string or a list of keys. Returns
    the keys in request order, without duplicates; an empty request gives
    ``[]``. Otherwise raises one :class:`~scopes.errors.InvalidScopeRequest`
    listing every offending key under its first applicable reason:
    ``malformed`` (not a scope-token), ``unknown`` (neither in the registry
    nor a protocol scope), ``deprecated`` (``deprecated_since <= today``),
    ``not_allowed`` (outside ``allowed``). Nothing is silently dropped or
    widened; protocol scopes too must be in ``allowed``.
    """
    tokens, malformed = split_scope_request(requested)
    allowed_set = frozenset(allowed)
    unknown: list[str] = []
    deprecated: list[str] = []
    not_allowed: list[str] = []
    for key in tokens:
        scope = registry.scope(key)
        if scope is None and key not in PROTOCOL_SCOPES:
            unknown.append(key)
        elif scope is not None and scope.is_deprecated(today):
            deprecated.append(key)
        elif key not in allowed_set:
            not_allowed.append(key)
    if malformed or unknown or deprecated or not_allowed:
        raise InvalidScopeRequest(
            malformed=malformed, unknown=unknown, deprecated=deprecated, not_allowed=not_allowed
        )
    return tokens


def check_machine_usable(registry: Registry, granted: Iterable[str]) -> None:
    """A ``client_credentials`` grant (RFC 6749 §4.4) names no citizen: every scope must be
    one the registry marks ``machine``, or a machine protocol scope (``registry_write``).

    DESIGN, "Machine tokens": a scope that describes a citizen's data is never issued
    without a citizen. Raises :class:`~scopes.errors.InvalidScopeRequest` naming the others.
    """
    refused = [
        key
        for key in granted
        if key not in MACHINE_PROTOCOL_SCOPES and not ((scope := registry.scope(key)) and scope.machine)
    ]
    if refused:
        raise InvalidScopeRequest(needs_citizen=refused)


def released_claims(registry: Registry, granted: Iterable[str]) -> frozenset[str]:
    """The OIDC claims released by ``granted`` (OIDC Core §5.4).

    The union of the claims of the granted identity scopes. Data scopes,
    protocol scopes and unknown keys release none; ``sub`` comes only from
    ``openid``.
    """
    claims: set[str] = set()
    for key in granted:
        scope = registry.scope(key)
        if scope is None:
            continue
        provider = registry.provider(scope.provider)
        if provider is not None and provider.kind is ProviderKind.IDENTITY:
            claims.update(scope.claims)
    return frozenset(claims)


@dataclass(frozen=True)
class ConsentGroup:
    """The consent-screen lines of one provider.

    The group of protocol scopes (``offline_access``) has ``provider_slug``
    and ``provider_label`` both ``""``.
    """

    provider_slug: str
    provider_label: str
    labels: tuple[str, ...]


def consent_groups(registry: Registry, granted: Iterable[str], lang: str) -> list[ConsentGroup]:
    """The consent screen for ``granted``, in ``lang`` (falling back to French).

    One group per provider, providers in registry order, labels in registry
    order and deduplicated. ``openid`` is shown (it is the technical
    identifier). ``offline_access`` comes last in a group with
    ``provider_slug`` ``""``; ``registry_write`` and unknown keys are never shown.
    """
    wanted = frozenset(granted)
    owners = {scope.provider for key in wanted if (scope := registry.scope(key)) is not None}
    groups: list[ConsentGroup] = []
    for provider in registry.in_registry_order(owners):
        labels = _unique(
            scope.label(lang) for scope in registry.scopes_of(provider.slug) if scope.key in wanted
        )
        groups.append(ConsentGroup(provider.slug, provider.label_for(lang), tuple(labels)))
    if OFFLINE_ACCESS in wanted:
        primary = lang.replace("_", "-").split("-", 1)[0].lower()
        label = OFFLINE_ACCESS_LABELS.get(primary) or OFFLINE_ACCESS_LABELS["fr"]
        groups.append(ConsentGroup(PROTOCOL_GROUP_SLUG, "", (label,)))
    return groups


def owned_scopes(registry: Registry, namespace: str, scopes: Iterable[str]) -> list[str]:
    """The keys of ``scopes`` owned by the provider of ``namespace``, in input order.

    Ownership is by the scope's provider, not by key prefix, so legacy keys
    (``prime_activite`` for ``cnaf``) are included.
    """
    owner = registry.provider_by_namespace(namespace)
    if owner is None:
        return []
    return [
        key
        for key in _unique(scopes)
        if (scope := registry.scope(key)) is not None and scope.provider == owner.slug
    ]


def data_providers_of(registry: Registry, scopes: Iterable[str]) -> list[str]:
    """Slugs of the data providers owning any of ``scopes``, in registry order.

    This is the ``aud`` of an access token carrying those scopes.
    """
    slugs = {scope.provider for key in scopes if (scope := registry.scope(key)) is not None}
    return [
        provider.slug for provider in registry.in_registry_order(slugs) if provider.kind is ProviderKind.DATA
    ]


def can_manage(
    registry: Registry,
    actor_namespace: str | None,
    key: str,
    provider_slug: str,
    *,
    operator: bool,
) -> None:
    """Check that an actor may create or change scope ``key`` of ``provider_slug``.

    An operator may change anything. Otherwise the provider ``provider_slug``
    must own ``actor_namespace``, and the key must either already belong to
    that provider (its existing legacy keys included) or be a valid new key
    of that namespace (:func:`scopes.grammar.validate_key` without legacy).
    Raises :class:`~scopes.errors.RegistryError` with rule
    ``namespace_forbidden`` otherwise; the message names the grammar rule
    when that is what fails.
    """
    if operator:
        return
    provider = registry.provider(provider_slug)
    if provider is None or actor_namespace is None or provider.namespace != actor_namespace:
        raise RegistryError(
            f"namespace {actor_namespace or '(none)'} does not own provider {provider_slug}",
            key=key,
            rule="namespace_forbidden",
        )
    existing = registry.scope(key)
    if existing is not None:
        if existing.provider != provider.slug:
            raise RegistryError(
                f"key belongs to provider {existing.provider}",
                key=key,
                rule="namespace_forbidden",
            )
        return
    try:
        validate_key(key, actor_namespace)
    except ScopeKeyError as exc:
        raise RegistryError(
            f"not a new key of namespace {actor_namespace}: {exc.message} (grammar rule {exc.rule})",
            key=key,
            rule="namespace_forbidden",
        ) from exc
