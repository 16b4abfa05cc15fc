r"""Decision support for a solved run: replacement cost, value of limits, portfolio, robustness.

:func:`decision_support` applies :mod:`geoplan.optimise.alternatives` and
:mod:`geoplan.optimise.robustness` to each solved model of a :class:`PlanResult` (the joint
plan, or each workstream's in ``separate`` mode), as the scenario's ``decision_support``
section asks (every part is off by default):

- ``replacement_cost.top``: the objective lost when each of the top chosen candidates (by the
  ranking's loss if removed) is forced out and the plan re-optimised;
- ``limit_values``: the objective gained by one more ``budget_step_gbp`` of each binding
  budget row and one more ``headroom_step_mva`` at each binding substation, per milestone,
  by re-solving with the limit raised (MVA to kW with the ``grid_units`` power factor), and
  the step times the row's LP dual at the plan (``lp_dual_value``:
  :func:`geoplan.optimise.alternatives.plan_duals`);
- ``portfolio.plans`` / ``within``: distinct plans within that share of the best, and each
  candidate's frequency in them;
- ``robustness.samples``: re-plans under sampled inputs, each candidate's selection frequency
  and the robust core. What is sampled:

  * every bounded assumption value (``<column>_low``/``_high``) that
    :data:`geoplan.planning.sensitivity.RESPONSES` says scales the carbon of some candidates
    (sequestration rates and buffer, a charger's tCO2e per EV): one draw per value, shared
    by every candidate that uses it;
  * the land cost of sequestration (``sequestration.csv`` ``land_cost_gbp_per_ha_low`` /
    ``_high``): the land part of each candidate's cost, one draw per land use;
  * the archetype homes' heat demand (candidates' ``tco2e_per_yr_low``/``_high``), one
    shared draw;
  * the floor-area error of EPC certificates (``epc_errors.csv``, item
    ``floor_area_factor``): a home's carbon scales with its floor area; a zone of
    :math:`n` homes with independent errors gets a factor whose half-range is the home's
    divided by :math:`\sqrt{n}`, one draw per candidate of the buildings workstreams;
  * the headroom of each DFES scenario in ``robustness.dfes_scenarios`` (one drawn per
    sample, the plan's own included).

The objective values are in the plan's objective units (lifetime tCO2e with the default
objective).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionSet, AssumptionTable
from geoplan.errors import GeoplanError, ScenarioError
from geoplan.layers.prepare import PreparedLayers
from geoplan.optimise import SolverOptions
from geoplan.optimise.alternatives import limit_values, portfolio, replacement_costs
from geoplan.optimise.problem import CompiledProblem
from geoplan.optimise.robustness import Robustness, Scale, robustness
from geoplan.planning.bound_match import CARBON_COLUMN, equal_rows, response_factor
from geoplan.planning.headroom import mva_to_kw
from geoplan.planning.joint import JointPlan
from geoplan.planning.joint_scoping import SEP
from geoplan.planning.sensitivity import RESPONSES, SEQUESTRATION, Bound, assumption_bounds
from geoplan.planning.solve import PlanResult, grid_limits, grid_tables
from geoplan.scenario import Scenario

__all__ = ["BUILDINGS", "EPC_ERRORS", "LAND_COST", "DecisionSupport", "decision_support",
           "robustness_scales"]

EPC_ERRORS = AssumptionTable("epc_errors", key=("item",),
                             numbers={"value": 0.0, "value_low": 0.0, "value_high": 0.0},
                             text=("unit",))
"""Measurement errors of EPC certificates, with low/high bounds (robustness samples them)."""

LAND_COST = ("sequestration", "land_cost_gbp_per_ha")
"""The bounded cost assumption robustness samples: land bought for sequestration."""

BUILDINGS = ("retrofit", "laep")
"""Workstreams whose candidates are homes from EPC certificates or stock tables."""


@dataclass(frozen=True)
class DecisionSupport:
    """What :func:`decision_support` found, one frame per analysis (empty when off).

    Attributes
    ----------
    replacement : pandas.DataFrame
        ``model``, ``candidate_id``, ``marginal_value``, ``replacement_cost``,
        ``replacement_status``.
    limits : pandas.DataFrame
        ``model``, ``constraint``, ``family``, ``step``, ``unit``, ``value``, ``status``,
        ``method``.
    portfolio : pandas.DataFrame
        ``model``, ``plan``, ``objective``, ``selected``, ``candidate_ids``, ``status``.
    candidates : pandas.DataFrame
        ``model``, ``workstream``, ``candidate_id``, ``in_plan``, ``portfolio_frequency``,
        ``robust_frequency``, ``robust_core`` (NaN / False for analyses not run).
    notes : tuple of str
        One line per analysis run: what was done and how many samples or plans.
    """

    replacement: pd.DataFrame
    limits: pd.DataFrame
    portfolio: pd.DataFrame
    candidates: pd.DataFrame
    notes: tuple[str, ...]

    def columns_for(self, workstream: str) -> pd.DataFrame:
        """Per-candidate columns for one workstream's plan table, by ``candidate_id``."""
        rows = self.candidates[self.candidates["workstream"] == workstream]
        keep = ["candidate_id", "portfolio_frequency", "robust_frequency", "robust_core"]
        out = rows[keep].merge(self.replacement[["candidate_id", "replacement_cost"]],
                               on="candidate_id", how="left")
        return out.reset_index(drop=True)


def _options(scenario: Scenario) -> SolverOptions:
    solver, ds = scenario.solver, scenario.decision_support
    return SolverOptions(solver=solver.solver, time_limit=ds.time_limit_s, mip_gap=solver.gap,
                         node_limit=solver.node_limit)


def decision_support(scenario: Scenario, plans: PlanResult, layers: PreparedLayers,
                     assumptions: AssumptionSet) -> DecisionSupport | None:
    """Run the analyses the scenario's ``decision_support`` asks for (None: none asked).

    Raises
    ------
    ScenarioError
        When a DFES scenario of ``robustness.dfes_scenarios`` has no headroom figures.
    """
    ds = scenario.decision_support
    if not ds.any():
        return None
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in ("replacement", "limits",
                                                           "portfolio", "candidates")}
    notes: list[str] = []
    headroom = _dfes_alternatives(scenario, layers, assumptions)
    for name, joint in plans.plans.items():
        if joint.compiled is None or joint.x is None:
            continue
        found = _one_model(scenario, joint, assumptions, headroom, notes, name)
        for key, frame in found.items():
            frames[key].append(frame.assign(model=name) if len(frame) else frame)
    return DecisionSupport(_stack(frames["replacement"]), _stack(frames["limits"]),
                           _stack(frames["portfolio"]), _stack(frames["candidates"]),
                           tuple(notes))


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["model", *[c for c in out.columns if c != "model"]]]


def _one_model(scenario: Scenario, joint: JointPlan, assumptions: AssumptionSet,
               headroom: list[pd.DataFrame], notes: list[str], name: str
               ) -> dict[str, pd.DataFrame]:
    ds, options = scenario.decision_support, _options(scenario)
    compiled, x = joint.compiled, np.asarray(joint.x, float)
    table = compiled.problem.candidates
    selected = compiled.selection(x)[0]
    out: dict[str, pd.DataFrame] = {}
    candidates = pd.DataFrame({"workstream": table["workstream"].astype(str).to_numpy(),
                               "candidate_id": table["candidate_id"].astype(str).to_numpy(),
                               "in_plan": selected, "portfolio_frequency": np.nan,
                               "robust_frequency": np.nan, "robust_core": False})
    if ds.replacement_cost.top:
        out["replacement"] = replacement_costs(compiled, x, top=ds.replacement_cost.top,
                                               options=options)
        done = out["replacement"]["replacement_status"] != "not run"
        notes.append(f"{name}: replacement cost of {int(done.sum())} of the "
                     f"{int(selected.sum())} chosen candidates (re-solved without each)")
    if ds.limit_values.enabled:
        out["limits"] = _limits(scenario, compiled, x, assumptions, options)
        notes.append(f"{name}: value of {len(out['limits'])} binding limits, each by a "
                     "re-solve with the limit one step higher, and beside it the LP dual at "
                     "the plan (its choices held)")
    if ds.portfolio.plans > 1:
        found = portfolio(compiled, x, plans=ds.portfolio.plans, within=ds.portfolio.within,
                          options=options)
        out["portfolio"] = found.plans
        candidates["portfolio_frequency"] = found.frequency["frequency"].to_numpy()
        notes.append(f"{name}: {len(found.plans)} distinct plans within "
                     f"{ds.portfolio.within:.1%} of the plan's objective")
    if ds.robustness.samples:
        robust = _robustness(scenario, joint, assumptions, headroom, options)
        candidates["robust_frequency"] = robust.table["frequency"].to_numpy()
        candidates["robust_core"] = robust.table["robust_core"].to_numpy()
        notes.append(f"{name}: {robust.planned} of {robust.samples} sampled re-plans gave a "
                     f"plan (seed {robust.seed}; {robust.not_run} not run in the time limit); "
                     f"robust core: {int(robust.table['robust_core'].sum())} candidates "
                     f"chosen in at least {robust.core:.0%} of them")
    out["candidates"] = candidates
    return out


def _limits(scenario: Scenario, compiled: CompiledProblem, x: np.ndarray,
            assumptions: AssumptionSet, options: SolverOptions) -> pd.DataFrame:
    ds = scenario.decision_support.limit_values
    _, factor = grid_tables(assumptions)
    kw = float(mva_to_kw(ds.headroom_step_mva, factor))
    values = limit_values(compiled, x, {"budget": ds.budget_step_gbp, "headroom": kw},
                          options=options)
    units = {"budget": f"£{ds.budget_step_gbp:,.0f} more budget",
             "headroom": f"{ds.headroom_step_mva:g} MVA more headroom ({kw:,.0f} kW at power "
                         f"factor {factor:g})"}
    values.insert(3, "unit", values["family"].map(units))
    return values


def _dfes_alternatives(scenario: Scenario, layers: PreparedLayers,
                       assumptions: AssumptionSet) -> list[pd.DataFrame]:
    names = scenario.decision_support.robustness.dfes_scenarios
    if not scenario.decision_support.robustness.samples or not names:
        return []
    limits = [grid_limits(scenario, layers, assumptions)]
    for planning in names:
        if planning == scenario.grid.scenario:
            continue
        other = scenario.model_copy(update={"grid": scenario.grid.model_copy(
            update={"scenario": planning})})
        try:
            limits.append(grid_limits(other, layers, assumptions))
        except GeoplanError as error:
            raise ScenarioError(f"decision_support.robustness.dfes_scenarios: {planning!r} "
                                f"has no usable headroom figures ({error}) (fix: list only "
                                "scenarios the grid file publishes)") from error
    return limits


def _robustness(scenario: Scenario, joint: JointPlan, assumptions: AssumptionSet,
                headroom: list[pd.DataFrame], options: SolverOptions) -> Robustness:
    ds = scenario.decision_support.robustness
    problem = joint.compiled.problem
    selected = joint.compiled.selection(np.asarray(joint.x, float))[0]
    scales = robustness_scales(problem.candidates, assumptions,
                               floor_area=ds.floor_area_error)
    per_sample = SolverOptions(solver=options.solver, time_limit=scenario.solver.time_limit_s,
                               mip_gap=options.mip_gap, node_limit=options.node_limit)
    return robustness(problem, selected, scales, samples=ds.samples, seed=ds.seed,
                      workers=ds.workers, core=ds.core, headroom=headroom,
                      options=per_sample, time_limit=scenario.decision_support.time_limit_s)


def carbon_columns(table: pd.DataFrame) -> tuple[str, ...]:
    """Carbon columns of a (stacked, scoped) candidate table, helper columns included."""
    return tuple(c for c in table.columns if CARBON_COLUMN.match(str(c).split(SEP)[-1]))


def robustness_scales(table: pd.DataFrame, assumptions: AssumptionSet, *,
                      floor_area: bool = True) -> list[Scale]:
    """Return the :class:`Scale` of every uncertain input of ``table`` (module docstring)."""
    carbon = carbon_columns(table)
    scales = _bound_scales(table, assumptions, carbon)
    heat = _heat_scale(table, carbon)
    if heat is not None:
        scales.append(heat)
    if floor_area:
        area = _floor_area_scale(table, assumptions, carbon)
        if area is not None:
            scales.append(area)
    return scales


def _bound_scales(table: pd.DataFrame, assumptions: AssumptionSet,
                  carbon: Sequence[str]) -> list[Scale]:
    from geoplan.scenario import known_tables

    tables, bounds = assumption_bounds(assumptions, known_tables())
    scales = []
    workstream = table["workstream"].astype(str)
    for bound in bounds:
        if (bound.table, bound.column) == LAND_COST:
            land = _land_cost_scale(table, tables[bound.table], bound)
            scales += [land] if land is not None else []
            continue
        response = RESPONSES.get((bound.table, bound.column))
        if response is None or response.form not in ("proportional", "net_of_share"):
            continue
        rows = workstream.isin(response.workstreams).to_numpy(copy=True)
        if response.match is not None:
            mine, theirs = response.match
            cell = tables[bound.table][theirs].iloc[bound.row]
            rows &= equal_rows(table[mine], cell) if mine in table.columns else False
        ends = sorted(response_factor(bound.base, v, response.form)
                      for v in (bound.low, bound.high))
        if not rows.any() or not all(math.isfinite(e) for e in ends):
            continue
        index = np.flatnonzero(rows)
        scales.append(Scale(f"{bound.table} {bound.key} {bound.column}", index, tuple(carbon),
                            np.full(len(index), min(ends[0], 1.0)),
                            np.full(len(index), max(ends[1], 1.0))))
    return scales


def _land_cost_scale(table: pd.DataFrame, source: pd.DataFrame, bound: Bound) -> Scale | None:
    """Cost of the sequestration candidates of one land use, its land cost part scaled.

    ``cost_gbp = planting + land``: a land cost factor :math:`f` makes the cost factor
    :math:`1 + s (f - 1)` with :math:`s` the land cost's share of the cost, one shared draw.
    """
    if not {"option", "land_cost_gbp", "cost_gbp"} <= set(table.columns) or bound.base <= 0:
        return None
    rows = (table["workstream"].astype(str).eq(SEQUESTRATION).to_numpy()
            & equal_rows(table["option"], source["land_use"].iloc[bound.row]))
    cost = pd.to_numeric(table["cost_gbp"], errors="coerce").to_numpy(float)
    land = pd.to_numeric(table["land_cost_gbp"], errors="coerce").to_numpy(float)
    rows &= np.isfinite(cost) & (cost > 0) & np.isfinite(land) & (land > 0)
    if not rows.any():
        return None
    index = np.flatnonzero(rows)
    share = land[index] / cost[index]
    return Scale(f"{bound.table} {bound.key} {bound.column}", index, ("cost_gbp",),
                 1.0 + share * (bound.low / bound.base - 1.0),
                 1.0 + share * (bound.high / bound.base - 1.0))


def _heat_scale(table: pd.DataFrame, carbon: Sequence[str]) -> Scale | None:
    if not {"tco2e_per_yr_low", "tco2e_per_yr_high"} <= set(table.columns):
        return None
    central = pd.to_numeric(table["tco2e_per_yr"], errors="coerce").to_numpy(float)
    ratio = {}
    for side in ("low", "high"):
        bound = pd.to_numeric(table[f"tco2e_per_yr_{side}"], errors="coerce").to_numpy(float)
        usable = np.isfinite(bound) & np.isfinite(central) & (central > 0)
        ratio[side] = np.where(usable, bound / np.where(usable, central, 1.0), 1.0)
    rows = np.flatnonzero((ratio["low"] != 1.0) | (ratio["high"] != 1.0))
    if not len(rows):
        return None
    low = np.minimum(np.minimum(ratio["low"], ratio["high"])[rows], 1.0)
    high = np.maximum(np.maximum(ratio["low"], ratio["high"])[rows], 1.0)
    return Scale("stock_bands all bands heat_kwh_per_m2", rows, tuple(carbon), low, high)


def _floor_area_scale(table: pd.DataFrame, assumptions: AssumptionSet,
                      carbon: Sequence[str]) -> Scale | None:
    rows = np.flatnonzero(table["workstream"].astype(str).isin(BUILDINGS).to_numpy())
    if not len(rows):
        return None
    errors = assumptions.table("epc_errors").set_index("item")
    item = errors.loc["floor_area_factor"]
    low, high = float(item["value_low"]), float(item["value_high"])
    homes = (pd.to_numeric(table["homes"], errors="coerce").to_numpy(float)[rows]
             if "homes" in table.columns else np.ones(len(rows)))
    shrink = 1.0 / np.sqrt(np.where(np.isfinite(homes) & (homes > 1), homes, 1.0))
    return Scale("epc_errors floor_area_factor", rows, tuple(carbon),
                 1.0 - (1.0 - low) * shrink, 1.0 + (high - 1.0) * shrink, shared=False)
