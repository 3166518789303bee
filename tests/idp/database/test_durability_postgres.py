"""Which of the code flow's commits wait for PostgreSQL's disk (idp.database.writes).

Every durable commit is made to wait ``DELAY`` seconds before its WAL flush
(``commit_delay``, with ``commit_siblings = 0``: always), and a commit that does not wait
for the flush (``synchronous_commit`` off for its transaction) skips that wait. So a request
that makes n durable commits takes n × ``DELAY`` more than its own few milliseconds:

- ``GET /authorize``, the code and its connection record: none (a lost code cannot be
  exchanged);
- ``POST /token`` with the code: one, the code's single-use claim; the token record after
  it does not wait (a token without its record is not active).
"""

from __future__ import annotations

import shutil
import time
from urllib.parse import urlsplit

import psycopg
import pytest

from idp import create_app
from idp.extensions import db
from tests.conftest import BASE_SETTINGS

pytestmark = pytest.mark.postgres
DELAY = 0.1  # commit_delay's largest value: 100,000 µs


@pytest.fixture
def app(tmp_path, template_instance, postgres_database):
    """The PostgreSQL leg only, every durable commit of its database delayed."""
    name = urlsplit(postgres_database).path.lstrip("/")
    admin = urlsplit(postgres_database)._replace(scheme="postgresql").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" SET commit_delay = {int(DELAY * 1e6)}')
        connection.execute(f'ALTER DATABASE "{name}" SET commit_siblings = 0')
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    settings = {**BASE_SETTINGS, "INSTANCE_PATH": str(instance), "DATABASE_URL": postgres_database}
    application = create_app(settings)
    yield application
    with application.app_context():
        db.engine.dispose()


def _durable_commits(call, expected_status: int) -> int:
    """Whole ``DELAY`` s in the quickest of three answers."""
    times = []
    for _ in range(3):
        started = time.monotonic()
        response = call()
        times.append(time.monotonic() - started)
        assert response.status_code == expected_status, response.get_data(as_text=True)
    return int(min(times) / DELAY)


def test_only_the_claim_of_a_code_waits_for_the_disk(app, client, flow):
    codes = [flow.code() for _ in range(3)]
    authorize = _durable_commits(lambda: client.get("/authorize", query_string=flow.authorize_params()), 302)
    exchange = _durable_commits(lambda: flow.exchange(codes.pop()), 200)
    assert (authorize, exchange) == (0, 1)
