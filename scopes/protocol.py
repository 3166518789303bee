"""Protocol scopes: built in, known to every registry, owned by no provider.

* ``offline_access`` (OIDC Core §11) asks for a refresh token. It releases no
  claim and is shown on the consent screen with :data:`OFFLINE_ACCESS_LABELS`.
* ``registry_write`` is the management scope of data providers'
  ``client_credentials`` tokens on the registry API. It releases no claim and
  is never shown on the consent screen.

They are not in the registry document, and a registry may not define them.
A client still needs them in its allowed scopes to be granted them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "MACHINE_PROTOCOL_SCOPES",
    "OFFLINE_ACCESS",
    "OFFLINE_ACCESS_LABELS",
    "PROTOCOL_GROUP_SLUG",
    "PROTOCOL_SCOPES",
    "REGISTRY_WRITE",
]

OFFLINE_ACCESS = "offline_access"
REGISTRY_WRITE = "registry_write"

PROTOCOL_SCOPES: frozenset[str] = frozenset({OFFLINE_ACCESS, REGISTRY_WRITE})
#: Protocol scopes a client may get for itself (``client_credentials``): the registry API's.
MACHINE_PROTOCOL_SCOPES: frozenset[str] = frozenset({REGISTRY_WRITE})

#: Consent-screen labels of ``offline_access``, by language (``fr`` is the fallback).
OFFLINE_ACCESS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "fr": "Rester connecté(e) à ce service",
        "en": "Stay signed in to this service",
    }
)

#: ``provider_slug`` of the consent group that holds protocol scopes.
PROTOCOL_GROUP_SLUG = ""
