"""``idp identity-providers``: the identity providers (FI) citizens sign in with.

The commands wrap :mod:`idp.citizens.federation.providers`; ``add`` prints the
``redirect_uri`` to register at the provider (``<IDP_ISSUER>/identity-providers/<NAME>/callback``).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from idp.citizens.federation import providers
from idp.citizens.federation.providers import AUTH_METHODS, ProviderError, ProviderSettings
from idp.console import echo_json, or_usage_error
from idp.models.clients import EIDAS_LEVELS

group = AppGroup("identity-providers", help="The identity providers citizens sign in with.")


def provider_options(command):
    options = [
        click.option("--title", help="The label citizens see on the chooser."),
        click.option("--discovery-url", help="The provider's /.well-known/openid-configuration."),
        click.option("--client-id", help="Our client id at the provider."),
        click.option("--client-secret", help="Our secret at the provider (stored encrypted)."),
        click.option("--auth-method", type=click.Choice(AUTH_METHODS)),
        click.option(
            "--eidas-level",
            "eidas_levels",
            multiple=True,
            type=click.Choice(EIDAS_LEVELS),
            help="A level the provider reaches (repeatable).",
        ),
        click.option("--scope", help="What we ask the provider for (must include openid)."),
        click.option("--inactive/--active", "inactive", default=None, help="Offered to citizens or not."),
        click.option("--hidden/--visible", "hidden", default=None, help="Listed, or idp_hint only."),
        click.option("--json", "as_json", is_flag=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(options: dict) -> ProviderSettings:
    return ProviderSettings(
        title=options.get("title"),
        discovery_url=options.get("discovery_url"),
        client_id=options.get("client_id"),
        client_secret=options.get("client_secret"),
        auth_method=options.get("auth_method"),
        eidas_levels=list(options["eidas_levels"]) or None,
        scope=options.get("scope"),
        active=None if options.get("inactive") is None else not options["inactive"],
        hidden=options.get("hidden"),
    )


def _registered(provider, as_json: bool) -> None:
    """What the operator registers at the provider: our redirect URI."""
    view = providers.describe(provider)
    if as_json:
        echo_json({"name": provider.name, "redirect_uri": view.get("redirect_uri")})
        return
    click.echo(f"{provider.name}: {provider.title}")
    if "redirect_uri" in view:
        click.echo(f"redirect_uri to register at the provider: {view['redirect_uri']}")
        click.echo(f"post_logout_redirect_uri: {view['post_logout_redirect_uri']}")


def _run(action):
    return or_usage_error(action, ProviderError)


@group.command("add")
@click.option("--name", required=True, help="^[a-z][a-z0-9-]{1,31}$")
@provider_options
def add(name: str, as_json: bool, **options) -> None:
    _registered(_run(lambda: providers.add(name, _settings(options))), as_json)


@group.command("update")
@click.argument("name")
@provider_options
def update(name: str, as_json: bool, **options) -> None:
    provider = _run(lambda: providers.update(name, _settings(options)))
    if as_json:
        echo_json(providers.describe(provider))
    else:
        click.echo(f"updated {name}")


@group.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    _run(lambda: providers.update(name, ProviderSettings(active=True)))
    click.echo(f"enabled {name}")


@group.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    _run(lambda: providers.update(name, ProviderSettings(active=False)))
    click.echo(f"disabled {name}")


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_providers(as_json: bool) -> None:
    views = [providers.describe(p) for p in providers.all_providers()]
    if as_json:
        echo_json(views)
        return
    for view in views:
        state = "active" if view["active"] else "inactive"
        flags = f"{state}{', hidden' if view['hidden'] else ''}"
        click.echo(f"{view['name']:16} {','.join(view['eidas_levels']):22} {flags:18} {view['title']}")


@group.command("show")
@click.argument("name")
def show(name: str) -> None:
    echo_json(providers.describe(_run(lambda: providers.get(name))))


@group.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    _run(lambda: providers.delete(name))
    click.echo(f"deleted {name}")


commands = (group,)
