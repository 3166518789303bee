"""/authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2): GET and form POST.

The protocol decides (:mod:`idp.oauth2.authorize`); this view keeps the pending request in
the session while the citizen signs in or consents, and renders what the protocol returns.
Errors go back to the client by redirect only once its ``client_id`` and ``redirect_uri``
are known to be valid (RFC 6749 §4.1.2.1); otherwise the citizen sees an error page.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, redirect, render_template, session, url_for

from idp.citizens.sessions import current_login
from idp.extensions import csrf
from idp.mail.connection_notice import notified_services
from idp.oauth2 import authorization_server
from idp.oauth2.authorize import AuthorizationContext, Step, required_acr
from idp.oauth2.authorize import authorize as authorize_request
from idp.oauth2.http import error_response, unrenderable_error
from idp.telemetry.context import note_client
from idp.views import pending as pending_requests
from idp.views.oauth import flask_response, oauth_request

bp = Blueprint("authorize", __name__)
csrf.exempt(bp)  # the request comes from the relying party; it changes nothing by itself

#: Where each step of the citizen is taken.
STEP_PAGES = {Step.SIGN_IN: "identity_providers.choose", Step.CONSENT: "consent.consent"}


def authorization_error(error: OAuth2Error):
    """Redirect with ``error``, ``state`` and ``iss`` (RFC 9207 §2), or render a page."""
    if error.redirect_uri:
        return flask_response(authorization_server().add_issuer(error_response(error)))
    page = render_template("error.html", error=error.error, description=error.description)
    return page, 400


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    ctx = AuthorizationContext(
        request=oauth_request(), login=current_login(), notified=notified_services(session)
    )
    pending = pending_requests.pending_for(ctx.params)
    ctx.started, ctx.denied = pending["started"], bool(pending.get("denied"))
    try:
        step = authorize_request(ctx)
    except OAuth2Error as error:
        return authorization_error(error)
    except ValueError as error:
        substitute = unrenderable_error(error)
        if substitute is None:
            raise
        return authorization_error(substitute)
    note_client(ctx.grant.client.client_id)  # a registered client, its redirect URI checked
    if step is not None:
        pending_requests.remember(
            pending, ctx.grant.client.client_id, ctx.grant.request.scope, required_acr(ctx)
        )
        return redirect(url_for(STEP_PAGES[step]), code=303)
    pending_requests.forget()
    user = None if ctx.denied else ctx.login.user
    response = authorization_server().create_authorization_response(
        ctx.request, grant_user=user, grant=ctx.grant
    )
    return flask_response(response)
