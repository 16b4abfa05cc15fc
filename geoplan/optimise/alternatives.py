r"""Decision support on a solved plan: replacement cost, value of a limit, near-optimal portfolio.

Each answer re-solves the compiled model (:class:`~geoplan.optimise.matrix.MilpMatrix`) with
one change, warm-started from the plan where the plan stays feasible, on one clock
(:class:`~geoplan.optimise.clock.Clock`):

- **Replacement cost** (:func:`replacement_costs`) of a chosen candidate :math:`j`: the
  objective lost when :math:`j` is forced out (:math:`x_{jt} = 0` for every period) and the
  plan re-optimised, :math:`z^* - z^*_{-j}` when maximising (:math:`z^*_{-j} - z^*` when
  minimising). The ranking's ``marginal_value`` is the same loss *without* re-optimising, so
  the replacement cost is never larger when the plan without the candidate stays feasible
  and the re-solve is proven. Only the ``top``
  candidates by ``marginal_value`` are re-solved. A candidate the plan cannot do without (the
  model is infeasible without it) has an infinite replacement cost.
- **Value of a limit** (:func:`limit_values`): for every binding row of a family with a step
  (used to within one step of its limit, :func:`binding_rows`)
  (e.g. ``{"budget": 1e6}`` for one more £1m, ``{"headroom": 1000}`` for one more MW of a
  substation's headroom in kW), the objective gained when that row's upper limit is raised by
  one step and the plan re-solved (method ``"re-solve"``; milestone rows are separate rows,
  so each milestone gets its own value). Beside it, ``lp_dual_value``: the step times the
  row's dual in the LP at the plan (:func:`plan_duals`: the integer columns fixed at the
  plan's values, the continuous ones re-optimised), the first-order value of the limit with
  the plan's choices held. It is 0 for a row over integer choices alone (their bounds, not
  the row, then carry the duals), where only the re-solve can say what a step is worth.
- **Portfolio** (:func:`portfolio`): up to ``plans`` distinct plans within ``within`` of the
  plan's objective, best first. After each plan with chosen set :math:`S` a no-good cut
  :math:`\sum_{j \in S} (1 - s_j) + \sum_{j \notin S} s_j \ge 1` (with
  :math:`s_j = \sum_t x_{jt}`) removes it, and the row
  :math:`c^\top x \ge z^* - \text{within}\,|z^*|` (``<=`` and ``+`` when minimising) keeps
  the rest near-optimal. Plans differing only in when a candidate is built are one plan. Each
  candidate's ``frequency`` is the share of the portfolio's plans that choose it.

Examples
--------
>>> import pandas as pd
>>> from geoplan.optimise import Budget, MaximiseBenefit, PlanningProblem
>>> table = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [2.0, 3.0, 1.0],
...                       "tco2e_per_yr": [5.0, 4.0, 3.0]})
>>> compiled = PlanningProblem(table, MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),
...                            [Budget(5.0)]).compile()
>>> plan = compiled.solve()
>>> replacement_costs(compiled, plan.solution)["replacement_cost"].tolist()
[2.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.optimise.clock import Clock
from geoplan.optimise.matrix import MilpMatrix
from geoplan.optimise.outcome import SolveOutcome, SolverOptions
from geoplan.optimise.ranking import rank_candidates
from geoplan.optimise.solvers import HighsSession, solve

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["LIMIT_METHOD", "Portfolio", "binding_rows", "limit_values", "plan_duals",
           "portfolio", "replacement_costs"]

LIMIT_METHOD = "re-solve"
"""How :func:`limit_values` values a limit: the plan re-solved with the limit one step higher."""

_TOL = 1e-6


class _Resolver:
    """Re-solves one model with changed bounds: a kept HiGHS session, or a fresh solve."""

    def __init__(self, model: MilpMatrix, options: SolverOptions, clock: Clock) -> None:
        self.model, self.options, self.clock = model, options, clock
        self.session = HighsSession(model, options) if options.solver == "highs" else None

    def run(self, model: MilpMatrix, start: np.ndarray | None) -> SolveOutcome | None:
        """Solve ``model`` (same shape, other bounds); ``None`` when the clock has run out."""
        if self.clock.expired():
            return None
        if start is not None and len(model.violations(start)):
            start = None
        if self.session is None:
            limit = self.clock.remaining()
            options = self.options if limit is None else _with_limit(self.options, limit)
            return solve(model, options)
        self.session.set_col_bounds(np.arange(model.shape[1]), model.col_lower, model.col_upper)
        self.session.set_row_bounds(np.arange(model.shape[0]), model.row_lower, model.row_upper)
        return self.session.solve(start=start, time_limit=self.clock.remaining())


def _with_limit(options: SolverOptions, limit: float) -> SolverOptions:
    return SolverOptions(solver=options.solver, time_limit=limit, mip_gap=options.mip_gap,
                         threads=options.threads, seed=options.seed, verbose=options.verbose,
                         node_limit=options.node_limit)


def _candidate_columns(compiled: CompiledProblem, j: int) -> np.ndarray:
    ctx = compiled.context
    return ctx.x.start + np.arange(ctx.n_periods) * ctx.n + j


def _loss(sense: str, before: float, after: float) -> float:
    return before - after if sense == "max" else after - before


def replacement_costs(compiled: CompiledProblem, x: np.ndarray, *, top: int = 20,
                      options: SolverOptions | None = None) -> pd.DataFrame:
    """Objective lost when each of the ``top`` chosen candidates is forced out and re-planned.

    Parameters
    ----------
    compiled : CompiledProblem
    x : numpy.ndarray
        The plan's solution (``Plan.solution``).
    top : int
        How many chosen candidates to re-solve, by the ranking's ``marginal_value`` (largest
        first; ties by candidate id).
    options : SolverOptions, optional
        Solver, gap and ``time_limit`` for all the re-solves together (one clock).

    Returns
    -------
    pandas.DataFrame
        One row per chosen candidate, in the order tried: ``candidate_id``,
        ``marginal_value`` (loss without re-optimising), ``replacement_cost`` (from the
        re-solve's plan; NaN when the clock ran out first, ``inf`` when no plan exists
        without it), ``replacement_cost_low`` (from the re-solve's bound: the loss is at
        least this; equal up to the gap when the status is ``"optimal"``) and
        ``replacement_status`` (the re-solve's status, or ``"not run"``). A re-solve stopped
        early (``"feasible"``) may overstate the loss: the true one lies between the two.
    """
    options = options or SolverOptions()
    x = np.asarray(x, float)
    model = compiled.model
    ranked = rank_candidates(compiled, x)
    ids = compiled.context.table["candidate_id"].astype(str).to_numpy()
    chosen = np.flatnonzero(ranked["selected"].to_numpy(bool))
    marginal = ranked["marginal_value"].to_numpy(float)
    order = chosen[np.lexsort((ids[chosen], -marginal[chosen]))][: max(int(top), 0)]
    before = model.objective(x)
    resolver = _Resolver(model, options, Clock(options.time_limit))
    rows = []
    for j in order:
        upper = model.col_upper.copy()
        columns = _candidate_columns(compiled, int(j))
        upper[columns] = 0.0
        start = x.copy()
        start[columns] = 0.0
        changed = model.with_bounds(col_upper=upper)
        outcome = resolver.run(changed, start)
        known = None if len(changed.violations(start)) else changed.objective(start)
        rows.append({"candidate_id": ids[j], "marginal_value": float(marginal[j]),
                     **_replacement(model.sense, before, _at_least(outcome, known,
                                                                   model.sense))})
    return pd.DataFrame(rows, columns=["candidate_id", "marginal_value", "replacement_cost",
                                       "replacement_cost_low", "replacement_status"])


def _at_least(outcome: SolveOutcome | None, known: float | None, sense: str
              ) -> SolveOutcome | None:
    """Return ``outcome`` with its objective no worse than ``known``, a feasible point's.

    A re-solve stopped early can return an incumbent worse than a point known to be
    feasible (the plan itself, or the plan without the candidate); the better one counts.
    """
    if outcome is None or known is None or outcome.status == "infeasible":
        return outcome
    value = outcome.objective
    if value is None or (known > value if sense == "max" else known < value):
        return replace(outcome, objective=known)
    return outcome


def _replacement(sense: str, before: float, outcome: SolveOutcome | None) -> dict[str, object]:
    nan = float("nan")
    if outcome is None:
        return {"replacement_cost": nan, "replacement_cost_low": nan,
                "replacement_status": "not run"}
    if outcome.status == "infeasible":
        return {"replacement_cost": float("inf"), "replacement_cost_low": float("inf"),
                "replacement_status": "infeasible"}
    low = nan if outcome.bound is None else _loss(sense, before, outcome.bound)
    if outcome.objective is None:
        return {"replacement_cost": nan, "replacement_cost_low": low,
                "replacement_status": outcome.status}
    return {"replacement_cost": _loss(sense, before, outcome.objective),
            "replacement_cost_low": low, "replacement_status": outcome.status}


def binding_rows(model: MilpMatrix, x: np.ndarray, steps: Mapping[str, float]) -> np.ndarray:
    """Rows of the ``steps`` families within one step of their upper limit that ``x`` uses.

    In an integer plan a limit can stop the plan with some slack left (less than any
    candidate that would fit costs), so "binding" here means a slack below the family's step.
    """
    activity = model.matrix @ x
    upper = model.row_upper
    finite = np.isfinite(upper)
    step = np.array([float(steps.get(str(f), 0.0)) for f in model.row_family])
    tol = _TOL * (1 + np.abs(np.where(finite, upper, 0.0)))
    used = abs(model.matrix) @ np.abs(x) > _TOL
    wanted = np.isin(model.row_family, list(steps))
    slack = np.where(finite, upper, 0.0) - activity
    return np.flatnonzero(wanted & finite & used & (slack < np.maximum(step, tol)))


def plan_duals(model: MilpMatrix, x: np.ndarray,
               options: SolverOptions | None = None) -> np.ndarray | None:
    """Row duals of the LP at plan ``x``: integer columns fixed at ``x``, the rest free.

    Each dual is the rate of change of the objective per unit of the row's limit (HiGHS's
    sign: positive when raising the limit raises the objective). ``None`` when that LP is
    not solved to optimality (e.g. out of time).
    """
    x = np.asarray(x, float)
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    fixed = model.integer.astype(bool)
    lower[fixed] = upper[fixed] = np.round(x[fixed])
    base = options or SolverOptions()
    session = HighsSession(model.with_bounds(col_lower=lower, col_upper=upper),
                           SolverOptions(time_limit=base.time_limit, threads=base.threads,
                                         seed=base.seed))
    if session.solve(relax=True, method="simplex").status != "optimal":
        return None
    solution = session.highs.getSolution()
    return np.asarray(solution.row_dual, float) if solution.dual_valid else None


def limit_values(compiled: CompiledProblem, x: np.ndarray, steps: Mapping[str, float], *,
                 options: SolverOptions | None = None) -> pd.DataFrame:
    """Objective gained by one more step of each binding limit, by re-solving.

    Parameters
    ----------
    compiled : CompiledProblem
    x : numpy.ndarray
        The plan's solution.
    steps : mapping of str to float
        Row family -> one step in the row's units (``{"budget": 1e6, "headroom": 1000.0}``).
    options : SolverOptions, optional
        Solver, gap and ``time_limit`` for all the re-solves together.

    Returns
    -------
    pandas.DataFrame
        One row per binding limit: ``constraint`` (the row's label, with its milestone),
        ``family``, ``step``, ``value`` (objective gained: more benefit, or less cost when
        minimising; NaN when the clock ran out), ``status``, ``method``
        (:data:`LIMIT_METHOD`) and ``lp_dual_value`` (the step times the row's dual at the
        plan, :func:`plan_duals`, in the same sense as ``value``; NaN without that LP).
    """
    options = options or SolverOptions()
    x = np.asarray(x, float)
    model = compiled.model
    rows = binding_rows(model, x, steps)
    resolver = _Resolver(model, options, Clock(options.time_limit))
    before = model.objective(x)
    duals = plan_duals(model, x, options) if len(rows) else None
    gained = 1.0 if model.sense == "max" else -1.0  # less cost is the gain when minimising
    out = []
    for row in rows:
        family = str(model.row_family[row])
        upper = model.row_upper.copy()
        upper[row] += float(steps[family])
        outcome = _at_least(resolver.run(model.with_bounds(row_upper=upper), x), before,
                            model.sense)
        value = (float("nan") if outcome is None or outcome.objective is None
                 else 0.0 - _loss(model.sense, before, outcome.objective))  # never -0.0
        out.append({"constraint": str(model.row_label[row]), "family": family,
                    "step": float(steps[family]), "value": value,
                    "status": "not run" if outcome is None else outcome.status,
                    "method": LIMIT_METHOD,
                    "lp_dual_value": (float("nan") if duals is None
                                      else 0.0 + gained * float(duals[row]) * steps[family])})
    return pd.DataFrame(out, columns=["constraint", "family", "step", "value", "status",
                                      "method", "lp_dual_value"])


@dataclass(frozen=True)
class Portfolio:
    """Distinct near-optimal plans and how often each candidate is in them.

    Attributes
    ----------
    plans : pandas.DataFrame
        One row per plan, best first: ``plan`` (1 is the given plan), ``objective``,
        ``selected`` (number chosen), ``candidate_ids`` (sorted, ``;``-joined), ``status``.
    frequency : pandas.DataFrame
        One row per candidate (the candidates' order): ``candidate_id``, ``frequency``.
    """

    plans: pd.DataFrame
    frequency: pd.DataFrame


def _with_rows(model: MilpMatrix, rows: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray,
               family: str, labels: list[str]) -> MilpMatrix:
    return MilpMatrix(model.sense, model.cost, model.col_lower, model.col_upper, model.integer,
                      sp.vstack([model.matrix, rows], format="csr"),
                      np.concatenate([model.row_lower, lower]),
                      np.concatenate([model.row_upper, upper]),
                      np.concatenate([model.row_family, np.array([family] * len(labels))]),
                      np.concatenate([model.row_label, np.array(labels)]),
                      model.blocks, model.offset)


def _no_good(compiled: CompiledProblem, chosen: np.ndarray) -> tuple[sp.csr_matrix, float]:
    """Return the row ``-sum_S s_j + sum_notS s_j >= 1 - |S|`` excluding the chosen set."""
    ctx = compiled.context
    n_cols = compiled.model.shape[1]
    sign = np.where(chosen, -1.0, 1.0)
    columns = np.concatenate([ctx.x.start + t * ctx.n + np.arange(ctx.n)
                              for t in range(ctx.n_periods)])
    row = sp.csr_matrix((np.tile(sign, ctx.n_periods), (np.zeros(len(columns), int), columns)),
                        shape=(1, n_cols))
    return row, 1.0 - float(chosen.sum())


def portfolio(compiled: CompiledProblem, x: np.ndarray, *, plans: int = 5,
              within: float = 0.02, options: SolverOptions | None = None) -> Portfolio:
    """Up to ``plans`` distinct plans within ``within`` of ``x``'s objective (module docstring).

    Parameters
    ----------
    compiled : CompiledProblem
    x : numpy.ndarray
        The plan's solution; it is plan 1.
    plans : int
        Most plans in the portfolio, the given one included.
    within : float
        Relative distance from the plan's objective (0.02: within 2%).
    options : SolverOptions, optional
        Solver, gap and ``time_limit`` for all the re-solves together. With a gap above 0 a
        later plan may be slightly worse than the next-best one; every plan is within.

    Returns
    -------
    Portfolio
    """
    options = options or SolverOptions()
    x = np.asarray(x, float)
    model = compiled.model
    ids = compiled.context.table["candidate_id"].astype(str).to_numpy()
    best = model.objective(x)
    slack = abs(within) * abs(best) + _TOL * (1 + abs(best))
    limit = best - model.offset
    bounds = ((limit - slack, np.inf) if model.sense == "max" else (-np.inf, limit + slack))
    model = _with_rows(model, sp.csr_matrix(model.cost.reshape(1, -1)),
                       np.array([bounds[0]]), np.array([bounds[1]]), "portfolio",
                       ["objective within the portfolio's distance"])
    clock = Clock(options.time_limit)
    found = [(compiled.selection(x)[0], best, "given")]
    while len(found) < plans and not clock.expired():
        row, lower = _no_good(compiled, found[-1][0])
        model = _with_rows(model, row, np.array([lower]), np.array([np.inf]), "no_good",
                           [f"not plan {len(found)}"])
        outcome = _Resolver(model, options, clock).run(model, None)
        if outcome is None or outcome.x is None:
            break
        found.append((compiled.selection(np.asarray(outcome.x))[0],
                      float(outcome.objective or 0.0), outcome.status))
    return _portfolio_tables(found, ids)


def _portfolio_tables(found: list[tuple[np.ndarray, float, str]], ids: np.ndarray) -> Portfolio:
    plans = pd.DataFrame({
        "plan": np.arange(1, len(found) + 1),
        "objective": [value for _, value, _ in found],
        "selected": [int(chosen.sum()) for chosen, _, _ in found],
        "candidate_ids": [";".join(sorted(ids[chosen])) for chosen, _, _ in found],
        "status": [status for _, _, status in found],
    })
    counts = np.sum([chosen for chosen, _, _ in found], axis=0)
    frequency = pd.DataFrame({"candidate_id": ids, "frequency": counts / len(found)})
    return Portfolio(plans, frequency)
