"""``geoplan layers apportion``: a table keyed by area code brought to the zones, as a CSV.

Its options (:func:`apportion_options`) also serve ``geoplan layers convert --kind ev_demand``,
whose vehicle table may then be of another geography (:mod:`geoplan.layers.apportion`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pandas as pd

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import refuse_existing, refuse_inputs
from geoplan.layers.apportion import WEIGHTS, AreaInput, apportion_file
from geoplan.layers.layer_set import zones_layer
from geoplan.outputs import write_csv

__all__ = ["AREA_OPTIONS", "apportion", "apportion_options", "area_input"]

F = Callable[..., Any]

AREA_OPTIONS = ("areas", "lookup", "lookup_columns", "weight", "weights", "code_column",
                "value_columns")
"""Destinations of :func:`apportion_options`."""

_EXISTING = click.Path(exists=True)


def apportion_options(func: F) -> F:
    """Add the options that say how a table of another geography reaches the zones."""
    options = [
        click.option("--areas", type=_EXISTING, help="Polygons of the table's areas (after "
                     "--lookup): a vector file or a folder of them, e.g. msoa21/."),
        click.option("--lookup", type=_EXISTING, help="ONS code lookup from the table's codes "
                     "to those of --areas or the zones, e.g. MSOA11CD -> MSOA21CD (CHNGIND "
                     "U/S/M/X)."),
        click.option("--lookup-columns", nargs=2, metavar="OLD NEW", help="The lookup's old "
                     "and new code columns (default: found from the codes)."),
        click.option("--weight", type=click.Choice(WEIGHTS), help="How counts are shared: "
                     "land area (default), households or dwellings (from --weights), or "
                     "even (every zone the same)."),
        click.option("--weights", type=_EXISTING, help="Table of the weight per area code or "
                     "zone id, e.g. Census households per MSOA."),
        click.option("--code-column", help="The table's area code column (default: by name)."),
        click.option("--column", "value_columns", multiple=True, help="A value column of the "
                     "table; repeat for several (default: the kind's own columns, or every "
                     "count column)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def area_input(table: str | Path, options: dict[str, Any]) -> AreaInput | None:
    """Return the :class:`AreaInput` the options describe, or None when none was given.

    ``options`` loses the options of :data:`AREA_OPTIONS`.
    """
    given = {k: options.pop(k, None) for k in AREA_OPTIONS}
    if not any(v not in (None, ()) for v in given.values()):
        return None
    if given["weight"] == "dwellings" and not given["weights"]:
        raise click.UsageError("--weight dwellings needs --weights (a table of dwellings per "
                               "area or zone)")
    return AreaInput(Path(table), code_column=given["code_column"],
                     columns=tuple(given["value_columns"] or ()) or None,
                     lookup=_path(given["lookup"]),
                     lookup_columns=tuple(given["lookup_columns"] or ()) or None,
                     areas=_path(given["areas"]), weight=given["weight"] or "area",
                     weights=_path(given["weights"]))


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


@click.command(epilog=examples(
    'geoplan layers apportion msoa21_households.csv --zones zones.gpkg --areas msoa21/'
    ' --name households -o households_by_zone.csv'))
@click.argument("table", type=click.Path(exists=True, dir_okay=False))
@click.option("--zones", required=True, type=_EXISTING, help="The zones (a zones.gpkg from "
              "`geoplan layers convert --kind zones`, or any boundary file).")
@apportion_options
@click.option("--name", "names", multiple=True, help="Name in the output of each value "
              "column, in order, e.g. --column Observation --name households.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="CSV to write: zone_id, then the value columns.")
@overwrite_option
@click.pass_context
def apportion(ctx: click.Context, table: str, zones: str, names: tuple[str, ...], output: str,
              overwrite: bool, **options: Any) -> None:
    """Bring TABLE, counts per area code, to the zones: one row per zone.

    The codes reach the zones through --lookup (old codes to new) and --areas (polygons,
    each area's counts shared between the zones it overlaps by --weight); without either they
    must be zone ids. Totals are kept; codes that match nothing are counted and listed. The
    CSV can be given as the vehicles or households of a scenario.
    """
    if Path(output).suffix.lower() != ".csv":
        raise click.BadParameter("the output must be a .csv file", param_hint="-o")
    refuse_inputs(output, [table, zones, *(v for k, v in options.items()
                                           if k in ("areas", "lookup", "weights") and v)])
    refuse_existing(output, overwrite=overwrite)
    spec = area_input(table, options) or AreaInput(Path(table))
    layer = zones_layer(zones)
    assert layer is not None  # a path always gives a layer
    result = apportion_file(spec, layer, what="table")
    values = result.values.reset_index(drop=True)
    if len(names) > len(values.columns):
        raise click.BadParameter(f"{len(names)} names for {len(values.columns)} value columns "
                                 f"{list(values.columns)}", param_hint="--name")
    values.columns = [*names, *values.columns[len(names):]]
    frame = pd.concat([pd.Series(result.values.index, name="zone_id"), values], axis=1)
    write_csv(frame, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        for line in _report(result.report, result.warnings, output, len(frame)):
            click.echo(line)


def _report(report: Any, warnings: tuple[str, ...], output: str, zones: int) -> list[str]:
    steps = " then ".join(report["steps"])
    lines = [f"wrote {output}: {zones:,} zones, from {report['source']} ({steps}, weight "
             f"{report['weight']})"]
    for column, read in report["read"].items():
        resolved = report["resolved"][column]
        lines.append(f"  {column}: read {read:,.1f}; codes resolved {resolved:,.1f}; "
                     f"outside the zones {report['outside_zones'].get(column, 0.0):,.1f}; in the "
                     f"zones {report['apportioned'][column]:,.1f}")
    if "changes" in report:
        lines.append("  lookup changes: " + ", ".join(f"{k} {v}" for k, v in
                                                      report["changes"].items()))
    lines.append(f"  warnings: {len(warnings)}")
    return lines + [f"    - {w}" for w in warnings]
