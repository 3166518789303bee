"""``GET /authorize`` of a citizen already signed in and consented, answered in front of Flask.

Most authorization requests are a returning citizen's: signed in, a consent that covers
the request, nothing to show. Their answer is the code, and Flask's request machinery
(request context, cookie session, hooks, response object) was a fifth of that request's
cost (``python -m bench.profile flow``, ``bench/RESULTS.md``). So the lean path tries
them first, with the protocol's own code, as the view (:mod:`idp.views.authorize`) does:

- the session cookie is read with the application's own signing serializer, as Flask's
  session interface reads it (same key, salt and maximum age);
- the same :class:`~idp.oauth2.authorize.AuthorizationContext` is built, and the same
  :func:`idp.oauth2.authorize.authorize` decides;
- Authlib issues the code (``create_authorization_response``), as from the view.

It answers only when the answer is the code and the cookie session stays as it is. Every
other case goes to Flask untouched, which decides again from the start (nothing has been
written by then): no cookie or an invalid one, a pending request in the session (which
the view clears), a sign-in or a consent to give, an error (a redirect or a page), a
connection alert to send (its mark goes in the session), a database error.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Flask
from itsdangerous import BadSignature
from sqlalchemy.exc import DBAPIError
from werkzeug.http import parse_cookie

from idp.citizens.sessions import SESSION_KEY, sign_in_with_consents
from idp.database import rollback_request
from idp.hotpath.request import oauth_request
from idp.mail.connection_notice import alert_due, notified_services
from idp.oauth2 import authorization_server
from idp.oauth2.authorize import AuthorizationContext, authorize
from idp.oauth2.http import EndpointResponse
from idp.telemetry.context import note_client
from idp.views.pending import PENDING_KEY


class LeanAuthorize:
    """The code for a consented, signed-in citizen; None when Flask must answer."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.issuer = app.config["ISSUER"]
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.max_age = int(app.permanent_session_lifetime.total_seconds())

    def __call__(self, environ: dict) -> EndpointResponse | None:
        cookie_session = self._cookie_session(environ)
        if cookie_session is None or PENDING_KEY in cookie_session:
            return None
        with self.app.app_context():
            try:
                return self._code(environ, cookie_session)
            except (OAuth2Error, ValueError, DBAPIError):
                rollback_request()  # Flask meets it again and renders it
                return None

    def _cookie_session(self, environ: dict) -> dict | None:
        value = parse_cookie(environ).get(self.cookie_name)
        if not value:
            return None
        try:
            data = self.serializer.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def _code(self, environ: dict, cookie_session: dict) -> EndpointResponse | None:
        sid = cookie_session.get(SESSION_KEY)
        if not isinstance(sid, str):
            return None  # not signed in: Flask sends the citizen to sign in
        # No body accepted (limit 0: a GET with a form body is refused here, unread), so that
        # Flask, answering instead, finds the request whole.
        request = oauth_request(environ, self.issuer, 0)
        asked = request.payload.data.get("client_id")
        if not isinstance(asked, str):
            return None  # Flask shows the error
        login, consents = sign_in_with_consents(sid, asked)
        if login is None:
            return None
        notified = notified_services(cookie_session)
        ctx = AuthorizationContext(
            request=request, login=login, notified=notified, read_consents=(asked, consents)
        )
        if authorize(ctx) is not None or ctx.denied:
            return None
        client_id = ctx.grant.client.client_id
        if alert_due(client_id, login.user, notified):
            return None
        note_client(client_id)
        response = authorization_server().create_authorization_response(
            ctx.request, grant_user=login.user, grant=ctx.grant
        )
        response.headers.append(("Vary", "Cookie"))  # as Flask's, which read the session
        return response
