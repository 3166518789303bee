"""idp: an OpenID Connect provider for French public online services."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build an application: load configuration, bind extensions, register blueprints.

    ``overrides`` may carry ``INSTANCE_PATH`` (where the embedded database and generated
    secrets live) and any setting of :mod:`idp.config`.
    """
    overrides = dict(overrides or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("IDP_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path and os.path.abspath(instance_path))

    from idp import config

    config.load_config(app, overrides)

    from idp import bodies, cli, database, errors, hotpath, security_headers
    from idp.extensions import babel, csrf, db, migrate
    from idp.i18n import current_language, select_locale
    from idp.oauth2 import init_oauth2
    from idp.observability import audit_trail
    from idp.observability import requests as observed_requests
    from idp.views import cookie_session

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"), render_as_batch=True
    )
    cookie_session.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    database.init_app(app)
    bodies.init_app(app)
    init_oauth2(app)
    register_blueprints(app)
    errors.init_app(app)
    security_headers.init_app(app)
    cli.init_app(app)
    app.jinja_env.globals["current_language"] = current_language
    hotpath.install(app)
    if app.config["TRUSTED_PROXIES"]:
        # Client addresses and scheme from the trusted proxies' X-Forwarded-For and
        # X-Forwarded-Proto (Werkzeug's ProxyFix), in front of both adapters.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    # Outermost: the request id, log line and metrics of every request, both adapters.
    observed_requests.install(app)
    audit_trail.install()
    return app


def register_blueprints(app: Flask) -> None:
    """Every blueprint: the Flask views (:mod:`idp.views`) and the features' own views."""
    from idp.views import RowIdConverter

    app.url_map.converters["row_id"] = RowIdConverter
    from idp.datapass import views as datapass
    from idp.demo import views as demo
    from idp.demo.data_provider import views as demo_provider
    from idp.observability import views as observability
    from idp.views import (
        account,
        api,
        authorize,
        consent,
        discovery,
        home,
        identity_providers,
        language,
        login,
        logout,
        oauth,
    )

    for module in (
        home, discovery, oauth, authorize, identity_providers, login, consent, logout, account, language, api,
        datapass, demo, demo_provider, observability,
    ):  # fmt: skip
        app.register_blueprint(module.bp)
