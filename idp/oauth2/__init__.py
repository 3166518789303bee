"""OAuth 2.0 and OpenID Connect: one module per specification, wired per app."""

from flask import Flask, current_app

from idp.oauth2.server import AuthorizationServer, build_authorization_server


def init_oauth2(app: Flask) -> None:
    """Build a fresh Authlib server for this app (never a module-level singleton)."""
    app.extensions["authorization_server"] = build_authorization_server(app)


def authorization_server() -> AuthorizationServer:
    return current_app.extensions["authorization_server"]
