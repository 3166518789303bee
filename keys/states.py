"""Key rotation as a state machine over immutable records.

Each signing key goes through ``NEXT → ACTIVE → RETIRED`` (a ``NEXT`` key may
also be retired directly). Per algorithm there is at most one ``ACTIVE`` key,
which signs, and at most one ``NEXT`` key, which is already published in the
JWKS (RFC 7517 §5) so that relying parties' caches hold it before it starts
signing. Retired keys stay published until every token they signed has
expired (see :mod:`keys.publication`).

All functions here are pure: they take a list of :class:`KeyRecord` and return
a new list; persistence is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from keys.algorithms import SUPPORTED_ALGORITHMS, check_algorithm
from keys.errors import KeyStateError
from keys.material import create_key
from keys.publication import prunable, publishable
from keys.records import KeyRecord, KeyState, utc


def _fresh(alg: str, passphrase: str | bytes, state: KeyState, now: datetime) -> KeyRecord:
    new = create_key(alg, passphrase)
    return KeyRecord(
        kid=new.kid,
        alg=alg,
        state=state,
        public_jwk=new.public_jwk,
        encrypted_private_key=new.encrypted_private_key,
        created_at=now,
        activated_at=now if state is KeyState.ACTIVE else None,
    )


def _find(records: Sequence[KeyRecord], alg: str, state: KeyState) -> KeyRecord | None:
    """Return the key of ``alg`` in ``state``, checking there is at most one."""
    found = [r for r in records if r.alg == alg and r.state is state]
    if len(found) > 1:
        kids = ", ".join(r.kid for r in found)
        raise KeyStateError(f"several {state.value} keys for {alg}: {kids}")
    return found[0] if found else None


def _check_unique_kids(records: Sequence[KeyRecord]) -> None:
    seen: set[str] = set()
    for record in records:
        if record.kid in seen:
            raise KeyStateError(f"duplicate kid {record.kid}")
        seen.add(record.kid)


def initial_key_set(
    passphrase: str | bytes,
    algs: Iterable[str] = SUPPORTED_ALGORITHMS,
    now: datetime | None = None,
) -> list[KeyRecord]:
    """Create the first key set: for each alg, one ACTIVE key and one NEXT key.

    The NEXT key is published in the JWKS right away, so relying parties that
    cache the JWKS already hold it when a later rotation activates it.
    ``now`` defaults to the current UTC time.
    """
    now = utc(now) if now is not None else datetime.now(UTC)
    records: list[KeyRecord] = []
    for alg in dict.fromkeys(algs):
        records.append(_fresh(alg, passphrase, KeyState.ACTIVE, now))
        records.append(_fresh(alg, passphrase, KeyState.NEXT, now))
    return records


def plan_rotation(
    records: Sequence[KeyRecord],
    passphrase: str | bytes,
    now: datetime,
    algs: Iterable[str] | None = None,
    min_next_age: timedelta = timedelta(0),
) -> list[KeyRecord]:
    """Return the full list of records after rotating the keys of ``algs``.

    For each alg: the NEXT key becomes ACTIVE (``activated_at=now``), the ACTIVE key becomes
    RETIRED (``retired_at=now``) and a fresh key becomes NEXT. ``algs`` defaults to every alg
    that has an ACTIVE or NEXT key.

    A key is published in the JWKS before it signs, always (OpenID Connect Core §10.1.1:
    relying parties cache the key set):

    * a NEXT key is promoted only once it has been published for ``min_next_age`` (the time
      every cache takes to hold it); a younger one raises :class:`KeyStateError`;
    * an alg that has an ACTIVE key but no NEXT key (its NEXT was retired or promoted by
      :func:`plan_retire`) only gets a fresh NEXT key: the ACTIVE key goes on signing, and
      the next rotation promotes the new key;
    * an alg with no key at all (a new alg) gets an ACTIVE and a NEXT key, as the first key
      set does: nothing can have cached a key of it.

    Retired keys are returned unchanged. Existing records keep their order; new records are
    appended.
    """
    now = utc(now)
    _check_unique_kids(records)
    if algs is None:
        algs = [r.alg for r in records if r.state is not KeyState.RETIRED]
    result = list(records)
    appended: list[KeyRecord] = []
    for alg in dict.fromkeys(algs):
        check_algorithm(alg)
        active = _find(records, alg, KeyState.ACTIVE)
        nxt = _find(records, alg, KeyState.NEXT)
        if nxt is not None:
            if min_next_age and now - nxt.created_at < min_next_age:
                ready = nxt.created_at + min_next_age
                raise KeyStateError(
                    f"the next {alg} key {nxt.kid} is not published long enough to sign: "
                    f"rotate after {ready:%Y-%m-%d %H:%M:%S} UTC"
                )
            if active is not None:
                result[result.index(active)] = replace(active, state=KeyState.RETIRED, retired_at=now)
            result[result.index(nxt)] = replace(nxt, state=KeyState.ACTIVE, activated_at=now)
        elif active is None:
            appended.append(_fresh(alg, passphrase, KeyState.ACTIVE, now))
        appended.append(_fresh(alg, passphrase, KeyState.NEXT, now))
    return result + appended


def plan_retire(records: Sequence[KeyRecord], kid: str, now: datetime) -> list[KeyRecord]:
    """Return the full list of records after retiring the key ``kid``.

    * A NEXT key is simply retired.
    * The ACTIVE key of an alg can only be retired if that alg has a NEXT key,
      which becomes ACTIVE. No new NEXT key is generated here (run a rotation
      for that), so the alg is left without a NEXT key.
    * Retiring an ACTIVE key without a NEXT key, an already retired key or an
      unknown kid raises :class:`~keys.errors.KeyStateError`.
    """
    now = utc(now)
    _check_unique_kids(records)
    target = next((r for r in records if r.kid == kid), None)
    if target is None:
        raise KeyStateError(f"unknown kid {kid}")
    if target.state is KeyState.RETIRED:
        raise KeyStateError(f"key {kid} ({target.alg}) is already retired")
    result = list(records)
    if target.state is KeyState.ACTIVE:
        nxt = _find(records, target.alg, KeyState.NEXT)
        if nxt is None:
            raise KeyStateError(
                f"cannot retire {kid}: it is the only usable {target.alg} key "
                "(no next key to promote; rotate instead)"
            )
        result[result.index(nxt)] = replace(nxt, state=KeyState.ACTIVE, activated_at=now)
    result[result.index(target)] = replace(target, state=KeyState.RETIRED, retired_at=now)
    return result


def active_key(records: Iterable[KeyRecord], alg: str) -> KeyRecord:
    """Return the ACTIVE key of ``alg``; :class:`KeyStateError` if there is none."""
    found = _find(list(records), alg, KeyState.ACTIVE)
    if found is None:
        raise KeyStateError(f"no active {alg} key")
    return found


__all__ = [
    "KeyRecord",
    "KeyState",
    "active_key",
    "initial_key_set",
    "plan_retire",
    "plan_rotation",
    "prunable",
    "publishable",
]
