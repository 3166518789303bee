"""Supported JWS algorithms and private-key generation (RFC 7518 §3).

Only two algorithms are offered:

* ``ES256`` — ECDSA on the P-256 curve with SHA-256 (RFC 7518 §3.4), the
  default: small keys and fast signatures.
* ``RS256`` — RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), for relying
  parties that cannot verify ECDSA. Keys are 2048 bits (the minimum that
  RFC 7518 §3.3 requires) with public exponent 65537.
"""

from __future__ import annotations

from typing import TypeAlias

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from keys.errors import UnsupportedAlgorithm

SUPPORTED_ALGORITHMS: tuple[str, ...] = ("ES256", "RS256")

RSA_KEY_SIZE = 2048
RSA_PUBLIC_EXPONENT = 65537

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def check_algorithm(alg: str) -> str:
    """Return ``alg`` if it is one of :data:`SUPPORTED_ALGORITHMS`.

    ``none`` (RFC 7518 §3.6) and every other value raise
    :class:`~keys.errors.UnsupportedAlgorithm`.
    """
    if alg not in SUPPORTED_ALGORITHMS:
        raise UnsupportedAlgorithm(
            f"unsupported signing algorithm {alg!r} (supported: {', '.join(SUPPORTED_ALGORITHMS)})"
        )
    return alg


def generate_private_key(alg: str) -> PrivateKey:
    """Generate a fresh private key suitable for ``alg``.

    ``ES256`` gives an EC P-256 key (RFC 7518 §3.4); ``RS256`` gives a 2048-bit
    RSA key with e = 65537 (RFC 7518 §3.3).
    """
    check_algorithm(alg)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_SIZE)


def check_key_matches(key: PrivateKey | PublicKey, alg: str) -> None:
    """Raise :class:`UnsupportedAlgorithm` unless ``key`` can be used with ``alg``.

    ES256 needs a P-256 key (RFC 7518 §3.4); RS256 needs an RSA key of at least
    2048 bits (RFC 7518 §3.3).
    """
    check_algorithm(alg)
    if alg == "ES256":
        ok = isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and (
            isinstance(key.curve, ec.SECP256R1)
        )
    else:
        ok = isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and (key.key_size >= RSA_KEY_SIZE)
    if not ok:
        raise UnsupportedAlgorithm(f"key of type {type(key).__name__} cannot be used with {alg}")
