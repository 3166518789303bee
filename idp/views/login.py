"""The sign-in page of the local identity store, reached from /authorize (or /login?next=/account).

Form contract (DESIGN.md): the form posts ``username`` and ``password`` with ``csrf_token``.
"""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import ngettext

from idp.citizens import throttle
from idp.citizens.passwords import hash_password, needs_rehash, verify_password
from idp.citizens.sessions import start_login
from idp.clients.lookup import find_client
from idp.extensions import db
from idp.i18n import SESSION_LANGUAGE_KEY
from idp.models import User
from idp.oauth2.authorize import local_login_acr
from idp.views.pending import PENDING_KEY, current_pending
from idp.views.redirects import safe_local_path

bp = Blueprint("login", __name__)

#: Session entries carried across the renewal at sign-in (everything else is dropped): the
#: pending authorization request, the chosen language, and the built-in demo relying party's
#: pending flow (it lives on this origin, so it shares this cookie).
KEPT_ACROSS_SIGN_IN = (PENDING_KEY, SESSION_LANGUAGE_KEY, "demo_flow")
MAX_USERNAME_LENGTH = 255


def _sign_in(user: User) -> None:
    """Start a new session (fixation defence) keeping only :data:`KEPT_ACROSS_SIGN_IN`."""
    kept = {key: session[key] for key in KEPT_ACROSS_SIGN_IN if key in session}
    start_login(user, acr=local_login_acr(), amr=["pwd"])
    session.update(kept)


def _login_page(client, username: str, status: int = 200, error: str | None = None, retry_after: int = 0):
    retry_minutes = math.ceil(retry_after / 60)
    retry_message = ngettext(
        "Vous pourrez réessayer dans %(num)d minute.",
        "Vous pourrez réessayer dans %(num)d minutes.",
        retry_minutes,
    )
    page = render_template(
        "login.html", client=client, username=username, error=error, retry_message=retry_message
    )
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return page, status, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    interaction = current_pending()
    client = find_client(interaction["client_id"]) if interaction else None
    hint = (interaction or {}).get("params", {}).get("login_hint", "")
    username = request.form.get("username", "")[:MAX_USERNAME_LENGTH] or hint
    if request.method == "GET":
        return _login_page(client, username)

    counters = throttle.counters_for(username)
    lock_end = throttle.locked_until(counters)
    if lock_end is None:
        user = db.session.scalar(db.select(User).where(User.username == username)) if username else None
        password = request.form.get("password", "")
        if verify_password(user.password_hash if user else None, password) and user:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            throttle.record_success(counters.account)
            _sign_in(user)
            if interaction:
                return redirect(interaction["return_to"], code=303)
            return redirect(safe_local_path(request.args.get("next")) or url_for("account.index"), code=303)
        lock_end = throttle.record_failure(counters)
        if lock_end is None:
            return _login_page(client, username, 401, "invalid_credentials")
    retry_after = throttle.retry_after_seconds(lock_end)
    return _login_page(client, username, 429, "too_many_attempts", retry_after)
