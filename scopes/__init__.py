"""Scope registry domain: providers, namespaces, scope definitions, grammar, policy.

Framework-free (standard library only). ``idp`` builds a :class:`Registry`
from its database or from a ``scope-registry/1`` document, then asks
:mod:`scopes.policy` what to grant, release and show.
"""

from scopes.document import FORMAT, dump_registry_document, parse_registry_document
from scopes.errors import (
    InvalidScopeRequest,
    ProviderError,
    RegistryError,
    RegistryValidationError,
    ScopeDefinitionError,
    ScopeKeyError,
)
from scopes.grammar import (
    IDENTITY_KEY_PATTERN,
    KEY_PATTERN,
    MAX_KEY_LENGTH,
    NAMESPACE_PATTERN,
    format_scope_string,
    is_valid_scope_token,
    parse_scope_string,
    split_scope_request,
    validate_key,
    validate_namespace,
)
from scopes.model import Labels, Provider, ProviderKind, Registry, ScopeDefinition
from scopes.policy import (
    ConsentGroup,
    can_manage,
    check_machine_usable,
    check_requested,
    consent_groups,
    data_providers_of,
    owned_scopes,
    released_claims,
)
from scopes.protocol import (
    OFFLINE_ACCESS,
    OFFLINE_ACCESS_LABELS,
    PROTOCOL_GROUP_SLUG,
    PROTOCOL_SCOPES,
    REGISTRY_WRITE,
)

__all__ = [
    "FORMAT",
    "IDENTITY_KEY_PATTERN",
    "KEY_PATTERN",
    "MAX_KEY_LENGTH",
    "NAMESPACE_PATTERN",
    "OFFLINE_ACCESS",
    "OFFLINE_ACCESS_LABELS",
    "PROTOCOL_GROUP_SLUG",
    "PROTOCOL_SCOPES",
    "REGISTRY_WRITE",
    "ConsentGroup",
    "InvalidScopeRequest",
    "Labels",
    "Provider",
    "ProviderError",
    "ProviderKind",
    "Registry",
    "RegistryError",
    "RegistryValidationError",
    "ScopeDefinition",
    "ScopeDefinitionError",
    "ScopeKeyError",
    "can_manage",
    "check_machine_usable",
    "check_requested",
    "consent_groups",
    "data_providers_of",
    "dump_registry_document",
    "format_scope_string",
    "is_valid_scope_token",
    "owned_scopes",
    "parse_registry_document",
    "parse_scope_string",
    "released_claims",
    "split_scope_request",
    "validate_key",
    "validate_namespace",
]
