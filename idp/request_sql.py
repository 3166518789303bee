"""Where a request's hot Core statements run: one switch shared by both request paths.

In a Flask request they run on the ORM session's connection, inside its transaction. On the
lean path (:mod:`idp.hotpath`) they run on the request's pooled DBAPI connection, which the
lean path commits. The statements and the code around them are the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g
from sqlalchemy.sql import Executable

from idp.extensions import db

#: ``g`` attribute holding the lean path's :class:`~idp.hotpath.rawdb.RawConnection`.
LEAN_CONNECTION = "lean_connection"


def first(statement: Executable, values: Mapping[str, Any]) -> Any:
    """The first row (named columns), or ``None``."""
    lean = g.get(LEAN_CONNECTION)
    if lean is not None:
        return lean.first(statement, values)
    return db.session.connection().execute(statement, values).first()


def execute(statement: Executable, values: Mapping[str, Any]) -> None:
    lean = g.get(LEAN_CONNECTION)
    if lean is not None:
        lean.execute(statement, values)
    else:
        db.session.execute(statement, values)
