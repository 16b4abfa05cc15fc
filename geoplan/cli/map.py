"""``geoplan map``: draw the web map of a plan GeoPackage written by ``geoplan run``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd
import pyogrio

from geoplan.cli.options import overwrite_option
from geoplan.errors import LayerSchemaError, SourceNotFoundError
from geoplan.files.atomic import refuse_existing, refuse_inputs
from geoplan.outputs.export import read_plan

__all__ = ["CONTEXT_LAYERS", "map_command", "read_plan_package"]

CONTEXT_LAYERS = ("zones", "districts", "substations", "headroom", "grid_evidence",
                  "existing_chargers")
"""Layers of a plan GeoPackage that are context, not a workstream's plan."""


def read_plan_package(path: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """Read a plan GeoPackage: workstream plans and the context layers present.

    A workstream plan is any other spatial layer with ``rank`` and ``selected`` columns.

    Returns
    -------
    (dict, dict)
        Plans by layer name (file order) and context layers by name.

    Raises
    ------
    SourceNotFoundError
        The file is missing or holds no plan layer.
    """
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file (give the plan.gpkg a run wrote)")
    plans: dict[str, gpd.GeoDataFrame] = {}
    context: dict[str, pd.DataFrame] = {}
    # read_plan puts a layer split by geometry type (chargers_points, chargers_areas) together
    for name, frame in read_plan(path).items():
        spatial = isinstance(frame, gpd.GeoDataFrame)
        if name in CONTEXT_LAYERS:
            context[name] = frame
            continue
        if not spatial:
            continue
        if {"rank", "selected"} <= set(frame.columns):
            plans[name] = frame
    if not plans:
        raise SourceNotFoundError(
            f"{path.name}: no plan layer (a spatial layer with columns 'rank' and 'selected'); "
            f"layers: {[n for n, _ in pyogrio.list_layers(path)]}")
    return plans, context


def _choropleths(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, _, label = pair.partition("=")
        if not column.strip():
            raise click.BadParameter(f"{pair!r} is not COLUMN or COLUMN=LABEL",
                                     param_hint="--choropleth")
        out[column.strip()] = label.strip() or column.strip()
    return out


@click.command("map")
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write [default: map.html beside PLAN].")
@click.option("--offline-map/--cdn-map", "offline", default=True, show_default=True,
              help="Self-contained file (Leaflet inlined, no web tiles, no request), or "
                   "Leaflet and OpenStreetMap tiles from the web (--cdn-map).")
@click.option("--year", type=int, default=2030, show_default=True,
              help="Plan year for substation headroom.")
@click.option("--grid-scenario", help="Headroom scenario (needed when the table has several).")
@click.option("--season", help="Headroom season [default: winter, or the only one].")
@click.option("--choropleth", "choropleth", multiple=True, metavar="COLUMN[=LABEL]",
              help="Zone column to draw as a choropleth layer (repeatable).")
@click.option("--title", default="Net-zero investment plan", show_default=True)
@overwrite_option
@click.pass_context
def map_command(ctx: click.Context, plan: Path, output: Path | None, offline: bool, year: int,
                grid_scenario: str | None, season: str | None, choropleth: tuple[str, ...],
                title: str, overwrite: bool) -> None:
    """Draw the web map (map.html) of a plan GeoPackage.

    PLAN is a GeoPackage with one layer per workstream (as `geoplan run` writes) and,
    when present, layers zones, districts, substations, grid_evidence, existing_chargers and
    the table headroom.
    """
    from geoplan.outputs.map import plan_map, write_map

    output = output or plan.with_name("map.html")
    refuse_inputs(output, [plan])  # before any work
    refuse_existing(output, overwrite=overwrite)
    plans, context = read_plan_package(plan)
    grid_scenario, season = _run_grid(plan, grid_scenario, season)
    columns = _choropleths(choropleth)
    if columns and "zones" not in context:
        raise LayerSchemaError(f"{plan.name} has no zones layer for --choropleth")
    try:
        m = plan_map(plans, zones=context.get("zones"), districts=context.get("districts"),
                     substations=context.get("substations"), headroom=context.get("headroom"),
                     plan_year=year, choropleths=columns, title=title, offline=offline,
                     headroom_scenario=grid_scenario, headroom_season=season,
                     grid_evidence=_evidence_points(context.get("grid_evidence")),
                     existing_chargers=context.get("existing_chargers"),
                     milestones=_build_years(plans))
    except ImportError as exc:  # offline assets missing: an install problem, not a bug
        raise click.ClickException(str(exc)) from exc
    write_map(m, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        counts = ", ".join(f"{name}: {int(frame['selected'].fillna(False).astype(bool).sum())}"
                           f" of {len(frame)} selected" for name, frame in plans.items())
        click.echo(f"wrote {output} ({output.stat().st_size / 1000:,.0f} kB; {counts})")


def _build_years(plans: Mapping[str, pd.DataFrame]) -> list[int]:
    """Milestone years of the run: the build years of its chosen candidates."""
    from geoplan.outputs.map_layers import build_year

    years = {build_year(row) for frame in plans.values()
             for row in frame[frame["selected"].fillna(False).astype(bool)].to_dict("records")}
    return sorted(y for y in years if y is not None)


def _evidence_points(layer: pd.DataFrame | None) -> gpd.GeoDataFrame | None:
    """Return the grid evidence rows for every workstream (``all``), when the run wrote it."""
    if not isinstance(layer, gpd.GeoDataFrame) or "workstream" not in layer.columns:
        return None
    return layer[layer["workstream"] == "all"]


def _run_grid(plan: Path, scenario: str | None, season: str | None
              ) -> tuple[str | None, str | None]:
    """Headroom scenario and season: as given, else those of the run that wrote ``plan``.

    A plan written by ``geoplan run`` sits beside its ``manifest.json``, whose resolved
    scenario names the grid scenario and season the plan was made for.
    """
    manifest = plan.with_name("manifest.json")
    if scenario is not None or not manifest.is_file():
        return scenario, season
    try:
        grid = json.loads(manifest.read_text(encoding="utf-8"))["scenario"]["grid"]
    except (ValueError, KeyError, TypeError):
        return scenario, season  # not a run's manifest: the map asks for --grid-scenario
    return grid.get("scenario"), season or grid.get("season")
