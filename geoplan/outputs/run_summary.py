"""The run's summary mapping: KPIs by district, year and workstream, finance, solver, notes.

:func:`run_summary` builds what ``summary.json`` and ``summary.md`` show
(:mod:`geoplan.outputs.summary` lists its keys); :func:`existing_summary` and
:func:`charger_sites` are its sections on public chargers already in the zones and the chosen
charger sites. :mod:`geoplan.outputs.run` writes the run's files with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.layers.existing_chargers import charger_counts, place_chargers
from geoplan.layers.prepare import PreparedLayers
from geoplan.layers.serving_check import SERVING_WARNING
from geoplan.layers.stock_calibration import calibration_kpis
from geoplan.outputs.grid_evidence import evidence_summary
from geoplan.outputs.phasing import lifetime_of_plan, plan_periods
from geoplan.planning.budget_use import budget_use
from geoplan.planning.carbon_lines import (
    carbon_kinds,
    carbon_per_year,
    kind_columns,
    lifetime_by_kind,
    unmixed_finance,
)
from geoplan.planning.charger_reach import ReachOnce, reach_once
from geoplan.planning.finance import FinanceSummary
from geoplan.planning.grid_bases import bases_statement
from geoplan.planning.grid_evidence import GridEvidence
from geoplan.planning.grid_flags import GridFlags
from geoplan.planning.grid_report import evidence_kpis
from geoplan.planning.headroom import HeadroomGaps
from geoplan.planning.phasing import funding_shortfall
from geoplan.planning.solve import (
    PlanResult,
    headroom_gaps,
    workstream_budget,
)
from geoplan.scenario import Scenario
from geoplan.workstreams.charger_demand import ChargerDemand
from geoplan.workstreams.home_weights import stock_uncertainty

__all__ = ["SITE_COLUMNS", "charger_sites", "district_names", "existing_chargers",
           "existing_summary", "run_summary"]

_BENEFITS = ("homes", "homes_to_target", "fuel_poor_homes", "chargers", "area_ha")


def existing_chargers(layers: PreparedLayers) -> gpd.GeoDataFrame | None:
    """Return the existing public chargers inside the zones (None without a chargers layer)."""
    if layers.chargers is None:
        return None
    return place_chargers(layers.chargers, layers.zones)


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


def _rows(chosen: pd.DataFrame, key: str, kinds: list[str],
          every: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Cost, tonnes per year of each kind and benefits per ``key`` (district, year, ...).

    ``every`` lists keys shown even where the plan chooses nothing (0 on every figure: a
    district the plan leaves out is a finding, not a row to drop).
    """
    chosen = kind_columns(chosen, kinds=kinds)
    columns = ["cost_gbp", *(f"{k}_tco2e_per_yr" for k in kinds), *_BENEFITS]
    grouped = chosen.groupby(key, sort=True)[columns].sum()
    grouped["selected"] = chosen.groupby(key, sort=True).size()
    if every:
        keys = sorted({*map(str, grouped.index), *map(str, every)})
        grouped = grouped.rename(index=str).reindex(keys).fillna(0.0)
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
                "cost_gbp", "demand_covered", "evs_served")
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
        if summary.get("decomposition"):
            solver[name]["decomposition"] = summary["decomposition"]
    kinds = carbon_kinds(plans.tables)
    # archetype heat-demand bounds concern buildings' reductions only
    stock_kpis, stock_notes = stock_uncertainty(
        chosen[chosen["workstream"].astype(str).isin(("retrofit", "laep")).to_numpy()])
    reach = _reach(plans, demand)
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
                 **_flag_kpis(flags, evidence), **stock_kpis, **calibration_kpis(layers.zones),
                 **({} if reach is None else {"evs_within_reach_once": reach.once})},
        "by_district": _named_rows(_rows(chosen, "district_id", kinds, list(names)), names),
        "by_year": _rows(years, "year", kinds) if len(years) else [],
        "by_period": plan_periods(plans, list(scenario.plan.years)).to_dict("records"),
        "tradeoff": [] if plans.curve is None else plans.curve.to_dict("records"),
        "by_workstream": _rows(chosen, "workstream", kinds),
        "budgets": _budgets(scenario, plans),
        "finance": _named_finance(unmixed_finance(finance.to_dict()), names),
        "solver": solver,
        **({} if evidence is None else {"grid_evidence": _with_bases(
            evidence_summary(evidence), gaps, layers.warnings)}),
        **existing,
        **({"charger_sites": sites} if (sites := charger_sites(plans, names)) else {}),
        "assumptions": _assumptions(assumptions),
        "warnings": [*stock_notes, *layers.warnings, *gaps.notes(), *finance.warnings,
                     *([] if flags is None else _grid_notes(flags)),
                     *filter(None, [funding_shortfall(scenario.plan),
                                    None if reach is None else reach.note()])],
    }


def _budgets(scenario: Scenario, plans: PlanResult) -> list[dict[str, Any]]:
    """Each budget, what the plan spends of it and what held the rest back."""
    own = {name: amount for name in plans.tables
           if (amount := workstream_budget(scenario, name)) is not None}
    total = scenario.plan.budget_gbp if plans.mode == "joint" else None
    return budget_use(plans.tables, own, total=total)


def _reach(plans: PlanResult, demand: ChargerDemand | None) -> ReachOnce | None:
    """EVs within reach of the chosen charger sites, each once (None without chargers)."""
    table = plans.tables.get("chargers")
    if demand is None or not isinstance(table, gpd.GeoDataFrame) \
            or "demand_covered" not in table.columns:
        return None
    return reach_once(demand, table[table["selected"].fillna(False).astype(bool).to_numpy()])


def _with_bases(section: dict[str, Any], gaps: HeadroomGaps,
                warnings: Sequence[str]) -> dict[str, Any]:
    """Return the grid evidence section, first saying what limits its figures.

    That is: when DNOs are judged on other bases, and which substations serve zones
    implausibly (the layers' warning, repeated here).
    """
    said = [bases_statement(gaps.bases),
            *(w for w in warnings if w.startswith(SERVING_WARNING))]
    first = [s for s in said if s is not None]
    return {**section, "statements": [*first, *section["statements"]]} if first else section


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
