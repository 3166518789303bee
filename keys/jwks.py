"""JWK Set documents (RFC 7517 §5) for the ``/jwks`` endpoint."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from keys.thumbprint import assert_public


class HasPublicJwk(Protocol):
    """Anything carrying a public JWK, e.g. :class:`~keys.records.KeyRecord`."""

    @property
    def public_jwk(self) -> dict[str, Any]: ...


def build_jwks(records: Iterable[HasPublicJwk]) -> dict[str, list[dict[str, Any]]]:
    """Return ``{"keys": [...]}`` with a copy of each record's public JWK, in order.

    Raises :class:`~keys.errors.KeyManagementError` if any JWK carries a private
    member (RFC 7517 §9.2 forbids exposing private keys); the check is a real
    test, not an ``assert``, so it survives ``python -O``.
    """
    keys: list[dict[str, Any]] = []
    for record in records:
        jwk = dict(record.public_jwk)
        assert_public(jwk)
        keys.append(jwk)
    return {"keys": keys}
