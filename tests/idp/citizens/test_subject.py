"""``sub`` as FranceConnect computes it (idp.citizens.subject), checked against its own test
vector: the user ``Joëlle Françoise DUBINÔRE`` of france-connect/sources'
``quality/fcp/cypress/integration/usager/connexion-sub.feature``."""

from __future__ import annotations

from flask import Flask

from idp.citizens.subject import identity_hash, pairwise_sub

JOELLE = {
    "given_name": "Joëlle Françoise",
    "family_name": "DUBINÔRE",
    "birthdate": "1992-08-15",
    "gender": "female",
    "birthplace": "75117",
    "birthcountry": "99100",
}
#: The docker secret and the service provider's entityId of that test.
SECRET = "9ed64cd3762973c8a5219e0774671940a3550ae1050af86831d613193e825caa"
ENTITY_ID = "a0cd64372db6ecf39c317c0c74ce90f02d8ad7d510ce054883b759d666a996bc"


def test_identity_hash_is_franceconnect_s():
    assert identity_hash(JOELLE) == "J2WdqlpnUQ1WxMA3BngwBCPo0Al6bxKgBb/PVNZlZZs="


def test_sub_is_franceconnect_s():
    app = Flask(__name__)
    app.config["PAIRWISE_SALT"] = SECRET
    with app.app_context():
        sub = pairwise_sub(ENTITY_ID, identity_hash(JOELLE))
    assert sub == "34f4e38b510841db1a83716b981f7298badec51dc52e91af245903b56e2d72bbv1"


def test_the_birthplace_counts_only_for_those_born_in_france():
    abroad = {**JOELLE, "birthcountry": "99134"}
    assert identity_hash(abroad) == identity_hash({**abroad, "birthplace": "75117"})
    assert identity_hash(JOELLE) != identity_hash({**JOELLE, "birthplace": "75056"})
