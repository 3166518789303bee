"""Signing keys: generation, kid, encryption at rest, rotation states, JWKS.

Framework-free: this package imports neither Flask, SQLAlchemy, ``idp`` nor
``scopes``. Standards: RFC 7515 (JWS), RFC 7517 (JWK), RFC 7518 (JWA) and
RFC 7638 (JWK thumbprint, used as ``kid``).
"""

from keys.algorithms import SUPPORTED_ALGORITHMS, generate_private_key
from keys.encryption import (
    decrypt_private_key,
    decrypt_secret,
    encrypt_private_key,
    encrypt_secret,
    generate_passphrase,
)
from keys.errors import (
    InvalidTokenError,
    KeyDecryptionError,
    KeyManagementError,
    KeyStateError,
    UnsupportedAlgorithm,
)
from keys.jwks import build_jwks
from keys.material import NewKey, create_key
from keys.records import KeyRecord, KeyState
from keys.signing import KeyRing
from keys.states import (
    active_key,
    initial_key_set,
    plan_retire,
    plan_rotation,
    prunable,
    publishable,
)
from keys.thumbprint import jwk_thumbprint, public_jwk

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "InvalidTokenError",
    "KeyDecryptionError",
    "KeyManagementError",
    "KeyRecord",
    "KeyRing",
    "KeyState",
    "KeyStateError",
    "NewKey",
    "UnsupportedAlgorithm",
    "active_key",
    "build_jwks",
    "create_key",
    "decrypt_private_key",
    "decrypt_secret",
    "encrypt_private_key",
    "encrypt_secret",
    "generate_passphrase",
    "generate_private_key",
    "initial_key_set",
    "jwk_thumbprint",
    "plan_retire",
    "plan_rotation",
    "prunable",
    "public_jwk",
    "publishable",
]
