"""keys.signing: KeyRing signs JWS (RFC 7515) with active keys and verifies by kid."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from keys import (
    InvalidTokenError,
    KeyDecryptionError,
    KeyManagementError,
    KeyRing,
    KeyState,
    KeyStateError,
    UnsupportedAlgorithm,
    active_key,
    build_jwks,
    create_key,
    decrypt_private_key,
    initial_key_set,
    plan_rotation,
    publishable,
)

PASSPHRASE = "ring-passphrase"
ALGS = ["ES256", "RS256"]


@pytest.fixture(scope="module")
def records():
    return initial_key_set(PASSPHRASE)


@pytest.fixture(scope="module")
def ring(records):
    return KeyRing(records, PASSPHRASE)


@pytest.fixture(scope="module")
def other_ring():
    return KeyRing(initial_key_set(PASSPHRASE), PASSPHRASE)


def claims(**extra):
    now = int(time.time())
    return {"iss": "https://idp.test", "sub": "abc", "iat": now, "exp": now + 60, **extra}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def header_of(token):
    return jwt.get_unverified_header(token)


def private_key_of(records, kid):
    (record,) = [r for r in records if r.kid == kid]
    return decrypt_private_key(record.encrypted_private_key, PASSPHRASE)


# -- signing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_sign_then_verify_round_trip(ring, records, alg):
    payload = claims(nonce="n-1")
    token = ring.sign(payload, alg=alg)
    assert header_of(token) == {"alg": alg, "kid": active_key(records, alg).kid}
    assert ring.verify(token) == payload


@pytest.mark.parametrize("alg", ALGS)
def test_signature_checks_out_independently(ring, records, alg):
    payload = claims()
    token = ring.sign(payload, alg=alg)
    record = active_key(records, alg)
    # 1. with PyJWT's own JWK parsing of the published key,
    published = next(k for k in ring.jwks()["keys"] if k["kid"] == record.kid)
    assert jwt.decode(token, jwt.PyJWK(published), algorithms=[alg]) == payload
    # 2. with the public half of the decrypted private key, bypassing every JWK.
    public = private_key_of(records, record.kid).public_key()
    assert jwt.decode(token, public, algorithms=[alg]) == payload


def test_default_alg_is_es256(ring):
    assert header_of(ring.sign(claims()))["alg"] == "ES256"


def test_typ_and_extra_headers(ring):
    token = ring.sign(claims(), typ="at+jwt", extra_headers={"x-trace": "1"})
    assert header_of(token) == {
        "alg": "ES256",
        "kid": ring.kid_for("ES256"),
        "typ": "at+jwt",
        "x-trace": "1",
    }


@pytest.mark.parametrize("header", ["alg", "kid", "typ", "crit", "jku", "jwk"])
def test_extra_headers_cannot_override_protected_ones(ring, header):
    with pytest.raises(KeyManagementError, match=header):
        ring.sign(claims(), extra_headers={header: "none"})


@pytest.mark.parametrize(
    ("alg", "error"),
    [("none", UnsupportedAlgorithm), ("HS256", UnsupportedAlgorithm), ("", UnsupportedAlgorithm)],
)
def test_sign_refuses_unsupported_algs(ring, alg, error):
    with pytest.raises(error):
        ring.sign(claims(), alg=alg)


def test_sign_without_active_key_for_alg():
    es_ring = KeyRing(initial_key_set(PASSPHRASE, algs=["ES256"]), PASSPHRASE)
    with pytest.raises(KeyStateError, match="RS256"):
        es_ring.sign(claims(), alg="RS256")
    with pytest.raises(KeyStateError, match="RS256"):
        es_ring.kid_for("RS256")
    assert es_ring.signing_algorithms == ("ES256",)


def test_kid_for_and_jwks(ring, records):
    for alg in ALGS:
        assert ring.kid_for(alg) == active_key(records, alg).kid
    assert ring.jwks() == build_jwks(publishable(records, datetime.now(UTC), timedelta(0)))
    copy = ring.jwks()
    copy["keys"].clear()
    assert len(ring.jwks()["keys"]) == 4


# -- verification failures -------------------------------------------------------------------


def _tamper_payload(token):
    head, _, sig = token.split(".")
    return f"{head}.{b64(claims(sub='mallory'))}.{sig}"


def _tamper_signature(token):
    head, body, sig = token.split(".")
    flipped = ("A" if sig[5] != "A" else "B").join([sig[:5], sig[6:]])
    return f"{head}.{body}.{flipped}"


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_tamper_payload, "invalid_signature"),
        (_tamper_signature, "invalid_signature"),
        (lambda t: t.rsplit(".", 1)[0] + ".", "invalid_signature"),
        (lambda t: "not-a-token", "malformed"),
        (lambda t: "a.b.c", "malformed"),
        (lambda t: t + ".extra", "malformed"),
    ],
    ids=["payload", "signature", "stripped-signature", "garbage", "bad-base64", "four-parts"],
)
def test_tampered_tokens_are_rejected(ring, alg, tamper, reason):
    token = ring.sign(claims(), alg=alg)
    with pytest.raises(InvalidTokenError) as info:
        ring.verify(tamper(token))
    assert info.value.reason == reason


def _forge(records, *, alg, kid, key_kid=None, headers=None, payload=None):
    """Sign with a key of ``records`` (default: the one ``kid`` names)."""
    key = private_key_of(records, key_kid or kid)
    return jwt.encode(payload or claims(), key, algorithm=alg, headers={"kid": kid, **(headers or {})})


def _hs256_with_public_key(ring):
    """Key-confusion attack: HMAC keyed with the published public JWK."""
    kid = ring.kid_for("ES256")
    secret = json.dumps(next(k for k in ring.jwks()["keys"] if k["kid"] == kid)).encode()
    signing_input = f"{b64({'alg': 'HS256', 'kid': kid})}.{b64(claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _unsigned(kid):
    return f"{b64({'alg': 'none', 'kid': kid})}.{b64(claims())}."


@pytest.mark.parametrize(
    ("make_token", "verify_kwargs", "reason"),
    [
        (lambda r, o, rec: o.sign(claims()), {}, "unknown_kid"),
        (
            lambda r, o, rec: jwt.encode(claims(), "s" * 32, algorithm="HS256"),
            {},
            "alg_not_allowed",
        ),
        (lambda r, o, rec: _unsigned(r.kid_for("ES256")), {}, "alg_not_allowed"),
        (lambda r, o, rec: r.sign(claims()), {"algorithms": ["RS256"]}, "alg_not_allowed"),
        (
            lambda r, o, rec: _forge(rec, alg="RS256", kid=r.kid_for("ES256"), key_kid=r.kid_for("RS256")),
            {},
            "alg_mismatch",
        ),
        (
            lambda r, o, rec: _forge(
                rec, alg="ES256", kid=r.kid_for("ES256"), headers={"crit": ["b64"], "b64": False}
            ),
            {},
            "unsupported_crit",
        ),
        (
            lambda r, o, rec: _hs256_with_public_key(r),
            {"algorithms": ["HS256", "ES256"]},
            "alg_not_allowed",
        ),
        (
            lambda r, o, rec: r.sign(claims()).replace(r.sign(claims()).split(".")[0], b64({"alg": "ES256"})),
            {},
            "unknown_kid",
        ),
        (lambda r, o, rec: r.sign(claims()), {"typ": "at+jwt"}, "wrong_typ"),
        (lambda r, o, rec: r.sign(claims(), typ="JWT"), {"typ": "at+jwt"}, "wrong_typ"),
        (lambda r, o, rec: r.sign(claims(exp=int(time.time()) - 10)), {}, "expired"),
        (lambda r, o, rec: r.sign(claims(nbf=int(time.time()) + 600)), {}, "immature"),
        (lambda r, o, rec: r.sign(claims(aud="rp-1")), {"audience": "rp-2"}, "invalid_audience"),
        (lambda r, o, rec: r.sign(claims()), {"audience": "rp-2"}, "missing_claim"),
        (lambda r, o, rec: r.sign(claims()), {"issuer": "https://evil.test"}, "invalid_issuer"),
        (lambda r, o, rec: r.sign(claims()), {"require": ["jti"]}, "missing_claim"),
    ],
    ids=[
        "unknown-kid",
        "hs256",
        "alg-none",
        "alg-not-in-allowed-list",
        "header-alg-differs-from-key-alg",
        "crit",
        "hs256-even-if-caller-allows-it",
        "no-kid",
        "missing-typ",
        "wrong-typ",
        "expired",
        "not-yet-valid",
        "wrong-audience",
        "audience-missing",
        "wrong-issuer",
        "required-claim-missing",
    ],
)
def test_verification_failures(ring, other_ring, records, make_token, verify_kwargs, reason):
    token = make_token(ring, other_ring, records)
    with pytest.raises(InvalidTokenError) as info:
        ring.verify(token, **verify_kwargs)
    assert info.value.reason == reason
    assert token not in str(info.value)


@pytest.mark.parametrize(
    ("signed", "expected"),
    [
        ("at+jwt", "at+jwt"),
        ("application/at+jwt", "at+jwt"),
        ("AT+JWT", "application/at+jwt"),
        ("JWT", "jwt"),
    ],
)
def test_typ_comparison_follows_rfc7515(ring, signed, expected):
    payload = claims()
    assert ring.verify(ring.sign(payload, typ=signed), typ=expected) == payload


def test_leeway_accepts_a_just_expired_token(ring):
    payload = claims(exp=int(time.time()) - 5)
    assert ring.verify(ring.sign(payload), leeway=60) == payload
    assert ring.verify(ring.sign(payload), leeway=timedelta(minutes=1)) == payload


def test_audience_and_issuer_accepted_when_right(ring):
    payload = claims(aud=["rp-1", "rp-2"])
    token = ring.sign(payload)
    assert ring.verify(token, audience="rp-2", issuer="https://idp.test", require=["exp"]) == payload
    assert ring.verify(token) == payload  # aud not checked when no audience is asked for


# -- which keys the ring holds ---------------------------------------------------------------


def test_next_key_verifies_but_does_not_sign(ring, records):
    next_kid = next(r.kid for r in records if r.alg == "ES256" and r.state is KeyState.NEXT)
    assert ring.kid_for("ES256") != next_kid
    payload = claims()
    assert ring.verify(_forge(records, alg="ES256", kid=next_kid, payload=payload)) == payload


def test_tokens_of_a_retired_key_verify_after_rotation(records, ring):
    token = ring.sign(claims(), alg="RS256")
    rotated = plan_rotation(records, PASSPHRASE, datetime.now(UTC))
    new_ring = KeyRing(rotated, PASSPHRASE)
    assert new_ring.kid_for("RS256") != ring.kid_for("RS256")
    assert header_of(new_ring.sign(claims(), alg="RS256"))["kid"] == new_ring.kid_for("RS256")
    assert new_ring.verify(token)["sub"] == "abc"


def test_ring_drops_retired_keys_past_max_token_lifetime(records, ring):
    token = ring.sign(claims())
    retired_at = datetime.now(UTC) - timedelta(hours=2)
    rotated = plan_rotation(records, PASSPHRASE, retired_at, algs=["ES256"])
    kept = KeyRing(
        rotated,
        PASSPHRASE,
        now=retired_at + timedelta(minutes=30),
        max_token_lifetime=timedelta(hours=1),
    )
    dropped = KeyRing(rotated, PASSPHRASE, max_token_lifetime=timedelta(hours=1))
    assert kept.verify(token)["sub"] == "abc"
    with pytest.raises(InvalidTokenError) as info:
        dropped.verify(token)
    assert info.value.reason == "unknown_kid"
    assert len(dropped.jwks()["keys"]) == len(kept.jwks()["keys"]) - 1


def test_wrong_passphrase_names_the_kid(records):
    with pytest.raises(KeyDecryptionError, match=active_key(records, "ES256").kid):
        KeyRing(records, "wrong")


def test_only_active_private_keys_are_decrypted(records):
    garbled = [
        r if r.state is KeyState.ACTIVE else replace(r, encrypted_private_key=b"garbage") for r in records
    ]
    assert KeyRing(garbled, PASSPHRASE).kid_for("ES256") == active_key(records, "ES256").kid


def test_swapped_private_key_is_detected(records):
    active = active_key(records, "ES256")
    foreign = create_key("ES256", PASSPHRASE).encrypted_private_key
    swapped = [replace(r, encrypted_private_key=foreign) if r is active else r for r in records]
    with pytest.raises(KeyStateError, match=active.kid):
        KeyRing(swapped, PASSPHRASE)


def test_duplicate_kids_are_refused(records):
    with pytest.raises(KeyStateError, match="duplicate kid"):
        KeyRing([*records, records[0]], PASSPHRASE)
