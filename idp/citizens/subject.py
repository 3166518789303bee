"""Pairwise subject identifiers (OIDC Core §8.1), computed as FranceConnect computes them.

The same citizen gets a different, stable ``sub`` for each sector (service provider) and for
each data provider, so that two parties cannot link their records through ``sub``; and the
same ``sub`` at one service whichever identity provider they signed in with, since it comes
from the pivot identity, not from an account (france-connect/sources,
``back/libs/cryptography-fcp/src/cryptography-fcp.service.ts``):

- ``identity_hash``: SHA-256 over ``given_name family_name birthdate gender birthplace
  birthcountry`` concatenated without separator (the birthplace only for those born in
  France), read as Node's ``binary`` encoding (each UTF-16 code unit's low byte), in base64;
- ``sub``: SHA-256 over the sector, that hash and the server's secret (``IDP_PAIRWISE_SALT``),
  in hex, then ``v1``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from flask import current_app

from idp.citizens.pivot import FRANCE


def identity_hash(identity: Mapping[str, object]) -> str:
    """FranceConnect's ``computeIdentityHash`` of a pivot identity (44 base64 characters)."""
    country = str(identity.get("birthcountry") or "")
    place = str(identity.get("birthplace") or "") if country == FRANCE else ""
    serial = "".join(
        (str(identity["given_name"]), str(identity["family_name"]), str(identity["birthdate"]),
         str(identity["gender"]), place, country)
    )  # fmt: skip
    binary = serial.encode("utf-16-le", errors="surrogatepass")[0::2]  # Node's "binary"
    return base64.b64encode(hashlib.sha256(binary).digest()).decode("ascii")


def pairwise_sub(sector: str, citizen_identity_hash: str) -> str:
    """FranceConnect's ``computeSubV1``: 64 hex characters, then ``v1``."""
    secret = current_app.config["PAIRWISE_SALT"]
    digest = hashlib.sha256(f"{sector}{citizen_identity_hash}{secret}".encode()).hexdigest()
    return f"{digest}v1"
