"""Trade-off curves between the objective and a second criterion.

:func:`epsilon_curve` (epsilon-constraint): optimise the problem's own objective subject to
``sum_j b_j s_j >= level`` for each level of a second column ``b`` (e.g. tCO2e/yr, or homes in
fuel poverty helped for equity), re-solving one built model with only the row bound changed.
Every point is a plan with its own status and gap; infeasible levels are reported as such,
never dropped.

:func:`weighted_sum_curve`: maximise ``(1 - a) * first + a * second`` (both normalised to their
totals) for each weight ``a``; cheaper, but it only finds points on the convex hull.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from geoplan.optimise.constraints import Target
from geoplan.optimise.objectives import MaximiseBenefit
from geoplan.optimise.problem import CompiledProblem, PlanningProblem
from geoplan.optimise.solvers import HighsSession, SolverOptions

__all__ = ["epsilon_curve", "weighted_sum_curve"]


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
