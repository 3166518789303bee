"""Which identity claims a grant releases (OIDC Core §5.1, §5.4), from the registry."""

from __future__ import annotations

from idp.citizens.subject import pairwise_sub
from idp.models import User
from idp.registry.store import registry
from scopes import released_claims


def user_claims(user: User) -> dict:
    """Every claim the local identity store can assert, by OIDC / FranceConnect name."""
    claims = {
        "given_name": user.given_name,
        "given_name_array": user.given_name.split(),
        "family_name": user.family_name,
        "birthdate": user.birthdate,
        "gender": user.gender,
        "birthplace": user.birthplace,
        "birthcountry": user.birthcountry,
        "preferred_username": user.preferred_username,
        "email": user.email,
    }
    return {name: value for name, value in claims.items() if value not in (None, "", [])}


def released_user_info(sector: str, user: User, scope: str) -> dict:
    """``sub`` (pairwise for ``sector``) plus exactly the granted identity claims.

    Absent values are omitted, never sent as null (OIDC Core §5.3.2). ``user`` is a
    :class:`~idp.models.User` or a row with its columns.
    """
    allowed = released_claims(registry(), scope.split())
    info = {"sub": pairwise_sub(sector, user.identity_hash)}
    info.update({name: value for name, value in user_claims(user).items() if name in allowed})
    return info
