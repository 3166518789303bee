"""The hot paths stay lean: at most two indexed queries per /introspect and /checktoken call
(client authentication, then the token record joined to its client and citizen), no
template rendering and no key loading once the key ring is warm."""

from __future__ import annotations

import pytest
from flask import template_rendered
from sqlalchemy import event

from idp.extensions import db

pytestmark = pytest.mark.sqlite_only("counts statements with SQLite's trace callback")


@pytest.fixture
def app_settings() -> dict:
    """Caches long enough that no refresh falls inside a measured request."""
    return {"KEYS_CACHE_SECONDS": 300, "REGISTRY_CACHE_SECONDS": 300}


class StatementLog:
    """Every statement SQLite runs, traced by the driver itself: the Flask views go through
    SQLAlchemy and the lean path through the raw DBAPI connection, and both are seen."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, statement: str) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            self.statements.append(statement)

    def on_checkout(self, dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.set_trace_callback(self)

    def on_checkin(self, dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(None)


@pytest.fixture
def measure(app):
    log = StatementLog()
    rendered: list = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", log.on_checkout)
    event.listen(engine, "checkin", log.on_checkin)
    app.extensions.pop("idp_thread_connections", None)  # held connections: made again, traced
    template_rendered.connect(lambda sender, template, context, **extra: rendered.append(template), app)
    yield log, rendered
    event.remove(engine, "checkout", log.on_checkout)
    event.remove(engine, "checkin", log.on_checkin)


def _introspect(client, dp, token):
    return client.post("/introspect", data={"token": token}, auth=(dp.client_id, dp.client_secret))


def _checktoken(client, dp, token):
    return client.post(
        "/checktoken", data={"token": token, "client_id": dp.client_id, "client_secret": dp.client_secret}
    )


@pytest.mark.parametrize("call", [_introspect, _checktoken], ids=["introspect", "checktoken"])
def test_two_queries_and_no_template(client, dgfip, access_token, measure, call):
    log, rendered = measure
    assert call(client, dgfip, access_token).status_code == 200  # warms the key ring and registry
    log.statements.clear()
    response = call(client, dgfip, access_token)
    assert response.status_code == 200
    selects = [s for s in log.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(log.statements) == len(selects) == 2, log.statements
    assert "access_tokens" in selects[1] and "JOIN clients" in selects[1] and "JOIN users" in selects[1]
    assert rendered == []


def test_revocation_is_read_from_the_database_every_time(app, client, dgfip, access_token, measure):
    """No per-process cache of the token state: the second call sees a write made elsewhere."""
    from idp.models import utcnow
    from tests.idp.oauth2.introspection.conftest import mutate_record

    assert _introspect(client, dgfip, access_token).get_json()["active"] is True
    mutate_record(app, access_token, revoked_at=utcnow())
    assert _introspect(client, dgfip, access_token).get_json() == {"active": False}
