"""Configuration: documented defaults, then ``IDP_*`` environment variables, then validation.

Every setting can be overridden with an environment variable of the same name prefixed
with ``IDP_`` (``IDP_ISSUER``, ``IDP_DATABASE_URL``...). JSON values are decoded, so
``IDP_ACCESS_TOKEN_LIFETIME=120`` is an integer. Unsafe combinations fail at boot.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

#: Documented defaults. Lifetimes are in seconds.
DEFAULTS: dict[str, Any] = {
    # Public identifier of this provider (OIDC Discovery §3 ``issuer``); no trailing slash.
    "ISSUER": "http://127.0.0.1:5000",
    # SQLAlchemy URL. Empty means the embedded SQLite database under the instance folder.
    "DATABASE_URL": "",
    # Flask secret for signing the session cookie. Empty: generated and kept in the instance.
    "SECRET_KEY": "",
    # Passphrase encrypting the signing keys at rest. Empty: generated and kept in the instance.
    "KEYS_PASSPHRASE": "",
    # Comma-separated HMAC secrets accepted on /webhooks/datapass (several allow rotation).
    "DATAPASS_WEBHOOK_SECRETS": "",
    # Expected X-App-Environment header of DataPass deliveries (sandbox, staging, production).
    "DATAPASS_ENVIRONMENT": "",
    # RFC 6749 §4.1.2: codes must be short-lived; FranceConnect uses 60 s.
    "AUTHORIZATION_CODE_LIFETIME": 60,
    # RFC 9068 access tokens; FranceConnect uses 60 s.
    "ACCESS_TOKEN_LIFETIME": 60,
    "ID_TOKEN_LIFETIME": 60,
    "REFRESH_TOKEN_LIFETIME": 60 * 60 * 24 * 30,
    # How long a citizen's sign-in lasts before the login page is shown again.
    "SESSION_LIFETIME": 60 * 30,
    # How often a worker re-reads the signing keys from the database (rotation pickup).
    "KEYS_CACHE_SECONDS": 5,
    # How often a worker re-reads the scope registry definitions.
    "REGISTRY_CACHE_SECONDS": 5,
    # Salt for pairwise subject identifiers (OIDC Core §8.1). Empty: derived and kept.
    "PAIRWISE_SALT": "",
    # Largest request body accepted, in bytes (oversized input gets 413).
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # idp serve: seconds a client has to send a request's headers (and how long an idle
    # keep-alive connection is kept), then to send its body (408 and closed beyond).
    "HEADER_READ_TIMEOUT": 10,
    "BODY_READ_TIMEOUT": 10,
    # Sign-in throttling (idp.citizens.throttle): failures per window that hold one account
    # from one address, and one address; the account-wide count past which each failure
    # holds its (account, address) for a few seconds. Never a lock of the account itself.
    "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 20,
    "LOGIN_ACCOUNT_FRICTION_FAILURES": 10,
    "LOGIN_FRICTION_SECONDS": 10,
    "LOGIN_THROTTLE_WINDOW": 15 * 60,
    # Longest lifetime accepted on a private_key_jwt client assertion (RFC 7523 §3): its jti
    # is kept until then to refuse a replay.
    "CLIENT_ASSERTION_MAX_SECONDS": 300,
    # Reverse proxies in front of the server whose X-Forwarded-For and X-Forwarded-Proto
    # are believed (Werkzeug's ProxyFix). 0: the headers are ignored, the peer is the client.
    "TRUSTED_PROXIES": 0,
    # eIDAS level (acr) reached by the local password sign-in.
    "LOCAL_LOGIN_ACR": "eidas1",
    # Seconds the database may keep a request waiting: to connect, per statement (PostgreSQL's
    # statement_timeout, SQLite's busy_timeout), per round trip to a server that does not
    # answer at all (idp.database.bounds). Beyond: 503, after at most about twice this.
    "DATABASE_TIMEOUT": 2,
    # PostgreSQL: each process listens for the changes any instance makes to clients, keys
    # and the registry (LISTEN/NOTIFY, idp.database.notifications), and skips the per-request
    # version checks while it does. false: the version checks and the *_CACHE_SECONDS only.
    "CACHE_NOTIFICATIONS": True,
    # Answer the machine endpoints (idp.oauth2.endpoints) in front of Flask (idp.hotpath).
    # false: Flask answers everything (same results, slower).
    "LEAN_ENDPOINTS": True,
    # Access tokens: RFC 9068 JWTs ("jwt"), or random references ("opaque", as FranceConnect's)
    # that say nothing to whoever holds them; see the README on the privacy trade-off.
    "ACCESS_TOKEN_FORMAT": "jwt",
    # Per-client budget on /token, /introspect and /checktoken (idp.oauth2.rate_limits): a
    # `limits` rate string ("20000/second", several separated by ";"); empty: no limit.
    # REDIS_URL (redis://, rediss://, redis+unix://) shares the budget across instances;
    # empty: each worker process counts on its own.
    "CLIENT_RATE_LIMIT": "20000/second",
    "REDIS_URL": "",
    # Days a connection stays in the citizen's history (FranceConnect keeps six months).
    "CONNECTION_HISTORY_DAYS": 183,
    # Connection alerts by e-mail (idp.mail): sent only when SMTP_HOST is set. SMTP_SECURITY
    # is starttls (RFC 3207), tls (implicit, port 465) or none; MAIL_FROM empty means
    # ne-pas-repondre@ the issuer's host.
    "SMTP_HOST": "",
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_TIMEOUT": 10,
    "MAIL_FROM": "",
    # Log lines of the idp command (idp serve and the others): json (one object a line) or
    # text (idp.telemetry.logs).
    "LOG_FORMAT": "json",
    # Bearer token that GET /metrics requires on the main port (at least 32 characters);
    # empty: /metrics is a 404 there (idp serve --metrics-port serves it on a port of its own).
    "METRICS_TOKEN": "",
}

INT_SETTINGS = [key for key, value in DEFAULTS.items() if type(value) is int]
#: Integer settings for which 0 is meaningful; every other one must be positive.
ZERO_ALLOWED = frozenset({"TRUSTED_PROXIES"})
BOOL_SETTINGS = [key for key, value in DEFAULTS.items() if type(value) is bool]
SMTP_SECURITY_MODES = ("starttls", "tls", "none")
ACCESS_TOKEN_FORMATS = ("jwt", "opaque")
REDIS_SCHEMES = ("redis", "rediss", "redis+unix")
LOG_FORMATS = ("json", "text")


class ConfigurationError(RuntimeError):
    """Raised at boot when the configuration is unsafe or inconsistent."""


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Apply defaults, the ``IDP_*`` environment and explicit overrides, then validate."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("IDP")
    if overrides:
        app.config.update(overrides)
    _fill_embedded_defaults(app)
    validate_config(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["DATABASE_URL"], app.config["DATABASE_TIMEOUT"]
    )
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["ISSUER"].startswith("https://")
    app.config["SESSION_COOKIE_NAME"] = "idp_session"
    app.config["JSON_SORT_KEYS"] = False


def _instance_folder(app: Flask) -> Path:
    """The instance folder, created readable by its owner only (0700) when it is missing."""
    folder = Path(app.instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600), unless it exists.

    SQLite then opens it as a new database, and creates its ``-wal`` and ``-shm`` files with
    the database file's permissions.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _instance_secret(app: Flask, filename: str) -> str:
    """Read a generated secret from the instance folder, creating it on first use (0600)."""
    path = _instance_folder(app) / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _fill_embedded_defaults(app: Flask) -> None:
    """The embedded default needs no variable: secrets live in the instance folder."""
    config = app.config
    if not config["DATABASE_URL"]:
        database = _instance_folder(app) / "idp.sqlite3"
        _private_file(database)
        config["DATABASE_URL"] = f"sqlite:///{database}"
        config["EMBEDDED_DATABASE"] = True
    else:
        config.setdefault("EMBEDDED_DATABASE", False)
    for setting, filename in (
        ("SECRET_KEY", "secret_key"),
        ("KEYS_PASSPHRASE", "keys_passphrase"),
        ("PAIRWISE_SALT", "pairwise_salt"),
    ):
        if not config[setting]:
            config[setting] = _instance_secret(app, filename)
    config["ISSUER"] = str(config["ISSUER"]).rstrip("/")
    secrets_value = config["DATAPASS_WEBHOOK_SECRETS"]
    if isinstance(secrets_value, str):
        config["DATAPASS_WEBHOOK_SECRETS"] = [s.strip() for s in secrets_value.split(",") if s.strip()]


def validate_config(config: dict[str, Any]) -> None:
    """Fail fast on unsafe settings (the node-oidc-provider way)."""
    issuer = urlsplit(config["ISSUER"])
    if issuer.scheme not in ("http", "https") or not issuer.netloc:
        raise ConfigurationError(f"IDP_ISSUER must be an absolute http(s) URL, got {config['ISSUER']!r}")
    if issuer.query or issuer.fragment:
        raise ConfigurationError("IDP_ISSUER must not carry a query or fragment (OIDC Discovery §3)")
    if issuer.scheme == "http" and issuer.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigurationError("IDP_ISSUER must use https except on loopback")
    for key in INT_SETTINGS:
        try:
            config[key] = int(config[key])
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"IDP_{key} must be an integer") from exc
        if config[key] < 0 or (config[key] == 0 and key not in ZERO_ALLOWED):
            raise ConfigurationError(f"IDP_{key} must be positive")
    for key in BOOL_SETTINGS:
        if not isinstance(config[key], bool):
            raise ConfigurationError(f"IDP_{key} must be true or false")
    if config["HEADER_READ_TIMEOUT"] > 60:
        raise ConfigurationError("IDP_HEADER_READ_TIMEOUT must be at most 60 seconds (Granian's limit)")
    if config["AUTHORIZATION_CODE_LIFETIME"] > 600:
        raise ConfigurationError("IDP_AUTHORIZATION_CODE_LIFETIME above 600 s is unsafe (RFC 6749 §4.1.2)")
    if len(str(config["SECRET_KEY"])) < 32:
        raise ConfigurationError("IDP_SECRET_KEY must be at least 32 characters")
    if len(str(config["KEYS_PASSPHRASE"])) < 16:
        raise ConfigurationError("IDP_KEYS_PASSPHRASE must be at least 16 characters")
    if any(len(s) < 16 for s in config["DATAPASS_WEBHOOK_SECRETS"]):
        raise ConfigurationError("each IDP_DATAPASS_WEBHOOK_SECRETS entry must be at least 16 characters")
    if config["ACCESS_TOKEN_FORMAT"] not in ACCESS_TOKEN_FORMATS:
        raise ConfigurationError(f"IDP_ACCESS_TOKEN_FORMAT must be one of {', '.join(ACCESS_TOKEN_FORMATS)}")
    check_rate_limit_settings(config)
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigurationError(f"IDP_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    if config["METRICS_TOKEN"] and len(str(config["METRICS_TOKEN"])) < 32:
        raise ConfigurationError("IDP_METRICS_TOKEN must be at least 32 characters")
    if config["SMTP_SECURITY"] not in SMTP_SECURITY_MODES:
        raise ConfigurationError(f"IDP_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_MODES)}")
    if not config["MAIL_FROM"]:
        config["MAIL_FROM"] = f"ne-pas-repondre@{issuer.hostname}"


def check_rate_limit_settings(config: dict[str, Any]) -> None:
    """``CLIENT_RATE_LIMIT`` parses as `limits` rates; ``REDIS_URL`` is a Redis URL whose
    client library is installed (``pip install idp[redis]``)."""
    from limits import parse_many

    rate = str(config["CLIENT_RATE_LIMIT"])
    try:
        if rate:
            parse_many(rate)
    except ValueError as exc:
        raise ConfigurationError(
            f"IDP_CLIENT_RATE_LIMIT must be a rate such as 200/second, got {rate!r}"
        ) from exc
    url = str(config["REDIS_URL"])
    if url and urlsplit(url).scheme not in REDIS_SCHEMES:
        raise ConfigurationError("IDP_REDIS_URL must be a redis://, rediss:// or redis+unix:// URL")
    if url and importlib.util.find_spec("redis") is None:
        raise ConfigurationError("IDP_REDIS_URL needs the redis package: pip install 'idp[redis]'")


def engine_options(url: str, timeout: int) -> dict[str, Any]:
    """Connection settings, each wait bounded by ``timeout`` seconds (:mod:`idp.database.bounds`).

    SQLite waits that long on a lock, then fails. PostgreSQL pools; a connection is pinged
    at checkout (a restarted server costs no request), and waiting for a free one is
    bounded too.
    """
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": timeout, "check_same_thread": False}}
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": timeout,
    }
    if url.startswith("postgresql"):
        # libpq: connect_timeout has a floor of 2 s; statement_timeout is the server's own.
        options["connect_args"] = {
            "connect_timeout": max(2, timeout),
            "options": f"-c statement_timeout={timeout * 1000}",
        }
    return options
