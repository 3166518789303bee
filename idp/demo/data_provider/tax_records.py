"""Made-up tax records of the demo citizens (see :mod:`idp.demo.seed`), by pivot identity."""

from __future__ import annotations

#: What each scope releases, with the API Impôt particulier field names.
FIELDS_BY_SCOPE = {
    "dgfip_rfr": ("revenuFiscalReference",),
    "dgfip_nbpart": ("nombreParts",),
    "dgfip_sitfam": ("situationFamiliale",),
}
PIVOT_KEYS = ("family_name", "given_name", "birthdate", "gender", "birthplace", "birthcountry")

_RECORDS = {
    ("dupont", "marie claire", "1985-04-12", "female", "75056", "99100"): {
        "revenuFiscalReference": 28450,
        "nombreParts": 1.5,
        "situationFamiliale": "Célibataire",
    },
    ("martin", "jean", "1962-11-03", "male", "69123", "99100"): {
        "revenuFiscalReference": 41230,
        "nombreParts": 2.0,
        "situationFamiliale": "Marié(e)",
    },
}
TAX_YEAR = {"anneeImpots": "2025", "anneeRevenus": "2024"}


def _pivot_key(identity: dict) -> tuple:
    return tuple(str(identity.get(name) or "").strip().casefold() for name in PIVOT_KEYS)


def find_situation(identity: dict, scopes: list[str]) -> dict | None:
    """The fields the granted scopes release, or None when nobody matches the identity."""
    record = _RECORDS.get(_pivot_key(identity))
    if record is None:
        return None
    situation = dict(TAX_YEAR)
    for scope in scopes:
        situation.update({field: record[field] for field in FIELDS_BY_SCOPE.get(scope, ())})
    return situation


def released_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope in FIELDS_BY_SCOPE]
