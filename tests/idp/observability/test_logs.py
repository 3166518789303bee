"""The log formats (idp.telemetry.logs) and how idp serve sets them up
(idp.operations.serving): JSON or text lines, Granian's own lines in the same format,
and the metrics made again in multiprocess mode once idp serve has set its directory."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from pathlib import Path

import pytest

from idp.observability import exposition
from idp.operations.serving import metrics_directory
from idp.telemetry import metrics
from idp.telemetry.logs import (
    BatchedStreamHandler,
    JSONFormatter,
    TextFormatter,
    configure_logging,
    granian_log_config,
)
from tests.measurements import seconds_until


def record(**fields) -> logging.LogRecord:
    made = logging.LogRecord("idp.audit", logging.INFO, __file__, 1, "client_created", (), None)
    made.fields = fields
    made.request_id = "req-1"
    return made


def test_a_json_line_is_one_object_with_the_fields():
    line = json.loads(
        JSONFormatter().format(record(audit="client_created", client_id="abc", detail={"n": 1}))
    )
    assert line.pop("time").endswith("+00:00")
    assert line == {
        "level": "info", "logger": "idp.audit", "message": "client_created", "request_id": "req-1",
        "audit": "client_created", "client_id": "abc", "detail": {"n": 1},
    }  # fmt: skip


def test_a_text_line_is_readable():
    line = TextFormatter().format(record(audit="client_created", client_id="abc"))
    assert line.endswith(
        ' INFO idp.audit client_created audit="client_created" client_id="abc" request_id="req-1"'
    )


def test_an_exception_stays_on_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("idp", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = JSONFormatter().format(failed)
    assert "\n" not in text and "ValueError: boom" in json.loads(text)["exception"]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_idp_command_configures_the_root_logger_once(log_format):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(log_format)
        configure_logging(log_format)
        (handler,) = [h for h in root.handlers if isinstance(h.formatter, (JSONFormatter, TextFormatter))]
        assert (
            type(handler.formatter).__name__ == {"json": "JSONFormatter", "text": "TextFormatter"}[log_format]
        )
        assert root.level == logging.INFO
    finally:
        root.handlers[:], root.level = saved


def batched_logger(interval: float) -> tuple[logging.Logger, BatchedStreamHandler, io.StringIO]:
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream, interval)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.Logger("batched-test")  # not registered: nothing else writes to it
    logger.addHandler(handler)
    return logger, handler, stream


def test_batched_lines_are_written_together_after_the_interval():
    logger, handler, stream = batched_logger(interval=0.3)
    try:
        logger.info("one")
        logger.info("two")
        assert stream.getvalue() == ""  # held, not written line by line
        seconds_until(lambda: stream.getvalue() != "", limit=5)
        assert stream.getvalue() == "INFO one\nINFO two\n"
    finally:
        handler.close()


def test_a_warning_is_written_at_once_after_the_lines_held_before_it():
    logger, handler, stream = batched_logger(interval=60)
    try:
        logger.info("before")
        logger.warning("now")
        assert stream.getvalue() == "INFO before\nWARNING now\n"
        logger.info("after")
        assert stream.getvalue().endswith("WARNING now\n")
    finally:
        handler.close()
    assert stream.getvalue().endswith("INFO after\n")  # closing writes what was held


def test_configure_logging_batched_replaces_and_closes_the_previous_batched_handler():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("json", batched=True)
        (first,) = [h for h in root.handlers if isinstance(h, BatchedStreamHandler)]
        configure_logging("json", batched=True)
        (second,) = [h for h in root.handlers if isinstance(h, BatchedStreamHandler)]
        assert second is not first and first._stopped.is_set() and not second._stopped.is_set()
        second.close()
    finally:
        root.handlers[:], root.level = saved


def test_records_carry_no_caller_thread_or_process_once_configured():
    """The formats print none of them, so logging does not look them up."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    kept: list[logging.LogRecord] = []
    logger = logging.Logger("caller-test")  # not registered: nothing else writes to it
    logger.addHandler(type("Keep", (logging.Handler,), {"emit": lambda self, record: kept.append(record)})())
    try:
        configure_logging("json")
        logger.warning("made here")
    finally:
        root.handlers[:], root.level = saved
    (made,) = kept
    assert (made.funcName, made.lineno, made.threadName, made.processName, made.process) == (
        "(unknown function)", 0, None, None, None,
    )  # fmt: skip


def test_granian_logs_in_the_same_format():
    config = granian_log_config("json")
    assert config["formatters"]["generic"] == {"()": "idp.telemetry.logs.JSONFormatter"}
    assert config["formatters"]["access"] == config["formatters"]["generic"]


def test_an_unknown_log_format_fails_at_boot(tmp_path):
    from idp import create_app
    from idp.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="IDP_LOG_FORMAT must be one of json, text"):
        create_app({"INSTANCE_PATH": str(tmp_path), "LOG_FORMAT": "xml"})


@pytest.mark.sqlite_only("about the process, not the database")
def test_metrics_made_before_the_directory_are_made_again_in_multiprocess_mode(app):
    metrics.token_issued("client_credentials")  # made now, in memory
    with metrics_directory() as directory:
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == directory and os.stat(directory).st_mode & 0o077 == 0
        metrics.token_issued("authorization_code")
        files = [path.name for path in Path(directory).iterdir()]
        assert files == [f"counter_{os.getpid()}.db"]
        text = exposition.render(app)[0].decode()
        assert 'idp_tokens_issued_total{grant_type="authorization_code"} 1.0' in text
        assert "client_credentials" not in text  # the in-memory count is not in the files
        metrics.process_exited()  # prometheus_client's mark_process_dead: counters are kept
        assert [path.name for path in Path(directory).iterdir()] == files
    assert not Path(directory).exists() and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    metrics.token_issued("client_credentials")  # back in memory
    assert 'grant_type="client_credentials"' in exposition.render(app)[0].decode()
