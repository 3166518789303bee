"""The outbox (idp.mail.outbox): sending never holds nor fails a request. The citizen's
sign-in comes back with its code while the SMTP server has not answered yet, and the queue
is bounded (a message beyond it is dropped and logged, with the recipient's domain only)."""

from __future__ import annotations

from email.message import EmailMessage

from idp.mail import outbox as outbox_module
from idp.mail.outbox import outbox

WAIT_SECONDS = 15


def test_a_slow_smtp_server_does_not_hold_the_sign_in(app, flow, inbox):
    inbox.holding = True
    code = flow.code()  # the redirect with the code, while the server sits on the message
    assert code
    assert not inbox.release.is_set()
    assert inbox.entered.wait(WAIT_SECONDS)  # the alert did go out, and is still unanswered
    assert inbox.envelopes == []
    inbox.release.set()
    with app.app_context():
        assert outbox().wait_until_sent(WAIT_SECONDS)
    assert [m["To"] for m in inbox.messages] == ["camille@example.fr"]


def notice(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "test"
    message.set_content("test")
    return message


def test_beyond_its_capacity_a_message_is_dropped_and_logged(app, inbox, monkeypatch, mail_logs):
    monkeypatch.setattr(outbox_module, "CAPACITY", 1)
    inbox.holding = True
    with app.test_request_context():
        assert outbox_module.send(notice("first@example.fr"))
        assert inbox.entered.wait(WAIT_SECONDS)  # the worker holds the first, the queue is empty
        assert outbox_module.send(notice("second@example.fr"))
        assert not outbox_module.send(notice("third@example.net"))
        inbox.release.set()
        assert outbox().wait_until_sent(WAIT_SECONDS)
    assert [m["To"] for m in inbox.messages] == ["first@example.fr", "second@example.fr"]
    assert "mail outbox full: message to @example.net dropped" in mail_logs.text
    assert "third@" not in mail_logs.text


def test_without_an_smtp_host_nothing_is_queued(app, inbox, monkeypatch):
    """IDP_SMTP_HOST unset (the default): no outbox, no thread, nothing sent."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    with app.test_request_context():
        assert outbox_module.send(notice("first@example.fr")) is False
    assert "idp_mail_outbox" not in app.extensions
    assert not inbox.entered.is_set()
