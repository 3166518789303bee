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
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

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


#: One encoder for every line (``json.dumps`` with options builds one per call).
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


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
        return _LINE_ENCODER.encode(line)


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


class BatchedStreamHandler(logging.StreamHandler):
    """Writes its lines in batches: every :attr:`interval` seconds, at once from ``WARNING``
    up (after the lines before it, in order), and when flushed or closed (a worker's end).

    Why: a server writes one line per request (:mod:`idp.observability.requests`). Written
    one by one, each line is a ``write`` on stderr, which lets go of the GIL, so that the
    application thread waits for it again behind the worker's event loop. The line is
    dear: in alternated runs of ``idp serve`` (wrk, 128 connections, two workers),
    ``/jwks`` served 6,266 requests/s with each line written as it came, 7,198 batched,
    and 9,144 with no request line at all. What batching leaves is the line's making
    (about 18 µs in process: the record, the JSON). Measured again against the commit
    before it, on a noisier machine, the difference was within the runs' spread (8,511
    against 8,798). The standard library's ``MemoryHandler`` buffers records, but its
    target still writes them one by one. A crash of the process loses at most
    :attr:`interval` seconds of ``INFO`` lines; nothing from ``WARNING`` up.
    """

    def __init__(self, stream: TextIO, interval: float) -> None:
        super().__init__(stream)
        self.interval = interval
        self._lines: list[str] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._write_periodically, name="idp-log-writer", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        """Called with the handler's lock held (:meth:`logging.Handler.handle`)."""
        try:
            self._lines.append(self.format(record))
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self._write()

    def flush(self) -> None:
        with self.lock:
            self._write()

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()

    def _write(self) -> None:
        if not self._lines:
            return
        text = self.terminator.join(self._lines) + self.terminator
        self._lines.clear()
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:  # as StreamHandler: a failed write must not fail the request
            self.handleError(logging.makeLogRecord({"msg": "log lines lost", "levelno": logging.ERROR}))

    def _write_periodically(self) -> None:
        while not self._stopped.wait(self.interval):
            self.flush()


#: How long the server's workers hold their ``INFO`` lines (:class:`BatchedStreamHandler`).
BATCH_SECONDS = 0.2


def configure_logging(log_format: str, level: int = logging.INFO, batched: bool = False) -> None:
    """The root logger writes ``log_format`` lines on stderr, ``level`` and above.

    ``batched``: in batches (:class:`BatchedStreamHandler`), as a server's worker does; else
    each line as it comes. Whatever the ``idp`` command logs needs neither the caller's
    frame, thread nor process (the formats have none of them), so :mod:`logging` does not
    look them up (the Logging HOWTO, "Optimization").
    """
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = (
        BatchedStreamHandler(sys.stderr, BATCH_SECONDS) if batched else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(FORMATTERS[log_format]())
    handler.addFilter(RequestFields())
    root = logging.getLogger()
    for previous in list(root.handlers):
        root.removeHandler(previous)
        if isinstance(previous, BatchedStreamHandler):
            previous.close()
    root.addHandler(handler)
    root.setLevel(level)
    migration = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(kept, QuietSchemaReads) for kept in migration.filters):
        migration.addFilter(QuietSchemaReads())


def flush_logs() -> None:
    """Write what the root logger's handlers hold (a worker that ends)."""
    for handler in logging.getLogger().handlers:
        handler.flush()


def granian_log_config(log_format: str) -> dict[str, Any]:
    """Granian's ``log_dictconfig``: its own lines (``_granian``) in the same format."""
    formatter = {"()": f"{__name__}.{FORMATTERS[log_format].__name__}"}
    return {"formatters": {"generic": formatter, "access": formatter}}


def audit(event: str, **fields: Any) -> None:
    """An audit event: one line of logger ``idp.audit``, ``{"audit": event, ...fields}``.

    Fields name things (a client_id, a kid, a habilitation id), never a secret or a person.
    """
    audit_log.info(event, extra={"fields": {"audit": event, **fields}})
