"""``geoplan clean``: remove the temporaries a killed geoplan process left behind."""

from __future__ import annotations

import os
from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.files.temporary import parse_temporary_name, remove_stale

__all__ = ["clean", "stale_folders"]


def stale_folders(root: Path) -> list[Path]:
    """Return ``root`` and every folder below it that is not hidden (links not followed)."""
    found = [root]
    for parent, dirs, _files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(parent) / d for d in dirs]
    return found


@click.command(epilog=examples(
    'geoplan clean out                # remove what killed runs left in out/',
    'geoplan clean out --dry-run      # only list them'))
@click.argument("folders", nargs=-1,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.pass_context
def clean(ctx: click.Context, folders: tuple[Path, ...], dry_run: bool) -> None:
    """Remove what geoplan runs killed outright (SIGKILL, a power cut) left in FOLDERS.

    Looks in each FOLDER (default: the current folder) and the folders below it (not
    hidden ones: give the sample cache, ~/.cache/geoplan, by name). Only geoplan's own
    temporaries are removed, hidden names .NAME-geoplan-PID-TOKEN.tmp or .old (folders also
    holding their .geoplan-temporary record), and only when process PID is no longer
    running. Each run does the same beside its own output.
    """
    roots = folders or (Path(),)
    removed = []
    for root in roots:
        for folder in stale_folders(root):
            removed += remove_stale(folder, dry_run=dry_run, report=False)
    if ctx.obj.get("verbosity", 0) < 0:
        return
    verb = "would remove" if dry_run else "removed"
    for path in removed:
        pid = (parse_temporary_name(path.name) or {}).get("pid")
        click.echo(f"{verb} {path} (left by geoplan process {pid}, no longer running)")
    where = ", ".join(str(root) for root in roots)
    click.echo(f"{verb} {len(removed)} temporar{'y' if len(removed) == 1 else 'ies'} "
               f"in {where}" if removed else f"nothing to clean in {where}")
