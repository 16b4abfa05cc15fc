r"""One composable planning model over candidates: objective + constraints + solver.

A :class:`PlanningProblem` is data: the candidates table, objective terms
(:mod:`.objectives`), constraint families (:mod:`.constraints`) and, optionally, milestone
periods. :meth:`PlanningProblem.compile` turns it into arrays (a
:class:`~geoplan.optimise.matrix.MilpMatrix`); :meth:`PlanningProblem.solve` solves and returns
an immutable :class:`~geoplan.optimise.plan.Plan` with a rank and a reason for every candidate.

Always part of the model:

- one option per group: :math:`\sum_{j \in g} s_j \le 1` for candidates sharing ``group_id``;
- built at most once when phased: :math:`s_j = \sum_t x_{jt} \le 1`;
- locks: ``locked_in`` candidates have :math:`s_j = 1`, ``locked_out`` ones :math:`s_j = 0`.

Phasing: with ``periods=(2025, 2030, 2040)`` a candidate is built in one period at most, budgets
``by="period"`` and headroom apply per period (headroom to the loads built by then), and a
candidate's benefit counts for :math:`Y_t = \text{horizon} - y_t + 1` years.

Examples
--------
>>> import pandas as pd
>>> from geoplan.optimise import Budget, MaximiseBenefit
>>> candidates = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [2.0, 3.0, 1.0],
...                            "tco2e_per_yr": [5.0, 4.0, 3.0]})
>>> plan = PlanningProblem(candidates, MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),
...                        [Budget(5.0)]).solve()
>>> plan.status, plan.objective, plan.selected_ids
('optimal', 9.0, ('a', 'b'))
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import ScenarioError
from geoplan.optimise.build import BuildContext, one_hot
from geoplan.optimise.candidates import check_candidates, lock_flags
from geoplan.optimise.constraints import Headroom
from geoplan.optimise.matrix import MatrixBuilder, MilpMatrix
from geoplan.optimise.solvers import SolverOptions

__all__ = ["CompiledProblem", "PlanningProblem"]


def _terms(objective: Any) -> tuple[Any, ...]:
    return tuple(objective) if isinstance(objective, Sequence) else (objective,)


@dataclass(frozen=True)
class PlanningProblem:
    """Candidates, objective terms, constraints and periods (see the module docstring).

    Parameters
    ----------
    candidates : pandas.DataFrame or geopandas.GeoDataFrame
        One row per candidate (see :mod:`geoplan.optimise.candidates`).
    objective : term or sequence of terms
        :class:`~.objectives.MaximiseBenefit`, :class:`~.objectives.MaximiseCoverage` and
        :class:`~.objectives.Compactness` maximise together;
        :class:`~.objectives.MinimiseCost` (with :class:`~.objectives.Compactness`)
        minimises.
    constraints : sequence
        Constraint families from :mod:`.constraints`.
    periods : sequence of int, optional
        Milestone years for phasing.
    horizon : int
        Last year benefits are counted to when phased.
    """

    candidates: pd.DataFrame = field(repr=False)
    objective: Any
    constraints: Sequence[Any] = ()
    periods: Sequence[int] | None = None
    horizon: int = 2050

    def compile(self) -> CompiledProblem:
        """Build the model from arrays.

        Raises
        ------
        ScenarioError
            Listing every problem found in the candidates, terms and constraints.
        """
        began = time.perf_counter()
        terms = _terms(self.objective)
        senses = {t.sense for t in terms} - {"any"}
        if len(senses) != 1:
            raise ScenarioError(f"objective terms must share one sense, got {sorted(senses)} "
                                "(fix: maximise benefit/coverage, or minimise cost)")
        table = check_candidates(self.candidates)
        periods = tuple(sorted(int(p) for p in self.periods)) if self.periods else (0,)
        weight = (np.array([max(self.horizon - p + 1, 1) for p in periods], dtype=float)
                  if self.periods else np.ones(1))
        builder = MatrixBuilder(senses.pop())
        x = builder.add_columns("x", len(table) * len(periods), integer=True)
        ctx = BuildContext(table, builder, x, periods, weight)
        for term in terms:
            term.apply(ctx)
        _groups_and_locks(ctx)
        # Headroom first: reinforcement it may buy is spending every budget must count.
        for constraint in sorted(self.constraints, key=lambda c: not isinstance(c, Headroom)):
            constraint.apply(ctx)
        for term in terms:
            term.finish(ctx)
        ctx.problems.raise_if_any(ScenarioError)
        model = builder.build()
        return CompiledProblem(self, ctx, model, time.perf_counter() - began)

    def solve(self, options: SolverOptions | None = None, *, strategy: str = "auto",
              rank: bool = True) -> Any:
        """Compile, solve and rank; see :meth:`CompiledProblem.solve`."""
        return self.compile().solve(options, strategy=strategy, rank=rank)


def _groups_and_locks(ctx: BuildContext) -> None:
    groups = ctx.labels("group_id")
    keys, member = one_hot(groups)
    sizes = np.asarray(member.sum(axis=1)).ravel()
    shared = np.flatnonzero(sizes > 1)
    if len(shared):
        ctx.handles["group"] = ctx.add_candidate_rows(
            "group", [f"one option in group {keys[i]}" for i in shared],
            ctx.selected(member[shared]), upper=1.0)
    counts = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    alone = np.flatnonzero((groups == "") | (counts == 1))
    if ctx.n_periods > 1 and len(alone):
        ctx.add_candidate_rows("once", "built at most once", ctx.selected(_pick(alone, ctx.n)),
                               upper=1.0)
    locked_in, locked_out = lock_flags(ctx.table)
    for t in range(ctx.n_periods):
        ctx.builder.set_column_bounds(ctx.x, t * ctx.n + np.flatnonzero(locked_out), upper=0.0)
    if ctx.n_periods == 1:
        ctx.builder.set_column_bounds(ctx.x, np.flatnonzero(locked_in), lower=1.0)
    elif locked_in.any():
        chosen = np.flatnonzero(locked_in)
        ctx.add_candidate_rows("lock", [f"locked in {ctx.table['candidate_id'].iloc[j]}"
                                        for j in chosen], ctx.selected(_pick(chosen, ctx.n)),
                               lower=1.0)


def _pick(index: np.ndarray, n: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(len(index)), (np.arange(len(index)), index)),
                         shape=(len(index), n))


@dataclass
class CompiledProblem:
    """A built model with what is needed to read its solutions.

    Attributes
    ----------
    problem : PlanningProblem
    context : BuildContext
    model : MilpMatrix
    build_time_s : float
    """

    problem: PlanningProblem
    context: BuildContext
    model: MilpMatrix
    build_time_s: float

    def selection(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(selected, period_index)`` per candidate (-1: not built) from ``x``."""
        n, periods = self.context.n, self.context.n_periods
        block = np.asarray(x[: n * periods]).reshape(periods, n) > 0.5
        selected = np.asarray(block.any(axis=0))
        period = np.where(selected, block.argmax(axis=0), -1)
        return selected, period

    def solve(self, options: SolverOptions | None = None, *, strategy: str = "auto",
              rank: bool = True) -> Any:
        """Solve and return a :class:`~geoplan.optimise.plan.Plan`.

        Parameters
        ----------
        options : SolverOptions, optional
            Solver, time limit and gap.
        strategy : {"auto", "direct", "lp-guided"}
            See :func:`geoplan.optimise.strategy.solve_compiled`.
        rank : bool
            Rank every candidate and give reasons (cheap; see :mod:`.ranking`).
        """
        from geoplan.optimise.plan import plan_from_outcome
        from geoplan.optimise.strategy import solve_compiled

        outcome, notes = solve_compiled(self, options or SolverOptions(), strategy)
        return plan_from_outcome(self, outcome, notes, rank=rank)
