"""The connection history (idp.citizens.history): each code issued to a service is one
connection, kept IDP_CONNECTION_HISTORY_DAYS and shown to its citizen only, on /account
under "Historique des connexions", as FranceConnect's dashboard shows its traces
(france-connect/sources, ``back/apps/user-dashboard``)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from idp.citizens.users import create_user
from idp.extensions import db
from idp.i18n import local_datetime
from idp.models import ConnectionEvent, utcnow
from tests.idp.conftest import IDENTITY_SCOPES, PASSWORD, CodeFlow, make_client

HISTORY_DAYS = 30


@pytest.fixture
def app_settings() -> dict:
    return {"CONNECTION_HISTORY_DAYS": HISTORY_DAYS}


def events(app) -> list[ConnectionEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(ConnectionEvent).order_by(ConnectionEvent.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def history(client) -> str:
    """The "Historique des connexions" part of /account."""
    page = client.get("/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Historique des connexions" in html
    return html[html.index('id="history"') :]


def services_shown(client) -> list[str]:
    return re.findall(r"<h3>([^<]*)</h3>", history(client))


def age(app, days: int) -> None:
    """Move every connection ``days`` into the past, as if it had happened then."""
    with app.app_context():
        for event in db.session.scalars(select(ConnectionEvent)):
            event.at -= timedelta(days=days)
            event.expires_at -= timedelta(days=days)
        db.session.commit()


def test_a_code_flow_records_one_connection(app, flow, service_provider):
    flow.code()
    [event] = events(app)
    assert event.client_id == service_provider.client_id
    assert event.service == "Portail test"
    assert (event.identity_provider, event.identity_provider_title) == (
        "local",
        "Identifiant et mot de passe",
    )
    assert event.acr == "eidas1"  # IDP_LOCAL_LOGIN_ACR
    assert event.scope.split() == IDENTITY_SCOPES.split()
    assert abs(event.at - utcnow()) < timedelta(minutes=1)
    assert event.expires_at - event.at == timedelta(days=HISTORY_DAYS)


def test_each_code_is_a_connection_and_a_refresh_is_not(app, flow):
    tokens = flow.tokens(scope=IDENTITY_SCOPES + " offline_access")
    flow.code()  # the same sign-in, a second authorization
    refreshed = flow.http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(flow.sp.client_id, flow.sp.client_secret),
    )
    assert refreshed.status_code == 200
    assert len(events(app)) == 2


def test_account_shows_the_connection_with_its_data(app, flow):
    flow.code()
    shown = history(flow.http)
    assert re.findall(r"<h3>([^<]*)</h3>", shown) == ["Portail test"]
    for text in ("Identifiant et mot de passe", "Faible", "Prénom(s)", "Nom de naissance"):
        assert text in shown
    [event] = events(app)
    with app.test_request_context(), force_locale("fr"):
        assert f"{local_datetime(event.at)} (heure de Paris)" in shown


def test_a_citizen_sees_only_their_own_connections(app, flow, citizen):
    with app.app_context():
        create_user(
            username="dominique", password=PASSWORD, given_name="Dominique", family_name="Martin",
            birthdate="1970-06-15", gender="male", birthplace="69123", birthcountry="99100",
        )  # fmt: skip
    other = CodeFlow(app.test_client(), make_client(app, name="Service de Dominique"), username="dominique")
    other.code()
    flow.code()
    assert services_shown(flow.http) == ["Portail test"]
    assert services_shown(other.http) == ["Service de Dominique"]


def test_connections_past_the_kept_days_are_not_shown_and_are_purged(app, flow, runner):
    flow.code()
    age(app, HISTORY_DAYS - 1)
    flow.code()
    assert services_shown(flow.http) == ["Portail test", "Portail test"]
    age(app, 1)  # the older one is HISTORY_DAYS old, the newer one a day
    assert services_shown(flow.http) == ["Portail test"]

    kept = runner.invoke(args=["purge-expired", "--json"])  # within the default grace of a day
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.output)["connection_events"] == 0
    age(app, 2)  # the older one expired two days ago
    purged = runner.invoke(args=["purge-expired", "--json"])
    assert purged.exit_code == 0, purged.output
    assert json.loads(purged.output)["connection_events"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConnectionEvent)) == 1
    assert services_shown(flow.http) == ["Portail test"]
