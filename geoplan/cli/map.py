"""``geoplan map``: draw the web map of a plan GeoPackage written by ``geoplan run``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import geopandas as gpd
import pandas as pd

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.errors import LayerSchemaError
from geoplan.files.atomic import refuse_existing, refuse_inputs
from geoplan.outputs.plan_package import CONTEXT_LAYERS, read_plan_package
from geoplan.outputs.run_settings import (
    RUN_SETTINGS,
    map_subtitle,
    read_run_settings,
    shown_candidates,
)

if TYPE_CHECKING:
    from geoplan.outputs.map_basemap import LocalTiles

__all__ = ["CONTEXT_LAYERS", "map_command", "read_plan_package"]

def _choropleths(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, _, label = pair.partition("=")
        if not column.strip():
            raise click.BadParameter(f"{pair!r} is not COLUMN or COLUMN=LABEL",
                                     param_hint="--choropleth")
        out[column.strip()] = label.strip() or column.strip()
    return out


MAP_SUFFIXES = (".html", ".htm", ".pdf", ".png")
"""What ``-o`` may end with: the web map, or a static map."""


@click.command("map", epilog=examples(
    'geoplan map out/joint/plan.gpkg -o map.html',
    'geoplan map out/joint/plan.gpkg --year 2040 --paper A3 -o map-2040.pdf'))
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write: .html (web map), .pdf or .png (static map) [default: "
                   "map.html beside PLAN].")
@click.option("--offline-map/--cdn-map", "offline", default=True, show_default=True,
              help="Self-contained file (Leaflet inlined, no web tiles, no request), or "
                   "Leaflet and OpenStreetMap tiles from the web (--cdn-map).")
@click.option("--year", type=int,
              help="Plan year for substation headroom [default: the run's, else 2030].")
@click.option("--grid-scenario", help="Headroom scenario (needed when the table has several).")
@click.option("--season", help="Headroom season [default: winter, or the only one].")
@click.option("--choropleth", "choropleth", multiple=True, metavar="COLUMN[=LABEL]",
              help="Zone column to draw as a choropleth layer (repeatable).")
@click.option("--title", help="Map title [default: the run's, else 'Net-zero investment plan'].")
@click.option("--all-candidates", "every", is_flag=True,
              help="Draw every candidate [default: the run map's rule, chosen ones and the "
                   "best-ranked others].")
@click.option("--paper", type=click.Choice(["A4", "A3"]), default="A4", show_default=True,
              help="Page of a static map (-o ending .pdf or .png).")
@click.option("--orientation", type=click.Choice(["auto", "portrait", "landscape"]),
              default="auto", show_default=True, help="Orientation of a static map's page.")
@click.option("--tiles", type=click.Path(path_type=Path),
              help="Basemap from local tiles: a folder of {z}/{x}/{y}.png or an .mbtiles "
                   "file, copied beside the map (map_tiles/); the map is self-contained.")
@click.option("--tiles-attribution", metavar="TEXT",
              help="Credit the tiles' licence asks for (required with --tiles).")
@overwrite_option
@click.pass_context
def map_command(ctx: click.Context, plan: Path, output: Path | None, offline: bool,
                year: int | None, grid_scenario: str | None, season: str | None,
                choropleth: tuple[str, ...], title: str | None, every: bool, paper: str,
                orientation: str, tiles: Path | None, tiles_attribution: str | None,
                overwrite: bool) -> None:
    """Draw the web map (map.html), or a static A4/A3 map (.pdf, .png), of a plan GeoPackage.

    PLAN is a GeoPackage with one layer per workstream (as `geoplan run` writes) and,
    when present, layers zones, districts, substations, grid_evidence, existing_chargers and
    the tables headroom and run_settings. With run_settings (every run writes it) the map
    follows the run's own map: its title, grid scenario and season, plan year, milestone
    years, choropleths, data attribution and the candidates it shows.
    """
    output = output or plan.with_name("map.html")
    refuse_inputs(output, [plan])  # before any work
    if output.suffix.lower() not in MAP_SUFFIXES:
        raise click.BadParameter(f"{output.name!r} ends {output.suffix or 'with no suffix'!r}; "
                                 "the map is written as .html (web map), .pdf or .png (static "
                                 "map): end the file name with one of them",
                                 param_hint="'-o' / '--output'")
    refuse_existing(output, overwrite=overwrite)
    from geoplan.outputs.map_basemap import read_tiles

    local = None if tiles is None else read_tiles(tiles, tiles_attribution)
    plans, context = read_plan_package(plan)
    settings = read_run_settings(context.get(RUN_SETTINGS))
    title = title or settings.get("title") or "Net-zero investment plan"
    unchosen = None if every else settings.get("map_unchosen")
    shown = {name: shown_candidates(frame, unchosen) for name, frame in plans.items()}
    if output.suffix.lower() in (".pdf", ".png"):
        _static(shown, context, settings, output, title=title, paper=paper,
                orientation=orientation, overwrite=overwrite)
    else:
        _web(plan, shown, context, settings, output, offline=offline, year=year,
             grid=(grid_scenario, season), columns=_choropleths(choropleth), title=title,
             tiles=local, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        counts = ", ".join(f"{name}: {int(frame['selected'].fillna(False).astype(bool).sum())}"
                           f" of {len(frame)} selected" for name, frame in plans.items())
        click.echo(f"wrote {output} ({output.stat().st_size / 1000:,.0f} kB; {counts})")


def _web(plan: Path, plans: Mapping[str, gpd.GeoDataFrame], context: Mapping[str, pd.DataFrame],
         settings: Mapping[str, Any], output: Path, *, offline: bool, year: int | None,
         grid: tuple[str | None, str | None], columns: dict[str, str], title: str,
         tiles: LocalTiles | None, overwrite: bool) -> None:
    """Write the web map; the run's settings fill what the options leave out."""
    from geoplan.outputs.map import DEFAULT_ATTRIBUTION, plan_map, write_map

    grid_scenario, season = grid
    if grid_scenario is None and settings.get("grid_scenario"):
        grid_scenario, season = settings["grid_scenario"], season or settings.get("grid_season")
    grid_scenario, season = _run_grid(plan, grid_scenario, season)
    zones = context.get("zones")
    if columns and zones is None:
        raise LayerSchemaError(f"{plan.name} has no zones layer for --choropleth")
    if not columns and zones is not None:  # the run's choropleths, those the zones still have
        columns = {c: str(label) for c, label in settings.get("choropleths", {}).items()
                   if c in zones.columns}
    credits = [*settings.get("attribution", []), DEFAULT_ATTRIBUTION]
    try:
        m = plan_map(plans, zones=zones, districts=context.get("districts"),
                     substations=context.get("substations"), headroom=context.get("headroom"),
                     plan_year=year or settings.get("plan_year") or 2030, choropleths=columns,
                     title=title, offline=offline,
                     headroom_scenario=grid_scenario, headroom_season=season,
                     grid_evidence=_evidence_points(context.get("grid_evidence")),
                     existing_chargers=context.get("existing_chargers"),
                     milestones=settings.get("milestone_years") or _build_years(plans),
                     attribution="; ".join(credits), power_factor=_power_factor(),
                     tiles=tiles)
    except ImportError as exc:  # offline assets missing: an install problem, not a bug
        raise click.ClickException(str(exc)) from exc
    write_map(m, output, overwrite=overwrite)


def _static(plans: Mapping[str, gpd.GeoDataFrame], context: Mapping[str, pd.DataFrame],
            settings: Mapping[str, Any], output: Path, *, title: str, paper: str,
            orientation: str, overwrite: bool) -> None:
    """Write a static map page (PDF or PNG by the suffix of ``output``)."""
    from geoplan.outputs.static_map import save_figure, static_map_figure

    fig = static_map_figure(plans, districts=context.get("districts"),
                            zones=context.get("zones"), title=title,
                            existing_chargers=context.get("existing_chargers"),
                            substations=context.get("substations"),
                            attribution=settings.get("attribution", ()), paper=paper,
                            orientation=orientation, subtitle=map_subtitle(settings))
    save_figure(fig, output, title=title, overwrite=overwrite)
def _power_factor() -> float:
    """Return the power factor of the shipped ``grid_units`` table (headroom in kW too)."""
    from geoplan.assumptions import read_assumptions
    from geoplan.layers.grid import GRID_UNITS, power_factor

    return power_factor(read_assumptions(GRID_UNITS))


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
