"""Where a request's hot Core reads run: one switch shared by both request paths.

In a Flask request they run on the ORM session's connection, inside its transaction. On the
lean path (:mod:`idp.hotpath`) they run on the thread's DBAPI connection
(:class:`~idp.hotpath.rawdb.ThreadConnections`). The statements and the code around them are
the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from sqlalchemy.sql.selectable import SelectBase

from idp.extensions import db

#: The lean path's :class:`~idp.hotpath.rawdb.ThreadConnections` while it answers a request
#: (a context variable: cheaper to read than ``flask.g``), ``None`` in Flask's requests.
lean_connections: ContextVar[Any] = ContextVar("lean_connections", default=None)


def first(statement: SelectBase, values: Mapping[str, Any]) -> Any:
    """The first row (named columns), or ``None``."""
    lean = lean_connections.get()
    if lean is not None:
        return lean.first(statement, values)
    return db.session.connection().execute(statement, values).first()
