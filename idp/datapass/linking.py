"""Which client a habilitation grants its scopes to.

- An approved ``france_connect`` habilitation has its own service-provider client: created
  on first approval (named after ``intitule``, at its eIDAS level, with no redirect URI and
  no secret yet), renamed and re-levelled by later approvals.
- An API habilitation whose ``modalities`` include ``with_france_connect`` is linked to the
  client of the FranceConnect habilitation that owns the authorization
  ``france_connect_authorization_id``.
- Anything else keeps its current link, or waits unlinked until ``idp habilitations link``.
  Nothing is guessed from the SIRET.

Every function works in the caller's transaction and never commits.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from idp.clients.admin import ClientSettings, stage_client_without_credentials
from idp.clients.lookup import find_client
from idp.datapass.events import FRANCE_CONNECT, WITH_FRANCE_CONNECT, FormData, wants_france_connect_link
from idp.extensions import db
from idp.models import AuditEvent, Client, Habilitation

CLIENT_NAME_LIMIT = 255


def france_connect_owner(authorization_id: str) -> Habilitation | None:
    """The FranceConnect habilitation one of whose authorizations has this id.

    The database keeps the few whose ``authorization_ids`` text holds the id as JSON writes
    it (quoted), and only those are loaded and checked: loading every FranceConnect
    habilitation cost 0.85 s per delivery with 11,000 of them (bench/large_data.py).
    """
    candidates = db.session.scalars(
        db.select(Habilitation)
        .where(
            Habilitation.definition == FRANCE_CONNECT,
            sa.cast(Habilitation.authorization_ids, sa.Text).contains(
                json.dumps(authorization_id), autoescape=True
            ),
        )
        .order_by(Habilitation.id)
    )
    return next((h for h in candidates if authorization_id in (h.authorization_ids or [])), None)


def resolved_client_id(habilitation: Habilitation) -> str | None:
    """The client an API habilitation rides on, through its FranceConnect authorization."""
    form = FormData(
        modalities=tuple(habilitation.modalities or ()),
        france_connect_authorization_id=habilitation.france_connect_authorization_id,
    )
    if not wants_france_connect_link(habilitation.definition, form):
        return None
    owner = france_connect_owner(habilitation.france_connect_authorization_id)
    return owner.client_id if owner is not None else None


def provision_france_connect_client(
    habilitation: Habilitation, *, name: str | None, eidas: str | None
) -> Client:
    """Create or update the service provider of an approved FranceConnect habilitation."""
    settings = ClientSettings(
        # One line: a DataPass intitulé may hold line breaks, a client name may not.
        name=" ".join((name or f"Habilitation DataPass {habilitation.id}").split())[:CLIENT_NAME_LIMIT],
        eidas_level=eidas or "eidas1",
    )
    existing = find_client(habilitation.client_id) if habilitation.client_id else None
    client = stage_client_without_credentials(settings, existing)
    if existing is None:
        db.session.add(
            AuditEvent(
                kind="client_created_from_habilitation",
                habilitation_id=habilitation.id,
                client_id=client.client_id,
                detail={"name": client.name, "eidas_level": client.eidas_level},
            )
        )
    habilitation.client_id = client.client_id
    return client


def set_link(habilitation: Habilitation, client_id: str | None, *, how: str) -> str | None:
    """Point the habilitation at ``client_id``; returns the client it left (None if unchanged)."""
    previous = habilitation.client_id
    if client_id == previous:
        return None
    habilitation.client_id = client_id
    db.session.add(
        AuditEvent(
            kind="habilitation_linked",
            habilitation_id=habilitation.id,
            client_id=client_id,
            detail={"how": how, "previous_client_id": previous},
        )
    )
    return previous


def riders_of(france_connect: Habilitation) -> list[Habilitation]:
    """API habilitations riding on one of this FranceConnect habilitation's authorizations."""
    owned = sorted(set(france_connect.authorization_ids or []))
    if not owned:
        return []
    candidates = db.session.scalars(
        db.select(Habilitation)
        .where(
            Habilitation.definition != FRANCE_CONNECT,
            Habilitation.france_connect_authorization_id.in_(owned),
        )
        .order_by(Habilitation.id)
    )
    return [h for h in candidates if WITH_FRANCE_CONNECT in (h.modalities or [])]
