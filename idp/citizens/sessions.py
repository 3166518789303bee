"""Citizens' sign-in sessions, stored in the database so that every instance shares them.

The cookie (Flask's signed session) carries only a random session id; the table keeps its
SHA-256, the user, ``auth_time``, ``acr`` and ``amr`` (OIDC Core §2).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, session

from idp.extensions import db
from idp.models import LoginSession, User, utcnow

SESSION_KEY = "sid"


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def current_login() -> LoginSession | None:
    """The live sign-in of this browser, or None (expired, revoked, unknown)."""
    if "login_session" in g:
        return g.login_session
    sid = session.get(SESSION_KEY)
    login = None
    if isinstance(sid, str):
        login = db.session.get(LoginSession, _hash(sid))
        if login is not None and (login.revoked_at is not None or login.expires_at <= utcnow()):
            login = None
    g.login_session = login
    return login


def start_login(
    user: User,
    acr: str,
    amr: list[str],
    identity_provider: str = "local",
    upstream_id_token: str | None = None,
) -> LoginSession:
    """Sign a user in. The session is renewed: old cookie data is dropped (fixation).

    ``identity_provider`` is the provider the citizen signed in with, and
    ``upstream_id_token`` its ID token (to end the session there at logout).
    """
    end_login()
    session.clear()
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    login = LoginSession(
        id=_hash(sid),
        user_id=user.id,
        auth_time=now,
        acr=acr,
        amr=amr,
        identity_provider=identity_provider,
        upstream_id_token=upstream_id_token,
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["SESSION_LIFETIME"]),
    )
    db.session.add(login)
    db.session.commit()
    session[SESSION_KEY] = sid
    g.login_session = login
    return login


def end_login() -> LoginSession | None:
    """Sign out: revoke the server-side session and forget the cookie's id."""
    login = current_login()
    if login is not None:
        login.revoked_at = utcnow()
        db.session.commit()
    session.pop(SESSION_KEY, None)
    g.login_session = None
    return login
