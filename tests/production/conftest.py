"""Fixtures of the production tests: a PostgreSQL database of their own per module (the
instances run ``idp db upgrade`` on it, as a deployment does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import databases


@pytest.fixture(scope="module")
def shared_database(postgres_server) -> Iterator[str]:
    """An empty PostgreSQL database for this module's instances; dropped afterwards."""
    name = databases.next_name()
    url = databases.create_database(postgres_server, name)
    yield url
    databases.drop_database(postgres_server, name)
