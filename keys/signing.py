"""Runtime signer and verifier: JWS compact serialization (RFC 7515 §7.1) via PyJWT.

A :class:`KeyRing` is built once per process from the stored records and
cached by the application. Construction decrypts the ACTIVE private keys and
builds PyJWT key objects for every public key; after that, signing costs one
raw signature (about 17 µs for ES256 here) plus JSON and base64 work, and does no
PEM parsing or key loading. The signature is PyJWT's implementation of each ``alg``
(RFC 7518 §3: for ECDSA, the raw ``R || S`` form of §3.4), with the decrypted key.

The compact serialization around it (RFC 7515 §7.1: three base64url segments) is put
together here rather than by ``jwt.encode``, because ``jwt.encode`` builds, checks and
encodes the same protected header on every call and prepares the key again: 27 µs for an
ES256 access token against 22 µs here (``bench/RESULTS.md``, thirteenth pass), on the
hottest endpoint. Each ring encodes a header once per ``alg`` and ``typ``.

A full verification costs about 300 µs (the ES256 signature, and PyJWT's parsing of
the token twice), and a data provider introspects the same access token for each API
call it serves. Its outcome depends on the token string, the ring's keys and the
checks asked for, and on time only through ``exp``: an ``nbf`` or ``iat`` check that
passed stays passed as time goes forward (RFC 7519 §4.1.4, §4.1.5, §4.1.6). So the ring
remembers its last :data:`VERIFIED_CACHE_SIZE` successful verifications, keyed by token
and checks, and checks ``exp`` again at every hit exactly as PyJWT does. A new ring (a key
added, retired or removed) starts with an empty memory.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt.utils import base64url_encode

from keys.algorithms import SUPPORTED_ALGORITHMS, PrivateKey, check_algorithm
from keys.encryption import decrypt_private_key
from keys.errors import InvalidTokenError, KeyDecryptionError, KeyManagementError, KeyStateError
from keys.jwks import build_jwks
from keys.publication import publication_order, publishable
from keys.records import KeyRecord, KeyState
from keys.thumbprint import public_jwk

#: How many successful verifications a ring remembers: a token checked again (a data
#: provider introspecting the same token for several calls, a service calling ``/userinfo``
#: twice) skips its signature check. About 3.5 KiB each (the token, its claims, the
#: allocator's share), so the full memory is 3.5 MiB per worker. It was 4,096 (14 MiB): a
#: 3-minute mixed soak (``python -m bench --only token introspect flow --seconds 2 --rounds 1
#: --no-peer --no-postgres --soak-seconds 180 --no-write``) drifted 13.8 % with 4,096 as the
#: memory filled, 4.4 % with 1,024, 4.3 % with 256. At 50 new tokens a second per worker,
#: 1,024 still hold the last 20 seconds' tokens.
VERIFIED_CACHE_SIZE = 1024

#: Header parameters that the ring sets itself and callers may not override.
RESERVED_HEADERS = frozenset({"alg", "kid", "typ", "crit", "jku", "jwk", "x5u", "x5c"})

#: PyJWT exceptions mapped to the short ``reason`` of :class:`InvalidTokenError`.
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "immature"),
    (jwt.InvalidAudienceError, "invalid_audience"),
    (jwt.InvalidIssuerError, "invalid_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidSignatureError, "invalid_signature"),
    (jwt.DecodeError, "malformed"),
)


def normalize_typ(value: str) -> str:
    """Compare-ready ``typ`` (RFC 7515 §4.1.9): case-insensitive, ``application/`` optional."""
    value = value.strip().lower()
    return value.removeprefix("application/")


class KeyRing:
    """Signs with the ACTIVE key of each alg and verifies against all given keys.

    ``records`` should be the publishable records (see
    :func:`keys.publication.publishable`); alternatively pass ``now`` and
    ``max_token_lifetime`` and the ring filters them itself. Only ACTIVE
    private keys are decrypted; NEXT and RETIRED keys are used for
    verification only. Decryption failures raise
    :class:`~keys.errors.KeyDecryptionError` naming the kid.
    """

    def __init__(
        self,
        records: Iterable[KeyRecord],
        passphrase: str | bytes,
        *,
        now: datetime | None = None,
        max_token_lifetime: timedelta | None = None,
    ) -> None:
        if max_token_lifetime is not None:
            kept = publishable(records, now or datetime.now(UTC), max_token_lifetime)
        else:
            kept = publication_order(records)
        self._records: tuple[KeyRecord, ...] = tuple(kept)
        self._signers: dict[str, tuple[str, PrivateKey]] = {}
        self._algorithms: dict[str, jwt.algorithms.Algorithm] = {}
        self._header_segments: dict[tuple[str, str | None], bytes] = {}
        self._verifiers: dict[str, tuple[str, jwt.PyJWK]] = {}
        for record in self._records:
            if record.kid in self._verifiers:
                raise KeyStateError(f"duplicate kid {record.kid}")
            self._verifiers[record.kid] = (record.alg, jwt.PyJWK(record.public_jwk, record.alg))
            if record.state is KeyState.ACTIVE:
                if record.alg in self._signers:
                    raise KeyStateError(f"several active {record.alg} keys")
                algorithm = jwt.get_algorithm_by_name(record.alg)
                key = algorithm.prepare_key(self._decrypt(record, passphrase))
                self._signers[record.alg] = (record.kid, key)
                self._algorithms[record.alg] = algorithm
        self._jwks = build_jwks(self._records)
        self._verified: dict[tuple, dict[str, Any]] = {}  # insertion-ordered: oldest evicted first
        self._verified_lock = threading.Lock()

    @staticmethod
    def _decrypt(record: KeyRecord, passphrase: str | bytes) -> PrivateKey:
        try:
            key = decrypt_private_key(record.encrypted_private_key, passphrase)
        except KeyDecryptionError:
            raise KeyDecryptionError(
                f"cannot decrypt key {record.kid} ({record.alg}): wrong passphrase or corrupt blob"
            ) from None
        # The private key must be the one the kid (RFC 7638 thumbprint) names.
        if public_jwk(key, record.alg)["kid"] != record.kid:
            raise KeyStateError(f"private key stored for {record.kid} does not match its kid")
        return key

    @property
    def records(self) -> tuple[KeyRecord, ...]:
        """The records the ring was built from, in publication order."""
        return self._records

    @property
    def signing_algorithms(self) -> tuple[str, ...]:
        """Algs that have an ACTIVE key, in :data:`SUPPORTED_ALGORITHMS` order."""
        return tuple(alg for alg in SUPPORTED_ALGORITHMS if alg in self._signers)

    def kid_for(self, alg: str) -> str:
        """The kid of the ACTIVE key of ``alg``; :class:`KeyStateError` if there is none."""
        return self._signer(alg)[0]

    def _signer(self, alg: str) -> tuple[str, PrivateKey]:
        check_algorithm(alg)
        try:
            return self._signers[alg]
        except KeyError:
            raise KeyStateError(f"no active {alg} key in the key ring") from None

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JWK Set (RFC 7517 §5) of every key in the ring (a fresh copy)."""
        return {"keys": [dict(jwk) for jwk in self._jwks["keys"]]}

    def sign(
        self,
        claims: dict[str, Any],
        alg: str = "ES256",
        typ: str | None = None,
        extra_headers: dict[str, Any] | None = None,
    ) -> str:
        """Return a JWS compact serialization (RFC 7515 §3.1) of ``claims``.

        The protected header is ``{"alg", "kid"}`` plus ``typ`` when given
        (RFC 7515 §4.1.1, §4.1.4, §4.1.9) and ``extra_headers``, which may not
        override those. ``alg`` must be supported; ``none`` never is. The
        payload is the claims' compact JSON (RFC 7519 §7.1).
        """
        kid, key = self._signer(alg)
        if extra_headers:
            clash = RESERVED_HEADERS.intersection(extra_headers)
            if clash:
                raise KeyManagementError(f"extra_headers may not set {', '.join(sorted(clash))}")
            header = _header_segment({**extra_headers, "alg": alg, "kid": kid, "typ": typ})
        else:
            header = self._header_segments.get((alg, typ))
            if header is None:
                header = _header_segment({"alg": alg, "kid": kid, "typ": typ})
                self._header_segments[alg, typ] = header
        payload = base64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = header + b"." + payload
        signature = self._algorithms[alg].sign(signing_input, key)
        return (signing_input + b"." + base64url_encode(signature)).decode("ascii")

    def verify(
        self,
        token: str,
        *,
        algorithms: Sequence[str] = SUPPORTED_ALGORITHMS,
        audience: str | Iterable[str] | None = None,
        issuer: str | Sequence[str] | None = None,
        typ: str | None = None,
        leeway: float | timedelta = 0,
        require: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Verify a JWS signed by a key of this ring and return its claims.

        The key is found by the header's ``kid`` (RFC 7515 §4.1.4) among the
        ring's keys, and the header's ``alg`` must be allowed and equal the
        key's alg (RFC 8725 §3.1). When ``typ`` is given the header must carry
        it (RFC 8725 §3.11). ``exp``/``nbf``/``iat`` are checked with
        ``leeway`` (RFC 7519 §4.1.4, §4.1.5); ``aud`` is checked only when
        ``audience`` is given, ``iss`` only when ``issuer`` is given, and
        every claim in ``require`` must be present.

        Any failure raises :class:`~keys.errors.InvalidTokenError` whose
        ``reason`` is one of ``malformed``, ``alg_not_allowed``,
        ``unknown_kid``, ``alg_mismatch``, ``unsupported_crit``, ``wrong_typ``,
        ``invalid_signature``, ``expired``, ``immature``,
        ``invalid_audience``, ``invalid_issuer``, ``missing_claim`` or
        ``invalid_token``.
        """
        checks = (
            tuple(algorithms),
            audience if audience is None or isinstance(audience, str) else tuple(audience),
            issuer if issuer is None or isinstance(issuer, str) else tuple(issuer),
            typ,
            leeway,
            tuple(require),
        )
        remembered = self._verified.get((token, *checks))
        if remembered is not None:
            return _still_unexpired(remembered, leeway)
        claims = self._verify(token, *checks)
        self._remember_verified((token, *checks), claims)
        return dict(claims)

    def _verify(self, token, algorithms, audience, issuer, typ, leeway, require) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError("malformed") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in algorithms or alg not in SUPPORTED_ALGORITHMS:
            raise InvalidTokenError("alg_not_allowed", f"alg {alg!r}")
        if not isinstance(kid, str) or kid not in self._verifiers:
            raise InvalidTokenError("unknown_kid", f"kid {kid!r}")
        key_alg, key = self._verifiers[kid]
        if key_alg != alg:
            raise InvalidTokenError("alg_mismatch", f"kid {kid} is a {key_alg} key, not {alg}")
        if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
            raise InvalidTokenError("unsupported_crit")
        if typ is not None:
            got = header.get("typ")
            if not isinstance(got, str) or normalize_typ(got) != normalize_typ(typ):
                raise InvalidTokenError("wrong_typ", f"typ {got!r}, expected {typ!r}")
        options: dict[str, Any] = {"verify_aud": audience is not None, "require": list(require)}
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer,
                leeway=leeway,
                options=options,
            )
        except jwt.PyJWTError as exc:
            reason = next((r for cls, r in _REASONS if isinstance(exc, cls)), "invalid_token")
            raise InvalidTokenError(reason, str(exc)) from None

    def _remember_verified(self, memo_key: tuple, claims: dict[str, Any]) -> None:
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                del self._verified[next(iter(self._verified))]
            self._verified[memo_key] = claims


def _header_segment(header: dict[str, Any]) -> bytes:
    """The protected header's segment (RFC 7515 §4.1), sorted and compact, without a ``typ``
    of None."""
    if header.get("typ") is None:
        header.pop("typ", None)
    return base64url_encode(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())


def _still_unexpired(claims: dict[str, Any], leeway: float | timedelta) -> dict[str, Any]:
    """PyJWT's ``exp`` rule (RFC 7519 §4.1.4), on claims it already validated once."""
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    if "exp" in claims and claims["exp"] <= datetime.now(UTC).timestamp() - leeway:
        raise InvalidTokenError("expired", "Signature has expired")
    return dict(claims)
