"""The ``idp`` command: a Flask CLI group gathering each feature package's commands.

Each feature brings its own ``cli`` module with a ``commands`` tuple (usually one
:class:`flask.cli.AppGroup`), registered here the way blueprints are in :mod:`idp.views`.
Commands are thin wrappers over service functions that the tests call directly.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def main() -> None:
    from idp import create_app

    group = FlaskGroup(create_app=lambda: create_app(), help="idp: OpenID Connect provider.")
    group.main(prog_name="idp")


def init_app(app: Flask) -> None:
    from idp.citizens import cli as citizens
    from idp.citizens.federation import cli as identity_providers
    from idp.clients import cli as clients
    from idp.datapass import cli as datapass
    from idp.demo import cli as demo
    from idp.operations import cli as operations
    from idp.registry import cli as registry
    from idp.signing import cli as signing

    for feature in (operations, signing, clients, citizens, identity_providers, registry, datapass, demo):
        for command in feature.commands:
            app.cli.add_command(command)
