"""The hot reads: single-row SELECTs on a raw DBAPI connection held by each server thread.

The machine endpoints read one or two rows per request (a client's version, a token's
record). Through a SQLAlchemy ``Connection`` each costs 30 to 120 µs of Python (transaction
bookkeeping, result set construction), against 5 µs for the same ``SELECT`` on the driver's
cursor (``bench/RESULTS.md``). So each statement is compiled *once* for the engine's dialect
by SQLAlchemy itself (SQL text, parameter style and order, the column types' bind and result
processors, e.g. JSON and timezone-aware datetimes), and then executed on the DBAPI cursor.

The connection is made by the engine's pool, so its ``connect`` events (SQLite pragmas,
PostgreSQL timeouts) run, then detached from it and held by the thread in autocommit: each
``SELECT`` sees what was committed before it, like a fresh checkout would, without the
checkout's ping and the return's ``ROLLBACK`` (two round trips per request on PostgreSQL).
These reads never see a request's own uncommitted writes, so only rows that the request
does not write go through here. A driver error drops the connection; a held connection
that fails is replaced and the statement tried once more (the SELECT has no effect), so a
database restart costs no request. Not after a database that did not answer in time
(:class:`~idp.database.bounds.DeadlineExpired`): trying again would wait as long again.
Errors reach the caller as SQLAlchemy's (:class:`~sqlalchemy.exc.DBAPIError`), like the
ORM's, so that one handler answers them (503).
"""

from __future__ import annotations

import contextlib
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.selectable import SelectBase

from idp.database.bounds import DeadlineExpired
from idp.extensions import db, per_app


class CompiledStatement:
    """One ``SELECT`` compiled for one dialect: SQL text, parameter builder, row builder."""

    def __init__(self, statement: SelectBase, engine: Engine, column_keys: Iterable[str] | None) -> None:
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
        columns = list(statement.selected_columns.items())
        self._row_type = namedtuple("Row", [key for key, _ in columns])
        self._result_processors = [
            (index, processor)
            for index, (_, column) in enumerate(columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]

    def parameters(self, values: Mapping[str, Any]) -> tuple | dict:
        bound = self._compiled.construct_params(values)
        for name, process in self._bind_processors.items():
            bound[name] = process(bound[name])
        if self._order is None:
            return bound
        return tuple(bound[name] for name in self._order)

    def row(self, raw: tuple | None) -> Any:
        """The driver's row with named columns, each processed as SQLAlchemy would."""
        if raw is None:
            return None
        values = list(raw)
        for index, process in self._result_processors:
            values[index] = process(values[index])
        return self._row_type._make(values)


class StatementCache:
    """Compiled statements per (statement, parameter names), for one engine, per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._compiled: dict[tuple[int, frozenset[str]], tuple[SelectBase, CompiledStatement]] = {}
        self._lock = threading.Lock()

    def get(self, statement: SelectBase, values: Mapping[str, Any]) -> CompiledStatement:
        key = (id(statement), frozenset(values))
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                # The statement object is kept alongside so that its id cannot be reused.
                found = self._compiled.setdefault(
                    key, (statement, CompiledStatement(statement, self.engine, values))
                )
        return found[1]


class ThreadConnections:
    """Read statements on one autocommit DBAPI connection per thread, kept across requests."""

    def __init__(self, statements: StatementCache) -> None:
        self._statements = statements
        self._local = threading.local()

    def first(self, statement: SelectBase, values: Mapping[str, Any]) -> Any:
        """The first row, with named and processed columns like SQLAlchemy's ``Row``."""
        compiled = self._statements.get(statement, values)
        return self._attempt(compiled.sql, lambda connection: self._run(connection, compiled, values))

    def first_of_each(self, reads: Sequence[tuple[SelectBase, Mapping[str, Any]]]) -> list[Any]:
        """The first row of each ``(statement, values)``, all sent before any answer is awaited:
        one round trip on PostgreSQL (psycopg's pipeline mode), in turn on SQLite (no network)."""
        compiled = [(self._statements.get(statement, values), values) for statement, values in reads]
        return self._attempt(compiled[0][0].sql, lambda connection: self._run_each(connection, compiled))

    def _attempt(self, sql: str, run: Callable[[Any], Any]) -> Any:
        """``run(connection)`` on the held connection, once more on a new one if that failed."""
        driver_error = self._statements.engine.dialect.loaded_dbapi.Error
        held = getattr(self._local, "connection", None)
        try:
            if held is not None:
                try:
                    return run(held)
                except driver_error as error:
                    if isinstance(error, DeadlineExpired):
                        raise
                    # dropped: the database restarted, or the connection went stale
            return run(self._connect())
        except driver_error as error:
            raise DBAPIError.instance(
                sql, None, error, driver_error, dialect=self._statements.engine.dialect
            ) from error

    def _run(self, connection, compiled: CompiledStatement, values: Mapping[str, Any]) -> Any:
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.sql, compiled.parameters(values))
                return compiled.row(cursor.fetchone())
            finally:
                cursor.close()  # ends SQLite's read transaction (no WAL snapshot kept)
        except self._statements.engine.dialect.loaded_dbapi.Error:
            self._drop(connection)
            raise

    def _run_each(self, connection, reads: list[tuple[CompiledStatement, Mapping[str, Any]]]) -> list[Any]:
        """Every statement sent, then every answer read (:meth:`first_of_each`)."""
        pipelined = self._statements.engine.dialect.driver == "psycopg"
        try:
            cursors = []
            try:
                with connection.pipeline() if pipelined else contextlib.nullcontext():
                    for compiled, values in reads:
                        cursors.append(connection.cursor())
                        cursors[-1].execute(compiled.sql, compiled.parameters(values))
                return [read[0].row(cursor.fetchone()) for read, cursor in zip(reads, cursors, strict=True)]
            finally:
                for cursor in cursors:
                    cursor.close()
        except self._statements.engine.dialect.loaded_dbapi.Error:
            self._drop(connection)
            raise

    def _connect(self):
        engine = self._statements.engine
        pooled = engine.raw_connection()
        pooled.detach()
        connection = pooled.dbapi_connection
        engine.dialect.set_isolation_level(connection, "AUTOCOMMIT")
        self._local.connection = connection
        return connection

    def _drop(self, connection) -> None:
        self._local.connection = None
        with contextlib.suppress(self._statements.engine.dialect.loaded_dbapi.Error):
            connection.close()  # already broken, most likely


def _thread_connections(_app) -> ThreadConnections:
    return ThreadConnections(StatementCache(db.engine))


def first(statement: SelectBase, values: Mapping[str, Any]) -> Any:
    """The first row of ``statement`` (named columns), or ``None``: a hot, committed read."""
    return per_app("idp_thread_connections", _thread_connections).first(statement, values)


def first_of_each(reads: Sequence[tuple[SelectBase, Mapping[str, Any]]]) -> list[Any]:
    """:func:`first` of each ``(statement, values)``, in one round trip to the database."""
    return per_app("idp_thread_connections", _thread_connections).first_of_each(reads)
