"""Operator actions on habilitations: import (reconciliation), list, show, link, audit trail.

The import reads a JSON array of DataPass habilitation objects (the ``data`` part of a
delivery, or what DataPass's API returns) and applies the same rules as the webhook, in
one transaction, so it can be run again safely after an outage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import ValidationError

from idp.clients.lookup import find_client
from idp.datapass.apply import apply_snapshot, locked_habilitation, recompute_clients, standing_of
from idp.datapass.events import KNOWN_DEFINITIONS, Snapshot, standing_from_snapshot
from idp.datapass.linking import set_link
from idp.datapass.schemas import HabilitationSchema
from idp.extensions import db
from idp.models import AuditEvent, Habilitation
from idp.registry.store import read_registry

IMPORT = "import"


class HabilitationError(ValueError):
    """An operator request that cannot be done; the message says why."""


def snapshot_time(snapshot: Snapshot) -> int:
    """A lower bound of when the snapshot was taken (its newest timestamp), in unix seconds.

    An import must not undo a newer webhook, so it applies only when this is not older than
    the last delivery applied; a snapshot without timestamps never overrides one.
    """
    seconds = [0]
    for value in snapshot.timestamps:
        try:
            seconds.append(int(datetime.fromisoformat(value).timestamp()))
        except ValueError:
            continue
    return max(seconds)


def _fingerprint(habilitation: Habilitation) -> tuple:
    return (
        habilitation.state,
        habilitation.active,
        habilitation.scopes,
        habilitation.approved_scopes,
        habilitation.authorization_ids,
        habilitation.client_id,
        habilitation.intitule,
        habilitation.eidas_level,
    )


def import_habilitations(
    items: object, progress: Callable[[int], None] = lambda done: None
) -> dict[str, int]:
    """Reconcile from DataPass habilitation objects; returns counts per outcome.

    Every item is checked before any is applied; the first bad one is refused, named by its
    position and id, with what is wrong with it, and nothing is written. ``progress(1)`` is
    called after each item applied.
    """
    if not isinstance(items, list):
        raise HabilitationError("the file must hold a JSON array of DataPass habilitation objects")
    snapshots = [_snapshot(position, item) for position, item in enumerate(items)]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped_older": 0}
    try:
        for snapshot in snapshots:
            counts[_import_one(snapshot)] += 1
            progress(1)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def _snapshot(position: int, item: object) -> Snapshot:
    """One item as a snapshot of a habilitation of a type this hub serves
    (:data:`~idp.datapass.events.KNOWN_DEFINITIONS`), or the :class:`HabilitationError` naming it."""
    name = f"item {position}"
    if isinstance(item, dict) and type(item.get("id")) is int:
        name += f" (habilitation {item['id']})"
    try:
        snapshot = HabilitationSchema().load(item)
    except ValidationError as problem:
        raise HabilitationError(f"{name}: {first_problem(problem.messages)}") from None
    if snapshot.definition is None:
        raise HabilitationError(f"{name}: no authorizations[].definition_id nor type")
    if snapshot.definition not in KNOWN_DEFINITIONS:
        raise HabilitationError(
            f"{name}: unknown habilitation type {snapshot.definition!r} "
            f"(this server takes {', '.join(sorted(KNOWN_DEFINITIONS))})"
        )
    return snapshot


def first_problem(messages: object, path: str = "") -> str:
    """Marshmallow's nested error messages as one line: the first field's path
    (``authorizations[0].id``) and its message, and how many more fields are wrong."""
    problems: list[str] = []

    def walk(value: object, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                step = f"[{key}]" if isinstance(key, int) else (f".{key}" if where else str(key))
                walk(inner, where + step if key != "_schema" else where)
        elif isinstance(value, list) and value and all(isinstance(text, str) for text in value):
            problems.append(f"{where}: {value[0]}" if where else value[0])
        elif isinstance(value, list):
            for inner in value:
                walk(inner, where)

    walk(messages, path)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (problems[0] if problems else "invalid") + more


def _import_one(snapshot: Snapshot) -> str:
    is_new = db.session.get(Habilitation, snapshot.id) is None
    habilitation = locked_habilitation(snapshot.id, snapshot.definition)
    as_of = snapshot_time(snapshot)
    if as_of < habilitation.last_fired_at:
        return "skipped_older"
    before = _fingerprint(habilitation)
    standing = standing_from_snapshot(snapshot, standing_of(habilitation))
    apply_snapshot(habilitation, snapshot, snapshot.definition, standing, event=IMPORT)
    habilitation.last_fired_at = max(habilitation.last_fired_at, as_of)
    if not is_new and _fingerprint(habilitation) == before:
        return "unchanged"
    db.session.add(
        AuditEvent(
            kind="habilitation_imported",
            habilitation_id=habilitation.id,
            client_id=habilitation.client_id,
            detail={"state": habilitation.state, "active": habilitation.active},
        )
    )
    return "created" if is_new else "updated"


def get_habilitation(habilitation_id: int) -> Habilitation:
    habilitation = db.session.get(Habilitation, habilitation_id)
    if habilitation is None:
        raise HabilitationError(f"unknown habilitation: {habilitation_id}")
    return habilitation


def list_habilitations() -> list[Habilitation]:
    return list(db.session.scalars(db.select(Habilitation).order_by(Habilitation.id)))


def describe(habilitation: Habilitation) -> dict:
    """Everything an operator needs, including scope keys the registry does not know yet."""
    known = read_registry()
    keys = dict.fromkeys([*(habilitation.scopes or []), *(habilitation.approved_scopes or [])])
    return {
        "id": habilitation.id,
        "public_id": habilitation.public_id,
        "definition": habilitation.definition,
        "state": habilitation.state,
        "active": habilitation.active,
        "intitule": habilitation.intitule,
        "organization": {"name": habilitation.organization_name, "siret": habilitation.organization_siret},
        "eidas_level": habilitation.eidas_level,
        "scopes": habilitation.scopes,
        "approved_scopes": habilitation.approved_scopes,
        "unknown_scope_keys": [key for key in keys if key not in known],
        "authorization_ids": habilitation.authorization_ids,
        "modalities": habilitation.modalities,
        "france_connect_authorization_id": habilitation.france_connect_authorization_id,
        "client_id": habilitation.client_id,
        "last_fired_at": habilitation.last_fired_at,
    }


def link(habilitation_id: int, client_id: str) -> Habilitation:
    """Link a habilitation to a service provider by hand (``idp habilitations link``)."""
    habilitation = get_habilitation(habilitation_id)
    client = find_client(client_id)
    if client is None:
        raise HabilitationError(f"unknown client: {client_id}")
    if client.role != "service-provider":
        raise HabilitationError(f"{client_id} is a {client.role}, not a service provider")
    left = set_link(habilitation, client.client_id, how="manual")
    reason = f"habilitation {habilitation.id} linked by hand"
    recompute_clients({left, client.client_id}, reason=reason, habilitation_id=habilitation.id)
    db.session.commit()
    return habilitation


def audit_trail(
    *, habilitation_id: int | None = None, client_id: str | None = None, limit: int = 100
) -> list[dict]:
    """Audit events, newest first, filtered by habilitation and/or client."""
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if habilitation_id is not None:
        query = query.where(AuditEvent.habilitation_id == habilitation_id)
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    return [
        {
            "id": event.id,
            "at": event.at.isoformat(),
            "kind": event.kind,
            "habilitation_id": event.habilitation_id,
            "client_id": event.client_id,
            "detail": event.detail,
        }
        for event in db.session.scalars(query)
    ]
