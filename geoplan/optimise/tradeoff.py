"""Trade-off curves between the objective and a second criterion.

:func:`epsilon_curve` (epsilon-constraint): optimise the problem's own objective subject to
``sum_j b_j s_j >= level`` for each level of a second column ``b`` (e.g. tCO2e/yr, or homes in
fuel poverty helped for equity), re-solving one built model with only the row bound changed.
Every point is a plan with its own status and gap; infeasible levels are reported as such,
never dropped.

:func:`weighted_sum_curve`: maximise ``(1 - a) * first + a * second`` (both normalised to their
totals) for each weight ``a``; cheaper, but it only finds points on the convex hull.

:func:`budget_curve`: re-solve one built model with every named budget scaled by each
fraction (cost against benefit: what more or less money would buy).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from geoplan.optimise.constraints import Target
from geoplan.optimise.objectives import MaximiseBenefit
from geoplan.optimise.problem import CompiledProblem, PlanningProblem
from geoplan.optimise.solvers import HighsSession, SolverOptions

__all__ = ["BudgetCurve", "budget_curve", "epsilon_curve", "weighted_sum_curve"]


def _point(compiled: CompiledProblem, x: np.ndarray | None, column: str) -> dict[str, object]:
    if x is None:
        return {f"{column}_achieved": None, "selected": None, "cost_gbp": None}
    selected, _ = compiled.selection(x)
    table = compiled.context.table
    cost = float(table["cost_gbp"][selected].sum()) if "cost_gbp" in table else None
    achieved = float(pd.to_numeric(table[column])[selected].sum())
    return {f"{column}_achieved": achieved, "selected": int(selected.sum()), "cost_gbp": cost}


def epsilon_curve(problem: PlanningProblem, column: str, levels: Sequence[float],
                  options: SolverOptions | None = None) -> pd.DataFrame:
    """Solve ``problem`` once per level of ``sum(column) >= level``.

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level``, ``status``, ``objective``, ``bound``, ``gap``,
        ``<column>_achieved``, ``selected`` (count) and ``cost_gbp``.
    """
    extended = replace(problem, constraints=[*problem.constraints, Target(column, 0.0)])
    compiled = extended.compile()
    session = HighsSession(compiled.model, options or SolverOptions())
    row = compiled.context.handles[f"target:{column}"]
    rows = []
    for level in levels:
        session.set_row_bounds(row, lower=[float(level)])
        outcome = session.solve()
        rows.append({"level": float(level), "status": outcome.status,
                     "objective": outcome.objective, "bound": outcome.bound, "gap": outcome.gap,
                     **_point(compiled, outcome.x, column)})
    return pd.DataFrame(rows)


def weighted_sum_curve(problem: PlanningProblem, first: str, second: str,
                       weights: Sequence[float],
                       options: SolverOptions | None = None) -> pd.DataFrame:
    """Maximise a normalised weighted sum of two benefit columns for each weight.

    ``problem``'s own objective is replaced; its constraints are kept.

    Returns
    -------
    pandas.DataFrame
        One row per weight ``a`` (on ``second``): ``weight``, ``status``, ``objective``,
        ``gap``, ``<first>_achieved``, ``<second>_achieved``, ``selected``, ``cost_gbp``.
    """
    rows = []
    for weight in weights:
        objective = MaximiseBenefit({first: 1.0 - weight, second: weight})
        plan = replace(problem, objective=objective).solve(options, rank=False)
        table = plan.table
        chosen = table[table["selected"]] if plan.has_plan else table.iloc[:0]
        rows.append({"weight": float(weight), "status": plan.status,
                     "objective": plan.objective, "gap": plan.gap,
                     f"{first}_achieved": float(pd.to_numeric(chosen[first]).sum()),
                     f"{second}_achieved": float(pd.to_numeric(chosen[second]).sum()),
                     "selected": len(chosen),
                     "cost_gbp": float(chosen["cost_gbp"].sum()) if "cost_gbp" in chosen
                     else None})
    return pd.DataFrame(rows)


def budget_curve(compiled: CompiledProblem, budgets: Sequence[str], fractions: Sequence[float],
                 values: Sequence[str] = (), options: SolverOptions | None = None, *,
                 period_columns: Mapping[int, str] | None = None,
                 strategy: str = "auto", plan: np.ndarray | None = None) -> pd.DataFrame:
    """Re-solve ``compiled`` with the budgets ``budgets`` (names) times each fraction.

    Parameters
    ----------
    compiled : CompiledProblem
        A built model whose budgets are named ``budget:<name>`` in its handles.
    budgets : sequence of str
        Budget names to scale (absent names are skipped).
    fractions : sequence of float
        Multipliers of the budgets' limits.
    values : sequence of str
        Candidate columns summed over the chosen candidates (``<column>`` in the result).
    options : SolverOptions, optional
    period_columns : Mapping[int, str], optional
        Milestone year -> column of a value that depends on the build period; its sum over
        the chosen candidates at their build period is ``period_value`` (candidates that a
        :class:`~geoplan.optimise.PeriodCoverage` term values count through it instead, each
        unit of demand once).
    strategy : str
        See :func:`geoplan.optimise.strategy.solve_compiled`; or ``"restricted"``
        (:func:`geoplan.optimise.strategy.solve_restricted`: no step depends on the wall
        clock, so the curve repeats exactly). Restricted points are solved from the least
        money up, each started from the best plan known to fit it (the point with less
        money, and ``plan`` from fraction 1 up), so more money never buys a worse plan;
        their relaxations share one HiGHS session, each started from the last one's vertex.
    plan : numpy.ndarray, optional
        The plan of ``compiled`` itself (fraction 1).

    Returns
    -------
    pandas.DataFrame
        One row per fraction: ``fraction``, ``status``, ``objective``, ``gap``,
        ``cost_gbp`` (candidates chosen), ``selected``, ``period_value`` and ``values``.
    """
    curve = BudgetCurve(compiled, budgets, values, options, period_columns=period_columns,
                        strategy=strategy)
    curve.solve(fractions, plan)
    return curve.table(fractions)


class BudgetCurve:
    """The points of :func:`budget_curve`, solved in parts (same arguments, same points).

    :meth:`solve` may be called more than once, each time with fractions above those
    solved before: the points then are those one call with every fraction gives (the
    restricted strategy's HiGHS session and the plan of the point with the most money so
    far carry over). So the points below 1, which need no plan of the model itself, can be
    solved before that plan is known, and the others after.
    """

    def __init__(self, compiled: CompiledProblem, budgets: Sequence[str],
                 values: Sequence[str] = (), options: SolverOptions | None = None, *,
                 period_columns: Mapping[int, str] | None = None,
                 strategy: str = "auto") -> None:
        self.compiled = compiled
        self.values = list(values)
        self.options = options or SolverOptions()
        self.period_columns = period_columns
        self.strategy = strategy
        self.found: dict[float, dict[str, object]] = {}
        self._rows = np.concatenate(
            [compiled.context.handles[f"budget:{name}"] for name in budgets
             if f"budget:{name}" in compiled.context.handles] or [np.zeros(0, dtype=int)])
        self._below: np.ndarray | None = None  # the plan of the point with the most money
        self._session: HighsSession | None = None  # restricted: one session, warm-started

    def solve(self, fractions: Sequence[float], plan: np.ndarray | None = None,
              stop: threading.Event | None = None) -> None:
        """Solve the points at ``fractions`` (each above every fraction solved before).

        ``stop``, once set, ends the call after the point being solved.

        Raises
        ------
        ValueError
            When a fraction is not above those already solved.
        """
        ordered = sorted({float(f) for f in fractions} - set(self.found))
        if ordered and self.found and ordered[0] < max(self.found):
            raise ValueError(f"fractions must rise from call to call: {ordered[0]} after "
                             f"{max(self.found)}")
        for fraction in ordered:
            if stop is not None and stop.is_set():
                return
            self.found[fraction] = self._point(fraction, plan)

    def _point(self, fraction: float, plan: np.ndarray | None) -> dict[str, object]:
        from geoplan.optimise.strategy import solve_compiled, solve_restricted

        compiled = self.compiled
        upper = compiled.model.row_upper.copy()
        upper[self._rows] = upper[self._rows] * fraction
        scaled = replace(compiled, model=compiled.model.with_bounds(row_upper=upper))
        if self.strategy == "restricted":
            starts = [self._below, plan if fraction >= 1.0 else None]
            if self._session is None:  # the restricted steps solve with HiGHS whatever
                self._session = HighsSession(scaled.model, self.options)
            outcome, _ = solve_restricted(scaled, self.options, starts, self._session)
        else:
            outcome, _ = solve_compiled(scaled, self.options, self.strategy)
        self._below = outcome.x if outcome.x is not None else self._below
        return {"fraction": fraction, "status": outcome.status, "objective": outcome.objective,
                "gap": outcome.gap, **plan_values(compiled, outcome.x, self.values,
                                                  self.period_columns)}

    def table(self, fractions: Sequence[float]) -> pd.DataFrame:
        """Return the points at ``fractions`` (solved before), one row each, in that order."""
        return pd.DataFrame([self.found[float(f)] for f in fractions])


def plan_values(compiled: CompiledProblem, x: np.ndarray | None, values: Sequence[str] = (),
                period_columns: Mapping[int, str] | None = None) -> dict[str, float | None]:
    """Cost, count, build-period value and column sums of the plan ``x`` (None: no plan)."""
    names = ["cost_gbp", "selected", "period_value", *values]
    if x is None:
        return dict.fromkeys(names)
    selected, period = compiled.selection(np.asarray(x))
    table = compiled.context.table
    out: dict[str, float | None] = {
        "cost_gbp": float(pd.to_numeric(table["cost_gbp"])[selected].sum())
        if "cost_gbp" in table else None, "selected": float(selected.sum())}
    total = 0.0
    by_coverage = np.zeros(len(table), dtype=bool)
    for handle in compiled.context.period_coverage:  # each unit of demand once
        total += handle.value(np.asarray(x))
        by_coverage |= handle.candidates(len(table))
    for t, year in enumerate(compiled.context.periods):
        column = (period_columns or {}).get(year)
        if column is not None:
            built = pd.to_numeric(table[column]).to_numpy(float)
            total += float(built[(period == t) & ~by_coverage].sum())
    out["period_value"] = total if period_columns else None
    for column in values:
        out[column] = float(pd.to_numeric(table[column])[selected].sum())
    return out
