"""``idp users``: the local identity store (the built-in ``local`` identity provider)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from idp.citizens import users
from idp.console import echo_json, or_usage_error

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
    user = _run(lambda: users.create_user(**options))
    click.echo(f"created user {user.username}")


def _run(action):
    return or_usage_error(action, users.UserError)


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    accounts = [users.describe(user) for user in users.local_accounts()]
    if as_json:
        echo_json(accounts)
        return
    for account in accounts:
        click.echo(f"{account['username']:32} {account['given_name']} {account['family_name']}")


@group.command("show")
@click.argument("username")
def users_show(username: str) -> None:
    echo_json(users.describe(_run(lambda: users.get_local_account(username))))


@group.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_set_password(username: str, password: str) -> None:
    """Change the password; the account's live sign-ins end."""
    _run(lambda: users.set_password(username, password))
    click.echo(f"password changed for {username}")


@group.command("delete")
@click.argument("username")
@click.confirmation_option(prompt="Erase this citizen, their consents and their history?")
def users_delete(username: str) -> None:
    """Erase a citizen (a GDPR erasure request) and say what went with them."""
    erased = _run(lambda: users.delete_local_account(username))
    click.echo(f"deleted {username} ({', '.join(f'{name}: {count}' for name, count in erased.items())})")


commands = (group,)
