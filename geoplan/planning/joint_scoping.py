r"""Scope each workstream's objective terms and constraints to its rows of the stacked table.

A workstream's terms and constraints were written for its own table; on the stacked table of
:func:`geoplan.planning.joint.joint_problem` each is rewritten by :class:`Scope` so that it
still sees only that workstream's rows:

- ``PeriodBenefit`` (lifetime tCO2e per build period) reads helper columns
  ``<ws>__<column>`` and its score part is named ``<ws>__<name>``;
- ``MaximiseBenefit({col: w})`` reads a helper column ``<ws>__<col>`` (the value on the
  workstream's rows, 0 elsewhere), so its normalisation total and score are the workstream's
  own, and a shared column such as ``tco2e_per_yr`` is not rewarded across workstreams;
- ``PeriodCoverage`` reads the workstream's coverage term by its joint name; its score part
  is named ``<ws>__<name>``;
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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import Problems
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
    PeriodBenefit,
    PeriodCoverage,
    Target,
)
from geoplan.optimise.build import BuildContext
from geoplan.optimise.constraints import Limit, budget_amount
from geoplan.workstreams.parts import ModelParts

__all__ = ["SEP", "TARGET_COST_WEIGHT", "Scope", "coverage_names", "scoped_objective"]

SEP = "__"
"""Separator in helper column and term names: ``<workstream>__<column>``."""
TARGET_COST_WEIGHT = 1e-3
"""Weight of a target-driven workstream's normalised cost in a maximising joint objective."""


@dataclass(frozen=True)
class _PeriodBudget:
    """Per-period budget over one workstream's rows (no reinforcement spending)."""

    workstream: str
    limit: Limit
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
class Scope:
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
        """Pad workstream ``ws``'s coverage term to the stacked table and give it its name."""
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
        """Rewrite a benefit term of ``ws`` onto its helper columns, times ``weight``."""
        weights = {}
        for column, w in term.weights.items():
            name = self.helper(ws, column)
            self.owners[name] = ws
            weights[name] = weight * w
        return MaximiseBenefit(weights, normalise=term.normalise)

    def period_benefit(self, ws: str, term: PeriodBenefit, weight: float) -> PeriodBenefit:
        """Rewrite a build-period benefit of ``ws`` onto its helper columns, times ``weight``."""
        name = f"{ws}{SEP}{term.name}"
        self.owners[name] = ws
        return PeriodBenefit({y: self.helper(ws, c) for y, c in term.columns.items()},
                             weight=weight * term.weight, name=name)

    def constraint(self, ws: str, item: Any) -> list[Any]:
        """Rewrite one constraint of workstream ``ws`` (see the module docstring)."""
        if isinstance(item, Headroom):
            self.problems.add(f"the {ws} model has its own Headroom", fix="leave Headroom "
                              "out of ModelParts: the joint plan adds one shared Headroom")
            return []
        if isinstance(item, Budget):
            name = f"{ws} {item.label}"
            if item.by is None:
                return [Budget({ws: budget_amount(item.limit)}, item.cost_column,
                               by="workstream", name=name)]
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


def coverage_names(parts: Mapping[str, ModelParts]) -> dict[tuple[str, str], str]:
    """Name each workstream's coverage term on the stacked table.

    Parameters
    ----------
    parts : Mapping[str, ModelParts]
        Workstream -> its model parts.

    Returns
    -------
    dict
        ``(workstream, term name)`` -> the term's name in the joint model: unchanged when
        only one workstream uses the name, else ``<ws>__<name>``.
    """
    used: dict[str, int] = {}
    for p in parts.values():
        for term in p.objective:
            if isinstance(term, MaximiseCoverage):
                used[term.name] = used.get(term.name, 0) + 1
    return {(ws, t.name): (t.name if used[t.name] == 1 else f"{ws}{SEP}{t.name}")
            for ws, p in parts.items() for t in p.objective if isinstance(t, MaximiseCoverage)}


def scoped_objective(scope: Scope, parts: Mapping[str, ModelParts],
                     weights: Mapping[str, float]) -> tuple[list[Any], list[Any]]:
    """Return the scoped objective terms and the constraints that replace converted targets.

    Parameters
    ----------
    scope : Scope
        The stacked table's scope (helper columns are added to its table).
    parts : Mapping[str, ModelParts]
        Workstream -> its model parts.
    weights : Mapping[str, float]
        Workstream -> multiplier of its objective (default 1).

    Returns
    -------
    tuple of list
        The joint objective terms, and the targets of target-driven workstreams turned into
        constraints (when another workstream maximises).
    """
    maximise = any(isinstance(t, MaximiseBenefit | MaximiseCoverage | PeriodBenefit
                              | PeriodCoverage)
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
            elif isinstance(term, PeriodBenefit):
                terms.append(scope.period_benefit(ws, term, w))
            elif isinstance(term, MaximiseCoverage):
                terms.append(replace(scope.coverage(ws, term), weight=term.weight * w))
            elif isinstance(term, PeriodCoverage):
                terms.append(replace(term, coverage=scope.coverage_names.get(
                    (ws, term.coverage), term.coverage), weight=term.weight * w,
                    name=f"{ws}{SEP}{term.name}"))
                scope.owners[f"{ws}{SEP}{term.name}"] = ws
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
