"""The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): checks, then next step.

:data:`AUTHORIZE_CHECKS` is every rule an authorization request must pass, in the order it
runs, including those Authlib enforces while it validates the grant. Once they pass,
:func:`next_step` says what the citizen still has to do: sign in, consent, or nothing (the
code is issued). An error raised with the request's ``redirect_uri`` goes back to the
service provider (RFC 6749 §4.1.2.1); one raised before the client and its redirect URI are
known is shown to the citizen instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import current_app

from idp.citizens.consents import covering, covering_consent
from idp.citizens.federation import providers
from idp.citizens.sessions import SignIn
from idp.models.clients import EIDAS_LEVELS
from idp.oauth2.checks import (
    Check,
    authlib,
    check_single_valued,
    echo,
    malformed_parameter,
    run_checks,
    syntax_error,
)
from idp.oauth2.claims_request import ClaimsRequest, MalformedClaimsRequest
from idp.oauth2.http import OAuthRequest
from idp.oauth2.scope_policy import still_allowed
from idp.oauth2.server import authorization_server

#: OIDC Core §3.1.2.1 ``prompt`` values this provider implements.
SUPPORTED_PROMPTS = ("none", "login", "consent")
#: Upper bounds on free-text parameters (bad input gets invalid_request, never a 500).
MAX_LENGTHS = {
    "state": 2048,
    "nonce": 512,
    "login_hint": 255,
    "acr_values": 100,
    "prompt": 100,
    "max_age": 10,
    "claims": 4096,
}
#: FranceConnect's ``authorize-params.dto.ts``: ``nonce`` ``MinLength(22)`` (128 bits in
#: base64url), and ``state`` required.
MIN_NONCE_LENGTH = 22


class InvalidAcrError(OAuth2Error):
    """FranceConnect's answer to a level no identity provider of the service reaches
    (``CoreAcrService.rejectInvalidAcr``, ``back/libs/core/src/services/core-acr.service.ts``):
    ``invalid_acr``, by redirect."""

    error = "invalid_acr"


@dataclass(frozen=True)
class Interaction:
    """What the citizen did for this request: the sign-in, and the consent that covers it.

    Set on the request (``request.interaction``) before the code is issued, and stored with
    the code (:meth:`idp.oauth2.grants.AuthorizationCodeGrant.save_authorization_code`).
    """

    login: SignIn
    #: The covering consent's row (``id``, ``scope``, ``granted_at``).
    consent: object
    #: The services this sign-in already alerted the citizen about (:mod:`idp.mail.connection_notice`).
    notified: list


@dataclass
class AuthorizationContext:
    """One authorization request on its way through the checks.

    ``started`` is when the citizen first made this request (the pending request survives
    the round trips to sign in and consent); ``denied`` is set when they refused consent.
    """

    request: OAuthRequest
    login: SignIn | None
    started: float = field(default_factory=time.time)
    denied: bool = False
    #: The services this sign-in already alerted the citizen about, from the cookie session.
    notified: list = field(default_factory=list)
    grant: object = None
    #: The ``claims`` parameter, parsed (:func:`check_claims_parameter`).
    claims: ClaimsRequest = field(default_factory=ClaimsRequest)
    #: The signed-in citizen's active consents to one client, read with the sign-in
    #: (``client_id`` and the rows: :func:`idp.citizens.sessions.sign_in_with_consents`).
    read_consents: tuple[str, list] | None = None
    #: The parameters sent with a value (an empty parameter counts as absent).
    params: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.params = {name: value for name, value in self.request.payload.data.items() if value != ""}

    @property
    def prompts(self) -> set[str]:
        return set(self.params.get("prompt", "").split())

    def error(self, cls: type[OAuth2Error], description: str | None = None) -> OAuth2Error:
        """An error sent back to the service provider (its redirect URI is validated by now)."""
        return cls(
            description=description, redirect_uri=self.grant.redirect_uri, state=self.params.get("state")
        )


def check_no_repeated_parameter(ctx: AuthorizationContext) -> None:
    check_single_valued(ctx.request)


#: What decides where an error may be sent (RFC 6749 §4.1.2.1): checked before the redirect.
REDIRECT_PARAMETERS = ("client_id", "redirect_uri", "response_type")


def check_redirect_syntax(ctx: AuthorizationContext) -> None:
    """The parameters that name the client and its redirect URI follow their syntax; an
    error here is shown to the citizen, since nothing says where to send it."""
    name = malformed_parameter(ctx.request, REDIRECT_PARAMETERS)
    if name is not None:
        raise syntax_error(name)


def check_syntax(ctx: AuthorizationContext) -> None:
    """The other parameters follow their syntax; the error goes back to the client."""
    name = malformed_parameter(ctx.request)
    if name is not None:
        raise syntax_error(name, redirect_uri=ctx.grant.redirect_uri, state=ctx.params.get("state"))


def check_lengths(ctx: AuthorizationContext) -> None:
    for name, limit in MAX_LENGTHS.items():
        if len(ctx.params.get(name, "")) > limit:
            raise ctx.error(InvalidRequestError, f"{name} is longer than {limit} characters")


def check_grant_request(ctx: AuthorizationContext) -> None:
    """Authlib's validation (the rows after this one); keeps the grant for the next steps."""
    user = ctx.login.user if ctx.login is not None else None
    ctx.grant = authorization_server().get_consent_grant(ctx.request, end_user=user)


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
        raise ctx.error(InvalidRequestError, f"unsupported prompt value: {echo(' '.join(sorted(unknown)))}")
    if "none" in prompts and len(prompts) > 1:
        raise ctx.error(InvalidRequestError, "prompt=none cannot be combined with other values")


def check_state_and_nonce(ctx: AuthorizationContext) -> None:
    """FranceConnect requires both (``authorize-params.dto.ts``): ``state`` against CSRF on the
    service's callback (RFC 6749 §10.12), ``nonce`` of at least :data:`MIN_NONCE_LENGTH`
    characters against ID token replay (OIDC Core §3.1.2.1)."""
    if "state" not in ctx.params:
        raise ctx.error(InvalidRequestError, "state is required")
    if len(ctx.params.get("nonce", "")) < MIN_NONCE_LENGTH:
        raise ctx.error(InvalidRequestError, f"nonce is required, of at least {MIN_NONCE_LENGTH} characters")


def check_allowed_prompts(ctx: AuthorizationContext) -> None:
    """FranceConnect's per-service ``allowedPrompts``: a service with a list may send only
    those values (none set: every value of :data:`SUPPORTED_PROMPTS`)."""
    allowed = ctx.grant.client.allowed_prompts
    refused = ctx.prompts - set(allowed) if allowed is not None else set()
    if refused:
        raise ctx.error(
            InvalidRequestError, f"prompt not allowed for this service: {' '.join(sorted(refused))}"
        )


def check_claims_parameter(ctx: AuthorizationContext) -> None:
    """OIDC Core §5.5: a JSON claims request, kept for the ID token (:mod:`claims_request`)."""
    try:
        ctx.claims = ClaimsRequest.parse(ctx.params.get("claims"))
    except MalformedClaimsRequest as problem:
        raise ctx.error(InvalidRequestError, str(problem)) from None
    ctx.request.claims_request = ctx.claims


def check_amr_allowed(ctx: AuthorizationContext) -> None:
    """FranceConnect's ``overrideClaimAmrMiddleware``: a service may ask for ``amr`` only when
    it is allowed it (the ``amr`` scope, through a habilitation or the operator)."""
    if ctx.claims.asks_for("amr") and not still_allowed(ctx.grant.client, "amr"):
        raise ctx.error(InvalidRequestError, "this service is not allowed the amr claim")


def check_max_age(ctx: AuthorizationContext) -> None:
    """OIDC Core §3.1.2.1: seconds, a non-negative integer."""
    value = ctx.params.get("max_age")
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ctx.error(InvalidRequestError, "max_age must be a non-negative integer")


def local_login_acr() -> str:
    return current_app.config["LOCAL_LOGIN_ACR"]


def pick_acr(values: list[str]) -> str | None:
    """FranceConnect's ``pickAcr`` (``back/libs/core/src/transforms/acr.transform.ts``): of
    the known levels asked for, the lowest, since each one listed is acceptable."""
    known = [level for level in EIDAS_LEVELS if level in values]
    return known[0] if known else None


def required_acr(ctx: AuthorizationContext) -> str:
    """The level this sign-in must reach: the service's own (``--eidas-level``, from DataPass's
    ``france_connect_eidas``), raised by ``acr_values`` or an essential ``acr`` claim when the
    request asks for more. Of each, :func:`pick_acr`'s level; unknown values are ignored, so
    that a request naming none falls back to the service's level, as FranceConnect's to its
    default."""
    levels = [ctx.grant.client.eidas_level or EIDAS_LEVELS[0]]
    for asked in (ctx.params.get("acr_values", "").split(), ctx.claims.essential_acr_values()):
        picked = pick_acr(asked)
        if picked:
            levels.append(picked)
    return max(levels, key=EIDAS_LEVELS.index)


def check_acr_satisfiable(ctx: AuthorizationContext) -> None:
    """Some identity provider this service offers reaches the level (OIDC Core §3.1.2.6);
    otherwise FranceConnect's ``invalid_acr``, naming the levels that can be reached."""
    level = required_acr(ctx)
    if not providers.offers_level(ctx.grant.client, level):
        reachable = [
            candidate for candidate in EIDAS_LEVELS if providers.offers_level(ctx.grant.client, candidate)
        ]
        raise ctx.error(
            InvalidAcrError,
            "acr_value is not valid, should be equal one of these values, "
            f"expected {','.join(reachable)}, got {level}",
        )


#: Every authorization request, in this order. The rows marked Authlib run inside
#: :func:`check_grant_request`; an error before it is shown to the citizen, an error after
#: it is redirected to the service provider with ``iss`` (RFC 9207).
AUTHORIZE_CHECKS = (
    Check("no parameter is repeated (RFC 6749 §3.1)", check_no_repeated_parameter),
    Check(
        "client_id, redirect_uri, response_type follow their syntax (RFC 6749 App. A)", check_redirect_syntax
    ),
    Check("Authlib validates the request (the next rows)", check_grant_request),
    authlib("response_type is code (RFC 6749 §3.1.1)", "get_authorization_grant"),
    authlib(
        "client_id names a service provider, redirect_uri is one of its own, compared exactly "
        "(RFC 6749 §4.1.2.1, RFC 9700 §4.1.3)",
        "validate_authorization_request -> Client.check_redirect_uri, Client.check_response_type",
    ),
    authlib(
        "the scope is known, not deprecated, and allowed by a habilitation (RFC 6749 §3.3)",
        "validate_requested_scope -> idp.oauth2.scope_policy.enforce_requested_scope",
    ),
    authlib("PKCE S256 code_challenge of 43 characters (RFC 7636 §4.3, RFC 9700 §2.1.1)", "CodeChallenge"),
    authlib("nonce is carried into the ID token (OIDC Core §3.1.2.1)", "OpenIDCode"),
    Check("every other parameter follows its syntax (RFC 6749 Appendix A)", check_syntax),
    Check("free-text parameters are of bounded length", check_lengths),
    Check("request objects and other response modes are refused (OIDC Core §6)", check_unsupported_features),
    Check("state and a nonce of 22 characters or more are sent (FranceConnect)", check_state_and_nonce),
    Check("prompt values are known, none alone (OIDC Core §3.1.2.1)", check_prompt),
    Check("prompt values are among the service's allowedPrompts (FranceConnect)", check_allowed_prompts),
    Check("max_age is a number of seconds (OIDC Core §3.1.2.1)", check_max_age),
    Check("claims is a JSON claims request (OIDC Core §5.5)", check_claims_parameter),
    Check("amr is asked only by a service allowed it (FranceConnect)", check_amr_allowed),
    Check(
        "the level asked (acr_values, essential acr) can be reached, else invalid_acr (FranceConnect)",
        check_acr_satisfiable,
    ),
)


class Step(Enum):
    """What the citizen must do before the authorization response."""

    SIGN_IN = "sign-in"
    CONSENT = "consent"


def _signed_in_during(ctx: AuthorizationContext) -> bool:
    return ctx.login is not None and ctx.login.auth_time.timestamp() >= ctx.started


def login_needed(ctx: AuthorizationContext) -> bool:
    """Sign-in is needed without a session, below the level required, for prompt=login, and
    past max_age (OIDC Core §3.1.2.1)."""
    if ctx.login is None:
        return True
    if EIDAS_LEVELS.index(ctx.login.acr) < EIDAS_LEVELS.index(required_acr(ctx)):
        return True  # signed in at a lower level: sign in again, at a provider reaching it
    if _signed_in_during(ctx):
        return False
    if "login" in ctx.prompts:
        return True
    max_age = ctx.params.get("max_age")
    return max_age is not None and ctx.login.auth_time.timestamp() + int(max_age) < time.time()


def consent_given(ctx: AuthorizationContext):
    """The consent that covers the request, or None when the citizen must be asked (again)."""
    client_id, scope_keys = ctx.grant.client.client_id, ctx.grant.request.scope.split()
    if ctx.read_consents is not None and ctx.read_consents[0] == client_id:
        consent = covering(ctx.read_consents[1], scope_keys)
    else:
        consent = covering_consent(ctx.login.user_id, client_id, scope_keys)
    if consent is None:
        return None
    if "consent" in ctx.prompts and consent.granted_at.timestamp() < ctx.started:
        return None
    return consent


def next_step(ctx: AuthorizationContext) -> Step | None:
    """After :data:`AUTHORIZE_CHECKS`: the citizen's next step, or None to issue the code.

    With ``prompt=none`` a step that would need the citizen is an error instead
    (OIDC Core §3.1.2.6 ``login_required``, ``consent_required``). When the code can be
    issued, the sign-in and consent go on the request (:class:`Interaction`).
    """
    if login_needed(ctx):
        if "none" in ctx.prompts:
            raise ctx.error(LoginRequiredError)
        return Step.SIGN_IN
    consent = consent_given(ctx)
    if consent is None:
        if "none" in ctx.prompts:
            raise ctx.error(ConsentRequiredError)
        return Step.CONSENT
    ctx.request.interaction = Interaction(login=ctx.login, consent=consent, notified=ctx.notified)
    return None


def authorize(ctx: AuthorizationContext) -> Step | None:
    """Run :data:`AUTHORIZE_CHECKS`, then :func:`next_step`."""
    run_checks(AUTHORIZE_CHECKS, ctx)
    if ctx.denied:
        return None
    return next_step(ctx)
