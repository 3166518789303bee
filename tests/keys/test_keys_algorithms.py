"""keys.algorithms: supported JWA algorithms (RFC 7518 §3) and key generation."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from keys import SUPPORTED_ALGORITHMS, UnsupportedAlgorithm, generate_private_key
from keys.algorithms import check_key_matches


def test_supported_algorithms_are_exactly_es256_and_rs256():
    assert SUPPORTED_ALGORITHMS == ("ES256", "RS256")


def test_es256_generates_a_p256_key():
    key = generate_private_key("ES256")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, ec.SECP256R1)


def test_rs256_generates_a_2048_bit_rsa_key_with_e_65537():
    key = generate_private_key("RS256")
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537


def test_each_call_generates_a_new_key():
    a, b = generate_private_key("ES256"), generate_private_key("ES256")
    assert a.private_numbers().private_value != b.private_numbers().private_value


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", "PS256", "es256", "", "RS512"])
def test_unsupported_algorithms_are_refused(alg):
    with pytest.raises(UnsupportedAlgorithm, match=f"algorithm '{alg}'"):
        generate_private_key(alg)


@pytest.mark.parametrize(
    ("make_key", "alg"),
    [
        (lambda: ec.generate_private_key(ec.SECP384R1()), "ES256"),
        (lambda: generate_private_key("RS256"), "ES256"),
        (lambda: generate_private_key("ES256"), "RS256"),
        (lambda: rsa.generate_private_key(65537, 1024), "RS256"),
    ],
    ids=["p384-for-es256", "rsa-for-es256", "ec-for-rs256", "rsa1024-for-rs256"],
)
def test_key_must_match_algorithm(make_key, alg):
    with pytest.raises(UnsupportedAlgorithm, match=alg):
        check_key_matches(make_key(), alg)
