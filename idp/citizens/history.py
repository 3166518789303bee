"""The connection history: each sign-in to a service, as FranceConnect keeps its traces.

FranceConnect records every connection of a citizen to a service provider (the service,
the identity provider, the eIDAS level and the data shared) and shows them to the citizen
(france-connect/sources, ``back/apps/user-dashboard``, the "Historique des connexions"
of the citizen's dashboard). A connection here is an authorization code issued to a
service: the moment the citizen's data leaves for it. Rows live ``IDP_CONNECTION_HISTORY_DAYS``
(six months by default) and ``idp purge-expired`` removes them afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from idp.citizens.sessions import SignIn
from idp.extensions import db
from idp.models import Client, ConnectionEvent, utcnow

#: How many connections ``/account`` shows, newest first.
SHOWN = 50


def connection_record(client: Client, login: SignIn, scope: str) -> dict:
    """The columns of the connection (:class:`~idp.models.ConnectionEvent` but ``id``), stored
    with the code (:func:`idp.oauth2.codes.store_code`). The provider's title is the one the
    sign-in was read with; a provider deleted since is named by its name."""
    now = utcnow()
    return {
        "user_id": login.user_id,
        "at": now,
        "client_id": client.client_id,
        "service": client.name,
        "identity_provider": login.identity_provider,
        "identity_provider_title": login.identity_provider_title or login.identity_provider,
        "acr": login.acr,
        "scope": scope,
        "expires_at": now + timedelta(days=current_app.config["CONNECTION_HISTORY_DAYS"]),
    }


def recent_connections(user_id: int) -> list[ConnectionEvent]:
    """The citizen's connections still kept, newest first (at most :data:`SHOWN`)."""
    return list(
        db.session.scalars(
            db.select(ConnectionEvent)
            .where(ConnectionEvent.user_id == user_id, ConnectionEvent.expires_at > utcnow())
            .order_by(ConnectionEvent.at.desc(), ConnectionEvent.id.desc())
            .limit(SHOWN)
        )
    )
