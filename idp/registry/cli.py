"""``idp scopes import FILE | export | list``: thin wrappers over the registry services."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from idp.registry import admin, transfer
from scopes import RegistryValidationError

group = AppGroup("scopes", help="The scope registry: import, export, list.")


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def scopes_import(file: Path) -> None:
    """Merge a scope-registry/1 document; all or nothing, and idempotent.

    On any problem nothing is applied, every problem is listed and the exit code is 1.
    """
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise click.ClickException(f"{file}: not a readable JSON document: {error}") from error
    try:
        report = transfer.import_document(document)
    except RegistryValidationError as invalid:
        click.echo(f"{file}: {invalid.message}; nothing was imported:", err=True)
        for problem in invalid.errors:
            click.echo(f"- {problem}", err=True)
        raise SystemExit(1) from None
    if not report.changed:
        click.echo(f"nothing changed ({report.unchanged} entries already up to date)")
        return
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, {report.unchanged} unchanged")
    for name in report.created:
        click.echo(f"+ {name}")
    for name in report.updated:
        click.echo(f"~ {name}")


@group.command("export")
def scopes_export() -> None:
    """Print the registry as a scope-registry/1 JSON document (what ``import`` reads)."""
    click.echo(json.dumps(transfer.export_document(), indent=2, ensure_ascii=False))


@group.command("list")
@click.option("--provider", help="Only the scopes of this provider (slug).")
def scopes_list(provider: str | None) -> None:
    """One line per scope: key, provider, French label, and deprecation date if any."""
    for scope in admin.list_scopes(provider):
        deprecated = f"  deprecated since {scope.deprecated_since}" if scope.deprecated_since else ""
        legacy = "  legacy" if scope.legacy else ""
        click.echo(f"{scope.key:40} {scope.provider:16} {scope.label('fr')}{deprecated}{legacy}")


commands = (group,)
