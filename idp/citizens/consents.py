"""Consents per user, client and scope set (remembered, listed, withdrawn)."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from idp.database import reads
from idp.extensions import db
from idp.models import AccessTokenRecord, Consent, LoginSession, RefreshToken, utcnow
from idp.telemetry.logs import audit

_ACTIVE = (
    select(Consent.id, Consent.scope, Consent.granted_at)
    .where(Consent.client_id == bindparam("client_id"), Consent.revoked_at.is_(None))
    .order_by(Consent.granted_at.desc())
)
_ACTIVE_CONSENTS = _ACTIVE.where(Consent.user_id == bindparam("user_id"))
#: The same rows found from the citizen's sign-in (the SHA-256 of its session id), so that
#: they can be read along with it (:func:`idp.citizens.sessions.sign_in_with_consents`).
ACTIVE_CONSENTS_OF_SIGN_IN = _ACTIVE.join(LoginSession, LoginSession.user_id == Consent.user_id).where(
    LoginSession.id == bindparam("id")
)


def covering_consent(user_id: int, client_id: str, scope_keys: list[str]):
    """An active consent of this user for this client whose scopes include the request: a
    row (``id``, ``scope``, ``granted_at``), read on every ``/authorize`` of a returning
    citizen (:mod:`idp.database.reads`, committed consents only), or None."""
    return covering(
        reads.all_rows(_ACTIVE_CONSENTS, {"user_id": user_id, "client_id": client_id}), scope_keys
    )


def covering(rows: list, scope_keys: list[str]):
    """The first of the active consents ``rows`` (newest first) whose scopes include the
    request's, or None."""
    wanted = set(scope_keys)
    return next((row for row in rows if wanted <= set(row.scope.split())), None)


def record_consent(user_id: int, client_id: str, scope_keys: list[str]) -> Consent:
    consent = Consent(user_id=user_id, client_id=client_id, scope=" ".join(sorted(set(scope_keys))))
    db.session.add(consent)
    db.session.commit()
    return consent


def withdraw_consent(user_id: int, consent_id: int) -> bool:
    """Withdraw one of the user's consents and revoke the tokens issued under it."""
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.user_id != user_id or consent.revoked_at is not None:
        return False
    consent.revoked_at = utcnow()
    revoke_consent_tokens(consent.id)
    db.session.commit()
    audit("consent_withdrawn", consent_id=consent.id, client_id=consent.client_id)
    return True


def revoke_consent_tokens(consent_id: int) -> None:
    """A withdrawn consent revokes the refresh tokens (and access tokens) issued under it."""
    now = utcnow()
    for model in (RefreshToken, AccessTokenRecord):
        db.session.execute(
            update(model)
            .where(model.consent_id == consent_id, model.revoked_at.is_(None))
            .values(revoked_at=now)
        )
