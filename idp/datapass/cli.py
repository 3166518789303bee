"""``idp habilitations``: import, list, show, link, and the audit trail (thin CLI wrappers)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from idp.console import echo_json, progress
from idp.datapass import admin
from idp.datapass.admin import HabilitationError

group = AppGroup(
    "habilitations", help="DataPass habilitations: what decides each service provider's allowed scopes."
)


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def habilitations_import(file: Path) -> None:
    """Reconcile from a JSON array of DataPass habilitation objects (idempotent, all or nothing)."""
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as error:  # not UTF-8, or not JSON
        raise click.ClickException(f"{file}: not a JSON document: {error}") from error
    try:
        with progress("Importing habilitations", len(items) if isinstance(items, list) else 0) as advance:
            counts = admin.import_habilitations(items, advance)
    except HabilitationError as error:
        raise click.ClickException(f"{file}: {error}") from error
    click.echo(", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count in counts.items()))


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
def habilitations_list(as_json: bool) -> None:
    rows = [admin.describe(h) for h in admin.list_habilitations()]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        status = "active" if row["active"] else "inactive"
        click.echo(
            f"{row['id']}  {row['definition']:28}  {row['state']:18}  {status:8}  "
            f"{row['client_id'] or '(unlinked)'}  {row['intitule'] or ''}"
        )


@group.command("show")
@click.argument("habilitation_id", type=int)
def habilitations_show(habilitation_id: int) -> None:
    """Everything about one habilitation, including scope keys the registry does not know."""
    try:
        echo_json(admin.describe(admin.get_habilitation(habilitation_id)))
    except HabilitationError as error:
        raise click.ClickException(str(error)) from error


@group.command("link")
@click.argument("habilitation_id", type=int)
@click.option("--client", "client_id", required=True, help="The service provider's client_id.")
def habilitations_link(habilitation_id: int, client_id: str) -> None:
    """Link a habilitation that could not be linked automatically to a service provider."""
    try:
        habilitation = admin.link(habilitation_id, client_id)
    except HabilitationError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"habilitation {habilitation.id} linked to {habilitation.client_id}")


@group.command("audit")
@click.option("--habilitation", "habilitation_id", type=int, help="Only events of this habilitation.")
@click.option("--client", "client_id", help="Only events of this client.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
def habilitations_audit(
    habilitation_id: int | None, client_id: str | None, limit: int, as_json: bool
) -> None:
    """Deliveries, links and changes of allowed scopes, newest first."""
    events = admin.audit_trail(habilitation_id=habilitation_id, client_id=client_id, limit=limit)
    if as_json:
        echo_json(events)
        return
    for event in events:
        click.echo(
            f"{event['at']}  {event['kind']:32}  habilitation={event['habilitation_id']}  "
            f"client={event['client_id']}  {json.dumps(event['detail'], ensure_ascii=False)}"
        )


commands = (group,)
