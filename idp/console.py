"""What the ``idp`` commands print, the same way in every feature's CLI."""

from __future__ import annotations

import json

import click


def echo_json(data) -> None:
    """Print ``data`` as indented JSON (dates and other values as strings)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
