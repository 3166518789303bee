"""/authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2): GET and form POST.

Errors go back to the client by redirect only once its ``client_id`` and ``redirect_uri``
are known to be valid (RFC 6749 §4.1.2.1); otherwise the citizen sees an error page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from idp.citizens.sessions import current_login
from idp.extensions import csrf
from idp.oauth2 import authorization_server
from idp.oauth2.interaction import (
    INTERACTION_KEY,
    PARAMETER_CHECKS,
    AuthorizationContext,
    check_acr_satisfiable,
    consent_needed,
    current_interaction,
    login_needed,
    prompt_none_error,
)

bp = Blueprint("authorize", __name__)
csrf.exempt(bp)  # the request comes from the relying party; it changes nothing by itself


def authorization_error(error: OAuth2Error, state: str | None):
    """Redirect with ``error``, ``state`` and ``iss`` (RFC 9207 §2) or render a page."""
    if error.redirect_uri:
        params = [("error", error.error)]
        if error.description:
            params.append(("error_description", error.description))
        if state:
            params.append(("state", state))
        params.append(("iss", current_app.config["ISSUER"]))
        return redirect(add_params_to_uri(error.redirect_uri, params), code=302)
    page = render_template("error.html", error=error.error, description=error.description)
    return page, 400


def _single_valued_params() -> dict[str, str]:
    """RFC 6749 §3.1: parameters sent more than once are an error."""
    repeated = [key for key, values in request.values.lists() if len(values) > 1]
    if repeated:
        raise InvalidRequestError(f"parameter repeated: {', '.join(sorted(repeated))}")
    return {key: value for key, value in request.values.items() if value != ""}


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    server = authorization_server()
    login = current_login()
    user = login.user if login else None
    state = request.values.get("state")
    try:
        params = _single_valued_params()
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return authorization_error(error, state)

    ctx = AuthorizationContext(grant=grant, params=params, login=login)
    ctx.interaction = current_interaction(params)
    try:
        for check in PARAMETER_CHECKS:
            check(ctx)
        check_acr_satisfiable(ctx)
        if ctx.interaction.get("denied"):
            session.pop(INTERACTION_KEY, None)
            return server.create_authorization_response(grant=grant, grant_user=None)
        if login_needed(ctx):
            if "none" in ctx.prompts:
                raise prompt_none_error(ctx, "login")
            return _interact(ctx, "login.login")
        consent = consent_needed(ctx, user.id)
        if consent is None:
            if "none" in ctx.prompts:
                raise prompt_none_error(ctx, "consent")
            return _interact(ctx, "login.consent")
    except OAuth2Error as error:
        return authorization_error(error, state)

    session.pop(INTERACTION_KEY, None)
    grant.request.interaction = {"login": login, "consent": consent}
    return server.create_authorization_response(grant=grant, grant_user=user)


def _interact(ctx: AuthorizationContext, endpoint: str):
    """Remember this request in the session and send the citizen to sign in or consent."""
    ctx.interaction["client_id"] = ctx.grant.client.client_id
    ctx.interaction["scope"] = ctx.grant.request.scope
    ctx.interaction["return_to"] = url_for("authorize.authorize") + "?" + urlencode(ctx.params)
    session[INTERACTION_KEY] = ctx.interaction
    return redirect(url_for(endpoint), code=303)
