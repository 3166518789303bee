"""SQLAlchemy Core statements run on a raw DBAPI connection from the engine's pool.

The lean endpoints run one to three single-row statements per request. Through a
SQLAlchemy ``Connection`` each costs 30 to 120 µs of Python (transaction bookkeeping, result
set construction), against 5 µs for the same ``SELECT`` on the driver's cursor
(``bench/RESULTS.md``). So each statement is compiled *once* for the engine's dialect by
SQLAlchemy itself (SQL text, parameter style and order, the column types' bind and result
processors, e.g. JSON and timezone-aware datetimes), and then executed on the DBAPI cursor.
The connection still comes from the engine's pool, with its ``connect`` events (SQLite
pragmas) and its checkout ping (PostgreSQL).
"""

from __future__ import annotations

import contextlib
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import SelectBase

from idp.hotpath.group_commit import GroupCommitter, Write
from idp.hotpath.writer_lock import WriterLock


class CompiledStatement:
    """One statement compiled for one dialect: SQL text, parameter builder, row builder."""

    def __init__(self, statement: Executable, engine: Engine, column_keys: Iterable[str] | None) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
        self.sql = compiled.string
        self._compiled = compiled
        self._order = compiled.positiontup if compiled.positional else None
        self._bind_processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self._row: Callable[[tuple], Any] | None = None
        if isinstance(statement, SelectBase):
            columns = list(statement.selected_columns.items())
            row_type = namedtuple("Row", [key for key, _ in columns])
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, None) for _, column in columns
            ]
            self._row = lambda raw: row_type._make(
                value if process is None else process(value)
                for process, value in zip(processors, raw, strict=True)
            )

    def parameters(self, values: Mapping[str, Any]) -> tuple | dict:
        bound = self._compiled.construct_params(values)
        for name, process in self._bind_processors.items():
            bound[name] = process(bound[name])
        if self._order is None:
            return bound
        return tuple(bound[name] for name in self._order)

    def row(self, raw: tuple | None) -> Any:
        if raw is None or self._row is None:
            return raw
        return self._row(raw)


class StatementCache:
    """Compiled statements per (statement, parameter names), for one engine, per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        # SQLite file databases only: PostgreSQL locks rows, not the database.
        writer_lock = WriterLock(database) if database and database != ":memory:" else None
        self.committer = GroupCommitter(engine.raw_connection, writer_lock or contextlib.nullcontext())
        self._compiled: dict[tuple[int, frozenset[str]], tuple[Executable, CompiledStatement]] = {}
        self._lock = threading.Lock()

    def get(self, statement: Executable, values: Mapping[str, Any]) -> CompiledStatement:
        key = (id(statement), frozenset(values))
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                # The statement object is kept alongside so that its id cannot be reused.
                found = self._compiled.setdefault(
                    key, (statement, CompiledStatement(statement, self.engine, values))
                )
        return found[1]


class RawConnection:
    """One pooled DBAPI connection for one lean request's reads, checked out at its first.

    Writes are kept until :meth:`commit`, which hands them to the process's
    :class:`~idp.hotpath.group_commit.GroupCommitter`; then :meth:`close`.
    """

    def __init__(self, statements: StatementCache) -> None:
        self._statements = statements
        self._connection = None
        self._writes: list[Write] = []

    def first(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        """The first row, with named and processed columns like SQLAlchemy's ``Row``."""
        compiled = self._statements.get(statement, values)
        if self._connection is None:
            self._connection = self._statements.engine.raw_connection()
        cursor = self._connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(values))
            return compiled.row(cursor.fetchone())
        finally:
            cursor.close()

    def execute(self, statement: Executable, values: Mapping[str, Any]) -> None:
        """A write, run at :meth:`commit` (so the request cannot read it back before)."""
        compiled = self._statements.get(statement, values)
        self._writes.append((compiled.sql, compiled.parameters(values)))

    def commit(self) -> None:
        if self._writes:
            writes, self._writes = self._writes, []
            self._statements.committer.commit(writes)

    def close(self) -> None:
        self._writes = []
        if self._connection is not None:
            self._connection.close()
            self._connection = None
