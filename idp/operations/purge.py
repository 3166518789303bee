"""Deleting rows whose validity ended: token records, revoked self-contained tokens, codes,
refresh tokens, sign-ins, private_key_jwt assertion ids and the connection history
(``idp purge-expired``, run from cron or a systemd timer).

Nothing here decides validity. A row is deleted only ``grace`` after its ``expires_at``, and
an expired row is refused exactly like a missing one: an expired access token introspects
inactive (RFC 7662 §2.2), an expired code or refresh token is ``invalid_grant`` (RFC 6749
§5.2), an expired assertion fails on its own ``exp`` (RFC 7523 §3). The grace keeps a window
for investigations and for replay detection of codes and rotated refresh tokens.

Deletes run in batches, each its own transaction, so that token issuance (which writes to
the same tables) never waits long for the database's write lock.
"""

from __future__ import annotations

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


def purge_expired(
    grace: timedelta = DEFAULT_GRACE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    now: datetime | None = None,
    progress: Callable[[int], None] = lambda deleted: None,
) -> dict[str, int]:
    """Delete what expired before ``now - grace``; returns the count per table.
    ``progress(n)`` is called after each batch, with the rows it deleted."""
    cutoff = (now or utcnow()) - grace
    return {model.__tablename__: _purge(model, cutoff, batch_size, progress) for model in EXPIRING}


def count_expired(grace: timedelta = DEFAULT_GRACE, now: datetime | None = None) -> int:
    """How many rows :func:`purge_expired` would delete (for its progress bar)."""
    cutoff = (now or utcnow()) - grace
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.expires_at < cutoff))
        for model in EXPIRING
    )


def _purge(model, cutoff: datetime, batch_size: int, progress: Callable[[int], None]) -> int:
    key = sa.tuple_(*model.__table__.primary_key.columns)
    expired = sa.select(*model.__table__.primary_key.columns).where(model.expires_at < cutoff)
    deleted = 0
    while True:
        result = db.session.execute(sa.delete(model).where(key.in_(expired.limit(batch_size))))
        db.session.commit()
        deleted += result.rowcount
        progress(result.rowcount)
        if result.rowcount < batch_size:
            return deleted
