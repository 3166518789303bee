"""The ``/authorize`` of a returning citizen reads the sign-in and its citizen's consents to
the service in one round trip (idp.citizens.sessions.sign_in_with_consents, on SQLite and
PostgreSQL: idp.database.reads.rows_of_each); these are the rows it must find."""

from __future__ import annotations

from datetime import timedelta

from flask import session

from idp.citizens.consents import record_consent, withdraw_consent
from idp.citizens.sessions import SESSION_KEY, sign_in_with_consents, start_login
from idp.citizens.users import create_user
from idp.extensions import db
from idp.models import LoginSession, User, utcnow


def _other_citizen() -> User:
    return create_user(
        username="dominique",
        password="another long passphrase",
        given_name="Dominique",
        family_name="Martin",
        birthdate="1985-06-15",
        gender="male",
        birthplace="75056",
        birthcountry="99100",
        email="dominique@example.fr",
    )


def _signed_in(app, user) -> str:
    with app.test_request_context("/"):
        start_login(user, "eidas1", ["pwd"])
        return session[SESSION_KEY]


def _user(username: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == username))


def test_the_sign_in_comes_with_its_citizens_active_consents_to_that_service_newest_first(app, citizen):
    with app.app_context():
        user = _user(citizen)
        sid = _signed_in(app, user)
        older = record_consent(user.id, "fs-a", ["openid", "given_name"])
        older.granted_at = utcnow() - timedelta(days=2)
        db.session.commit()
        newer = record_consent(user.id, "fs-a", ["openid", "family_name"])
        withdrawn = record_consent(user.id, "fs-a", ["openid", "email"])
        assert withdraw_consent(user.id, withdrawn.id)
        record_consent(user.id, "fs-b", ["openid"])  # another service
        record_consent(_other_citizen().id, "fs-a", ["openid"])  # another citizen
        expected = [newer.id, older.id]

        login, consents = sign_in_with_consents(sid, "fs-a")

        assert login is not None and login.user_id == user.id
        assert [row.id for row in consents] == expected
        assert consents[0].scope == "family_name openid"


def test_no_live_sign_in_no_consents(app, citizen):
    with app.app_context():
        user = _user(citizen)
        sid = _signed_in(app, user)
        record_consent(user.id, "fs-a", ["openid"])
        assert sign_in_with_consents("not-a-session", "fs-a") == (None, [])
        assert sign_in_with_consents(None, "fs-a") == (None, [])
        db.session.execute(db.update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert sign_in_with_consents(sid, "fs-a") == (None, [])
