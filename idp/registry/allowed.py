"""A client's allowed scopes: always recomputed, never edited piecemeal.

Allowed = union of the approved scopes of the client's *active* habilitations that the
registry knows, plus the operator override, plus the management scope of data providers and
operators. It is stored on the client row so that /authorize and /token read it in the same
query that loads the client; every change goes through :func:`recompute` in the transaction
that caused it, and is written to the audit trail.
"""

from __future__ import annotations

from idp.extensions import db
from idp.models import AuditEvent, Client, Habilitation
from idp.registry.store import read_registry

REGISTRY_WRITE = "registry_write"


def recompute(client: Client, *, reason: str, habilitation_id: int | None = None) -> list[str]:
    known = read_registry()
    granted: list[str] = []
    habilitations = db.session.scalars(
        db.select(Habilitation)
        .where(Habilitation.client_id == client.client_id, Habilitation.active.is_(True))
        .order_by(Habilitation.id)
    )
    for habilitation in habilitations:
        granted.extend(key for key in habilitation.approved_scopes or [] if key in known)
    granted.extend(client.operator_scope_override or [])
    if client.role in ("data-provider", "operator"):
        granted.append(REGISTRY_WRITE)
    allowed = list(dict.fromkeys(granted))
    before = list(client.allowed_scopes or [])
    if allowed != before:
        client.allowed_scopes = allowed
        db.session.add(
            AuditEvent(
                kind="allowed_scopes_changed",
                client_id=client.client_id,
                habilitation_id=habilitation_id,
                detail={
                    "reason": reason,
                    "added": [key for key in allowed if key not in before],
                    "removed": [key for key in before if key not in allowed],
                },
            )
        )
    return allowed
