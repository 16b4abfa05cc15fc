"""``geoplan layers``: convert published files to canonical layers, or check them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import pandas as pd

from geoplan.cli.options import kind_option, overwrite_option, parse_mapping, reading_options
from geoplan.layers import LayerSet, open_layer, read_layers
from geoplan.outputs import write_csv, write_geopackage
from geoplan.outputs.files import refuse_existing
from geoplan.schemas import CRS, LEVELS
from geoplan.sources import FORMATS
from geoplan.supply import assign_zones

__all__ = ["layers"]

_ZONE_ONLY = ("id_column", "name_column", "district_column", "districts")


@click.group()
def layers() -> None:
    """Read real published layers into canonical GeoPackages."""


def _read(sources: tuple[str, ...], kind: str, options: dict[str, Any]) -> LayerSet:
    fmt, within = options.pop("fmt"), options.pop("within")
    mapping = parse_mapping(options.pop("mapping"))
    given = {k: v for k, v in options.items() if v is not None}
    if kind == "substations":
        misplaced = [k for k in given if k in _ZONE_ONLY]
        if misplaced:
            raise click.UsageError(f"--{misplaced[0].replace('_', '-')} applies to --kind zones")
        if len(sources) != 1:
            raise click.UsageError("--kind substations reads one file at a time")
        if mapping:
            given["columns"] = mapping
        return read_layers(sources[0], kind, fmt=fmt, within=within, **given)
    if fmt != "auto" or mapping or "year" in given:
        raise click.UsageError("--format, --map and --year apply to --kind substations")
    source = sources[0] if len(sources) == 1 else list(sources)
    return read_layers(source, kind, within=within, **given)


@layers.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@kind_option
@reading_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="GeoPackage to write (.gpkg).")
@overwrite_option
@click.pass_context
def convert(ctx: click.Context, sources: tuple[str, ...], kind: str, output: str,
            overwrite: bool, **options: Any) -> None:
    """Convert SOURCES to canonical layers in a GeoPackage.

    zones: one layer `zones`. substations: a point layer `substations` and the
    table `headroom` (substation x scenario x year x season, MVA; negative = constrained).
    """
    if Path(output).suffix.lower() != ".gpkg":
        raise click.BadParameter("the output must be a .gpkg file", param_hint="-o")
    refuse_existing(output, overwrite=overwrite)  # before any slow reading
    result = _read(sources, kind, options)
    write_geopackage(result.layers, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        counts = ", ".join(f"{name}: {len(frame):,} rows" for name, frame in result.layers.items())
        click.echo(f"wrote {output} ({counts}) from {result.source} [{result.format}]")


@layers.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@kind_option
@reading_options
def validate(sources: tuple[str, ...], kind: str, **options: Any) -> None:
    """Read SOURCES and report what was found; exit 2 listing every problem."""
    logger = logging.getLogger("geoplan")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))  # warnings are listed in the report below
    try:
        result = _read(sources, kind, options)
    finally:
        logger.setLevel(level)
    for line in _describe(result):
        click.echo(line)


@layers.command()
@click.argument("zones", type=click.Path(exists=True, dir_okay=False))
@click.argument("grid", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", type=click.Choice(LEVELS), default="primary", show_default=True,
              help="Level of the serving substation.")
@click.option("--supply-areas", type=click.Path(exists=True, dir_okay=False),
              help="Supply-area polygons naming their substation (id or name).")
@click.option("--supply-area-column", default="substation_id", show_default=True,
              help="Column of --supply-areas that names the substation.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="CSV to write: zone_id, substation_id, method, distance_m, overlap_share.")
@overwrite_option
@click.pass_context
def assign(ctx: click.Context, zones: str, grid: str, level: str, supply_areas: str | None,
           supply_area_column: str, output: str, overwrite: bool) -> None:
    """Assign each zone in ZONES.gpkg to its serving substation in GRID.gpkg.

    Uses supply-area polygons when given (largest overlap), else the nearest located
    substation of --level; reports distances.
    """
    if Path(output).suffix.lower() != ".csv":
        raise click.BadParameter("the output must be a .csv file", param_hint="-o")
    refuse_existing(output, overwrite=overwrite)
    areas = None
    if supply_areas is not None:
        areas = gpd.read_file(supply_areas, engine="pyogrio")
        areas = areas.to_crs(CRS) if areas.crs is not None else areas
    table = assign_zones(open_layer(zones, "zones"), open_layer(grid, "substations"),
                         level=level, supply_areas=areas, supply_area_id_column=supply_area_column)
    write_csv(table, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        for line in _assignment_report(table, output):
            click.echo(line)


def _assignment_report(table: pd.DataFrame, output: str) -> list[str]:
    distance = table["distance_m"] / 1000
    counts = table["method"].value_counts().sort_index()
    methods = ", ".join(f"{m} {n:,}" for m, n in counts.items())
    far = table.loc[table["distance_m"].idxmax()]
    return [
        f"wrote {output}: {len(table):,} zones assigned ({methods}) to "
        f"{table['substation_id'].nunique():,} substations",
        f"  distance to substation (km): median {distance.median():.2f}, "
        f"95th percentile {distance.quantile(0.95):.2f}, max {distance.max():.2f} "
        f"(zone {far['zone_id']} -> {far['substation_id']})",
    ]


@layers.command()
def formats() -> None:
    """List the grid file formats geoplan reads."""
    import importlib

    for fmt, module in FORMATS.items():
        click.echo(f"{fmt:22} {importlib.import_module(module).LABEL}")


def _describe(result: LayerSet) -> list[str]:
    s = result.summary
    lines = [f"{result.source}: {result.kind} read as {result.format}, CRS {s.get('crs')}"]
    if result.kind == "zones":
        lines.append(f"  zones: {s['zones']:,} covering {s['area_km2']:,} km2")
        for name, count in s["districts"].items():  # type: ignore[union-attr]
            lines.append(f"    {name}: {count:,}")
    else:
        levels = ", ".join(f"{k} {v:,}" for k, v in s["per_level"].items())  # type: ignore[union-attr]
        lines.append(f"  substations: {s['substations']:,} ({levels}); "
                     f"{s['without_location']:,} without location")
        years = s["years"]
        span = f"{years[0]}-{years[-1]} ({len(years)} years)" if years else "none stated"  # type: ignore[index,arg-type]
        lines += [
            f"  headroom rows: {s['headroom_rows']:,}; negative (constrained): "
            f"{s['negative_headroom_rows']:,}",
            f"  scenarios: {', '.join(s['scenarios'])}",  # type: ignore[arg-type]
            f"  years: {span}",
            f"  seasons: {', '.join(s['seasons'])}",  # type: ignore[arg-type]
        ]
    warnings = list(result.warnings)
    lines.append(f"  warnings: {len(warnings)}")
    lines += [f"    - {w}" for w in warnings]
    return lines
