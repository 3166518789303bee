"""keys.states and keys.records: the NEXT → ACTIVE → RETIRED rotation state machine."""

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from keys import (
    KeyManagementError,
    KeyRecord,
    KeyState,
    KeyStateError,
    NewKey,
    UnsupportedAlgorithm,
    active_key,
    create_key,
    decrypt_private_key,
    initial_key_set,
    jwk_thumbprint,
    plan_retire,
    plan_rotation,
    public_jwk,
)

PASSPHRASE = "test-passphrase-not-secret"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=30)
T2 = T1 + timedelta(days=30)
T3 = T2 + timedelta(days=30)


def by_state(records, alg):
    """{state: [kids]} for one alg."""
    table: dict[KeyState, list[str]] = {state: [] for state in KeyState}
    for record in records:
        if record.alg == alg:
            table[record.state].append(record.kid)
    return table


def find(records, kid):
    (record,) = [r for r in records if r.kid == kid]
    return record


@pytest.fixture(scope="module")
def initial():
    return initial_key_set(PASSPHRASE, now=T0)


@pytest.fixture(scope="module")
def es_only():
    return initial_key_set(PASSPHRASE, algs=("ES256",), now=T0)


# -- create_key / initial_key_set ------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_create_key_returns_a_consistent_new_key(alg):
    new = create_key(alg, PASSPHRASE)
    assert isinstance(new, NewKey)
    assert new.alg == alg
    assert new.kid == new.public_jwk["kid"] == jwk_thumbprint(new.public_jwk)
    private = decrypt_private_key(new.encrypted_private_key, PASSPHRASE)
    assert public_jwk(private, alg) == new.public_jwk


def test_create_key_refuses_unsupported_alg():
    with pytest.raises(UnsupportedAlgorithm):
        create_key("HS256", PASSPHRASE)


def test_initial_key_set_has_one_active_and_one_next_per_alg(initial):
    assert len(initial) == 4
    for alg in ("ES256", "RS256"):
        table = by_state(initial, alg)
        assert [len(table[s]) for s in KeyState] == [1, 1, 0]
    assert len({r.kid for r in initial}) == 4


def test_initial_key_set_timestamps(initial):
    for record in initial:
        assert record.created_at == T0
        assert record.retired_at is None
        expected = T0 if record.state is KeyState.ACTIVE else None
        assert record.activated_at == expected


def test_initial_keys_decrypt_to_the_key_their_kid_names(initial):
    for record in initial:
        private = decrypt_private_key(record.encrypted_private_key, PASSPHRASE)
        assert public_jwk(private, record.alg)["kid"] == record.kid


def test_initial_key_set_for_selected_algs_and_default_now(es_only):
    assert {r.alg for r in es_only} == {"ES256"}
    before = datetime.now(UTC)
    records = initial_key_set(PASSPHRASE, algs=["ES256"])
    assert before <= records[0].created_at <= datetime.now(UTC)
    assert records[0].created_at.tzinfo is not None


# -- plan_rotation ---------------------------------------------------------------------------


def test_rotation_promotes_next_retires_active_and_creates_next(initial):
    before = {alg: by_state(initial, alg) for alg in ("ES256", "RS256")}
    rotated = plan_rotation(initial, PASSPHRASE, T1)
    assert len(rotated) == 6
    for alg in ("ES256", "RS256"):
        after = by_state(rotated, alg)
        assert after[KeyState.ACTIVE] == before[alg][KeyState.NEXT]
        assert after[KeyState.RETIRED] == before[alg][KeyState.ACTIVE]
        (new_next,) = after[KeyState.NEXT]
        assert new_next not in before[alg][KeyState.NEXT] + before[alg][KeyState.ACTIVE]
        assert find(rotated, after[KeyState.ACTIVE][0]).activated_at == T1
        assert find(rotated, after[KeyState.RETIRED][0]).retired_at == T1
        assert find(rotated, after[KeyState.RETIRED][0]).activated_at == T0
        assert find(rotated, new_next).created_at == T1


def test_rotation_does_not_mutate_its_input(initial):
    snapshot = list(initial)
    plan_rotation(initial, PASSPHRASE, T1)
    assert initial == snapshot
    with pytest.raises(FrozenInstanceError):
        initial[0].state = KeyState.RETIRED


def test_rotating_twice_keeps_retired_keys_unchanged(es_only):
    once = plan_rotation(es_only, PASSPHRASE, T1)
    twice = plan_rotation(once, PASSPHRASE, T2)
    first_retired = find(once, by_state(once, "ES256")[KeyState.RETIRED][0])
    table = by_state(twice, "ES256")
    assert [len(table[s]) for s in KeyState] == [1, 1, 2]
    assert find(twice, first_retired.kid) == first_retired
    assert table[KeyState.ACTIVE] == by_state(once, "ES256")[KeyState.NEXT]
    assert find(twice, table[KeyState.ACTIVE][0]).activated_at == T2
    assert twice[: len(once)] != once  # existing records are replaced in place...
    assert [r.kid for r in twice[: len(once)]] == [r.kid for r in once]  # ...in the same order


def test_rotation_of_selected_algs_leaves_the_others_alone(initial):
    rotated = plan_rotation(initial, PASSPHRASE, T1, algs=["RS256"])
    assert [r for r in rotated if r.alg == "ES256"] == [r for r in initial if r.alg == "ES256"]
    assert len(by_state(rotated, "RS256")[KeyState.RETIRED]) == 1


def test_rotation_without_next_key_only_creates_one_the_active_key_goes_on(es_only):
    """A key never published does not sign: without a NEXT key, rotation makes one and stops."""
    next_kid = by_state(es_only, "ES256")[KeyState.NEXT][0]
    old_active = by_state(es_only, "ES256")[KeyState.ACTIVE][0]
    without_next = plan_retire(es_only, next_kid, T1)
    rotated = plan_rotation(without_next, PASSPHRASE, T2)
    table = by_state(rotated, "ES256")
    assert table[KeyState.RETIRED] == [next_kid]
    assert table[KeyState.ACTIVE] == [old_active]
    (new_next,) = table[KeyState.NEXT]
    assert find(rotated, new_next).created_at == T2
    promoted = by_state(plan_rotation(rotated, PASSPHRASE, T3), "ES256")
    assert promoted[KeyState.ACTIVE] == [new_next]


def test_retiring_the_active_key_then_rotating_never_activates_an_unpublished_key(es_only):
    active = by_state(es_only, "ES256")[KeyState.ACTIVE][0]
    retired = plan_retire(es_only, active, T1)  # the NEXT (published since T0) signs now
    rotated = plan_rotation(retired, PASSPHRASE, T2)
    (signing,) = by_state(rotated, "ES256")[KeyState.ACTIVE]
    assert find(rotated, signing).created_at == T0


def test_a_next_key_younger_than_the_publication_delay_is_not_promoted(es_only):
    once = plan_rotation(es_only, PASSPHRASE, T1)
    with pytest.raises(KeyStateError, match="not published long enough"):
        plan_rotation(once, PASSPHRASE, T1 + timedelta(seconds=30), min_next_age=timedelta(minutes=2))
    twice = plan_rotation(once, PASSPHRASE, T1 + timedelta(minutes=2), min_next_age=timedelta(minutes=2))
    assert by_state(twice, "ES256")[KeyState.ACTIVE] == by_state(once, "ES256")[KeyState.NEXT]


def test_rotation_of_a_new_alg_creates_active_and_next(es_only):
    rotated = plan_rotation(es_only, PASSPHRASE, T1, algs=["RS256"])
    assert rotated[: len(es_only)] == es_only
    table = by_state(rotated, "RS256")
    assert [len(table[s]) for s in KeyState] == [1, 1, 0]


def test_rotation_of_an_empty_set_does_nothing():
    assert plan_rotation([], PASSPHRASE, T1) == []


def test_rotation_refuses_unsupported_alg(es_only):
    with pytest.raises(UnsupportedAlgorithm, match="HS256"):
        plan_rotation(es_only, PASSPHRASE, T1, algs=["HS256"])


@pytest.mark.parametrize("state", [KeyState.ACTIVE, KeyState.NEXT])
def test_rotation_refuses_two_keys_in_the_same_state(es_only, state):
    extra = create_key("ES256", PASSPHRASE)
    record = KeyRecord(
        kid=extra.kid,
        alg="ES256",
        state=state,
        public_jwk=extra.public_jwk,
        encrypted_private_key=extra.encrypted_private_key,
        created_at=T0,
        activated_at=T0 if state is KeyState.ACTIVE else None,
    )
    with pytest.raises(KeyStateError, match=f"several {state.value} keys for ES256"):
        plan_rotation([*es_only, record], PASSPHRASE, T1)


def test_rotation_refuses_duplicate_kids(es_only):
    with pytest.raises(KeyStateError, match="duplicate kid"):
        plan_rotation([*es_only, es_only[0]], PASSPHRASE, T1)


# -- plan_retire -----------------------------------------------------------------------------


def test_retiring_the_next_key(es_only):
    next_kid = by_state(es_only, "ES256")[KeyState.NEXT][0]
    result = plan_retire(es_only, next_kid, T1)
    record = find(result, next_kid)
    assert (record.state, record.retired_at, record.activated_at) == (KeyState.RETIRED, T1, None)
    assert by_state(result, "ES256")[KeyState.ACTIVE] == by_state(es_only, "ES256")[KeyState.ACTIVE]


def test_retiring_the_active_key_promotes_next_without_creating_one(es_only):
    table = by_state(es_only, "ES256")
    result = plan_retire(es_only, table[KeyState.ACTIVE][0], T1)
    after = by_state(result, "ES256")
    assert len(result) == len(es_only)
    assert after[KeyState.ACTIVE] == table[KeyState.NEXT]
    assert after[KeyState.RETIRED] == table[KeyState.ACTIVE]
    assert after[KeyState.NEXT] == []
    assert find(result, table[KeyState.NEXT][0]).activated_at == T1


def _promoted(records):
    """``records`` after retiring the ES256 active key: the old NEXT is active, no NEXT left."""
    return plan_retire(records, by_state(records, "ES256")[KeyState.ACTIVE][0], T1)


@pytest.mark.parametrize(
    ("make_records", "pick_kid", "message"),
    [
        (lambda r: r, lambda r: "no-such-kid", "unknown kid"),
        (_promoted, lambda r: by_state(r, "ES256")[KeyState.ACTIVE][0], "already retired"),
        (_promoted, lambda r: by_state(r, "ES256")[KeyState.NEXT][0], "only usable ES256 key"),
    ],
    ids=["unknown-kid", "already-retired", "active-without-next"],
)
def test_retire_errors(es_only, make_records, pick_kid, message):
    kid = pick_kid(es_only)
    records = make_records(es_only)
    with pytest.raises(KeyStateError, match=message) as info:
        plan_retire(records, kid, T2)
    assert kid in str(info.value)


# -- active_key ------------------------------------------------------------------------------


def test_active_key(initial):
    for alg in ("ES256", "RS256"):
        assert active_key(initial, alg).kid == by_state(initial, alg)[KeyState.ACTIVE][0]


def test_active_key_missing(es_only):
    with pytest.raises(KeyStateError, match="no active RS256 key"):
        active_key(es_only, "RS256")


# -- KeyRecord validation --------------------------------------------------------------------


def _record(**changes):
    base = {
        "kid": "kid-1",
        "alg": "ES256",
        "state": KeyState.ACTIVE,
        "public_jwk": {"kty": "EC", "kid": "kid-1", "alg": "ES256"},
        "encrypted_private_key": b"blob",
        "created_at": T0,
        "activated_at": T0,
        "retired_at": None,
    }
    return KeyRecord(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"activated_at": None}, KeyStateError),
        ({"retired_at": T1}, KeyStateError),
        ({"state": KeyState.NEXT}, KeyStateError),
        ({"state": KeyState.NEXT, "activated_at": None, "retired_at": T1}, KeyStateError),
        ({"state": KeyState.RETIRED}, KeyStateError),
        ({"kid": "other"}, KeyStateError),
        ({"alg": "RS256"}, KeyStateError),
        ({"alg": "none"}, UnsupportedAlgorithm),
        ({"state": "bogus"}, ValueError),
        ({"public_jwk": {"kty": "EC", "kid": "kid-1", "d": "secret"}}, KeyManagementError),
    ],
    ids=[
        "active-without-activated_at",
        "active-with-retired_at",
        "next-with-activated_at",
        "next-with-retired_at",
        "retired-without-retired_at",
        "kid-mismatch",
        "alg-mismatch",
        "alg-none",
        "unknown-state",
        "private-member",
    ],
)
def test_invalid_records_are_refused(changes, error):
    with pytest.raises(error):
        _record(**changes)


def test_records_normalise_types_and_timezones():
    paris = timezone(timedelta(hours=1))
    record = _record(
        state="active",
        created_at=datetime(2025, 1, 1, 12, 0),  # naive, e.g. read back from SQLite
        activated_at=datetime(2025, 1, 1, 13, 0, tzinfo=paris),
        encrypted_private_key=memoryview(b"blob"),
    )
    assert record.state is KeyState.ACTIVE
    assert record.created_at == T0 and record.created_at.tzinfo is UTC
    assert record.activated_at == T0 and record.activated_at.tzinfo is UTC
    assert record.encrypted_private_key == b"blob"
    assert replace(record, state=KeyState.RETIRED, retired_at=T1).state == "retired"
