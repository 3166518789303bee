"""Exceptions raised by the ``keys`` package.

Every error derives from :class:`KeyManagementError` so that callers can catch
the whole family at once. Messages name the ``kid`` or ``alg`` concerned and
never contain key material or passphrases.
"""

from __future__ import annotations


class KeyManagementError(Exception):
    """Base class of every error raised by the ``keys`` package."""


class KeyDecryptionError(KeyManagementError):
    """An encrypted private key could not be decrypted.

    Raised for a wrong passphrase as well as for a corrupt or truncated blob;
    the two cases are deliberately indistinguishable.
    """


class UnsupportedAlgorithm(KeyManagementError):
    """A JWA ``alg`` (RFC 7518 §3.1) or key type that this package does not handle."""


class KeyStateError(KeyManagementError):
    """An illegal rotation-state transition, an unknown ``kid`` or a missing key."""


class InvalidTokenError(KeyManagementError):
    """A JWS (RFC 7515) failed verification.

    ``reason`` is a short, stable, machine-readable string such as ``"expired"``,
    ``"invalid_signature"`` or ``"unknown_kid"``; it is safe to log (it never
    contains the token itself).
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
