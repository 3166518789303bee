"""Citizens' sign-in sessions, stored in the database so that every instance shares them.

The cookie (Flask's signed session) carries only a random session id; the table keeps its
SHA-256, the user, ``auth_time``, ``acr`` and ``amr`` (OIDC Core §2).

Every ``/authorize`` of a signed-in citizen reads its sign-in: one indexed statement on the
thread's connection (:mod:`idp.database.reads`), the session, its citizen and the title of
the identity provider together (the connection history names it), into
read-only :class:`SignIn` and :class:`Citizen` values rather than ORM objects (whose identity
map and lazy loading cost more than the read itself, ``bench/RESULTS.md``). The lean
``/authorize`` (:mod:`idp.hotpath.authorize`) reads the citizen's consents to the service in
the same round trip (:func:`sign_in_with_consents`). A sign-in is committed before its
cookie is sent, so the read sees it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app, g, session
from sqlalchemy import bindparam, select, update

from idp.citizens.consents import ACTIVE_CONSENTS_OF_SIGN_IN
from idp.citizens.users import CITIZEN_COLUMNS, Citizen
from idp.database import reads
from idp.extensions import db
from idp.models import IdentityProvider, LoginSession, User, utcnow

SESSION_KEY = "sid"


@dataclass(frozen=True)
class SignIn:
    """A live sign-in: the row of :class:`~idp.models.LoginSession`, and its citizen."""

    id: str
    user_id: int
    auth_time: datetime
    acr: str
    amr: list
    identity_provider: str
    upstream_id_token: str | None
    #: The provider's title as the citizen knows it (None once the provider is deleted).
    identity_provider_title: str | None
    user: Citizen


_SIGN_IN_COLUMNS = [
    LoginSession.__table__.c[item.name]
    for item in fields(SignIn)
    if item.name not in ("identity_provider_title", "user")
]
_LIVE_SIGN_IN = (
    select(
        *_SIGN_IN_COLUMNS,
        IdentityProvider.title.label("identity_provider_title"),
        *(column.label("citizen_" + column.name) for column in CITIZEN_COLUMNS),
    )
    .join_from(LoginSession, User, LoginSession.user_id == User.id)
    .outerjoin(IdentityProvider, IdentityProvider.name == LoginSession.identity_provider)
    .where(
        LoginSession.id == bindparam("id"),
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > bindparam("now"),
    )
)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def sign_in_of(sid: object) -> SignIn | None:
    """The live sign-in whose cookie carries ``sid``, or None (expired, revoked, unknown)."""
    if not isinstance(sid, str):
        return None
    return _sign_in(reads.first(_LIVE_SIGN_IN, {"id": _hash(sid), "now": utcnow()}))


def sign_in_with_consents(sid: object, client_id: str) -> tuple[SignIn | None, list]:
    """:func:`sign_in_of`, and its citizen's active consents to ``client_id`` (newest first),
    in one round trip: what the ``/authorize`` of a returning citizen reads
    (:mod:`idp.hotpath.authorize`). No sign-in, no consents."""
    if not isinstance(sid, str):
        return None, []
    hashed = _hash(sid)
    row, consents = reads.rows_of_each(
        [
            (_LIVE_SIGN_IN, {"id": hashed, "now": utcnow()}, False),
            (ACTIVE_CONSENTS_OF_SIGN_IN, {"id": hashed, "client_id": client_id}, True),
        ]
    )
    login = _sign_in(row)
    return login, consents if login is not None else []


def _sign_in(row) -> SignIn | None:
    if row is None:
        return None
    values = row._asdict()
    citizen = Citizen(**{column.name: values.pop("citizen_" + column.name) for column in CITIZEN_COLUMNS})
    return SignIn(**values, user=citizen)


def current_login() -> SignIn | None:
    """The live sign-in of this browser (Flask's session cookie), or None."""
    if "login_session" not in g:
        g.login_session = sign_in_of(session.get(SESSION_KEY))
    return g.login_session


def start_login(
    user: User,
    acr: str,
    amr: list[str],
    identity_provider: str = "local",
    upstream_id_token: str | None = None,
) -> SignIn:
    """Sign a user in. The session is renewed: old cookie data is dropped (fixation).

    ``identity_provider`` is the provider the citizen signed in with, and
    ``upstream_id_token`` its ID token (to end the session there at logout).
    """
    end_login()
    session.clear()
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
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
    )
    db.session.commit()
    session[SESSION_KEY] = sid
    g.login_session = sign_in_of(sid)
    return g.login_session


def end_login() -> SignIn | None:
    """Sign out: revoke the server-side session and forget the cookie's id."""
    login = current_login()
    if login is not None:
        db.session.execute(
            update(LoginSession).where(LoginSession.id == login.id).values(revoked_at=utcnow())
        )
        db.session.commit()
    session.pop(SESSION_KEY, None)
    g.login_session = None
    return login
