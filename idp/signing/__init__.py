"""Signing keys in the database and the per-process key ring that signs with them.

The key material, its states and the JWKS rules live in the framework-free ``keys``
package; this package stores the records (:mod:`.store`) and caches the ring per process
(:mod:`.keyring`). ``idp keys``: :mod:`.cli`.
"""

from idp.signing.keyring import keyring, public_jwks, public_jwks_body
from idp.signing.store import (
    JWKS_MAX_AGE_SECONDS,
    check_passphrase,
    ensure_keys,
    load_records,
    max_token_lifetime,
    publication_delay,
    retire,
    rotate,
)

__all__ = [
    "JWKS_MAX_AGE_SECONDS",
    "check_passphrase",
    "ensure_keys",
    "keyring",
    "load_records",
    "max_token_lifetime",
    "public_jwks",
    "public_jwks_body",
    "publication_delay",
    "retire",
    "rotate",
]
