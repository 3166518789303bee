"""Redeeming an authorization code: one statement claims it and reads it.

RFC 6749 §4.1.2: a code is used once. Of two concurrent redemptions, across workers and
instances, exactly one claims it: ``UPDATE … SET used_at WHERE used_at IS NULL`` is atomic
on both databases (a row lock on PostgreSQL, the write lock on SQLite), and ``RETURNING``
gives the winner the code's columns in the same statement, so the happy path is one round
trip and builds no ORM object (the code flow's benchmark counted a read, the claim and a
reload after the commit). The consent behind the code must still stand: the same statement
checks it, so a withdrawn consent leaves the code unclaimed and a second read, only then,
says why.

Codes are stored and claimed on the thread's connection (:mod:`idp.database.writes`), each
in a transaction of its own that commits at once: a code is claimed for good before any
token is issued from it. The claim's transaction also reads the citizen the code names
(the token response's subject and claims): on PostgreSQL the two are one statement
(:mod:`idp.database.combined`), one round trip instead of two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from sqlalchemy import bindparam, exists, insert, select, update

from idp.citizens.users import CITIZEN_COLUMNS, Citizen
from idp.database import writes
from idp.extensions import db
from idp.models import AuthorizationCode, ConnectionEvent, Consent, User, utcnow
from idp.oauth2.tokens import hash_token, revoke_grant

_CODES = AuthorizationCode.__table__
_CONSENT_STANDS = exists().where(Consent.id == _CODES.c.consent_id, Consent.revoked_at.is_(None))
_COLUMNS = (
    _CODES.c.client_id,
    _CODES.c.user_id,
    _CODES.c.consent_id,
    _CODES.c.grant_id,
    _CODES.c.redirect_uri,
    _CODES.c.scope,
    _CODES.c.nonce,
    _CODES.c.code_challenge,
    _CODES.c.code_challenge_method,
    _CODES.c.auth_time,
    _CODES.c.acr,
    _CODES.c.amr,
    _CODES.c.expires_at,
)


_CLAIM = (
    update(_CODES)
    .where(
        _CODES.c.code_hash == bindparam("claimed_hash"),
        _CODES.c.client_id == bindparam("claimed_by"),
        _CODES.c.used_at.is_(None),
        _CONSENT_STANDS,
    )
    .values(used_at=bindparam("claimed_at"))
    .returning(*_COLUMNS)
)
#: The citizen of the code being claimed (whoever wins the claim: read only by the winner).
_CLAIMED_CITIZEN = select(*CITIZEN_COLUMNS).where(
    User.id
    == select(_CODES.c.user_id)
    .where(_CODES.c.code_hash == bindparam("claimed_hash"), _CODES.c.client_id == bindparam("claimed_by"))
    .scalar_subquery()
)
_INSERT_CODE = insert(_CODES)
_INSERT_CONNECTION = insert(ConnectionEvent.__table__)


def store_code(code: dict, connection: dict) -> None:
    """Store a code (every column of :class:`~idp.models.AuthorizationCode` but ``id`` and
    ``used_at``) and the connection it records (:func:`idp.citizens.history.connection_record`),
    in one transaction: the citizen's data leaves for the service only with its trace.

    Not flushed to disk before the redirect (``durable=False``): a code lost in a crash
    cannot be exchanged, and its claim (:func:`claim_code`), durable, flushes it and its
    trace first, before any token is issued."""
    writes.transaction((_INSERT_CODE, code), (_INSERT_CONNECTION, connection), durable=False)


@dataclass(frozen=True)
class ClaimedCode(AuthorizationCodeMixin):
    """A code this request claimed: what the token response needs of it (Authlib's
    ``AuthorizationCodeMixin`` and the OpenID claims), read-only."""

    client_id: str
    user_id: int
    consent_id: int
    grant_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: datetime
    acr: str
    amr: list
    expires_at: datetime
    #: The citizen the code names, read in the claim's transaction (None: erased meanwhile).
    citizen: Citizen | None = field(default=None, compare=False)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr or [])


def claim_code(code: str, client_id: str) -> ClaimedCode | None:
    """The code issued to ``client_id``, claimed for this request and committed; None when
    there is no such code (or it is another client's, which stays unclaimed).

    A code already used fails, and every token issued from it is revoked (RFC 6749
    §4.1.2, RFC 9700 §4.2.4); an expired one fails once claimed; one whose consent was
    withdrawn fails unclaimed.
    """
    code_hash = hash_token(code)
    claim = {"claimed_hash": code_hash, "claimed_by": client_id, "claimed_at": utcnow()}
    row, citizen = writes.transaction((_CLAIM, claim), (_CLAIMED_CITIZEN, claim))
    if row is not None:
        claimed = ClaimedCode(**row._asdict(), citizen=Citizen(**citizen._asdict()) if citizen else None)
        if claimed.expires_at <= utcnow():
            raise InvalidGrantError("authorization code expired")
        return claimed
    unclaimed = db.session.execute(
        select(_CODES.c.used_at, _CODES.c.grant_id).where(
            _CODES.c.code_hash == code_hash, _CODES.c.client_id == client_id
        )
    ).first()
    if unclaimed is None:
        return None
    if unclaimed.used_at is not None:
        revoke_grant(unclaimed.grant_id)
        db.session.commit()
        raise InvalidGrantError("authorization code was already used; tokens issued from it are revoked")
    raise InvalidGrantError("the consent behind this code was withdrawn")
