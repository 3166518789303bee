"""keys.encryption: private keys encrypted at rest (PKCS#8, PBES2)."""

import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from keys import (
    KeyDecryptionError,
    decrypt_private_key,
    encrypt_private_key,
    generate_passphrase,
    generate_private_key,
    public_jwk,
)
from keys.errors import KeyManagementError


@pytest.fixture(scope="module", params=["ES256", "RS256"])
def alg_key(request):
    return request.param, generate_private_key(request.param)


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_round_trip(alg_key, as_bytes):
    alg, key = alg_key
    passphrase = generate_passphrase()
    secret = passphrase.encode() if as_bytes else passphrase
    blob = encrypt_private_key(key, secret)
    restored = decrypt_private_key(blob, passphrase)
    assert public_jwk(restored, alg) == public_jwk(key, alg)
    assert restored.private_numbers() == key.private_numbers()


def test_blob_is_encrypted_pkcs8_pem(alg_key):
    _, key = alg_key
    blob = encrypt_private_key(key, "correct horse")
    assert blob.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert plain not in blob


def test_blob_uses_pbes2_with_pbkdf2_sha256_and_aes256_cbc(alg_key):
    _, key = alg_key
    blob = encrypt_private_key(key, "pw")
    try:
        out = subprocess.run(
            ["openssl", "asn1parse"], input=blob, capture_output=True, check=True
        ).stdout.decode()
    except FileNotFoundError:
        pytest.skip("openssl not installed")
    for marker in ("PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc"):
        assert marker in out


def test_each_encryption_is_salted(alg_key):
    _, key = alg_key
    assert encrypt_private_key(key, "pw") != encrypt_private_key(key, "pw")


def _corrupt(blob: bytes) -> bytes:
    lines = blob.splitlines()
    middle = bytearray(lines[2])
    middle[10] = ord("A") if middle[10] != ord("A") else ord("B")
    lines[2] = bytes(middle)
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize(
    ("make_blob", "passphrase"),
    [
        (lambda key: encrypt_private_key(key, "right"), "wrong"),
        (lambda key: encrypt_private_key(key, "right"), ""),
        (lambda key: _corrupt(encrypt_private_key(key, "right")), "right"),
        (lambda key: encrypt_private_key(key, "right")[:120], "right"),
        (lambda key: b"not a key at all", "right"),
        (lambda key: b"", "right"),
        (
            lambda key: key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "right",
        ),
    ],
    ids=[
        "wrong-passphrase",
        "empty-passphrase",
        "corrupt",
        "truncated",
        "garbage",
        "empty",
        "unencrypted",
    ],
)
def test_decryption_failures_raise_key_decryption_error_only(alg_key, make_blob, passphrase):
    _, key = alg_key
    with pytest.raises(KeyDecryptionError) as info:
        decrypt_private_key(make_blob(key), passphrase)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_empty_passphrase_is_refused_for_encryption(alg_key):
    _, key = alg_key
    with pytest.raises(KeyManagementError):
        encrypt_private_key(key, "")


def test_generated_passphrases_are_urlsafe_and_256_bits():
    passphrases = {generate_passphrase() for _ in range(50)}
    assert len(passphrases) == 50
    for passphrase in passphrases:
        assert len(passphrase) >= 43  # 32 random bytes in base64url
        assert set(passphrase) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_stored_secret_opens_with_its_passphrase_only():
    from keys import KeyDecryptionError, decrypt_secret, encrypt_secret

    blob = encrypt_secret("client-secret-at-the-provider", "a-passphrase-of-some-length")
    assert b"client-secret" not in blob
    assert decrypt_secret(blob, "a-passphrase-of-some-length") == "client-secret-at-the-provider"
    assert encrypt_secret("same", "p" * 20) != encrypt_secret("same", "p" * 20)  # random salt and nonce
    for wrong in ("another-passphrase-entirely", ""):
        with pytest.raises(KeyDecryptionError):
            decrypt_secret(blob, wrong)
    with pytest.raises(KeyDecryptionError):
        decrypt_secret(blob[:-1], "a-passphrase-of-some-length")
