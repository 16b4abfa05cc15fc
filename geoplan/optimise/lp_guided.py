"""Steps 2-4 of the ``lp-guided`` strategy: relaxation, restricted MIPs, full MIP.

:mod:`geoplan.optimise.strategy` says when and why these steps run, and on what clock; this
module runs them on a model (:class:`~geoplan.optimise.guard.Solvable` or a compiled
problem). It is what the solver's child process (:mod:`geoplan.optimise.hardstop`) runs
(:func:`solver_phase`), so it imports no pandas: the child loads numpy, scipy and HiGHS and
nothing more (about 55 MiB instead of 140 MiB).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from geoplan.optimise.clock import Clock
from geoplan.optimise.cut_rows import violated, with_cuts
from geoplan.optimise.guard import Progress, Shape, Solvable
from geoplan.optimise.outcome import settle_bound
from geoplan.optimise.solvers import HighsSession, SolveOutcome, SolverOptions, classify
from geoplan.optimise.submodel import restrict

if TYPE_CHECKING:
    from geoplan.optimise.build import BuildContext
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["PHASED_ENOUGH_GAP", "RELAXATION_ITERATIONS", "RELAXATION_TIME_SHARE",
           "RESTRICTED_NODES", "RESTRICTED_TIME_SHARE", "RESTRICTION_THRESHOLDS",
           "SIMPLEX_RELAXATION_ITERATIONS", "better", "lp_guided", "restricted", "shown",
           "solver_phase", "tighter", "within_gap"]

RESTRICTION_THRESHOLDS = (0.5, 0.2, 0.1)
"""Relaxation values above which candidates enter the successive restricted MIPs."""
RELAXATION_TIME_SHARE = 0.6
"""Share of the time left that the linear relaxation may use."""
RELAXATION_ITERATIONS = 200
"""Interior-point iterations of the relaxation at most (a deterministic budget)."""
SIMPLEX_RELAXATION_ITERATIONS = 200_000
"""Dual simplex iterations of a re-solve's relaxation at most (a deterministic budget; the
trade-off curve's points of the sample's and the county's joint plans take 140 to 180)."""
RESTRICTED_NODES = 1_000
"""Branch-and-bound nodes of each restricted MIP at most (a deterministic budget)."""
RESTRICTED_TIME_SHARE = 0.25
"""Share of the time left that each restricted MIP may use (the safety stop)."""
PHASED_ENOUGH_GAP = 5e-3
"""Gap to the relaxation's bound at which a phased model's restricted plan is kept without
the full MIP (whose presolve can stall on such models; measured on the sample county)."""


def solver_phase(view: Solvable, options: SolverOptions, start: np.ndarray | None,
                 strategy: str, limit: float | None, known: float | None,
                 guide: np.ndarray | None, progress: Callable[[Progress], None] | None = None
                 ) -> tuple[SolveOutcome, list[str], list[str]]:
    """Run the HiGHS phase on its own clock of ``limit`` s: outcome, notes and clock stops.

    Module-level so that the guarded child can run it; ``progress`` receives each plan and
    bound as it is found.
    """
    clock, notes = Clock(limit), list[str]()
    if strategy == "direct":
        outcome = HighsSession(view.model, options).solve(start=start,
                                                          time_limit=_time_left(clock))
    else:
        outcome = lp_guided(view, options, start, clock, notes, known=known, guide=guide,
                            progress=progress)
    return outcome, notes, clock.stops


def shown(value: float | None) -> str:
    """Write a bound or objective for the notes (``none`` when there is none)."""
    return "none" if value is None else f"{value:,.6g}"


def _time_left(clock: Clock) -> float | None:
    """Return the clock's time left as a solver's limit: none, or at least 0.01 s."""
    left = clock.remaining()
    return None if left is None else max(left, 0.01)


def lp_guided(compiled: CompiledProblem | Solvable, options: SolverOptions,
              start: np.ndarray | None, clock: Clock, notes: list[str], *,
              full_mip: bool = True, known: float | None = None,
              guide: np.ndarray | None = None,
              progress: Callable[[Progress], None] | None = None,
              session: HighsSession | None = None) -> SolveOutcome:
    """Run steps 2-4 of ``lp-guided``; ``known`` is a valid bound found before (Lagrangian).

    ``guide`` (the Lagrangian subproblem's values) ranks candidates for the restricted MIPs
    when the relaxation stops early. ``progress`` (when given) receives the relaxation's
    bound and each restricted MIP's best plan as they are found. ``session`` (of a model
    with the same matrix) is given this model's bounds and used instead of a new one.
    """
    def tell(plan: np.ndarray | None, found: float | None) -> None:
        if progress is not None:
            progress(Progress(plan, found, tuple(notes)))

    model = compiled.model
    if session is None:
        session = HighsSession(model, options)
    else:
        session.match_bounds(model)
    relaxed = _relaxation(session, _plan_method(compiled.context) if full_mip else "simplex",
                          clock)
    if relaxed.stopped_by in ("work_limit", "time_limit"):
        clock.record(relaxed.stopped_by)
    values = np.asarray(session.highs.getSolution().col_value)
    bound = tighter(model.sense, relaxed.bound, known)
    finished = "" if relaxed.status == "optimal" else ", stopped early"
    method = "interior point" if full_mip else "dual simplex"
    notes.append(f"linear relaxation ({method}, bound from its duals{finished}): "
                 f"{shown(relaxed.bound)} in {relaxed.time_s:.1f} s")
    if relaxed.status == "infeasible":
        return relaxed
    if relaxed.status == "optimal" and isinstance(compiled, Solvable) and compiled.cuts:
        compiled, session, relaxed, values = _separate(compiled, options, values, clock, notes,
                                                       relaxed)
        model = compiled.model
        bound = tighter(model.sense, relaxed.bound, bound)
    tell(None, bound)
    best = start
    if relaxed.status != "optimal":  # an unfinished relaxation's values guide nothing
        values = np.zeros_like(values) if guide is None else np.asarray(guide, dtype=float)
        if guide is not None:
            notes.append("restricted MIPs guided by the Lagrangian subproblem's choice")
    inner = options
    if compiled.context.n_periods > 1:  # ties on value per pound make proving 0.01% slow
        inner = replace(options, mip_gap=max(options.mip_gap, PHASED_ENOUGH_GAP / 5))
    # a phased model's full MIP can spend the whole limit in HiGHS's presolve without
    # improving the plan: stop at PHASED_ENOUGH_GAP there (the gap reported stays the proven one)
    enough = max(options.mip_gap, PHASED_ENOUGH_GAP if compiled.context.n_periods > 1 else 0.0)
    tried: set[bytes] = set()
    for threshold in RESTRICTION_THRESHOLDS:
        if within_gap(model, best, bound, options.mip_gap):  # proven: nothing to gain
            break
        best = restricted(compiled, inner, values, threshold, best, clock, notes, tried)
        tell(best, None)
    if not full_mip or within_gap(model, best, bound, enough):
        if full_mip:
            notes.append(f"full MIP skipped: that plan is within {enough:.2%} of the "
                         "relaxation's bound")
        return _combine(model.sense, [best], [bound], model, relaxed)
    if clock.expired():
        clock.record("time_limit")
        notes.append("full MIP skipped: no time left")
        return _combine(model.sense, [best], [bound], model, relaxed)
    full = session.solve(start=best, time_limit=_time_left(clock))
    notes.append(f"full MIP from that plan: {full.status}, bound {shown(full.bound)}")
    return _combine(model.sense, [best, full.x], [bound, full.bound], model, full)


def _relaxation(session: HighsSession, how: str, clock: Clock) -> SolveOutcome:
    """Solve the session's linear relaxation on ``clock``.

    ``how`` is ``"interior"`` (interior point without crossover: its duals bound the optimum
    at any iteration), ``"crossover"`` (then to a vertex, which is near-integral where many
    candidates tie on value per pound, e.g. woodland parcels in a phased plan, where the
    interior point spreads thinly over them all) or ``"simplex"`` (dual simplex, for a
    re-solve: 2 to 3 times faster than interior point and crossover on the sample's joint
    plan, and warm from the vertex a session solved before; but its vertex left the
    sequestration plans of the sample and the county 0.4% below the relaxation's bound, where
    crossover's left 0.02%, so the plan itself keeps crossover).
    """
    if how == "simplex":
        return session.solve(relax=True, method="simplex",
                             time_limit=clock.share(RELAXATION_TIME_SHARE),
                             iteration_limit=SIMPLEX_RELAXATION_ITERATIONS)
    return session.solve(relax=True, method="ipm", crossover=how == "crossover",
                         time_limit=clock.share(RELAXATION_TIME_SHARE),
                         iteration_limit=RELAXATION_ITERATIONS)


def _plan_method(context: Shape | BuildContext) -> str:
    """Return how a plan's own relaxation is solved (``how`` of :func:`_relaxation`).

    A phased model goes on to a vertex by crossover; any other stays at the interior point.
    """
    return "crossover" if context.n_periods > 1 else "interior"


def _separate(view: Solvable, options: SolverOptions, values: np.ndarray, clock: Clock,
              notes: list[str], relaxed: SolveOutcome
              ) -> tuple[Solvable, HighsSession, SolveOutcome, np.ndarray]:
    """Add the cuts the relaxation's values break and solve the relaxation once more.

    One round, so the work is fixed; without broken cuts the model is left as it was.
    """
    broken = violated(view.model, view.cuts, values)
    model, count = with_cuts(view.model, broken)
    session = HighsSession(model, options)
    if not count:
        return view, session, relaxed, values
    again = _relaxation(session, _plan_method(view.context), clock)
    notes.append(f"{count} reinforcement cuts the relaxation breaks added (loads that "
                 "cannot fit within a substation's headroom need a reinforcement there); "
                 f"relaxation again: {shown(again.bound)} in {again.time_s:.1f} s")
    if again.status != "optimal":  # keep the first relaxation's values to guide
        return replace(view, model=model), session, relaxed, values
    return (replace(view, model=model), session, again,
            np.asarray(session.highs.getSolution().col_value))


def restricted(compiled: CompiledProblem | Solvable, options: SolverOptions, values: np.ndarray,
               threshold: float, best: np.ndarray | None, clock: Clock,
               notes: list[str], tried: set[bytes] | None = None) -> np.ndarray | None:
    """Solve the MIP restricted to candidates the relaxation values above ``threshold``.

    Candidates in the best plan so far stay in; the solve starts from that plan. The MIP is
    a sub-model of the kept columns (:func:`~geoplan.optimise.submodel.restrict`), skipped
    when the same columns were tried already or the clock has run out. Returns the better of
    the two plans.
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
    key = np.packbits(keep).tobytes()
    if tried is not None and key in tried:
        return best
    if clock.expired():
        clock.record("time_limit")
        notes.append(f"restricted MIP (relaxation > {threshold:g}) skipped: no time left")
        return best
    if tried is not None:
        tried.add(key)
    upper = model.col_upper.copy()
    upper[x.start:x.stop][~keep] = 0.0
    sub = restrict(model, upper)
    if sub is None:
        notes.append(f"restricted MIP over {int(keep.sum())} of {x.size} candidates: "
                     "infeasible on its face")
        return best
    inner = HighsSession(sub.model, options).solve(
        start=None if best is None else sub.project(best),
        time_limit=clock.share(RESTRICTED_TIME_SHARE), node_limit=RESTRICTED_NODES)
    if inner.stopped_by in ("work_limit", "time_limit"):
        clock.record(inner.stopped_by)
    notes.append(f"restricted MIP over {int(keep.sum())} of {x.size} candidates (relaxation > "
                 f"{threshold:g}; sub-model {sub.model.shape[0]:,} x {sub.model.shape[1]:,}): "
                 f"{shown(inner.objective)}, {inner.status} in {inner.time_s:.1f} s")
    if inner.x is None:
        return best
    plan = sub.lift(np.asarray(inner.x))
    if len(model.violations(plan)):  # cannot happen for a true sub-model; never trust blindly
        notes.append("restricted MIP's plan broke a row of the full model and was dropped")
        return best
    if best is None or better(model.sense, model.objective(plan), model.objective(best)):
        return plan
    return best


def within_gap(model, x: np.ndarray | None, bound: float | None, gap: float) -> bool:
    """Whether plan ``x`` is proven within the relative ``gap`` of ``bound``."""
    if x is None or bound is None:
        return False
    _, reached = classify(model.sense, model.objective(x), bound, proven=True)
    return reached is not None and reached <= gap


def tighter(sense: str, one: float | None, other: float | None) -> float | None:
    """Return the tighter of two valid bounds (either may be ``None``)."""
    valid = [b for b in (one, other) if b is not None]
    if not valid:
        return None
    return min(valid) if sense == "max" else max(valid)


def better(sense: str, value: float, than: float) -> bool:
    """Whether objective ``value`` beats ``than`` by more than a relative 1e-9."""
    margin = 1e-9 * max(1.0, abs(than))
    return value > than + margin if sense == "max" else value < than - margin


def _combine(sense: str, plans: list[np.ndarray | None], bounds: list[float | None], model,
             last: SolveOutcome) -> SolveOutcome:
    """Return the best of ``plans`` with the tightest of ``bounds`` (``last`` times it)."""
    best_of = max if sense == "max" else min
    tightest_of = min if sense == "max" else max
    scored = [(model.objective(p), p) for p in plans if p is not None]
    objective, x = best_of(scored, key=lambda item: item[0]) if scored else (None, None)
    valid = [b for b in bounds if b is not None]
    bound = settle_bound(sense, objective, tightest_of(valid) if valid else None)
    kind, gap = classify(sense, objective, bound, proven=True)
    if x is not None:
        x = np.array(x)
        x.flags.writeable = False
    return SolveOutcome(kind, objective, bound, gap, last.time_s, x, "highs",
                        f"lp-guided; last solve: {last.detail}", last.stopped_by)


