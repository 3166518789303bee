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


def compose_alert(event: ConnectionEvent, user: User) -> Alert | None:
    """The alert to send once the connection is stored, or None: mail is not configured
    (nothing is composed, the code flow's path stays short), this sign-in already alerted
    this service, or the citizen has no usable address. Composed while ``event`` and
    ``user`` are still loaded, before the transaction that stores them commits."""
    if not outbox.enabled() or not user.email or event.client_id in _notified():
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
        session[NOTIFIED_KEY] = [*_notified(), alert.client_id]
    return queued


def _notified() -> list:
    notified = session.get(NOTIFIED_KEY)
    return notified if isinstance(notified, list) else []
