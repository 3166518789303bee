"""Citizens' passwords, hashed with Argon2id (RFC 9106) through argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The OWASP Password Storage Cheat Sheet's Argon2id minimum (19 MiB, 2 passes, 1 lane), not
#: argon2-cffi's RFC 9106 low-memory default (64 MiB, 3 passes, 4 lanes): a sign-in allocates
#: the memory cost inside the serving worker, and a worker stays under 150 MB (``bench/``).
#: Hashes made with other parameters still verify, and are redone at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
