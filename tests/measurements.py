"""Figures that tests measure on the way (seconds to an answer, connections held), printed
in a "measured" section at the end of the run so that ``bench/RESULTS.md`` can quote them
with the command that produced them.

A test records one with the ``measure`` fixture; the figures travel in the test reports'
``user_properties``, so they reach the summary under ``pytest-xdist`` too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

PREFIX = "measured: "


@pytest.fixture
def measure(record_property):
    """``measure("what", value)``: keep a figure for the run's summary."""

    def record(what: str, value: object) -> None:
        record_property(PREFIX + what, value)

    return record


def seconds_until(condition: Callable[[], bool], limit: float = 15) -> float:
    """How long ``condition`` took to hold, polled every 5 ms; fails past ``limit`` seconds."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, f"not within {limit} s"
        time.sleep(0.005)
    return time.monotonic() - started


def pytest_terminal_summary(terminalreporter) -> None:
    lines = [
        f"{report.nodeid}: {name.removeprefix(PREFIX)} = {value}"
        for report in terminalreporter.stats.get("passed", [])
        for name, value in report.user_properties
        if name.startswith(PREFIX)
    ]
    if lines:
        terminalreporter.section("measured")
        for line in lines:
            terminalreporter.line(line)
