"""``idp clients``: service providers, data providers and operators (RFC 7591 metadata)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from idp.clients import admin
from idp.clients.admin import ANSWER_METADATA, ClientConfigurationError, ClientSettings, option
from idp.console import echo_json
from idp.extensions import db
from idp.models import Client
from idp.models.clients import AUTH_METHODS, EIDAS_LEVELS, ID_TOKEN_SIGNING_ALGS, PROMPT_VALUES, ROLES

group = AppGroup("clients", help="Service providers, data providers and operators.")


def client_options(command):
    options = [
        click.option("--name"),
        click.option("--redirect-uri", "redirect_uris", multiple=True),
        click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True),
        click.option("--auth-method", type=click.Choice(AUTH_METHODS)),
        click.option("--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False)),
        click.option("--jwks-uri"),
        click.option("--role", type=click.Choice(ROLES)),
        click.option("--namespace"),
        click.option("--id-token-alg", type=click.Choice(ID_TOKEN_SIGNING_ALGS)),
        click.option("--eidas-level", type=click.Choice(EIDAS_LEVELS)),
        click.option(
            "--allowed-scopes",
            "operator_scope_override",
            help="Operator override: space-separated scopes allowed on top of habilitations.",
        ),
        click.option(
            "--identity-providers",
            help="Comma-separated: only these identity providers ('' for all of them).",
        ),
        click.option(
            "--exclude-identity-providers",
            "excluded_identity_providers",
            help="Comma-separated: every identity provider but these.",
        ),
        *(
            click.option(option(name), type=click.Choice((*values, "")), help="'' unsets it.")
            for name, values in ANSWER_METADATA.items()
        ),
        click.option("--resource-uri", help="A data provider's API URL (RFC 8707); '' unsets it."),
        click.option(
            "--allowed-prompts",
            help=f"Space-separated prompt values the service may send ({', '.join(PROMPT_VALUES)}); "
            "'' lifts the restriction.",
        ),
        click.option("--json", "as_json", is_flag=True),
    ]
    for decorator in reversed(options):
        command = decorator(command)
    return command


def _settings(options: dict) -> ClientSettings:
    jwks = None
    if options.get("jwks_file"):
        try:
            jwks = json.loads(Path(options["jwks_file"]).read_text())
        except (OSError, ValueError) as error:
            raise click.BadParameter(f"cannot read JWKS: {error}", param_hint="--jwks") from error
    override, prompts = options.get("operator_scope_override"), options.get("allowed_prompts")
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
        identity_providers=_names(options.get("identity_providers")),
        excluded_identity_providers=_names(options.get("excluded_identity_providers")),
        resource_uri=options.get("resource_uri"),
        allowed_prompts=prompts.split() if prompts is not None else None,
        **{name: options.get(name) for name in ANSWER_METADATA},
    )


def _names(listed: str | None) -> list[str] | None:
    return None if listed is None else [name.strip() for name in listed.split(",") if name.strip()]


def _print_credentials(client, secret, as_json: bool) -> None:
    credentials = {"client_id": client.client_id, "client_secret": secret}
    if as_json:
        echo_json(credentials)
    else:
        click.echo(f"client_id:     {client.client_id}")
        if secret:
            click.echo(f"client_secret: {secret}")
            click.echo("The secret is shown once; only its SHA-256 is stored.", err=True)


@group.command("create")
@client_options
def clients_create(as_json: bool, **options) -> None:
    try:
        client, secret = admin.create_client(_settings(options))
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    _print_credentials(client, secret, as_json)


@group.command("update")
@click.argument("client_id")
@client_options
def clients_update(client_id: str, as_json: bool, **options) -> None:
    try:
        client, secret = admin.update_client(client_id, _settings(options))
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    if secret:
        _print_credentials(client, secret, as_json)
    elif as_json:
        echo_json(admin.describe(client))
    else:
        click.echo(f"updated {client.client_id}")


@group.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def clients_rotate_secret(client_id: str, as_json: bool) -> None:
    try:
        secret = admin.rotate_secret(client_id)
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    _print_credentials(admin.get_client(client_id), secret, as_json)


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
def clients_list(as_json: bool) -> None:
    clients = [admin.describe(c) for c in db.session.scalars(db.select(Client).order_by(Client.id))]
    if as_json:
        echo_json(clients)
        return
    for c in clients:
        click.echo(f"{c['client_id']}  {c['role']:16}  {c['name']}")


@group.command("show")
@click.argument("client_id")
def clients_show(client_id: str) -> None:
    try:
        echo_json(admin.describe(admin.get_client(client_id)))
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error


@group.command("delete")
@click.argument("client_id")
def clients_delete(client_id: str) -> None:
    try:
        admin.delete_client(client_id)
    except ClientConfigurationError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"deleted {client_id}")


commands = (group,)
