"""The hot reads: single-row SELECTs on a raw DBAPI connection held by each server thread
(and, on the same connection, the hot writes of :mod:`idp.database.writes`).

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
import select
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, literal_column
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable

from idp.database.bounds import DeadlineExpired
from idp.database.combined import CombinedWrite
from idp.extensions import db, per_app

#: PostgreSQL: this transaction's commit does not wait for the flush of its WAL record
#: (``synchronous_commit`` off for the transaction, as ``SET LOCAL`` would: PostgreSQL
#: decides each transaction's behaviour "by the setting in effect when it commits",
#: https://www.postgresql.org/docs/current/runtime-config-wal.html). A step of the write's
#: one statement (:mod:`idp.database.combined`), so no round trip is added. A crash within
#: three ``wal_writer_delay`` (0.6 s by default) may lose such a commit, never part of it,
#: and never one committed before a later durable commit: the WAL is flushed in order. A
#: loopback PostgreSQL 15, 2,000 single-insert statements in autocommit: 363–389 µs of wall
#: time per statement, 168–188 µs with this step. SQLite's commits already work so
#: (``synchronous=NORMAL`` in WAL mode, :mod:`idp.database.bounds`).
COMMIT_WITHOUT_FLUSH = func.set_config(
    literal_column("'synchronous_commit'"), literal_column("'off'"), literal_column("true")
).select()


class CompiledStatement:
    """One statement compiled for one dialect: SQL text, parameter builder, row builder.

    A ``SELECT``, or an ``INSERT``/``UPDATE`` (its ``RETURNING`` columns make the row). The
    statement's Python-side column defaults do not run here (SQLAlchemy applies them while
    it executes): a write names every column it sets.
    """

    def __init__(self, statement: Executable, engine: Engine, column_keys: Iterable[str] | None) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
        self.sql = compiled.string
        self._compiled = compiled
        self.positional = bool(compiled.positional)
        self._order = compiled.positiontup if compiled.positional else None
        self._bind_processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns = list(statement.exported_columns.items())
        #: Whether the statement gives rows (a ``SELECT``, or a write with ``RETURNING``).
        self.returns_rows = bool(columns)
        self.width = len(columns)
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


class ThreadConnections:
    """Statements on one autocommit DBAPI connection per thread, kept across requests."""

    def __init__(self, statements: StatementCache, timeout: float) -> None:
        self._statements = statements
        self._local = threading.local()
        self._timeout = timeout
        sqlite = statements.engine.dialect.name == "sqlite"
        self._begin = "BEGIN IMMEDIATE" if sqlite else "BEGIN"
        #: SQLite has one writer at a time, and a connection that finds the lock taken sleeps
        #: in SQLite's busy handler by steps of 1, 2, 5, 10 ... up to 100 ms
        #: (``sqliteDefaultBusyCallback``), even when the writer is done 50 µs later: the
        #: code flow's p99 at 16 flows was 0.5 s with four threads per worker. The threads
        #: of one process queue here instead, woken the moment the writer commits; SQLite's
        #: own lock still orders the processes.
        self._write_lock = threading.Lock() if sqlite else None
        #: psycopg: reads sent together in its pipeline mode, several writes as one statement
        #: (PostgreSQL's data-modifying ``WITH``). The latter by the ids of their compiled
        #: statements, which :class:`StatementCache` keeps for good.
        self._psycopg = statements.engine.dialect.driver == "psycopg"
        self._combined: dict[tuple[int, ...], CombinedWrite] = {}

    def first(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        """The first row, with named and processed columns like SQLAlchemy's ``Row``."""
        return self._read(statement, values, every=False)

    def all(self, statement: Executable, values: Mapping[str, Any]) -> list:
        """Every row, as :meth:`first` makes them."""
        return self._read(statement, values, every=True)

    def _read(self, statement: Executable, values: Mapping[str, Any], every: bool) -> Any:
        compiled = self._statements.get(statement, values)
        return self._attempt(compiled.sql, lambda connection: self._run(connection, compiled, values, every))

    def rows_of_each(self, reads: Sequence[tuple[Executable, Mapping[str, Any], bool]]) -> list[Any]:
        """Of each ``(statement, values, every)``, every row (a list) or the first (or None),
        all sent before any answer is awaited: one round trip on PostgreSQL (psycopg's
        pipeline mode), in turn on SQLite (no network)."""
        compiled = [
            (self._statements.get(statement, values), values, every) for statement, values, every in reads
        ]
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
            raise self._wrapped(error, sql) from error

    def transaction(
        self, steps: Sequence[tuple[Executable, Mapping[str, Any]]], durable: bool = True
    ) -> list[Any]:
        """Run the writes of ``steps`` (statement, values) in one transaction, committed when
        this returns; the ``RETURNING`` row of each step, or None.

        ``durable=False``: on PostgreSQL, the commit does not wait for its WAL record to
        reach the disk (:data:`COMMIT_WITHOUT_FLUSH`). Only for writes whose loss in a crash
        would deny something, never grant it (:func:`idp.database.writes.transaction`).

        One step runs alone, in autocommit: a single statement is atomic on both databases
        and costs one round trip. On PostgreSQL, several are one statement too
        (:mod:`idp.database.combined`: each step sees the database as it was before the
        statement, not the other steps' writes). On SQLite, they run between
        ``BEGIN IMMEDIATE`` (the write lock taken at once, so no reader-turned-writer
        deadlock) and ``COMMIT``.

        A write is never tried twice: it may have been applied when the answer was lost. So
        a held connection is first checked for having been closed by the server meanwhile
        (:meth:`_closed_by_server`, no round trip) and replaced. An error rolls everything
        back and drops the connection; it reaches the caller as SQLAlchemy's
        :class:`~sqlalchemy.exc.DBAPIError`.
        """
        compiled = [self._statements.get(statement, values) for statement, values in steps]
        driver_error = self._statements.engine.dialect.loaded_dbapi.Error
        connection = None
        try:
            with self._writer():
                connection = self._usable_connection()
                if self._psycopg and not durable:
                    flush = self._statements.get(COMMIT_WITHOUT_FLUSH, {})
                    values = [{}, *(values for _, values in steps)]
                    return self._write_combined(connection, [flush, *compiled], values)[1:]
                if len(steps) > 1 and self._psycopg:
                    return self._write_combined(connection, compiled, [values for _, values in steps])
                cursor = connection.cursor()
                try:
                    return self._write(cursor, compiled, steps)
                finally:
                    cursor.close()
        except driver_error as error:
            if connection is not None:
                self._drop(connection)
            raise self._wrapped(error, compiled[0].sql) from error
        except BaseException:
            if connection is not None:
                self._drop(connection)  # a bug mid-transaction: closing rolls it back
            raise

    def _write(self, cursor, compiled: list[CompiledStatement], steps) -> list[Any]:
        several = len(compiled) > 1
        if several:
            cursor.execute(self._begin)
        rows = []
        for statement, (_, values) in zip(compiled, steps, strict=True):
            cursor.execute(statement.sql, statement.parameters(values))
            rows.append(statement.row(cursor.fetchone()) if statement.returns_rows else None)
        if several:
            cursor.execute("COMMIT")
        return rows

    def _write_combined(self, connection, compiled: list[CompiledStatement], values: list) -> list[Any]:
        """PostgreSQL: the steps as one statement (:class:`~idp.database.combined.CombinedWrite`,
        built once per sequence of statements), in autocommit."""
        key = tuple(id(statement) for statement in compiled)
        combined = self._combined.get(key)
        if combined is None:
            combined = self._combined.setdefault(key, CombinedWrite(compiled))
        cursor = connection.cursor()
        try:
            cursor.execute(combined.sql, combined.parameters(values))
            return combined.rows(cursor.fetchone())
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _writer(self):
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(timeout=self._timeout):
            raise self._statements.engine.dialect.loaded_dbapi.OperationalError("database is locked")
        try:
            yield
        finally:
            self._write_lock.release()

    def _usable_connection(self):
        held = getattr(self._local, "connection", None)
        if held is not None and self._closed_by_server(held):
            self._drop(held)
            held = None
        return held if held is not None else self._connect()

    @staticmethod
    def _closed_by_server(connection) -> bool:
        """An idle PostgreSQL connection has nothing to read unless the server closed it
        (a restart, an idle timeout, ``pg_terminate_backend``): its socket is then readable
        (end of file, or the termination notice). No round trip: one ``select`` of the socket.
        SQLite's connections are local files: never."""
        pgconn = getattr(connection, "pgconn", None)
        if pgconn is None:
            return False
        if connection.closed:
            return True
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
        return bool(readable)

    def _wrapped(self, error: Exception, sql: str) -> DBAPIError:
        dialect = self._statements.engine.dialect
        return DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error, dialect=dialect)

    def _run(self, connection, compiled: CompiledStatement, values: Mapping[str, Any], every: bool) -> Any:
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.sql, compiled.parameters(values))
                if every:
                    return [compiled.row(raw) for raw in cursor.fetchall()]
                return compiled.row(cursor.fetchone())
            finally:
                cursor.close()  # ends SQLite's read transaction (no WAL snapshot kept)
        except self._statements.engine.dialect.loaded_dbapi.Error:
            self._drop(connection)
            raise

    def _run_each(
        self, connection, reads: list[tuple[CompiledStatement, Mapping[str, Any], bool]]
    ) -> list[Any]:
        """Every statement sent, then every answer read (:meth:`rows_of_each`)."""
        compiled = [statement for statement, _, _ in reads]
        try:
            values = [statement_values for _, statement_values, _ in reads]
            with _sent_together(connection, compiled, values, self._psycopg) as cursors:
                return [
                    [each.row(raw) for raw in cursor.fetchall()] if every else each.row(cursor.fetchone())
                    for (each, _, every), cursor in zip(reads, cursors, strict=True)
                ]
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


def _thread_connections(app) -> ThreadConnections:
    return ThreadConnections(StatementCache(db.engine), app.config["DATABASE_TIMEOUT"])


def thread_connections() -> ThreadConnections:
    return per_app("idp_thread_connections", _thread_connections)


@contextlib.contextmanager
def _sent_together(connection, compiled: list[CompiledStatement], values: list, pipelined: bool):
    """Each statement executed on a cursor of its own, all in one psycopg pipeline when
    ``pipelined``; yields the cursors, to be read once the pipeline has synced, and closes
    them afterwards."""
    cursors = []
    try:
        with connection.pipeline() if pipelined else contextlib.nullcontext():
            for statement, statement_values in zip(compiled, values, strict=True):
                cursors.append(connection.cursor())
                cursors[-1].execute(statement.sql, statement.parameters(statement_values))
        yield cursors
    finally:
        for cursor in cursors:
            cursor.close()


def first(statement: Executable, values: Mapping[str, Any]) -> Any:
    """The first row of ``statement`` (named columns), or ``None``: a hot, committed read."""
    return thread_connections().first(statement, values)


def all_rows(statement: Executable, values: Mapping[str, Any]) -> list:
    """Every row of ``statement`` (named columns): a hot, committed read."""
    return thread_connections().all(statement, values)


def first_of_each(reads: Sequence[tuple[Executable, Mapping[str, Any]]]) -> list[Any]:
    """:func:`first` of each ``(statement, values)``, in one round trip to the database."""
    return thread_connections().rows_of_each([(statement, values, False) for statement, values in reads])


def rows_of_each(reads: Sequence[tuple[Executable, Mapping[str, Any], bool]]) -> list[Any]:
    """Of each ``(statement, values, every)``, :func:`all_rows` when ``every``, else
    :func:`first`, in one round trip to the database."""
    return thread_connections().rows_of_each(reads)
