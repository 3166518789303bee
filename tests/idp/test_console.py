"""Progress on a terminal (idp/console.py ``progress``): ``idp purge-expired`` and
``idp habilitations import`` show a bar on stderr when it is a terminal, and nothing when
it is not (cron, systemd, a pipe); stdout holds the result either way."""

from __future__ import annotations

import errno
import json
import os
import pty
import subprocess
from datetime import timedelta

import pytest

from idp.extensions import db
from idp.models import ClientAssertionJti, utcnow
from tests.e2e_server import IDP
from tests.idp.datapass.conftest import sample


def run(environment: dict, args: list[str], *, terminal: bool) -> tuple[str, str]:
    """stdout and stderr of ``idp ARGS``, stderr a pseudo-terminal or a pipe."""
    if not terminal:
        result = subprocess.run([IDP, *args], env=environment, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout, result.stderr
    controller, terminal_end = pty.openpty()
    try:
        result = subprocess.run(
            [IDP, *args], env=environment, stdout=subprocess.PIPE, stderr=terminal_end, text=True, timeout=120
        )
    finally:
        os.close(terminal_end)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError as error:  # EIO: the terminal's other end is closed and drained
            assert error.errno == errno.EIO
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert result.returncode == 0
    return result.stdout, b"".join(chunks).decode()


@pytest.fixture
def environment(app) -> dict:
    with app.app_context():
        gone = utcnow() - timedelta(days=2)
        db.session.add_all(
            ClientAssertionJti(client_id="c", jti=f"jti-{number}", expires_at=gone) for number in range(7)
        )
        db.session.commit()
    return {
        **os.environ,
        "IDP_INSTANCE_PATH": app.instance_path,
        "IDP_DATABASE_URL": app.config["DATABASE_URL"],
        "IDP_ISSUER": app.config["ISSUER"],
    }


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_purge_shows_progress_only_on_a_terminal(environment, terminal):
    stdout, stderr = run(environment, ["purge-expired"], terminal=terminal)
    assert "client_assertion_jtis: 7 deleted" in stdout
    if terminal:
        assert "Deleting expired rows" in stderr and "100%" in stderr
    else:
        assert stderr == ""


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_habilitations_import_shows_progress_only_on_a_terminal(environment, tmp_path, terminal):
    path = tmp_path / "habilitations.json"
    path.write_text(json.dumps([sample("approve-france-connect")["data"]]), encoding="utf-8")
    stdout, stderr = run(environment, ["habilitations", "import", str(path)], terminal=terminal)
    assert stdout == "1 created, 0 updated, 0 unchanged, 0 skipped older\n"
    if terminal:
        assert "Importing habilitations" in stderr and "100%" in stderr
    else:  # no progress; the import's audit events are the log's JSON lines (IDP_LOG_FORMAT)
        lines = [json.loads(line) for line in stderr.splitlines()]
        assert lines and {line["logger"] for line in lines} == {"idp.audit"}
        assert "habilitation_imported" in {line["audit"] for line in lines}
