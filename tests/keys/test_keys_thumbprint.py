"""keys.thumbprint: public JWKs (RFC 7517/7518 §6) and RFC 7638 thumbprints."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey, RSAKey
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from keys import (
    KeyManagementError,
    UnsupportedAlgorithm,
    generate_private_key,
    jwk_thumbprint,
    public_jwk,
)
from keys.thumbprint import PRIVATE_MEMBERS, assert_public

# RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQ"
        "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

EXPECTED_MEMBERS = {
    "ES256": {"kty", "crv", "x", "y", "alg", "use", "kid"},
    "RS256": {"kty", "n", "e", "alg", "use", "kid"},
}
INDEPENDENT = {"ES256": ECAlgorithm, "RS256": RSAAlgorithm}
JOSERFC = {"ES256": ECKey, "RS256": RSAKey}  # joserfc ships with Authlib


@pytest.fixture(scope="module", params=["ES256", "RS256"])
def alg_key(request):
    return request.param, generate_private_key(request.param)


def test_rfc7638_example_thumbprint():
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT


def test_thumbprint_ignores_optional_members_and_member_order():
    reordered = {"kid": "other", "use": "sig", "e": "AQAB", "n": RFC7638_JWK["n"], "kty": "RSA"}
    assert jwk_thumbprint(reordered) == RFC7638_THUMBPRINT


def test_thumbprint_changes_with_the_key():
    assert jwk_thumbprint({**RFC7638_JWK, "e": "AQAC"}) != RFC7638_THUMBPRINT


@pytest.mark.parametrize(
    ("jwk", "error"),
    [
        ({"kty": "RSA", "n": "AQAB"}, KeyManagementError),
        ({"kty": "EC", "crv": "P-256", "x": "AA"}, KeyManagementError),
        ({"kty": "RSA", "n": 5, "e": "AQAB"}, KeyManagementError),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AA"}, UnsupportedAlgorithm),
        ({"n": "AQAB", "e": "AQAB"}, UnsupportedAlgorithm),
    ],
    ids=["rsa-without-e", "ec-without-y", "non-string-member", "okp", "no-kty"],
)
def test_thumbprint_rejects_incomplete_or_unknown_jwks(jwk, error):
    with pytest.raises(error):
        jwk_thumbprint(jwk)


def test_public_jwk_has_exactly_the_public_members(alg_key):
    alg, key = alg_key
    jwk = public_jwk(key, alg)
    assert set(jwk) == EXPECTED_MEMBERS[alg]
    assert not PRIVATE_MEMBERS & set(jwk)
    assert jwk["alg"] == alg
    assert jwk["use"] == "sig"


def test_public_jwk_matches_an_independent_serialization(alg_key):
    alg, key = alg_key
    independent = json.loads(INDEPENDENT[alg].to_jwk(key.public_key()))
    jwk = public_jwk(key, alg)
    assert {k: jwk[k] for k in independent if k in jwk} == {
        k: v for k, v in independent.items() if k in EXPECTED_MEMBERS[alg]
    }


def test_kid_is_the_thumbprint_computed_independently(alg_key):
    alg, key = alg_key
    jwk = public_jwk(key, alg)
    assert jwk["kid"] == jwk_thumbprint(jwk)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert jwk["kid"] == JOSERFC[alg].import_key(pem).thumbprint()


def test_private_and_public_key_give_the_same_jwk(alg_key):
    alg, key = alg_key
    assert public_jwk(key, alg) == public_jwk(key.public_key(), alg)


@pytest.mark.parametrize(
    ("private_value", "short"),
    [(379, "x"), (43, "y")],  # private scalars whose public x (resp. y) starts with 0x00
)
def test_es256_coordinates_keep_their_full_length(private_value, short):
    # RFC 7518 §6.2.1.2: x and y are always 32 octets for P-256, leading zeros included.
    key = ec.derive_private_key(private_value, ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    assert getattr(numbers, short) < 2**248
    jwk = public_jwk(key, "ES256")
    decoded = base64.urlsafe_b64decode(jwk[short] + "=")
    assert len(decoded) == 32 and decoded[0] == 0
    assert int.from_bytes(decoded, "big") == getattr(numbers, short)


def test_public_jwk_refuses_a_mismatched_algorithm():
    with pytest.raises(UnsupportedAlgorithm, match="RS256"):
        public_jwk(generate_private_key("ES256"), "RS256")


@pytest.mark.parametrize("member", sorted(PRIVATE_MEMBERS))
def test_assert_public_rejects_every_private_member(member):
    with pytest.raises(KeyManagementError, match=member):
        assert_public({"kty": "EC", "kid": "k1", member: "secret"})
