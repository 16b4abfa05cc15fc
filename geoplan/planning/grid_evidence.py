r"""Grid evidence: what each substation's headroom stops the plan from doing, per milestone year.

For every substation :math:`s` that limits the plan (every level of a served chain with a
figure) and milestone year :math:`y`:

* **Effective headroom** :math:`e_{sy} = \max(h_{sy}, 0)`, the limit the optimiser applies
  (:class:`geoplan.optimise.Headroom` never asks a load-adding plan to pay back a deficit), plus
  the gain of reinforcement the plan bought, needs and has ready by :math:`y`
  (:math:`\max(h_{sy} + c, 0) - \max(h_{sy}, 0)` for capacity :math:`c`).
* **Net added load** :math:`L_{sy}`: the peak kW of every chosen candidate built by :math:`y`
  whose serving substation is :math:`s` or lies below it (negative loads included); the
  **remaining** headroom is :math:`r_{sy} = e_{sy} - L_{sy}`.
* A load-adding candidate :math:`j` (``peak_kw_added`` > 0) served through :math:`s`, when
  no load-adding option of its demand unit (below) is built by :math:`y`, is **blocked** at
  :math:`(s, y)` when :math:`\ell_j > r_{sy}`: the substation alone stops it that year. It
  is blocked **before the model** when :math:`h_{sy} \le 0` and no reinforcement option is
  offered at :math:`s` (the optimiser's row then has limit 0, so no load-adding candidate
  below can ever be chosen, whatever else the plan does); otherwise the model **could not
  fit** it beside the loads it chose.

Options are alternatives. A zone's heat pumps are offered by retrofit and by LAEP, a car park
has six charger options, and one option per group (``group_id``) can be chosen, so kW and
tCO2e are counted per **demand unit** (a group, or a candidate without one) through
:math:`s`, never summed over alternatives. A unit's *representative* option is the chosen one
when a load-adding option of the unit is built by :math:`y` (the unit is **added**), else its
load-adding option with the most tCO2e/yr (then the larger load, then the id). The unit is
**blocked** when its representative is blocked, else **other** (it fits here but was not
chosen: the budget, another substation, or it was not worth it). Hence, per substation, year
and workstream (the representative's), exactly

.. math::  \text{wanted} = \text{added} + \text{blocked} + \text{other}

in units, kW and tCO2e/yr. ``wanted_options`` and ``blocked_options`` count options, as a
candidate table does. Totals over substations count a unit once per substation it passes.

**Unlocking** :math:`(s, y)`: the capacity :math:`c` with :math:`\max(h_{sy} + c, 0) \ge
L_{sy} + B_{sy}` for the blocked kW :math:`B_{sy}` (less capacity already bought and ready),
i.e. :math:`c = \max(0, L_{sy} + B_{sy} - h_{sy} - c_{\text{bought}})` kW, in MVA with the
power factor; priced with the ``grid_reinforcement`` assumption table in whole options of the
level's size (``capacity_mva`` at ``cost_gbp_per_mva``; the table's source column says the
shipped figures are indicative), ready ``lead_time_years`` after the first milestone. Before
that year the same kW must come from flexibility (``flexibility_kw``). Each substation is
unlocked on its own; a blocked ancestor may still stop the load.

**Flexibility priced** (the ``grid_flexibility`` assumption table, row ``peak_reduction``):
one kW of peak reduction for a year costs :math:`p = P \cdot H / 1000` GBP for a price
:math:`P` GBP/MWh delivered and :math:`H` hours a year called (:func:`flexibility_price`).
Beside the reinforcement cost, each substation and year shows ``flexibility_gbp_per_yr``
:math:`= p \cdot` ``flexibility_kw`` (the flexibility needed that year because reinforcement
is not ready), ``unlock_flexibility_gbp_per_yr`` :math:`= p \cdot` ``unlock_kw`` (buying the
whole unlock from flexibility instead, for one year) and ``flexibility_breakeven_years``
:math:`=` ``reinforcement_gbp`` / ``unlock_flexibility_gbp_per_yr`` (years of flexibility
that cost as much as the reinforcement, undiscounted).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable
from geoplan.errors import ScenarioError
from geoplan.layers.grid import ancestors_of

__all__ = ["ALL", "EVIDENCE_COLUMNS", "FLEXIBILITY_SERVICE", "GRID_FLEXIBILITY", "GridEvidence",
           "blocked_records", "flexibility_price", "grid_evidence", "unlock_costs"]

GRID_FLEXIBILITY = AssumptionTable(
    "grid_flexibility", key=("service",),
    numbers={"price_gbp_per_mwh": 0.0, "price_gbp_per_mwh_low": 0.0,
             "price_gbp_per_mwh_high": 0.0, "hours_per_yr": 0.0, "hours_per_yr_low": 0.0,
             "hours_per_yr_high": 0.0})
"""The price of buying peak reduction from flexibility providers, and the hours it is called."""

FLEXIBILITY_SERVICE = "peak_reduction"
"""Row of ``grid_flexibility`` that prices the flexibility grid evidence asks for."""

ALL = "all"
CHARGERS = "chargers"
"""The workstream whose sites share the EVs within their reach."""
SharedReach = Callable[[Sequence[str]], float]
"""Candidate ids -> the demand within reach of any of them, each demand point once."""
"""Workstream label of the rows summing every workstream of a substation and year."""

_TOL = 1e-6

EVIDENCE_COLUMNS: Mapping[str, str] = {
    "substation_id": "substation id",
    "name": "substation name",
    "level": "gsp, bsp, primary or secondary",
    "year": "milestone year",
    "workstream": f"workstream of the demand units ({ALL!r}: every workstream)",
    "headroom_kw": "the DNO scenario's headroom, kW (negative: already short)",
    "effective_headroom_kw": "limit the plan was given, kW: max(headroom, 0) + reinforcement "
                             "bought and ready",
    "net_added_kw": "net peak load of chosen candidates built by the year, kW",
    "remaining_kw": "effective headroom less net added load, kW",
    "wanted_units": "demand units (groups of alternative options) that add load here",
    "wanted_options": "load-adding options served through here",
    "wanted_kw": "peak load the plan wanted to add here, kW (one option per unit)",
    "wanted_tco2e_per_yr": "carbon those units would save, tCO2e/yr",
    "added_units": "units with a load-adding option chosen and built by the year",
    "added_kw": "peak load of those options, kW",
    "added_tco2e_per_yr": "their carbon saving, tCO2e/yr",
    "blocked_units": "units whose best option does not fit the remaining headroom here",
    "blocked_options": "load-adding options not chosen that do not fit here",
    "blocked_kw": "peak load of the blocked units' best options, kW",
    "blocked_tco2e_per_yr": "carbon saving lost to the block, tCO2e/yr",
    "blocked_before_model_units": "blocked units excluded before the model (headroom <= 0, "
                                  "no reinforcement offered)",
    "blocked_before_model_kw": "their peak load, kW",
    "other_units": "units that fit here but were not chosen (budget, another substation, value)",
    "other_kw": "their peak load, kW",
    "other_tco2e_per_yr": "their carbon saving, tCO2e/yr",
    "unlock_kw": "capacity that would let every blocked unit fit here, kW",
    "unlock_mva": "the same in MVA (power factor of grid_units)",
    "reinforcement_options": "whole reinforcement options of the level's size needed",
    "reinforcement_gbp": "their cost at the assumed cost per MVA, GBP (grid_reinforcement)",
    "reinforcement_ready_year": "first year such reinforcement can be ready",
    "flexibility_kw": "kW flexibility must shift at peak until reinforcement is ready",
    "flexibility_gbp_per_yr": "cost of that flexibility for one year, GBP/yr (grid_flexibility)",
    "unlock_flexibility_gbp_per_yr": "cost of unlocking every blocked kW with flexibility "
                                     "instead of reinforcement, for one year, GBP/yr",
    "flexibility_breakeven_years": "reinforcement cost / yearly cost of the same kW from "
                                   "flexibility: years after which reinforcing is cheaper",
}
"""Columns of the evidence table and what each means (units in the names)."""


@dataclass(frozen=True)
class GridEvidence:
    """What :func:`grid_evidence` found.

    Attributes
    ----------
    table : pandas.DataFrame
        Long format: one row per substation, year and workstream (plus ``all``), columns
        :data:`EVIDENCE_COLUMNS`, then the value columns of :mod:`.grid_value` when
        evaluated.
    blocked : pandas.DataFrame
        One row per blocked option, substation and year: ``candidate_id``, ``workstream``,
        ``unit_id``, ``serving_substation_id``, ``substation_id``, ``year``,
        ``peak_kw_added``, ``tco2e_per_yr``, ``cause`` (``before model`` or ``not fitted``).
    load_adding : int
        Load-adding options in the plan.
    notes : tuple of str
        Facts worth reporting (which values were not evaluated...).
    """

    table: pd.DataFrame
    blocked: pd.DataFrame
    load_adding: int = 0
    notes: tuple[str, ...] = field(default=())

    def totals(self) -> pd.DataFrame:
        """Return the ``all`` rows: one per substation and year."""
        return self.table[self.table["workstream"] == ALL].reset_index(drop=True)

    def blocking(self) -> tuple[str, ...]:
        """Substations that block a load-adding option in some year."""
        return tuple(sorted(set(self.blocked["substation_id"].astype(str))))

    def blocked_candidates(self, cause: str | None = None) -> int:
        """Distinct options blocked somewhere in some year (only ``cause`` when given)."""
        rows = self.blocked if cause is None else self.blocked[self.blocked["cause"] == cause]
        return int(rows["candidate_id"].nunique())


def _chains(subs: Iterable[str], graph: nx.DiGraph | None, limited: set[str]
            ) -> dict[str, list[str]]:
    out = {}
    for sub in subs:
        chain = [sub, *(ancestors_of(graph, sub) if graph is not None and sub in graph else [])]
        out[sub] = [s for s in chain if s in limited]
    return out


def _candidates(plan: pd.DataFrame, first_year: int) -> pd.DataFrame:
    """Return the columns the evidence needs, cleaned: load, carbon, unit, built year."""
    sub = plan["substation_id"].astype(object).where(plan["substation_id"].notna(), "")
    group = (plan["group_id"].astype(object).where(plan["group_id"].notna(), "")
             if "group_id" in plan.columns else pd.Series("", index=plan.index))
    group = group.astype(str)
    ids = plan["candidate_id"].astype(str)
    chosen = plan["selected"].fillna(False).astype(bool).to_numpy()
    period = (pd.to_numeric(plan["period"], errors="coerce").to_numpy(float)
              if "period" in plan.columns else np.full(len(plan), np.nan))
    built = np.where(chosen, np.where(np.isfinite(period) & (period > 0), period, first_year),
                     np.inf)
    carbon = (pd.to_numeric(plan["tco2e_per_yr"], errors="coerce").fillna(0.0)
              if "tco2e_per_yr" in plan.columns else pd.Series(0.0, index=plan.index))
    reach = (pd.to_numeric(plan["demand_covered"], errors="coerce")
             if "demand_covered" in plan.columns else pd.Series(np.nan, index=plan.index))
    if "evs_served" in plan.columns:  # a chosen site's tonnes follow the EVs it serves
        reach = pd.to_numeric(plan["evs_served"], errors="coerce").where(
            pd.Series(chosen, index=plan.index), reach)
    return pd.DataFrame({
        "candidate_id": ids.to_numpy(), "workstream": plan["workstream"].astype(str).to_numpy(),
        "unit_id": np.where(group.str.strip() != "", group, ids),
        "serving_substation_id": sub.astype(str).replace({"nan": "", "None": ""}).to_numpy(),
        "peak_kw_added": pd.to_numeric(plan["peak_kw_added"], errors="coerce").fillna(0.0)
        .to_numpy(float),
        "tco2e_per_yr": carbon.to_numpy(float), "evs": reach.fillna(0.0).to_numpy(float),
        "built": built})


def _limits(limits: pd.DataFrame, years: list[int],
            bought: pd.DataFrame | None) -> pd.DataFrame:
    """Headroom, bought capacity and effective headroom per substation and year."""
    table = limits[limits["year"].isin(years)].copy()
    table["substation_id"] = table["substation_id"].astype(str)
    table = table.groupby(["substation_id", "year"], as_index=False)["headroom_kw"].min()
    table["bought_kw"] = 0.0
    if bought is not None and len(bought):
        ready = pd.to_numeric(bought["ready_year"], errors="coerce").to_numpy(float)
        for sub, cap, when in zip(bought["substation_id"].astype(str),
                                  bought["capacity_kw"].astype(float), ready, strict=True):
            rows = (table["substation_id"] == sub) & (table["year"] >= when)
            table.loc[rows, "bought_kw"] += cap
    h = table["headroom_kw"].to_numpy(float)
    table["effective_headroom_kw"] = np.maximum(h + table["bought_kw"].to_numpy(float), 0.0)
    return table


def blocked_records(plan: pd.DataFrame, limits: pd.DataFrame, years: Iterable[int], *,
                    graph: nx.DiGraph | None = None, bought: pd.DataFrame | None = None,
                    offered: Iterable[str] = ()) -> pd.DataFrame:
    """One row per load-adding option, limiting substation and year (module docstring).

    Parameters
    ----------
    plan : pandas.DataFrame
        Every workstream's solved candidates (``candidate_id``, ``workstream``,
        ``substation_id``, ``peak_kw_added``, ``selected`` and optionally ``group_id``,
        ``period``, ``tco2e_per_yr``).
    limits : pandas.DataFrame
        ``substation_id``, ``year``, ``headroom_kw``: what the optimiser received.
    years : iterable of int
        Milestone years.
    graph : networkx.DiGraph, optional
        Grid graph (parent -> child): loads count at every ancestor too.
    bought : pandas.DataFrame, optional
        Reinforcement bought and needed: ``substation_id``, ``capacity_kw``, ``ready_year``
        (the year the plan bought it in).
    offered : iterable of str
        Substations where the model was offered reinforcement.

    Returns
    -------
    pandas.DataFrame
        The candidate columns plus ``substation_id``, ``year``, ``headroom_kw``,
        ``effective_headroom_kw``, ``net_added_kw``, ``remaining_kw``, ``built_by``,
        ``blocked`` and ``cause``.
    """
    years = sorted(int(y) for y in years)
    cands = _candidates(plan, years[0])
    room = _limits(limits, years, bought)
    chains = _chains(sorted(set(cands["serving_substation_id"]) - {""}), graph,
                     set(room["substation_id"]))
    pairs = [(i, s) for i, sub in enumerate(cands["serving_substation_id"])
             for s in chains.get(sub, [])]
    links = pd.DataFrame(pairs, columns=["row", "substation_id"])
    links = links.join(cands, on="row").merge(pd.DataFrame({"year": years}), how="cross")
    built_by = links["built"].to_numpy(float) <= links["year"].to_numpy(float)
    load = links["peak_kw_added"].to_numpy(float)
    net = (links.assign(_l=np.where(built_by, load, 0.0))
           .groupby(["substation_id", "year"], as_index=False)["_l"].sum()
           .rename(columns={"_l": "net_added_kw"}))
    room = room.merge(net, on=["substation_id", "year"], how="left").fillna({"net_added_kw": 0.0})
    room["remaining_kw"] = room["effective_headroom_kw"] - room["net_added_kw"]
    links = links.assign(built_by=built_by).merge(room, on=["substation_id", "year"], how="left")
    links = links[links["peak_kw_added"] > _TOL].drop(columns=["row", "built"])
    added = links.groupby(["substation_id", "year", "unit_id"])["built_by"].transform("any")
    blocked = ~added & (links["peak_kw_added"] > links["remaining_kw"] + _TOL)
    excluded = (links["headroom_kw"] <= 0) & ~links["substation_id"].isin(set(offered))
    links["blocked"] = blocked.to_numpy()
    links["cause"] = np.where(~blocked, "", np.where(excluded, "before model", "not fitted"))
    links.attrs["room"] = room
    return links.sort_values(["substation_id", "year", "candidate_id"]).reset_index(drop=True)


def _units(links: pd.DataFrame) -> pd.DataFrame:
    """One row per substation, year and demand unit, with its representative option."""
    order = links.assign(_b=links["built_by"].astype(int)).sort_values(
        ["substation_id", "year", "unit_id", "_b", "tco2e_per_yr", "peak_kw_added",
         "candidate_id"], ascending=[True, True, True, False, False, False, True],
        kind="stable")
    keys = ["substation_id", "year", "unit_id"]
    units = order.drop_duplicates(keys).drop(columns="_b").copy()
    counts = links.groupby(keys).agg(options=("candidate_id", "size"),
                                     blocked_options=("blocked", "sum"))
    units = units.join(counts, on=keys)
    units["status"] = np.where(units["built_by"], "added",
                               np.where(units["blocked"], "blocked", "other"))
    units["before"] = (units["status"] == "blocked") & (units["cause"] == "before model")
    return units


def _once(rows: pd.DataFrame, keys: list[str], shared: SharedReach | None) -> pd.Series:
    """Tonnes of each group, a charger site's EVs counted once over the group's sites.

    A charger site's tonnes are worth its EVs (``evs``: those it serves when chosen, else
    those within its reach); sites of one group that reach the same EVs share them, so the
    group's charger tonnes are at most its highest tonnes per EV times the EVs within reach
    of its sites, once each (``shared``), and never more than their own figures added up
    (a capacity-capped site claims less than it reaches).
    """
    tonnes = rows.groupby(keys)["tco2e_per_yr"].sum()
    sites = rows[(rows["workstream"] == CHARGERS) & (rows["evs"] > 0)]
    if shared is None or sites.empty:
        return tonnes
    sites = sites.assign(_per_ev=sites["tco2e_per_yr"] / sites["evs"])
    groups = sites.groupby(keys)
    summed = groups["tco2e_per_yr"].sum()
    per_ev = groups["_per_ev"].max()
    once = pd.Series([shared(ids) for ids in groups["candidate_id"].agg(list)],
                     index=summed.index)
    fix = np.minimum(summed, per_ev * once) - summed
    return tonnes + fix.reindex(tonnes.index, fill_value=0.0)


def _sums(units: pd.DataFrame, keys: list[str],
          shared: SharedReach | None = None) -> pd.DataFrame:
    def part(mask: pd.Series, prefix: str) -> pd.DataFrame:
        rows = units[mask]
        out = rows.groupby(keys).agg(**{
            f"{prefix}_units": ("unit_id", "size"), f"{prefix}_kw": ("peak_kw_added", "sum")})
        out[f"{prefix}_tco2e_per_yr"] = _once(rows, keys, shared)
        return out

    every = pd.Series(True, index=units.index)
    out = pd.concat([part(every, "wanted"), part(units["status"] == "added", "added"),
                     part(units["status"] == "blocked", "blocked"),
                     part(units["status"] == "other", "other")], axis=1)
    before = units[units["before"]].groupby(keys).agg(
        blocked_before_model_units=("unit_id", "size"),
        blocked_before_model_kw=("peak_kw_added", "sum"))
    options = units.groupby(keys).agg(wanted_options=("options", "sum"),
                                      blocked_options=("blocked_options", "sum"))
    return pd.concat([out, before, options], axis=1).fillna(0.0)


def flexibility_price(table: pd.DataFrame | None, level: str = "") -> float | None:
    """GBP per kW of peak reduction per year: ``price_gbp_per_mwh * hours_per_yr / 1000``.

    Parameters
    ----------
    table : pandas.DataFrame or None
        The ``grid_flexibility`` table (None: flexibility is not priced).
    level : {"", "low", "high"}
        Which figures: the central ones, or both ``_low`` (``_high``) bounds.

    Raises
    ------
    ScenarioError
        The table has no :data:`FLEXIBILITY_SERVICE` row.

    Examples
    --------
    >>> flexibility_price(pd.DataFrame({"service": ["peak_reduction"],
    ...                                 "price_gbp_per_mwh": [200.0], "hours_per_yr": [120.0]}))
    24.0
    """
    if table is None:
        return None
    rows = table[table["service"].astype(str) == FLEXIBILITY_SERVICE]
    if rows.empty:
        where = table.attrs.get("path", "the grid_flexibility table")
        raise ScenarioError(
            f"{where}: no row with service {FLEXIBILITY_SERVICE!r} (services: "
            f"{sorted(table['service'].astype(str))}); fix: add that row, priced in GBP/MWh "
            "with the hours a year it is called")
    suffix = f"_{level}" if level else ""
    row = rows.iloc[0]
    return float(row[f"price_gbp_per_mwh{suffix}"]) * float(row[f"hours_per_yr{suffix}"]) / 1000.0


def unlock_costs(table: pd.DataFrame, levels: Mapping[str, str], costs: pd.DataFrame | None,
                 power_factor: float, first_year: int,
                 flexibility_gbp_per_kw_yr: float | None = None) -> pd.DataFrame:
    """Add the unlock columns (module docstring) to substation-year rows.

    ``table`` needs ``substation_id``, ``year``, ``headroom_kw``, ``bought_kw``,
    ``net_added_kw`` and ``blocked_kw``; ``costs`` is the ``grid_reinforcement`` table
    (``level``, ``capacity_mva``, ``cost_gbp_per_mva``, ``lead_time_years``);
    ``flexibility_gbp_per_kw_yr`` the price of flexibility (:func:`flexibility_price`; None:
    the flexibility columns are blank).
    """
    out = table.copy()
    need = (out["net_added_kw"] + out["blocked_kw"] - out["headroom_kw"] - out["bought_kw"])
    out["unlock_kw"] = np.where(out["blocked_kw"] > _TOL, np.maximum(need, 0.0), 0.0)
    out["unlock_mva"] = out["unlock_kw"] / (power_factor * 1000.0)
    priced = ({} if costs is None else
              {str(r["level"]): r for r in costs.to_dict("records")})
    units, gbp, ready = [], [], []
    for sub, mva in zip(out["substation_id"], out["unlock_mva"], strict=True):
        row = priced.get(levels.get(str(sub), ""))
        if row is None or mva <= _TOL:
            units.append(0 if row is not None or mva <= _TOL else np.nan)
            gbp.append(0.0 if row is not None or mva <= _TOL else np.nan)
            ready.append(np.nan if row is None else first_year + float(row["lead_time_years"]))
            continue
        size = float(row["capacity_mva"])
        count = math.ceil(mva / size - 1e-9)
        units.append(count)
        gbp.append(count * size * float(row["cost_gbp_per_mva"]))
        ready.append(first_year + float(row["lead_time_years"]))
    out["reinforcement_options"] = np.asarray(units, dtype=float)
    out["reinforcement_gbp"] = np.asarray(gbp, dtype=float)
    out["reinforcement_ready_year"] = np.asarray(ready, dtype=float)
    late = ~(out["reinforcement_ready_year"] <= out["year"])
    out["flexibility_kw"] = np.where(late, out["unlock_kw"], 0.0)
    return _flexibility_costs(out, flexibility_gbp_per_kw_yr)


def _flexibility_costs(out: pd.DataFrame, price: float | None) -> pd.DataFrame:
    """Add the flexibility cost columns (module docstring); blank when unpriced."""
    price = np.nan if price is None else float(price)
    out["flexibility_gbp_per_yr"] = out["flexibility_kw"] * price
    yearly = out["unlock_kw"] * price
    out["unlock_flexibility_gbp_per_yr"] = yearly
    gbp = out["reinforcement_gbp"].to_numpy(float)
    per_yr = yearly.to_numpy(float)
    ok = np.isfinite(gbp) & (per_yr > _TOL)
    out["flexibility_breakeven_years"] = np.divide(gbp, per_yr, out=np.full(len(out), np.nan),
                                                   where=ok)
    return out


def grid_evidence(plan: pd.DataFrame, limits: pd.DataFrame, years: Iterable[int], *,
                  graph: nx.DiGraph | None = None, substations: pd.DataFrame | None = None,
                  bought: pd.DataFrame | None = None, offered: Iterable[str] = (),
                  costs: pd.DataFrame | None = None, power_factor: float = 1.0,
                  flexibility: pd.DataFrame | None = None,
                  shared: SharedReach | None = None) -> GridEvidence:
    """Build the grid evidence of a solved plan (module docstring).

    Parameters
    ----------
    plan, limits, years, graph, bought, offered
        As for :func:`blocked_records`.
    substations : pandas.DataFrame, optional
        ``substation_id``, ``name``, ``level`` (names, levels and pricing).
    costs : pandas.DataFrame, optional
        The ``grid_reinforcement`` assumption table.
    power_factor : float
        kW per kVA (``grid_units``).
    flexibility : pandas.DataFrame, optional
        The ``grid_flexibility`` assumption table (prices the flexibility columns).
    shared : callable, optional
        Charger candidate ids -> the EVs within reach of them, each counted once
        (:func:`geoplan.planning.charger_reach.shared_reach`): the tonnes of a substation's
        charger sites then count each EV once (without it, each site's own figure).
    """
    years = sorted(int(y) for y in years)
    links = blocked_records(plan, limits, years, graph=graph, bought=bought, offered=offered)
    room: pd.DataFrame = links.attrs["room"]
    units = _units(links)
    keys = ["substation_id", "year"]
    by_ws = _sums(units, [*keys, "workstream"], shared).reset_index()
    total = _sums(units, keys, shared).reset_index().assign(workstream=ALL)
    table = pd.concat([total, by_ws], ignore_index=True)
    table = table.merge(room, on=keys, how="left")
    names, levels = _names(substations)
    table = unlock_costs(table, levels, costs, power_factor, years[0],
                         flexibility_price(flexibility))
    table = table[table["workstream"] == ALL].pipe(lambda t: pd.concat(
        [t, _without_unlock(table[table["workstream"] != ALL])]))
    table["name"] = [names.get(s, "") for s in table["substation_id"]]
    table["level"] = [levels.get(s, "") for s in table["substation_id"]]
    order = {ALL: 0}
    table = table.assign(_w=table["workstream"].map(order).fillna(1)).sort_values(
        ["substation_id", "year", "_w", "workstream"], kind="stable")
    table = table[list(EVIDENCE_COLUMNS)].reset_index(drop=True)
    counts = [c for c in table.columns if c.endswith("_units")]
    counts += ["wanted_options", "blocked_options"]
    table[counts] = table[counts].astype("int64")
    blocked = links[links["blocked"]][[
        "candidate_id", "workstream", "unit_id", "serving_substation_id", "substation_id",
        "year", "peak_kw_added", "tco2e_per_yr", "cause"]].reset_index(drop=True)
    load_adding = int(pd.to_numeric(plan["peak_kw_added"], errors="coerce").gt(_TOL).sum())
    return GridEvidence(table, blocked, load_adding)


def _without_unlock(rows: pd.DataFrame) -> pd.DataFrame:
    """Workstream rows: unlocking is per substation, so it is on the ``all`` rows only."""
    out = rows.copy()
    for column in ("unlock_kw", "unlock_mva", "reinforcement_options", "reinforcement_gbp",
                   "reinforcement_ready_year", "flexibility_kw", "flexibility_gbp_per_yr",
                   "unlock_flexibility_gbp_per_yr", "flexibility_breakeven_years"):
        out[column] = np.nan
    return out


def _names(substations: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    if substations is None or substations.empty:
        return {}, {}
    ids = substations["substation_id"].astype(str)
    names = (substations["name"].astype(str) if "name" in substations.columns else ids)
    levels = (substations["level"].astype(str) if "level" in substations.columns
              else pd.Series("", index=ids.index))
    return (dict(zip(ids, names, strict=True)), dict(zip(ids, levels, strict=True)))
