"""The local identity store: creating citizens with a full pivot identity."""

from __future__ import annotations

from idp.citizens.passwords import hash_password
from idp.citizens.pivot import FRANCE, identity_problems
from idp.extensions import db
from idp.models import User

#: The local store asks for a binary gender, as ``idp users create`` documents it.
GENDERS = ("male", "female")


class UserError(ValueError):
    pass


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
    if birthcountry != FRANCE:
        birthplace = None  # FranceConnect keeps no birthplace for those born abroad
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise UserError(f"username already exists: {username}")
    user = User(
        username=username,
        password_hash=hash_password(password),
        given_name=given_name,
        family_name=family_name,
        preferred_username=preferred_username,
        birthdate=birthdate,
        gender=gender,
        birthplace=birthplace,
        birthcountry=birthcountry,
        email=email,
    )
    db.session.add(user)
    db.session.commit()
    return user
