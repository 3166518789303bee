"""Creation of new key material: private key, public JWK, kid, encrypted blob."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keys.algorithms import generate_private_key
from keys.encryption import encrypt_private_key
from keys.thumbprint import public_jwk as _public_jwk


@dataclass(frozen=True)
class NewKey:
    """A freshly generated signing key, ready to be stored.

    ``kid`` is the RFC 7638 thumbprint of the public key and equals
    ``public_jwk["kid"]``. The private key only exists encrypted
    (see :mod:`keys.encryption`).
    """

    kid: str
    alg: str
    public_jwk: dict[str, Any]
    encrypted_private_key: bytes


def create_key(alg: str, passphrase: str | bytes) -> NewKey:
    """Generate a key for ``alg`` (RFC 7518 §3) and encrypt it under ``passphrase``.

    The plaintext private key never leaves this function.
    """
    private_key = generate_private_key(alg)
    jwk = _public_jwk(private_key, alg)
    return NewKey(
        kid=jwk["kid"],
        alg=alg,
        public_jwk=jwk,
        encrypted_private_key=encrypt_private_key(private_key, passphrase),
    )
