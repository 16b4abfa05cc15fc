r"""One planning model for every workstream, sharing grid headroom and a total budget.

:func:`joint_problem` stacks the candidate tables of the workstreams (retrofit, laep,
chargers, sequestration) into one table and merges their :class:`ModelParts` with one shared
:class:`~geoplan.optimise.Headroom` (every workstream's added peak load draws on the same
primaries and their ancestors, and reinforcement bought for one serves all) and one total
:class:`~geoplan.optimise.Budget`, plus a budget per workstream (``by="workstream"``).

Scoping. A workstream's terms and constraints were written for its own table; on the stacked
table each is rewritten so that it still sees only that workstream's rows:

- ``MaximiseBenefit({col: w})`` reads a helper column ``<ws>__<col>`` (the value on the
  workstream's rows, 0 elsewhere), so its normalisation total and score are the workstream's
  own, and a shared column such as ``tco2e_per_yr`` is not rewarded across workstreams;
- ``MaximiseCoverage``: the coverage matrix (demand x the workstream's candidates) and
  capacities are padded with zero columns at the other workstreams' positions; a term name
  used by two workstreams becomes ``<ws>__<name>`` (and so do their ``CoverageFloor``\ s);
- ``Compactness`` terms are merged into one (bonus per pair = the term's bonus x metres);
- ``Budget``/``Count`` with ``by=None`` become a keyed budget ``by="workstream"`` (so, unlike
  the standalone budget, grid reinforcement does not count against it); with ``by=<column>``
  the key is a helper column ``<ws>__<column>`` that is blank on other rows; with
  ``by="period"`` a per-period budget over the workstream's rows;
- ``DistrictMinimum`` and ``Target`` read helper columns, keyed like budgets;
- ``MinimiseCost``: when every workstream minimises cost the targets are merged into one
  ``MinimiseCost``; when others maximise, its targets become hard constraints and a small
  penalty ``-TARGET_COST_WEIGHT x`` (its cost / its total cost) keeps it from buying more than
  the targets need.

The joint objective is the sum of the workstreams' objectives, each multiplied by
``weights[ws]`` (default 1): put them on comparable scales (e.g. normalised benefit) first.
Because every term is scoped, the joint objective of any selection equals the sum of the
standalone objectives of its parts, so a joint plan is at least as good as separate plans that
split the budget and the headroom between workstreams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import Problems, ScenarioError
from geoplan.optimise import (
    Budget,
    Compactness,
    Coverage,
    CoverageFloor,
    DistrictMinimum,
    Headroom,
    MaximiseBenefit,
    MaximiseCoverage,
    MinimiseCost,
    Plan,
    PlanningProblem,
    SolverOptions,
    Target,
)
from geoplan.optimise.build import BuildContext
from geoplan.optimise.plan import plan_from_outcome
from geoplan.optimise.strategy import solve_compiled
from geoplan.workstreams.parts import ModelParts

__all__ = ["TARGET_COST_WEIGHT", "JointPlan", "joint_problem", "solve_joint"]

SEP = "__"
TARGET_COST_WEIGHT = 1e-3
"""Weight of a target-driven workstream's normalised cost in a maximising joint objective."""
_ATTR = "geoplan_joint"


@dataclass(frozen=True)
class _PeriodBudget:
    """Per-period budget over one workstream's rows (no reinforcement spending)."""

    workstream: str
    limit: float | Mapping[object, float]
    cost_column: str | None
    name: str

    def apply(self, ctx: BuildContext) -> None:
        """Add one row per period."""
        mine = (ctx.labels("workstream") == self.workstream).astype(float)
        cost = mine if self.cost_column is None else ctx.numbers(self.cost_column) * mine
        row = sp.csr_matrix(cost.reshape(1, -1))
        limits = (dict(self.limit) if isinstance(self.limit, Mapping)
                  else dict.fromkeys(ctx.periods, self.limit))
        rows = [ctx.add_candidate_rows("budget", [f"budget {self.name} {year}"],
                                       ctx.in_period(row, ctx.period_index(int(year))),
                                       upper=[float(amount)])
                for year, amount in sorted(limits.items(), key=lambda kv: int(kv[0]))]
        ctx.handles[f"budget:{self.name}"] = np.concatenate(rows) if rows else np.zeros(0, int)


@dataclass(frozen=True)
class _TargetByYear:
    """Cumulative target per milestone year on one (scoped) column."""

    column: str
    amounts: Mapping[int, float]

    def apply(self, ctx: BuildContext) -> None:
        """Add one row per milestone year."""
        values = sp.csr_matrix(ctx.numbers(self.column, least=None).reshape(1, -1))
        for year, amount in sorted(self.amounts.items()):
            ctx.add_candidate_rows("target", [f"target {self.column} by {year}"],
                                   ctx.by_period_end(values, ctx.period_index(int(year))),
                                   lower=[float(amount)])


@dataclass
class _Scope:
    """Builds helper columns and rewrites one workstream's parts against the stacked table."""

    table: pd.DataFrame
    spans: dict[str, tuple[int, int]]
    own_columns: dict[str, list[str]]
    problems: Problems
    helpers: list[str] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)
    coverage_names: dict[tuple[str, str], str] = field(default_factory=dict)

    def helper(self, ws: str, column: str, *, text: bool = False) -> str:
        """Column ``<ws>__<column>``: the workstream's values, 0 (or blank) elsewhere."""
        name = f"{ws}{SEP}{column}"
        if name in self.helpers:
            return name
        if column not in self.own_columns[ws]:
            self.problems.add(f"the {ws} model uses column {column!r} that its candidates "
                              "lack", column=column, fix=f"add {column!r} to the {ws} "
                              "candidates or change its settings")
        elif name in self.table.columns:
            self.problems.add(f"column {name!r} would hide a helper column of the joint model",
                              column=name, fix="rename that column")
        values = pd.Series(self.table[column] if column in self.table.columns else 0.0,
                           index=self.table.index)
        inside = (self.table.index >= self.spans[ws][0]) & (self.table.index < self.spans[ws][1])
        if text:
            values = values.astype(object).where(values.notna() & inside, "").astype(str)
        self.table[name] = values if text else values.where(inside, 0.0)
        self.helpers.append(name)
        return name

    def coverage(self, ws: str, term: MaximiseCoverage) -> MaximiseCoverage:
        start, stop = self.spans[ws]
        n = len(self.table)
        cov = term.coverage
        matrix = sp.csr_matrix(cov.matrix)
        if matrix.shape[1] != stop - start:
            self.problems.add(f"the {ws} coverage matrix has {matrix.shape[1]} columns for "
                              f"{stop - start} candidates", fix="build it for the candidates")
            return term
        padded = sp.hstack([sp.csr_matrix((matrix.shape[0], start)), matrix,
                            sp.csr_matrix((matrix.shape[0], n - stop))], format="csr")
        capacity = None
        if cov.capacity is not None:
            capacity = np.zeros(n)
            capacity[start:stop] = np.asarray(cov.capacity, dtype=float)
        name = self.coverage_names[(ws, term.name)]
        self.owners[name] = ws
        return replace(term, coverage=Coverage(padded, cov.demand, cov.demand_district,
                                               capacity), name=name)

    def benefit(self, ws: str, term: MaximiseBenefit, weight: float) -> MaximiseBenefit:
        weights = {}
        for column, w in term.weights.items():
            name = self.helper(ws, column)
            self.owners[name] = ws
            weights[name] = weight * w
        return MaximiseBenefit(weights, normalise=term.normalise)

    def constraint(self, ws: str, item: Any) -> list[Any]:
        """Rewrite one constraint of workstream ``ws`` (see the module docstring)."""
        if isinstance(item, Headroom):
            self.problems.add(f"the {ws} model has its own Headroom", fix="leave Headroom "
                              "out of ModelParts: the joint plan adds one shared Headroom")
            return []
        if isinstance(item, Budget):
            name = f"{ws} {item.label}"
            if item.by is None:
                return [Budget({ws: item.limit}, item.cost_column, by="workstream", name=name)]
            if item.by == "period":
                return [_PeriodBudget(ws, item.limit, item.cost_column, name)]
            return [Budget(item.limit, item.cost_column, by=self.helper(ws, item.by, text=True),
                           name=name)]
        if isinstance(item, DistrictMinimum):
            return [DistrictMinimum(self.helper(ws, item.column), item.share, item.amount,
                                    by=self.helper(ws, item.by, text=True))]
        if isinstance(item, Target):
            return [Target(self.helper(ws, item.column), item.amount)]
        if isinstance(item, CoverageFloor):
            return [replace(item, coverage=self.coverage_names.get((ws, item.coverage),
                                                                   item.coverage))]
        self.problems.add(f"the {ws} model has a constraint joint planning cannot scope: "
                          f"{type(item).__name__}", fix="use Budget, Count, DistrictMinimum, "
                          "Target or CoverageFloor")
        return []


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


def _as_tuple(items: Any) -> tuple[Any, ...]:
    return tuple(items) if isinstance(items, list | tuple) else (items,)


def _coverage_names(parts: Mapping[str, ModelParts]) -> dict[tuple[str, str], str]:
    used: dict[str, int] = {}
    for p in parts.values():
        for term in p.objective:
            if isinstance(term, MaximiseCoverage):
                used[term.name] = used.get(term.name, 0) + 1
    return {(ws, t.name): (t.name if used[t.name] == 1 else f"{ws}{SEP}{t.name}")
            for ws, p in parts.items() for t in p.objective if isinstance(t, MaximiseCoverage)}


def _objective(scope: _Scope, parts: Mapping[str, ModelParts],
               weights: Mapping[str, float]) -> tuple[list[Any], list[Any]]:
    """Scoped objective terms and the constraints that replace converted targets."""
    maximise = any(isinstance(t, MaximiseBenefit | MaximiseCoverage)
                   for p in parts.values() for t in p.objective)
    terms: list[Any] = []
    extra: list[Any] = []
    pairs: list[pd.DataFrame] = []
    targets: dict[str, Any] = {}
    cost_columns: set[str] = set()
    for ws, p in parts.items():
        w = float(weights.get(ws, 1.0))
        for term in p.objective:
            if isinstance(term, MaximiseBenefit):
                terms.append(scope.benefit(ws, term, w))
            elif isinstance(term, MaximiseCoverage):
                terms.append(replace(scope.coverage(ws, term), weight=term.weight * w))
            elif isinstance(term, Compactness):
                pairs.append(term.pairs.assign(shared_m=term.pairs["shared_m"].to_numpy(float)
                                               * term.bonus_per_m * w))
                scope.owners["compactness"] = ws
            elif isinstance(term, MinimiseCost):
                scoped = {scope.helper(ws, c): v for c, v in term.targets.items()}
                cost_columns.add(term.cost_column)
                if maximise:
                    extra += [_TargetByYear(c, v) if isinstance(v, Mapping) else Target(c, v)
                              for c, v in scoped.items()]
                    penalty = scope.helper(ws, term.cost_column)
                    scope.owners[penalty] = ws
                    terms.append(MaximiseBenefit({penalty: -TARGET_COST_WEIGHT * w}))
                else:
                    targets.update(scoped)
            else:
                scope.problems.add(f"the {ws} model has an objective term joint planning "
                                   f"cannot scope: {type(term).__name__}")
    if not maximise and cost_columns:
        if len(cost_columns) > 1:
            scope.problems.add(f"workstreams minimise different costs {sorted(cost_columns)}",
                               fix="minimise one cost column")
        terms.append(MinimiseCost(targets, cost_column=sorted(cost_columns)[0]))
    if pairs:
        terms.append(Compactness(pd.concat(pairs, ignore_index=True), 1.0))
    return terms, extra


def joint_problem(candidates: Mapping[str, pd.DataFrame], parts: Mapping[str, ModelParts], *,
                  headroom: pd.DataFrame, grid: nx.DiGraph | Mapping[str, str | None],
                  reinforcements: pd.DataFrame | None = None,
                  total_budget_gbp: float | Mapping[int, float] | None = None,
                  workstream_budgets: Mapping[str, float] | None = None,
                  periods: tuple[int, ...] | None = None, horizon: int = 2050,
                  year: int | None = None,
                  weights: Mapping[str, float] | None = None) -> PlanningProblem:
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
    parts = {ws: ModelParts(_as_tuple(p.objective), _as_tuple(p.constraints))
             for ws, p in parts.items()}
    scope = _Scope(table, spans, own, problems, coverage_names=_coverage_names(parts))
    terms, constraints = _objective(scope, parts, weights or {})
    for ws, p in parts.items():
        for item in p.constraints:
            constraints += scope.constraint(ws, item)
    constraints.append(Headroom(headroom, grid, reinforcements=reinforcements, year=year))
    if total_budget_gbp is not None:
        by = "period" if isinstance(total_budget_gbp, Mapping) else None
        constraints.append(Budget(total_budget_gbp, by=by, name="total"))
    if workstream_budgets:
        constraints.append(Budget(dict(workstream_budgets), by="workstream", name="workstream"))
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

    def table(self) -> pd.DataFrame:
        """Every candidate of every workstream (the plan's table without helper columns)."""
        table = self.plan.table
        if "geometry" in table.columns and "crs" in table.attrs:
            table = gpd.GeoDataFrame(table, geometry="geometry", crs=table.attrs["crs"])
        return table.drop(columns=[c for c in self.helpers if c in table.columns])

    def reinforcement_capex(self) -> pd.DataFrame:
        """Reinforcement bought and needed, as ``workstream`` ("grid"), ``year``, ``cost_gbp``.

        Ready to pass to :func:`geoplan.finance.finance_summary` as ``other_capex``.
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
    **problem
        ``headroom``, ``grid``, ``reinforcements``, ``total_budget_gbp``,
        ``workstream_budgets``, ``periods``, ``horizon``, ``year``, ``weights``.

    Returns
    -------
    JointPlan
    """
    built = joint_problem(candidates, parts, **problem)
    compiled = built.compile()
    outcome, notes = solve_compiled(compiled, options or SolverOptions(), strategy)
    plan = plan_from_outcome(compiled, outcome, notes)
    x = np.asarray(outcome.x) if outcome.has_plan else None
    info = built.candidates.attrs[_ATTR]
    bare = JointPlan(plan, {}, _reinforcements(compiled, x, problem.get("reinforcements")),
                     tuple(info["helpers"]))
    return replace(bare, tables=_workstream_tables(bare, info))
