"""Typed errors of the scope registry domain.

Every registry error names the offending key (a scope key or a provider slug)
and the rule it breaks, as a short machine code in :attr:`RegistryError.rule`
(``key_format``, ``namespace_prefix``, ``unknown_provider``, ...). Document
imports also set :attr:`RegistryError.path` (``scopes[3].label.fr``).

:class:`InvalidScopeRequest` is what the policy raises for an OAuth request;
its :attr:`~InvalidScopeRequest.description` is safe to use as an OAuth
``error_description`` (RFC 6749 §5.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

__all__ = [
    "InvalidScopeRequest",
    "ProviderError",
    "RegistryError",
    "RegistryValidationError",
    "ScopeDefinitionError",
    "ScopeKeyError",
]

#: Longest piece of user input echoed back in a message.
_SHOW_MAX = 80
#: Most keys listed per reason in an ``error_description``.
_LIST_MAX = 10


def _show(value: str) -> str:
    """Shorten ``value`` for a message so hostile input cannot flood logs."""
    if len(value) > _SHOW_MAX:
        return value[: _SHOW_MAX - 3] + "..."
    return value


class RegistryError(Exception):
    """A registry rule broken by one provider or scope.

    ``key`` is the scope key (or provider slug) at fault, ``rule`` a short
    machine code, ``path`` where in an imported document the problem is.
    ``subject`` says what ``key`` names (``scope`` or ``provider``).
    """

    subject: str = "scope"

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        key: str | None = None,
        path: str | None = None,
        subject: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.key = key
        self.path = path
        if subject is not None:
            self.subject = subject

    def at(self, path: str) -> RegistryError:
        """Set :attr:`path` (when not already set) and return ``self``."""
        if self.path is None:
            self.path = path
        return self

    def __str__(self) -> str:
        parts = []
        if self.path:
            parts.append(f"{self.path}: ")
        if self.key is not None:
            parts.append(f"{self.subject} '{_show(self.key)}': ")
        parts.append(f"{self.message} (rule {self.rule})")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, rule={self.rule!r}, key={self.key!r})"


class ScopeKeyError(RegistryError):
    """A scope key breaks the key grammar (see :mod:`scopes.grammar`)."""


class ProviderError(RegistryError):
    """A provider is malformed, duplicated, or a scope names a missing one."""

    subject: str = "provider"


class ScopeDefinitionError(RegistryError):
    """A scope definition is inconsistent (duplicate, labels, claims...)."""


class RegistryValidationError(RegistryError):
    """Every problem found in one registry or document, not only the first."""

    def __init__(self, errors: Sequence[RegistryError]) -> None:
        self.errors: list[RegistryError] = list(errors)
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in the scope registry", rule="invalid_registry")

    @property
    def rules(self) -> list[str]:
        """The rule codes of :attr:`errors`, in order."""
        return [error.rule for error in self.errors]

    def __str__(self) -> str:
        lines = [self.message + ":"]
        lines.extend(f"- {error}" for error in self.errors)
        return "\n".join(lines)


def _safe_token(token: str) -> str:
    """Make ``token`` fit the RFC 6749 §5.2 error_description charset.

    Allowed: %x20-21 / %x23-5B / %x5D-7E; anything else becomes ``?``.
    """
    shown = _show(token)
    return "".join(ch if (0x20 <= ord(ch) <= 0x7E and ch not in '"\\') else "?" for ch in shown)


def _enumerate(keys: Sequence[str]) -> str:
    shown = [_safe_token(key) for key in keys[:_LIST_MAX]]
    if len(keys) > _LIST_MAX:
        shown.append(f"and {len(keys) - _LIST_MAX} more")
    return ", ".join(shown)


class InvalidScopeRequest(Exception):
    """An authorization or token request asks for scopes it cannot have.

    Maps to the OAuth ``invalid_scope`` error (RFC 6749 §4.1.2.1 and §5.2).
    Each offending key is listed under exactly one reason.
    """

    error: ClassVar[str] = "invalid_scope"

    def __init__(
        self,
        *,
        unknown: Iterable[str] = (),
        deprecated: Iterable[str] = (),
        not_allowed: Iterable[str] = (),
        malformed: Iterable[str] = (),
        needs_citizen: Iterable[str] = (),
    ) -> None:
        self.unknown: list[str] = list(unknown)
        self.deprecated: list[str] = list(deprecated)
        self.not_allowed: list[str] = list(not_allowed)
        self.malformed: list[str] = list(malformed)
        self.needs_citizen: list[str] = list(needs_citizen)
        super().__init__(self.description)

    @property
    def description(self) -> str:
        """A human sentence naming the offending keys.

        ASCII only, without ``"`` or ``\\``, so it can be sent as an OAuth
        ``error_description`` (RFC 6749 §5.2).
        """
        reasons = (
            ("malformed scope", "malformed scopes", self.malformed),
            ("unknown scope", "unknown scopes", self.unknown),
            ("deprecated scope", "deprecated scopes", self.deprecated),
            (
                "scope not allowed for this client",
                "scopes not allowed for this client",
                self.not_allowed,
            ),
            (
                "scope of a citizen's data, never granted without the citizen",
                "scopes of a citizen's data, never granted without the citizen",
                self.needs_citizen,
            ),
        )
        parts = [
            f"{one if len(keys) == 1 else many}: {_enumerate(keys)}"
            for one, many, keys in reasons
            if keys
        ]
        return "; ".join(parts) or "invalid scope"

    def __str__(self) -> str:
        return self.description
