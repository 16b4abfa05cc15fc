"""``geoplan export``: rewrite a plan's layers as shapefiles, GeoJSON, GeoParquet, CSV or gpkg."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import refuse_existing, refuse_inputs
from geoplan.files.run_folder import check_replaceable
from geoplan.outputs.export import FORMATS, INDEX, export_plan, exported_layers, read_plan

__all__ = ["default_output", "export"]


def default_output(plan: Path, fmt: str) -> Path:
    """Where ``geoplan export PLAN --format FMT`` writes without ``-o``.

    Examples
    --------
    >>> default_output(Path("run/plan.gpkg"), "shp").as_posix()
    'run/plan_shp'
    >>> default_output(Path("run/plan_csv"), "gpkg").as_posix()
    'run/plan_csv.gpkg'
    """
    return plan.with_name(f"{plan.stem}.gpkg" if fmt == "gpkg" else f"{plan.stem}_{fmt}")


@click.command(epilog=examples(
    'geoplan export out/joint/plan.gpkg --format shp -o plan_shp',
    'geoplan export out/joint/plan.gpkg --format geojson   # beside the plan'))
@click.argument("plan", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="shp: a folder of shapefiles with readable field names of up to 10 "
                   "characters and a <layer>_fields.csv mapping them back; geojson: EPSG:4326 "
                   "(RFC 7946), tables as CSV; parquet: GeoParquet; csv: x/y or WKT "
                   "geometry; gpkg: one file, styled for QGIS. In every format each "
                   "layer has one geometry type (charger sites: points, and their car-park "
                   "outlines in chargers_areas).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output folder (a .gpkg file for --format gpkg). "
                   "[default: PLAN's name with _FORMAT, beside it]")
@overwrite_option
@click.pass_context
def export(ctx: click.Context, plan: Path, fmt: str, output: Path | None,
           overwrite: bool) -> None:
    """Write every layer of PLAN (a plan.gpkg or an earlier export folder) in another format.

    Columns, dtypes, geometry and CRS survive: `read_plan` (or any GIS) reopens the result.
    """
    target = output or default_output(plan, fmt)
    if target.resolve() == plan.resolve():
        raise click.UsageError(f"the output {target} is the plan itself; give -o")
    refuse_inputs(target, [plan])  # nor a folder holding it
    if fmt == "gpkg":  # before reading
        refuse_existing(target, overwrite=overwrite)
    else:
        check_replaceable(target, overwrite=overwrite, marker=INDEX)
    layers = read_plan(plan)
    export_plan(layers, target, fmt=fmt, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        counts = ", ".join(f"{name}: {rows:,} rows"
                           for name, rows in exported_layers(target).items())
        click.echo(f"wrote {target} ({fmt}; {counts})")
