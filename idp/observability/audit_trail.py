"""The database's audit trail, in the log too: each ``AuditEvent`` row once it is committed.

The habilitation changes (a DataPass delivery applied, an import, a link, a client created
from a habilitation, a client's allowed scopes recomputed) are recorded as
:class:`~idp.models.AuditEvent` rows in the transaction of the change
(:mod:`idp.datapass`, :mod:`idp.registry.allowed`). One SQLAlchemy session listener puts
each of them in the log (:func:`idp.telemetry.logs.audit`) after its transaction
committed, so a rolled-back change is never logged as done. The other audit events
(signing keys, clients, identity providers, consents) have no row and are logged by their
service function.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from idp.models import AuditEvent
from idp.telemetry.logs import audit

_PENDING = "idp_audit_events"


def _collect(session: Session, _flush_context) -> None:
    new = [row for row in session.new if isinstance(row, AuditEvent)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


def _log_committed(session: Session) -> None:
    for row in session.info.pop(_PENDING, ()):
        audit(row.kind, habilitation_id=row.habilitation_id, client_id=row.client_id, detail=row.detail or {})


def _forget(session: Session, *_args) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Listen on every session (once per process)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _log_committed)
        event.listen(Session, "after_rollback", _forget)
