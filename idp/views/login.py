"""Sign-in and consent pages, reached from /authorize (and /login for the account page)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from idp.consents import record_consent
from idp.extensions import db
from idp.models import User
from idp.oauth2.clients import find_client
from idp.oauth2.interaction import INTERACTION_KEY, local_login_acr
from idp.passwords import verify_password
from idp.registry_store import registry
from idp.sessions import current_login, start_login
from scopes import consent_groups

bp = Blueprint("login", __name__)


def _interaction() -> dict | None:
    stored = session.get(INTERACTION_KEY)
    return stored if isinstance(stored, dict) and "return_to" in stored else None


def _safe_next(value: str | None) -> str:
    """Only local paths: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("login.login")


@bp.route("/login", methods=["GET", "POST"])
def login():
    interaction = _interaction()
    client = find_client(interaction["client_id"]) if interaction else None
    error = None
    username = request.form.get("username", "") or (interaction or {}).get("params", {}).get("login_hint", "")
    if request.method == "POST":
        password = request.form.get("password", "")
        user = db.session.scalar(db.select(User).where(User.username == username)) if username else None
        if verify_password(user.password_hash if user else None, password) and user is not None:
            start_login(user, acr=local_login_acr(), amr=["pwd"])
            if interaction:
                session[INTERACTION_KEY] = interaction  # survives the session renewal
                return redirect(interaction["return_to"], code=303)
            return redirect(_safe_next(request.args.get("next")), code=303)
        error = "invalid_credentials"
    status = 401 if error else 200
    return render_template("login.html", client=client, username=username, error=error), status


@bp.route("/consent", methods=["GET", "POST"])
def consent():
    interaction = _interaction()
    login = current_login()
    if interaction is None or login is None:
        abort(400, description="no_pending_request")
    client = find_client(interaction["client_id"])
    if client is None:
        abort(400, description="unknown_client")
    scope_keys = interaction["scope"].split()
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision == "accept":
            record_consent(login.user_id, client.client_id, scope_keys)
        elif decision == "deny":
            interaction["denied"] = True
            session[INTERACTION_KEY] = interaction
        else:
            abort(400, description="decision must be accept or deny")
        return redirect(interaction["return_to"], code=303)
    from idp.i18n import current_language

    groups = consent_groups(registry(), scope_keys, current_language())
    return render_template("consent.html", client=client, user=login.user, groups=groups)
