"""Which driver errors mean a connection will never work again (idp.database.outages)."""

from __future__ import annotations

import sqlite3

import pytest
from psycopg import errors

from idp.database.outages import is_broken_connection


@pytest.mark.parametrize(
    ("error", "broken"),
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), True),
        (sqlite3.OperationalError("disk I/O error"), True),
        (sqlite3.OperationalError("unable to open database file"), True),
        (sqlite3.OperationalError("database is locked"), False),  # wait and retry, not reconnect
        (sqlite3.IntegrityError("UNIQUE constraint failed: clients.client_id"), False),
        (errors.AdminShutdown("terminating connection due to administrator command"), True),
        (errors.CannotConnectNow("the database system is starting up"), True),
        (errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), True),
        (errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (errors.CharacterNotInRepertoire("invalid byte sequence"), False),  # bad data, no outage
        (ValueError("attempt to write a readonly database"), False),
    ],
)
def test_broken_connections(error, broken):
    assert is_broken_connection(error) is broken
