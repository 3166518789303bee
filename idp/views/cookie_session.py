"""Flask's signed-cookie session, minus its per-request setup when there is no session.

Flask builds an itsdangerous serializer (key derivation included) on every request, and
computes every cookie setting on the way out, even for machine requests (``/userinfo``,
``/revoke``, the webhooks, and whatever the lean path of :mod:`idp.hotpath` leaves to
Flask), which never carry a session cookie. The answers are unchanged: a request without
the cookie gets a new empty session, and an empty session that was neither read nor
modified sets no cookie and no ``Vary: Cookie``.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = LazyCookieSessionInterface()
