r"""One planning model for every workstream, sharing grid headroom and a total budget.

:func:`joint_problem` stacks the candidate tables of the workstreams (retrofit, laep,
chargers, sequestration) into one table and merges their :class:`ModelParts` with one shared
:class:`~geoplan.optimise.Headroom` (every workstream's added peak load draws on the same
primaries and their ancestors, and reinforcement bought for one serves all) and one total
:class:`~geoplan.optimise.Budget`, plus a budget per workstream (``by="workstream"``).

Scoping. A workstream's terms and constraints were written for its own table; on the stacked
table each is rewritten (by :mod:`geoplan.planning.joint_scoping`, which describes every
rule) so that it still sees only that workstream's rows: helper columns ``<ws>__<column>``
hold its values and are 0 (or blank) elsewhere, coverage matrices are padded with zero
columns, budgets become keyed by workstream, and a cost-minimising workstream's targets become
constraints with a small cost penalty ``-TARGET_COST_WEIGHT x`` when others maximise.

The joint objective is the sum of the workstreams' objectives, each multiplied by
``weights[ws]`` (default 1): put them on comparable scales (e.g. normalised benefit) first.
Because every term is scoped, the joint objective of any selection equals the sum of the
standalone objectives of its parts, so a joint plan is at least as good as separate plans that
split the budget and the headroom between workstreams.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geoplan.errors import Problems, ScenarioError
from geoplan.files.memory import release_freed
from geoplan.optimise import (
    Budget,
    Headroom,
    Plan,
    PlanningProblem,
    SolverOptions,
)
from geoplan.optimise.plan import plan_from_outcome
from geoplan.optimise.strategy import Beside, solve_compiled
from geoplan.planning.joint_decompose import solve_by_gsp
from geoplan.planning.joint_scoping import (
    SEP,
    TARGET_COST_WEIGHT,
    Scope,
    coverage_names,
    scoped_objective,
)
from geoplan.workstreams.parts import ModelParts

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["TARGET_COST_WEIGHT", "JointPlan", "joint_problem", "solve_joint"]

_ATTR = "geoplan_joint"


def _stack(candidates: Mapping[str, pd.DataFrame], problems: Problems
           ) -> tuple[pd.DataFrame, dict[str, tuple[int, int]]]:
    frames, spans, start = [], {}, 0
    for ws, frame in candidates.items():
        frame = frame.reset_index(drop=True).copy()
        if "workstream" not in frame.columns:
            frame["workstream"] = ws
        other = sorted(set(frame["workstream"].astype(str)) - {ws})
        if other:
            problems.add(f"candidates given as {ws!r} have workstream {other}",
                         column="workstream", fix="pass each table under its workstream")
        frames.append(frame)
        spans[ws] = (start, start + len(frame))
        start += len(frame)
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    numeric = {c for f in frames for c in f.columns
               if pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c])}
    flags = {c for f in frames for c in f.columns if pd.api.types.is_bool_dtype(f[c])}
    filled = []
    for frame in frames:
        missing = {c: (0.0 if c in numeric else False if c in flags else "")
                   for c in columns if c not in frame.columns and c != "geometry"}
        filled.append(frame.assign(**missing) if missing else frame)
    table = pd.concat(filled, ignore_index=True)[columns]
    ids = table["candidate_id"].astype(str) if "candidate_id" in table else pd.Series([], dtype=str)
    for value in sorted(set(ids[ids.duplicated()]))[:5]:
        owners = sorted(set(table.loc[ids == value, "workstream"].astype(str)))
        problems.add(f"candidate id {value!r} appears more than once (in {owners})",
                     column="candidate_id", fix="prefix ids with the workstream")
    return _as_geo(table, candidates, problems), spans


def _as_geo(table: pd.DataFrame, candidates: Mapping[str, pd.DataFrame],
            problems: Problems) -> pd.DataFrame:
    geo = [f for f in candidates.values() if isinstance(f, gpd.GeoDataFrame)]
    if not geo or len(geo) != len(candidates):
        return table
    crs = {str(f.crs) for f in geo}
    if len(crs) > 1:
        problems.add(f"candidate tables are in different CRS {sorted(crs)}",
                     fix="reproject every table to EPSG:27700")
        return table
    return gpd.GeoDataFrame(table, geometry="geometry", crs=geo[0].crs)


def joint_problem(candidates: Mapping[str, pd.DataFrame], parts: Mapping[str, ModelParts], *,
                  headroom: pd.DataFrame, grid: nx.DiGraph | Mapping[str, str | None],
                  reinforcements: pd.DataFrame | None = None,
                  total_budget_gbp: float | Mapping[int, float] | None = None,
                  workstream_budgets: Mapping[str, float] | None = None,
                  periods: tuple[int, ...] | None = None, horizon: int = 2050,
                  year: int | None = None,
                  weights: Mapping[str, float] | None = None,
                  funding: Mapping[int, float] | None = None, carry_over: bool = True,
                  limits: Sequence[Any] = ()) -> PlanningProblem:
    """Build one planning problem over every workstream (see the module docstring).

    Parameters
    ----------
    candidates : Mapping[str, GeoDataFrame]
        Workstream -> its candidates table (ids unique across workstreams).
    parts : Mapping[str, ModelParts]
        Workstream -> its objective terms and constraints (same keys as ``candidates``).
    headroom : pandas.DataFrame
        ``substation_id``, ``headroom_kw`` and optionally ``year``, shared by all.
    grid : networkx.DiGraph or Mapping
        The grid graph (parent -> child) or substation -> parent.
    reinforcements : pandas.DataFrame, optional
        Reinforcement options (see :class:`~geoplan.optimise.Headroom`).
    total_budget_gbp : float or Mapping[int, float], optional
        One total (counting reinforcement), or milestone year -> amount when phased.
    workstream_budgets : Mapping[str, float], optional
        Workstream -> most it may spend on its candidates.
    periods, horizon
        Milestone years and the last year benefits count to (see
        :class:`~geoplan.optimise.PlanningProblem`).
    year : int, optional
        Headroom year when not phased.
    weights : Mapping[str, float], optional
        Multiplier of each workstream's objective (default 1).
    funding : Mapping[int, float], optional
        Milestone year -> money for the period (a :class:`~geoplan.optimise.Budget`
        ``by="period"`` named ``funding``, counting reinforcement), besides any total.
    carry_over : bool
        Money unspent in a period of ``funding`` may be spent later.
    limits : sequence
        Further constraints over the stacked table as it is (e.g.
        :class:`~geoplan.optimise.PeriodCap` delivery caps on columns every table shares).

    Returns
    -------
    PlanningProblem
        Over the stacked table; ``candidates.attrs["geoplan_joint"]`` records the helper
        columns, the workstreams and which score part belongs to which workstream.

    Raises
    ------
    ScenarioError
        Listing every mismatch between candidates and parts, duplicate id, column a model
        uses that its candidates lack, or term or constraint that cannot be scoped.
    """
    problems = Problems(sheet="joint plan")
    if set(candidates) != set(parts):
        problems.add(f"candidates for {sorted(candidates)} but model parts for "
                     f"{sorted(parts)}", fix="give both for every workstream")
        problems.raise_if_any(ScenarioError)
    table, spans = _stack(candidates, problems)
    problems.raise_if_any(ScenarioError)
    own = {ws: [*frame.columns, *([] if "workstream" in frame else ["workstream"])]
           for ws, frame in candidates.items()}
    for ws in sorted(set(weights or {}) - set(candidates)):
        problems.add(f"a weight for {ws!r}, which has no candidates",
                     fix=f"weight one of {sorted(candidates)}")
    parts = {ws: ModelParts(p.objective_terms, p.constraint_terms)
             for ws, p in parts.items()}
    scope = Scope(table, spans, own, problems, coverage_names=coverage_names(parts))
    terms, constraints = scoped_objective(scope, parts, weights or {})
    for ws, p in parts.items():
        for item in p.constraints:
            constraints += scope.constraint(ws, item)
    constraints.append(Headroom(headroom, grid, reinforcements=reinforcements, year=year))
    if total_budget_gbp is not None:
        by = "period" if isinstance(total_budget_gbp, Mapping) else None
        constraints.append(Budget(total_budget_gbp, by=by, name="total"))
    if workstream_budgets:
        constraints.append(Budget(dict(workstream_budgets), by="workstream", name="workstream"))
    if funding is not None:
        constraints.append(Budget(dict(funding), by="period", name="funding",
                                  carry_over=carry_over))
    constraints.extend(limits)
    problems.raise_if_any(ScenarioError)
    scope.table.attrs[_ATTR] = {"helpers": list(scope.helpers), "workstreams": list(spans),
                                "owners": dict(scope.owners),
                                "columns": {ws: list(c) for ws, c in own.items()}}
    return PlanningProblem(scope.table, tuple(terms), tuple(constraints), periods=periods,
                           horizon=horizon)


@dataclass(frozen=True)
class JointPlan:
    """A solved joint plan and its per-workstream tables.

    Attributes
    ----------
    plan : Plan
        The optimiser's plan over the stacked table (helper columns included).
    tables : Mapping[str, pandas.DataFrame]
        Workstream -> its candidates with ``selected``, ``period``, ``rank`` (1..n within the
        workstream, chosen first), ``joint_rank`` (rank in the joint plan), its own
        ``score_<column>`` parts, ``marginal_value`` and ``reason``; no helper columns.
    reinforcements : pandas.DataFrame
        The reinforcement options with ``bought`` (bool), ``needed`` (bool: removing it
        would break a headroom row of the plan) and ``period`` (milestone year or NA).
    """

    plan: Plan
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    reinforcements: pd.DataFrame = field(repr=False)
    helpers: tuple[str, ...] = ()
    compiled: Any = field(default=None, repr=False, compare=False)
    """The compiled model, kept for re-solves (:mod:`geoplan.planning.grid_value`)."""
    x: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The solution vector of ``compiled`` (``None``: no plan)."""
    decomposition: Mapping[str, Any] | None = None
    """How a decomposed plan was found (:func:`geoplan.planning.joint_decompose.solve_by_gsp`):
    parts, rounds, bound and gap; ``None`` for one joint model."""

    def table(self) -> pd.DataFrame:
        """Every candidate of every workstream (the plan's table without helper columns)."""
        table = self.plan.table
        if "geometry" in table.columns and "crs" in table.attrs:
            table = gpd.GeoDataFrame(table, geometry="geometry", crs=table.attrs["crs"])
        return table.drop(columns=[c for c in self.helpers if c in table.columns])

    def reinforcement_capex(self) -> pd.DataFrame:
        """Reinforcement bought and needed, as ``workstream`` ("grid"), ``year``, ``cost_gbp``.

        Ready to pass to :func:`geoplan.planning.finance.finance_summary` as ``other_capex``.
        """
        chosen = self.reinforcements[self.reinforcements["bought"]
                                     & self.reinforcements["needed"]]
        return pd.DataFrame({"workstream": "grid",
                             "year": pd.array(chosen["period"], dtype="Int64"),
                             "cost_gbp": chosen["cost_gbp"].to_numpy(dtype=float)})

    def summary(self) -> dict[str, Any]:
        """Return the plan's summary plus, per workstream, candidates, selected, cost, tCO2e/yr."""
        out = self.plan.summary()
        out["workstreams"] = {
            ws: {"candidates": len(t), "selected": int(t["selected"].sum()),
                 "cost_gbp": float(t.loc[t["selected"], "cost_gbp"].sum()),
                 "tco2e_per_yr": float(t.loc[t["selected"], "tco2e_per_yr"].sum())
                 if "tco2e_per_yr" in t else None}
            for ws, t in self.tables.items()}
        bought = self.reinforcements["bought"].to_numpy(dtype=bool)
        out["reinforcement_gbp"] = float(self.reinforcements["cost_gbp"][bought].sum())
        if self.decomposition is not None:
            out["decomposition"] = dict(self.decomposition)
        return out


def _workstream_tables(joint: JointPlan, info: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    table = joint.table()
    owners: Mapping[str, str] = info["owners"]
    everyone = {c for columns in info["columns"].values() for c in columns}
    tables = {}
    for ws in info["workstreams"]:
        part = table[table["workstream"].astype(str) == ws].copy()
        drop = [f"score_{p}" for p, owner in owners.items() if owner != ws]
        drop += [c for c in everyone - set(info["columns"][ws]) if c != "geometry"]
        rename = {f"score_{p}": f"score_{p.removeprefix(ws + SEP)}" for p, owner in
                  owners.items() if owner == ws}
        part = part.drop(columns=[c for c in drop if c in part.columns]).rename(columns=rename)
        if "rank" in part.columns and part["rank"].notna().all():
            part["joint_rank"] = part["rank"]
            part["rank"] = part["rank"].rank(method="first").astype(int)
        tables[ws] = part.reset_index(drop=True)
    return tables


def _reinforcements(compiled: Any, x: np.ndarray | None,
                    options: pd.DataFrame | None) -> pd.DataFrame:
    frame = (options.reset_index(drop=True).copy() if options is not None
             else pd.DataFrame(columns=["substation_id", "capacity_kw", "cost_gbp"]))
    frame["bought"], frame["needed"] = False, False
    frame["period"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    extra = [e for e in compiled.context.extra_costs if e.label == "reinforcement"]
    if x is None or not extra or frame.empty:
        return frame
    block = extra[0].block
    bought = np.asarray(x[block.start:block.stop]) > 0.5
    model = compiled.model
    activity = model.matrix @ x
    columns = model.matrix.tocsc()
    needed = np.zeros(len(frame), dtype=bool)
    for k in np.flatnonzero(bought):
        lo, hi = columns.indptr[block.start + k], columns.indptr[block.start + k + 1]
        rows, coef = columns.indices[lo:hi], columns.data[lo:hi]
        room = model.row_family[rows] == "headroom"
        after = activity[rows] - coef
        needed[k] = bool(np.any(room & (after > model.row_upper[rows] + 1e-6)))
    frame["bought"], frame["needed"] = bought, needed
    if compiled.context.periods != (0,):
        years = np.array(compiled.context.periods)[extra[0].period]
        frame["period"] = pd.array([int(y) if b else pd.NA for y, b in zip(years, bought,
                                                                          strict=True)],
                                   dtype="Int64")
    return frame


def solve_joint(candidates: Mapping[str, pd.DataFrame], parts: Mapping[str, ModelParts], *,
                options: SolverOptions | None = None, strategy: str = "auto",
                decompose: str = "none",
                beside: Callable[[CompiledProblem], Beside | None] | None = None,
                **problem: Any) -> JointPlan:
    """Build (:func:`joint_problem`, same keyword arguments), solve and split by workstream.

    Parameters
    ----------
    candidates, parts
        As for :func:`joint_problem`.
    options : SolverOptions, optional
        Solver, time limit and gap.
    strategy : str
        See :func:`geoplan.optimise.strategy.solve_compiled`.
    decompose : {"none", "by_gsp"}
        ``by_gsp``: solve one sub-problem per grid supply point with the shared budgets
        priced (:mod:`geoplan.planning.joint_decompose`); ``strategy`` is then unused.
    beside : callable, optional
        Given the compiled model, returns work to run on a thread while its guarded child
        solves it (:class:`geoplan.optimise.strategy.Beside`; e.g. the trade-off curve's
        points, :class:`geoplan.planning.curve.CurveBeside`), or None.
    **problem
        ``headroom``, ``grid``, ``reinforcements``, ``total_budget_gbp``,
        ``workstream_budgets``, ``periods``, ``horizon``, ``year``, ``weights``,
        ``funding``, ``carry_over``, ``limits``.

    Returns
    -------
    JointPlan
    """
    built = joint_problem(candidates, parts, **problem)
    compiled = built.compile()
    release_freed()  # the build's temporaries, before a child process holds the model too
    decomposition = None
    if decompose == "by_gsp":
        outcome, notes, decomposition = solve_by_gsp(compiled, problem["grid"],
                                                     options or SolverOptions())
    else:
        outcome, notes = solve_compiled(compiled, options or SolverOptions(), strategy,
                                        beside(compiled) if beside is not None else None)
    plan = plan_from_outcome(compiled, outcome, notes)
    x = np.asarray(outcome.x) if outcome.has_plan else None
    info = built.candidates.attrs[_ATTR]
    bare = JointPlan(plan, {}, _reinforcements(compiled, x, problem.get("reinforcements")),
                     tuple(info["helpers"]), compiled=compiled, x=x,
                     decomposition=decomposition)
    return replace(bare, tables=_workstream_tables(bare, info))
