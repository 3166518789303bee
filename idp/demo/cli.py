"""``idp seed-demo``: the demo citizens, service provider, data provider and registry, and
the two sides of the demo's second identity provider (:mod:`idp.demo.federation`)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from idp.demo.federation import seed_hub_client, seed_upstream_provider
from idp.demo.seed import seed_demo


@click.command("seed-demo")
@click.option(
    "--upstream", "upstream_issuer", metavar="ISSUER",
    help="Register the idp serving at ISSUER as this hub's second identity provider.",
)  # fmt: skip
@click.option(
    "--upstream-of", "hub_issuer", metavar="ISSUER",
    help="Let the hub at ISSUER sign its citizens in here (its client, private_key_jwt).",
)  # fmt: skip
@with_appcontext
def seed_demo_command(upstream_issuer: str | None, hub_issuer: str | None) -> None:
    """Create the demo citizens, the demo service provider and the scope registry."""
    for line in seed_demo():
        click.echo(line)
    if hub_issuer:
        for line in seed_hub_client(hub_issuer):
            click.echo(line)
    if upstream_issuer:
        for line in seed_upstream_provider(upstream_issuer):
            click.echo(line)


commands = (seed_demo_command,)
