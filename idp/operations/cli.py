"""``idp serve``, ``idp purge-expired`` and ``idp check``: running the server, keeping its
tables small, and checking a deployment before it starts."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

import keys
from idp.console import echo_json, progress
from idp.models import utcnow
from idp.operations import check, preflight, purge, serving
from idp.operations.embedded import prepare_embedded


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: CPU count).")
@click.option(
    "--threads", default=None, type=int, help="Threads per worker (default: 8, see idp.operations.serving)."
)
@click.option(
    "--metrics-port",
    default=None,
    type=click.IntRange(1, 65535),
    help="Serve /metrics on this port, apart from the main one (default: not served; see IDP_METRICS_TOKEN).",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address of --metrics-port.")
@with_appcontext
def serve_command(
    host: str,
    port: int,
    workers: int | None,
    threads: int | None,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Serve with the production WSGI server (Granian)."""
    metrics = (metrics_host, metrics_port) if metrics_port is not None else None
    problem = preflight.serve_problem(current_app, host, port, metrics)
    if problem:
        raise click.ClickException(problem)
    try:
        prepare_embedded(current_app._get_current_object())
    except keys.KeyManagementError as error:
        raise click.ClickException(str(error)) from error
    serving.serve(
        current_app._get_current_object(),
        host,
        port,
        workers or serving.default_workers(),
        threads or serving.DEFAULT_THREADS,
        metrics,
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
    grace, now = timedelta(seconds=grace_seconds), utcnow()
    with progress("Deleting expired rows", lambda: purge.count_expired(grace, now)) as advance:
        counts = purge.purge_expired(grace, batch_size, now, advance)
    if as_json:
        echo_json(counts)
    else:
        for table, count in counts.items():
            click.echo(f"{table}: {count} deleted")


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the configuration, the database, the migrations and the keys (exit 1 on a failure)."""
    results = check.run_checks(current_app)
    for result in results:
        click.echo(result.line())
    if not all(result.ok for result in results):
        raise SystemExit(1)


commands = (serve_command, purge_expired_command, check_command)
