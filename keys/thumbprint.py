"""Public JWKs (RFC 7517) and their RFC 7638 thumbprints, used as ``kid``.

The ``kid`` of every key this package creates IS its JWK thumbprint: it is
derived from the public key alone, so two instances that hold the same key
always agree on its ``kid``, and a relying party can recompute it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from keys.algorithms import PrivateKey, PublicKey, check_key_matches
from keys.errors import KeyManagementError, UnsupportedAlgorithm

#: Members that carry private key material (RFC 7518 §6.2.2 and §6.3.2, and
#: ``k`` for symmetric keys, §6.4.1). None of them may ever be published.
PRIVATE_MEMBERS: frozenset[str] = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "r", "t", "k"})

#: Required members per key type, as listed in RFC 7638 §3.2.
THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}

P256_COORDINATE_OCTETS = 32


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2, "Base64url Encoding")."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint_b64url(value: int, length: int | None = None) -> str:
    """Base64urlUInt (RFC 7518 §2): big-endian, minimal length unless ``length`` is fixed."""
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(size, "big"))


def _public_members(key: PrivateKey | PublicKey) -> dict[str, str]:
    private = isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    public = key.public_key() if private else key
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        # RFC 7518 §6.2.1.2/§6.2.1.3: x and y are the full 32-octet coordinates for P-256.
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _uint_b64url(numbers.x, P256_COORDINATE_OCTETS),
            "y": _uint_b64url(numbers.y, P256_COORDINATE_OCTETS),
        }
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        # RFC 7518 §6.3.1.1/§6.3.1.2: n and e as minimal Base64urlUInt.
        return {"kty": "RSA", "n": _uint_b64url(numbers.n), "e": _uint_b64url(numbers.e)}
    raise UnsupportedAlgorithm(f"unsupported key type {type(key).__name__}")


def public_jwk(key: PrivateKey | PublicKey, alg: str) -> dict[str, str]:
    """Return the public JWK (RFC 7517 §4) of ``key`` for signing with ``alg``.

    The result has the public members only (``kty``/``crv``/``x``/``y`` for EC,
    ``kty``/``n``/``e`` for RSA; RFC 7518 §6.2.1 and §6.3.1), plus ``alg``
    (RFC 7517 §4.4), ``use: "sig"`` (§4.2) and ``kid`` (§4.5), which is the
    RFC 7638 thumbprint. Private members are never included, even when a
    private key is passed.
    """
    check_key_matches(key, alg)
    jwk: dict[str, str] = _public_members(key)
    jwk["kid"] = jwk_thumbprint(jwk)
    jwk["alg"] = alg
    jwk["use"] = "sig"
    return jwk


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """Compute the RFC 7638 JWK thumbprint with SHA-256.

    RFC 7638 §3: keep only the required members of the key type (§3.2), order
    them lexicographically, serialize as JSON without whitespace (§3.3), hash
    with SHA-256 and encode as base64url without padding.
    """
    kty = jwk.get("kty")
    if kty not in THUMBPRINT_MEMBERS:
        raise UnsupportedAlgorithm(f"cannot compute the thumbprint of a JWK with kty={kty!r}")
    required = THUMBPRINT_MEMBERS[kty]
    missing = [name for name in required if not isinstance(jwk.get(name), str)]
    if missing:
        raise KeyManagementError(f"{kty} JWK lacks required member(s) {', '.join(missing)}")
    canonical = json.dumps(
        {name: jwk[name] for name in required},
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def assert_public(jwk: dict[str, Any]) -> None:
    """Raise :class:`KeyManagementError` if ``jwk`` carries any private member (RFC 7517 §9.2)."""
    leaked = sorted(PRIVATE_MEMBERS.intersection(jwk))
    if leaked:
        raise KeyManagementError(f"JWK kid={jwk.get('kid')!r} carries private member(s) {', '.join(leaked)}")
