"""A client's public encryption keys: the recipient of its encrypted answers (RFC 7516).

The keys come from the client's registered ``jwks`` or ``jwks_uri`` (RFC 7591 §2); a
``jwks_uri`` is fetched with limits and kept a while (:mod:`idp.outbound.jwks`). The key is
chosen as FranceConnect chooses it (``getFirstRelevantKey`` in ``back/libs/jwt``): the first
key for this algorithm with ``use`` ``enc``. Here a key that says nothing of its ``use``
(RFC 7517 §4.2) or its ``alg`` (§4.4) qualifies too, when its type fits the algorithm.
"""

from __future__ import annotations

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key

from idp.models import Client
from idp.outbound.documents import DocumentUnavailable
from idp.outbound.jwks import remote_key_sets

#: The key types and curves each key management algorithm encrypts to: RSA for RSAES-OAEP
#: (RFC 7518 §4.3), the NIST curves (§4.6) and X25519/X448 (RFC 8037 §3.2) for ECDH-ES.
KEY_CURVES = {
    "RSA-OAEP": {"RSA": None},
    "RSA-OAEP-256": {"RSA": None},
    "ECDH-ES": {"EC": ("P-256", "P-384", "P-521"), "OKP": ("X25519", "X448")},
}
#: RFC 7518 §4.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
MIN_RSA_BITS = 2048

EncryptionKey = RSAKey | ECKey | OKPKey


class NoEncryptionKey(Exception):
    """The client has no usable key for the algorithm; the message says why."""


def _usable(jwk: object, alg: str) -> EncryptionKey | None:
    if not isinstance(jwk, dict) or "d" in jwk:
        return None
    curves = KEY_CURVES[alg]
    if jwk.get("kty") not in curves or jwk.get("use", "enc") != "enc" or jwk.get("alg", alg) != alg:
        return None
    try:
        key = import_key(jwk)
    except (JoseError, ValueError, TypeError, KeyError):  # not a key: a hostile or broken set
        return None
    if isinstance(key, RSAKey):
        return key if key.raw_value.key_size >= MIN_RSA_BITS else None
    return key if key.curve_name in curves[jwk["kty"]] else None


def select_encryption_key(key_set: dict, alg: str) -> EncryptionKey | None:
    """The first key of the JWK Set (RFC 7517 §5) that ``alg`` can encrypt to, or None."""
    keys = key_set.get("keys") if isinstance(key_set, dict) else None
    for jwk in keys if isinstance(keys, list) else ():
        key = _usable(jwk, alg)
        if key is not None:
            return key
    return None


def client_key_set(client: Client) -> dict:
    """The client's JWK Set: its registered ``jwks``, or its ``jwks_uri``'s document.

    :class:`NoEncryptionKey` when it has neither, or the ``jwks_uri`` cannot be fetched.
    """
    if client.jwks is not None:
        return client.jwks
    if not client.jwks_uri:
        raise NoEncryptionKey("the client registered no keys (--jwks or --jwks-uri)")
    try:
        return remote_key_sets().get(client.jwks_uri)
    except DocumentUnavailable as unavailable:
        raise NoEncryptionKey(f"the client's jwks_uri could not be fetched: {unavailable}") from unavailable


def encryption_key(client: Client, alg: str) -> EncryptionKey:
    """The client's key to encrypt to with ``alg``; :class:`NoEncryptionKey` when there is none."""
    key = select_encryption_key(client_key_set(client), alg)
    if key is None:
        raise NoEncryptionKey(f"no suitable encryption key found ({alg})")
    return key
