"""Encryption at rest of private signing keys, and of the secrets we hold at other parties.

A private key is stored as an encrypted PKCS#8 PEM document ("ENCRYPTED
PRIVATE KEY", RFC 5958 §3) produced by ``cryptography``'s
``BestAvailableEncryption``. With cryptography 43–49 this is PBES2 (RFC 8018
§6.2) with PBKDF2-HMAC-SHA256 (2048 iterations, 16-byte random salt) as the
KDF and AES-256-CBC (random IV) as the cipher. The blob can be opened with
``openssl pkey -in blob.pem``.

The iteration count is modest: the protection relies on the passphrase being
high-entropy, which :func:`generate_passphrase` guarantees (256 bits). Do not
use a human-memorable passphrase for ``IDP_KEYS_PASSPHRASE``.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.exceptions import UnsupportedAlgorithm as CryptoUnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.algorithms import PrivateKey
from keys.errors import KeyDecryptionError, KeyManagementError, UnsupportedAlgorithm

PASSPHRASE_BYTES = 32  # 256 bits of entropy


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise KeyManagementError("an empty passphrase cannot protect a private key")
    return data


def encrypt_private_key(key: PrivateKey, passphrase: str | bytes) -> bytes:
    """Serialize ``key`` as PKCS#8 PEM encrypted under ``passphrase`` (PBES2, RFC 8018 §6.2)."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(_passphrase_bytes(passphrase)),
    )


def decrypt_private_key(blob: bytes, passphrase: str | bytes) -> PrivateKey:
    """Decrypt a blob made by :func:`encrypt_private_key`.

    A wrong passphrase, a corrupt blob or an unencrypted blob all raise
    :class:`~keys.errors.KeyDecryptionError`; the underlying ``cryptography``
    exception is not chained, so its type and message do not leak.
    """
    try:
        password = _passphrase_bytes(passphrase)
    except KeyManagementError:
        raise KeyDecryptionError("cannot decrypt private key with an empty passphrase") from None
    try:
        key = serialization.load_pem_private_key(bytes(blob), password=password)
    except (ValueError, TypeError, CryptoUnsupportedAlgorithm):
        raise KeyDecryptionError("cannot decrypt private key: wrong passphrase or corrupt blob") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise UnsupportedAlgorithm(f"unsupported private key type {type(key).__name__}")
    return key


def _secret_key(passphrase: str | bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"idp stored secret").derive(
        _passphrase_bytes(passphrase)
    )


def encrypt_secret(secret: str, passphrase: str | bytes) -> bytes:
    """A credential of ours at another party (an identity provider's client secret), sealed
    with AES-256-GCM under a key derived from ``passphrase`` (HKDF-SHA256, RFC 5869, with a
    random salt): ``salt ‖ nonce ‖ ciphertext``."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    return salt + nonce + AESGCM(_secret_key(passphrase, salt)).encrypt(nonce, secret.encode("utf-8"), None)


def decrypt_secret(blob: bytes, passphrase: str | bytes) -> str:
    """Open a blob made by :func:`encrypt_secret`; :class:`KeyDecryptionError` otherwise."""
    blob = bytes(blob)
    try:
        key = _secret_key(passphrase, blob[:16])
        return AESGCM(key).decrypt(blob[16:28], blob[28:], None).decode("utf-8")
    except (InvalidTag, ValueError, KeyManagementError):
        raise KeyDecryptionError("cannot decrypt a stored secret: wrong passphrase or corrupt blob") from None


def generate_passphrase() -> str:
    """Return a fresh URL-safe passphrase with 256 bits from :mod:`secrets`."""
    return secrets.token_urlsafe(PASSPHRASE_BYTES)
