"""The connection alert (idp.mail.connection_notice) as FranceConnect sends it
(france-connect/sources, ``core-fcp-send-email.handler.ts`` and ``notification-email.ejs``):
to the citizen's address, in French, naming the service, the time in Paris, the account used
and where the history is; one per service per sign-in (``sentNotificationsForSp``). Sent for
real over SMTP to an aiosmtpd server on the loopback."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import select

from idp.citizens.users import create_user
from idp.extensions import db
from idp.mail.outbox import outbox
from idp.models import Client, ConnectionEvent
from tests.idp.conftest import PASSWORD, CodeFlow, make_client

WAIT_SECONDS = 15


def delivered(app, inbox) -> list:
    """The messages received once the outbox has nothing left to send."""
    with app.app_context():
        assert outbox().wait_until_sent(WAIT_SECONDS)
    return inbox.messages


def test_the_alert_reaches_the_citizen_with_the_service_time_account_and_history(app, flow, inbox):
    flow.code()
    [message] = delivered(app, inbox)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["camille@example.fr"]
    assert envelope.mail_from == "ne-pas-repondre@127.0.0.1"  # IDP_MAIL_FROM's default
    assert message["To"] == "camille@example.fr"
    assert message["From"] == "ne-pas-repondre@127.0.0.1"
    assert message["Subject"] == "Alerte de connexion au service « Portail test »"

    with app.app_context():
        at = db.session.scalars(select(ConnectionEvent)).one().at
    paris = at.astimezone(ZoneInfo("Europe/Paris"))
    body = message.get_content()
    assert body.startswith("Bonjour Camille Anne Durand,")
    assert f"{paris.day} " in body and f"{paris.year} à {paris:%H:%M} (heure de Paris)" in body
    assert "« Portail test »" in body
    assert "« Identifiant et mot de passe »" in body
    assert "http://127.0.0.1:5000/account" in body


def test_one_alert_per_service_per_sign_in(app, client, flow, inbox):
    flow.code()
    flow.code()  # the same sign-in, the same service: no second alert
    assert len(delivered(app, inbox)) == 1

    other = CodeFlow(client, make_client(app, name="Autre service"))
    other.code()  # the same sign-in, another service: its own alert
    subjects = [m["Subject"] for m in delivered(app, inbox)]
    assert subjects == [
        "Alerte de connexion au service « Portail test »",
        "Alerte de connexion au service « Autre service »",
    ]

    flow.code(prompt="login")  # a new sign-in: the first service is alerted again
    subjects = [m["Subject"] for m in delivered(app, inbox)]
    assert subjects[2:] == ["Alerte de connexion au service « Portail test »"]


def test_a_new_browser_is_a_new_sign_in(app, flow, service_provider, inbox):
    flow.code()
    CodeFlow(app.test_client(), service_provider).code()
    assert len(delivered(app, inbox)) == 2


def test_a_citizen_without_an_address_gets_no_alert(app, client, service_provider, inbox):
    with app.app_context():
        create_user(
            username="dominique", password=PASSWORD, given_name="Dominique", family_name="Martin",
            birthdate="1970-06-15", gender="male", birthplace="69123", birthcountry="99100",
        )  # fmt: skip
    CodeFlow(client, service_provider, username="dominique").code()
    assert delivered(app, inbox) == []
    assert not inbox.entered.is_set()


def test_a_service_name_that_cannot_be_a_subject_does_not_stop_the_sign_in(app, client, citizen, inbox):
    """A name with a line break cannot go in a header as it is (RFC 5322 §2.2). Such names
    are refused now (:func:`idp.clients.admin._apply`), but a row stored before may hold
    one: the alert folds it to one line, and the sign-in completes either way."""
    service = make_client(app)
    with app.app_context():
        db.session.execute(
            sa.update(Client).where(Client.client_id == service.client_id).values(
                name="Portail\nBcc: someone@example.org"
            )
        )
        db.session.commit()
    flow = CodeFlow(client, service)
    flow.code()
    [message] = delivered(app, inbox)
    assert message["Subject"] == "Alerte de connexion au service « Portail Bcc: someone@example.org »"
    assert message["Bcc"] is None
    assert inbox.envelopes[0].rcpt_tos == ["camille@example.fr"]


def test_an_address_that_cannot_be_a_header_gets_no_alert_and_the_sign_in_completes(
    app, client, service_provider, inbox, mail_logs
):
    with app.app_context():
        create_user(
            username="dominique", password=PASSWORD, given_name="Dominique", family_name="Martin",
            birthdate="1970-06-15", gender="male", birthplace="69123", birthcountry="99100",
            email="dominique@example.fr\nBcc: someone@example.org",
        )  # fmt: skip
    CodeFlow(client, service_provider, username="dominique").code()
    assert delivered(app, inbox) == []
    assert "connection alert not composed" in mail_logs.text
    assert "dominique@" not in mail_logs.text and "someone@" not in mail_logs.text
