"""``idp purge-expired``: only rows past their expiry by more than the grace go, in batches,
and a purged token is refused like any expired one."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from idp.extensions import db
from idp.models import AccessTokenRecord, AuthorizationCode, LoginSession, RevokedAccessToken, utcnow
from idp.operations.purge import purge_expired
from tests.idp.oauth2.introspection.conftest import DATA_SCOPE, make_data_provider


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def expire(app, model, ago: timedelta, limit: int | None = None) -> None:
    """Move ``expires_at`` of (some) rows ``ago`` into the past."""
    with app.app_context():
        keys = model.__table__.primary_key.columns
        chosen = select(*keys).limit(limit) if limit else select(*keys)
        rows = db.session.execute(chosen).all()
        for row in rows:
            condition = [column == value for column, value in zip(keys, row, strict=True)]
            db.session.execute(update(model).where(*condition).values(expires_at=utcnow() - ago))
        db.session.commit()


def test_purge_keeps_live_rows_and_the_grace_window(app, client, runner, flow):
    dgfip = make_data_provider(app, "dgfip")
    tokens = [flow.tokens(scope=DATA_SCOPE)["access_token"] for _ in range(4)]
    assert count(app, AccessTokenRecord) == 4
    expire(app, AccessTokenRecord, timedelta(days=2), limit=3)  # beyond the default grace of a day
    expire(app, AuthorizationCode, timedelta(days=2))
    expire(app, LoginSession, timedelta(hours=1))  # expired, but within the grace

    result = runner.invoke(args=["purge-expired", "--json", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["access_tokens"] == 3
    assert counts["authorization_codes"] == 4
    assert counts["login_sessions"] == 0
    assert count(app, AccessTokenRecord) == 1
    assert count(app, LoginSession) == 1

    again = json.loads(runner.invoke(args=["purge-expired", "--json"]).output)
    assert set(again.values()) == {0}
    answers = [
        client.post("/introspect", data={"token": t}, auth=(dgfip.client_id, dgfip.client_secret)).get_json()
        for t in tokens
    ]
    assert sorted(answer["active"] for answer in answers) == [False, False, False, True]

    result = runner.invoke(args=["purge-expired", "--grace-seconds", "0"])
    assert result.exit_code == 0
    assert "login_sessions: 1 deleted" in result.output


def test_purge_drops_revocations_of_expired_self_contained_tokens(app, runner):
    with app.app_context():
        ages = {"gone": timedelta(days=2), "kept": timedelta(hours=1), "live": -timedelta(minutes=1)}
        for jti, ago in ages.items():
            db.session.add(RevokedAccessToken(jti=jti, client_id="sp", expires_at=utcnow() - ago))
        db.session.commit()
    counts = json.loads(runner.invoke(args=["purge-expired", "--json"]).output)
    assert counts["revoked_access_tokens"] == 1
    with app.app_context():
        assert sorted(db.session.scalars(select(RevokedAccessToken.jti))) == ["kept", "live"]


def revocations_expired_long_ago(app, count: int) -> None:
    expired = utcnow() - timedelta(days=2)
    with app.app_context():
        for number in range(count):
            db.session.add(RevokedAccessToken(jti=f"old-{number}", client_id="sp", expires_at=expired))
        db.session.commit()


@pytest.mark.parametrize(
    ("batch_seconds", "batches"),
    [
        (60.0, [4, 4, 2]),  # each batch well within its time: as many rows as --batch-size allows
        (0.0, [4, 1, 1, 1, 1, 1, 1]),  # a batch over its time: the next one shrinks, to one row
    ],
)
def test_batches_are_bounded_in_rows_and_in_time(app, batch_seconds, batches):
    """A batch holds the write lock for about ``batch_seconds`` whatever a row costs to
    delete (more as the tables grow): its size follows the previous batch's pace."""
    revocations_expired_long_ago(app, 10)
    deleted: list[int] = []
    with app.app_context():
        counts = purge_expired(batch_size=4, progress=deleted.append, batch_seconds=batch_seconds)
    assert counts["revoked_access_tokens"] == 10
    assert [n for n in deleted if n] == batches
    assert count(app, RevokedAccessToken) == 0
