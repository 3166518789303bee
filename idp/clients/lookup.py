"""Client lookup and creation helpers shared by the endpoints and the CLI."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

from authlib.oauth2.rfc6749.errors import OAuth2Error
from sqlalchemy import String, bindparam, cast, select
from sqlalchemy.orm.util import identity_key

from idp.database import batches, notifications, reads
from idp.database.notifications import ChangeListener
from idp.extensions import db, per_app
from idp.models import Client

T = TypeVar("T")

#: The row's version: its primary key (a deleted and re-created client differs) and
#: ``updated_at``, which every UPDATE of the row sets (column ``onupdate``). Only compared for
#: equality, so read as the database's text: no datetime is parsed per request.
_VERSION = select(Client.id, cast(Client.updated_at, String).label("updated_at")).where(
    Client.client_id == bindparam("client_id")
)
#: What a copy is built from (its changes are notified: :mod:`idp.database.notifications`).
TABLES = notifications.tables("clients")


@dataclass(frozen=True)
class _Copy:
    """A client as built from its row, that row's version, and the change listener's stamp
    of the moment the version was read (taken before the read)."""

    client: Client
    version: tuple
    stamp: int


def _copies(app) -> tuple[dict[str, _Copy], ChangeListener]:
    return {}, notifications.listener_of(app)


#: How many clients each process keeps built; past it, the copy built first goes. One copy
#: takes about 6 kB: PISTE's 11,000 applications would add 68 MB to every worker
#: (bench/large_data.py), where a few hundred clients make most of the traffic.
CACHED_CLIENTS = 1024


def _usable_id(client_id: object) -> bool:
    """A client id we could have issued: a short printable string (RFC 6749 Appendix A
    VSCHAR); anything else, a NUL byte included, simply finds nothing."""
    return (
        isinstance(client_id, str)
        and 0 < len(client_id) <= 64
        and client_id.isprintable()
        and client_id.isascii()
    )


def find_client(client_id: object) -> Client | None:
    """One indexed query; hostile ids (non-strings, huge) simply find nothing."""
    if not _usable_id(client_id):
        return None
    return db.session.scalar(db.select(Client).where(Client.client_id == client_id))


def find_client_for_authentication(client_id: object) -> Client | None:
    """The client, read-only, for the hot machine endpoints (token, introspection, checktoken).

    Building an ORM ``Client`` costs more than the query that finds it, so each process keeps
    the last one it built per ``client_id``, detached from any session. It is used as it is
    only while the change listener holds its lease and was told of no change to the clients
    since the copy's version was read (:mod:`idp.database.notifications`: PostgreSQL); a
    change made anywhere is then seen within the notification's delay. Otherwise one
    indexed single-row query reads the row's version (``id``, ``updated_at``) first, and the
    copy is rebuilt when that differs: a secret rotation, a habilitation change (allowed
    scopes) or any other update is seen by every worker and instance from the next request,
    and a deleted client finds nothing. Within :func:`confirmed_with_next_read`, that query
    travels with the request's next read instead. At most :data:`CACHED_CLIENTS` copies are
    kept (the oldest goes first).
    The object must not be modified; writers use :func:`find_client`.
    """
    if not _usable_id(client_id):
        return None
    copies, changes = per_app("idp_clients", _copies)
    cached = copies.get(client_id)
    if cached is not None and (
        changes.unchanged_since(TABLES, cached.stamp)
        or batches.expect(_VERSION, {"client_id": client_id}, cached.version)
    ):
        return cached.client
    stamp = changes.stamp()
    version = reads.first(_VERSION, {"client_id": client_id})
    if version is None:
        copies.pop(client_id, None)
        return None
    version = tuple(version)
    if cached is not None and cached.version == version:
        if cached.stamp != stamp:
            copies[client_id] = _Copy(cached.client, version, stamp)
        return cached.client
    if db.session.registry.has() and identity_key(Client, version[0]) in db.session.identity_map:
        return find_client(client_id)  # this request already holds it (maybe changed): use that
    client = find_client(client_id)
    if client is not None and client.id == version[0]:
        db.session.expunge(client)  # fully loaded, never expired, safe to share read-only
        if len(copies) >= CACHED_CLIENTS:
            with suppress(StopIteration, RuntimeError, KeyError):  # another thread's eviction won
                del copies[next(iter(copies))]
        copies[client_id] = _Copy(client, version, stamp)
    return client


def confirmed_with_next_read(form: Mapping[str, object], call: Callable[[], T]) -> T:
    """``call`` (an endpoint that authenticates its caller, then reads one row), with the
    clients' copies it authenticates used before their version is read: that query travels
    with the call's next read (:mod:`idp.database.batches`), one round trip for both. A copy
    that turns out outdated voids what ``call`` answered or raised (an OAuth 2.0 error), and
    ``call`` runs again on fresh rows: the client was counted twice then against its rate
    limit, in a rare case (it changed since the process last checked it).

    Not with a client assertion (``form`` has ``client_assertion``): its ``jti`` is single-use
    (RFC 7523 §3 item 7), so a second authentication would take it for a replay.
    """
    if "client_assertion" in form:
        return call()
    with batches.window() as window:
        try:
            outcome = call()
        except OAuth2Error as error:
            outcome = error
    if not window.met:
        return call()
    if isinstance(outcome, OAuth2Error):
        raise outcome
    return outcome


def generate_client_secret() -> str:
    """256 bits of entropy (DESIGN: secrets are stored as SHA-256, never with a KDF)."""
    return secrets.token_urlsafe(32)


def generate_client_id() -> str:
    return secrets.token_hex(16)
