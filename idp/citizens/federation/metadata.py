"""An identity provider's metadata (OpenID Connect Discovery 1.0), fetched and kept a while.

A provider whose discovery document or key set (JWKS) cannot be fetched, or is not valid,
is *unavailable*: the chooser shows it so and offers the others, and nothing answers 500.
The failure is remembered for :data:`RETRY_SECONDS`, so that a provider that is down does
not slow every page down by its timeout; a good document is kept for :data:`TTL_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from idp.citizens.federation.providers import LOOPBACK
from idp.extensions import per_app
from idp.models import IdentityProvider
from idp.outbound.documents import DocumentUnavailable, fetch_json
from idp.outbound.jwks import remote_key_sets

TTL_SECONDS = 300
RETRY_SECONDS = 30
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
ENDPOINTS = (*REQUIRED[1:], "userinfo_endpoint", "end_session_endpoint")


class ProviderUnavailable(Exception):
    """The provider's metadata cannot be had now; the message says why (for the logs)."""


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of a discovery document (OIDC Discovery §3) the relying party uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    iss_parameter: bool

    @classmethod
    def from_document(cls, document: dict, discovery_url: str) -> ProviderMetadata:
        """Checked as OIDC Discovery §4.3 asks: the issuer is the one discovery was made for."""
        missing = [name for name in REQUIRED if not isinstance(document.get(name), str)]
        if missing:
            raise ProviderUnavailable(f"discovery document without {', '.join(missing)}")
        expected = discovery_url.removesuffix(DISCOVERY_SUFFIX)
        if discovery_url.endswith(DISCOVERY_SUFFIX) and document["issuer"].rstrip("/") != expected.rstrip(
            "/"
        ):
            raise ProviderUnavailable(f"issuer {document['issuer']!r} is not {expected!r}")
        for name in ENDPOINTS:
            value = document.get(name)
            if value is not None and not _secure(value):
                raise ProviderUnavailable(f"{name} must be an https URL")
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document.get("userinfo_endpoint"),
            end_session_endpoint=document.get("end_session_endpoint"),
            iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
        )


def _secure(url: object) -> bool:
    if not isinstance(url, str):
        return False
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return scheme == "https" or (scheme == "http" and host in LOOPBACK)


class MetadataCache:
    """Per process: each provider's metadata, or its last failure, with its time."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, ProviderMetadata | ProviderUnavailable]] = {}
        self._lock = threading.Lock()

    def get(self, provider: IdentityProvider) -> ProviderMetadata:
        """The metadata, or :class:`ProviderUnavailable` (also while a failure is recent)."""
        key = provider.discovery_url
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None:
            at, value = entry
            fresh = TTL_SECONDS if isinstance(value, ProviderMetadata) else RETRY_SECONDS
            if now - at < fresh:
                if isinstance(value, ProviderUnavailable):
                    raise value
                return value
        try:
            value = ProviderMetadata.from_document(fetch_json(key), key)
            remote_key_sets().get(value.jwks_uri)  # no keys, no verifiable sign-in: unavailable too
        except (DocumentUnavailable, ProviderUnavailable) as problem:
            value = problem if isinstance(problem, ProviderUnavailable) else ProviderUnavailable(str(problem))
        with self._lock:
            self._entries[key] = (now, value)
        if isinstance(value, ProviderUnavailable):
            raise value
        return value


def metadata(provider: IdentityProvider) -> ProviderMetadata:
    return per_app("idp_provider_metadata", lambda _app: MetadataCache()).get(provider)


def available(provider: IdentityProvider) -> bool:
    """Whether the chooser may offer the provider now (the local store always is)."""
    if provider.kind == "local":
        return True
    try:
        metadata(provider)
    except ProviderUnavailable:
        return False
    return True
