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
``manifest.json``
    Inputs with hashes, software versions, the scenario as resolved, assumptions and the
    hash of every file above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.layers.existing_chargers import charger_counts, place_chargers
from geoplan.layers.grid import power_factor
from geoplan.layers.land import Exclusion
from geoplan.layers.prepare import LayerInputs, PreparedLayers
from geoplan.layers.stock_calibration import calibration_kpis
from geoplan.outputs.decision import (
    MAP_LAYER,
    decision_summary,
    robust_core_layer,
    with_decision_columns,
    write_decision,
)
from geoplan.outputs.export import export_plan
from geoplan.outputs.grid_evidence import evidence_layer, evidence_summary, write_evidence_csv
from geoplan.outputs.manifest import build_manifest, write_manifest
from geoplan.outputs.phasing import lifetime_of_plan, plan_periods, write_phasing
from geoplan.outputs.run_settings import (
    RUN_SETTINGS,
    map_subtitle,
    run_settings,
    settings_table,
    shown_candidates,
)
from geoplan.outputs.sensitivity import sensitivity_summary, write_sensitivity
from geoplan.outputs.summary import write_rankings, write_summary
from geoplan.planning.carbon_lines import (
    carbon_kinds,
    carbon_per_year,
    kind_columns,
    lifetime_by_kind,
    unmixed_finance,
)
from geoplan.planning.decision import decision_support
from geoplan.planning.finance import FinanceSummary
from geoplan.planning.grid_evidence import GridEvidence
from geoplan.planning.grid_flags import GridFlags, grid_flags
from geoplan.planning.grid_report import evidence_kpis, plan_evidence
from geoplan.planning.sensitivity import plan_sensitivity
from geoplan.planning.sensitivity_rebuild import building_rebuild
from geoplan.planning.solve import (
    PlanResult,
    WorkstreamModel,
    grid_limits,
    headroom_gaps,
    plan_headroom,
)
from geoplan.scenario import Scenario, known_tables
from geoplan.workstreams.charger_demand import ChargerDemand
from geoplan.workstreams.home_weights import stock_uncertainty

if TYPE_CHECKING:
    from geoplan.outputs.map_basemap import LocalTiles

__all__ = ["CHOROPLETHS", "MAP_UNCHOSEN", "SITE_COLUMNS", "charger_sites", "district_names",
           "existing_chargers",
           "existing_summary", "map_tables", "plan_flags", "plan_layers", "plan_year",
           "run_summary", "with_district_names", "write_run"]

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
    return {name: shown_candidates(table, unchosen) for name, table in plans.tables.items()}


def plan_year(scenario: Scenario) -> int:
    """Year whose headroom the map shows: the second milestone (the first if only one)."""
    years = scenario.plan.years
    return years[min(1, len(years) - 1)]


def existing_chargers(layers: PreparedLayers) -> gpd.GeoDataFrame | None:
    """Return the existing public chargers inside the zones (None without a chargers layer)."""
    if layers.chargers is None:
        return None
    return place_chargers(layers.chargers, layers.zones)


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
    out["substations"] = layers.substations[["substation_id", "name", "level", "parent_id",
                                             "firm_capacity_mva", "peak_demand_mva",
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


def _selected(plans: PlanResult) -> pd.DataFrame:
    table = plans.stacked()
    for column in ("cost_gbp", "tco2e_per_yr", *_BENEFITS):
        if column not in table.columns:
            table[column] = 0.0
        table[column] = pd.to_numeric(table[column], errors="coerce").fillna(0.0)
    return table[table["selected"].astype(bool)]


def _kpis(chosen: pd.DataFrame, kinds: list[str], measures: pd.DataFrame) -> dict[str, float]:
    """Headline figures: cost, each kind's tonnes per year and over its lifetime, benefits.

    ``measures`` (the finance summary's) gives lifetime tCO2e and the lifetime cost per
    tCO2e of each kind (capital cost over lifetime tCO2e).
    """
    sums = {"cost_gbp": float(chosen["cost_gbp"].sum()), **carbon_per_year(chosen, kinds),
            **lifetime_by_kind(measures, kinds=kinds)}
    sums.update({c: float(chosen[c].sum()) for c in _BENEFITS})
    sums["candidates_selected"] = float(len(chosen))
    return sums


def _flag_kpis(flags: GridFlags | None, evidence: GridEvidence | None = None
               ) -> dict[str, float]:
    if flags is None:
        return {}
    kpis = {"substations_binding": float(len(flags.binding)),
            "flexibility_zones": float(len(flags.flexibility_zones))}
    if evidence is not None:  # binding counts candidates excluded before the model too
        kpis.update(evidence_kpis(evidence, flags.binding))
    return kpis


def _rows(chosen: pd.DataFrame, key: str, kinds: list[str]) -> list[dict[str, Any]]:
    """Cost, tonnes per year of each kind and benefits per ``key`` (district, year, ...)."""
    chosen = kind_columns(chosen, kinds=kinds)
    columns = ["cost_gbp", *(f"{k}_tco2e_per_yr" for k in kinds), *_BENEFITS]
    grouped = chosen.groupby(key, sort=True)[columns].sum()
    grouped["selected"] = chosen.groupby(key, sort=True).size()
    return [{key: index, **{c: float(v) for c, v in row.items()}}
            for index, row in grouped.iterrows()]


def district_names(districts: pd.DataFrame | None) -> dict[str, str]:
    """``district_id`` -> ``district_name`` of a districts layer (blank names left out)."""
    if districts is None or not {"district_id", "district_name"} <= set(districts.columns):
        return {}
    return {str(k): str(v) for k, v in zip(districts["district_id"], districts["district_name"],
                                            strict=True) if isinstance(v, str) and v.strip()}


def _named_rows(rows: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Rows with ``district_name`` right after ``district_id`` (rows without one unchanged)."""
    out = []
    for row in rows:
        if "district_id" not in row:
            out.append(row)
            continue
        named: dict[str, Any] = {}
        for key, value in row.items():
            if key == "district_name":
                continue
            named[key] = value
            if key == "district_id":
                named["district_name"] = names.get(str(value))
        out.append(named)
    return out


def _named_finance(finance: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {k: _named_rows(v, names) if isinstance(v, list) and v
            and all(isinstance(r, dict) for r in v) else v for k, v in finance.items()}


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


def existing_summary(placed: gpd.GeoDataFrame, zones: pd.DataFrame, names: dict[str, str],
                     demand: ChargerDemand | None = None) -> dict[str, Any]:
    """Build the summary's ``existing_chargers`` section: counts per district and zone.

    Parameters
    ----------
    placed : geopandas.GeoDataFrame
        :func:`geoplan.layers.existing_chargers.place_chargers` of the run.
    zones : pandas.DataFrame
        The zones (``zone_id``, ``zone_name``, ``district_id``).
    names : dict
        District id -> name.
    demand : ChargerDemand, optional
        The charger workstream's demand: adds the EVs existing chargers already serve
        (``pre_covered``) and the demand left for new sites, per district.

    Returns
    -------
    dict
        ``devices``, ``connectors``, ``outside_zones`` (devices of the input outside every
        zone, not counted), ``by_district`` (every district) and ``by_zone`` (zones with at
        least one device, most first).
    """
    districts = pd.Series(sorted(set(zones["district_id"].astype(str)) | set(names)))
    by_district = charger_counts(placed, "district_id", districts)
    if demand is not None:
        totals = demand.district_totals().reindex(by_district.index).fillna(0.0)
        by_district["evs_already_served"] = totals["pre_covered"].to_numpy(dtype=float)
        by_district["evs_left_for_new_sites"] = totals["demand"].to_numpy(dtype=float)
    rows = [{"district_id": d, **row} for d, row in by_district.to_dict("index").items()]
    per_zone = charger_counts(placed, "zone_id")
    zone_table = zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")
    zone_rows = []
    for zone, row in per_zone.sort_values("existing_chargers", ascending=False,
                                          kind="stable").iterrows():
        info = zone_table.loc[zone] if zone in zone_table.index else {}
        zone_rows.append({"zone_id": zone, "zone_name": info.get("zone_name"),
                          "district_id": info.get("district_id"), **row.to_dict()})
    out: dict[str, Any] = {"devices": len(placed),
                           "connectors": int(pd.to_numeric(placed["connectors"])
                                             .fillna(0).sum()),
                           "outside_zones": int(placed.attrs.get("outside_zones", 0))}
    if demand is not None:
        out["evs_already_served"] = float(demand.report.get("pre_covered", 0.0))
    out["by_district"] = _named_rows(rows, names)
    out["by_zone"] = _named_rows(zone_rows, names)
    return out


SITE_COLUMNS = ("rank", "site_name", "source_id", "district_id", "option", "period",
                "cost_gbp", "demand_covered")
"""Columns of the summary's ``charger_sites`` rows (``district_name`` added after the id)."""


def charger_sites(plans: PlanResult, names: dict[str, str]) -> list[dict[str, Any]]:
    """List the chosen charger sites, best ranked first, named for people (for the summary)."""
    if "chargers" not in plans.tables:
        return []
    table = plans.tables["chargers"]
    chosen = table[table["selected"].fillna(False).astype(bool)]
    chosen = chosen.assign(_rank=pd.to_numeric(chosen["rank"], errors="coerce")).sort_values(
        "_rank", kind="stable")
    columns = [c for c in SITE_COLUMNS if c in chosen.columns]
    rows = [dict(zip(columns, values, strict=True))
            for values in chosen[columns].itertuples(index=False, name=None)]
    for row in rows:  # whole years and ranks (a float column would show 2,030)
        for key in ("rank", "period"):
            value = pd.to_numeric(row.get(key), errors="coerce")
            row[key] = None if key not in row or pd.isna(value) else int(value)
    return _named_rows(rows, names)


def run_summary(scenario: Scenario, plans: PlanResult, finance: FinanceSummary,
                assumptions: AssumptionSet, layers: PreparedLayers,
                flags: GridFlags | None = None,
                evidence: GridEvidence | None = None, demand: ChargerDemand | None = None
                ) -> dict[str, Any]:
    """Build the summary mapping (see :mod:`geoplan.outputs.summary` for its keys).

    ``demand`` (the charger workstream's) adds the EVs existing chargers already serve.
    """
    chosen = _selected(plans)
    names = district_names(layers.districts)
    gaps = headroom_gaps(scenario, layers, assumptions)
    years = chosen.assign(year=pd.to_numeric(chosen.get("period"), errors="coerce"))
    years = years.dropna(subset=["year"]).astype({"year": int})
    solver = {}
    for name, summary in plans.summaries().items():
        # no wall times: the same scenario must give the same bytes (the CLI prints them)
        solver[name] = {k: summary.get(k) for k in ("status", "objective", "bound", "gap",
                                                      "solver", "stopped_by")}
    kinds = carbon_kinds(plans.tables)
    # archetype heat-demand bounds concern buildings' reductions only
    stock_kpis, stock_notes = stock_uncertainty(
        chosen[chosen["workstream"].astype(str).isin(("retrofit", "laep")).to_numpy()])
    placed = existing_chargers(layers)
    existing = {} if placed is None else {
        "existing_chargers": existing_summary(placed, layers.zones, names, demand)}
    return {
        "scenario": {"name": scenario.name, "description": scenario.description,
                     "mode": scenario.plan.mode,
                     "years": list(scenario.plan.years),
                     "budget_gbp": scenario.plan.budget_gbp,
                     "objective": scenario.plan.objective,
                     "carbon_discount_rate": _carbon_rate(scenario, finance),
                     **_attribution(plans),
                     "funding_gbp": _funding_text(plans),
                     "workstreams": list(scenario.workstreams.enabled()),
                     **_sequestration_terms(scenario),
                     "grid": f"{scenario.grid.scenario}, {scenario.grid.season}, "
                             f"{scenario.grid.level}",
                     **gaps.to_dict()},
        "kpis": {**_kpis(chosen, kinds, finance.measures), **_lifetime_kpis(plans),
                 **_flag_kpis(flags, evidence), **stock_kpis, **calibration_kpis(layers.zones)},
        "by_district": _named_rows(_rows(chosen, "district_id", kinds), names),
        "by_year": _rows(years, "year", kinds) if len(years) else [],
        "by_period": plan_periods(plans, list(scenario.plan.years)).to_dict("records"),
        "tradeoff": [] if plans.curve is None else plans.curve.to_dict("records"),
        "by_workstream": _rows(chosen, "workstream", kinds),
        "finance": _named_finance(unmixed_finance(finance.to_dict()), names),
        "solver": solver,
        **({} if evidence is None else {"grid_evidence": evidence_summary(evidence)}),
        **existing,
        **({"charger_sites": sites} if (sites := charger_sites(plans, names)) else {}),
        "assumptions": _assumptions(assumptions),
        "warnings": [*stock_notes, *layers.warnings, *gaps.notes(), *finance.warnings,
                     *([] if flags is None else _grid_notes(flags))],
    }


def _sequestration_terms(scenario: Scenario) -> dict[str, str]:
    """How the sequestration figures are defined (nothing when the workstream is off)."""
    if "sequestration" not in scenario.workstreams.enabled():
        return {}
    seq = scenario.workstreams.sequestration
    land = "included" if seq.include_land_cost else "not included (the council's own land)"
    return {"sequestration_tco2e_per_yr": (
        f"new woodland: mean yearly net removal over the first {seq.average_years} years after "
        "planting (Woodland Carbon Code time profile, near zero in the first ten years; net of "
        "the baseline, leakage and buffer deductions of sequestration.csv); lifetime tCO2e and "
        "the trajectory follow the profile year by year; hedgerows: flat rates from the year "
        "built; peat: "
        "avoided emissions by condition (peat_conditions.csv), offered only where the peat is "
        "degraded (additionality rule)"),
        "sequestration_land_cost": f"land cost (capitalised farm rent) {land}"}


def _funding_text(plans: PlanResult) -> str:
    if plans.funding is None:
        return "one total budget"
    return "; ".join(f"{year}: {amount:,.0f}" for year, amount in sorted(plans.funding.items()))


def _lifetime_kpis(plans: PlanResult) -> dict[str, float]:
    """Return the objective's tonnes: every kind, each year's factor, discounted as it does."""
    tonnes = lifetime_of_plan(plans)
    return {} if tonnes is None else {"objective_lifetime_tco2e": tonnes}


def _attribution(plans: PlanResult) -> dict[str, float]:
    """Return the share of the EV switch credited to chargers, when the run plans them."""
    table = plans.tables.get("chargers")
    if table is None or "ev_attribution_share" not in table.columns or not len(table):
        return {}
    return {"ev_attribution_share": float(table["ev_attribution_share"].iloc[0])}


def _carbon_rate(scenario: Scenario, finance: FinanceSummary) -> float:
    """Return the yearly discount rate of the objective's tonnes (plan's, else finance's)."""
    rate = scenario.plan.carbon_discount_rate
    return float(finance.assumptions.discount_rate if rate is None else rate)


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
    from geoplan.outputs.map import DEFAULT_ATTRIBUTION, plan_map, write_map
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
        written.append(write_map(m, folder / "map.html"))
    if scenario.outputs.static_map:
        written.extend(write_static_map(dict(plans.tables), folder / "map.png",
                                        folder / "map.pdf", districts=layers.districts,
                                        zones=layers.zones, title=title,
                                        existing_chargers=existing,
                                        substations=layers.substations, attribution=credits,
                                        subtitle=map_subtitle(settings)))
    return written


def _settings(scenario: Scenario, inputs: LayerInputs, zones: pd.DataFrame) -> dict[str, Any]:
    """Return the run's settings for plan.gpkg's ``run_settings`` table (and its maps' credits)."""
    return run_settings(scenario, plan_year=plan_year(scenario), unchosen=MAP_UNCHOSEN,
                        choropleths={c: t for c, t in CHOROPLETHS.items() if c in zones},
                        inputs=[n for n, path in _input_paths(inputs).items() if path])


def write_run(folder: Path, *, scenario: Scenario, inputs: LayerInputs, layers: PreparedLayers,
              assumptions: AssumptionSet, models: Mapping[str, WorkstreamModel],
              plans: PlanResult, finance: FinanceSummary, offline_map: bool
              ) -> tuple[dict[str, Any], list[Path]]:
    """Write the run's files into ``folder`` (a fresh, empty folder); return summary, files."""
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
    written = [export_plan(layer_frames, folder / "plan.gpkg", fmt="gpkg")]
    written.append(write_evidence_csv(evidence, folder / "grid_evidence.csv"))
    for fmt in scenario.outputs.formats:
        if fmt != "gpkg":
            written.append(export_plan(layer_frames, folder / f"plan_{fmt}", fmt=fmt))
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
    written.extend(_maps(folder, scenario, plans, layers, layer_frames["zones"], offline_map,
                         assumptions, layer_frames["grid_evidence"],
                         layer_frames.get("existing_chargers"),  # placed once, for the gpkg
                         settings))
    manifest = build_manifest(_input_paths(inputs), scenario.resolved(),
                              assumptions_used=assumptions.used(), outputs=written,
                              outputs_root=folder)
    written.append(write_manifest(manifest, folder / "manifest.json"))
    return summary, written


def _input_paths(inputs: LayerInputs) -> dict[str, Path | None]:
    paths: dict[str, Path | None] = {}
    for name in ("zones", "districts", "grid", "licence_areas", "epc", "postcodes", "uprn",
                 "chargers", "vehicles", "households", "car_parks", "roads", "land_cover",
                 "emissions", "building_stock"):
        value: Any = getattr(inputs, name, None)
        if isinstance(value, tuple):  # several grid files: grid:1, grid:2, ...
            paths.update({f"{name}:{n}": Path(v) for n, v in enumerate(value, start=1)})
        elif hasattr(value, "files"):  # an apportioned table (vehicles, vehicles:lookup, ...)
            # or the building stock's tables (building_stock:households, ...)
            paths.update({f"{name}:{k}" if k else name: v for k, v in value.files().items()})
        elif hasattr(value, "path"):  # zones with their columns named
            paths[name] = Path(value.path)
        else:
            paths[name] = None if value is None else Path(value)
    for label, given in sorted(dict(inputs.exclusions).items()):
        source = given.source if isinstance(given, Exclusion) else given
        paths[f"exclusions:{label}"] = Path(source)
    classes = inputs.land_cover_classes
    if classes is not None and Path(classes).is_file():  # a mapping CSV, not a shipped name
        paths["land_cover_classes"] = Path(classes)
    return paths
