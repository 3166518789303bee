"""Typed errors and the invalid_scope description (scopes.errors)."""

import re

import pytest

from scopes import (
    InvalidScopeRequest,
    ProviderError,
    RegistryError,
    RegistryValidationError,
    ScopeDefinitionError,
    ScopeKeyError,
)

# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
ERROR_DESCRIPTION = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+")


def test_hierarchy():
    for cls in (ScopeKeyError, ProviderError, ScopeDefinitionError, RegistryValidationError):
        assert issubclass(cls, RegistryError)
    assert not issubclass(InvalidScopeRequest, RegistryError)


def test_registry_error_str_names_key_rule_and_path():
    error = ScopeKeyError("key must match X", key="Dgfip_x", rule="key_format")
    assert (error.key, error.rule, error.path) == ("Dgfip_x", "key_format", None)
    assert str(error) == "scope 'Dgfip_x': key must match X (rule key_format)"
    error.at("scopes[3].key")
    assert str(error) == "scopes[3].key: scope 'Dgfip_x': key must match X (rule key_format)"


def test_provider_error_says_provider():
    error = ProviderError("a data provider must own a namespace", key="x", rule="missing_namespace")
    assert (
        str(error) == "provider 'x': a data provider must own a namespace (rule missing_namespace)"
    )


def test_long_keys_are_shortened_in_messages():
    error = ScopeKeyError("too long", key="x" * 10_000, rule="key_length")
    assert len(str(error)) < 150


def test_validation_error_lists_all_problems():
    first = ScopeKeyError("bad", key="a", rule="key_format")
    second = ScopeDefinitionError("twice", key="b", rule="duplicate_key")
    error = RegistryValidationError([first, second])
    assert error.errors == [first, second]
    assert error.rules == ["key_format", "duplicate_key"]
    assert error.rule == "invalid_registry"
    assert str(error) == (
        "2 problems in the scope registry:\n"
        "- scope 'a': bad (rule key_format)\n"
        "- scope 'b': twice (rule duplicate_key)"
    )


@pytest.mark.parametrize(
    ("kwargs", "description"),
    [
        ({"unknown": ["foo_bar"]}, "unknown scope: foo_bar"),
        ({"unknown": ["a_b", "c_d"]}, "unknown scopes: a_b, c_d"),
        ({"deprecated": ["dgfip_x"]}, "deprecated scope: dgfip_x"),
        ({"not_allowed": ["dgfip_rfr"]}, "scope not allowed for this client: dgfip_rfr"),
        ({"malformed": ['"x"']}, "malformed scope: ?x?"),
        (
            {"unknown": ["foo_bar"], "not_allowed": ["dgfip_rfr"]},
            "unknown scope: foo_bar; scope not allowed for this client: dgfip_rfr",
        ),
        (
            {
                "malformed": ["é\\"],
                "unknown": ["u_u"],
                "deprecated": ["d_d"],
                "not_allowed": ["n_n"],
            },
            "malformed scope: ??; unknown scope: u_u; deprecated scope: d_d; "
            "scope not allowed for this client: n_n",
        ),
        ({}, "invalid scope"),
    ],
)
def test_invalid_scope_description(kwargs, description):
    error = InvalidScopeRequest(**kwargs)
    assert error.description == description
    assert str(error) == description
    assert error.error == "invalid_scope"
    assert ERROR_DESCRIPTION.fullmatch(error.description)


def test_invalid_scope_description_stays_short_and_safe():
    error = InvalidScopeRequest(unknown=[f"x_{i}" for i in range(500)], malformed=["\x00" * 5000])
    assert len(error.description) < 1200
    assert "and 490 more" in error.description
    assert ERROR_DESCRIPTION.fullmatch(error.description)
