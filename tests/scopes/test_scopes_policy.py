"""Grants, claims, consent and ownership (scopes.policy)."""

import json
from datetime import date
from pathlib import Path

import pytest

from scopes import (
    ConsentGroup,
    InvalidScopeRequest,
    Provider,
    ProviderKind,
    Registry,
    RegistryError,
    ScopeDefinition,
    can_manage,
    check_requested,
    consent_groups,
    data_providers_of,
    owned_scopes,
    parse_registry_document,
    released_claims,
)

REGISTRY_FILE = Path(__file__).parents[2] / "idp" / "registry" / "data" / "franceconnect-registry.json"
TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def registry() -> Registry:
    base = parse_registry_document(json.loads(REGISTRY_FILE.read_text(encoding="utf-8")))
    # One deprecated scope, one scheduled for deprecation, to exercise the policy.
    return base.with_scope(
        ScopeDefinition("dgfip_old", "dgfip", {"fr": "Ancien"}, deprecated_since=date(2025, 1, 1))
    ).with_scope(
        ScopeDefinition("dgfip_soon", "dgfip", {"fr": "Bientôt"}, deprecated_since=date(2026, 1, 1))
    )


ALLOWED = [
    "openid",
    "profile",
    "email",
    "dgfip_rfr",
    "dgfip_nbpart",
    "cnaf_quotient_familial",
    "prime_activite",
    "offline_access",
    "dgfip_old",
    "dgfip_soon",
]


# -- check_requested --------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        ("", []),
        (None, []),
        ([], []),
        ("openid", ["openid"]),
        ("dgfip_rfr openid profile", ["dgfip_rfr", "openid", "profile"]),
        ("openid openid dgfip_rfr openid", ["openid", "dgfip_rfr"]),
        (["email", "openid"], ["email", "openid"]),
        ("openid offline_access", ["openid", "offline_access"]),
        ("prime_activite", ["prime_activite"]),
        ("dgfip_soon", ["dgfip_soon"]),
    ],
)
def test_check_requested_grants_exactly_what_is_asked(registry, requested, granted):
    assert check_requested(registry, requested, ALLOWED, TODAY) == granted


@pytest.mark.parametrize(
    ("requested", "reason", "keys"),
    [
        ("openid foo_bar", "unknown", ["foo_bar"]),
        ("openid Openid", "unknown", ["Openid"]),
        ("openid dgfip_old", "deprecated", ["dgfip_old"]),
        ("openid cnaf_enfants", "not_allowed", ["cnaf_enfants"]),
        ("openid registry_write", "not_allowed", ["registry_write"]),
        ('openid "x"', "malformed", ['"x"']),
    ],
)
def test_check_requested_refuses(registry, requested, reason, keys):
    with pytest.raises(InvalidScopeRequest) as exc:
        check_requested(registry, requested, ALLOWED, TODAY)
    reasons = {
        "unknown": exc.value.unknown,
        "deprecated": exc.value.deprecated,
        "not_allowed": exc.value.not_allowed,
        "malformed": exc.value.malformed,
    }
    assert reasons.pop(reason) == keys
    assert all(value == [] for value in reasons.values())


def test_protocol_scopes_must_be_allowed_too(registry):
    with pytest.raises(InvalidScopeRequest) as exc:
        check_requested(registry, "openid offline_access", ["openid"], TODAY)
    assert exc.value.not_allowed == ["offline_access"]


def test_deprecation_starts_on_its_day(registry):
    assert check_requested(registry, "dgfip_soon", ALLOWED, date(2025, 12, 31)) == ["dgfip_soon"]
    with pytest.raises(InvalidScopeRequest) as exc:
        check_requested(registry, "dgfip_soon", ALLOWED, date(2026, 1, 1))
    assert exc.value.deprecated == ["dgfip_soon"]


def test_check_requested_reports_every_reason_at_once(registry):
    with pytest.raises(InvalidScopeRequest) as exc:
        check_requested(
            registry,
            "cnam_caisse foo_bar openid dgfip_old dgfip_rfr foo_bar zz_top cnous_statut_boursier",
            ["openid", "dgfip_rfr", "dgfip_old"],
            TODAY,
        )
    assert exc.value.unknown == ["foo_bar", "zz_top"]
    assert exc.value.deprecated == ["dgfip_old"]
    assert exc.value.not_allowed == ["cnam_caisse", "cnous_statut_boursier"]
    assert exc.value.description == (
        "unknown scopes: foo_bar, zz_top; deprecated scope: dgfip_old; "
        "scopes not allowed for this client: cnam_caisse, cnous_statut_boursier"
    )


def test_check_requested_accepts_any_iterable_for_allowed(registry):
    assert check_requested(registry, "openid", (k for k in ["openid"]), TODAY) == ["openid"]


# -- released_claims --------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "claims"),
    [
        ([], set()),
        (["openid"], {"sub"}),
        (
            ["openid", "profile"],
            {
                "sub",
                "given_name",
                "given_name_array",
                "family_name",
                "birthdate",
                "gender",
                "preferred_username",
            },
        ),
        (
            ["profile"],
            {
                "given_name",
                "given_name_array",
                "family_name",
                "birthdate",
                "gender",
                "preferred_username",
            },
        ),
        (["openid", "email", "birth"], {"sub", "email", "birthplace", "birthcountry"}),
        (["openid", "dgfip_rfr", "prime_activite"], {"sub"}),
        (["dgfip_rfr", "cnaf_quotient_familial"], set()),
        (["offline_access", "registry_write"], set()),
        (["unknown_key"], set()),
    ],
)
def test_released_claims(registry, granted, claims):
    assert released_claims(registry, granted) == frozenset(claims)


# -- consent_groups ---------------------------------------------------------

GRANTED = [
    "offline_access",
    "dgfip_pac_nbPac",
    "cnaf_quotient_familial",
    "dgfip_rfr",
    "registry_write",
    "profile",
    "dgfip_nbpac",
    "openid",
    "email",
]


def test_consent_groups_in_french(registry):
    assert consent_groups(registry, GRANTED, "fr") == [
        ConsentGroup(
            "franceconnect",
            "FranceConnect",
            (
                "Identifiant technique",
                "Adresse électronique",
                "Profil (prénoms, nom, date de naissance, sexe, nom d’usage)",
            ),
        ),
        ConsentGroup(
            "dgfip",
            "Direction générale des Finances publiques",
            ("Revenu fiscal de référence", "Nombre de personnes à charge"),
        ),
        ConsentGroup(
            "cnaf",
            "Caisse nationale des allocations familiales & Mutualité sociale agricole",
            ("Quotient familial CAF & MSA et composition familiale",),
        ),
        ConsentGroup("", "", ("Rester connecté(e) à ce service",)),
    ]


def test_consent_groups_in_english(registry):
    assert consent_groups(registry, GRANTED, "en") == [
        ConsentGroup(
            "franceconnect",
            "FranceConnect",
            (
                "Technical identifier",
                "Email address",
                "Profile (names, date of birth, sex, usage name)",
            ),
        ),
        ConsentGroup(
            "dgfip",
            "Direction générale des Finances publiques",
            ("Reference tax income", "Number of dependants"),
        ),
        ConsentGroup(
            "cnaf",
            "Caisse nationale des allocations familiales & Mutualité sociale agricole",
            ("CAF & MSA family quotient and household composition",),
        ),
        ConsentGroup("", "", ("Stay signed in to this service",)),
    ]


def test_consent_groups_use_english_provider_label_when_available():
    registry = Registry(
        [Provider("dgfip", "Direction", ProviderKind.DATA, "dgfip", label_en="Directorate")],
        [ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "RFR"})],
    )
    assert consent_groups(registry, ["dgfip_rfr"], "en") == [
        ConsentGroup("dgfip", "Directorate", ("RFR",))
    ]
    assert consent_groups(registry, ["dgfip_rfr"], "fr") == [
        ConsentGroup("dgfip", "Direction", ("RFR",))
    ]


def test_consent_groups_never_show_registry_write(registry):
    assert consent_groups(registry, ["registry_write"], "fr") == []
    assert consent_groups(registry, [], "fr") == []


# -- owned_scopes, data_providers_of ----------------------------------------


@pytest.mark.parametrize(
    ("namespace", "owned"),
    [
        ("cnaf", ["prime_activite", "cnaf_enfants"]),
        ("dgfip", ["dgfip_RevDecl_Cat1_Tspr", "dgfip_rfr"]),
        ("api_fc", ["api_fc-liste-paiementsv1"]),
        ("cnam", []),
        ("nobody", []),
    ],
)
def test_owned_scopes(registry, namespace, owned):
    scopes = [
        "openid",
        "prime_activite",
        "dgfip_RevDecl_Cat1_Tspr",
        "cnaf_enfants",
        "dgfip_rfr",
        "api_fc-liste-paiementsv1",
        "offline_access",
        "prime_activite",
        "unknown_x",
    ]
    assert owned_scopes(registry, namespace, scopes) == owned


@pytest.mark.parametrize(
    ("scopes", "audience"),
    [
        ([], []),
        (["openid", "profile", "offline_access"], []),
        (["cnous_statut_boursier", "openid", "dgfip_rfr"], ["dgfip", "cnous"]),
        (
            ["api_fc-liste-paiementsv1", "prime_activite", "dgfip_rfr", "dgfip_nbpart"],
            ["dgfip", "cnaf", "francetravail"],
        ),
    ],
)
def test_data_providers_of(registry, scopes, audience):
    assert data_providers_of(registry, scopes) == audience


# -- can_manage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "key", "provider"),
    [
        ("dgfip", "dgfip_new_scope", "dgfip"),
        ("dgfip", "dgfip_rfr", "dgfip"),
        ("dgfip", "dgfip_RevDecl_Cat1_Tspr", "dgfip"),  # its own existing legacy key
        ("cnaf", "prime_activite", "cnaf"),
        ("api_fc", "api_fc_paiements", "francetravail"),
    ],
)
def test_can_manage_own_namespace(registry, actor, key, provider):
    can_manage(registry, actor, key, provider, operator=False)


@pytest.mark.parametrize(
    ("actor", "key", "provider"),
    [
        ("cnaf", "dgfip_new_scope", "dgfip"),
        ("cnaf", "cnaf_new_scope", "dgfip"),
        ("dgfip", "cnaf_new_scope", "dgfip"),
        ("dgfip", "dgfip_New", "dgfip"),
        ("dgfip", "dgfip-new", "dgfip"),
        ("dgfip", "prime_activite", "dgfip"),  # cnaf's legacy key
        ("cnaf", "revenu_solidarite_2", "cnaf"),  # new keys must be prefixed
        (None, "dgfip_new_scope", "dgfip"),
        ("dgfip", "dgfip_new_scope", "nobody"),
        ("dgfip", "openid_x", "franceconnect"),
    ],
)
def test_can_manage_refuses_outside_own_namespace(registry, actor, key, provider):
    with pytest.raises(RegistryError) as exc:
        can_manage(registry, actor, key, provider, operator=False)
    assert exc.value.rule == "namespace_forbidden"
    assert exc.value.key == key


def test_operator_can_manage_anything(registry):
    can_manage(registry, None, "cnaf_x", "dgfip", operator=True)
