"""Client lookup and creation helpers shared by the endpoints and the CLI."""

from __future__ import annotations

import secrets
from contextlib import suppress

from sqlalchemy import String, bindparam, cast, select
from sqlalchemy.orm.util import identity_key

from idp.database import reads
from idp.extensions import db, per_app
from idp.models import Client

#: The row's version: its primary key (a deleted and re-created client differs) and
#: ``updated_at``, which every UPDATE of the row sets (column ``onupdate``). Only compared for
#: equality, so read as the database's text: no datetime is parsed per request.
_VERSION = select(Client.id, cast(Client.updated_at, String).label("updated_at")).where(
    Client.client_id == bindparam("client_id")
)


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
    the last one it built per ``client_id``, detached from any session. It is *never* used
    without asking the database first: one indexed single-row query reads the row's version
    (``id``, ``updated_at``), and the copy is rebuilt when that differs. A secret rotation,
    a habilitation change (allowed scopes) or any other update is therefore seen by every
    worker and instance from the next request, and a deleted client finds nothing.
    At most :data:`CACHED_CLIENTS` copies are kept (the oldest goes first).
    The object must not be modified; writers use :func:`find_client`.
    """
    if not _usable_id(client_id):
        return None
    cache: dict[str, tuple[tuple, Client]] = per_app("idp_clients", lambda _app: {})
    version = reads.first(_VERSION, {"client_id": client_id})
    if version is None:
        cache.pop(client_id, None)
        return None
    version = tuple(version)
    cached = cache.get(client_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    if db.session.registry.has() and identity_key(Client, version[0]) in db.session.identity_map:
        return find_client(client_id)  # this request already holds it (maybe changed): use that
    client = find_client(client_id)
    if client is not None and client.id == version[0]:
        db.session.expunge(client)  # fully loaded, never expired, safe to share read-only
        if len(cache) >= CACHED_CLIENTS:
            with suppress(StopIteration, RuntimeError, KeyError):  # another thread's eviction won
                del cache[next(iter(cache))]
        cache[client_id] = (version, client)
    return client


def generate_client_secret() -> str:
    """256 bits of entropy (DESIGN: secrets are stored as SHA-256, never with a KDF)."""
    return secrets.token_urlsafe(32)


def generate_client_id() -> str:
    return secrets.token_hex(16)
