"""``idp serve`` and ``idp purge-expired``: running the server and keeping its tables small."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

import keys
from idp.console import echo_json
from idp.operations import purge, serving
from idp.operations.embedded import prepare_embedded


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: CPU count).")
@click.option(
    "--threads", default=None, type=int, help="Threads per worker (default: 4, see idp.operations.serving)."
)
@with_appcontext
def serve_command(host: str, port: int, workers: int | None, threads: int | None) -> None:
    """Serve with the production WSGI server (Granian)."""
    try:
        prepare_embedded(current_app._get_current_object())
    except keys.KeyManagementError as error:
        raise click.ClickException(str(error)) from error
    serving.serve(
        host,
        port,
        workers or serving.default_workers(),
        threads or serving.DEFAULT_THREADS,
        current_app.config["HEADER_READ_TIMEOUT"],
    )


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
        echo_json(counts)
    else:
        for table, count in counts.items():
            click.echo(f"{table}: {count} deleted")


commands = (serve_command, purge_expired_command)
