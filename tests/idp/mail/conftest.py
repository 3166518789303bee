"""A real SMTP server (aiosmtpd) on a loopback port, and the app sending to it.

``inbox`` is what the server received; ``hold`` makes it stall before answering the
message (a slow server), until the test releases it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

#: How long a held server waits at most (a safety net: a test releases it well before).
HOLD_LIMIT_SECONDS = 20


def free_port() -> int:
    """A loopback port nothing listens on (once the probe socket is closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps each message received, optionally stalling before the 250."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.envelopes = []
        self.holding = False
        self.entered = threading.Event()  # a message's DATA arrived (the server is answering it)
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.entered.set()
        if self.holding:
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, HOLD_LIMIT_SECONDS)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes
        ]


@pytest.fixture
def inbox():
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    handler.release.set()
    controller.stop()


@pytest.fixture
def app_settings(inbox) -> dict:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": inbox.port,
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": HOLD_LIMIT_SECONDS + 10,
    }


@pytest.fixture
def mail_logs(caplog, monkeypatch):
    """caplog for idp.mail's loggers. Running the migrations in this process (the template
    instance) goes through Alembic's ``fileConfig``, which disables every logger that existed
    then; these are switched back on for the test."""
    for name in ("idp.mail.outbox", "idp.mail.connection_notice"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.WARNING)
    return caplog
