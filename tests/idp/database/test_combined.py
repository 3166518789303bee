"""Several writes as one PostgreSQL statement (idp.database.combined), through the thread's
connection as the code flow's transactions run (idp.database.reads.ThreadConnections)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from idp.database import writes
from idp.database.combined import _renamed
from idp.extensions import db

_METADATA = MetaData()
_ITEMS = Table(
    "combined_items",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), unique=True, nullable=False),
    Column("note", String(40)),
)
_INSERT = insert(_ITEMS).returning(_ITEMS.c.id, _ITEMS.c.name)
_RENAME = (
    update(_ITEMS)
    .where(_ITEMS.c.name == bindparam("old"))
    .values(name=bindparam("new"))
    .returning(_ITEMS.c.id)
)
_NOTE = update(_ITEMS).where(_ITEMS.c.name.like(bindparam("pattern"))).values(note=bindparam("text"))
_BY_NAME = select(_ITEMS.c.note).where(_ITEMS.c.name == bindparam("name"))


def test_each_steps_parameters_are_renamed_and_a_literal_percent_stays():
    sql = "SELECT '%%' || %(name)s, '%%(name)s' WHERE a = %(a_1)s"
    assert _renamed(sql, 2) == "SELECT '%%' || %(s2_name)s, '%%(name)s' WHERE a = %(s2_a_1)s"


@pytest.fixture
def items(app):
    with app.app_context():
        _METADATA.create_all(db.engine)
        yield
        _METADATA.drop_all(db.engine)


def _names() -> list[str]:
    return sorted(db.session.scalars(select(_ITEMS.c.name)))


@pytest.mark.usefixtures("items")
def test_each_step_gives_its_row_or_none_and_all_are_applied(app):
    with app.app_context():
        writes.transaction((_INSERT, {"name": "kept", "note": None}))
        inserted, renamed, noted = writes.transaction(
            (_INSERT, {"name": "new one", "note": "n"}),
            (_RENAME, {"old": "nothing by that name", "new": "x"}),
            (_NOTE, {"pattern": "ke%", "text": "100%"}),
        )
        assert inserted.name == "new one" and isinstance(inserted.id, int)
        assert renamed is None  # matched no row
        assert noted is None  # no RETURNING
        assert _names() == ["kept", "new one"]
        assert db.session.scalar(_BY_NAME, {"name": "kept"}) == "100%"


@pytest.mark.usefixtures("items")
def test_a_failing_step_leaves_every_step_unapplied(app):
    with app.app_context():
        writes.transaction((_INSERT, {"name": "taken", "note": None}))
        with pytest.raises(IntegrityError):
            writes.transaction(
                (_NOTE, {"pattern": "ta%", "text": "changed"}),
                (_INSERT, {"name": "taken", "note": None}),  # unique violation
            )
        assert _names() == ["taken"]
        assert db.session.scalar(_BY_NAME, {"name": "taken"}) is None
        assert writes.transaction((_INSERT, {"name": "after", "note": None}))[0].name == "after"


@pytest.mark.usefixtures("items")
def test_a_write_that_does_not_wait_for_the_disk_gives_the_same_rows_and_effects(app):
    with app.app_context():
        (alone,) = writes.transaction((_INSERT, {"name": "alone", "note": None}), durable=False)
        inserted, renamed = writes.transaction(
            (_INSERT, {"name": "second", "note": "n"}),
            (_RENAME, {"old": "alone", "new": "renamed"}),
            durable=False,
        )
        assert alone.name == "alone" and inserted.name == "second"
        assert renamed.id == alone.id
        assert _names() == ["renamed", "second"]
