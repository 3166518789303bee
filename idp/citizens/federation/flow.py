"""The hub as a relying party of an identity provider: the code flow, and what comes back.

OpenID Connect Core §3.1 with PKCE S256 (RFC 7636), ``state`` and ``nonce``, driven by
Authlib's client (``OAuth2Session``: the authorization URL, the token request and its client
authentication), and joserfc for the ID token and a signed userinfo (RFC 7515, RFC 7519).
What FranceConnect's ``oidc-client`` checks, we check (france-connect/sources,
``back/apps/core-fcp/src/controllers/oidc-client.controller.ts``):

- the callback's ``state`` is the one this browser was sent with, used once, and its
  ``iss`` (RFC 9207 §2.4) the provider's when it sends one, or must send one;
- the ID token is signed by a key of the provider's JWKS (fetched again once for an
  unknown ``kid``), with the provider's ``iss``, our ``aud``, a live ``exp`` and our
  ``nonce``;
- its ``acr`` is one of the provider's declared levels and reaches the level asked for;
- the userinfo ``sub`` is the ID token's, and the pivot identity is valid
  (:mod:`idp.citizens.pivot`; FranceConnect also requires an e-mail address).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp import signing
from idp.citizens.federation import providers
from idp.citizens.federation.metadata import ProviderMetadata, ProviderUnavailable, metadata
from idp.citizens.pivot import identity_problems
from idp.models import IdentityProvider
from idp.models.clients import EIDAS_LEVELS
from idp.outbound import http
from idp.outbound.documents import MAX_BYTES, TIMEOUT_SECONDS, DocumentUnavailable
from idp.outbound.jwks import remote_key_sets

#: Signatures accepted on an identity provider's ID token and userinfo (never ``none``).
SIGNING_ALGS = ["RS256", "ES256", "PS256"]
PIVOT_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: Seconds of clock skew allowed on the provider's ``exp`` and ``iat``.
LEEWAY_SECONDS = 30
#: Longest sign-in at a provider, ample for a citizen; a later answer is refused, so that a
#: callback URL found in a history or a log cannot be replayed days later.
PENDING_MAX_SECONDS = 600


class FederationError(Exception):
    """The sign-in at the identity provider did not give a usable identity.

    ``kind`` names what failed (the page shown to the citizen depends on it), and
    ``status`` is the HTTP status of that page: 400 when the request or the identity is
    at fault, 502 when the provider failed.
    """

    def __init__(self, kind: str, detail: str, status: int = 400) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status


@dataclass
class Pending:
    """A sign-in sent to an identity provider, kept in the citizen's session until it returns."""

    provider: str
    state: str
    nonce: str
    verifier: str
    acr: str
    started: float = field(default_factory=time.time)

    def as_dict(self) -> dict:
        return vars(self).copy()

    @classmethod
    def from_dict(cls, stored: object) -> Pending | None:
        try:
            return cls(**stored) if isinstance(stored, dict) else None
        except TypeError:
            return None


@dataclass(frozen=True)
class Assertion:
    """What the provider asserted about the citizen, checked."""

    identity: dict
    acr: str
    amr: list[str]
    id_token: str


def acr_to_ask(required: str, provider: IdentityProvider) -> str:
    """FranceConnect's ``getAcrToAskToIdp``: the level asked for, or the provider's lowest
    when that is higher (a provider reaching only eidas3 is asked for eidas3)."""
    lowest = min(providers.levels(provider), key=EIDAS_LEVELS.index)
    return required if EIDAS_LEVELS.index(required) > EIDAS_LEVELS.index(lowest) else lowest


def _session(provider: IdentityProvider) -> OAuth2Session:
    """Authlib's client for this provider, on the process's pooled connections (never closed:
    :func:`idp.outbound.http.mount`); it reads at most ``MAX_BYTES`` of a token response."""
    method = provider.auth_method
    session = OAuth2Session(
        client_id=provider.client_id,
        client_secret=providers.client_secret(provider),
        token_endpoint_auth_method="none" if method == "private_key_jwt" else method,
        redirect_uri=providers.callback_url(provider.name),
        scope=provider.scope,
        code_challenge_method="S256",
    )
    session.register_compliance_hook("access_token_response", _read_token_response)
    return http.mount(session)


def _read_token_response(response: requests.Response) -> requests.Response:
    """The provider's token response, read to ``MAX_BYTES`` at most (Authlib would read it
    all)."""
    return http.buffered(response, MAX_BYTES)


def begin(provider: IdentityProvider, required: str) -> tuple[str, Pending]:
    """The authorization URL to send the citizen to, and what to keep until they return.

    ``prompt=login``: the provider authenticates the citizen each time, as FranceConnect
    asks; this hub keeps its own sign-in session.
    """
    try:
        meta = metadata(provider)
    except ProviderUnavailable as problem:
        raise FederationError("unavailable", str(problem), 502) from problem
    pending = Pending(
        provider=provider.name,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=generate_token(64),
        acr=acr_to_ask(required, provider),
    )
    url, _ = _session(provider).create_authorization_url(
        meta.authorization_endpoint,
        state=pending.state,
        code_verifier=pending.verifier,
        nonce=pending.nonce,
        acr_values=pending.acr,
        prompt="login",
    )
    return url, pending


def _check_response(meta: ProviderMetadata, args, pending: Pending) -> str:
    """The code of an authorization response that is really the answer to ``pending``."""
    if time.time() - pending.started > PENDING_MAX_SECONDS:
        raise FederationError("expired", "the sign-in at the provider took too long: start again")
    state = args.get("state")
    if not isinstance(state, str) or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise FederationError("state", "the state is not the one this browser was sent with")
    issuer = args.get("iss")
    if issuer is not None and issuer != meta.issuer:
        raise FederationError("issuer", "the response names another issuer (RFC 9207 mix-up)")
    if issuer is None and meta.iss_parameter:
        raise FederationError("issuer", "the provider promises iss but did not send it (RFC 9207 §2.4)")
    if args.get("error"):
        raise FederationError("refused", f"the provider answered {args.get('error')!r}")
    code = args.get("code")
    if not code:
        raise FederationError("code", "the response has no code")
    return code


def _token(provider: IdentityProvider, meta: ProviderMetadata, code: str, pending: Pending) -> dict:
    extra = {}
    if provider.auth_method == "private_key_jwt":  # RFC 7523 §2.2, signed with our active key
        now = int(time.time())
        assertion = {
            "iss": provider.client_id,
            "sub": provider.client_id,
            "aud": meta.token_endpoint,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "exp": now + 60,
        }
        extra = {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signing.keyring().sign(assertion, alg="ES256"),
        }
    try:
        token = _session(provider).fetch_token(
            meta.token_endpoint,
            code=code,
            code_verifier=pending.verifier,
            timeout=TIMEOUT_SECONDS,
            stream=True,  # read by _session's hook, at most MAX_BYTES
            allow_redirects=False,  # a redirect would carry the code and our secret elsewhere
            **extra,
        )
    except (requests.RequestException, ValueError, http.Unanswered) as problem:
        raise FederationError("token", f"{type(problem).__name__}: {problem}", 502) from problem
    if not isinstance(token.get("id_token"), str) or not isinstance(token.get("access_token"), str):
        raise FederationError("token", "the token response has no ID token or access token", 502)
    return token


def _verified(serialized: str, meta: ProviderMetadata) -> jwt.Token:
    """A JWT signed by the provider; its key set fetched again once for an unknown ``kid``."""
    try:
        kid = jws.extract_compact(serialized.encode()).headers().get("kid")
        keyset = KeySet.import_key_set(remote_key_sets().get(meta.jwks_uri))
        if kid is not None and kid not in {key.kid for key in keyset.keys}:
            remote_key_sets().refetch_for(meta.jwks_uri, kid)
            keyset = KeySet.import_key_set(remote_key_sets().get(meta.jwks_uri))
        return jwt.decode(serialized, keyset, algorithms=SIGNING_ALGS)
    except DocumentUnavailable as problem:
        raise FederationError("keys", str(problem), 502) from problem
    except (JoseError, ValueError) as problem:
        raise FederationError("signature", f"not signed by the provider's keys: {problem}", 502) from problem


def _id_token_claims(provider: IdentityProvider, meta: ProviderMetadata, id_token: str, nonce: str) -> dict:
    """OIDC Core §3.1.3.7: signature, ``iss``, ``aud`` (and ``azp``), ``exp``, ``iat``, ``nonce``."""
    claims = _verified(id_token, meta).claims
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": meta.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as problem:
        raise FederationError("id_token", f"{problem.error}: {problem.description}", 502) from problem
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise FederationError("id_token", "several audiences and another azp (OIDC Core §3.1.3.7)", 502)
    return claims


def _acr(provider: IdentityProvider, claims: dict, asked: str) -> str:
    """FranceConnect's checks on the asserted level (``CoreAcrService.checkIfAcrIsValid``)."""
    acr = claims.get("acr")
    if not isinstance(acr, str) or acr not in EIDAS_LEVELS:
        raise FederationError("acr", "the ID token has no eIDAS acr")
    if EIDAS_LEVELS.index(acr) < EIDAS_LEVELS.index(asked):
        raise FederationError("acr_too_low", f"the provider authenticated at {acr}, {asked} was asked")
    if acr not in providers.levels(provider):
        raise FederationError("acr", f"{acr} is not among the provider's declared levels")
    return acr


def _userinfo(provider: IdentityProvider, meta: ProviderMetadata, token: dict, claims: dict) -> dict:
    """OIDC Core §5.3: JSON, or a JWT signed by the provider (§5.3.2) for us."""
    if meta.userinfo_endpoint is None:
        return claims
    try:
        response = http.get(
            meta.userinfo_endpoint,
            max_bytes=MAX_BYTES,
            timeout=TIMEOUT_SECONDS,
            headers={"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"},
        )
    except http.Unanswered as problem:
        raise FederationError("userinfo", str(problem), 502) from problem
    body = response.content
    media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
    try:
        if media_type == "application/jwt":
            info = _verified(body.decode("ascii"), meta).claims
            if info.get("iss", meta.issuer) != meta.issuer or info.get("aud", provider.client_id) not in (
                provider.client_id,
                [provider.client_id],
            ):
                raise FederationError("userinfo", "signed userinfo for another issuer or audience", 502)
        else:
            info = json.loads(body)
    except (ValueError, RecursionError) as problem:
        raise FederationError("userinfo", "not JSON", 502) from problem
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        raise FederationError("userinfo", "userinfo is not about the ID token's sub (OIDC Core §5.3.2)", 502)
    return info


def identity_of(info: dict) -> dict:
    """The pivot identity and contact claims asserted; :class:`FederationError` if invalid."""
    identity = {name: info.get(name) for name in PIVOT_CLAIMS}
    problems = identity_problems(identity)
    email = info.get("email")
    if not isinstance(email, str) or not EMAIL.fullmatch(email) or len(email) > 255:
        problems.append("email is missing or malformed")
    if problems:
        raise FederationError("identity", "; ".join(problems))
    identity["email"] = email
    preferred = info.get("preferred_username")
    if isinstance(preferred, str) and 0 < len(preferred) <= 255:
        identity["preferred_username"] = preferred
    return identity


def complete(provider: IdentityProvider, args, pending: Pending) -> Assertion:
    """The checked answer of the provider to ``pending`` (the callback's query ``args``)."""
    try:
        meta = metadata(provider)
    except ProviderUnavailable as problem:
        raise FederationError("unavailable", str(problem), 502) from problem
    code = _check_response(meta, args, pending)
    token = _token(provider, meta, code, pending)
    claims = _id_token_claims(provider, meta, token["id_token"], pending.nonce)
    acr = _acr(provider, claims, pending.acr)
    identity = identity_of(_userinfo(provider, meta, token, claims))
    amr = claims.get("amr")
    amr = [item for item in amr if isinstance(item, str)] if isinstance(amr, list) else []
    return Assertion(identity=identity, acr=acr, amr=amr, id_token=token["id_token"])
