"""``X-Hub-Signature-256`` verification of DataPass deliveries.

DataPass signs the raw request body with HMAC-SHA256 (RFC 2104) keyed with the webhook's
secret and sends ``sha256=<hex digest>``, the GitHub convention. Several secrets may be
configured so that one can rotate without dropping deliveries; every one is tried, with a
constant-time comparison, so the answer time does not reveal how much of a digest matched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value DataPass sends for ``body`` (also used by tests and tooling)."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid_signature(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True when ``header`` is the signature of ``body`` under one of ``secrets``."""
    if not header or not header.startswith(PREFIX):
        return False
    presented = header.encode()
    matched = False
    for secret in secrets:
        # No early exit: every configured secret costs the same whether or not one matched.
        matched |= hmac.compare_digest(sign(body, secret).encode(), presented)
    return matched
