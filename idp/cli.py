"""The ``idp`` command: a Flask CLI group gathering each feature package's commands.

Each feature brings its own ``cli`` module with a ``commands`` tuple (usually one
:class:`flask.cli.AppGroup`), registered here the way blueprints are in :mod:`idp.views`.
Commands are thin wrappers over service functions that the tests call directly.

An operator's mistake is one line on stderr and exit status 1, never a traceback
(:class:`IdpGroup`): an invalid setting (the :class:`~idp.config.ConfigurationError` text), a
database that cannot be reached, or one whose schema is missing or behind this version
(:mod:`idp.database.schema`). Anything else that escapes a command is a bug, and keeps its
traceback.

Log lines (the audit events of a command, its warnings) go to stderr in ``IDP_LOG_FORMAT``
(:func:`idp.telemetry.logs.configure_logging`); stdout stays the command's output.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import DBAPIError

from idp.config import ConfigurationError


class IdpGroup(FlaskGroup):
    """Flask's group, with the operator's mistakes reported as one line."""

    def __init__(self, **kwargs) -> None:
        self.app: Flask | None = None
        super().__init__(create_app=self._create_app, **kwargs)

    def _create_app(self) -> Flask:
        from idp import create_app
        from idp.telemetry.logs import configure_logging

        self.app = create_app()
        configure_logging(self.app.config["LOG_FORMAT"])  # audit events and warnings: stderr
        return self.app

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Flask prints a traceback when the app fails to load while it lists the commands
        (``idp --help``); loaded here first, a configuration error stops in one line."""
        ctx.ensure_object(ScriptInfo).load_app()
        return super().list_commands(ctx)

    def main(self, *args, **kwargs):
        try:
            return super().main(*args, **kwargs)
        except ConfigurationError as error:
            fail(str(error))
        except DBAPIError:
            problem = self.app and database_problem(self.app)
            if not problem:
                raise
            fail(problem)


def fail(message: str) -> None:
    click.ClickException(message).show()
    sys.exit(1)


def database_problem(app: Flask) -> str | None:
    """After a database error, the operator's mistake behind it: the database cannot be
    reached, or its schema is missing or behind (``idp db upgrade``); None when it is
    neither (a bug)."""
    from idp.database.schema import schema_state, unreachable
    from idp.extensions import db

    with app.app_context():
        try:
            return schema_state(db.engine).problem
        except DBAPIError as failure:
            return unreachable(db.engine, failure)


def main() -> None:
    IdpGroup(help="idp: OpenID Connect provider.").main(prog_name="idp")


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
