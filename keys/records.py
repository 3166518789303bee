"""Immutable key records and their life-cycle states.

See :mod:`keys.states` for the transitions between states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from keys.algorithms import check_algorithm
from keys.errors import KeyStateError
from keys.thumbprint import assert_public


class KeyState(StrEnum):
    """Life-cycle state of a signing key."""

    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; a naive value is taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


@dataclass(frozen=True)
class KeyRecord:
    """One stored signing key. Datetimes are timezone-aware UTC.

    Construction normalises the fields (naive datetimes are read as UTC, so
    values read back from SQLite are accepted) and checks that the timestamps
    agree with ``state`` and that ``kid`` equals ``public_jwk["kid"]``.
    """

    kid: str
    alg: str
    state: KeyState
    public_jwk: dict[str, Any]
    encrypted_private_key: bytes
    created_at: datetime
    activated_at: datetime | None = None
    retired_at: datetime | None = None

    def __post_init__(self) -> None:
        check_algorithm(self.alg)
        set_ = object.__setattr__
        set_(self, "state", KeyState(self.state))
        set_(self, "encrypted_private_key", bytes(self.encrypted_private_key))
        set_(self, "created_at", utc(self.created_at))
        set_(self, "activated_at", _utc_or_none(self.activated_at))
        set_(self, "retired_at", _utc_or_none(self.retired_at))
        assert_public(self.public_jwk)
        if self.public_jwk.get("kid") != self.kid:
            raise KeyStateError(f"kid {self.kid!r} does not match its public JWK")
        if self.public_jwk.get("alg", self.alg) != self.alg:
            raise KeyStateError(f"key {self.kid}: alg {self.alg} does not match its public JWK")
        if self.state is KeyState.ACTIVE and (self.activated_at is None or self.retired_at):
            raise KeyStateError(f"active key {self.kid} needs activated_at and no retired_at")
        if self.state is KeyState.NEXT and (self.activated_at or self.retired_at):
            raise KeyStateError(f"next key {self.kid} cannot have activated_at or retired_at")
        if self.state is KeyState.RETIRED and self.retired_at is None:
            raise KeyStateError(f"retired key {self.kid} needs retired_at")
