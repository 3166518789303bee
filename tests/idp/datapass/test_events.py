"""The pure rules of idp.datapass.events, as a table."""

from __future__ import annotations

import pytest

from idp.datapass.events import (
    Authorization,
    FormData,
    Snapshot,
    Standing,
    eidas_level,
    rails_underscore,
    standing_after,
    standing_from_snapshot,
    state_after,
)

OLD = ("dgfip_rfr",)
NEW = ("dgfip_rfr", "dgfip_nbpart")
ACTIVE_OLD = Standing(True, OLD)


def snapshot(state: str | None, *authorizations: Authorization, scopes=NEW, listed: bool = True) -> Snapshot:
    return Snapshot(
        id=1,
        state=state,
        data=FormData(scopes=scopes),
        authorizations=tuple(authorizations) if listed else None,
    )


def live(authorization_id: str = "10", scopes=OLD) -> Authorization:
    return Authorization(id=authorization_id, state="active", data=FormData(scopes=scopes))


def obsolete(authorization_id: str = "9", scopes=("dgfip_sitfam",)) -> Authorization:
    return Authorization(id=authorization_id, state="obsolete", data=FormData(scopes=scopes))


def revoked(authorization_id: str = "10", scopes=OLD) -> Authorization:
    return Authorization(id=authorization_id, state="revoked", revoked=True, data=FormData(scopes=scopes))


@pytest.mark.parametrize(
    ("event", "snap", "previous", "expected"),
    [
        ("approve", snapshot("validated", live("10", NEW)), Standing(False, ()), Standing(True, NEW)),
        ("revoke", snapshot("revoked", revoked()), ACTIVE_OLD, Standing(False, OLD)),
        ("archive", snapshot("archived", live()), ACTIVE_OLD, Standing(False, OLD)),
        ("reopen", snapshot("draft", live()), ACTIVE_OLD, ACTIVE_OLD),
        ("submit", snapshot("submitted", live()), ACTIVE_OLD, ACTIVE_OLD),
        ("refuse", snapshot("refused", live()), ACTIVE_OLD, ACTIVE_OLD),
        ("cancel_reopening", snapshot("validated", live()), ACTIVE_OLD, ACTIVE_OLD),
        ("refuse", snapshot("refused"), Standing(False, ()), Standing(False, ())),
        ("submit", snapshot("submitted", obsolete(), live("12")), Standing(False, ()), ACTIVE_OLD),
        ("update", snapshot("draft", revoked()), ACTIVE_OLD, Standing(False, OLD)),
        ("update", snapshot("draft", listed=False), ACTIVE_OLD, ACTIVE_OLD),
        ("transfer", snapshot("validated", listed=False), Standing(False, ()), Standing(True, NEW)),
    ],
)
def test_standing_after(event, snap, previous, expected):
    assert standing_after(event, snap, previous) == expected


def test_newest_authorization_is_by_id_not_list_position():
    snap = snapshot("draft", live("12", NEW), obsolete("9"))
    assert standing_from_snapshot(snap, Standing(False, ())) == Standing(True, NEW)


@pytest.mark.parametrize(
    ("event", "state", "previous", "expected"),
    [
        ("submit", None, "draft", "submitted"),
        ("update", None, "validated", "validated"),
        ("approve", "validated", "submitted", "validated"),
        ("reopen", None, "validated", "draft"),
        ("transfer", "changes_requested", "draft", "changes_requested"),
    ],
)
def test_state_after(event, state, previous, expected):
    assert state_after(event, snapshot(state), previous) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("eidas_1", "eidas1"), ("eidas2", "eidas2"), ("EIDAS_3", "eidas3"), ("eidas_4", None), (None, None)],
)
def test_eidas_level(value, expected):
    assert eidas_level(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("FranceConnect", "france_connect"),
        ("APIImpotParticulier", "api_impot_particulier"),
        ("APIParticulier", "api_particulier"),
    ],
)
def test_rails_underscore(name, expected):
    assert rails_underscore(name) == expected
