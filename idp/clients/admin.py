"""Client management, shared by the CLI and the tests (RFC 7591 metadata rules)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from idp.clients.encryption_keys import KEY_CURVES, NoEncryptionKey, client_key_set, select_encryption_key
from idp.clients.lookup import find_client, generate_client_id, generate_client_secret
from idp.extensions import db
from idp.models import Client, IdentityProvider
from idp.models.clients import (
    AUTH_METHODS,
    EIDAS_LEVELS,
    ENCRYPTION_ALGS,
    ENCRYPTION_ENCS,
    ID_TOKEN_SIGNING_ALGS,
    PROMPT_VALUES,
    RESPONSE_SIGNING_ALGS,
    ROLES,
    SECRET_AUTH_METHODS,
    hash_secret,
)
from idp.registry.allowed import recompute
from idp.telemetry.logs import audit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
#: The answers a client may have signed or encrypted, each with its metadata (OIDC
#: Registration §2 ``userinfo_*`` and ``id_token_*``; FranceConnect's ``checktoken_*``).
ANSWERS = ("userinfo", "id_token", "checktoken")
#: Each of those metadata, the same name on the settings, the client and the CLI option,
#: with its values; ``""`` unsets one.
ANSWER_METADATA = {
    "userinfo_signed_response_alg": RESPONSE_SIGNING_ALGS,
    "userinfo_encrypted_response_alg": ENCRYPTION_ALGS,
    "userinfo_encrypted_response_enc": ENCRYPTION_ENCS,
    "id_token_encrypted_response_alg": ENCRYPTION_ALGS,
    "id_token_encrypted_response_enc": ENCRYPTION_ENCS,
    "checktoken_signed_response_alg": RESPONSE_SIGNING_ALGS,
    "checktoken_encrypted_response_alg": ENCRYPTION_ALGS,
    "checktoken_encrypted_response_enc": ENCRYPTION_ENCS,
}
#: Metadata only a data provider has: its ``/checktoken`` answers and its API's URL.
DATA_PROVIDER_METADATA = (
    "checktoken_signed_response_alg",
    "checktoken_encrypted_response_alg",
    "checktoken_encrypted_response_enc",
    "resource_uri",
)


class ClientConfigurationError(ValueError):
    """Invalid client metadata; the message names the field."""


@dataclass
class ClientSettings:
    """Every option of ``idp clients create|update``; None means "leave unchanged"."""

    name: str | None = None
    redirect_uris: list[str] | None = None
    post_logout_redirect_uris: list[str] | None = None
    auth_method: str | None = None
    jwks: dict | None = None
    jwks_uri: str | None = None
    role: str | None = None
    namespace: str | None = None
    id_token_alg: str | None = None
    eidas_level: str | None = None
    operator_scope_override: list[str] | None = None
    #: FranceConnect's ``idpFilterList``: only these identity providers (``[]``: no filter).
    identity_providers: list[str] | None = None
    #: FranceConnect's ``idpFilterExclude``: every identity provider but these.
    excluded_identity_providers: list[str] | None = None
    #: The signed and encrypted answers (:data:`ANSWER_METADATA`); ``""`` unsets one.
    userinfo_signed_response_alg: str | None = None
    userinfo_encrypted_response_alg: str | None = None
    userinfo_encrypted_response_enc: str | None = None
    id_token_encrypted_response_alg: str | None = None
    id_token_encrypted_response_enc: str | None = None
    checktoken_signed_response_alg: str | None = None
    checktoken_encrypted_response_alg: str | None = None
    checktoken_encrypted_response_enc: str | None = None
    #: A data provider's API, its RFC 8707 resource indicator (``""`` unsets it).
    resource_uri: str | None = None
    #: FranceConnect's ``allowedPrompts`` (``[]``: no restriction, as before).
    allowed_prompts: list[str] | None = None


def option(name: str) -> str:
    """The CLI option of a setting: ``resource_uri`` is ``--resource-uri``."""
    return "--" + name.replace("_", "-")


def validate_redirect_uri(uri: str, field_name: str = "redirect_uri") -> str:
    """RFC 9700 §2.1 / RFC 6749 §3.1.2: absolute, no fragment, https except on loopback."""
    parts = urlsplit(uri)
    if not parts.scheme or not parts.netloc:
        raise ClientConfigurationError(f"{field_name} must be an absolute URI: {uri}")
    if parts.fragment:
        raise ClientConfigurationError(f"{field_name} must not contain a fragment: {uri}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ClientConfigurationError(f"{field_name} must use https (http only on loopback): {uri}")
    if parts.scheme not in ("http", "https"):
        raise ClientConfigurationError(f"{field_name} must use https: {uri}")
    return uri


def _apply(client: Client, settings: ClientSettings) -> None:
    if settings.name is not None:
        if not settings.name.strip() or len(settings.name) > 255 or not settings.name.isprintable():
            raise ClientConfigurationError("name must be 1 to 255 printable characters (no line break)")
        client.name = settings.name.strip()
    if settings.role is not None:
        if settings.role not in ROLES:
            raise ClientConfigurationError(f"role must be one of {', '.join(ROLES)}")
        client.role = settings.role
    if settings.redirect_uris is not None:
        client.redirect_uris = [validate_redirect_uri(u) for u in settings.redirect_uris]
    if settings.post_logout_redirect_uris is not None:
        client.post_logout_redirect_uris = [
            validate_redirect_uri(u, "post_logout_redirect_uri") for u in settings.post_logout_redirect_uris
        ]
    if settings.auth_method is not None:
        if settings.auth_method not in AUTH_METHODS:
            raise ClientConfigurationError(f"auth method must be one of {', '.join(AUTH_METHODS)}")
        client.token_endpoint_auth_method = settings.auth_method
    if settings.jwks is not None:
        if not isinstance(settings.jwks, dict) or not isinstance(settings.jwks.get("keys"), list):
            raise ClientConfigurationError("jwks must be a JWK Set: an object with a 'keys' array")
        if any("d" in key for key in settings.jwks["keys"] if isinstance(key, dict)):
            raise ClientConfigurationError("jwks must hold public keys only")
        client.jwks, client.jwks_uri = settings.jwks, None
    if settings.jwks_uri is not None:
        if (
            urlsplit(settings.jwks_uri).scheme != "https"
            and urlsplit(settings.jwks_uri).hostname not in LOOPBACK_HOSTS
        ):
            raise ClientConfigurationError("jwks_uri must use https")
        client.jwks_uri, client.jwks = settings.jwks_uri, None
    if settings.namespace is not None:
        client.namespace = settings.namespace or None
    if settings.id_token_alg is not None:
        if settings.id_token_alg not in ID_TOKEN_SIGNING_ALGS:
            raise ClientConfigurationError(f"id token alg must be one of {', '.join(ID_TOKEN_SIGNING_ALGS)}")
        client.id_token_signed_response_alg = settings.id_token_alg
    if settings.eidas_level is not None:
        if settings.eidas_level not in EIDAS_LEVELS:
            raise ClientConfigurationError(f"eidas level must be one of {', '.join(EIDAS_LEVELS)}")
        client.eidas_level = settings.eidas_level
    if settings.operator_scope_override is not None:
        client.operator_scope_override = list(dict.fromkeys(settings.operator_scope_override))
    _apply_provider_filter(client, settings)
    _apply_answer_metadata(client, settings)
    if settings.resource_uri is not None:
        client.resource_uri = _resource_uri(settings.resource_uri) if settings.resource_uri else None
    if settings.allowed_prompts is not None:
        unknown = sorted(set(settings.allowed_prompts) - set(PROMPT_VALUES))
        if unknown:
            raise ClientConfigurationError(
                f"--allowed-prompts takes {', '.join(PROMPT_VALUES)}, not {', '.join(unknown)}"
            )
        client.allowed_prompts = list(dict.fromkeys(settings.allowed_prompts)) or None
    _check_consistency(client)
    _check_answers(client, settings)


def _apply_provider_filter(client: Client, settings: ClientSettings) -> None:
    """The identity providers offered to the service's citizens: a list of names to allow or
    to exclude (FranceConnect's ``idpFilterList`` with ``idpFilterExclude``); an empty list
    lifts the filter."""
    if settings.identity_providers is not None and settings.excluded_identity_providers is not None:
        raise ClientConfigurationError(
            "--identity-providers and --exclude-identity-providers cannot be combined"
        )
    names = settings.identity_providers
    excludes = names is None and settings.excluded_identity_providers is not None
    names = settings.excluded_identity_providers if excludes else names
    if names is None:
        return
    known = set(db.session.scalars(db.select(IdentityProvider.name)))
    unknown = sorted(set(names) - known)
    if unknown:
        raise ClientConfigurationError(f"unknown identity providers: {', '.join(unknown)}")
    client.identity_provider_filter = sorted(set(names)) or None
    client.identity_provider_filter_excludes = bool(names) and excludes


def _apply_answer_metadata(client: Client, settings: ClientSettings) -> None:
    for name, values in ANSWER_METADATA.items():
        value = getattr(settings, name)
        if value is None:
            continue
        if value and value not in values:
            raise ClientConfigurationError(f"{option(name)} must be one of {', '.join(values)}")
        setattr(client, name, value or None)


def _resource_uri(uri: str) -> str:
    """RFC 8707 §2: an absolute URI without a fragment (and, as it SHOULD, without a query);
    https except on loopback, as every URI we register."""
    validate_redirect_uri(uri, "resource_uri")
    if urlsplit(uri).query or len(uri) > 2048:
        raise ClientConfigurationError(f"resource_uri must have no query and at most 2048 characters: {uri}")
    return uri


def _check_answers(client: Client, settings: ClientSettings) -> None:
    """Each encrypted answer names its ``enc`` and has a key to encrypt to.

    OIDC Registration §2: an ``*_encrypted_response_enc`` needs its ``_alg``; without one,
    ``enc`` would default to A128CBC-HS256, which is not offered, so it is required too. A
    userinfo answer is signed before it is encrypted (a nested JWT, as FranceConnect's). The
    key is looked up now (a ``jwks_uri`` is fetched) whenever encryption or the keys change,
    so that a client never waits for an answer that cannot be encrypted.
    """
    for answer in ANSWERS:
        alg, enc = (getattr(client, f"{answer}_encrypted_response_{part}") for part in ("alg", "enc"))
        if bool(alg) != bool(enc):
            raise ClientConfigurationError(
                f"{option(answer)}-encrypted-response-alg and -enc go together "
                f"(enc: {', '.join(ENCRYPTION_ENCS)})"
            )
    if client.userinfo_encrypted_response_alg and not client.userinfo_signed_response_alg:
        raise ClientConfigurationError(
            "--userinfo-encrypted-response-alg needs --userinfo-signed-response-alg (signed, then encrypted)"
        )
    changed = settings.jwks is not None or settings.jwks_uri is not None
    changed = changed or any(getattr(settings, f"{answer}_encrypted_response_alg") for answer in ANSWERS)
    algs = {answer: getattr(client, f"{answer}_encrypted_response_alg") for answer in ANSWERS}
    if not changed or not any(algs.values()):
        return
    try:
        key_set = client_key_set(client)
    except NoEncryptionKey as missing:
        raise ClientConfigurationError(f"encrypted answers need the client's public key: {missing}") from None
    for answer, alg in algs.items():
        if alg and select_encryption_key(key_set, alg) is None:
            raise ClientConfigurationError(
                f"{option(answer)}-encrypted-response-alg {alg}: none of the client's keys can be "
                f"encrypted to (it needs a public {' or '.join(KEY_CURVES[alg])} key with use enc)"
            )


def _check_consistency(client: Client) -> None:
    if client.token_endpoint_auth_method == "private_key_jwt" and not (client.jwks or client.jwks_uri):
        raise ClientConfigurationError("private_key_jwt needs --jwks or --jwks-uri")
    if client.role == "data-provider" and not client.namespace:
        raise ClientConfigurationError("a data provider needs --namespace")
    if client.role != "data-provider" and client.namespace:
        raise ClientConfigurationError("only a data provider owns a namespace")
    if client.role != "data-provider":
        for name in DATA_PROVIDER_METADATA:
            if getattr(client, name):
                raise ClientConfigurationError(f"only a data provider has {option(name)}")
    if client.resource_uri:
        query = db.select(Client.client_id).where(Client.resource_uri == client.resource_uri)
        owner = db.session.scalar(query.where(Client.id != client.id) if client.id else query)
        if owner:
            raise ClientConfigurationError(f"resource_uri {client.resource_uri} already belongs to {owner}")
    if client.namespace:
        owner = db.session.scalar(
            db.select(Client.client_id).where(Client.namespace == client.namespace, Client.id != client.id)
            if client.id
            else db.select(Client.client_id).where(Client.namespace == client.namespace)
        )
        if owner:
            raise ClientConfigurationError(f"namespace {client.namespace} already belongs to {owner}")


def _issue_secret(client: Client) -> str | None:
    if client.token_endpoint_auth_method in SECRET_AUTH_METHODS:
        secret = generate_client_secret()
        client.client_secret_hash = hash_secret(secret)
        return secret
    client.client_secret_hash = None
    return None


def _new_client(settings: ClientSettings, client_id: str | None) -> Client:
    if not settings.name:
        raise ClientConfigurationError("--name is required")
    return Client(
        client_id=client_id or generate_client_id(),
        role="service-provider",
        token_endpoint_auth_method="client_secret_basic",
        redirect_uris=[],
        post_logout_redirect_uris=[],
        allowed_scopes=[],
        operator_scope_override=[],
        id_token_signed_response_alg="RS256",
        eidas_level="eidas1",
    )


def create_client(settings: ClientSettings, client_id: str | None = None) -> tuple[Client, str | None]:
    """Create a client; returns it and its secret (shown once, stored as SHA-256)."""
    client = _new_client(settings, client_id)
    _apply(client, settings)
    secret = _issue_secret(client)
    db.session.add(client)
    db.session.flush()
    recompute(client, reason="client created")
    db.session.commit()
    audit("client_created", client_id=client.client_id, role=client.role)
    return client, secret


def stage_client_without_credentials(settings: ClientSettings, client: Client | None = None) -> Client:
    """Create (``client`` None) or change a client in the caller's transaction, issuing no secret.

    DataPass provisioning creates a service provider before it has credentials; the caller
    commits and recomputes its allowed scopes. ``update_client`` (``idp clients update``) then
    issues the secret once a redirect URI is added; until then no secret authenticates.
    """
    client = client or _new_client(settings, None)
    _apply(client, settings)
    db.session.add(client)
    db.session.flush()
    return client


def get_client(client_id: str) -> Client:
    client = find_client(client_id)
    if client is None:
        raise ClientConfigurationError(f"unknown client: {client_id}")
    return client


def update_client(client_id: str, settings: ClientSettings) -> tuple[Client, str | None]:
    """Update metadata. Switching to a secret-based method issues a secret (returned once)."""
    client = get_client(client_id)
    had_secret = client.client_secret_hash is not None
    _apply(client, settings)
    secret = None
    needs_secret = client.token_endpoint_auth_method in SECRET_AUTH_METHODS
    if needs_secret != had_secret:
        secret = _issue_secret(client)
    recompute(client, reason="client updated by operator")
    db.session.commit()
    audit("client_updated", client_id=client.client_id, secret_issued=secret is not None)
    return client, secret


def rotate_secret(client_id: str) -> str:
    client = get_client(client_id)
    if client.token_endpoint_auth_method not in SECRET_AUTH_METHODS:
        raise ClientConfigurationError("this client does not authenticate with a secret")
    secret = _issue_secret(client)
    db.session.commit()
    audit("client_secret_rotated", client_id=client.client_id)
    return secret


def delete_client(client_id: str) -> None:
    db.session.delete(get_client(client_id))
    db.session.commit()
    audit("client_deleted", client_id=client_id)


def describe(client: Client) -> dict:
    """Public view of a client (never the secret or its hash)."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "role": client.role,
        "namespace": client.namespace,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "jwks_uri": client.jwks_uri,
        "has_jwks": client.jwks is not None,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "eidas_level": client.eidas_level,
        "allowed_scopes": client.allowed_scopes,
        "operator_scope_override": client.operator_scope_override,
        "has_secret": client.client_secret_hash is not None,
        **_provider_filter(client),
        **{name: getattr(client, name) for name in ANSWER_METADATA},
        "resource_uri": client.resource_uri,
        "allowed_prompts": client.allowed_prompts,
    }


def _provider_filter(client: Client) -> dict:
    listed, excludes = client.identity_provider_filter, client.identity_provider_filter_excludes
    return {
        "identity_providers": None if excludes else listed,
        "excluded_identity_providers": listed if excludes else None,
    }
