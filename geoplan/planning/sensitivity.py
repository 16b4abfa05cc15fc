r"""How much the chosen plan's headline figures move with the indicative assumptions (tornado).

The plan is held fixed (no re-solve): each bounded assumption value is set to its low and then
its high bound, one at a time, and the headline figures of the chosen candidates are
recomputed.

Bounds (the convention of every table in ``layers/assumptions/``): a numeric column ``col``
is bounded on a row when the table also has ``col_low`` and ``col_high`` and both are given
on that row (:func:`bounded_values`; ``low <= high``, rows with ``low == high`` are fixed,
not indicative). Any table the run read is searched, so a bound added to any row is picked
up without code changes.

How a value reaches the figures of a chosen candidate is a :class:`Response` registered in
:data:`RESPONSES` by ``(table, column)``; the figures are then recomputed exactly for
dependencies that are proportional (the candidate's carbon columns scale by
:math:`v'/v`) or net of a share (they scale by :math:`(1 - v')/(1 - v)`), on the candidates
of the named workstreams whose ``match`` column equals the row's:

- ``sequestration.seq_tco2e_per_ha_yr`` (``tco2e = rate x area x (1 - buffer)``, by
  ``option`` = ``land_use``) and ``sequestration.buffer_share`` (net of a share);
- ``peat_conditions.emission_tco2e_per_ha_yr`` and ``restored_tco2e_per_ha_yr``: a restored
  parcel avoids :math:`(E_c - E_r)` per ha, so its carbon scales by
  :math:`(v' - o)/(v - o)` with :math:`o` the row's other column (form ``difference``; by
  ``peat_condition`` = ``condition``);
- ``charger_types.tco2e_per_ev_yr`` (``tco2e = EVs covered x tco2e_per_ev_yr``, by
  ``charger_kw``); ``ev_attribution.value`` of item ``ev_attribution_share``
  (``tco2e = share x ev_switch_tco2e_per_yr``, on chargers whose ``ev_attribution_share`` is
  the table's: a scenario's own share is not the table's value);
- ``heat_loads.kw_per_home``: peak kW added only, which no headline figure counts (the
  figures stay as they are; the grid evidence is where loads matter); likewise
  ``grid_flexibility`` (price and hours): the grid evidence's flexibility cost only;
- cost rows: ``sequestration.land_cost_gbp_per_ha`` reaches a parcel's ``cost_gbp`` through
  its ``land_cost_gbp`` (``land_cost_gbp_per_ha x area_ha``, 0 where the land cost is not
  included), so :math:`C'_j = C_j + L_j (v'/v - 1)`; capital cost, lifetime cost per tCO2e
  and the NPV are recomputed, the tonnes stay;
- every ``finance`` item that is a field of
  :class:`~geoplan.planning.finance.FinanceAssumptions` (discounting, appraisal period): the
  NPV is recomputed with the changed value; the route-map ``milestone_<year>`` shares change
  no headline figure; any other item is listed as not recomputed.

Tables whose low and high columns are whole alternative series (:data:`SERIES_TABLES`:
woodland growth curves, electricity carbon factor trajectories, DESNZ carbon value series) are
one entry each, listed as not recomputed with the reason. With a ``rebuild``
(:class:`~geoplan.planning.sensitivity_rebuild.BuildingRebuild`, which a run passes), every
bound of a buildings table without a registered response, and the carbon factor series, is
recomputed exactly by building the chosen zones' candidates again at the low and the high
value (standing charges, measures' saving shares, the electricity trajectories: a home's
tonnes are clipped at zero before homes are summed, so no scaling is exact).

A bound without a registered response (a table read while the layers are built, or a value
whose effect is not a scaling, such as a heat pump's peak kW) is listed with status
``not recomputed`` and no figures: never a silent zero. Candidates that carry
``tco2e_per_yr_low`` / ``_high`` (homes built from aggregated stock tables, see
:mod:`geoplan.workstreams.home_weights`) add one entry, the archetypes' heat demand of
``stock_bands.csv`` at its low and high bounds for every band at once.

Headline figures (:data:`FIGURES`) of chosen candidates :math:`j`: emission reductions
:math:`\sum E_j` over the buildings workstreams, removals :math:`\sum E_j` over
sequestration and the EV switch attributed to chargers, each apart
(:mod:`geoplan.planning.carbon_lines`; tCO2e/yr), lifetime tCO2e :math:`\sum_j`
``lifetime_tco2e_<build year>`` (as the objective counts it: discounted at the carbon discount
rate), capital cost :math:`\sum C_j`, capital cost per objective lifetime tCO2e (capital
cost over that discounted count, unlike the summary's undiscounted cost per tonne) and the
bills-only NPV of
:func:`~geoplan.planning.finance.finance_summary`.
The swing of a figure is :math:`|F_{high} - F_{low}|`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionSet, AssumptionTable
from geoplan.errors import Problems, SourceFormatError
from geoplan.planning.bound_match import CARBON_COLUMN, equal_rows, response_factor
from geoplan.planning.carbon_lines import DISCOUNTED, OBJECTIVE_TONNES, carbon_kind
from geoplan.planning.finance import FinanceAssumptions, FinanceSummary, finance_summary
from geoplan.planning.phasing import LIFETIME_PREFIX
from geoplan.planning.sensitivity_rebuild import SERIES, BuildingRebuild, rebuilt_frames
from geoplan.planning.solve import PlanResult

__all__ = ["FIGURES", "RESPONSES", "SEQUESTRATION", "SERIES_TABLES", "STOCK_HEAT", "Bound",
           "Response", "assumption_bounds", "bounded_values", "headline_figures",
           "plan_sensitivity", "sensitivity_table"]

FIGURES = {
    "reductions_tco2e_per_yr": "Emission reductions, buildings (tCO2e/yr)",
    "removals_tco2e_per_yr": "Removals, sequestration (tCO2e/yr)",
    "ev_attributed_tco2e_per_yr": "EV switch attributed to chargers (tCO2e/yr)",
    "lifetime_tco2e": f"{OBJECTIVE_TONNES}, every kind, {DISCOUNTED} (tCO2e)",
    "capex_gbp": "Capital cost (£)",
    "cost_per_lifetime_tco2e_gbp": f"Capital cost per {OBJECTIVE_TONNES[0].lower()}"
                                   f"{OBJECTIVE_TONNES[1:]}, every kind, {DISCOUNTED} (£/tCO2e)",
    "npv_gbp": "Net present value, bills only (£)",
}
"""Headline figure -> label with its unit. Tonnes over a lifetime are the objective's count
(discounted), named apart from the summary's undiscounted lifetime totals
(:data:`~geoplan.planning.carbon_lines.DISCOUNTED`)."""

SEQUESTRATION = "sequestration"
"""The workstream whose tCO2e/yr are removals, not reductions."""

STOCK_HEAT = ("stock_bands", "all bands", "heat_kwh_per_m2")
"""Table, row and column of the archetype heat demand entry (see the module docstring)."""

STATUS_DONE = "recomputed"


@dataclass(frozen=True)
class Bound:
    """One indicative assumption value with its low and high bounds.

    Attributes
    ----------
    table, column : str
        Table name and numeric column.
    key : str
        The row's key values joined by ``/`` (e.g. ``woodland_creation``).
    row : int
        Position of the row in the table (0-based).
    low, base, high : float
        The bounds and the value the run used.
    """

    table: str
    key: str
    column: str
    row: int
    low: float
    base: float
    high: float


@dataclass(frozen=True)
class Response:
    """How one assumption column reaches the chosen candidates' figures.

    Attributes
    ----------
    workstreams : tuple of str
        Workstreams whose candidates the value can change.
    match : tuple of (str, str), optional
        ``(candidate column, table column)``: only candidates whose column equals the
        table row's value change (None: every candidate of the workstreams).
    form : {"proportional", "net_of_share", "difference", "finance", "grid_only", "cost"}
        Carbon columns scale by ``new / base``, by ``(1 - new) / (1 - base)``, or by
        ``(new - other) / (base - other)`` (``other``: the row's ``part`` column); ``finance``
        changes the finance assumption of the row's ``item``; ``grid_only`` changes no
        headline figure; ``cost`` scales the candidates' ``part`` of ``cost_gbp``.
    part : str, optional
        With ``cost``: the candidate column holding the part of ``cost_gbp`` that is
        proportional to the value (e.g. ``land_cost_gbp``).
    item : str, optional
        Only the table row whose ``item`` is this has the response (tables of items).
    """

    workstreams: tuple[str, ...]
    match: tuple[str, str] | None = None
    form: Literal["proportional", "net_of_share", "difference", "finance", "grid_only",
                  "cost"] = "proportional"
    part: str | None = None
    item: str | None = None


RESPONSES: dict[tuple[str, str], Response] = {
    ("sequestration", "seq_tco2e_per_ha_yr"): Response((SEQUESTRATION,), ("option", "land_use")),
    ("sequestration", "buffer_share"): Response((SEQUESTRATION,), ("option", "land_use"),
                                                "net_of_share"),
    ("charger_types", "tco2e_per_ev_yr"): Response(("chargers",), ("charger_kw", "charger_kw")),
    ("ev_attribution", "value"): Response(("chargers",), ("ev_attribution_share", "value"),
                                          item="ev_attribution_share"),
    ("heat_loads", "kw_per_home"): Response((), None, "grid_only"),
    ("grid_flexibility", "price_gbp_per_mwh"): Response((), None, "grid_only"),
    ("grid_flexibility", "hours_per_yr"): Response((), None, "grid_only"),
    ("sequestration", "land_cost_gbp_per_ha"): Response((SEQUESTRATION,), ("option", "land_use"),
                                                        "cost", "land_cost_gbp"),
    ("finance", "value"): Response((), None, "finance"),
    ("peat_conditions", "emission_tco2e_per_ha_yr"): Response(
        (SEQUESTRATION,), ("peat_condition", "condition"), "difference",
        "restored_tco2e_per_ha_yr"),
    ("peat_conditions", "restored_tco2e_per_ha_yr"): Response(
        (SEQUESTRATION,), ("peat_condition", "condition"), "difference",
        "emission_tco2e_per_ha_yr"),
}
"""``(table, column)`` -> its :class:`Response` (add one for a new kind of bound)."""

SERIES_TABLES = {
    "woodland_profile": "not recomputed: the low and high columns are whole alternative growth "
                        "curves (species mixes), which change the profile's shape, not a scale; "
                        "run the plan with the _low or _high column as the profile to see them",
    "carbon_factors": "not recomputed without the homes: the low and high columns are whole "
                      "alternative electricity trajectories, and a home's yearly tCO2e is "
                      "max(0, old fuel x its factor - new fuel x its factor) before homes are "
                      "summed into candidates, so only rebuilding them is exact (a run does)",
    "carbon_values": "not recomputed here: the low and high columns are the published DESNZ "
                     "low and high carbon value series, which move only the Green Book social "
                     "NPV, not these figures; the finance section gives that NPV at the low and "
                     "high series",
}
"""Tables whose bounds describe one alternative series across all rows: listed once, with
the reason they are not recomputed one row at a time."""


def bounded_values(name: str, table: pd.DataFrame, key: Sequence[str]) -> list[Bound]:
    """Every bounded value of one assumption table (the ``_low``/``_high`` convention).

    Parameters
    ----------
    name : str
        Table name.
    table : pandas.DataFrame
        As :meth:`geoplan.assumptions.AssumptionSet.table` returns it (bound columns may be
        text; ``attrs["path"]`` names the file in errors).
    key : sequence of str
        The table's key columns.

    Returns
    -------
    list of Bound
        In table order, column by column; rows with both bounds blank or equal are left out.

    Raises
    ------
    SourceFormatError
        A bound that is not a number, only one of the two bounds given, or low above high,
        naming the file, the row (header is row 1) and the column.
    """
    problems = Problems(Path(str(table.attrs.get("path", f"{name}.csv"))).name, sheet=name)
    found = []
    for column in [c for c in table.columns
                   if f"{c}_low" in table.columns and f"{c}_high" in table.columns]:
        base = pd.to_numeric(table[column], errors="coerce")
        low, bad_low = _bound_column(table, f"{column}_low", problems)
        high, bad_high = _bound_column(table, f"{column}_high", problems)
        for i in range(len(table)):
            if bad_low[i] or bad_high[i]:
                continue  # reported as not a number
            given = (not math.isnan(low[i]), not math.isnan(high[i]))
            if given == (True, True) and low[i] > high[i]:
                problems.add(f"low bound {low[i]:g} is above high bound {high[i]:g}", row=i + 2,
                             column=f"{column}_low", fix="give low <= high")
            elif given in ((True, False), (False, True)):
                missing = f"{column}_{'high' if given[0] else 'low'}"
                problems.add("only one bound is given", row=i + 2, column=missing,
                             fix="give both bounds, or neither")
            elif all(given) and low[i] < high[i] and not math.isnan(base.iloc[i]):
                found.append(Bound(name, _key(table, key, i), column, i, float(low[i]),
                                   float(base.iloc[i]), float(high[i])))
    problems.raise_if_any(SourceFormatError)
    return found


def assumption_bounds(assumptions: AssumptionSet, specs: Mapping[str, AssumptionTable]
                      ) -> tuple[dict[str, pd.DataFrame], list[Bound]]:
    """Every bounded value of the tables a run read, table by table (sorted by name).

    ``specs`` gives each table's key columns (:func:`geoplan.scenario.known_tables`).
    Returns the tables (as the run used them) and the bounds.
    """
    tables, bounds = {}, []
    for name in sorted(assumptions.used()):
        tables[name] = assumptions.table(name)
        key = specs[name].key if name in specs else ()
        bounds += bounded_values(name, tables[name], key)
    return tables, bounds


def plan_sensitivity(plans: PlanResult, assumptions: AssumptionSet, finance: FinanceSummary,
                     specs: Mapping[str, AssumptionTable],
                     rebuild: BuildingRebuild | None = None) -> pd.DataFrame:
    """Return the run's :func:`sensitivity_table` (its chosen candidates, tables, finance).

    ``rebuild`` (:func:`~geoplan.planning.sensitivity_rebuild.building_rebuild`) recomputes
    the buildings tables' bounds exactly; without it they are listed as not recomputed.
    """
    table = plans.stacked()
    chosen = table[table["selected"].fillna(False).astype(bool).to_numpy()]
    tables, bounds = assumption_bounds(assumptions, specs)
    other = plans.reinforcement_capex()
    return sensitivity_table(chosen.reset_index(drop=True), tables, bounds,
                             finance.assumptions, other if len(other) else None,
                             rebuild=rebuild)


def _bound_column(table: pd.DataFrame, column: str, problems: Problems
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Return a bound column as numbers (blank: NaN) and where a cell is not a number."""
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    text = table[column].astype(object)
    bad = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(np.isnan(values)):
        cell = text.iloc[i]
        if cell is not None and not (isinstance(cell, float) and math.isnan(cell)) \
                and str(cell).strip() not in ("", "nan", "None"):
            bad[i] = True
            problems.add(f"{str(cell)!r} is not a number", row=int(i) + 2, column=column,
                         fix="enter a number, or leave both bounds blank")
    return values, bad


def _key(table: pd.DataFrame, key: Sequence[str], i: int) -> str:
    return "/".join(str(table[c].iloc[i]) for c in key) if key else str(i + 2)


def headline_figures(chosen: pd.DataFrame, finance: FinanceAssumptions,
                     other_capex: pd.DataFrame | None = None, *,
                     npv_gbp: float | None = None) -> dict[str, float]:
    """Return the headline figures of chosen candidates (see the module docstring).

    Parameters
    ----------
    chosen : pandas.DataFrame
        Selected candidates of every workstream (a stacked plan table's selected rows).
    finance : FinanceAssumptions
        For the NPV.
    other_capex : pandas.DataFrame, optional
        Spending that is not a candidate (reinforcement), counted in the NPV only, as the
        finance summary does.
    npv_gbp : float, optional
        The NPV when it is known not to change (a change of carbon alone leaves capital cost
        and bill savings, hence the NPV, as they are); else from
        :func:`~geoplan.planning.finance.finance_summary`.
    """
    carbon = pd.to_numeric(chosen["tco2e_per_yr"], errors="coerce").fillna(0.0)
    kind = chosen["workstream"].astype(str).map(carbon_kind).to_numpy()
    capex = float(pd.to_numeric(chosen["cost_gbp"], errors="coerce").fillna(0.0).sum())
    lifetime = _lifetime(chosen)
    if npv_gbp is None:
        summary = finance_summary(chosen, assumptions=finance, other_capex=other_capex)
        npv_gbp = float(summary.by_workstream.set_index("workstream").loc["total", "npv_gbp"])
    return {"reductions_tco2e_per_yr": float(carbon[kind == "reduction"].sum()),
            "removals_tco2e_per_yr": float(carbon[kind == "removal"].sum()),
            "ev_attributed_tco2e_per_yr": float(carbon[kind == "ev_attributed"].sum()),
            "lifetime_tco2e": lifetime, "capex_gbp": capex,
            "cost_per_lifetime_tco2e_gbp": capex / lifetime if lifetime > 0 else math.nan,
            "npv_gbp": npv_gbp}


def _lifetime(chosen: pd.DataFrame) -> float:
    """Lifetime tCO2e, each candidate's from its build year (NaN when none is given)."""
    when = pd.to_numeric(chosen["build_year"], errors="coerce") if "build_year" in chosen \
        else pd.Series(np.nan, index=chosen.index)
    total, found = 0.0, False
    for year in sorted(set(when.dropna().astype(int))):
        column = f"{LIFETIME_PREFIX}{year}"
        if column in chosen.columns:
            found = True
            rows = (when == year).to_numpy()
            total += float(pd.to_numeric(chosen.loc[rows, column], errors="coerce")
                           .fillna(0.0).sum())
    return total if found else math.nan


def sensitivity_table(chosen: pd.DataFrame, tables: Mapping[str, pd.DataFrame],
                      bounds: Sequence[Bound], finance: FinanceAssumptions,
                      other_capex: pd.DataFrame | None = None, *,
                      rebuild: BuildingRebuild | None = None) -> pd.DataFrame:
    """Each headline figure at each bound's low and high value, the plan held fixed.

    Parameters
    ----------
    chosen : pandas.DataFrame
        Selected candidates of every workstream (``workstream``, ``cost_gbp``,
        ``tco2e_per_yr`` and the finance columns; ``lifetime_tco2e_<year>`` and
        ``build_year`` for lifetime carbon).
    tables : Mapping[str, pandas.DataFrame]
        The assumption tables the bounds come from (for the match columns).
    bounds : sequence of Bound
        From :func:`bounded_values`.
    finance : FinanceAssumptions
    other_capex : pandas.DataFrame, optional
    rebuild : BuildingRebuild, optional
        Recomputes the bounds of the tables it can change exactly (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per bound and figure: ``table``, ``key``, ``column``, ``low``, ``base``,
        ``high``, ``figure``, ``label``, ``at_base``, ``at_low``, ``at_high``, ``swing``,
        ``status``; bounds in the order given (the archetype heat entry last).
    """
    chosen = _slim(chosen)
    base = headline_figures(chosen, finance, other_capex)
    rows: list[dict[str, object]] = []
    checked: dict[str, str] = {}
    for bound in _series_collapsed(bounds):
        if rebuild is not None and bound.table in rebuild.names and (
                bound.table in SERIES or (bound.table, bound.column) not in RESPONSES):
            rows += _rebuilt(chosen, tables[bound.table], bound, rebuild, checked, base,
                             finance, other_capex)
            continue
        if bound.table in SERIES_TABLES:
            rows += _rows(bound, base, None, None, SERIES_TABLES[bound.table])
            continue
        response = RESPONSES.get((bound.table, bound.column))
        unknown = _unhandled(bound, response, tables)
        if response is None or unknown:
            rows += _rows(bound, base, None, None, unknown or "not recomputed: no response is "
                          "registered for this column (geoplan.planning.sensitivity.RESPONSES)")
            continue
        ends = [base, base] if response.form == "grid_only" else [
            _at(chosen, tables[bound.table], bound, value, response, finance, other_capex,
                base) for value in (bound.low, bound.high)]
        rows += _rows(bound, base, ends[0], ends[1], STATUS_DONE)
    heat = _stock_heat(chosen, base, finance)
    rows += heat
    columns = ["table", "key", "column", "low", "base", "high", "figure", "label", "at_base",
               "at_low", "at_high", "swing", "status"]
    return pd.DataFrame(rows, columns=columns)


def _rebuilt(chosen: pd.DataFrame, table: pd.DataFrame, bound: Bound, rebuild: BuildingRebuild,
             checked: dict[str, str], base: Mapping[str, float], finance: FinanceAssumptions,
             other_capex: pd.DataFrame | None) -> list[dict[str, object]]:
    """Rows of a bound recomputed by rebuilding the chosen buildings candidates."""
    frames, why = rebuilt_frames(chosen, bound.table, table, (bound.column, bound.row),
                                 rebuild, checked)
    if why:
        return _rows(bound, base, None, None, why)
    ends = [headline_figures(frame, finance, other_capex) for frame in frames]
    return _rows(bound, base, ends[0], ends[1], STATUS_DONE)


def _series_collapsed(bounds: Sequence[Bound]) -> list[Bound]:
    """Return ``bounds``, each :data:`SERIES_TABLES` column's rows made one ``all rows`` entry."""
    out: list[Bound] = []
    seen = set()
    for bound in bounds:
        if bound.table not in SERIES_TABLES:
            out.append(bound)
        elif (bound.table, bound.column) not in seen:
            seen.add((bound.table, bound.column))
            out.append(Bound(bound.table, "all rows", bound.column, -1, math.nan, math.nan,
                             math.nan))
    return out


def _rows(bound: Bound, base: Mapping[str, float], low: Mapping[str, float] | None,
          high: Mapping[str, float] | None, status: str) -> list[dict[str, object]]:
    out = []
    for figure, label in FIGURES.items():
        at_low = math.nan if low is None else low[figure]
        at_high = math.nan if high is None else high[figure]
        out.append({"table": bound.table, "key": bound.key, "column": bound.column,
                    "low": bound.low, "base": bound.base, "high": bound.high,
                    "figure": figure, "label": label, "at_base": base[figure],
                    "at_low": at_low, "at_high": at_high,
                    "swing": abs(at_high - at_low), "status": status})
    return out


def _at(chosen: pd.DataFrame, table: pd.DataFrame, bound: Bound, value: float,
        response: Response, finance: FinanceAssumptions,
        other_capex: pd.DataFrame | None, base: Mapping[str, float]) -> dict[str, float]:
    """Headline figures with ``bound`` set to ``value`` (``base``: the figures as they are)."""
    if response.form == "finance":
        item = str(table["item"].iloc[bound.row])
        if _MILESTONE.match(item):
            return dict(base)  # route-map milestones: no headline figure uses them
        whole = isinstance(getattr(finance, item), int)  # years: the nearest whole year
        change: dict[str, Any] = {item: round(value) if whole else value}
        changed = dataclasses.replace(finance, **change)
        return headline_figures(chosen, changed, other_capex)
    other = (float(pd.to_numeric(table[response.part], errors="coerce").iloc[bound.row])
             if response.form == "difference" and response.part else 0.0)
    factor = response_factor(bound.base, value, response.form, other)
    rows = chosen["workstream"].astype(str).isin(response.workstreams).to_numpy(copy=True)
    if response.match is not None:
        mine, theirs = response.match
        rows = (rows & equal_rows(chosen[mine], table[theirs].iloc[bound.row])
                if mine in chosen.columns else np.zeros(len(chosen), dtype=bool))
    if not rows.any():  # no chosen candidate uses the value: the figures stay
        return dict(base)
    if response.form == "cost":
        return headline_figures(_costed(chosen, rows, factor, str(response.part)), finance,
                                other_capex)
    return headline_figures(_scaled(chosen, rows, factor), finance, other_capex,
                            npv_gbp=base["npv_gbp"])


def _costed(chosen: pd.DataFrame, rows: np.ndarray, factor: float, part: str) -> pd.DataFrame:
    """``chosen`` with the ``part`` of ``cost_gbp`` on ``rows`` multiplied by ``factor``."""
    out = chosen.copy()
    if part not in out.columns:
        return out
    share = pd.to_numeric(out[part], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    cost = pd.to_numeric(out["cost_gbp"], errors="coerce").to_numpy(dtype=float)
    out["cost_gbp"] = cost + np.where(rows, share * (factor - 1.0), 0.0)
    out[part] = np.where(rows, share * factor, share)
    return out


_KEEP = ("candidate_id", "workstream", "district_id", "selected", "period", "build_year",
         "cost_gbp", "saving_gbp_per_yr", "lifetime_years")


def _slim(chosen: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns the figures and the matches use, without geometry (cheap to copy)."""
    match = {mine for response in RESPONSES.values() if response.match
             for mine in response.match[:1]}
    match |= {response.part for response in RESPONSES.values() if response.part}
    keep = [c for c in chosen.columns
            if c in _KEEP or c in match or CARBON_COLUMN.match(str(c))]
    return pd.DataFrame({c: chosen[c].to_numpy() for c in keep}, index=range(len(chosen)))


_MILESTONE = re.compile(r"^milestone_\d{4}$")


def _unhandled(bound: Bound, response: Response | None, tables: Mapping[str, pd.DataFrame]
               ) -> str:
    """Why a registered response cannot recompute ``bound`` ("" when it can)."""
    if response is not None and response.item is not None:
        items = tables[bound.table].get("item")
        item = "" if items is None else str(items.iloc[bound.row])
        return "" if item == response.item else (
            f"not recomputed: {bound.table} item {item!r} has no response (only "
            f"{response.item!r} does)")
    if response is None or response.form != "finance":
        return ""
    table = tables[bound.table]
    item = str(table["item"].iloc[bound.row]) if "item" in table.columns else ""
    fields = {f.name for f in dataclasses.fields(FinanceAssumptions)} - {"milestones"}
    if item in fields or _MILESTONE.match(item):
        return ""
    return (f"not recomputed: finance item {item!r} is no field of "
            "geoplan.planning.finance.FinanceAssumptions")


def _scaled(chosen: pd.DataFrame, rows: np.ndarray, factor: np.ndarray | float
            ) -> pd.DataFrame:
    """``chosen`` with the carbon columns of ``rows`` multiplied by ``factor``."""
    out = chosen.copy()
    scale = np.where(rows, factor, 1.0)
    for column in [c for c in out.columns if CARBON_COLUMN.match(str(c))]:
        values = pd.to_numeric(out[column], errors="coerce").to_numpy(dtype=float)
        out[column] = values * scale
    return out


def _stock_heat(chosen: pd.DataFrame, base: Mapping[str, float], finance: FinanceAssumptions
                ) -> list[dict[str, object]]:
    """Return the archetype heat demand entry, when chosen candidates carry bounds."""
    if not {"tco2e_per_yr_low", "tco2e_per_yr_high"} <= set(chosen.columns):
        return []
    central = pd.to_numeric(chosen["tco2e_per_yr"], errors="coerce").to_numpy(dtype=float)
    ratios = []
    for side in ("low", "high"):
        bound = pd.to_numeric(chosen[f"tco2e_per_yr_{side}"], errors="coerce").to_numpy(float)
        usable = np.isfinite(bound) & np.isfinite(central) & (central != 0)
        ratios.append(np.where(usable, bound / np.where(usable, central, 1.0), 1.0))
    if all(np.all(r == 1.0) for r in ratios):
        return []
    every = np.ones(len(chosen), dtype=bool)
    ends = [headline_figures(_scaled(chosen, every, r), finance, npv_gbp=base["npv_gbp"])
            for r in ratios]
    entry = Bound(STOCK_HEAT[0], STOCK_HEAT[1], STOCK_HEAT[2], -1, math.nan, math.nan, math.nan)
    return _rows(entry, base, ends[0], ends[1], STATUS_DONE)
