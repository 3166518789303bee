"""Log lines: one JSON object a line (or a plain text line), and the audit events.

The format is the standard library's :mod:`logging` with a small formatter of our own
rather than python-json-logger: the record is a handful of fixed keys plus the ``fields``
a caller passes, which ``json.dumps`` renders in a dozen lines, and a dependency would
buy nothing more. ``IDP_LOG_FORMAT`` (``json``, the default, or ``text``) chooses it where
the ``idp`` command configures logging: ``idp serve`` (its workers and Granian's own
lines) and every other ``idp`` command (:func:`configure_logging`). An application built
with :func:`idp.create_app` and served otherwise (``wsgi.py``) logs as its host configures.

Every line written while a request is served carries its ``request_id``
(:mod:`idp.telemetry.context`). What a line may hold is the caller's duty: never a
token, a code, a secret, a password or a pivot identity (DESIGN.md, "Security defaults";
``tests/idp/observability/test_no_secrets_in_logs.py`` greps a full run for them).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from idp.telemetry import context

audit_log = logging.getLogger("idp.audit")


class RequestFields(logging.Filter):
    """Adds the current request's id to each record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class JSONFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...fields, "exception"}``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value...``, for a person reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = dict(_fields(record))
        request_id = getattr(record, "request_id", None)
        if request_id and "request_id" not in extra:
            extra["request_id"] = request_id
        if extra:
            text += " " + " ".join(f"{key}={json.dumps(value, default=str)}" for key, value in extra.items())
        return text


class QuietSchemaReads(logging.Filter):
    """Alembic says which dialect it uses each time the schema's revision is read (each
    ``/readyz``, the ``idp`` command's checks); its migrations' own lines are kept."""

    SAID_AT_EACH_READ = ("Context impl ", "Will assume ")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.SAID_AT_EACH_READ)


FORMATTERS = {"json": JSONFormatter, "text": TextFormatter}


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """The root logger writes ``log_format`` lines on stderr, ``level`` and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMATTERS[log_format]())
    handler.addFilter(RequestFields())
    root = logging.getLogger()
    for previous in list(root.handlers):
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
    migration = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(kept, QuietSchemaReads) for kept in migration.filters):
        migration.addFilter(QuietSchemaReads())


def granian_log_config(log_format: str) -> dict[str, Any]:
    """Granian's ``log_dictconfig``: its own lines (``_granian``) in the same format."""
    formatter = {"()": f"{__name__}.{FORMATTERS[log_format].__name__}"}
    return {"formatters": {"generic": formatter, "access": formatter}}


def audit(event: str, **fields: Any) -> None:
    """An audit event: one line of logger ``idp.audit``, ``{"audit": event, ...fields}``.

    Fields name things (a client_id, a kid, a habilitation id), never a secret or a person.
    """
    audit_log.info(event, extra={"fields": {"audit": event, **fields}})
