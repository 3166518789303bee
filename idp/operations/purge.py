"""Deleting rows whose validity ended: token records, revoked self-contained tokens, codes,
refresh tokens, sign-ins, private_key_jwt assertion ids and the connection history
(``idp purge-expired``, run from cron or a systemd timer).

Nothing here decides validity. A row is deleted only ``grace`` after its ``expires_at``, and
an expired row is refused exactly like a missing one: an expired access token introspects
inactive (RFC 7662 §2.2), an expired code or refresh token is ``invalid_grant`` (RFC 6749
§5.2), an expired assertion fails on its own ``exp`` (RFC 7523 §3). The grace keeps a window
for investigations and for replay detection of codes and rotated refresh tokens.

Deletes run in batches, each its own transaction, so that token issuance (which writes to
the same tables) never waits long for the database's write lock. A batch is bounded in rows
and in time: a deleted row costs an update of each of its table's indexes, more as the
tables grow (from 30 µs a row among 50,000 token records to 120 µs among 1,000,000, on
SQLite, ``bench/large_data.py``), so each batch takes as many rows as the previous one's
pace lets it delete in :data:`BATCH_SECONDS`, from :data:`FIRST_BATCH_SIZE` on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from idp.extensions import db
from idp.models import (
    AccessTokenRecord,
    AuthorizationCode,
    ClientAssertionJti,
    ConnectionEvent,
    LoginSession,
    RefreshToken,
    RevokedAccessToken,
    utcnow,
)

EXPIRING = (
    AccessTokenRecord,
    RevokedAccessToken,
    AuthorizationCode,
    RefreshToken,
    LoginSession,
    ClientAssertionJti,
    ConnectionEvent,
)
DEFAULT_GRACE = timedelta(days=1)
DEFAULT_BATCH_SIZE = 5000
#: How long one batch should hold the write lock (SQLite's is the whole database's), and the
#: size of each table's first batch, before any pace is known.
BATCH_SECONDS = 0.05
FIRST_BATCH_SIZE = 100


def purge_expired(
    grace: timedelta = DEFAULT_GRACE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    now: datetime | None = None,
    progress: Callable[[int], None] = lambda deleted: None,
    batch_seconds: float = BATCH_SECONDS,
) -> dict[str, int]:
    """Delete what expired before ``now - grace``, in batches of at most ``batch_size`` rows
    and about ``batch_seconds``; returns the count per table. ``progress(n)`` is called after
    each batch, with the rows it deleted."""
    cutoff = (now or utcnow()) - grace
    return {
        model.__tablename__: _purge(model, cutoff, batch_size, batch_seconds, progress) for model in EXPIRING
    }


def count_expired(grace: timedelta = DEFAULT_GRACE, now: datetime | None = None) -> int:
    """How many rows :func:`purge_expired` would delete (for its progress bar)."""
    cutoff = (now or utcnow()) - grace
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.expires_at < cutoff))
        for model in EXPIRING
    )


def _purge(
    model, cutoff: datetime, batch_size: int, batch_seconds: float, progress: Callable[[int], None]
) -> int:
    key = sa.tuple_(*model.__table__.primary_key.columns)
    expired = sa.select(*model.__table__.primary_key.columns).where(model.expires_at < cutoff)
    deleted, size = 0, min(batch_size, FIRST_BATCH_SIZE)
    while True:
        started = time.monotonic()
        result = db.session.execute(sa.delete(model).where(key.in_(expired.limit(size))))
        db.session.commit()
        elapsed = time.monotonic() - started
        deleted += result.rowcount
        progress(result.rowcount)
        if result.rowcount < size:
            return deleted
        if elapsed > 0:  # the next batch: what this one's pace deletes in batch_seconds
            size = max(1, min(batch_size, int(size * batch_seconds / elapsed)))
