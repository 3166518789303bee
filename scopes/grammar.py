"""Scope key grammar and the OAuth ``scope`` parameter syntax.

RFC 6749 §3.3: the ``scope`` parameter is a list of space-delimited,
case-sensitive strings; ``scope-token = 1*NQCHAR`` with
``NQCHAR = %x21 / %x23-5B / %x5D-7E`` (printable ASCII except space, ``"``
and ``\\``).

Registry keys are stricter than that. The rules, by owner:

* **Namespaced provider** (a data provider owning ``dgfip``): a new key
  matches :data:`KEY_PATTERN` and starts with ``"<namespace>_"``
  (``dgfip_rfr``). A key breaking either rule (``dgfip_RevDecl_Cat1_Tspr``,
  ``api_fc-liste-paiementsv1``, un-prefixed ``prime_activite``) exists in
  production and is accepted only when flagged ``legacy``; it must still be a
  valid RFC 6749 scope-token. A valid key flagged legacy is accepted as well.
* **Provider without namespace** (the identity provider ``franceconnect``):
  it defines the standard OpenID Connect scopes (``openid``, ``email``,
  ``given_name``; OIDC Core §5.4), which have no namespace prefix and may have
  no underscore. Its keys are exempt from the namespace rule but must match
  :data:`IDENTITY_KEY_PATTERN` (``^[a-z][a-z0-9_]*$``), legacy flag or not.
* Every key is at most :data:`MAX_KEY_LENGTH` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scopes.errors import InvalidScopeRequest, ScopeKeyError

__all__ = [
    "IDENTITY_KEY_PATTERN",
    "KEY_PATTERN",
    "MAX_KEY_LENGTH",
    "NAMESPACE_PATTERN",
    "SCOPE_TOKEN_PATTERN",
    "format_scope_string",
    "is_valid_scope_token",
    "parse_scope_string",
    "split_scope_request",
    "validate_key",
    "validate_namespace",
]

#: Grammar of new namespaced keys (the namespace prefix is checked apart).
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
#: Grammar of keys of a provider without namespace (standard OIDC scopes).
IDENTITY_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
#: Grammar of a namespace: what a key starts with, before the final ``_``.
NAMESPACE_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
#: RFC 6749 §3.3 ``scope-token = 1*NQCHAR``.
SCOPE_TOKEN_PATTERN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

MAX_KEY_LENGTH = 100
MAX_NAMESPACE_LENGTH = 50


def is_valid_scope_token(token: object) -> bool:
    """Tell whether ``token`` is an RFC 6749 §3.3 scope-token (1*NQCHAR)."""
    return isinstance(token, str) and SCOPE_TOKEN_PATTERN.fullmatch(token) is not None


def validate_namespace(namespace: str) -> None:
    """Check a provider namespace against :data:`NAMESPACE_PATTERN`.

    Raises :class:`ScopeKeyError` (rule ``namespace_format``).
    """
    if (
        not isinstance(namespace, str)
        or len(namespace) > MAX_NAMESPACE_LENGTH
        or NAMESPACE_PATTERN.fullmatch(namespace) is None
    ):
        raise ScopeKeyError(
            f"namespace must match {NAMESPACE_PATTERN.pattern} "
            f"and have at most {MAX_NAMESPACE_LENGTH} characters",
            key=namespace if isinstance(namespace, str) else None,
            rule="namespace_format",
        )


def validate_key(key: str, namespace: str | None, *, legacy: bool = False) -> None:
    """Check a scope key against the rules of its owner (see module docstring).

    Raises :class:`ScopeKeyError` whose ``rule`` is one of ``key_length``,
    ``scope_token`` (not an RFC 6749 §3.3 scope-token, refused even when
    legacy), ``identity_key_format``, ``key_format`` or ``namespace_prefix``
    (the last two only when ``legacy`` is false).
    """
    if not isinstance(key, str):
        raise ScopeKeyError("key must be a string", rule="scope_token")
    if len(key) > MAX_KEY_LENGTH:
        raise ScopeKeyError(
            f"key must have at most {MAX_KEY_LENGTH} characters", key=key, rule="key_length"
        )
    if not is_valid_scope_token(key):
        raise ScopeKeyError(
            "key must be an RFC 6749 scope-token: printable ASCII "
            "without space, double quote or backslash",
            key=key,
            rule="scope_token",
        )
    if namespace is None:
        if IDENTITY_KEY_PATTERN.fullmatch(key) is None:
            raise ScopeKeyError(
                f"key of a provider without namespace must match {IDENTITY_KEY_PATTERN.pattern}",
                key=key,
                rule="identity_key_format",
            )
        return
    if legacy:
        return
    if KEY_PATTERN.fullmatch(key) is None:
        raise ScopeKeyError(
            f"key must match {KEY_PATTERN.pattern} (only existing keys flagged legacy may not)",
            key=key,
            rule="key_format",
        )
    if not key.startswith(f"{namespace}_"):
        raise ScopeKeyError(
            f"key must start with the namespace prefix {namespace}_ "
            "(only existing keys flagged legacy may not)",
            key=key,
            rule="namespace_prefix",
        )


def split_scope_request(value: str | Iterable[str] | None) -> tuple[list[str], list[str]]:
    """Split a requested scope into ``(tokens, malformed)``.

    A string is split on single spaces (RFC 6749 §3.3); empty tokens from
    leading, trailing or doubled spaces are ignored. Both lists keep
    first-seen order without duplicates. Scopes are case-sensitive, so
    ``Openid`` and ``openid`` are different tokens.
    """
    if value is None:
        return [], []
    raw = value.split(" ") if isinstance(value, str) else list(value)
    tokens: dict[str, None] = {}
    malformed: dict[str, None] = {}
    for token in raw:
        if token == "":
            continue
        if is_valid_scope_token(token):
            tokens[token] = None
        else:
            malformed[str(token)] = None
    return list(tokens), list(malformed)


def parse_scope_string(value: str | None) -> list[str]:
    """Parse an OAuth ``scope`` parameter (RFC 6749 §3.3).

    Returns the tokens in first-seen order without duplicates; ``None`` or an
    empty string gives ``[]``. Raises :class:`InvalidScopeRequest` with
    ``malformed`` set when a token has a character outside NQCHAR.
    """
    tokens, malformed = split_scope_request(value)
    if malformed:
        raise InvalidScopeRequest(malformed=malformed)
    return tokens


def format_scope_string(keys: Iterable[str]) -> str:
    """Join scope keys with single spaces, as RFC 6749 §3.3 expects."""
    return " ".join(keys)
