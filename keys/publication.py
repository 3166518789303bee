"""Which keys the JWKS publishes, and which retired keys may be deleted.

A retired key must stay in the JWKS (RFC 7517 §5) until every token it signed
has expired, i.e. for ``max_token_lifetime`` after ``retired_at``; verifiers
need it until then (RFC 7515 §4.1.4, ``kid`` lookup).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from keys.algorithms import SUPPORTED_ALGORITHMS
from keys.records import KeyRecord, KeyState, utc


def _is_live(record: KeyRecord, now: datetime, max_token_lifetime: timedelta) -> bool:
    if record.state is not KeyState.RETIRED:
        return True
    assert record.retired_at is not None  # enforced by KeyRecord
    return record.retired_at + max_token_lifetime > utc(now)


def publication_order(records: Iterable[KeyRecord]) -> list[KeyRecord]:
    """Sort records: ACTIVE first, then NEXT (both by alg), then RETIRED, newest first."""
    rank = {KeyState.ACTIVE: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}
    alg_rank = {alg: i for i, alg in enumerate(SUPPORTED_ALGORITHMS)}

    def sort_key(r: KeyRecord) -> tuple[int, float, int, str]:
        retired = -r.retired_at.timestamp() if r.retired_at else 0.0
        return (rank[r.state], retired, alg_rank.get(r.alg, len(alg_rank)), r.kid)

    return sorted(records, key=sort_key)


def publishable(
    records: Iterable[KeyRecord], now: datetime, max_token_lifetime: timedelta
) -> list[KeyRecord]:
    """Keys to publish: NEXT, ACTIVE, and RETIRED ones still within their grace period.

    A retired key is kept while ``retired_at + max_token_lifetime > now``.
    Order: active first, then next, then retired (newest first).
    """
    return publication_order(r for r in records if _is_live(r, now, max_token_lifetime))


def prunable(records: Iterable[KeyRecord], now: datetime, max_token_lifetime: timedelta) -> list[str]:
    """Kids of retired keys that are no longer publishable.

    Every token such a key signed has expired, so the store may delete its
    private material (and the record).
    """
    return [r.kid for r in records if not _is_live(r, now, max_token_lifetime)]
