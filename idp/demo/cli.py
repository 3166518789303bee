"""``idp seed-demo``: the demo citizens, service provider, data provider and registry."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from idp.demo.seed import seed_demo


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo citizens, the demo service provider and the scope registry."""
    for line in seed_demo():
        click.echo(line)


commands = (seed_demo_command,)
