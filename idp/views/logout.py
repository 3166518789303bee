"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2 and §3), chained to the
identity provider the citizen signed in with (:mod:`idp.citizens.federation.logout`)."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from flask import Blueprint, redirect, render_template, request

from idp.citizens.federation import logout as federated_logout
from idp.citizens.sessions import current_login
from idp.oauth2.logout import LogoutRequestError, end_session, parse_logout_request

bp = Blueprint("logout", __name__)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    try:
        logout_request = parse_logout_request(request.values)
    except LogoutRequestError as error:
        return render_template("error.html", error="invalid_request", description=str(error)), 400
    login = current_login()
    confirmed = request.method == "POST" and request.form.get("confirm") == "yes"
    hinted_user_matches = login is not None and logout_request.matches(login.user)
    if login is not None and not (confirmed or hinted_user_matches):
        # Without a valid id_token_hint for this user, ask before signing out (§2).
        return render_template("logout_confirm.html", params=request.values)
    end_session(login)
    then = None
    if logout_request.post_logout_redirect_uri:
        params = [("state", logout_request.state)] if logout_request.state else []
        then = add_params_to_uri(logout_request.post_logout_redirect_uri, params)
    upstream = federated_logout.chain(login, then)
    if upstream is not None:
        return redirect(upstream, code=303)
    return redirect(then, code=303) if then else render_template("logged_out.html")
