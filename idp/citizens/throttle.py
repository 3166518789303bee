"""Sign-in throttling that slows password guessing and never locks a citizen out.

OWASP's Authentication Cheat Sheet warns that an account lockout lets anyone who knows a
username lock its owner out. So nothing here refuses an account as a whole. Failures are
counted in windows of ``LOGIN_THROTTLE_WINDOW`` seconds (900) on three keys, in the
``login_throttles`` table shared by every instance:

- **the address**, ``ip:<address>``: ``LOGIN_MAX_FAILURES_PER_IP`` (20) failures hold that
  address for the rest of the window, so that one address cannot guess across accounts;
- **the account from that address**, ``pair:<account>:<address>``:
  ``LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP`` (5) failures hold that account *from that address
  only*: the citizen elsewhere is not affected;
- **the account**, ``account:<account>``: counted, never holding. Past
  ``LOGIN_ACCOUNT_FRICTION_FAILURES`` (10), every further failure on the account holds its
  (account, address) pair for ``LOGIN_FRICTION_SECONDS`` (10): guessing spread over many
  addresses slows to one try per address every few seconds, and the citizen, at worst,
  waits that long once after a typo.

A browser that has signed in to the account before carries a signed **device cookie**
(OWASP's "device cookies"). Its attempts on that account count on their own key,
``device:<account>:<id>``, with the pair's limit, and skip the address hold and the
friction: a citizen who shares an address with an attacker (a proxy, a NAT) still signs in.

While a key holds, the password is not even checked, and the page says when to retry
(``Retry-After``, RFC 9110 §10.2.3). Usernames are hashed: no personal data in the table.
Counts are updated with single atomic statements, so concurrent failures on several
instances are all counted.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from idp.extensions import db
from idp.models import LoginThrottle, utcnow
from idp.telemetry import metrics

DEVICE_COOKIE = "idp_device"
#: How long a browser stays known for the accounts signed in from it.
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
#: Accounts one device cookie remembers (a shared family computer), newest kept.
DEVICE_ACCOUNTS = 8


@dataclass(frozen=True)
class SignInAttempt:
    """The keys one sign-in attempt is counted on, and whether it comes from a known device."""

    account: str
    address: str
    pair: str
    trusted_device: bool

    @property
    def holding_keys(self) -> list[str]:
        """The keys whose hold stops this attempt before its password is checked."""
        return [self.pair] if self.trusted_device else [self.pair, self.address]


def account_hash(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="idp-device")


def _device() -> dict | None:
    """The signed device cookie of this browser: ``{"id", "accounts"}``, or None."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        device = _device_serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(device, dict) or not isinstance(device.get("accounts"), list):
        return None
    return device


def attempt_for(username: str) -> SignInAttempt:
    """The counters of a sign-in attempt to ``username`` from this request."""
    account = account_hash(username)
    address = request.remote_addr or "unknown"
    device = _device()
    if device is not None and account[:16] in device["accounts"]:
        return SignInAttempt(f"account:{account}", f"ip:{address}", f"device:{account}:{device['id']}", True)
    return SignInAttempt(f"account:{account}", f"ip:{address}", f"pair:{account}:{address}", False)


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW"])


def held_until(attempt: SignInAttempt) -> datetime | None:
    """When the latest hold on this attempt's keys ends, or None when it may be tried."""
    now = utcnow()
    ends = db.session.scalars(
        db.select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(attempt.holding_keys), LoginThrottle.locked_until > now
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


def _hold(key: str, until: datetime) -> None:
    """Hold ``key`` until ``until`` at least (a longer hold already there stays)."""
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .where((LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < until))
        .values(locked_until=until)
    )


def record_failure(attempt: SignInAttempt) -> datetime | None:
    """Count a failed sign-in; returns the end of the hold it starts on this attempt, if any."""
    metrics.sign_in_failed()
    config = current_app.config
    now = utcnow()
    holds: list[datetime] = []
    if _count_failure(attempt.pair, now) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP"]:
        holds.append(now + _window())
    if not attempt.trusted_device:
        if _count_failure(attempt.address, now) >= config["LOGIN_MAX_FAILURES_PER_IP"]:
            _hold(attempt.address, now + _window())
            metrics.address_throttled()
            holds.append(now + _window())
        if _count_failure(attempt.account, now) > config["LOGIN_ACCOUNT_FRICTION_FAILURES"]:
            holds.append(now + timedelta(seconds=config["LOGIN_FRICTION_SECONDS"]))
    if holds:
        _hold(attempt.pair, max(holds))
    db.session.commit()
    return max(holds) if holds else None


def record_success(attempt: SignInAttempt) -> None:
    """A correct password clears this attempt's own key (pair or device). The address's and
    the account's counts are kept: one known account cannot reset an attack on others, and
    a correct password does not end the friction on an account under attack."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == attempt.pair))
    db.session.commit()


def device_cookie(username: str) -> str:
    """The device cookie to set after a sign-in: this browser now knows ``username``."""
    device = _device() or {"id": secrets.token_urlsafe(12), "accounts": []}
    account = account_hash(username)[:16]
    accounts = [item for item in device["accounts"] if item != account][-(DEVICE_ACCOUNTS - 1) :]
    return _device_serializer().dumps({"id": device["id"], "accounts": [*accounts, account]})


def retry_after_seconds(until: datetime) -> int:
    """Whole seconds until ``until`` (for ``Retry-After``, RFC 9110 §10.2.3), at least 1."""
    return max(1, math.ceil((until - utcnow()).total_seconds()))
