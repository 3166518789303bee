"""The identity providers a citizen may sign in with (FranceConnect's FI), as the operator
registers them, and which of them a service provider offers.

The built-in ``local`` provider is the local identity store (:mod:`idp.citizens.users`):
listed like the others, and disabled like them, but with no discovery and no secret; it
reaches ``IDP_LOCAL_LOGIN_ACR``. Every other provider is an OpenID provider we are a
relying party of (:mod:`idp.citizens.federation.flow`). Its secret at that provider is
stored sealed (:func:`keys.encrypt_secret`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

import keys
from idp.database import notifications, reads
from idp.extensions import db, per_app
from idp.models import Client, IdentityProvider
from idp.models.clients import EIDAS_LEVELS
from idp.paths import endpoint_url
from idp.telemetry.logs import audit

LOCAL = "local"
NAME = re.compile(r"[a-z][a-z0-9-]{1,31}")
#: What the hub asks an identity provider for: the pivot identity and the e-mail address.
DEFAULT_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry email"
#: RFC 7591 §2 methods we authenticate with at a provider's token endpoint.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: The columns' sizes (:class:`idp.models.IdentityProvider`).
MAX_URL_LENGTH = 2048
MAX_SCOPE_LENGTH = 1024


class ProviderError(ValueError):
    """An identity provider that cannot be registered or changed; the message says why."""


@dataclass
class ProviderSettings:
    """The options of ``idp identity-providers add|update``; None leaves a value unchanged."""

    title: str | None = None
    discovery_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    auth_method: str | None = None
    eidas_levels: list[str] | None = None
    scope: str | None = None
    active: bool | None = None
    hidden: bool | None = None


def callback_url(name: str) -> str:
    """Where the provider sends the citizen back: the redirect URI to register there."""
    return f"{current_app.config['ISSUER']}/identity-providers/{name}/callback"


def logged_out_url(name: str) -> str:
    """Where the provider returns after ending its session: its post-logout redirect URI."""
    return f"{current_app.config['ISSUER']}/identity-providers/{name}/logged-out"


def _check_url(url: str, field: str) -> str:
    if len(url) > MAX_URL_LENGTH:
        raise ProviderError(f"{field} must be at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
    if not parts.netloc or not secure or parts.fragment:
        raise ProviderError(f"{field} must be an https URL (http only on loopback), without fragment")
    return url


def _apply(provider: IdentityProvider, settings: ProviderSettings) -> None:
    if settings.title is not None:
        if not 0 < len(settings.title.strip()) <= 255:
            raise ProviderError("title must be 1 to 255 characters")
        provider.title = settings.title.strip()
    if provider.kind == LOCAL and any(
        getattr(settings, name) is not None
        for name in ("discovery_url", "client_id", "client_secret", "auth_method", "scope", "eidas_levels")
    ):
        raise ProviderError(
            "the local identity store has no discovery, client, scope or levels to set "
            "(its level is IDP_LOCAL_LOGIN_ACR)"
        )
    if settings.discovery_url is not None:
        provider.discovery_url = _check_url(settings.discovery_url, "discovery URL")
    if settings.client_id is not None:
        if not 0 < len(settings.client_id) <= 255 or not settings.client_id.isprintable():
            raise ProviderError("client id must be 1 to 255 printable characters")
        provider.client_id = settings.client_id
    if settings.auth_method is not None:
        if settings.auth_method not in AUTH_METHODS:
            raise ProviderError(f"auth method must be one of {', '.join(AUTH_METHODS)}")
        provider.auth_method = settings.auth_method
    if settings.client_secret is not None:
        if not settings.client_secret:
            raise ProviderError("client secret must not be empty")
        provider.encrypted_client_secret = keys.encrypt_secret(
            settings.client_secret, current_app.config["KEYS_PASSPHRASE"]
        )
    if settings.eidas_levels is not None:
        unknown = [level for level in settings.eidas_levels if level not in EIDAS_LEVELS]
        if unknown or not settings.eidas_levels:
            raise ProviderError(f"eIDAS levels must be among {', '.join(EIDAS_LEVELS)}")
        provider.eidas_levels = sorted(set(settings.eidas_levels), key=EIDAS_LEVELS.index)
    if settings.scope is not None:
        if "openid" not in settings.scope.split():
            raise ProviderError("scope must include openid")
        provider.scope = " ".join(dict.fromkeys(settings.scope.split()))
        if len(provider.scope) > MAX_SCOPE_LENGTH:
            raise ProviderError(f"scope must be at most {MAX_SCOPE_LENGTH} characters")
    for flag in ("active", "hidden"):
        if getattr(settings, flag) is not None:
            setattr(provider, flag, getattr(settings, flag))
    if provider.kind != LOCAL:
        if not (provider.discovery_url and provider.client_id):
            raise ProviderError("a provider needs --discovery-url and --client-id")
        if provider.auth_method == "private_key_jwt":
            if settings.client_secret is not None:
                raise ProviderError("private_key_jwt uses our signing keys: give no --client-secret")
            provider.encrypted_client_secret = None  # RFC 7523 §2.2: our signing keys authenticate
        elif provider.encrypted_client_secret is None:
            raise ProviderError(f"{provider.auth_method} needs --client-secret")


def add(name: str, settings: ProviderSettings) -> IdentityProvider:
    if not NAME.fullmatch(name):
        raise ProviderError("name must match ^[a-z][a-z0-9-]{1,31}$")
    if db.session.get(IdentityProvider, name) is not None:
        raise ProviderError(f"identity provider {name} already exists")
    last = db.session.scalar(db.select(db.func.max(IdentityProvider.position))) or 0
    provider = IdentityProvider(
        name=name,
        kind="oidc",
        auth_method="client_secret_basic",
        eidas_levels=["eidas1"],
        scope=DEFAULT_SCOPE,
        active=True,
        hidden=False,
        position=last + 1,
    )
    if settings.title is None:
        raise ProviderError("--title is required")
    _apply(provider, settings)
    db.session.add(provider)
    db.session.commit()
    audit("identity_provider_added", name=name, active=provider.active)
    return provider


def find(name: object) -> IdentityProvider | None:
    return db.session.get(IdentityProvider, name) if isinstance(name, str) and NAME.fullmatch(name) else None


def get(name: str) -> IdentityProvider:
    provider = find(name)
    if provider is None:
        raise ProviderError(f"unknown identity provider: {name}")
    return provider


def update(name: str, settings: ProviderSettings) -> IdentityProvider:
    provider = get(name)
    _apply(provider, settings)
    db.session.commit()
    audit("identity_provider_updated", name=name, active=provider.active, hidden=provider.hidden)
    return provider


def delete(name: str) -> None:
    provider = get(name)
    if provider.kind == LOCAL:
        raise ProviderError("the local identity store is built in: disable it instead")
    filtering = _filtering(name)
    if filtering:
        raise ProviderError(
            f"identity provider {name} is named by the identity-provider filter of "
            f"{', '.join(filtering)}: change it first (idp clients update), or disable {name}"
        )
    db.session.delete(provider)
    db.session.commit()
    audit("identity_provider_deleted", name=name)


def _filtering(name: str) -> list[str]:
    """The services whose filter names the provider: deleting it would leave a dangling name
    (an allow-list of it alone would offer nothing, and a provider added again under that
    name would inherit the filter)."""
    rows = db.session.execute(
        db.select(Client.client_id, Client.identity_provider_filter)
        .where(Client.identity_provider_filter.is_not(None))
        .order_by(Client.client_id)
    )
    return [client_id for client_id, listed in rows if isinstance(listed, list) and name in listed]


def all_providers() -> list[IdentityProvider]:
    return list(
        db.session.scalars(
            db.select(IdentityProvider).order_by(IdentityProvider.position, IdentityProvider.name)
        )
    )


def levels(provider: IdentityProvider) -> list[str]:
    """The eIDAS levels the provider can reach; the local store's is ``IDP_LOCAL_LOGIN_ACR``."""
    return [current_app.config["LOCAL_LOGIN_ACR"]] if provider.kind == LOCAL else list(provider.eidas_levels)


def reaches(provider: IdentityProvider, level: str) -> bool:
    return any(EIDAS_LEVELS.index(reached) >= EIDAS_LEVELS.index(level) for reached in levels(provider))


def client_secret(provider: IdentityProvider) -> str | None:
    if provider.encrypted_client_secret is None:
        return None
    return keys.decrypt_secret(provider.encrypted_client_secret, current_app.config["KEYS_PASSPHRASE"])


def allowed_for(client: Client, provider: IdentityProvider) -> bool:
    """FranceConnect's ``idpFilterList``/``idpFilterExclude``: no list allows every provider;
    a list allows only those, or, when it excludes, all but those."""
    listed = client.identity_provider_filter
    if listed is None:
        return True
    return (provider.name in listed) != bool(client.identity_provider_filter_excludes)


def offered(client: Client, level: str) -> list[IdentityProvider]:
    """The providers this service offers its citizens at ``level``: active, allowed by its
    filter, and reaching the level (hidden ones included: they answer an ``idp_hint``)."""
    return [p for p in all_providers() if p.active and allowed_for(client, p) and reaches(p, level)]


_OFFER_COLUMNS = select(
    IdentityProvider.name, IdentityProvider.kind, IdentityProvider.eidas_levels, IdentityProvider.active
)


#: What :func:`offers_level` is read from (its changes are notified: migration 0008).
TABLES = notifications.tables("identity_providers")


@dataclass(frozen=True)
class _Offers:
    """The providers' rows as last read, and the change listener's stamp taken before."""

    rows: list
    stamp: int


def _offer_rows() -> list:
    """The four columns of every provider. Each process keeps the last rows it read, used
    while its change listener holds its lease and was told of no change to them since
    (:mod:`idp.database.notifications`, PostgreSQL): a change made anywhere is then seen
    within the notification's delay, as a client's is (:mod:`idp.clients.lookup`).
    Otherwise (SQLite, no listener) they are read again, on the thread's connection
    (:mod:`idp.database.reads`): plain rows, no ORM objects."""
    held: dict[str, _Offers] = per_app("idp_identity_provider_offers", lambda _app: {})
    changes = notifications.listener_of(current_app)
    kept = held.get("offers")
    if kept is not None and changes.unchanged_since(TABLES, kept.stamp):
        return kept.rows
    stamp = changes.stamp()
    rows = reads.all_rows(_OFFER_COLUMNS, {})
    held["offers"] = _Offers(rows, stamp)
    return rows


def offers_level(client: Client, level: str) -> bool:
    """Whether this service offers its citizens a provider reaching ``level`` (as
    :func:`offered`): asked at every ``/authorize`` (:func:`_offer_rows`)."""
    return any(row.active and allowed_for(client, row) and reaches(row, level) for row in _offer_rows())


def describe(provider: IdentityProvider) -> dict:
    """What an operator sees (never the secret)."""
    view = {
        "name": provider.name,
        "title": provider.title,
        "kind": provider.kind,
        "active": provider.active,
        "hidden": provider.hidden,
        "eidas_levels": levels(provider),
    }
    if provider.kind != LOCAL:
        view.update(
            discovery_url=provider.discovery_url,
            client_id=provider.client_id,
            auth_method=provider.auth_method,
            has_client_secret=provider.encrypted_client_secret is not None,
            scope=provider.scope,
            redirect_uri=callback_url(provider.name),
            post_logout_redirect_uri=logged_out_url(provider.name),
        )
        if provider.auth_method == "private_key_jwt":
            view["jwks_uri"] = endpoint_url("jwks_uri")  # where the provider finds our public keys
    return view
