"""keys.publication: which keys the JWKS publishes and which retired keys may be pruned."""

from datetime import UTC, datetime, timedelta

import pytest

from keys import KeyRecord, KeyState, prunable, publishable
from keys.publication import publication_order

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LIFETIME = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def record(kid, state, alg="ES256", retired_at=None):
    return KeyRecord(
        kid=kid,
        alg=alg,
        state=state,
        public_jwk={"kty": "EC" if alg == "ES256" else "RSA", "kid": kid, "alg": alg},
        encrypted_private_key=b"",
        created_at=NOW - timedelta(days=90),
        activated_at=None if state is KeyState.NEXT else NOW - timedelta(days=60),
        retired_at=retired_at,
    )


@pytest.mark.parametrize(
    ("retired_at", "is_published"),
    [
        (NOW, True),
        (NOW - LIFETIME + SECOND, True),
        (NOW - LIFETIME, False),  # every token it signed has just expired
        (NOW - LIFETIME - SECOND, False),
        (NOW - timedelta(days=365), False),
    ],
    ids=["just-retired", "one-second-left", "exactly-at-boundary", "one-second-past", "long-ago"],
)
def test_retired_key_published_until_max_token_lifetime(retired_at, is_published):
    retired = record("old", KeyState.RETIRED, retired_at=retired_at)
    records = [record("a", KeyState.ACTIVE), record("n", KeyState.NEXT), retired]
    kids = [r.kid for r in publishable(records, NOW, LIFETIME)]
    assert kids == (["a", "n", "old"] if is_published else ["a", "n"])
    assert prunable(records, NOW, LIFETIME) == ([] if is_published else ["old"])


def test_active_and_next_keys_are_never_pruned():
    records = [record("a", KeyState.ACTIVE), record("n", KeyState.NEXT)]
    far_future = NOW + timedelta(days=10_000)
    assert [r.kid for r in publishable(records, far_future, timedelta(0))] == ["a", "n"]
    assert prunable(records, far_future, timedelta(0)) == []


def test_publication_order_is_active_next_then_retired_newest_first():
    records = [
        record("r-old", KeyState.RETIRED, retired_at=NOW - timedelta(minutes=50)),
        record("n-rs", KeyState.NEXT, alg="RS256"),
        record("r-new", KeyState.RETIRED, retired_at=NOW - timedelta(minutes=5)),
        record("a-rs", KeyState.ACTIVE, alg="RS256"),
        record("n-es", KeyState.NEXT),
        record("r-mid", KeyState.RETIRED, alg="RS256", retired_at=NOW - timedelta(minutes=20)),
        record("a-es", KeyState.ACTIVE),
    ]
    expected = ["a-es", "a-rs", "n-es", "n-rs", "r-new", "r-mid", "r-old"]
    assert [r.kid for r in publishable(records, NOW, LIFETIME)] == expected
    assert [r.kid for r in publishable(reversed(records), NOW, LIFETIME)] == expected
    assert [r.kid for r in publication_order(records)] == expected


def test_prunable_lists_only_expired_retired_kids_in_input_order():
    records = [
        record("gone-1", KeyState.RETIRED, retired_at=NOW - 3 * LIFETIME),
        record("a", KeyState.ACTIVE),
        record("kept", KeyState.RETIRED, retired_at=NOW - LIFETIME / 2),
        record("gone-2", KeyState.RETIRED, retired_at=NOW - 2 * LIFETIME),
    ]
    assert prunable(records, NOW, LIFETIME) == ["gone-1", "gone-2"]
    assert [r.kid for r in publishable(records, NOW, LIFETIME)] == ["a", "kept"]


def test_naive_now_is_taken_as_utc():
    retired = record("old", KeyState.RETIRED, retired_at=NOW - LIFETIME + SECOND)
    naive_now = NOW.replace(tzinfo=None)
    assert [r.kid for r in publishable([retired], naive_now, LIFETIME)] == ["old"]
    assert prunable([retired], naive_now + SECOND, LIFETIME) == ["old"]
