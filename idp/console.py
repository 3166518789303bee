"""What the ``idp`` commands print, the same way in every feature's CLI, errors included."""

from __future__ import annotations

import json
from collections.abc import Callable
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
