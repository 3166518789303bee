"""Blueprints, named by resource. Views parse input, call a service, render the result."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from idp import i18n
    from idp.datapass import views as datapass
    from idp.demo import views as demo
    from idp.demo.data_provider import views as demo_provider
    from idp.registry import api
    from idp.views import account, authorize, data_providers, discovery, login, logout, token

    for module in (
        discovery, authorize, token, login, logout, demo, data_providers, api, datapass, account, i18n,
        demo_provider,
    ):
        app.register_blueprint(module.bp)
