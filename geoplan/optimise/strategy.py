"""How a compiled problem is solved: directly, or LP-guided for large coverage models.

``direct``
    One HiGHS (or PuLP) solve of the whole model, started from the greedy + swap plan when
    the model is a coverage model the heuristics understand.
``lp-guided``
    For large models under a time limit, where HiGHS's simplex root alone can use the whole
    limit:

    1. greedy + 1-swap plan (a valid incumbent within a second);
    2. the linear relaxation by interior point without crossover, for up to
       :data:`RELAXATION_TIME_SHARE` of the time left: the Lagrangian bound of its row duals
       is a valid bound on the optimum even if it stops early
       (:func:`geoplan.optimise.bounds.dual_bound`);
    3. restricted MIPs over the candidates the relaxation values most (above 0.5, then 0.2,
       then 0.1; plus those in the best plan so far), each warm-started with up to a quarter
       of the time left: their plans are plans of the full model;
    4. the full MIP, warm-started, for whatever time is left: it may improve the incumbent
       and the bound.

    The result reports the best incumbent and the best valid bound of steps 2 and 4, so the
    gap is honest: the restricted MIP's own bound is never used.
``auto``
    ``lp-guided`` when a time limit is set, the model has more than
    :data:`LARGE_MODEL_NONZEROS` non-zeros and the coverage heuristics apply or the model is
    phased (its relaxation is then solved to a vertex, by crossover: where many candidates
    tie on value per pound, the interior point spreads thinly over them all); otherwise
    ``direct``. The full MIP is skipped when a restricted MIP's plan is already within the
    gap of the relaxation's bound (for a phased model, within :data:`PHASED_ENOUGH_GAP`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from geoplan.optimise.outcome import settle_bound
from geoplan.optimise.solvers import (
    HighsSession,
    SolveOutcome,
    SolverOptions,
    classify,
    solve,
)
from geoplan.optimise.starts import heuristic_plan
from geoplan.schemas import STRATEGIES

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["LARGE_MODEL_NONZEROS", "PHASED_ENOUGH_GAP", "STRATEGIES", "heuristic_plan",
           "solve_compiled", "solve_restricted"]

LARGE_MODEL_NONZEROS = 200_000
RESTRICTION_THRESHOLDS = (0.5, 0.2, 0.1)
"""Relaxation values above which candidates enter the successive restricted MIPs."""
RELAXATION_TIME_SHARE = 0.6
"""Share of the time left that the interior-point relaxation may use."""
PHASED_ENOUGH_GAP = 5e-3
"""Gap to the relaxation's bound at which a phased model's restricted plan is kept without
the full MIP (whose presolve can stall on such models; measured on the sample county)."""


def solve_compiled(compiled: CompiledProblem, options: SolverOptions,
                   strategy: str = "auto") -> tuple[SolveOutcome, list[str]]:
    """Solve with the chosen strategy (see the module docstring); returns outcome and notes."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, not {strategy!r}")
    began = time.perf_counter()
    found = heuristic_plan(compiled, options)
    start, notes = found.x, list(found.notes)
    if strategy == "auto":
        large = compiled.model.matrix.nnz > LARGE_MODEL_NONZEROS
        # lp-guided pays off where the uncapacitated heuristics give a good start, and on
        # phased models, whose MIP presolve can stall where many candidates tie on value
        guided = found.kind == "coverage" or compiled.context.n_periods > 1
        strategy = ("lp-guided" if large and options.time_limit and guided else "direct")
    if options.solver != "highs":  # PuLP's solvers: one direct solve, whatever was asked
        strategy = f"direct through {options.solver}"
        outcome = solve(compiled.model, options)
    elif strategy == "direct":
        remaining = _remaining(options, began)
        outcome = HighsSession(compiled.model, options).solve(start=start, time_limit=remaining)
    else:
        outcome = _lp_guided(compiled, options, start, began, notes)
    outcome = _keep_start(compiled, outcome, start, notes)
    notes.append(f"strategy: {strategy}")
    return _timed(outcome, time.perf_counter() - began), notes


def _remaining(options: SolverOptions, began: float) -> float | None:
    if options.time_limit is None:
        return None
    return max(options.time_limit - (time.perf_counter() - began), 0.05)


def solve_restricted(compiled: CompiledProblem, options: SolverOptions
                     ) -> tuple[SolveOutcome, list[str]]:
    """Solve by steps 1-3 of ``lp-guided`` only: relaxation bound, restricted MIPs' plans.

    No step depends on the wall clock when ``options`` has no time limit (the full MIP,
    which may need the whole limit, is left out), so the same model gives the same plan; the
    gap against the relaxation's bound stays honest. For re-solves such as a trade-off curve.
    """
    began = time.perf_counter()
    found = heuristic_plan(compiled, options)
    notes = list(found.notes)
    outcome = _lp_guided(compiled, options, found.x, began, notes, full_mip=False)
    outcome = _keep_start(compiled, outcome, found.x, notes)
    notes.append("strategy: lp-guided without the full MIP")
    return _timed(outcome, time.perf_counter() - began), notes


def _lp_guided(compiled: CompiledProblem, options: SolverOptions, start: np.ndarray | None,
               began: float, notes: list[str], *, full_mip: bool = True) -> SolveOutcome:
    model = compiled.model
    session = HighsSession(model, options)
    # phased models: a vertex (crossover) is near-integral where many candidates tie on value
    # per pound (e.g. woodland parcels), where the interior point spreads thinly over them all
    relaxed = session.solve(relax=True, method="ipm",
                            crossover=compiled.context.n_periods > 1 or not full_mip,
                            time_limit=RELAXATION_TIME_SHARE * (_remaining(options, began) or 0)
                            or None)
    values = np.asarray(session.highs.getSolution().col_value)
    bound = relaxed.bound
    shown = "none" if bound is None else f"{bound:,.6g}"
    finished = "" if relaxed.status == "optimal" else ", stopped early"
    notes.append(f"linear relaxation (interior point, bound from its duals{finished}): {shown} "
                 f"in {relaxed.time_s:.1f} s")
    if relaxed.status == "infeasible":
        return relaxed
    best = start
    if relaxed.status != "optimal":  # an unfinished relaxation's values guide nothing
        values = np.zeros_like(values)
    inner = options
    if compiled.context.n_periods > 1:  # ties on value per pound make proving 0.01% slow
        inner = replace(options, mip_gap=max(options.mip_gap, PHASED_ENOUGH_GAP / 5))
    for threshold in RESTRICTION_THRESHOLDS:
        best = _restricted(compiled, inner, values, threshold, best, began, notes)
    # a phased model's full MIP can spend the whole limit in HiGHS's presolve without
    # improving the plan: stop at PHASED_ENOUGH_GAP there (the gap reported stays the proven one)
    enough = max(options.mip_gap, PHASED_ENOUGH_GAP if compiled.context.n_periods > 1 else 0.0)
    if not full_mip or _within_gap(model, best, bound, enough):
        if full_mip:
            notes.append(f"full MIP skipped: that plan is within {enough:.2%} of the "
                         "relaxation's bound")
        return _combine(model.sense, [best], [bound], model, relaxed)
    full = session.solve(start=best, time_limit=_remaining(options, began))
    notes.append(f"full MIP from that plan: {full.status}, bound "
                 f"{full.bound if full.bound is None else f'{full.bound:,.6g}'}")
    return _combine(model.sense, [best, full.x], [bound, full.bound], model, full)


def _restricted(compiled: CompiledProblem, options: SolverOptions, values: np.ndarray,
                threshold: float, best: np.ndarray | None, began: float,
                notes: list[str]) -> np.ndarray | None:
    """Solve the MIP restricted to candidates the relaxation values above ``threshold``.

    Candidates in the best plan so far stay in; the solve starts from that plan. Returns the
    better of the two plans.
    """
    model, x = compiled.model, compiled.context.x
    keep = (values[x.start:x.stop] > threshold) | (model.col_lower[x.start:x.stop] > 0.5)
    if best is not None:
        keep |= best[x.start:x.stop] > 0.5
    if compiled.context.n_periods > 1:
        # a candidate the relaxation builds across periods (0.3 now, 0.3 later) enters with
        # every period: its summed value, not each period's, says it is worth building
        n = compiled.context.n
        summed = values[x.start:x.stop].reshape(-1, n).sum(axis=0)
        keep |= np.tile((summed > threshold) | keep.reshape(-1, n).any(axis=0),
                        compiled.context.n_periods)
    upper = model.col_upper.copy()
    upper[x.start:x.stop][~keep] = 0.0
    remaining = _remaining(options, began)
    limit = None if remaining is None else 0.25 * remaining
    inner = HighsSession(model.with_bounds(col_upper=upper), options).solve(
        start=best, time_limit=limit)
    shown = "none" if inner.objective is None else f"{inner.objective:,.6g}"
    notes.append(f"restricted MIP over {int(keep.sum())} of {x.size} candidates (relaxation > "
                 f"{threshold:g}): {shown}, {inner.status} in {inner.time_s:.1f} s")
    if inner.x is None:
        return best
    if best is None or _better(model.sense, model.objective(inner.x), model.objective(best)):
        return np.asarray(inner.x)
    return best


def _within_gap(model, x: np.ndarray | None, bound: float | None, gap: float) -> bool:
    """Whether plan ``x`` is proven within the relative ``gap`` of ``bound``."""
    if x is None or bound is None:
        return False
    _, reached = classify(model.sense, model.objective(x), bound, proven=True)
    return reached is not None and reached <= gap


def _better(sense: str, value: float, than: float) -> bool:
    margin = 1e-9 * max(1.0, abs(than))
    return value > than + margin if sense == "max" else value < than - margin


def _combine(sense: str, plans: list[np.ndarray | None], bounds: list[float | None], model,
             last: SolveOutcome) -> SolveOutcome:
    better = max if sense == "max" else min
    tighter = min if sense == "max" else max
    scored = [(model.objective(p), p) for p in plans if p is not None]
    objective, x = better(scored, key=lambda item: item[0]) if scored else (None, None)
    valid = [b for b in bounds if b is not None]
    bound = settle_bound(sense, objective, tighter(valid) if valid else None)
    kind, gap = classify(sense, objective, bound, proven=True)
    if x is not None:
        x = np.array(x)
        x.flags.writeable = False
    return SolveOutcome(kind, objective, bound, gap, last.time_s, x, "highs",
                        f"lp-guided; last solve: {last.detail}")


def _keep_start(compiled: CompiledProblem, outcome: SolveOutcome, start: np.ndarray | None,
                notes: list[str]) -> SolveOutcome:
    """Use the heuristic plan when the solver ends with no plan, or a worse one."""
    if start is None or outcome.status in ("infeasible", "unbounded"):
        return outcome
    value = compiled.model.objective(start)
    worse = outcome.objective is None or _better(compiled.model.sense, value, outcome.objective)
    if not worse:
        return outcome
    notes.append("solver returned no better plan than the heuristic; kept the heuristic plan")
    bound = settle_bound(compiled.model.sense, value, outcome.bound)
    kind, gap = classify(compiled.model.sense, value, bound, proven=False)
    frozen = np.array(start)
    frozen.flags.writeable = False
    return SolveOutcome(kind, value, bound, gap, outcome.time_s, frozen,
                        outcome.solver, outcome.detail)


def _timed(outcome: SolveOutcome, elapsed: float) -> SolveOutcome:
    return SolveOutcome(outcome.status, outcome.objective, outcome.bound, outcome.gap, elapsed,
                        outcome.x, outcome.solver, outcome.detail)
