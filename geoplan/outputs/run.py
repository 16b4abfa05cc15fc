"""Everything a run writes into its folder, from the solved plans.

Files (see the README's "What a run writes"):

``plan.gpkg``
    One layer per workstream with every candidate, its rank, selection, period, score parts
    and reason; plus ``zones`` (with the map's choropleth columns), ``districts``,
    ``substations`` and the ``headroom`` table, so ``geoplan map plan.gpkg`` redraws the map.
``plan_<format>/``
    The same layers in each other format the scenario asks for (``outputs.formats``).
``periods.csv``, ``tradeoff.csv``, ``tradeoff.png``
    The plan per milestone period (spend against the funding profile, delivery against its
    caps) and the trade-off curve of cost against lifetime tCO2e
    (:mod:`geoplan.outputs.phasing`).
``rankings.csv``, ``summary.json``, ``summary.md``
    Ranks of every candidate; KPIs by district, milestone year and workstream, finance,
    solver status and gap, and the assumptions used with their sources.
``map.html``, ``map.png``, ``map.pdf``
    The interactive map and the static map for documents.
``manifest.json``
    Inputs with hashes, software versions, the scenario as resolved, assumptions and the
    hash of every file above.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.layers.prepare import LayerInputs, PreparedLayers
from geoplan.outputs.export import export_plan
from geoplan.outputs.manifest import build_manifest, write_manifest
from geoplan.outputs.phasing import lifetime_of_plan, plan_periods, write_phasing
from geoplan.outputs.summary import write_rankings, write_summary
from geoplan.planning.finance import FinanceSummary
from geoplan.planning.grid_flags import GridFlags, grid_flags
from geoplan.planning.solve import (
    PlanResult,
    WorkstreamModel,
    grid_limits,
    headroom_gaps,
    plan_headroom,
)
from geoplan.scenario import Scenario

__all__ = ["CHOROPLETHS", "MAP_UNCHOSEN", "map_tables", "plan_flags", "plan_layers",
           "plan_year", "run_summary", "write_run"]

CHOROPLETHS = {"share_d_to_g": "Homes in EPC bands D-G (share)",
               "evs_projected": "Plug-in vehicles, projected"}
"""Zone columns drawn as choropleths on the map, with their legend labels."""

_BENEFITS = ("homes", "homes_to_target", "fuel_poor_homes", "chargers", "area_ha")

MAP_UNCHOSEN = 100
"""Unchosen candidates per workstream drawn on the run's map (the best ranked); all
candidates stay in plan.gpkg and rankings.csv, and ``geoplan map`` can draw them all."""


def map_tables(plans: PlanResult, unchosen: int = MAP_UNCHOSEN) -> dict[str, gpd.GeoDataFrame]:
    """Per workstream: every chosen candidate and the ``unchosen`` best-ranked others.

    Keeps the map light enough to send with a bid (a county has tens of thousands of land
    parcels and several pathways per zone).
    """
    out = {}
    for name, table in plans.tables.items():
        chosen = table["selected"].astype(bool)
        rank = pd.to_numeric(table["rank"], errors="coerce")
        others = rank.where(~chosen).rank(method="first")
        shown = table[chosen | (others <= unchosen)].reset_index(drop=True)
        shown.attrs["candidates"] = len(table)  # popups say "rank r of all candidates"
        out[name] = shown
    return out


def plan_year(scenario: Scenario) -> int:
    """Year whose headroom the map shows: the second milestone (the first if only one)."""
    years = scenario.plan.years
    return years[min(1, len(years) - 1)]


def _zones(layers: PreparedLayers) -> gpd.GeoDataFrame:
    zones = layers.zones.copy()
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
                flags: GridFlags | None = None) -> dict[str, pd.DataFrame]:
    """Layers of ``plan.gpkg``: one per workstream, then the context layers."""
    out: dict[str, pd.DataFrame] = dict(plans.tables)
    zones = _zones(layers)
    if flags is not None:
        zone_flags = flags.zones[["zone_id", "first_short_year", "flexibility_candidate"]]
        zones = zones.merge(zone_flags, on="zone_id", how="left")
        zones["flexibility_candidate"] = zones["flexibility_candidate"].astype(
            "boolean").fillna(False).astype(bool)
        out["grid_by_year"] = flags.substations
    out["zones"] = zones
    out["districts"] = layers.districts
    out["substations"] = layers.substations[["substation_id", "name", "level", "parent_id",
                                             "firm_capacity_mva", "peak_demand_mva",
                                             "geometry"]]
    out["headroom"] = layers.headroom
    return out


def _selected(plans: PlanResult) -> pd.DataFrame:
    table = plans.stacked()
    for column in ("cost_gbp", "tco2e_per_yr", *_BENEFITS):
        if column not in table.columns:
            table[column] = 0.0
        table[column] = pd.to_numeric(table[column], errors="coerce").fillna(0.0)
    return table[table["selected"].astype(bool)]


def _kpis(chosen: pd.DataFrame) -> dict[str, float]:
    sums = {c: float(chosen[c].sum()) for c in ("cost_gbp", "tco2e_per_yr", *_BENEFITS)}
    sums["cost_per_tco2e_per_yr_gbp"] = (sums["cost_gbp"] / sums["tco2e_per_yr"]
                                         if sums["tco2e_per_yr"] > 0 else float("nan"))
    sums["candidates_selected"] = float(len(chosen))
    return sums


def _flag_kpis(flags: GridFlags | None) -> dict[str, float]:
    if flags is None:
        return {}
    return {"substations_binding": float(len(flags.binding)),
            "flexibility_zones": float(len(flags.flexibility_zones))}


def _rows(chosen: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    columns = ["cost_gbp", "tco2e_per_yr", *_BENEFITS]
    grouped = chosen.groupby(key, sort=True)[columns].sum()
    grouped["selected"] = chosen.groupby(key, sort=True).size()
    return [{key: index, **{c: float(v) for c, v in row.items()}}
            for index, row in grouped.iterrows()]


def _grid_notes(flags: GridFlags) -> list[str]:
    notes = []
    binding = flags.binding
    if binding:
        shown = ", ".join(binding[:10]) + (" ..." if len(binding) > 10 else "")
        notes.append(f"grid: the plan uses all the headroom at {len(binding)} substations "
                     f"in some milestone year ({shown}); see plan.gpkg layer grid_by_year")
    zones = flags.flexibility_zones
    if zones:
        notes.append(f"grid: {len(zones)} zones add load where headroom is short before any "
                     "reinforcement arrives (flexibility candidates; zones layer column "
                     "flexibility_candidate)")
    return notes


def run_summary(scenario: Scenario, plans: PlanResult, finance: FinanceSummary,
                assumptions: AssumptionSet, layers: PreparedLayers,
                flags: GridFlags | None = None) -> dict[str, Any]:
    """Build the summary mapping (see :mod:`geoplan.outputs.summary` for its keys)."""
    chosen = _selected(plans)
    gaps = headroom_gaps(scenario, layers, assumptions)
    years = chosen.assign(year=pd.to_numeric(chosen.get("period"), errors="coerce"))
    years = years.dropna(subset=["year"]).astype({"year": int})
    solver = {}
    for name, summary in plans.summaries().items():
        # no wall times: the same scenario must give the same bytes (the CLI prints them)
        solver[name] = {k: summary.get(k) for k in ("status", "objective", "bound", "gap",
                                                      "solver")}
    return {
        "scenario": {"name": scenario.name, "description": scenario.description,
                     "mode": scenario.plan.mode,
                     "years": list(scenario.plan.years),
                     "budget_gbp": scenario.plan.budget_gbp,
                     "objective": scenario.plan.objective,
                     "funding_gbp": _funding_text(plans),
                     "workstreams": list(scenario.workstreams.enabled()),
                     "grid": f"{scenario.grid.scenario}, {scenario.grid.season}, "
                             f"{scenario.grid.level}",
                     **gaps.to_dict()},
        "kpis": {**_kpis(chosen), **_lifetime_kpis(plans, chosen), **_flag_kpis(flags)},
        "by_district": _rows(chosen, "district_id"),
        "by_year": _rows(years, "year") if len(years) else [],
        "by_period": plan_periods(plans, list(scenario.plan.years)).to_dict("records"),
        "tradeoff": [] if plans.curve is None else plans.curve.to_dict("records"),
        "by_workstream": _rows(chosen, "workstream"),
        "finance": finance.to_dict(),
        "solver": solver,
        "assumptions": _assumptions(assumptions),
        "warnings": [*layers.warnings, *gaps.notes(),
                     *([] if flags is None else _grid_notes(flags))],
    }


def _funding_text(plans: PlanResult) -> str:
    if plans.funding is None:
        return "one total budget"
    return "; ".join(f"{year}: {amount:,.0f}" for year, amount in sorted(plans.funding.items()))


def _lifetime_kpis(plans: PlanResult, chosen: pd.DataFrame) -> dict[str, float]:
    tonnes = lifetime_of_plan(plans)
    if tonnes is None:
        return {}
    cost = float(chosen["cost_gbp"].sum())
    return {"lifetime_tco2e": tonnes,
            "cost_per_lifetime_tco2e_gbp": cost / tonnes if tonnes > 0 else float("nan")}


def _assumptions(assumptions: AssumptionSet) -> dict[str, Any]:
    used = assumptions.used()
    out = {}
    for name, entry in sorted(used.items()):
        table = assumptions.table(name)
        sources = sorted(set(table["source"].astype(str))) if "source" in table else []
        out[name] = {"file": Path(str(entry.get("file", ""))).name,
                     "sha256": entry.get("sha256"), "overrides": entry.get("overrides", []),
                     "sources": sources}
    return out


def _maps(folder: Path, scenario: Scenario, plans: PlanResult, layers: PreparedLayers,
          zones: gpd.GeoDataFrame, offline: bool,
          assumptions: AssumptionSet | None = None) -> list[Path]:
    from geoplan.outputs.map import plan_map, write_map
    from geoplan.outputs.static_map import write_static_map

    written = []
    title = f"{scenario.name}: {scenario.description}" if scenario.description else scenario.name
    if scenario.outputs.map:
        available = {c: label for c, label in CHOROPLETHS.items() if c in zones.columns}
        m = plan_map(map_tables(plans), zones=zones, districts=layers.districts,
                     substations=layers.substations,
                     # the figures the plan used, each file's name mapped to the planning one
                     headroom=plan_headroom(scenario, layers, assumptions),
                     plan_year=plan_year(scenario), choropleths=available, title=title,
                     offline=offline, headroom_scenario=scenario.grid.scenario,
                     headroom_season=scenario.grid.season)
        written.append(write_map(m, folder / "map.html"))
    if scenario.outputs.static_map:
        written.extend(write_static_map(dict(plans.tables), folder / "map.png",
                                        folder / "map.pdf", districts=layers.districts,
                                        zones=layers.zones, title=title))
    return written


def write_run(folder: Path, *, scenario: Scenario, inputs: LayerInputs, layers: PreparedLayers,
              assumptions: AssumptionSet, models: Mapping[str, WorkstreamModel],
              plans: PlanResult, finance: FinanceSummary, offline_map: bool
              ) -> tuple[dict[str, Any], list[Path]]:
    """Write the run's files into ``folder`` (a fresh, empty folder); return summary, files."""
    flags = plan_flags(scenario, plans, layers, assumptions)
    layer_frames = plan_layers(plans, layers, flags)
    written = [export_plan(layer_frames, folder / "plan.gpkg", fmt="gpkg")]
    for fmt in scenario.outputs.formats:
        if fmt != "gpkg":
            written.append(export_plan(layer_frames, folder / f"plan_{fmt}", fmt=fmt))
    written.append(write_rankings(dict(plans.tables), folder / "rankings.csv"))
    written.extend(write_phasing(folder, plans, list(scenario.plan.years),
                                 title=f"{scenario.name}: cost against lifetime tCO2e"))
    summary = run_summary(scenario, plans, finance, assumptions, layers, flags)
    written.extend(write_summary(summary, folder))
    written.extend(_maps(folder, scenario, plans, layers, layer_frames["zones"], offline_map,
                         assumptions))
    manifest = build_manifest(_input_paths(inputs), scenario.resolved(),
                              assumptions_used=assumptions.used(), outputs=written,
                              outputs_root=folder)
    written.append(write_manifest(manifest, folder / "manifest.json"))
    return summary, written


def _input_paths(inputs: LayerInputs) -> dict[str, Path | None]:
    paths: dict[str, Path | None] = {}
    for name in ("zones", "districts", "grid", "licence_areas", "epc", "postcodes", "uprn",
                 "chargers", "vehicles", "households", "car_parks", "roads", "land_cover",
                 "emissions"):
        value = getattr(inputs, name, None)
        if isinstance(value, tuple):  # several grid files: grid:1, grid:2, ...
            paths.update({f"{name}:{n}": Path(v) for n, v in enumerate(value, start=1)})
        else:
            paths[name] = None if value is None else Path(value)
    for label, path in sorted(dict(inputs.exclusions).items()):
        paths[f"exclusions:{label}"] = Path(path)
    return paths
