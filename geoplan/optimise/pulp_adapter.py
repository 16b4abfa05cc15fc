"""The one place geoplan talks to PuLP (``pulp>=3.3,<4``): CBC, or HiGHS through PuLP.

PuLP builds one Python object per term, so it is only used where its solvers are wanted;
:mod:`geoplan.optimise.solvers` calls HiGHS directly by default.

CBC does not look at its time limit during the root LP (90 s for a 2 s limit at 20k x 2k):
under a time limit it runs behind a watchdog (:func:`_hard_stopped`), a small script that
interrupts CBC just before the time left is up and kills it when it is, so the solve ends
on time with CBC's best plan, or with no plan (``stopped_by`` ``"time_limit"`` either way).
Building PuLP's own model is pure Python and outside that stop.

PuLP's ``LpStatus`` says ``"Optimal"`` for a run stopped by its time limit with any integer
solution. This adapter reads ``sol_status`` instead, and the best bound from HiGHS where PuLP
exposes it, so a time-limited run is reported as ``"feasible"`` with its gap (or with an
unknown gap under CBC, which PuLP does not report), never as optimal.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import highspy
import numpy as np
import pulp

from geoplan.optimise.clock import MIN_PHASE_S
from geoplan.optimise.highs_banner import new_highs
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


HARD_STOP_GRACE_S = 0.3
"""Seconds CBC gets to write its plan after the watchdog interrupts it, before it is killed."""

_WATCHDOG = """#!{python}
import signal, subprocess, sys, time
child = subprocess.Popen([{cbc!r}, *sys.argv[1:]])
try:
    sys.exit(child.wait(timeout=max({stop_at!r} - time.time(), 0.01)))
except subprocess.TimeoutExpired:
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout={grace!r})
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    open({flag!r}, "w").close()
    sys.exit(child.returncode if child.returncode == 0 else 3)
"""


def _cbc_path(options: SolverOptions, common: dict) -> str:
    coin = pulp.COIN_CMD(threads=options.threads, **common)
    if coin.available():
        return str(coin.path)
    # PuLP 3.x still bundles CBC as PULP_CBC_CMD (deprecated for PuLP 4, where CBC comes
    # from the pulp[cbc] extra and COIN_CMD).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(pulp.PULP_CBC_CMD(threads=options.threads, **common).path)


@contextlib.contextmanager
def _hard_stopped(cbc: str, limit: float) -> Iterator[tuple[str, Path]]:
    """Write a watchdog script that runs ``cbc`` and stops it ``limit`` seconds from now.

    CBC is interrupted :data:`HARD_STOP_GRACE_S` before that (to write its plan) and
    killed at it.

    Yields the script's path and the file it creates when it had to stop CBC.
    """
    with tempfile.TemporaryDirectory(prefix="geoplan-cbc-") as folder:
        script, flag = Path(folder) / "cbc-watchdog", Path(folder) / "stopped"
        stop_at = time.time() + max(limit - HARD_STOP_GRACE_S, 0.01)
        script.write_text(_WATCHDOG.format(python=sys.executable, cbc=cbc, stop_at=stop_at,
                                           grace=HARD_STOP_GRACE_S, flag=str(flag)),
                          encoding="utf-8")
        script.chmod(0o700)
        yield str(script), flag


def _solver(options: SolverOptions, path: str | None = None,
            folder: str | None = None) -> pulp.LpSolver:
    """Return PuLP's solver for ``options``.

    CBC writes its model and plan files in ``folder``: PuLP leaves them behind when CBC is
    killed, so the caller owns the folder and removes it.
    """
    common = {"msg": bool(options.verbose), "timeLimit": options.time_limit,
              "gapRel": options.mip_gap}
    if options.node_limit is not None and options.solver == "cbc":
        common["maxNodes"] = options.node_limit
    if options.solver == "cbc":
        coin = pulp.COIN_CMD(threads=options.threads, path=path or _cbc_path(options, common),
                             **common)
        if folder is not None:
            coin.tmpDir = folder
        return coin
    new_highs(bool(options.verbose))  # PuLP builds a Highs of its own: no banner on stdout
    return pulp.HiGHS(threads=options.threads, **common)


def _run(problem: pulp.LpProblem, options: SolverOptions, deadline: float | None
         ) -> str | None:
    """Solve ``problem``; return ``"time_limit"`` when the hard stop had to end CBC."""
    if options.solver != "cbc" or deadline is None or os.name == "nt":
        with tempfile.TemporaryDirectory(prefix="geoplan-cbc-") as folder:
            problem.solve(_solver(options, folder=folder))
        return None
    left = deadline - time.perf_counter()
    if left < MIN_PHASE_S:  # building PuLP's model used the time: CBC could not start
        return "killed"
    timed = SolverOptions(solver="cbc", time_limit=max(left - HARD_STOP_GRACE_S, 0.01),
                          mip_gap=options.mip_gap,
                          threads=options.threads, seed=options.seed,
                          verbose=options.verbose, node_limit=options.node_limit)
    cbc = _cbc_path(timed, {"msg": False})
    with _hard_stopped(cbc, left) as (script, flag):
        try:
            problem.solve(_solver(timed, script, folder=str(flag.parent)))
        except pulp.PulpSolverError:
            if flag.exists():
                return "killed"
            raise
        return "time_limit" if flag.exists() else None


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
    deadline = None if options.time_limit is None else began + options.time_limit
    problem, variables = pulp_problem(model)
    hard = _run(problem, options, deadline)
    elapsed = time.perf_counter() - began
    name = "cbc" if options.solver == "cbc" else "highs-pulp"
    if hard == "killed":
        return SolveOutcome("no_solution", None, None, None, elapsed, None, name,
                            "CBC stopped by the time limit before it wrote a plan",
                            "time_limit")
    words = f"pulp status {pulp.LpStatus[problem.status]}, solution {problem.sol_status}"
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
    limited = "time_limit" if deadline else ("work_limit" if options.node_limit else "gap")
    stop = "gap" if kind == "optimal" else (hard or limited)
    return SolveOutcome(kind, objective, bound, gap, elapsed, x, name, words, stop)
