"""Apply a DataPass snapshot to a habilitation, relink it, and recompute affected clients.

Shared by the webhook (:mod:`idp.datapass.service`) and the import
(:mod:`idp.datapass.admin`), so both follow the same rules. Works in the caller's
transaction and never commits.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from idp.clients.lookup import find_client
from idp.datapass.events import FRANCE_CONNECT, FormData, Snapshot, Standing, eidas_level, state_after
from idp.datapass.linking import provision_france_connect_client, resolved_client_id, riders_of, set_link
from idp.extensions import db
from idp.models import Habilitation
from idp.registry.allowed import recompute


def locked_habilitation(habilitation_id: int, definition: str) -> Habilitation:
    """The habilitation row, locked for this transaction (``FOR UPDATE``), created if new.

    Two first deliveries for the same request may race to insert it: the loser's savepoint
    rolls back and it reads (and waits on) the winner's row.
    """
    row = db.session.get(Habilitation, habilitation_id, with_for_update=True)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = Habilitation(
                id=habilitation_id,
                definition=definition,
                state="draft",
                scopes=[],
                approved_scopes=[],
                authorization_ids=[],
                modalities=[],
                active=False,
                last_fired_at=0,
            )
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(Habilitation, habilitation_id, with_for_update=True, populate_existing=True)
    return row


def standing_of(habilitation: Habilitation) -> Standing:
    return Standing(bool(habilitation.active), tuple(habilitation.approved_scopes or ()))


def apply_snapshot(
    habilitation: Habilitation, snapshot: Snapshot, definition: str, standing: Standing, *, event: str
) -> set[str]:
    """Copy the snapshot and standing onto the row, relink, recompute; returns affected clients."""
    form = snapshot.data
    habilitation.definition = definition
    habilitation.public_id = snapshot.public_id or habilitation.public_id
    habilitation.state = state_after(event, snapshot, habilitation.state)
    habilitation.intitule = form.intitule or habilitation.intitule
    if snapshot.organization is not None:
        habilitation.organization_name = snapshot.organization.name
        habilitation.organization_siret = snapshot.organization.siret
    habilitation.eidas_level = eidas_level(form.france_connect_eidas) or habilitation.eidas_level
    habilitation.scopes = list(form.scopes)
    habilitation.modalities = list(form.modalities)
    habilitation.france_connect_authorization_id = form.france_connect_authorization_id
    if snapshot.authorizations is not None:
        habilitation.authorization_ids = snapshot.authorization_ids
    habilitation.active = standing.active
    habilitation.approved_scopes = list(standing.approved_scopes)
    affected = {habilitation.client_id} | _relink(habilitation, snapshot)
    db.session.flush()
    reason = f"habilitation {habilitation.id}: {event}"
    recompute_clients(affected, reason=reason, habilitation_id=habilitation.id)
    return {client_id for client_id in affected if client_id}


def _approved_form(habilitation: Habilitation, snapshot: Snapshot) -> FormData | None:
    """The form as last approved: the newest authorization's, else the request's if active."""
    approvals = snapshot.approvals
    if approvals:
        return approvals[-1].data
    return snapshot.data if habilitation.active else None


def _relink(habilitation: Habilitation, snapshot: Snapshot) -> set[str | None]:
    """Apply the linking rules; returns every client whose scopes may have changed.

    A FranceConnect habilitation that has been approved (its snapshot lists an
    authorization) has a client, named and levelled after its last approval, so that the
    client follows from the last snapshot alone, whatever order the deliveries came in.
    """
    if habilitation.definition != FRANCE_CONNECT:
        target = resolved_client_id(habilitation)
        if target is None:  # unlinkable: keep the current (possibly manual) link
            return set()
        return {set_link(habilitation, target, how="france_connect_authorization_id"), target}
    affected: set[str | None] = set()
    approved = _approved_form(habilitation, snapshot)
    if approved is not None:
        client = provision_france_connect_client(
            habilitation,
            name=approved.intitule or habilitation.intitule,
            eidas=eidas_level(approved.france_connect_eidas) or habilitation.eidas_level,
        )
        affected.add(client.client_id)
    if habilitation.client_id:
        affected.add(habilitation.client_id)
        for rider in riders_of(habilitation):
            left = set_link(rider, habilitation.client_id, how="france_connect_authorization_id")
            recompute_clients({left}, reason=f"habilitation {rider.id} moved away", habilitation_id=rider.id)
    return affected


def recompute_clients(client_ids: set[str | None], *, reason: str, habilitation_id: int) -> None:
    """Recompute the allowed scopes of each existing client (deleted ones are skipped)."""
    db.session.flush()
    for client_id in sorted(cid for cid in client_ids if cid):
        client = find_client(client_id)
        if client is not None:
            recompute(client, reason=reason, habilitation_id=habilitation_id)
