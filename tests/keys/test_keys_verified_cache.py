"""The key ring remembers successful verifications per token and checks, and re-checks ``exp``."""

from __future__ import annotations

import time

import pytest

from keys import InvalidTokenError, KeyRing, initial_key_set, signing

PASSPHRASE = "ring-passphrase"


@pytest.fixture
def records():
    return initial_key_set(PASSPHRASE)


@pytest.fixture
def ring(records):
    return KeyRing(records, PASSPHRASE)


def claims(**extra):
    now = int(time.time())
    return {"iss": "https://idp.test", "sub": "abc", "aud": "dp", "iat": now, "exp": now + 60, **extra}


def verify_twice(ring, token, **checks):
    """First call with no checks (its success is remembered), then with ``checks``."""
    ring.verify(token)
    return ring.verify(token, **checks)


@pytest.mark.parametrize(
    ("checks", "reason"),
    [
        ({"leeway": -3600}, "immature"),
        ({"typ": "at+jwt"}, "wrong_typ"),
        ({"audience": "someone-else"}, "invalid_audience"),
        ({"issuer": "https://other.test"}, "invalid_issuer"),
        ({"require": ["jti"]}, "missing_claim"),
        ({"algorithms": ["RS256"]}, "alg_not_allowed"),
    ],
    ids=["time", "typ", "audience", "issuer", "required", "alg"],
)
def test_other_checks_are_never_answered_from_memory(ring, checks, reason):
    token = ring.sign(claims(), typ="JWT")
    with pytest.raises(InvalidTokenError) as info:
        verify_twice(ring, token, **checks)
    assert info.value.reason == reason


def test_the_same_checks_are_answered_from_memory_with_a_copy(ring):
    token = ring.sign(claims(jti="j1"), typ="at+jwt")
    checks = {"typ": "at+jwt", "audience": ["dp"], "issuer": "https://idp.test", "require": ["jti"]}
    first = ring.verify(token, **checks)
    first["sub"] = "mallory"
    assert ring.verify(token, **checks) == {**first, "sub": "abc"}
    assert len(ring._verified) == 1


def test_an_expired_token_is_refused_even_when_remembered(ring):
    token = ring.sign({**claims(), "iat": int(time.time()) - 10, "exp": int(time.time()) + 1})
    ring.verify(token)
    time.sleep(1.1)
    with pytest.raises(InvalidTokenError) as info:
        ring.verify(token)
    assert info.value.reason == "expired"


def test_a_ring_without_the_key_does_not_trust_what_another_ring_verified(ring, records):
    token = ring.sign(claims())
    ring.verify(token)
    signer = ring.kid_for("ES256")
    with pytest.raises(InvalidTokenError) as info:
        KeyRing([r for r in records if r.kid != signer], PASSPHRASE).verify(token)
    assert info.value.reason == "unknown_kid"


def test_a_tampered_copy_of_a_remembered_token_is_checked_in_full(ring):
    token = ring.sign(claims())
    ring.verify(token)
    head, body, signature = token.split(".")
    flipped = ("A" if signature[5] != "A" else "B").join([signature[:5], signature[6:]])
    with pytest.raises(InvalidTokenError) as info:
        ring.verify(f"{head}.{body}.{flipped}")
    assert info.value.reason == "invalid_signature"


def test_the_memory_is_bounded(ring, monkeypatch):
    monkeypatch.setattr(signing, "VERIFIED_CACHE_SIZE", 3)
    tokens = [ring.sign(claims(jti=str(n))) for n in range(5)]
    for token in tokens:
        ring.verify(token)
    assert [key[0] for key in ring._verified] == tokens[-3:]  # the oldest are forgotten first
