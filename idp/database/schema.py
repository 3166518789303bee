"""Where the database stands: reachable or not, and its schema against this version's
migrations (Alembic's ``alembic_version`` table against the newest script).

``idp check`` reports it, ``idp serve`` refuses to start on a schema that is not at head,
and the ``idp`` command explains a database error with it (:mod:`idp.cli`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from idp.database import MIGRATIONS_DIR

NOT_INITIALISED = "the database is not initialised: run `idp db upgrade`"


@functools.cache
def head_revision() -> str:
    """The newest migration of this version (``idp/migrations/versions``), read once per
    process: the scripts are this version's, and reading them costs about 10 ms (``/readyz``)."""
    return ScriptDirectory(MIGRATIONS_DIR).get_current_head()


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def problem(self) -> str | None:
        """What the operator must do, or None when the schema is at head."""
        if self.current is None:
            return NOT_INITIALISED
        if self.current != self.head:
            return (
                f"the database schema is at revision {self.current}, this version needs {self.head}: "
                "run `idp db upgrade`"
            )
        return None


def schema_state(engine: Engine) -> SchemaState:
    """The schema's revision; raises the driver's error (wrapped by SQLAlchemy) when the
    database cannot be reached."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaState(current, head_revision())


def displayed_url(engine: Engine) -> str:
    """The database URL as an operator may see it: the password masked."""
    return engine.url.render_as_string(hide_password=True)


def unreachable(engine: Engine, error: DBAPIError) -> str:
    """One line on a database that cannot be reached: which one, and the driver's reason
    (its first line; libpq and SQLite never quote a password)."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    return f"the database {displayed_url(engine)} is unreachable: {reason}"
