"""Several writes of one transaction sent to PostgreSQL as one statement.

A transaction of the code flow (the code and its connection record at ``/authorize``, the
code's claim and its citizen, the token record and its consent at ``/token``) was sent in
psycopg's pipeline mode, ``BEGIN``, the statements and ``COMMIT`` in one round trip. That
round trip cost the worker 500–640 µs of CPU and the server 310–390 µs, against 200–240
and 240–280 µs for the same two inserts as one statement with data-modifying ``WITH`` queries
(``python -m bench.write_transactions``: 3,000 transactions on a loopback PostgreSQL 15,
psycopg 3.3 binary): psycopg's pipeline handles each queued command, its results and the
sync in Python. One statement is atomic in autocommit, as the transaction was.

Each step becomes ``sN AS (…)``; the main query joins, for each step that gives a row (a
``RETURNING`` clause, or a ``SELECT``), that row with a marker (``LEFT JOIN``: a step that
matched nothing gives no row, and the others still theirs). PostgreSQL runs every ``WITH``
query once, referenced or not (https://www.postgresql.org/docs/current/queries-with.html
§7.8.4), all on the same snapshot: **a step does not see the rows the others write**, so
only steps that do not depend on one another may be combined, as are the flow's. Each step
gives one row at most (each is by primary or unique key).

The statements come compiled by SQLAlchemy for psycopg (``%(name)s`` parameters, a literal
``%`` written ``%%``); each step's parameters are renamed ``sN_name``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idp.database.reads import CompiledStatement

#: A literal percent sign, or a named parameter (group 1), as SQLAlchemy's pyformat writes them.
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


class CombinedWrite:
    """The steps' statements as one, and how its one row splits into each step's."""

    def __init__(self, steps: Sequence[CompiledStatement]) -> None:
        self._steps = list(steps)
        queries, joins = [], []
        #: For each step, where its columns start in the combined row (None: it gives none).
        self._starts: list[int | None] = []
        position = 1  # after the constant the rows are joined to
        for index, step in enumerate(self._steps):
            if step.positional:
                raise ValueError("only named parameters (psycopg) can be combined")
            # Only SQLAlchemy's compiled SQL and step numbers go in: values stay parameters.
            queries.append(f"s{index} AS ({_renamed(step.sql, index)})")
            if step.returns_rows:
                joins.append(f"LEFT JOIN (SELECT true AS found, * FROM s{index}) AS r{index} ON true")  # noqa: S608
                self._starts.append(position)
                position += 1 + step.width
            else:
                self._starts.append(None)
        self.sql = f"WITH {', '.join(queries)} SELECT * FROM (SELECT 1) AS one {' '.join(joins)}"  # noqa: S608

    def parameters(self, values: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {
            f"s{index}_{name}": value
            for index, (step, step_values) in enumerate(zip(self._steps, values, strict=True))
            for name, value in step.parameters(step_values).items()
        }

    def rows(self, raw: tuple) -> list[Any]:
        """Each step's row (processed as its own statement's), or None."""
        rows = []
        for step, start in zip(self._steps, self._starts, strict=True):
            if start is None or raw[start] is None:
                rows.append(None)
            else:
                rows.append(step.row(raw[start + 1 : start + 1 + step.width]))
        return rows


def _renamed(sql: str, index: int) -> str:
    return _PLACEHOLDER.sub(
        lambda match: match.group(0) if match.group(1) is None else f"%(s{index}_{match.group(1)})s", sql
    )
