"""Domain objects and registry consistency (scopes.model, scopes.consistency)."""

from datetime import date

import pytest

from scopes import (
    PROTOCOL_SCOPES,
    Provider,
    ProviderError,
    ProviderKind,
    Registry,
    RegistryValidationError,
    ScopeDefinition,
)

FC = Provider("franceconnect", "FranceConnect", ProviderKind.IDENTITY, None)
DGFIP = Provider("dgfip", "Direction générale des Finances publiques", ProviderKind.DATA, "dgfip")
CNAF = Provider("cnaf", "Caisse nationale des allocations familiales", ProviderKind.DATA, "cnaf")

OPENID = ScopeDefinition("openid", "franceconnect", {"fr": "Identifiant technique"}, claims=("sub",))
RFR = ScopeDefinition(
    "dgfip_rfr", "dgfip", {"fr": "Revenu fiscal de référence", "en": "Reference tax income"}
)


def _problems(providers, scopes):
    with pytest.raises(RegistryValidationError) as exc:
        Registry(providers, scopes)
    return [(e.rule, e.key, e.path) for e in exc.value.errors]


def test_provider_kind_is_a_string_enum():
    assert ProviderKind("data") is ProviderKind.DATA
    assert ProviderKind.IDENTITY == "identity"
    assert Provider("x", "X", "data", "x").kind is ProviderKind.DATA


def test_provider_with_an_unknown_kind_is_refused():
    with pytest.raises(ProviderError) as exc:
        Provider("x", "X", "bank", "x")
    assert exc.value.rule == "provider_kind"


def test_provider_label_for():
    assert DGFIP.label_for("en") == DGFIP.label
    named = Provider("dgfip", "Direction", ProviderKind.DATA, "dgfip", label_en="Directorate")
    assert named.label_for("en") == "Directorate"
    assert named.label_for("en-GB") == "Directorate"
    assert named.label_for("fr") == "Direction"


def test_scope_definition_is_immutable_and_hashable():
    scope = ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "A"}, claims=["x"])
    assert scope.claims == ("x",)
    assert scope.labels == {"fr": "A"}
    assert hash(scope) == hash(ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "A"}, claims=("x",)))
    with pytest.raises(TypeError):
        scope.labels["fr"] = "B"  # type: ignore[index]
    with pytest.raises(AttributeError):
        scope.key = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("fr", "Revenu fiscal de référence"),
        ("en", "Reference tax income"),
        ("en-GB", "Reference tax income"),
        ("de", "Revenu fiscal de référence"),
    ],
)
def test_scope_label_falls_back_to_french(lang, label):
    assert RFR.label(lang) == label


@pytest.mark.parametrize(
    ("since", "deprecated"),
    [(None, False), (date(2025, 1, 2), False), (date(2025, 1, 1), True), (date(2024, 1, 1), True)],
)
def test_is_deprecated(since, deprecated):
    scope = ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "A"}, deprecated_since=since)
    assert scope.is_deprecated(date(2025, 1, 1)) is deprecated


def test_providers_in_registry_order_whatever_the_order_asked():
    registry = Registry([FC, DGFIP, CNAF], [OPENID, RFR])
    assert registry.in_registry_order(["cnaf", "nope", "franceconnect", "cnaf"]) == [FC, CNAF]
    assert registry.in_registry_order([]) == []


def test_registry_lookups():
    registry = Registry([FC, DGFIP], [OPENID, RFR])
    assert registry.providers == (FC, DGFIP)
    assert registry.scopes == (OPENID, RFR)
    assert registry.scope("dgfip_rfr") is RFR
    assert registry.scope("nope") is None
    assert registry.provider("dgfip") is DGFIP
    assert registry.provider_by_namespace("dgfip") is DGFIP
    assert registry.provider_by_namespace("cnaf") is None
    assert registry.provider_of("dgfip_rfr") is DGFIP
    assert registry.scopes_of("dgfip") == (RFR,)
    assert registry.scopes_of("cnaf") == ()
    assert "dgfip_rfr" in registry
    assert "offline_access" not in registry
    assert registry.is_known("offline_access")
    assert not registry.is_known("nope")
    assert list(registry) == [OPENID, RFR]
    assert len(registry) == 2
    assert registry == Registry([FC, DGFIP], [OPENID, RFR])
    assert registry != Registry([FC, DGFIP], [RFR, OPENID])


def test_registry_copies_with_changes():
    registry = Registry([FC, DGFIP], [OPENID, RFR])
    renamed = ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "RFR"})
    assert registry.with_scope(renamed).scopes == (OPENID, renamed)
    assert registry.without_scope("dgfip_rfr").scopes == (OPENID,)
    assert registry.with_provider(CNAF).providers == (FC, DGFIP, CNAF)
    with pytest.raises(RegistryValidationError):
        registry.with_scope(ScopeDefinition("cnaf_x", "dgfip", {"fr": "X"}))


def test_protocol_scopes():
    assert frozenset({"offline_access", "registry_write"}) == PROTOCOL_SCOPES


@pytest.mark.parametrize(
    ("providers", "scopes", "problems"),
    [
        (
            [FC],
            [ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "A"})],
            [("unknown_provider", "dgfip_rfr", "scopes[0].provider")],
        ),
        (
            [FC, DGFIP],
            [RFR, RFR],
            [("duplicate_key", "dgfip_rfr", "scopes[1].key")],
        ),
        (
            [DGFIP, DGFIP],
            [],
            [("duplicate_provider", "dgfip", "providers[1].slug")],
        ),
        (
            [DGFIP, Provider("impots", "Impôts", ProviderKind.DATA, "dgfip")],
            [],
            [("namespace_taken", "impots", "providers[1].namespace")],
        ),
        (
            [
                Provider("api", "API", ProviderKind.DATA, "api"),
                Provider("ft", "FT", ProviderKind.DATA, "api_fc"),
            ],
            [],
            [("namespace_overlap", "ft", "providers[1].namespace")],
        ),
        (
            [Provider("x", "X", ProviderKind.DATA, None)],
            [],
            [("missing_namespace", "x", "providers[0].namespace")],
        ),
        (
            [Provider("x", "X", ProviderKind.DATA, "X-1")],
            [],
            [("namespace_format", "x", "providers[0].namespace")],
        ),
        (
            [Provider("Bad Slug", "X", ProviderKind.DATA, "x")],
            [],
            [("slug_format", "Bad Slug", "providers[0].slug")],
        ),
        (
            [Provider("x", " ", ProviderKind.DATA, "x")],
            [],
            [("missing_label", "x", "providers[0].label")],
        ),
        (
            [FC, DGFIP],
            [ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "A"}, claims=("rfr",))],
            [("claims_on_data_scope", "dgfip_rfr", "scopes[0].claims")],
        ),
        (
            [FC, DGFIP],
            [ScopeDefinition("dgfip_rfr", "dgfip", {"en": "A"})],
            [("missing_label", "dgfip_rfr", "scopes[0].label.fr")],
        ),
        (
            [FC, DGFIP],
            [ScopeDefinition("dgfip_rfr", "dgfip", {"fr": "A", "en": ""})],
            [("missing_label", "dgfip_rfr", "scopes[0].label.en")],
        ),
        (
            [FC],
            [ScopeDefinition("offline_access", "franceconnect", {"fr": "A"})],
            [("reserved_key", "offline_access", "scopes[0].key")],
        ),
        (
            [FC, CNAF],
            [ScopeDefinition("prime_activite", "cnaf", {"fr": "A"})],
            [("namespace_prefix", "prime_activite", "scopes[0].key")],
        ),
        (
            [FC, DGFIP],
            [ScopeDefinition("Dgfip_x", "dgfip", {"fr": "A"})],
            [("key_format", "Dgfip_x", "scopes[0].key")],
        ),
    ],
)
def test_registry_consistency_rules(providers, scopes, problems):
    assert _problems(providers, scopes) == problems


def test_registry_reports_every_problem_at_once():
    problems = _problems(
        [FC, DGFIP, DGFIP],
        [
            ScopeDefinition("Dgfip_x", "dgfip", {"fr": "A"}),
            ScopeDefinition("cnaf_x", "cnaf", {"fr": "A"}),
            ScopeDefinition("dgfip_y", "dgfip", {"fr": ""}, claims=("y",)),
        ],
    )
    assert [rule for rule, _, _ in problems] == [
        "duplicate_provider",
        "key_format",
        "unknown_provider",
        "missing_label",
        "claims_on_data_scope",
    ]


def test_legacy_keys_are_accepted_when_flagged():
    legacy = ScopeDefinition("prime_activite", "cnaf", {"fr": "A"}, legacy=True)
    assert Registry([CNAF], [legacy]).scope("prime_activite") is legacy


def test_the_package_stays_framework_free():
    import subprocess
    import sys

    code = (
        "import sys, scopes; "
        "bad = {m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'authlib', 'idp', 'keys', 'werkzeug'}}; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
