"""The checks on an identity provider's answer (idp.citizens.federation.flow), one rule at a
time: what FranceConnect's ``oidc-client`` refuses, the hub refuses. The whole flow against
real providers is in tests/federation."""

from __future__ import annotations

import time

import pytest

from idp.citizens.federation.flow import (
    PENDING_MAX_SECONDS,
    FederationError,
    Pending,
    _acr,
    _check_response,
    acr_to_ask,
    identity_of,
)
from idp.citizens.federation.metadata import ProviderMetadata
from idp.models import IdentityProvider

ISSUER = "https://fi.example.fr"
IDENTITY = {
    "given_name": "Marie",
    "family_name": "Dupont",
    "birthdate": "1985-04-12",
    "gender": "female",
    "birthplace": "75056",
    "birthcountry": "99100",
    "email": "marie@example.fr",
}


def metadata(iss_parameter: bool = True) -> ProviderMetadata:
    return ProviderMetadata(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/authorize",
        token_endpoint=f"{ISSUER}/token",
        jwks_uri=f"{ISSUER}/jwks",
        userinfo_endpoint=None,
        end_session_endpoint=None,
        iss_parameter=iss_parameter,
    )


def pending(**changes) -> Pending:
    return Pending(
        **{"provider": "fi", "state": "s" * 43, "nonce": "n", "verifier": "v", "acr": "eidas1", **changes}
    )


def refused(kind: str, *args) -> None:
    with pytest.raises(FederationError) as caught:
        _check_response(*args)
    assert caught.value.kind == kind


def test_the_answer_to_this_browsers_request_gives_its_code():
    assert _check_response(metadata(), {"state": "s" * 43, "iss": ISSUER, "code": "c"}, pending()) == "c"


@pytest.mark.parametrize("state", [None, "", "t" * 43, "s" * 42])
def test_another_state_is_refused(state):
    args = {"iss": ISSUER, "code": "c"} | ({"state": state} if state is not None else {})
    refused("state", metadata(), args, pending())


def test_another_issuer_is_a_mix_up():
    """RFC 9207 §2.4: the ``iss`` of the response is compared with the provider's."""
    refused(
        "issuer", metadata(), {"state": "s" * 43, "iss": "https://attacker.example", "code": "c"}, pending()
    )


def test_a_provider_promising_iss_must_send_it():
    refused("issuer", metadata(iss_parameter=True), {"state": "s" * 43, "code": "c"}, pending())
    assert _check_response(metadata(iss_parameter=False), {"state": "s" * 43, "code": "c"}, pending()) == "c"


def test_an_error_answer_is_a_refusal_and_no_code_is_no_sign_in():
    refused("refused", metadata(), {"state": "s" * 43, "iss": ISSUER, "error": "access_denied"}, pending())
    refused("code", metadata(), {"state": "s" * 43, "iss": ISSUER}, pending())


def test_a_late_answer_is_refused():
    late = pending(started=time.time() - PENDING_MAX_SECONDS - 1)
    refused("expired", metadata(), {"state": "s" * 43, "iss": ISSUER, "code": "c"}, late)


def provider(*levels: str) -> IdentityProvider:
    return IdentityProvider(name="fi", kind="oidc", eidas_levels=list(levels))


@pytest.mark.parametrize(
    ("levels", "asserted", "asked", "kind"),
    [
        (["eidas1", "eidas2"], None, "eidas1", "acr"),  # no acr
        (["eidas1", "eidas2"], "eidas9", "eidas1", "acr"),  # not an eIDAS level
        (["eidas1", "eidas2"], "eidas1", "eidas2", "acr_too_low"),
        (["eidas1"], "eidas2", "eidas1", "acr"),  # not among the provider's declared levels
    ],
)
def test_the_asserted_level_is_checked(app, levels, asserted, asked, kind):
    with app.app_context(), pytest.raises(FederationError) as caught:
        _acr(provider(*levels), {"acr": asserted} if asserted else {}, asked)
    assert caught.value.kind == kind


def test_the_asserted_level_may_exceed_the_one_asked(app):
    with app.app_context():
        assert _acr(provider("eidas1", "eidas2"), {"acr": "eidas2"}, "eidas1") == "eidas2"


@pytest.mark.parametrize(
    ("levels", "required", "asked"),
    [
        (["eidas1", "eidas2"], "eidas1", "eidas1"),
        (["eidas2", "eidas3"], "eidas1", "eidas2"),
        (["eidas1"], "eidas2", "eidas2"),
    ],
)
def test_the_provider_is_asked_the_level_required_or_its_lowest(app, levels, required, asked):
    """FranceConnect's ``getAcrToAskToIdp``."""
    with app.app_context():
        assert acr_to_ask(required, provider(*levels)) == asked


@pytest.mark.parametrize(
    "change",
    [
        {"email": None},
        {"email": "not-an-address"},
        {"gender": "x"},
        {"birthdate": "12/04/1985"},
        {"birthcountry": "FR"},
    ],
)
def test_an_incomplete_or_malformed_identity_is_refused(change):
    with pytest.raises(FederationError) as caught:
        identity_of({**IDENTITY, **change})
    assert caught.value.kind == "identity" and caught.value.status == 400


def test_a_valid_identity_keeps_the_pivot_and_contact_claims_only():
    assert identity_of({**IDENTITY, "sub": "x", "phone_number": "+33"}) == IDENTITY
