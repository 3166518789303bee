"""The pivot identity's rules, as FranceConnect applies them (idp.citizens.pivot)."""

from __future__ import annotations

from datetime import date

import pytest

from idp.citizens.pivot import birthdate_problem, identity_problems
from tests.idp.citizens.test_subject import JOELLE

VALID = JOELLE  # FranceConnect's own test citizen: a valid pivot identity


def test_a_complete_identity_passes():
    assert identity_problems(VALID) == []


@pytest.mark.parametrize("value", ["1992-08-15", "1992-08-00", "1992-00-00", "2000-02-29"])
def test_birthdates_including_unknown_day_or_month(value):
    assert birthdate_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("15/08/1992", "YYYY-MM-DD"),
        ("1992-08", "YYYY-MM-DD"),
        ("1992-00-15", "without its month"),
        ("1992-02-30", "not a date"),
        ("2001-02-29", "not a date"),
        (19920815, "YYYY-MM-DD"),
    ],
)
def test_malformed_birthdates(value, problem):
    assert problem in birthdate_problem(value)


def test_a_birthdate_in_the_future():
    assert "future" in birthdate_problem("2100-01-01", today=date(2026, 12, 1))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"given_name": ""}, "given_name"),
        ({"family_name": "x" * 257}, "family_name"),
        ({"gender": "F"}, "gender"),
        ({"birthcountry": "France"}, "birthcountry"),
        ({"birthplace": None}, "birthplace"),
        ({"birthplace": "Paris"}, "birthplace"),
    ],
)
def test_each_rule_is_named(changes, problem):
    problems = identity_problems({**VALID, **changes})
    assert len(problems) == 1 and problem in problems[0]


def test_born_abroad_needs_no_birthplace():
    assert identity_problems({**VALID, "birthcountry": "99134", "birthplace": ""}) == []
    assert identity_problems({**VALID, "birthcountry": "2A004", "birthplace": None}) == []
