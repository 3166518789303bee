"""The scope-registry/1 import and export format (scopes.document)."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from scopes import (
    FORMAT,
    RegistryValidationError,
    dump_registry_document,
    parse_registry_document,
)

REGISTRY_FILE = Path(__file__).parents[2] / "idp" / "registry" / "data" / "franceconnect-registry.json"
SHARED_FILE = (
    Path(__file__).parents[3] / "shared" / "data" / "scopes" / "franceconnect-registry.json"
)


@pytest.fixture
def doc() -> dict:
    return json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))


def _problems(doc) -> list[tuple[str, str | None]]:
    with pytest.raises(RegistryValidationError) as exc:
        parse_registry_document(doc)
    return [(e.rule, e.path) for e in exc.value.errors]


def test_bundled_file_is_the_shared_one():
    if not SHARED_FILE.exists():
        pytest.skip("no ../shared checkout")
    assert json.loads(REGISTRY_FILE.read_text()) == json.loads(SHARED_FILE.read_text())


def test_real_file_loads_every_scope(doc):
    registry = parse_registry_document(doc)
    assert len(registry.scopes) == 38
    assert [s.key for s in registry.scopes] == [s["key"] for s in doc["scopes"]]
    assert [p.slug for p in registry.providers] == [
        "franceconnect",
        "dgfip",
        "cnaf",
        "cnam",
        "cnous",
        "francetravail",
    ]
    assert registry.provider_by_namespace("api_fc").slug == "francetravail"
    legacy = {s.key for s in registry.scopes if s.legacy}
    assert legacy == {
        "dgfip_pac_nbPac",
        "dgfip_RevDecl_Cat1_Tspr",
        "prime_activite",
        "revenu_solidarite_active",
        "droits_assurance_maladie",
        "api_fc-liste-paiementsv1",
    }
    assert registry.scope("openid").claims == ("sub",)
    assert registry.scope("dgfip_rfr").label("en") == "Reference tax income"


def test_dump_of_the_real_file_equals_the_file(doc):
    assert dump_registry_document(parse_registry_document(doc)) == doc


def test_round_trip(doc):
    doc["scopes"][12]["deprecated_since"] = "2030-01-31"
    doc["scopes"][12]["description"] = "Revenu fiscal de référence de l’année N-1"
    doc["providers"][1]["label_en"] = "Public Finances Directorate"
    first = parse_registry_document(doc)
    dumped = dump_registry_document(first)
    assert parse_registry_document(dumped) == first
    assert dumped == doc
    assert first.scope("dgfip_rfr").deprecated_since == date(2030, 1, 31)
    assert json.loads(json.dumps(dumped)) == dumped


def test_absent_optional_fields_are_equivalent_to_defaults(doc):
    doc["scopes"][12]["legacy"] = False
    doc["scopes"][12]["claims"] = []
    del doc["providers"][0]["namespace"]
    registry = parse_registry_document(doc)
    assert registry == parse_registry_document(json.loads(REGISTRY_FILE.read_text()))


def test_legacy_key_without_its_flag_is_refused(doc):
    del doc["scopes"][25]["legacy"]  # dgfip_RevDecl_Cat1_Tspr
    assert _problems(doc) == [("key_format", "scopes[25].key")]


def test_a_document_with_several_errors_reports_all_of_them(doc):
    bad = copy.deepcopy(doc)
    bad["format"] = "scope-registry/2"
    bad["extra"] = True
    bad["providers"][2]["namespace"] = "dgfip"  # cnaf takes dgfip's namespace
    bad["providers"][3]["kind"] = "bank"
    bad["scopes"][3]["label"]["fr"] = 7
    bad["scopes"][5]["key"] = "x" * 1000
    bad["scopes"][12]["claims"] = ["rfr"]
    bad["scopes"][13]["key"] = "Dgfip_nbpart"
    bad["scopes"][14]["deprecated_since"] = "2024-02-30"
    bad["scopes"][15]["legacy"] = "yes"
    bad["scopes"][16]["label"] = {"en": "x" * 501}
    bad["scopes"][17]["provider"] = "impots"
    bad["scopes"][18]["key"] = "dgfip_rfr"
    bad["scopes"][19]["lable"] = {}
    bad["scopes"][20] = "dgfip_decl"
    assert _problems(bad) == [
        ("unknown_field", "extra"),
        ("format", "format"),
        ("provider_kind", "providers[3].kind"),
        ("field_type", "scopes[3].label.fr"),
        ("too_long", "scopes[5].key"),
        ("date_format", "scopes[14].deprecated_since"),
        ("field_type", "scopes[15].legacy"),
        ("too_long", "scopes[16].label.en"),
        ("missing_label", "scopes[16].label.fr"),
        ("unknown_field", "scopes[19].lable"),
        ("field_type", "scopes[20]"),
        ("namespace_taken", "providers[2].namespace"),
        ("claims_on_data_scope", "scopes[12].claims"),
        ("key_format", "scopes[13].key"),
        ("unknown_provider", "scopes[17].provider"),
        ("duplicate_key", "scopes[18].key"),
    ]


def test_scopes_of_a_rejected_provider_are_not_reported_again(doc):
    doc["providers"][4]["label"] = None  # cnous
    assert _problems(doc) == [("field_type", "providers[4].label")]


def test_messages_name_the_key_and_the_rule(doc):
    doc["scopes"][13]["key"] = "Dgfip_nbpart"
    with pytest.raises(RegistryValidationError) as exc:
        parse_registry_document(doc)
    assert str(exc.value) == (
        "1 problem in the scope registry:\n"
        "- scopes[13].key: scope 'Dgfip_nbpart': key must match ^[a-z][a-z0-9]*(_[a-z0-9]+)+$ "
        "(only existing keys flagged legacy may not) (rule key_format)"
    )


@pytest.mark.parametrize(
    ("document", "problems"),
    [
        (None, [("document_type", "$")]),
        ([], [("document_type", "$")]),
        ("scope-registry/1", [("document_type", "$")]),
        ({}, [("required", "format"), ("required", "providers"), ("required", "scopes")]),
        (
            {"format": FORMAT, "providers": {}, "scopes": None},
            [("field_type", "providers"), ("field_type", "scopes")],
        ),
        (
            {"format": FORMAT, "providers": [1], "scopes": [[]]},
            [("field_type", "providers[0]"), ("field_type", "scopes[0]")],
        ),
        (
            {"format": FORMAT, "providers": [{}], "scopes": [{}]},
            [
                ("required", "providers[0].slug"),
                ("required", "providers[0].label"),
                ("required", "providers[0].kind"),
                ("required", "scopes[0].key"),
                ("required", "scopes[0].provider"),
                ("missing_label", "scopes[0].label"),
            ],
        ),
        (
            {
                "format": FORMAT,
                "providers": [],
                "scopes": [
                    {
                        "key": "a_b",
                        "provider": "p",
                        "label": {"fr": "A", "EN": "B", "de": ""},
                        "claims": ["sub", "sub", 3, "a b"],
                    }
                ],
            },
            [
                ("label_language", "scopes[0].label.EN"),
                ("duplicate_claim", "scopes[0].claims[1]"),
                ("field_type", "scopes[0].claims[2]"),
                ("claim_format", "scopes[0].claims[3]"),
            ],
        ),
        (
            {
                "format": FORMAT,
                "providers": [],
                "scopes": [
                    {
                        "key": "a_b",
                        "provider": "p",
                        "label": {"fr": "A"},
                        "deprecated_since": "20240101",
                    }
                ],
            },
            [("date_format", "scopes[0].deprecated_since")],
        ),
        (
            {
                "format": FORMAT,
                "providers": [{"slug": "p", "namespace": "p", "label": "P", "kind": "data"}],
                "scopes": [{"key": "p_a", "provider": "p", "label": {"fr": " "}}],
            },
            [("missing_label", "scopes[0].label.fr")],
        ),
    ],
)
def test_shape_problems(document, problems):
    assert _problems(document) == problems


def test_empty_registry_is_valid():
    registry = parse_registry_document({"format": FORMAT, "providers": [], "scopes": []})
    assert registry.scopes == ()
    assert dump_registry_document(registry) == {"format": FORMAT, "providers": [], "scopes": []}


def test_provider_shape_errors_name_the_provider(doc):
    doc["providers"][3]["kind"] = "bank"
    with pytest.raises(RegistryValidationError) as exc:
        parse_registry_document(doc)
    assert [str(e) for e in exc.value.errors] == [
        "providers[3].kind: provider 'cnam': kind must be identity or data (rule provider_kind)"
    ]


def test_a_wrong_namespace_is_reported_once_not_for_each_scope(doc):
    doc["providers"][2]["namespace"] = "dgfip"
    assert _problems(doc) == [("namespace_taken", "providers[2].namespace")]
