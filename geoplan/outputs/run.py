"""Everything a run writes into its folder, from the solved plans.

Files (see the README's "What a run writes"):

``plan.gpkg``
    One layer per workstream with every candidate, its rank, selection, period, score parts
    and reason (and ``district_name``); plus ``zones`` (with the map's choropleth columns and
    the counts of existing chargers), ``districts``, ``substations``, the ``headroom`` table,
    ``grid_evidence`` and ``existing_chargers`` (the public chargers already in the zones, when
    the run has a chargers layer), so ``geoplan map plan.gpkg`` redraws the map.
``grid_evidence.csv``
    The ``grid_evidence`` layer without geometry: what headroom blocks per substation,
    milestone year and workstream (:mod:`geoplan.planning.grid_evidence`).
``plan_<format>/``
    The same layers in each other format the scenario asks for (``outputs.formats``).
``periods.csv``, ``tradeoff.csv``, ``tradeoff.png``
    The plan per milestone period (spend against the funding profile, delivery against its
    caps) and the trade-off curve of cost against lifetime tCO2e
    (:mod:`geoplan.outputs.phasing`).
``sensitivity.csv``, ``tornado.png``
    The headline figures of the chosen plan with each bounded (indicative) assumption value
    at its low and high bound (:mod:`geoplan.planning.sensitivity`); not with
    ``outputs.sensitivity: false``.
``rankings.csv``, ``summary.json``, ``summary.md``
    Ranks of every candidate; KPIs by district, milestone year and workstream, finance,
    solver status and gap, and the assumptions used with their sources.
``map.html``, ``map.png``, ``map.pdf``
    The interactive map and the static map for documents.

The maps are drawn in a forked child, and the plan's layers written in another, while the
other files are written here (:mod:`geoplan.forked`).
``manifest.json``
    Inputs with hashes, software versions, the scenario as resolved, assumptions and the
    hash of every file above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.forked import start
from geoplan.layers.existing_chargers import charger_counts
from geoplan.layers.grid import power_factor
from geoplan.layers.prepare import LayerInputs, PreparedLayers
from geoplan.outputs.decision import (
    MAP_LAYER,
    decision_summary,
    robust_core_layer,
    with_decision_columns,
    write_decision,
)
from geoplan.outputs.export import export_plan
from geoplan.outputs.grid_evidence import evidence_layer, write_evidence_csv
from geoplan.outputs.labels import column_label
from geoplan.outputs.manifest import InputHashes, build_manifest, input_paths, write_manifest
from geoplan.outputs.phasing import write_phasing
from geoplan.outputs.run_settings import (
    RUN_SETTINGS,
    map_subtitle,
    run_settings,
    settings_table,
    shown_candidates,
)
from geoplan.outputs.run_summary import (
    SITE_COLUMNS,
    charger_sites,
    district_names,
    existing_chargers,
    existing_summary,
    run_summary,
)
from geoplan.outputs.sensitivity import sensitivity_summary, write_sensitivity
from geoplan.outputs.summary import write_rankings, write_summary
from geoplan.planning.decision import DecisionSupport, decision_support
from geoplan.planning.finance import FinanceSummary
from geoplan.planning.grid_evidence import GridEvidence
from geoplan.planning.grid_flags import GridFlags, grid_flags
from geoplan.planning.grid_report import plan_evidence
from geoplan.planning.sensitivity import plan_sensitivity
from geoplan.planning.sensitivity_rebuild import building_rebuild
from geoplan.planning.solve import (
    PlanResult,
    WorkstreamModel,
    grid_limits,
    plan_headroom,
)
from geoplan.scenario import Scenario, known_tables
from geoplan.sources.edition import edition_year

if TYPE_CHECKING:
    from geoplan.outputs.map_basemap import LocalTiles

__all__ = ["CHOROPLETHS", "MAP_UNCHOSEN", "SITE_COLUMNS", "charger_sites", "district_names",
           "existing_chargers",
           "existing_summary", "map_tables", "plan_flags", "plan_layers", "plan_year",
           "run_summary", "with_district_names", "write_run"]

CHOROPLETHS = {c: column_label(c) for c in ("share_d_to_g", "evs_projected")}
"""Zone columns drawn as choropleths on the map, with their legend labels."""

MAP_UNCHOSEN = 100
"""Unchosen candidates per workstream drawn on the run's map (the best ranked); all
candidates stay in plan.gpkg and rankings.csv, and ``geoplan map`` can draw them all."""


def map_tables(plans: PlanResult, unchosen: int = MAP_UNCHOSEN) -> dict[str, gpd.GeoDataFrame]:
    """Per workstream: every chosen candidate and the ``unchosen`` best-ranked others.

    Keeps the map light enough to send with a bid (a county has tens of thousands of land
    parcels and several pathways per zone).
    """
    return {name: shown_candidates(table, unchosen) for name, table in plans.tables.items()}


def plan_year(scenario: Scenario) -> int:
    """Year whose headroom the map shows: the second milestone (the first if only one)."""
    years = scenario.plan.years
    return years[min(1, len(years) - 1)]


def _zones(layers: PreparedLayers, placed: gpd.GeoDataFrame | None = None
           ) -> gpd.GeoDataFrame:
    zones = layers.zones.copy()
    if placed is not None:
        counts = charger_counts(placed, "zone_id", zones["zone_id"])
        for column in counts.columns:
            zones[column] = counts[column].to_numpy()
    extra = []
    if layers.zone_buildings is not None:
        extra.append(layers.zone_buildings[["zone_id", "homes", "share_d_to_g"]])
    if layers.ev_demand is not None:
        extra.append(layers.ev_demand[["zone_id", "households_no_offstreet", "evs_projected"]])
    for table in extra:
        zones = zones.merge(table, on="zone_id", how="left")
    return zones


def plan_flags(scenario: Scenario, plans: PlanResult, layers: PreparedLayers,
               assumptions: AssumptionSet | None = None) -> GridFlags:
    """Substations that bind and zones that are flexibility candidates, for the whole plan.

    Loads of every workstream's chosen candidates count at their primary and its ancestors,
    from their build year, against the scenario's headroom; reinforcement the plan bought
    and needs counts from the period it was bought in (see
    :func:`geoplan.planning.grid_flags.grid_flags`). In a joint plan nothing can exceed
    headroom, so flexibility candidates appear only when plans were solved separately (each
    ignores the others' load) or reinforcement comes later than the load.
    """
    table = plans.stacked()
    table["peak_kw_added"] = pd.to_numeric(table["peak_kw_added"], errors="coerce").fillna(0.0)
    bought = [p.reinforcements[p.reinforcements["bought"] & p.reinforcements["needed"]]
              for p in plans.plans.values()]
    bought = [b for b in bought if len(b)]
    options = None
    if bought:
        options = pd.concat(bought, ignore_index=True)
        # capacity counts from the period the plan bought it in (never before it is ready)
        bought_in = pd.to_numeric(options["period"], errors="coerce")
        options["ready_year"] = bought_in.fillna(options["ready_year"])
    # the optimiser's own limits (grid.missing_headroom applied), so flags and plan agree
    return grid_flags(table, grid_limits(scenario, layers, assumptions), scenario.plan.years,
                      graph=layers.grid, reinforcements=options)


def plan_layers(plans: PlanResult, layers: PreparedLayers,
                flags: GridFlags | None = None,
                evidence: GridEvidence | None = None) -> dict[str, pd.DataFrame]:
    """Layers of ``plan.gpkg``: one per workstream, then the context layers.

    With ``evidence``, layer ``grid_evidence``: substation points with what their headroom
    blocks per milestone year and workstream (:mod:`geoplan.planning.grid_evidence`).
    """
    names = district_names(layers.districts)
    out: dict[str, pd.DataFrame] = {name: with_district_names(table, names)
                                    for name, table in plans.tables.items()}
    placed = existing_chargers(layers)
    zones = _zones(layers, placed)
    if flags is not None:
        # one row per zone: a zone whose loads reach several substations (its sites are
        # served by their own nearest one) is short from the first year any of them is
        zone_flags = flags.zones.groupby("zone_id", as_index=False).agg(
            first_short_year=("first_short_year", "min"),
            flexibility_candidate=("flexibility_candidate", "any"))
        zones = zones.merge(zone_flags, on="zone_id", how="left")
        zones["flexibility_candidate"] = zones["flexibility_candidate"].astype(
            "boolean").fillna(False).astype(bool)
        out["grid_by_year"] = flags.substations
    out["zones"] = zones
    out["districts"] = layers.districts
    checked = [c for c in ("households_served", "kva_per_household",  # serving_check
                           "capacity_basis")
               if c in layers.substations.columns]
    out["substations"] = layers.substations[["substation_id", "name", "level", "parent_id",
                                             "firm_capacity_mva", "peak_demand_mva", *checked,
                                             "geometry"]]
    out["headroom"] = layers.headroom
    if evidence is not None:
        out["grid_evidence"] = evidence_layer(evidence, layers.substations)
    if placed is not None:
        out["existing_chargers"] = placed
    return out


def with_district_names(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``table`` with ``district_name`` right after ``district_id`` (None where unknown)."""
    if "district_id" not in table.columns or "district_name" in table.columns:
        return table
    at = list(table.columns).index("district_id") + 1
    out = table.copy()
    out.insert(at, "district_name", table["district_id"].map(
        lambda d: names.get(str(d))).astype(object))
    return out


def _tiles(scenario: Scenario) -> LocalTiles | None:
    """Return the scenario's local basemap tiles (``outputs.map_tiles``), checked, or None."""
    from geoplan.outputs.map_basemap import read_tiles

    given = scenario.outputs.map_tiles
    return None if given is None else read_tiles(given, scenario.outputs.map_tiles_attribution)


def _maps(folder: Path, scenario: Scenario, plans: PlanResult, layers: PreparedLayers,
          zones: gpd.GeoDataFrame, offline: bool,
          assumptions: AssumptionSet | None = None,
          evidence: gpd.GeoDataFrame | None = None,
          existing: gpd.GeoDataFrame | None = None,
          settings: Mapping[str, Any] | None = None) -> list[Path]:
    from geoplan.outputs.map import DEFAULT_ATTRIBUTION, map_files, plan_map, write_map
    from geoplan.outputs.static_map import write_static_map

    written = []
    settings = settings or {}
    title = f"{scenario.name}: {scenario.description}" if scenario.description else scenario.name
    credits = list(settings.get("attribution", []))
    if scenario.outputs.map:
        available = {c: label for c, label in CHOROPLETHS.items() if c in zones.columns}
        tables = map_tables(plans)
        core = robust_core_layer(plans.tables)
        if core is not None and len(core):
            tables[MAP_LAYER] = core
        m = plan_map(tables, zones=zones, districts=layers.districts,
                     substations=layers.substations,
                     # the figures the plan used, each file's name mapped to the planning one
                     headroom=plan_headroom(scenario, layers, assumptions),
                     plan_year=plan_year(scenario), choropleths=available, title=title,
                     offline=offline, headroom_scenario=scenario.grid.scenario,
                     headroom_season=scenario.grid.season,
                     grid_evidence=None if evidence is None
                     else evidence[evidence["workstream"] == "all"],
                     existing_chargers=existing, milestones=scenario.plan.years,
                     attribution="; ".join([*credits, DEFAULT_ATTRIBUTION]),
                     power_factor=None if assumptions is None
                     else power_factor(assumptions.table("grid_units")),
                     tiles=_tiles(scenario))
        written.extend(map_files(m, write_map(m, folder / "map.html")))  # tiles too
    if scenario.outputs.static_map:
        written.extend(write_static_map(dict(plans.tables), folder / "map.png",
                                        folder / "map.pdf", districts=layers.districts,
                                        zones=layers.zones, title=title,
                                        existing_chargers=existing,
                                        substations=layers.substations, attribution=credits,
                                        subtitle=map_subtitle(settings)))
    return written


def _exports(folder: Path, scenario: Scenario, layer_frames: Mapping[str, pd.DataFrame]
             ) -> list[Path]:
    """Write the plan's layers: ``plan.gpkg``, then each other format the scenario asks for."""
    written = [export_plan(layer_frames, folder / "plan.gpkg", fmt="gpkg")]
    for fmt in scenario.outputs.formats:
        if fmt != "gpkg":
            written.append(export_plan(layer_frames, folder / f"plan_{fmt}", fmt=fmt))
    return written


def _drawn(folder: Path, scenario: Scenario, plans: PlanResult, layers: PreparedLayers,
           zones: gpd.GeoDataFrame, offline: bool, assumptions: AssumptionSet,
           evidence: gpd.GeoDataFrame | None, existing: gpd.GeoDataFrame | None,
           settings: Mapping[str, Any]) -> tuple[list[Path], list[str]]:
    """Draw the maps (:func:`_maps`); return their files and the assumption tables read."""
    files = _maps(folder, scenario, plans, layers, zones, offline, assumptions, evidence,
                  existing, settings)
    return files, assumptions.names_read()


def _settings(scenario: Scenario, inputs: LayerInputs, zones: pd.DataFrame) -> dict[str, Any]:
    """Return the run's settings for plan.gpkg's ``run_settings`` table (and its maps' credits)."""
    return run_settings(scenario, plan_year=plan_year(scenario), unchosen=MAP_UNCHOSEN,
                        choropleths={c: t for c, t in CHOROPLETHS.items() if c in zones},
                        inputs=[n for n, path in input_paths(inputs).items() if path],
                        data_years=_data_years(inputs))


def _data_years(inputs: LayerInputs) -> dict[str, int]:
    """Input kind -> the edition year its files state (the latest of a kind's files)."""
    years: dict[str, int] = {}
    for name, path in input_paths(inputs).items():
        year = None if path is None else edition_year(path)
        kind = name.split(":", 1)[0]
        if year is not None:
            years[kind] = max(year, years.get(kind, year))
    return years


def write_run(folder: Path, *, scenario: Scenario, inputs: LayerInputs, layers: PreparedLayers,
              assumptions: AssumptionSet, models: Mapping[str, WorkstreamModel],
              plans: PlanResult, finance: FinanceSummary, offline_map: bool,
              input_hashes: InputHashes | None = None) -> tuple[dict[str, Any], list[Path]]:
    """Write the run's files into ``folder`` (a fresh, empty folder); return summary, files.

    ``input_hashes``: the inputs' hashes taken meanwhile (default: taken at the end).
    """
    hashed = None if input_hashes is None else input_hashes.result()  # no thread at the forks
    found = decision_support(scenario, plans, layers, assumptions)
    plans = replace(plans, tables=with_decision_columns(plans.tables, found))
    flags = plan_flags(scenario, plans, layers, assumptions)
    evidence = plan_evidence(scenario, plans, layers, assumptions)
    layer_frames = plan_layers(plans, layers, flags, evidence)
    settings = _settings(scenario, inputs, layer_frames["zones"])
    layer_frames[RUN_SETTINGS] = settings_table(settings)
    core = robust_core_layer(plans.tables)
    if core is not None:
        layer_frames["robust_core"] = core
    drawing = partial(_drawn, folder, scenario, plans, layers, layer_frames["zones"],
                      offline_map, assumptions, layer_frames["grid_evidence"],
                      layer_frames.get("existing_chargers"),  # placed once, for the gpkg
                      settings)
    # each in a forked child while the other files are written here (not done again here
    # if a child gives nothing back: it may have written some of its files)
    with start(drawing, again=False) as maps, \
            start(partial(_exports, folder, scenario, layer_frames), again=False) as exports:
        summary, files = _files(folder, scenario, layers, assumptions, models, plans,
                                finance, found, flags, evidence, layer_frames)
        drawn, tables = maps.result()
        exported = exports.result()
    # the order one process writes them in: plan.gpkg, grid_evidence.csv, the other formats
    written = [*exported[:1], *files[:1], *exported[1:], *files[1:], *drawn]
    assumptions.read_too(tables)  # the tables the child read, for the manifest
    manifest = build_manifest(input_paths(inputs), scenario.resolved(),
                              assumptions_used=assumptions.used(), outputs=written,
                              outputs_root=folder, hashed_inputs=hashed)
    written.append(write_manifest(manifest, folder / "manifest.json"))
    return summary, written


def _files(folder: Path, scenario: Scenario, layers: PreparedLayers,
           assumptions: AssumptionSet, models: Mapping[str, WorkstreamModel],
           plans: PlanResult, finance: FinanceSummary, found: DecisionSupport | None,
           flags: GridFlags, evidence: GridEvidence, layer_frames: dict[str, pd.DataFrame]
           ) -> tuple[dict[str, Any], list[Path]]:
    """Write every file but the plan's layers, the maps and the manifest.

    Returns the summary and the files written, ``grid_evidence.csv`` first.
    """
    written = [write_evidence_csv(evidence, folder / "grid_evidence.csv")]
    written.append(write_rankings(dict(plans.tables), folder / "rankings.csv"))
    written.extend(write_phasing(folder, plans, list(scenario.plan.years),
                                 title=f"{scenario.name}: trade-offs of the budget"))
    charger_model = models.get("chargers")
    summary = run_summary(scenario, plans, finance, assumptions, layers, flags, evidence,
                          None if charger_model is None else charger_model.demand)
    if scenario.outputs.sensitivity:
        rebuild = building_rebuild(scenario, layers, assumptions, plans,
                                   finance.assumptions.discount_rate)
        table = plan_sensitivity(plans, assumptions, finance, known_tables(), rebuild)
        written.extend(write_sensitivity(folder, table, title=f"{scenario.name}: sensitivity "
                                         "of the headline figures (plan held fixed)"))
        section, notes = sensitivity_summary(table)
        summary = {**summary, "sensitivity": section,
                   "warnings": [*summary["warnings"], *notes]}
    if found is not None:
        written.extend(write_decision(found, folder))
        summary = {**summary, "decision_support": decision_summary(found)}
    written.extend(write_summary(summary, folder))
    return summary, written
