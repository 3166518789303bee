"""The sign-in page of the local identity store, reached from /authorize (or /login?next=/account).

Form contract (DESIGN.md): the form posts ``username`` and ``password`` with ``csrf_token``.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import ngettext

from idp.citizens import throttle
from idp.citizens.federation import providers
from idp.citizens.federation.providers import LOCAL
from idp.citizens.passwords import hash_password, needs_rehash, verify_password
from idp.citizens.sessions import start_login
from idp.citizens.users import find_user
from idp.clients.lookup import find_client
from idp.extensions import db
from idp.i18n import SESSION_LANGUAGE_KEY
from idp.models import IdentityProvider, User
from idp.models.clients import EIDAS_LEVELS
from idp.oauth2.authorize import local_login_acr
from idp.views.pending import PENDING_KEY, current_pending
from idp.views.redirects import safe_local_path

bp = Blueprint("login", __name__)

#: Session entries carried across the renewal at sign-in (everything else is dropped): the
#: pending authorization request, the chosen language, and the built-in demo relying party's
#: pending flow (it lives on this origin, so it shares this cookie).
KEPT_ACROSS_SIGN_IN = (PENDING_KEY, SESSION_LANGUAGE_KEY, "demo_flow")
MAX_USERNAME_LENGTH = 255


def start_sign_in(
    user: User, acr: str, amr: list[str], provider: str = LOCAL, upstream_id_token: str | None = None
) -> None:
    """Start a new session (fixation defence) keeping only :data:`KEPT_ACROSS_SIGN_IN`."""
    kept = {key: session[key] for key in KEPT_ACROSS_SIGN_IN if key in session}
    start_login(user, acr=acr, amr=amr, identity_provider=provider, upstream_id_token=upstream_id_token)
    session.update(kept)


def local_store_offered() -> bool:
    """The built-in ``local`` provider is active, and offered to the pending service."""
    local = db.session.get(IdentityProvider, LOCAL)
    if local is None or not local.active:
        return False
    pending = current_pending()
    client = find_client(pending["client_id"]) if pending else None
    return client is None or local in providers.offered(client, pending.get("acr", EIDAS_LEVELS[0]))


def _retry_message(retry_after: int) -> str:
    if retry_after < 60:
        return ngettext(
            "Vous pourrez réessayer dans %(num)d seconde.",
            "Vous pourrez réessayer dans %(num)d secondes.",
            retry_after,
        )
    return ngettext(
        "Vous pourrez réessayer dans %(num)d minute.",
        "Vous pourrez réessayer dans %(num)d minutes.",
        math.ceil(retry_after / 60),
    )


def _login_page(client, username: str, status: int = 200, error: str | None = None, retry_after: int = 0):
    retry_message = _retry_message(retry_after)
    page = render_template(
        "login.html", client=client, username=username, error=error, retry_message=retry_message
    )
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return page, status, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not local_store_offered():
        abort(404, description="the local identity store is not offered here")
    interaction = current_pending()
    client = find_client(interaction["client_id"]) if interaction else None
    hint = (interaction or {}).get("params", {}).get("login_hint", "")
    username = request.form.get("username", "")[:MAX_USERNAME_LENGTH] or hint
    if request.method == "GET":
        return _login_page(client, username)

    attempt = throttle.attempt_for(username)
    held = throttle.held_until(attempt)
    if held is None:
        user = find_user(username)
        password = request.form.get("password", "")
        if verify_password(user.password_hash if user else None, password) and user:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            throttle.record_success(attempt)
            start_sign_in(user, local_login_acr(), ["pwd"])
            target = interaction["return_to"] if interaction else None
            response = redirect(
                target or safe_local_path(request.args.get("next")) or url_for("account.index"), 303
            )
            _remember_device(response, user.username)
            return response
        held = throttle.record_failure(attempt)
        if held is None:
            return _login_page(client, username, 401, "invalid_credentials")
    return _login_page(client, username, 429, "too_many_attempts", throttle.retry_after_seconds(held))


def _remember_device(response, username: str) -> None:
    """The device cookie (:mod:`idp.citizens.throttle`): HttpOnly, SameSite=Lax, Secure on https."""
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        throttle.device_cookie(username),
        max_age=throttle.DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
