"""Sign-in brute-force limiting, per account and per IP address (RFC 9700 §4.6 spirit; OWASP
Authentication Cheat Sheet "account lockout").

Counters live in the ``login_throttles`` table so that every instance shares them. Each key
counts failures within a window of ``LOGIN_THROTTLE_WINDOW`` seconds; reaching the limit locks
the key for one window. While locked, the password is not even checked, and the citizen is
told when to retry. Counts are updated with single atomic statements, so concurrent failures
on several instances are all counted.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app, request
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from idp.extensions import db
from idp.models import LoginThrottle, utcnow


@dataclass(frozen=True)
class ThrottleKey:
    """One counter: its table key and the number of failures allowed per window."""

    key: str
    limit: int


class SignInCounters(NamedTuple):
    """The two counters a sign-in attempt is charged to."""

    account: ThrottleKey
    ip: ThrottleKey


def counters_for(username: str) -> SignInCounters:
    """The account counter (username hashed: no personal data in the table) and the IP's."""
    config = current_app.config
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return SignInCounters(
        ThrottleKey(f"account:{account}", config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
        ThrottleKey(f"ip:{request.remote_addr or 'unknown'}", config["LOGIN_MAX_FAILURES_PER_IP"]),
    )


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW"])


def locked_until(counters: SignInCounters) -> datetime | None:
    """The latest end of lock among ``counters``, or None when sign-in may be tried."""
    now = utcnow()
    ends = db.session.scalars(
        db.select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_([item.key for item in counters]), LoginThrottle.locked_until > now
        )
    ).all()
    return max(ends) if ends else None


def _count_failure(key: str, now: datetime) -> int:
    """Add one failure to ``key`` atomically; returns the count within the current window."""
    window_open = LoginThrottle.window_start > now - _window()
    for _attempt in range(3):
        counted = db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, window_open)
            .values(failures=LoginThrottle.failures + 1)
        ).rowcount
        if not counted:
            counted = db.session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key, ~window_open)
                .values(failures=1, window_start=now, locked_until=None)
            ).rowcount
        if not counted:
            try:
                with db.session.begin_nested():
                    db.session.add(LoginThrottle(key=key, failures=1, window_start=now))
            except IntegrityError:
                continue  # another instance created it first: count on its row
        return db.session.scalar(db.select(LoginThrottle.failures).where(LoginThrottle.key == key)) or 1
    raise RuntimeError(f"could not count a sign-in failure on {key}")


def record_failure(counters: SignInCounters) -> datetime | None:
    """Count a failed sign-in on both counters; returns the lock end if one is now locked."""
    now = utcnow()
    lock_end = None
    for item in counters:
        if _count_failure(item.key, now) >= item.limit:
            lock_end = now + _window()
            db.session.execute(
                update(LoginThrottle).where(LoginThrottle.key == item.key).values(locked_until=lock_end)
            )
    db.session.commit()
    return lock_end


def record_success(account: ThrottleKey) -> None:
    """A correct password clears the account's counter. The IP's counter is kept, so that
    one known account cannot be used to reset an attack on others."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == account.key))
    db.session.commit()


def retry_after_seconds(lock_end: datetime) -> int:
    """Whole seconds until ``lock_end`` (for ``Retry-After``, RFC 9110 §10.2.3), at least 1."""
    return max(1, math.ceil((lock_end - utcnow()).total_seconds()))
