"""OAuth clients: service providers, data providers and operators."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import ClientMixin

from idp.extensions import db
from idp.models.base import UTCDateTime, utcnow

#: The values of the client metadata columns, the one place each list is written.
ROLES = ("service-provider", "data-provider", "operator")
#: RFC 7591 §2 ``token_endpoint_auth_method`` values: RFC 6749 §2.3.1 secrets, RFC 7523
#: ``private_key_jwt`` (OIDC Core §9), and ``none`` for public clients.
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"
AUTH_METHODS = (*SECRET_AUTH_METHODS, PRIVATE_KEY_JWT, "none")
#: Authentication levels as ``acr`` values (OIDC Core §2): FranceConnect's names of the eIDAS
#: levels of assurance (Regulation (EU) No 910/2014, art. 8), lowest first.
EIDAS_LEVELS = ("eidas1", "eidas2", "eidas3")
#: ``id_token_signed_response_alg`` values (OIDC Registration §2); never ``none``.
ID_TOKEN_SIGNING_ALGS = ("RS256", "ES256")
#: ``userinfo_signed_response_alg`` (OIDC Registration §2) and FranceConnect's
#: ``checktoken_signed_response_alg`` (``data-provider-adapter-mongo.dto.ts``): our key ring's
#: algorithms; FranceConnect's ``HS256`` is not offered (a client secret is stored hashed).
RESPONSE_SIGNING_ALGS = ("ES256", "RS256")
#: What ``/checktoken`` is signed with when a data provider registered nothing: ES256, as
#: before this option existed.
DEFAULT_CHECKTOKEN_SIGNING_ALG = "ES256"
#: ``*_encrypted_response_alg`` key management algorithms (RFC 7518 §4.3, §4.6): exactly the
#: ones FranceConnect+ offers (``core-fcp-high/src/config/oidc-provider.ts``).
ENCRYPTION_ALGS = ("ECDH-ES", "RSA-OAEP", "RSA-OAEP-256")
#: ``*_encrypted_response_enc`` content encryption (RFC 7518 §5.3): FranceConnect's only
#: ``DekAlg``.
ENCRYPTION_ENCS = ("A256GCM",)
#: The ``prompt`` values (OIDC Core §3.1.2.1) a service may be allowed to send
#: (FranceConnect's ``allowedPrompts``); those ``idp.oauth2.authorize`` implements.
PROMPT_VALUES = ("none", "login", "consent")


def normalize_scope(scope: str | None) -> str:
    """Space-separated keys in first-seen order, each once (RFC 6749 §3.3)."""
    return " ".join(dict.fromkeys((scope or "").split()))


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy client secret (DESIGN: a KDF would cap throughput for no gain)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Client(db.Model, ClientMixin):
    """A registered client (RFC 7591 §2 metadata names where one exists)."""

    __tablename__ = "clients"

    id = sa.Column(sa.Integer, primary_key=True)
    client_id = sa.Column(sa.String(64), unique=True, nullable=False, index=True)
    client_secret_hash = sa.Column(sa.String(64))
    name = sa.Column(sa.String(255), nullable=False)
    role = sa.Column(sa.String(32), nullable=False, default="service-provider")
    namespace = sa.Column(sa.String(64), unique=True)
    redirect_uris = sa.Column(sa.JSON, nullable=False, default=list)
    post_logout_redirect_uris = sa.Column(sa.JSON, nullable=False, default=list)
    token_endpoint_auth_method = sa.Column(sa.String(32), nullable=False, default="client_secret_basic")
    jwks = sa.Column(sa.JSON)
    jwks_uri = sa.Column(sa.String(2048))
    id_token_signed_response_alg = sa.Column(sa.String(16), nullable=False, default="RS256")
    # Sector for pairwise subjects (OIDC Core §8.1); defaults to the client_id.
    sector_identifier = sa.Column(sa.String(255))
    # eIDAS level granted by the habilitation (eidas1..eidas3).
    eidas_level = sa.Column(sa.String(16), nullable=False, default="eidas1")
    # Effective allowed scopes, always recomputed from active habilitations + operator override.
    allowed_scopes = sa.Column(sa.JSON, nullable=False, default=list)
    # Operator override: scopes granted by hand on top of habilitations (clearly named).
    operator_scope_override = sa.Column(sa.JSON, nullable=False, default=list)
    # Identity providers offered to its citizens (FranceConnect's idpFilterList and
    # idpFilterExclude): None offers every one; a list offers only those, or all but those.
    identity_provider_filter = sa.Column(sa.JSON)
    identity_provider_filter_excludes = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    # Signed and encrypted answers (OIDC Registration §2; FranceConnect's checktoken_* for a
    # data provider's /checktoken): NULL is a plain JSON userinfo, a signed-only ID token, and
    # a /checktoken signed with DEFAULT_CHECKTOKEN_SIGNING_ALG, never encrypted.
    userinfo_signed_response_alg = sa.Column(sa.String(16))
    userinfo_encrypted_response_alg = sa.Column(sa.String(32))
    userinfo_encrypted_response_enc = sa.Column(sa.String(32))
    id_token_encrypted_response_alg = sa.Column(sa.String(32))
    id_token_encrypted_response_enc = sa.Column(sa.String(32))
    checktoken_signed_response_alg = sa.Column(sa.String(16))
    checktoken_encrypted_response_alg = sa.Column(sa.String(32))
    checktoken_encrypted_response_enc = sa.Column(sa.String(32))
    # A data provider's API (RFC 8707 §2 resource indicator), one per data provider.
    resource_uri = sa.Column(sa.String(2048), unique=True)
    # FranceConnect's allowedPrompts: the prompt values this service may send; NULL, any.
    allowed_prompts = sa.Column(sa.JSON)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    # --- Authlib ClientMixin -------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        """OIDC Core §3.1.2.1 makes ``redirect_uri`` required: there is never a default."""
        return None

    def get_allowed_scope(self, scope: str) -> str:
        """The requested scope, de-duplicated; it was already checked against the registry."""
        return normalize_scope(scope)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """RFC 9700 §4.1.3: simple string comparison, no pattern or prefix matching."""
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.client_secret_hash or not isinstance(client_secret, str):
            return False
        return hmac.compare_digest(self.client_secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """The registered method, at every endpoint but FranceConnect's ``/checktoken``.

        ``/checktoken`` takes ``client_id`` and ``client_secret`` as form fields
        (``client_secret_post``) from any data provider registered with a secret, as
        FranceConnect's does: existing data providers change nothing.
        """
        if endpoint == "checktoken":
            return method == "client_secret_post" and self.token_endpoint_auth_method in SECRET_AUTH_METHODS
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.role == "service-provider"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "authorization_code":
            return self.role == "service-provider"
        if grant_type == "refresh_token":
            return self.role == "service-provider" and "offline_access" in (self.allowed_scopes or [])
        if grant_type == "client_credentials":
            return self.token_endpoint_auth_method != "none"
        return False

    # --- helpers -------------------------------------------------------------------------
    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def sector(self) -> str:
        return self.sector_identifier or self.client_id

    def __repr__(self) -> str:
        return f"<Client {self.client_id} {self.name!r}>"


class ClientAssertionJti(db.Model):
    """Seen ``jti`` values of private_key_jwt assertions (RFC 7523 §3 item 7: no replay)."""

    __tablename__ = "client_assertion_jtis"

    client_id = sa.Column(sa.String(64), primary_key=True)
    jti = sa.Column(sa.String(255), primary_key=True)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)
