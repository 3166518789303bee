"""FranceConnect's own scopes beyond the bundled registry (``fcp-high.scopes.ts``,
``fcp-low.scopes.ts``): FranceConnect+'s ``rnipp_*``, ``idp_birthdate`` and ``amr``, with
the claims each releases."""

from __future__ import annotations

import json

import pytest

from idp.registry.transfer import FRANCECONNECT_SUPPLEMENT
from tests.idp.conftest import CodeFlow, make_client

#: FranceConnect+'s scope -> claims (back/libs/scopes/src/data/fcp-high/fcp-high.scopes.ts).
FCP_HIGH = {
    "rnipp_gender": {"gender", "rnipp_gender"},
    "rnipp_family_name": {"family_name", "rnipp_family_name"},
    "rnipp_given_name": {"given_name", "rnipp_given_name", "rnipp_given_name_array"},
    "rnipp_birthdate": {"birthdate", "rnipp_birthdate"},
    "rnipp_birthplace": {"birthplace", "rnipp_birthplace"},
    "rnipp_birthcountry": {"birthcountry", "rnipp_birthcountry"},
    "rnipp_birth": {"birthplace", "rnipp_birthplace", "birthcountry", "rnipp_birthcountry"},
    "amr": {"amr"},
}


def test_the_supplement_maps_scopes_to_franceconnects_claims():
    scopes = {scope["key"]: scope for scope in json.loads(FRANCECONNECT_SUPPLEMENT.read_text())["scopes"]}
    for key, claims in FCP_HIGH.items():
        assert set(scopes[key]["claims"]) == claims, key
    assert scopes["idp_birthdate"]["claims"] == ["idp_birthdate"]
    assert all(scope["provider"] == "franceconnect" and scope["label"]["fr"] for scope in scopes.values())


@pytest.mark.parametrize(
    ("scope", "released"),
    [
        ("rnipp_identite_pivot", {
            "rnipp_given_name": "Camille Anne", "rnipp_given_name_array": ["Camille", "Anne"],
            "rnipp_family_name": "Durand", "given_name": "Camille Anne",
        }),
        ("rnipp_birthdate", {"rnipp_birthdate": "1990-02-28", "birthdate": "1990-02-28"}),
        ("idp_birthdate", {"idp_birthdate": "1990-02-28"}),
    ],
)  # fmt: skip
def test_the_scope_releases_its_claims_at_userinfo(app, client, citizen, scope, released):
    service = make_client(app, operator_scope_override=["openid", scope])
    tokens = CodeFlow(client, service).tokens(scope=f"openid {scope}")
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert released.items() <= info.items(), info
    assert "email" not in info
