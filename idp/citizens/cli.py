"""``idp users``: the local identity store (the built-in ``local`` identity provider)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from idp.citizens import users

group = AppGroup("users", help="The local identity store.")


@group.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--birthdate", required=True, help="YYYY-MM-DD")
@click.option("--gender", required=True, type=click.Choice(["male", "female"]))
@click.option("--birthplace", default=None, help="INSEE COG code (for people born in France)")
@click.option("--birthcountry", required=True, help="INSEE COG code (99100 for France)")
@click.option("--email", default=None)
@click.option("--preferred-username", default=None)
def users_create(**options) -> None:
    try:
        user = users.create_user(**options)
    except users.UserError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"created user {user.username}")


commands = (group,)
