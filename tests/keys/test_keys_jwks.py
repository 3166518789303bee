"""keys.jwks: JWK Set documents (RFC 7517 §5)."""

import json

import pytest

from keys import KeyManagementError, build_jwks, create_key, initial_key_set
from keys.thumbprint import PRIVATE_MEMBERS


@pytest.fixture(scope="module")
def records():
    return initial_key_set("pw")


def test_jwks_lists_every_public_jwk_in_order(records):
    jwks = build_jwks(records)
    assert list(jwks) == ["keys"]
    assert jwks["keys"] == [r.public_jwk for r in records]
    assert {k["alg"] for k in jwks["keys"]} == {"ES256", "RS256"}


def test_jwks_has_no_private_member_for_either_alg(records):
    for jwk in build_jwks(records)["keys"]:
        assert not PRIVATE_MEMBERS & set(jwk)
        assert jwk["use"] == "sig"
    serialized = json.dumps(build_jwks(records))
    assert '"d"' not in serialized and '"p"' not in serialized


def test_jwks_holds_copies(records):
    jwks = build_jwks(records)
    jwks["keys"][0]["kid"] = "changed"
    assert records[0].public_jwk["kid"] != "changed"


def test_jwks_accepts_new_keys():
    new = create_key("ES256", "pw")
    assert build_jwks([new]) == {"keys": [new.public_jwk]}


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "k"])
def test_jwks_refuses_to_publish_a_private_member(member):
    leaky = create_key("ES256", "pw")
    leaky.public_jwk[member] = "x"
    with pytest.raises(KeyManagementError, match=leaky.kid):
        build_jwks([leaky])


def test_empty_jwks():
    assert build_jwks([]) == {"keys": []}
