"""Hostile input to the document parser and the policy (Hypothesis)."""

import copy
import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scopes import (
    FORMAT,
    InvalidScopeRequest,
    Registry,
    RegistryError,
    RegistryValidationError,
    check_requested,
    dump_registry_document,
    parse_registry_document,
)

REGISTRY_FILE = Path(__file__).parents[2] / "idp" / "registry" / "data" / "franceconnect-registry.json"
REAL_DOC = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
REAL_REGISTRY = parse_registry_document(REAL_DOC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)

keys = st.sampled_from(
    ["dgfip_rfr", "Dgfip_x", "openid", "prime_activite", "x" * 101, "a b", "", "cnaf_x"]
) | st.text(max_size=20)
near_provider = st.fixed_dictionaries(
    {},
    optional={
        "slug": st.sampled_from(["franceconnect", "dgfip", "cnaf", "Bad"]) | json_values,
        "namespace": st.sampled_from([None, "dgfip", "cnaf", "api_fc", "api"]) | json_values,
        "label": st.sampled_from(["X", "", "y" * 600]) | json_values,
        "label_en": json_values,
        "kind": st.sampled_from(["identity", "data", "bank"]) | json_values,
    },
)
near_scope = st.fixed_dictionaries(
    {},
    optional={
        "key": keys | json_values,
        "provider": st.sampled_from(["franceconnect", "dgfip", "cnaf", "nobody"]) | json_values,
        "label": st.fixed_dictionaries({"fr": st.text()}, optional={"en": json_values})
        | json_values,
        "claims": st.lists(st.sampled_from(["sub", "email", "a b"]) | json_values, max_size=3)
        | json_values,
        "group": json_values,
        "description": json_values,
        "legacy": st.booleans() | json_values,
        "deprecated_since": st.sampled_from(["2024-01-01", "2024-02-30", "x"]) | json_values,
    },
)
near_documents = st.fixed_dictionaries(
    {
        "format": st.just(FORMAT) | json_values,
        "providers": st.lists(near_provider, max_size=4) | json_values,
        "scopes": st.lists(near_scope, max_size=6) | json_values,
    }
)


def _mutate(doc: dict, data) -> dict:
    doc = copy.deepcopy(doc)
    section = data.draw(st.sampled_from(["providers", "scopes"]))
    item = data.draw(st.integers(0, len(doc[section]) - 1))
    field = data.draw(st.sampled_from([*sorted(doc[section][item]), "surprise"]))
    doc[section][item][field] = data.draw(json_values)
    return doc


def _assert_parses_or_reports(doc: object) -> None:
    try:
        registry = parse_registry_document(doc)
    except RegistryValidationError as exc:
        assert exc.errors
        for error in exc.errors:
            assert isinstance(error, RegistryError)
            assert error.rule
            assert len(str(error)) < 1000
        str(exc)
    else:
        assert isinstance(registry, Registry)
        assert parse_registry_document(dump_registry_document(registry)) == registry


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_parses_or_reports(doc):
    _assert_parses_or_reports(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_documents)
def test_near_valid_documents_parse_or_report(doc):
    _assert_parses_or_reports(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_file_parses_or_reports(data):
    _assert_parses_or_reports(_mutate(REAL_DOC, data))


@settings(max_examples=300, deadline=None)
@given(
    st.text() | st.lists(st.text(max_size=10), max_size=10),
    st.lists(st.sampled_from([s.key for s in REAL_REGISTRY.scopes] + ["offline_access"])),
)
def test_check_requested_grants_or_raises_invalid_scope(requested, allowed):
    try:
        granted = check_requested(REAL_REGISTRY, requested, allowed, date(2025, 1, 1))
    except InvalidScopeRequest as exc:
        assert exc.description.isascii()
        assert '"' not in exc.description
        assert "\\" not in exc.description
    else:
        assert set(granted) <= set(allowed)
        assert len(granted) == len(set(granted))
