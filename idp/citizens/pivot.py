"""The pivot identity (FranceConnect's "identité pivot") and its rules.

The same rules hold for every identity provider, the local store included, as
FranceConnect applies them to what an identity provider returns
(``back/apps/core-fcp/src/dto/oidc-identity.dto.ts``, validators in
``back/libs/oidc-client`` and ``back/libs/cog``):

- ``given_name`` and ``family_name``: text of 1 to 256 characters;
- ``birthdate``: ``YYYY-MM-DD`` (a real date), or ``YYYY-MM-00`` / ``YYYY-00-00`` when the
  day, or the day and month, are unknown; never in the future;
- ``gender``: ``female``, ``male`` or ``unspecified``;
- ``birthcountry``: a COG code, 5 characters (``99100`` is France);
- ``birthplace``: a COG code, required when born in France, empty otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

#: INSEE "code officiel géographique": 5 characters, Corsica's departments 2A and 2B.
COG = re.compile(r"(?:2[AB]|[0-9]{2})[0-9]{3}")
FRANCE = "99100"
GENDERS = ("female", "male", "unspecified")
NAME_LENGTH = 256
_BIRTHDATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def birthdate_problem(value: object, today: date | None = None) -> str | None:
    """Why ``value`` is not a pivot identity birthdate, or None."""
    match = _BIRTHDATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return "birthdate must be YYYY-MM-DD"
    year, month, day = (int(part) for part in match.groups())
    try:
        if month == 0 and day == 0:
            born = date(year, 1, 1)
        elif day == 0:
            born = date(year, month, 1)
        elif month == 0:
            return "birthdate cannot give a day without its month"
        else:
            born = date(year, month, day)
    except ValueError:
        return "birthdate is not a date"
    if born > (today or date.today()):
        return "birthdate is in the future"
    return None


def identity_problems(identity: Mapping[str, object], genders: tuple[str, ...] = GENDERS) -> list[str]:
    """Every rule ``identity`` breaks (an empty list: it is a valid pivot identity)."""
    problems = []
    for name in ("given_name", "family_name"):
        value = identity.get(name)
        if not isinstance(value, str) or not 0 < len(value.strip()) <= NAME_LENGTH:
            problems.append(f"{name} must be text of 1 to {NAME_LENGTH} characters")
    problem = birthdate_problem(identity.get("birthdate"))
    if problem:
        problems.append(problem)
    if identity.get("gender") not in genders:
        problems.append(f"gender must be {' or '.join(genders)}")
    country = identity.get("birthcountry")
    if not isinstance(country, str) or not COG.fullmatch(country):
        problems.append("birthcountry must be a 5-character COG code (99100 for France)")
    place = identity.get("birthplace")
    if country == FRANCE and (not isinstance(place, str) or not COG.fullmatch(place)):
        problems.append("birthplace must be a 5-character COG code for a citizen born in France")
    return problems
