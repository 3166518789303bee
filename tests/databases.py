"""The databases the suites run on: the embedded SQLite, and PostgreSQL.

``IDP_TEST_DATABASES`` (default ``sqlite,postgresql``) lists them; the ``app`` fixture
(tests/conftest.py) runs each test that uses it once per database. PostgreSQL is one
throwaway cluster per test session (:func:`bench.postgres.cluster`, Debian's server as
``make test`` installs it), and each test gets its own database, a copy of a migrated,
seeded template (``CREATE DATABASE … TEMPLATE``: a file copy, a few milliseconds).
"""

from __future__ import annotations

import itertools
import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

#: Every database the suites can run on, in the order they run.
KNOWN = ("sqlite", "postgresql")
SELECTED = tuple(name for name in os.environ.get("IDP_TEST_DATABASES", ",".join(KNOWN)).split(",") if name)
TEMPLATE = "idp_template"

_numbers = itertools.count(1)


def with_database(url: str, name: str) -> str:
    """``url`` (SQLAlchemy's ``postgresql+psycopg://…/db``) naming database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str) -> psycopg.Connection:
    plain = urlsplit(url)._replace(scheme="postgresql")
    return psycopg.connect(urlunsplit(plain), autocommit=True)


def create_database(url: str, name: str, template: str | None = None) -> str:
    """A new database (empty, or a copy of ``template``); its URL."""
    with _admin(url) as connection:
        suffix = f" TEMPLATE {template}" if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{suffix}')
    return with_database(url, name)


def drop_database(url: str, name: str) -> None:
    with _admin(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def next_name() -> str:
    """A database name unique within this session (and this xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"test_{worker}_{next(_numbers)}"
