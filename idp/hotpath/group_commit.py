"""Group commit: the lean path's writes share transactions (one commit for many tokens).

Each issued token is one small INSERT, and its commit costs more than the insert: the WAL
frames are written, and a database admits one writer at a time, so concurrent requests
queue on the write lock. Here a request hands its writes over and waits. The first waiting
thread becomes the leader: it takes the writers' lock (SQLite: :mod:`writer_lock`), runs
every write queued so far (its own included) in one transaction, commits, and wakes their
owners; if more arrived meanwhile, the oldest of them leads the next batch. Under load,
batches grow by themselves and commits become rarer; alone, a request commits at once.

Nothing is acknowledged before its batch committed, so a token is answered only once its
record is visible to every worker. If a batch fails, every request in it gets the error
(nothing of the batch is written) and is handed over to Flask (see :mod:`idp.hotpath`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

#: A write already compiled for the engine: (SQL text, DBAPI parameters).
Write = tuple[str, Any]


class _Ticket:
    __slots__ = ("done", "error", "wake", "writes")

    def __init__(self, writes: list[Write]) -> None:
        self.writes = writes
        self.wake = threading.Event()  # set when done, or when this ticket's turn to lead came
        self.done = False
        self.error: BaseException | None = None


class GroupCommitter:
    """Per process. ``connect`` opens a DBAPI connection; ``exclusive`` is held around each batch."""

    def __init__(self, connect: Callable[[], Any], exclusive: AbstractContextManager) -> None:
        self._connect = connect
        self._exclusive = exclusive
        self._queue: list[_Ticket] = []
        self._queue_lock = threading.Lock()
        self._leading = False

    def commit(self, writes: list[Write]) -> None:
        """Return once ``writes`` are committed; raise the error of their batch otherwise."""
        ticket = _Ticket(writes)
        with self._queue_lock:
            self._queue.append(ticket)
            follow = self._leading
            self._leading = True
        if follow:
            ticket.wake.wait()
        if not ticket.done:
            self._lead_one_batch()
        if ticket.error is not None:
            raise ticket.error

    def _lead_one_batch(self) -> None:
        """Write everything queued, wake its owners, then pass the lead to the oldest waiter."""
        with self._queue_lock:
            batch, self._queue = self._queue, []
        error = self._write(batch)
        for ticket in batch:
            ticket.error = error
            ticket.done = True
            ticket.wake.set()
        with self._queue_lock:
            if self._queue:
                self._queue[0].wake.set()
            else:
                self._leading = False

    def _write(self, batch: list[_Ticket]) -> BaseException | None:
        try:
            with self._exclusive:
                connection = self._connect()
                try:
                    cursor = connection.cursor()
                    try:
                        for ticket in batch:
                            for sql, parameters in ticket.writes:
                                cursor.execute(sql, parameters)
                    finally:
                        cursor.close()
                    connection.commit()
                except BaseException:
                    connection.rollback()
                    raise
                finally:
                    connection.close()  # back to the pool
        except Exception as error:  # handed to each waiting request
            return error
        return None
