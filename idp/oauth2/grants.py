"""Grant types (RFC 6749 §4.1, §4.4, §6), Authlib subclasses keeping upstream names."""

from __future__ import annotations

import secrets
from datetime import timedelta

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7636 import CodeChallenge as _CodeChallenge
from flask import current_app
from sqlalchemy import bindparam, update

from idp.citizens.history import connection_record
from idp.database import writes
from idp.extensions import db
from idp.mail.connection_notice import compose_alert, send_alert
from idp.models import ConnectionEvent, Consent, RefreshToken, utcnow
from idp.oauth2 import tokens
from idp.oauth2.client_auth import CONFIDENTIAL_METHODS, METHODS_BY_ENDPOINT
from idp.oauth2.codes import claim_code, store_code
from idp.oauth2.scope_policy import enforce_machine_scope, enforce_requested_scope, still_allowed
from idp.oauth2.tokens import GrantContext, hash_token, revoke_grant

_REFRESH_TOKENS = RefreshToken.__table__
_CLAIM_REFRESH_TOKEN = (
    update(_REFRESH_TOKENS)
    .where(_REFRESH_TOKENS.c.id == bindparam("row_id"), _REFRESH_TOKENS.c.used_at.is_(None))
    .values(used_at=bindparam("claimed_at"))
    .returning(_REFRESH_TOKENS.c.id)
)


def claim_refresh_token(row_id: int) -> bool:
    """Set ``used_at`` on an unused refresh token in a single UPDATE, committed at once (as a
    code's claim, :mod:`idp.oauth2.codes`); False when it was already used.

    Single use across workers and instances (RFC 9700 §4.14.2): of two concurrent claims,
    exactly one updates the row.
    """
    (claimed,) = writes.transaction((_CLAIM_REFRESH_TOKEN, {"row_id": row_id, "claimed_at": utcnow()}))
    return claimed is not None


def _asks_for_amr(request) -> bool:
    """FranceConnect releases ``amr`` only to a service that asks for it: the ``amr`` scope,
    or the claim in the ``claims`` parameter (:mod:`idp.oauth2.claims_request`). The code
    keeps it only then, and the ID token carries what the code keeps."""
    return "amr" in request.scope.split() or request.claims_request.asks_for("amr")


class IdpGrantMixin:
    """What every grant here shares: the registry's scope rules and the tokens' context.

    Authlib's token generator (``register_token_generator``) is called without the request,
    and the tokens need what the request carries (the code's ``auth_time`` and ``acr``, its
    grant and consent), so the grant calls :func:`idp.oauth2.tokens.issue_tokens` itself.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = METHODS_BY_ENDPOINT["token"]

    def validate_requested_scope(self):
        """RFC 6749 §3.3 against the registry and the client's habilitations."""
        self.request.scope = enforce_requested_scope(self.request.client, self.request.payload.scope)

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ):
        return tokens.issue_tokens(
            self.request, user=user, scope=scope, include_refresh_token=include_refresh_token
        )


class CodeChallenge(_CodeChallenge):
    """PKCE (RFC 7636) required for every client, S256 only (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - upstream attribute

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("code_challenge is required (PKCE, RFC 7636)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)
        if len(data["code_challenge"]) != 43:
            raise InvalidRequestError("code_challenge must be a base64url SHA-256 (43 characters)")

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


class AuthorizationCodeGrant(IdpGrantMixin, grants.AuthorizationCodeGrant):
    _validated_redirect_uri: str | None = None

    def generate_authorization_code(self) -> str:
        """288 random bits, 48 base64url characters (RFC 6749 §10.10: a code cannot be
        guessed). Authlib's ``generate_token`` draws the same length one character at a
        time from ``SystemRandom``: 48 ``urandom`` calls, 0.1 ms of each ``/authorize``."""
        return secrets.token_urlsafe(36)

    def validate_authorization_request(self):
        """Validated once per request. Authlib's ``create_authorization_response`` validates
        the grant again after the consent step did (``get_consent_grant``): the same checks
        on the same request, and a second read of the client's version."""
        if self._validated_redirect_uri is None:
            self._validated_redirect_uri = super().validate_authorization_request()
        return self._validated_redirect_uri

    def save_authorization_code(self, code, request):
        interaction = request.interaction  # the sign-in and the consent (idp.oauth2.authorize)
        now = utcnow()
        connection = connection_record(request.client, interaction.login, request.scope)
        notice = compose_alert(ConnectionEvent(**connection), interaction.login.user, interaction.notified)
        store_code(
            {
                "code_hash": hash_token(code),
                "client_id": request.client.client_id,
                "user_id": interaction.login.user_id,
                "session_id": interaction.login.id,
                "consent_id": interaction.consent.id,
                "grant_id": secrets.token_urlsafe(24),
                "redirect_uri": request.payload.redirect_uri,
                "scope": request.scope,
                "nonce": request.payload.data.get("nonce"),
                "code_challenge": request.payload.data["code_challenge"],
                "code_challenge_method": request.payload.data["code_challenge_method"],
                "auth_time": interaction.login.auth_time,
                "acr": interaction.login.acr,
                "amr": interaction.login.amr if _asks_for_amr(request) else [],
                "created_at": now,
                "expires_at": now + timedelta(seconds=current_app.config["AUTHORIZATION_CODE_LIFETIME"]),
            },
            connection,
        )
        send_alert(notice)

    def query_authorization_code(self, code, client):
        """Single use, enforced atomically across workers (:func:`idp.oauth2.codes.claim_code`)."""
        if not isinstance(code, str) or len(code) > 512:
            return None
        return claim_code(code, client.client_id)

    def validate_token_request(self):
        if not self.request.payload.redirect_uri:
            # OAuth 2.0 §4.1.3: required when it was in the authorization request; we always
            # bind codes to a redirect URI, so it is always required.
            raise InvalidRequestError("redirect_uri is required")
        super().validate_token_request()
        code = self.request.authorization_code
        granted = still_allowed(self.request.client, code.scope)
        if set(granted) != set(code.scope.split()):
            raise InvalidScopeError(
                description="scope no longer allowed for this client: "
                + " ".join(sorted(set(code.scope.split()) - set(granted)))
            )
        self.request.grant = GrantContext(
            grant_id=code.grant_id,
            consent_id=code.consent_id,
            auth_time=code.get_auth_time(),
            acr=code.acr,
            amr=code.get_amr(),
        )

    def delete_authorization_code(self, authorization_code):
        """Nothing to do: the code was marked used when it was claimed."""

    def authenticate_user(self, authorization_code):
        return authorization_code.citizen  # read with the claim (idp.oauth2.codes)


class RefreshTokenGrant(IdpGrantMixin, grants.RefreshTokenGrant):
    """Refresh tokens rotate; presenting a used one revokes the family (RFC 9700 §4.14.2)."""

    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        if not isinstance(refresh_token, str) or len(refresh_token) > 512:
            return None
        row = db.session.scalar(
            db.select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token))
        )
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            return None
        if row.client_id != self.request.client.client_id:
            return None  # RFC 6749 §6: another client's token is refused, and not consumed
        if not claim_refresh_token(row.id):
            revoke_grant(row.grant_id)
            db.session.commit()
            return None
        return row

    def _validate_token_scope(self, token):
        """A narrower scope may be asked for; scopes no longer allowed are not renewed."""
        super()._validate_token_scope(token)
        requested = self.request.payload.scope
        if requested:
            enforce_requested_scope(self.request.client, requested)

    def issue_token(self, user, refresh_token):
        requested = self.request.payload.scope or refresh_token.scope
        scope = " ".join(still_allowed(self.request.client, requested))
        if "offline_access" not in scope.split():
            raise InvalidGrantError("offline_access is no longer allowed for this client")
        self.request.grant = GrantContext(
            grant_id=refresh_token.grant_id,
            consent_id=refresh_token.consent_id,
            auth_time=int(refresh_token.auth_time.timestamp()),
            acr=refresh_token.acr,
            amr=list(refresh_token.amr or []),
        )
        return self.generate_token(user=user, scope=scope, include_refresh_token=True)

    def authenticate_user(self, refresh_token):
        consent = db.session.get(Consent, refresh_token.consent_id) if refresh_token.consent_id else None
        if consent is not None and consent.revoked_at is not None:
            return None
        return refresh_token.user

    def revoke_old_credential(self, refresh_token):
        """Nothing to do: the old token was marked used when it was presented."""


class ClientCredentialsGrant(IdpGrantMixin, grants.ClientCredentialsGrant):
    """RFC 6749 §4.4, for the scopes the registry marks machine-usable only.

    The token names no citizen and carries no consent: a scope that describes a citizen's
    data is refused with ``invalid_scope`` naming it (DESIGN, "Machine tokens").
    """

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_METHODS

    def validate_requested_scope(self):
        super().validate_requested_scope()
        enforce_machine_scope(self.request.scope)
