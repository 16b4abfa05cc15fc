"""Why is a planning problem infeasible? Which constraint family, by how much.

For each constraint family in turn (budgets, headroom, minimums, coverage floors, targets,
capacities), every row of that family gets an elastic slack and the total slack, scaled by each
row's size, is minimised while every other family stays hard. A family whose slack can absorb
the conflict is reported row by row: how much more a limit would need, or how far short a
minimum falls. For example::

    relaxing budget rows alone makes the plan feasible:
      budget cost_gbp: the other constraints need 2,100,000 more than its limit 5,000,000
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.matrix import MilpMatrix
from geoplan.optimise.solvers import HighsSession, SolverOptions

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["SOFT_FAMILIES", "diagnose"]

SOFT_FAMILIES = ("budget", "headroom", "minimum", "coverage_floor", "target", "capacity", "lock")


def _elastic(model: MilpMatrix, rows: np.ndarray) -> tuple[MilpMatrix, np.ndarray, np.ndarray]:
    """Add one slack per direction of each row in ``rows``; minimise their scaled sum."""
    upper = rows[np.isfinite(model.row_upper[rows])]
    lower = rows[np.isfinite(model.row_lower[rows])]
    owners = np.concatenate([upper, lower])
    signs = np.concatenate([-np.ones(len(upper)), np.ones(len(lower))])
    slack = sp.csr_matrix((signs, (owners, np.arange(len(owners)))),
                          shape=(model.shape[0], len(owners)))
    size = np.concatenate([np.abs(model.row_upper[upper]), np.abs(model.row_lower[lower])])
    n = model.shape[1]
    elastic = MilpMatrix(
        "min",
        np.concatenate([np.zeros(n), 1.0 / (1.0 + size)]),
        np.concatenate([model.col_lower, np.zeros(len(owners))]),
        np.concatenate([model.col_upper, np.full(len(owners), np.inf)]),
        np.concatenate([model.integer, np.zeros(len(owners), bool)]),
        sp.hstack([model.matrix, slack], format="csr"),
        model.row_lower, model.row_upper, model.row_family, model.row_label,
    )
    return elastic, owners, signs


def _messages(model: MilpMatrix, owners: np.ndarray, signs: np.ndarray,
              slack: np.ndarray) -> list[str]:
    lines = []
    for row, sign, amount in zip(owners, signs, slack, strict=True):
        if amount <= 1e-6 * (1 + abs(amount)):
            continue
        label = model.row_label[row]
        if sign < 0:
            limit = model.row_upper[row]
            lines.append(f"  {label}: the other constraints need {amount:,.6g} more than its "
                         f"limit {limit:,.6g}")
        elif model.row_lower[row] == 0:  # a share row: amount - share x total >= 0
            lines.append(f"  {label}: falls short of its required share by {amount:,.6g} "
                         "(its amount less the share times the total)")
        else:
            need = model.row_lower[row]
            lines.append(f"  {label}: can reach at most {need - amount:,.6g} of the "
                         f"{need:,.6g} required (short by {amount:,.6g})")
    return lines


def diagnose(compiled: CompiledProblem, time_limit: float = 20.0) -> list[str]:
    """Explain an infeasible problem (see the module docstring); lines of text."""
    model = compiled.model
    options = SolverOptions(time_limit=time_limit)
    lines: list[str] = []
    families = [f for f in SOFT_FAMILIES if (model.row_family == f).any()]
    for family in families:
        rows = np.flatnonzero(model.row_family == family)
        elastic, owners, signs = _elastic(model, rows)
        outcome = HighsSession(elastic, options).solve()
        if outcome.x is None:
            continue
        slack = np.asarray(outcome.x)[model.shape[1]:]
        found = _messages(model, owners, signs, slack)
        if found:
            lines.append(f"relaxing {family} rows alone makes the plan feasible:")
            lines.extend(found)
    if not lines:
        lines.append("no single constraint family explains it: check locked-in candidates "
                     "against groups, budgets and headroom together")
    return lines
