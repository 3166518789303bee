"""The outbox: one background thread per process sending queued messages over SMTP.

Python's :mod:`smtplib` does the protocol (RFC 5321, STARTTLS as RFC 3207, AUTH); this
module only keeps it off the request. The queue is bounded (:data:`CAPACITY`): when the
SMTP server cannot keep up, new messages are dropped and logged rather than held in
memory, since a connection notice is only useful when it is sent at once. A failure is
logged with the recipient's domain only, never the address.
"""

from __future__ import annotations

import logging
import os
import queue
import smtplib
import ssl
import threading
from email.message import EmailMessage

from flask import Flask, current_app

from idp.extensions import per_app

log = logging.getLogger(__name__)

#: Messages waiting at most; more are dropped (and logged).
CAPACITY = 1000


class Outbox:
    """Queued messages and the thread sending them, with this process's SMTP settings."""

    def __init__(self, config) -> None:
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.security = config["SMTP_SECURITY"]
        self.username = config["SMTP_USERNAME"]
        self.password = config["SMTP_PASSWORD"]
        self.timeout = config["SMTP_TIMEOUT"]
        self.sender = config["MAIL_FROM"]
        self._queue: queue.Queue[EmailMessage] = queue.Queue(maxsize=CAPACITY)
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._pid = 0

    def send(self, message: EmailMessage) -> bool:
        """Queue ``message``; False when the queue is full (the message is dropped)."""
        message["From"] = self.sender
        self._ensure_worker()
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            log.warning("mail outbox full: message to @%s dropped", _domain(message))
            return False
        return True

    def wait_until_sent(self, timeout: float) -> bool:
        """For an orderly shutdown and for tests: whether the queue emptied in time."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def _ensure_worker(self) -> None:
        """A worker in this very process (a server forks its workers after loading the app)."""
        with self._lock:
            if self._worker is None or self._pid != os.getpid() or not self._worker.is_alive():
                self._pid = os.getpid()
                self._worker = threading.Thread(target=self._run, name="idp-mail-outbox", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                self._deliver(message)
            except Exception as problem:  # the worker outlives any one message, whatever failed
                log.warning("mail to @%s not sent: %s: %s", _domain(message), type(problem).__name__, problem)
            finally:
                self._queue.task_done()

    def _deliver(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def _domain(message: EmailMessage) -> str:
    return str(message["To"]).rpartition("@")[2]


def _outbox(app: Flask) -> Outbox:
    return Outbox(app.config)


def enabled() -> bool:
    """Whether mail is configured (``IDP_SMTP_HOST``)."""
    return bool(current_app.config["SMTP_HOST"])


def send(message: EmailMessage) -> bool:
    """Queue ``message`` when mail is configured; False otherwise."""
    if not enabled():
        return False
    return outbox().send(message)


def outbox() -> Outbox:
    return per_app("idp_mail_outbox", _outbox)
