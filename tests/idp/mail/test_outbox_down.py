"""An SMTP server that is down (nothing listens on its port): the sign-in completes, the
failure is logged with the recipient's domain only, and the outbox goes on with the next
message (idp.mail.outbox)."""

from __future__ import annotations

import pytest

from idp.mail.outbox import outbox
from tests.idp.mail.conftest import free_port

WAIT_SECONDS = 15


@pytest.fixture
def app_settings() -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 5}


def test_an_smtp_server_that_is_down_does_not_stop_the_sign_in(app, flow, mail_logs):
    assert flow.code()
    assert flow.code(prompt="login")  # a new sign-in: a second alert, after the first failed
    with app.app_context():
        assert outbox().wait_until_sent(WAIT_SECONDS)
    failures = [r.getMessage() for r in mail_logs.records if r.name == "idp.mail.outbox"]
    assert (
        failures
        == ["mail to @example.fr not sent: ConnectionRefusedError: [Errno 111] Connection refused"] * 2
    )
    assert "camille@" not in mail_logs.text
