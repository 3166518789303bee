"""Reads that wait for the request's next one and travel with it: one round trip for both.

A caller that may act on what it holds and confirm it a moment later (a client's cached
copy and the version of its row: :func:`idp.clients.lookup.confirmed_with_next_read`) says
with :func:`expect` what a read must return, within a :func:`window`. The window's next
:func:`first` sends that read along with its own (:func:`idp.database.reads.first_of_each`,
psycopg's pipeline mode), or, when none comes, the window's end sends it alone; the window
then tells whether every expectation was met. Outside a window, :func:`first` is
:func:`idp.database.reads.first`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.selectable import SelectBase

from idp.database import reads


@dataclass(frozen=True)
class _Expected:
    statement: SelectBase
    values: Mapping[str, Any]
    row: tuple | None


class Window:
    """The reads expected within one :func:`window`, and whether they returned what was."""

    def __init__(self) -> None:
        self.pending: list[_Expected] = []
        self.met = True

    def send(self, also: Sequence[tuple[SelectBase, Mapping[str, Any]]] = ()) -> list[Any]:
        """The pending reads and ``also`` in one round trip; the first rows of ``also``."""
        pending, self.pending = self.pending, []
        rows = reads.first_of_each([*((read.statement, read.values) for read in pending), *also])
        for read, row in zip(pending, rows, strict=False):
            if (None if row is None else tuple(row)) != read.row:
                self.met = False
        return rows[len(pending) :]


_window: ContextVar[Window | None] = ContextVar("idp_read_window", default=None)


@contextmanager
def window() -> Iterator[Window]:
    """Open a window; what no read took along is sent when it closes (not on an error)."""
    opened = Window()
    token = _window.set(opened)
    try:
        yield opened
    finally:
        _window.reset(token)
    if opened.pending:
        opened.send()


def expect(statement: SelectBase, values: Mapping[str, Any], row: tuple | None) -> bool:
    """Within a window, note that ``statement`` must return ``row`` (checked with the next
    read) and answer True; outside one, False: the caller reads it now."""
    opened = _window.get()
    if opened is None:
        return False
    opened.pending.append(_Expected(statement, values, row))
    return True


def first(statement: SelectBase, values: Mapping[str, Any]) -> Any:
    """:func:`idp.database.reads.first`, taking along the window's pending reads."""
    opened = _window.get()
    if opened is None or not opened.pending:
        return reads.first(statement, values)
    return opened.send([(statement, values)])[0]
