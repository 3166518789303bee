"""Which identity claims a grant releases (OIDC Core §5.1, §5.4), from the registry."""

from __future__ import annotations

from idp.citizens.subject import pairwise_sub
from idp.models import User
from idp.registry.store import registry
from scopes import released_claims

#: FranceConnect+'s ``rnipp_*`` claims (``back/libs/scopes/src/data/fcp-high``) and the pivot
#: claim each one mirrors.
RNIPP_CLAIMS = {
    "rnipp_given_name": "given_name",
    "rnipp_given_name_array": "given_name_array",
    "rnipp_family_name": "family_name",
    "rnipp_birthdate": "birthdate",
    "rnipp_gender": "gender",
    "rnipp_birthplace": "birthplace",
    "rnipp_birthcountry": "birthcountry",
}


def user_claims(user: User) -> dict:
    """Every claim asserted of the citizen, by OIDC / FranceConnect name.

    ``idp_birthdate`` is the date of birth as the identity provider sent it (FranceConnect's
    ``core-fcp-default-verify.handler.ts``); the hub keeps it as sent, so it equals
    ``birthdate``. The ``rnipp_*`` claims are FranceConnect+'s names for the pivot identity
    after its check against the RNIPP; the hub makes no RNIPP lookup, so they carry the
    pivot identity the identity provider asserted (and checked, :mod:`idp.citizens.pivot`).
    """
    claims = {
        "given_name": user.given_name,
        "given_name_array": user.given_name.split(),
        "family_name": user.family_name,
        "birthdate": user.birthdate,
        "idp_birthdate": user.birthdate,
        "gender": user.gender,
        "birthplace": user.birthplace,
        "birthcountry": user.birthcountry,
        "preferred_username": user.preferred_username,
        "email": user.email,
    }
    claims.update({rnipp: claims[pivot] for rnipp, pivot in RNIPP_CLAIMS.items()})
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
