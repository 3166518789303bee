"""The hot writes: the code flow's inserts and single-use claims, one transaction each, on
the thread's connection of :mod:`idp.database.reads`.

Through the ORM, the code flow's writes (the code and its connection record at
``/authorize``, the code's claim and the token record at ``/token``) cost a unit of work, a
session transaction and a pool checkout each: about half of the flow's CPU at 19 statements
(``python -m bench.profile flow``, ``bench/RESULTS.md``). Here each is a statement compiled
once (:class:`~idp.database.reads.CompiledStatement`), run on the driver's cursor, and
committed before the call returns.

The rule that comes with it: a request writes here *before* any ORM write of its own, or
after it committed. The two are different connections; on SQLite an uncommitted ORM write
holds the database's write lock, which this connection would then wait for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.sql.base import Executable

from idp.database.reads import thread_connections


def transaction(*steps: tuple[Executable, Mapping[str, Any]], durable: bool = True) -> list[Any]:
    """Run each (statement, values) in one transaction, committed on return; the
    ``RETURNING`` row of each step, or None (:meth:`~idp.database.reads.ThreadConnections.transaction`).

    ``durable=False`` is for the writes whose loss in a crash denies and never grants: a
    code that is not there cannot be exchanged, a token without its record is not active.
    On PostgreSQL their commit does not wait for the disk
    (:data:`~idp.database.reads.COMMIT_WITHOUT_FLUSH`); a durable commit after them (a
    code's claim, a revocation) still makes them durable first. A write that would grant
    if lost (a single-use claim: the code or refresh token usable again) stays durable.
    """
    return thread_connections().transaction(steps, durable)
