"""What the ``idp`` commands print, the same way in every feature's CLI, errors included."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

T = TypeVar("T")


def echo_json(data) -> None:
    """Print ``data`` as indented JSON (dates and other values as strings)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def or_usage_error(action: Callable[[], T], *errors: type[Exception]) -> T:
    """``action()``, with a domain error (its message says what is wrong) reported as a usage
    error: the message, and exit status 2."""
    try:
        return action()
    except errors as error:
        raise click.UsageError(str(error)) from error


@contextmanager
def progress(label: str, length: int | Callable[[], int]) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while a long command works, ``advance(n)`` moving it by
    ``n`` of ``length`` (a callable is called only when the bar is shown: a count that costs
    a query). Only on a terminal: under cron, systemd or a pipe nothing is shown, and stdout
    keeps only the command's result."""
    if not sys.stderr.isatty():
        yield lambda done: None
        return
    total = length() if callable(length) else length
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
