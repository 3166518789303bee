"""The authorization endpoint's interaction: which checks run, and what the citizen must do.

Each check is small and named (node-oidc-provider style). ``PARAMETER_CHECKS`` run on every
request after Authlib validated the client, redirect URI, response type, scope and PKCE;
then :func:`next_step` decides between sign-in, consent and issuing the code.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import current_app, session

from idp.citizens.consents import covering_consent
from idp.models import Consent, LoginSession
from idp.models.clients import EIDAS_LEVELS

SUPPORTED_PROMPTS = ("none", "login", "consent")
INTERACTION_KEY = "authz"
#: Upper bounds on free-text parameters (bad input gets invalid_request, never a 500).
MAX_LENGTHS = {
    "state": 2048,
    "nonce": 512,
    "login_hint": 255,
    "acr_values": 100,
    "prompt": 100,
    "max_age": 10,
}


class AcrNotSatisfiedError(OAuth2Error):
    """OIDC Core §3.1.2.6 uses ``access_denied`` when the requested acr cannot be met."""

    error = "access_denied"


@dataclass
class AuthorizationContext:
    grant: object
    params: dict[str, str]
    login: LoginSession | None
    interaction: dict = field(default_factory=dict)

    @property
    def prompts(self) -> set[str]:
        return set(self.params.get("prompt", "").split())

    @property
    def redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def error(self, cls: type[OAuth2Error], description: str | None = None) -> OAuth2Error:
        return cls(description=description, redirect_uri=self.redirect_uri, state=self.params.get("state"))


def check_lengths(ctx: AuthorizationContext) -> None:
    for name, limit in MAX_LENGTHS.items():
        if len(ctx.params.get(name, "")) > limit:
            raise ctx.error(InvalidRequestError, f"{name} is longer than {limit} characters")


def check_unsupported_features(ctx: AuthorizationContext) -> None:
    """OIDC Core §6 and §3.1.2.6: say so instead of ignoring request objects."""
    for name, error in (
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
        ("registration", "registration_not_supported"),
    ):
        if name in ctx.params:
            problem = ctx.error(InvalidRequestError, f"the {name} parameter is not supported")
            problem.error = error
            raise problem
    if ctx.params.get("response_mode", "query") != "query":
        raise ctx.error(InvalidRequestError, "only response_mode=query is supported")


def check_prompt(ctx: AuthorizationContext) -> None:
    """OIDC Core §3.1.2.1: known values only, and ``none`` alone."""
    prompts = ctx.prompts
    unknown = prompts - set(SUPPORTED_PROMPTS)
    if unknown:
        raise ctx.error(InvalidRequestError, f"unsupported prompt value: {' '.join(sorted(unknown))}")
    if "none" in prompts and len(prompts) > 1:
        raise ctx.error(InvalidRequestError, "prompt=none cannot be combined with other values")


def check_max_age(ctx: AuthorizationContext) -> None:
    value = ctx.params.get("max_age")
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ctx.error(InvalidRequestError, "max_age must be a non-negative integer")


def check_acr_values(ctx: AuthorizationContext) -> None:
    values = ctx.params.get("acr_values", "").split()
    unknown = [value for value in values if value not in EIDAS_LEVELS]
    if unknown:
        raise ctx.error(InvalidRequestError, f"unsupported acr_values: {' '.join(unknown)}")


PARAMETER_CHECKS: tuple[Callable[[AuthorizationContext], None], ...] = (
    check_lengths,
    check_unsupported_features,
    check_prompt,
    check_max_age,
    check_acr_values,
)


def request_fingerprint(params: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(params.items())).encode()).hexdigest()


def current_interaction(params: dict[str, str]) -> dict:
    """The interaction stored for this very request, or a new one starting now."""
    fingerprint = request_fingerprint(params)
    stored = session.get(INTERACTION_KEY)
    if isinstance(stored, dict) and stored.get("fp") == fingerprint:
        return stored
    return {"fp": fingerprint, "started": time.time(), "params": params}


def local_login_acr() -> str:
    return current_app.config["LOCAL_LOGIN_ACR"]


def _signed_in_during(ctx: AuthorizationContext) -> bool:
    return ctx.login is not None and ctx.login.auth_time.timestamp() >= ctx.interaction["started"]


def login_needed(ctx: AuthorizationContext) -> bool:
    """Sign-in is needed without a session, for prompt=login, and past max_age (§3.1.2.1)."""
    if ctx.login is None:
        return True
    if _signed_in_during(ctx):
        return False
    if "login" in ctx.prompts:
        return True
    max_age = ctx.params.get("max_age")
    return max_age is not None and ctx.login.auth_time.timestamp() + int(max_age) < time.time()


def check_acr_satisfiable(ctx: AuthorizationContext) -> None:
    """``acr_values`` lists acceptable levels; the local sign-in reaches one level only."""
    requested = ctx.params.get("acr_values", "").split()
    if requested and local_login_acr() not in requested:
        achievable = EIDAS_LEVELS.index(local_login_acr())
        if all(EIDAS_LEVELS.index(value) > achievable for value in requested):
            raise ctx.error(
                AcrNotSatisfiedError,
                f"this provider cannot authenticate at {' or '.join(requested)}",
            )


def consent_needed(ctx: AuthorizationContext, user_id: int) -> Consent | None:
    """Returns the consent to use, or None when the citizen must be asked (again)."""
    consent = covering_consent(user_id, ctx.grant.client.client_id, ctx.grant.request.scope.split())
    if consent is None:
        return None
    if "consent" in ctx.prompts and consent.granted_at.timestamp() < ctx.interaction["started"]:
        return None
    return consent


def prompt_none_error(ctx: AuthorizationContext, what: str) -> OAuth2Error:
    cls = LoginRequiredError if what == "login" else ConsentRequiredError
    return ctx.error(cls)
