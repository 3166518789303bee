"""The citizens: the local identity store's accounts (created with a full pivot identity,
listed, their password changed, erased), and the citizens identity providers assert."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy.exc import IntegrityError

from idp.citizens.passwords import hash_password
from idp.citizens.pivot import FRANCE, identity_problems
from idp.citizens.subject import identity_hash
from idp.extensions import db
from idp.models import (
    AccessTokenRecord,
    AuthorizationCode,
    ConnectionEvent,
    Consent,
    LoginSession,
    RefreshToken,
    User,
    utcnow,
)

#: The local store asks for a binary gender, as ``idp users create`` documents it.
GENDERS = ("male", "female")


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class Citizen:
    """A citizen as the pages and the protocol read them (the columns of
    :class:`~idp.models.User` but the password hash)."""

    id: int
    identity_hash: str
    username: str | None
    given_name: str
    family_name: str
    preferred_username: str | None
    birthdate: str
    gender: str
    birthplace: str | None
    birthcountry: str
    email: str | None

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


CITIZEN_COLUMNS = [User.__table__.c[item.name] for item in fields(Citizen)]


def find_user(username: str) -> User | None:
    """The citizen of ``username``; a name no account can have (empty, too long, with control
    characters such as NUL) finds nobody without a query."""
    if not username or len(username) > 255 or not username.isprintable():
        return None
    return db.session.scalar(db.select(User).where(User.username == username))


def create_user(
    *,
    username: str,
    password: str,
    given_name: str,
    family_name: str,
    birthdate: str,
    gender: str,
    birthplace: str | None,
    birthcountry: str,
    email: str | None = None,
    preferred_username: str | None = None,
) -> User:
    if not username or len(username) > 255:
        raise UserError("username must be 1 to 255 characters")
    if len(password) < 8:
        raise UserError("password must be at least 8 characters")
    identity = {
        "given_name": given_name,
        "family_name": family_name,
        "birthdate": birthdate,
        "gender": gender,
        "birthplace": birthplace,
        "birthcountry": birthcountry,
    }
    problems = identity_problems(identity, genders=GENDERS)
    if problems:
        raise UserError("; ".join(problems))
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise UserError(f"username already exists: {username}")
    user = citizen_for(identity)
    if user.username is not None:
        raise UserError(f"this person already has a local account: {user.username}")
    user.username = username
    user.password_hash = hash_password(password)
    user.preferred_username = preferred_username or user.preferred_username
    user.email = email or user.email
    db.session.add(user)
    db.session.commit()
    return user


def citizen_for(identity: dict) -> User:
    """The citizen of this pivot identity, new (not yet added) if nobody had it.

    One row per person, whichever identity provider they sign in with: the row is found by
    :func:`~idp.citizens.subject.identity_hash`, and its identity is the one just asserted.
    """
    key = identity_hash(identity)
    user = db.session.scalar(db.select(User).where(User.identity_hash == key))
    if user is None:
        user = User(identity_hash=key)
    for name in ("given_name", "family_name", "birthdate", "gender", "birthcountry"):
        setattr(user, name, identity[name])
    # FranceConnect keeps no birthplace for those born abroad (``birthplace: ""``).
    user.birthplace = identity.get("birthplace") if identity["birthcountry"] == FRANCE else None
    return user


def citizen_asserted(identity: dict) -> User:
    """The citizen an identity provider just asserted: found by the pivot identity (or new),
    with the contact claims it sent (e-mail, preferred name) as the latest ones. Committed."""
    try:
        return _save_asserted(identity)
    except IntegrityError:  # the same person's first sign-in twice at once: the other row won
        db.session.rollback()
        return _save_asserted(identity)


def _save_asserted(identity: dict) -> User:
    user = citizen_for(identity)
    user.email = identity.get("email") or user.email
    user.preferred_username = identity.get("preferred_username") or user.preferred_username
    db.session.add(user)
    db.session.commit()
    return user


def local_accounts() -> list[User]:
    """The local identity store's accounts (citizens with a username), by username."""
    return list(db.session.scalars(db.select(User).where(User.username.is_not(None)).order_by(User.username)))


def get_local_account(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise UserError(f"unknown user: {username}")
    return user


def set_password(username: str, password: str) -> User:
    """A new password; the account's live sign-ins end (whoever knew the old one is out)."""
    if len(password) < 8:
        raise UserError("password must be at least 8 characters")
    user = get_local_account(username)
    user.password_hash = hash_password(password)
    db.session.execute(
        db.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    return user


#: What goes with a citizen's row (``ON DELETE CASCADE``), as ``idp users delete`` reports it.
ERASED_WITH_CITIZEN = (
    ("consents", Consent),
    ("sign-in sessions", LoginSession),
    ("access tokens", AccessTokenRecord),
    ("refresh tokens", RefreshToken),
    ("authorization codes", AuthorizationCode),
    ("connection history entries", ConnectionEvent),
)


def delete_local_account(username: str) -> dict[str, int]:
    """The citizen is erased (a GDPR erasure request, art. 17): their consents, tokens,
    sign-ins and history go with the row (``ON DELETE CASCADE``), counted first, in the same
    transaction; returns those counts. Signing in again through another provider starts
    afresh."""
    user = get_local_account(username)
    erased = {
        name: db.session.scalar(db.select(db.func.count()).select_from(model).where(model.user_id == user.id))
        for name, model in ERASED_WITH_CITIZEN
    }
    db.session.delete(user)
    db.session.commit()
    return erased


def describe(user: User) -> dict:
    """What an operator sees of an account (never the password hash)."""
    return {
        "username": user.username,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "preferred_username": user.preferred_username,
        "birthdate": user.birthdate,
        "gender": user.gender,
        "birthplace": user.birthplace,
        "birthcountry": user.birthcountry,
        "email": user.email,
        "created_at": user.created_at.isoformat(),
    }
