"""The ``idp`` command: a Flask CLI group; commands are thin wrappers over service functions."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from idp import client_admin, database, keystore, purge, users_admin
from idp.client_admin import ClientConfigurationError, ClientSettings


def main() -> None:
    from idp import create_app

    group = FlaskGroup(create_app=lambda: create_app(), help="idp: OpenID Connect provider.")
    group.main(prog_name="idp")


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# --- serve ------------------------------------------------------------------------------
@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: CPU count).")
@click.option("--threads", default=None, type=int, help="Threads per worker (default: 4, see idp.serving).")
@with_appcontext
def serve_command(host: str, port: int, workers: int | None, threads: int | None) -> None:
    """Serve with the production WSGI server (Granian)."""
    from idp import serving

    database.prepare_embedded(current_app._get_current_object())
    serving.serve(host, port, workers or serving.default_workers(), threads or serving.DEFAULT_THREADS)


# --- keys -------------------------------------------------------------------------------
@click.group("keys")
def keys_group() -> None:
    """Signing keys: list, rotate, retire."""


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def keys_list(as_json: bool) -> None:
    keystore.ensure_keys()
    rows = [
        {
            "kid": r.kid,
            "alg": r.alg,
            "state": r.state.value,
            "created_at": r.created_at,
            "activated_at": r.activated_at,
            "retired_at": r.retired_at,
        }
        for r in keystore.load_records()
    ]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['kid']}  {row['alg']:5}  {row['state']:8}  created {row['created_at']:%Y-%m-%d %H:%M}"
        )


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """NEXT becomes ACTIVE, ACTIVE becomes RETIRED, a new NEXT is generated."""
    keystore.ensure_keys()
    for record in keystore.rotate():
        click.echo(f"{record.kid}  {record.alg:5}  {record.state.value}")


@keys_group.command("retire")
@click.argument("kid")
@with_appcontext
def keys_retire(kid: str) -> None:
    import keys

    try:
        keystore.retire(kid)
    except keys.KeyManagementError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"retired {kid}")


# --- clients ----------------------------------------------------------------------------
def client_options(command):
    options = [
        click.option("--name"),
        click.option("--redirect-uri", "redirect_uris", multiple=True),
        click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True),
        click.option(
            "--auth-method",
            type=click.Choice(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]),
        ),
        click.option("--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False)),
        click.option("--jwks-uri"),
        click.option("--role", type=click.Choice(["service-provider", "data-provider", "operator"])),
        click.option("--namespace"),
        click.option("--id-token-alg", type=click.Choice(["RS256", "ES256"])),
        click.option("--eidas-level", type=click.Choice(["eidas1", "eidas2", "eidas3"])),
        click.option(
            "--allowed-scopes",
            "operator_scope_override",
            help="Operator override: space-separated scopes allowed on top of habilitations.",
        ),
        click.option("--json", "as_json", is_flag=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(options: dict) -> ClientSettings:
    jwks = None
    if options.get("jwks_file"):
        try:
            jwks = json.loads(Path(options["jwks_file"]).read_text())
        except (OSError, ValueError) as error:
            raise click.BadParameter(f"cannot read JWKS: {error}", param_hint="--jwks") from error
    override = options.get("operator_scope_override")
    return ClientSettings(
        name=options.get("name"),
        redirect_uris=list(options["redirect_uris"]) or None,
        post_logout_redirect_uris=list(options["post_logout_redirect_uris"]) or None,
        auth_method=options.get("auth_method"),
        jwks=jwks,
        jwks_uri=options.get("jwks_uri"),
        role=options.get("role"),
        namespace=options.get("namespace"),
        id_token_alg=options.get("id_token_alg"),
        eidas_level=options.get("eidas_level"),
        operator_scope_override=override.split() if override is not None else None,
    )


def _print_credentials(client, secret, as_json: bool) -> None:
    credentials = {"client_id": client.client_id, "client_secret": secret}
    if as_json:
        _echo_json(credentials)
    else:
        click.echo(f"client_id:     {client.client_id}")
        if secret:
            click.echo(f"client_secret: {secret}")
            click.echo("The secret is shown once; only its SHA-256 is stored.", err=True)


@click.group("clients")
def clients_group() -> None:
    """Service providers, data providers and operators."""


@clients_group.command("create")
@client_options
@with_appcontext
def clients_create(as_json: bool, **options) -> None:
    try:
        client, secret = client_admin.create_client(_settings(options))
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    _print_credentials(client, secret, as_json)


@clients_group.command("update")
@click.argument("client_id")
@client_options
@with_appcontext
def clients_update(client_id: str, as_json: bool, **options) -> None:
    try:
        client, secret = client_admin.update_client(client_id, _settings(options))
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    if secret:
        _print_credentials(client, secret, as_json)
    elif as_json:
        _echo_json(client_admin.describe(client))
    else:
        click.echo(f"updated {client.client_id}")


@clients_group.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def clients_rotate_secret(client_id: str, as_json: bool) -> None:
    try:
        secret = client_admin.rotate_secret(client_id)
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    _print_credentials(client_admin.get_client(client_id), secret, as_json)


@clients_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def clients_list(as_json: bool) -> None:
    from idp.extensions import db
    from idp.models import Client

    clients = [client_admin.describe(c) for c in db.session.scalars(db.select(Client).order_by(Client.id))]
    if as_json:
        _echo_json(clients)
        return
    for c in clients:
        click.echo(f"{c['client_id']}  {c['role']:16}  {c['name']}")


@clients_group.command("show")
@click.argument("client_id")
@with_appcontext
def clients_show(client_id: str) -> None:
    try:
        _echo_json(client_admin.describe(client_admin.get_client(client_id)))
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error


@clients_group.command("delete")
@click.argument("client_id")
@with_appcontext
def clients_delete(client_id: str) -> None:
    try:
        client_admin.delete_client(client_id)
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"deleted {client_id}")


# --- users ------------------------------------------------------------------------------
@click.group("users")
def users_group() -> None:
    """The local identity store."""


@users_group.command("create")
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
@with_appcontext
def users_create(**options) -> None:
    try:
        user = users_admin.create_user(**options)
    except users_admin.UserError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"created user {user.username}")


# --- housekeeping -----------------------------------------------------------------------
@click.command("purge-expired")
@click.option(
    "--grace-seconds",
    default=int(purge.DEFAULT_GRACE.total_seconds()),
    show_default=True,
    type=click.IntRange(min=0),
    help="Keep rows this long after they expired.",
)
@click.option("--batch-size", default=purge.DEFAULT_BATCH_SIZE, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def purge_expired_command(grace_seconds: int, batch_size: int, as_json: bool) -> None:
    """Delete expired token records and revocations, codes, refresh tokens, sign-ins and assertion ids."""
    counts = purge.purge_expired(timedelta(seconds=grace_seconds), batch_size)
    if as_json:
        _echo_json(counts)
    else:
        for table, count in counts.items():
            click.echo(f"{table}: {count} deleted")


# --- demo -------------------------------------------------------------------------------
@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo citizens, the demo service provider and the scope registry."""
    from idp.demo_seed import seed_demo

    for line in seed_demo():
        click.echo(line)


def init_app(app: Flask) -> None:
    from idp.cli_habilitations import habilitations_group
    from idp.cli_registry import scopes_group

    for command in (
        serve_command,
        keys_group,
        clients_group,
        users_group,
        seed_demo_command,
        purge_expired_command,
        scopes_group,
        habilitations_group,
    ):
        app.cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
