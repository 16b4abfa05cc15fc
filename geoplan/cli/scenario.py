"""``geoplan scenario``: tools for scenario files (the JSON Schema editors validate against)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import atomic_path
from geoplan.scenario import scenario_json_schema

__all__ = ["scenario", "schema_text"]


def schema_text() -> str:
    """Return the scenario JSON Schema as ``geoplan scenario schema`` writes it."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"


@click.group(epilog=examples(
    "geoplan scenario schema -o scenario.schema.json"))
def scenario() -> None:
    """Work with scenario files (YAML)."""


@scenario.command(epilog=examples(
    "geoplan scenario schema -o scenario.schema.json",
    "geoplan scenario schema -o scenarios/schema.json --overwrite   # after a new key"))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file instead of printing it.")
@overwrite_option
@click.pass_context
def schema(ctx: click.Context, output: Path | None, overwrite: bool) -> None:
    """Print the JSON Schema of scenario files, for editors that validate YAML.

    With the YAML language server, start a scenario with
    `# yaml-language-server: $schema=schema.json`.
    """
    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_path(output, overwrite=overwrite) as temporary:
        temporary.write_text(text, encoding="utf-8")
    if ctx.obj.get("verbosity", 0) >= 0:
        click.echo(f"wrote {output}")
