"""Tables of checks: which rule runs where, in the order it runs (node-oidc-provider style).

An endpoint's table lists every rule a request must pass, each with the specification it
comes from. A rule this project implements has a small function; a rule that Authlib
implements names the Authlib step that enforces it (``by``), so that one table shows the
whole of what is checked, whoever checks it. :func:`run_checks` runs the table's own
functions in order; the Authlib steps run where the table says, inside the Authlib call
that follows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError

from idp.oauth2.http import FORM_MEDIA_TYPE, OAuthRequest, safe_text


@dataclass(frozen=True)
class Check:
    """One rule: what it requires, and the function that enforces it or who does."""

    rule: str
    run: Callable[[Any], None] | None = None
    by: str = "idp"

    def __post_init__(self) -> None:
        if (self.run is None) == (self.by == "idp"):
            raise ValueError(f"{self.rule}: give either a function or the Authlib step, not both")


def authlib(rule: str, step: str) -> Check:
    """A rule that Authlib enforces in ``step``."""
    return Check(rule, by=f"Authlib: {step}")


def run_checks(checks: Iterable[Check], subject: Any) -> None:
    """Run the table's own checks on ``subject`` in order; the first failure raises."""
    for check in checks:
        if check.run is not None:
            check.run(subject)


def describe(checks: Iterable[Check]) -> list[str]:
    """The table as lines (for the docs and the tests): rule, then who enforces it."""
    return [f"{check.rule} [{check.run.__name__ if check.run else check.by}]" for check in checks]


def echo(value: object, limit: int = 64) -> str:
    """A piece of the request quoted in an error: made safe, and short."""
    return safe_text(value, limit)


#: RFC 6749 Appendix A (and RFC 7636 §4.1, OIDC Core §3.1.2.1) syntax of the parameters
#: that Authlib may quote in an error: a value outside it is refused before anything echoes it.
#: ``scope`` is not here: the registry's policy checks each key and names the malformed ones
#: (:mod:`idp.oauth2.scope_policy`), as ``invalid_scope``.
_VSCHAR = r"[\x20-\x7e]"
_URI_REFERENCE = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"  # RFC 3986 §2: what a URI may hold
_PKCE = r"[A-Za-z0-9\-._~]{43,128}"
PARAMETER_SYNTAX = {
    name: re.compile(pattern)
    for name, pattern in {
        "client_id": f"{_VSCHAR}+",
        "response_type": r"[A-Za-z0-9_]+( [A-Za-z0-9_]+)*",
        "state": f"{_VSCHAR}+",
        "redirect_uri": _URI_REFERENCE,
        "post_logout_redirect_uri": _URI_REFERENCE,
        "grant_type": rf"[A-Za-z0-9\-._]+|{_URI_REFERENCE}",
        "code": f"{_VSCHAR}+",
        "refresh_token": f"{_VSCHAR}+",
        "code_verifier": _PKCE,
        "code_challenge": _PKCE,
        "code_challenge_method": r"[A-Za-z0-9\-._~]+",
        "nonce": f"{_VSCHAR}+",
        "response_mode": r"[A-Za-z0-9_.]+",
        "token_type_hint": r"[A-Za-z0-9_.]+",
    }.items()
}


def malformed_parameter(request: OAuthRequest, names: Iterable[str] = PARAMETER_SYNTAX) -> str | None:
    """The first of ``names`` whose value breaks its grammar; an empty value counts as absent."""
    for name in names:
        value = request.payload.data.get(name)
        if value and PARAMETER_SYNTAX[name].fullmatch(value) is None:
            return name
    return None


def syntax_error(name: str, **where) -> InvalidRequestError:
    """The ``invalid_request`` for a malformed ``name``: it names the parameter, quotes nothing."""
    return InvalidRequestError(
        description=f"{name} does not follow its syntax (RFC 6749 Appendix A)", **where
    )


def check_parameter_syntax(request: OAuthRequest) -> None:
    """Each known parameter matches its grammar (:data:`PARAMETER_SYNTAX`)."""
    name = malformed_parameter(request)
    if name is not None:
        raise syntax_error(name)


def check_form_encoded(request: OAuthRequest) -> None:
    """RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1: an ``application/x-www-form-urlencoded`` body."""
    if request.media_type != FORM_MEDIA_TYPE:
        raise InvalidRequestError(f"the body must be {FORM_MEDIA_TYPE}")


def check_single_valued(request: OAuthRequest) -> None:
    """RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once"."""
    repeated = request.repeated_parameters()
    if repeated:
        raise InvalidRequestError(f"parameter repeated: {echo(', '.join(repeated), 200)}")


#: The first checks of every form-posting machine endpoint: token, introspection,
#: revocation and checktoken.
FORM_REQUEST_CHECKS = (
    Check("the body is form-encoded (RFC 6749 §3.2)", check_form_encoded),
    Check("no parameter is repeated (RFC 6749 §3.1)", check_single_valued),
    Check("each parameter follows its syntax (RFC 6749 Appendix A)", check_parameter_syntax),
)
