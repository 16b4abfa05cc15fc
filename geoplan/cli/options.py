"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from geoplan.layers.read import KINDS
from geoplan.sources import FORMATS

__all__ = ["kind_option", "overwrite_option", "parse_mapping", "reading_options"]

F = Callable[..., Any]

kind_option = click.option(
    "--kind", type=click.Choice(KINDS), required=True, help="What the source holds."
)
overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace the output if it exists (never by default)."
)


def reading_options(func: F) -> F:
    """Add the options that control how a source is read."""
    options = [
        click.option("--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto",
                     show_default=True, help="Grid file format (substations)."),
        click.option("--within", metavar="AREA",
                     help="Keep part of the layer: a polygon file, a district code or name "
                          "(zones), or a DNO reference area such as a LEP (substations)."),
        click.option("--map", "mapping", multiple=True, metavar="KEY=COLUMN",
                     help="Column mapping for --format generic, e.g. --map name='Site Name'."),
        click.option("--year", type=int, help="Year to stamp on snapshot headroom values."),
        click.option("--layer", help="Layer name inside a multi-layer file."),
        click.option("--crs", help="Declare the CRS of a file that has none (never reprojects)."),
        click.option("--id-column", help="Zone id column when it is not an ONS code column."),
        click.option("--name-column", help="Zone name column."),
        click.option("--district-column", help="Column with each zone's district code."),
        click.option("--districts", type=click.Path(exists=True, dir_okay=False),
                     help="District polygons, to name districts or join zones to them."),
        click.option("--decimal-comma", is_flag=True,
                     help="The CSV inputs write decimals with a comma ('1,5' is 1.5; "
                          "'1.234,5' is 1234.5 where the column groups thousands that way); "
                          "a '.' decimal is then refused as ambiguous."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn ``("name=Site Name", ...)`` into a dict, rejecting malformed pairs."""
    mapping = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=COLUMN", param_hint="--map")
        mapping[key.strip()] = value.strip()
    return mapping
