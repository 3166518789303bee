"""The alert a citizen receives after a connection to a service, as FranceConnect sends one
(france-connect/sources: ``back/apps/core-fcp/src/handlers/email/core-fcp-send-email.handler.ts``
and ``back/instances/core-fcp-low/src/mails/notification-email.ejs``), in French: the
service, the time in Paris, the account used, what to do if it was not the citizen, and where
the history is. As there, one alert per service per sign-in (``sentNotificationsForSp``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, session
from flask_babel import force_locale

from idp.i18n import local_datetime
from idp.mail import outbox
from idp.models import ConnectionEvent, User

log = logging.getLogger(__name__)

#: The services alerted in this sign-in (the cookie session; a new sign-in clears it).
NOTIFIED_KEY = "notified_services"


@dataclass(frozen=True)
class Alert:
    message: EmailMessage
    client_id: str  # the service alerted about


TEXT = """\
Bonjour {name},

Une connexion a eu lieu le {when} (heure de Paris) sur le service « {service} » \
avec votre compte « {provider} ».

Si vous n’êtes pas à l’origine de cette connexion, changez dès maintenant le mot de passe \
de ce compte et signalez-le à son assistance. L’historique de vos connexions et les \
autorisations que vous avez données sont ici :
{account_url}

Ce message est envoyé automatiquement ; merci de ne pas y répondre.
"""


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of blanks folded to single spaces: a header
    value is one line (RFC 5322 §2.2), and a service's name may hold a line break."""
    return " ".join(text.split())


def connection_notice(event: ConnectionEvent, user: User) -> EmailMessage:
    """The alert of ``event`` to ``user``'s e-mail address.

    ValueError when the address cannot be a header (a line break in it).
    """
    with force_locale("fr"):
        when = local_datetime(event.at)
    service = one_line(event.service)
    message = EmailMessage()
    message["To"] = user.email
    message["Subject"] = f"Alerte de connexion au service « {service} »"
    message.set_content(
        TEXT.format(
            name=user.display_name,
            service=service,
            when=when,
            provider=event.identity_provider_title,
            account_url=f"{current_app.config['ISSUER']}/account",
        )
    )
    return message


def alert_due(client_id: str, user: User, notified: list) -> bool:
    """Whether a connection to ``client_id`` alerts the citizen: mail is configured, the
    citizen has an address, and this sign-in has not alerted this service yet (``notified``:
    :func:`notified_services`)."""
    return outbox.enabled() and bool(user.email) and client_id not in notified


def compose_alert(event: ConnectionEvent, user: User, notified: list) -> Alert | None:
    """The alert to send once the connection is stored, or None when none is due
    (:func:`alert_due`; without mail nothing is composed and the code flow's path stays
    short) or the citizen's address is unusable."""
    if not alert_due(event.client_id, user, notified):
        return None
    try:
        message = connection_notice(event, user)
    except ValueError:  # the alert is dropped, the sign-in goes on; the log names no address
        log.warning("connection alert not composed: the address on file cannot be a header")
        return None
    return Alert(message, event.client_id)


def send_alert(alert: Alert | None) -> bool:
    """Queue what :func:`compose_alert` made; whether it was queued."""
    if alert is None:
        return False
    queued = outbox.send(alert.message)
    if queued:
        session[NOTIFIED_KEY] = [*notified_services(session), alert.client_id]
    return queued


def notified_services(cookie_session) -> list:
    """The services this sign-in alerted about, kept in the cookie session (Flask's, or
    its decoded data)."""
    notified = cookie_session.get(NOTIFIED_KEY)
    return notified if isinstance(notified, list) else []
