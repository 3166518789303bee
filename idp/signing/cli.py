"""``idp keys list|rotate|retire``: the signing keys' life cycle (see :mod:`keys.states`)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

import keys
from idp import signing
from idp.console import echo_json

group = AppGroup("keys", help="Signing keys: list, rotate, retire.")


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
def keys_list(as_json: bool) -> None:
    signing.ensure_keys()
    rows = [
        {
            "kid": r.kid,
            "alg": r.alg,
            "state": r.state.value,
            "created_at": r.created_at,
            "activated_at": r.activated_at,
            "retired_at": r.retired_at,
        }
        for r in signing.load_records()
    ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['kid']}  {row['alg']:5}  {row['state']:8}  created {row['created_at']:%Y-%m-%d %H:%M}"
        )


@group.command("rotate")
def keys_rotate() -> None:
    """NEXT becomes ACTIVE, ACTIVE becomes RETIRED, a new NEXT is generated.

    A NEXT key signs only once published long enough for every cache to hold it; an
    algorithm without a NEXT key only gets one (rotate again later to promote it).
    """
    signing.ensure_keys()
    try:
        records = signing.rotate()
    except keys.KeyManagementError as error:
        raise click.ClickException(str(error)) from error
    for record in records:
        click.echo(f"{record.kid}  {record.alg:5}  {record.state.value}")


@group.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    try:
        signing.retire(kid)
    except keys.KeyManagementError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"retired {kid}")


commands = (group,)
