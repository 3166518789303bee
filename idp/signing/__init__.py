"""Signing keys in the database and the per-process key ring that signs with them.

The key material, its states and the JWKS rules live in the framework-free ``keys``
package; this package stores the records and caches the ring per process.
"""

from idp.signing.keyring import (
    ensure_keys,
    keyring,
    load_records,
    max_token_lifetime,
    public_jwks,
    retire,
    rotate,
)

__all__ = ["ensure_keys", "keyring", "load_records", "max_token_lifetime", "public_jwks", "retire", "rotate"]
