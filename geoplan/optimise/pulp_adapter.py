"""The one place geoplan talks to PuLP (``pulp>=3.3,<4``): CBC, or HiGHS through PuLP.

PuLP builds one Python object per term, so it is only used where its solvers are wanted;
:mod:`geoplan.optimise.solvers` calls HiGHS directly by default.

PuLP's ``LpStatus`` says ``"Optimal"`` for a run stopped by its time limit with any integer
solution. This adapter reads ``sol_status`` instead, and the best bound from HiGHS where PuLP
exposes it, so a time-limited run is reported as ``"feasible"`` with its gap (or with an
unknown gap under CBC, which PuLP does not report), never as optimal.
"""

from __future__ import annotations

import time
import warnings

import highspy
import numpy as np
import pulp

from geoplan.optimise.matrix import MilpMatrix
from geoplan.optimise.outcome import SolveOutcome, SolverOptions, classify, settle_bound

__all__ = ["pulp_problem", "solve_with_pulp"]


def pulp_problem(model: MilpMatrix, name: str = "geoplan") -> tuple[pulp.LpProblem, list]:
    """Build the PuLP problem equal to ``model``; also return its variables in order."""
    sense = pulp.LpMaximize if model.sense == "max" else pulp.LpMinimize
    problem = pulp.LpProblem(name, sense)
    variables = [
        problem.add_variable(
            f"x{j}",
            lowBound=None if not np.isfinite(low) else float(low),
            upBound=None if not np.isfinite(up) else float(up),
            cat=pulp.LpInteger if integer else pulp.LpContinuous,
        )
        for j, (low, up, integer) in enumerate(
            zip(model.col_lower, model.col_upper, model.integer, strict=True))
    ]
    nonzero = np.flatnonzero(model.cost)
    problem += pulp.LpAffineExpression(
        [(variables[j], float(model.cost[j])) for j in nonzero], constant=model.offset)
    csr = model.matrix.tocsr()
    for i in range(csr.shape[0]):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        expression = pulp.LpAffineExpression(
            [(variables[j], float(v)) for j, v in zip(csr.indices[lo:hi], csr.data[lo:hi],
                                                       strict=True)])
        low, up = model.row_lower[i], model.row_upper[i]
        if np.isfinite(low) and np.isfinite(up) and low == up:
            problem += expression == float(low), f"r{i}"
            continue
        if np.isfinite(low):
            problem += expression >= float(low), f"r{i}_lo"
        if np.isfinite(up):
            problem += expression <= float(up), f"r{i}_up"
    return problem, variables


def _solver(options: SolverOptions) -> pulp.LpSolver:
    common = {"msg": bool(options.verbose), "timeLimit": options.time_limit,
              "gapRel": options.mip_gap}
    if options.solver == "cbc":
        coin = pulp.COIN_CMD(threads=options.threads, **common)
        if coin.available():
            return coin
        # PuLP 3.x still bundles CBC as PULP_CBC_CMD (deprecated for PuLP 4, where CBC comes
        # from the pulp[cbc] extra and COIN_CMD).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(threads=options.threads, **common)
    return pulp.HiGHS(threads=options.threads, **common)


def _highs_bound(problem: pulp.LpProblem, sense: str) -> float | None:
    highs = getattr(problem, "solverModel", None)
    if highs is None:
        return None
    bound = float(highs.getInfo().mip_dual_bound)
    if not np.isfinite(bound):
        return None
    # PuLP hands HiGHS a maximisation as the minimisation of the negated objective.
    minimising = highs.getObjectiveSense()[1] == highspy.ObjSense.kMinimize
    return -bound if sense == "max" and minimising else bound


def solve_with_pulp(model: MilpMatrix, options: SolverOptions) -> SolveOutcome:
    """Solve ``model`` with CBC or HiGHS through PuLP, reporting status honestly.

    Returns
    -------
    SolveOutcome
        ``bound`` and ``gap`` are ``None`` under CBC unless it proved optimality.
    """
    began = time.perf_counter()
    problem, variables = pulp_problem(model)
    problem.solve(_solver(options))
    elapsed = time.perf_counter() - began
    words = f"pulp status {pulp.LpStatus[problem.status]}, solution {problem.sol_status}"
    name = "cbc" if options.solver == "cbc" else "highs-pulp"
    if problem.sol_status == pulp.LpSolutionInfeasible or problem.status == -1:
        return SolveOutcome("infeasible", None, None, None, elapsed, None, name, words)
    if problem.sol_status == pulp.LpSolutionUnbounded or problem.status == -2:
        return SolveOutcome("unbounded", None, None, None, elapsed, None, name, words)
    found = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    if not found:
        return SolveOutcome("no_solution", None, None, None, elapsed, None, name, words)
    x = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables])
    x.flags.writeable = False
    objective = model.objective(x)
    proven = problem.sol_status == pulp.LpSolutionOptimal
    if name == "highs-pulp":
        bound = _highs_bound(problem, model.sense)
    else:
        bound = objective if proven else None
    bound = settle_bound(model.sense, objective, bound)
    kind, gap = classify(model.sense, objective, bound, proven=proven)
    return SolveOutcome(kind, objective, bound, gap, elapsed, x, name, words)
