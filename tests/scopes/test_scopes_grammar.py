"""Key grammar and RFC 6749 §3.3 scope strings (scopes.grammar)."""

import json
from pathlib import Path

import pytest

from scopes import (
    KEY_PATTERN,
    InvalidScopeRequest,
    ScopeKeyError,
    format_scope_string,
    is_valid_scope_token,
    parse_scope_string,
    split_scope_request,
    validate_key,
    validate_namespace,
)

REGISTRY_FILE = Path(__file__).parents[2] / "idp" / "registry" / "data" / "franceconnect-registry.json"


def _file_keys():
    doc = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    namespaces = {p["slug"]: p["namespace"] for p in doc["providers"]}
    return [
        pytest.param(s["key"], namespaces[s["provider"]], s.get("legacy", False), id=s["key"])
        for s in doc["scopes"]
    ]


@pytest.mark.parametrize(("key", "namespace", "legacy"), _file_keys())
def test_every_key_of_the_registry_file_passes_with_its_flag(key, namespace, legacy):
    validate_key(key, namespace, legacy=legacy)


@pytest.mark.parametrize(
    ("key", "namespace", "legacy"),
    [(p.values[0], p.values[1], p.values[2]) for p in _file_keys() if p.values[2]],
)
def test_legacy_keys_of_the_registry_file_fail_without_the_flag(key, namespace, legacy):
    with pytest.raises(ScopeKeyError) as exc:
        validate_key(key, namespace)
    assert exc.value.rule in {"key_format", "namespace_prefix"}
    assert exc.value.key == key


@pytest.mark.parametrize(
    ("key", "namespace"),
    [
        ("dgfip_rfr", "dgfip"),
        ("dgfip_annee_n_moins_1", "dgfip"),
        ("dgfip_2024", "dgfip"),
        ("api_fc_liste_paiements", "api_fc"),
        ("cnaf_quotient_familial", "cnaf"),
        ("openid", None),
        ("given_name", None),
        ("identite_pivot", None),
    ],
)
def test_valid_new_keys(key, namespace):
    validate_key(key, namespace)
    validate_key(key, namespace, legacy=True)  # valid and flagged legacy: accepted too


@pytest.mark.parametrize(
    ("key", "namespace", "legacy", "rule"),
    [
        ("Dgfip_rfr", "dgfip", False, "key_format"),
        ("dgfip_", "dgfip", False, "key_format"),
        ("dgfiprfr", "dgfip", False, "key_format"),
        ("dgfip__rfr", "dgfip", False, "key_format"),
        ("1dgfip_rfr", "dgfip", False, "key_format"),
        ("dgfip_rfr\n", "dgfip", False, "scope_token"),
        ("cnaf_x", "dgfip", False, "namespace_prefix"),
        ("dgfipx_rfr", "dgfip", False, "namespace_prefix"),
        ("api_fcx_liste", "api_fc", False, "namespace_prefix"),
        ("dgfip_RevDecl_Cat1_Tspr", "dgfip", False, "key_format"),
        ("api_fc-liste-paiementsv1", "api_fc", False, "key_format"),
        ("prime_activite", "cnaf", False, "namespace_prefix"),
        ("dgfip_rfr x", "dgfip", False, "scope_token"),
        ("dgfip_rfr x", "dgfip", True, "scope_token"),
        ('dgfip_"rfr"', "dgfip", True, "scope_token"),
        ("dgfip_r\\fr", "dgfip", True, "scope_token"),
        ("dgfip_réf", "dgfip", True, "scope_token"),
        ("", "dgfip", True, "scope_token"),
        ("dgfip_" + "x" * 95, "dgfip", False, "key_length"),
        ("Openid", None, False, "identity_key_format"),
        ("open-id", None, True, "identity_key_format"),
        ("_openid", None, False, "identity_key_format"),
    ],
)
def test_invalid_keys(key, namespace, legacy, rule):
    with pytest.raises(ScopeKeyError) as exc:
        validate_key(key, namespace, legacy=legacy)
    assert exc.value.rule == rule
    assert f"(rule {rule})" in str(exc.value)


@pytest.mark.parametrize(
    ("key", "namespace"),
    [
        ("dgfip_RevDecl_Cat1_Tspr", "dgfip"),
        ("dgfip_pac_nbPac", "dgfip"),
        ("api_fc-liste-paiementsv1", "api_fc"),
        ("prime_activite", "cnaf"),
    ],
)
def test_legacy_flag_accepts_keys_breaking_the_new_key_rules(key, namespace):
    validate_key(key, namespace, legacy=True)


def test_error_message_names_key_pattern_and_rule():
    with pytest.raises(ScopeKeyError) as exc:
        validate_key("Dgfip_x", "dgfip")
    assert str(exc.value) == (
        "scope 'Dgfip_x': key must match ^[a-z][a-z0-9]*(_[a-z0-9]+)+$ "
        "(only existing keys flagged legacy may not) (rule key_format)"
    )


def test_key_pattern_is_the_documented_one():
    assert KEY_PATTERN.pattern == r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$"


@pytest.mark.parametrize("namespace", ["dgfip", "api_fc", "cnous2"])
def test_valid_namespaces(namespace):
    validate_namespace(namespace)


@pytest.mark.parametrize("namespace", ["", "DGFIP", "api_", "_api", "a-b", "x" * 51])
def test_invalid_namespaces(namespace):
    with pytest.raises(ScopeKeyError) as exc:
        validate_namespace(namespace)
    assert exc.value.rule == "namespace_format"


@pytest.mark.parametrize(
    ("token", "valid"),
    [
        ("openid", True),
        ("!#[]~", True),
        ("api_fc-liste-paiementsv1", True),
        ("", False),
        ("a b", False),
        ('a"b', False),
        ("a\\b", False),
        ("a\tb", False),
        ("é", False),
        ("\x7f", False),
        (None, False),
        (42, False),
    ],
)
def test_is_valid_scope_token(token, valid):
    assert is_valid_scope_token(token) is valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("openid", ["openid"]),
        ("openid profile dgfip_rfr", ["openid", "profile", "dgfip_rfr"]),
        ("dgfip_rfr openid dgfip_rfr openid", ["dgfip_rfr", "openid"]),
        (" openid  profile ", ["openid", "profile"]),
        ("Openid openid", ["Openid", "openid"]),  # case-sensitive
    ],
)
def test_parse_scope_string(value, expected):
    assert parse_scope_string(value) == expected


@pytest.mark.parametrize(
    ("value", "malformed"),
    [
        ('openid "profile"', ['"profile"']),
        ("openid\tprofile", ["openid\tprofile"]),
        ("openid é\\x é\\x", ["é\\x"]),
    ],
)
def test_parse_scope_string_refuses_illegal_characters(value, malformed):
    with pytest.raises(InvalidScopeRequest) as exc:
        parse_scope_string(value)
    assert exc.value.malformed == malformed
    assert exc.value.unknown == exc.value.not_allowed == exc.value.deprecated == []


def test_split_scope_request_accepts_a_list():
    assert split_scope_request(["b", "a", "b", "a b"]) == (["b", "a"], ["a b"])


def test_format_scope_string():
    assert format_scope_string(["openid", "dgfip_rfr"]) == "openid dgfip_rfr"
