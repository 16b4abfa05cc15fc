"""How a compiled problem is solved: directly, or LP-guided for large coverage models.

Every phase draws on one clock (:class:`~geoplan.optimise.clock.Clock`) started when the
solve starts, so the whole solve keeps ``options.time_limit``: the heuristics get up to
:data:`HEURISTIC_TIME_SHARE` of it, then each later phase a share of what is left. Each phase
also has a deterministic budget (swaps, LP iterations, nodes) with the clock as
the safety stop, and the outcome's ``stopped_by`` says which ended the solve.

Covering models the heuristics know (maximal covering, capacitated charger siting; not a
phased joint plan) then get a Lagrangian bound
(:func:`geoplan.optimise.lagrangian.lagrangian_bound`: subgradient steps on those rows, exact
multipliers on counts, budgets and headroom; a fixed iteration budget, with up to
:data:`LAGRANGIAN_TIME_SHARE` of the time left as its safety stop) when a solver may not
prove one in time: ``lp-guided`` asked for, a model above :data:`LARGE_MODEL_NONZEROS`, a
node limit, or a PuLP solver. A smaller model goes straight to HiGHS, which proves it
sooner (the sample's capacitated charger model: the Lagrangian took 9 s for a bound 37%
above the optimum HiGHS proved in 0.3 s). Every model gets the free
bound (every benefit counted); the tighter of the two is always reported. A heuristic plan
that already meets it (e.g. greedy covers every demand point, or the Lagrangian bound proves
the greedy plan) ends the solve at once: it is proven optimal.

``direct``
    One HiGHS (or PuLP) solve of the whole model, started from the greedy + swap plan when
    the model is a coverage model the heuristics understand.
``lp-guided``
    For large models under a time limit, where HiGHS's simplex root alone can use the whole
    limit:

    1. a greedy plan improved by the iterated local search
       (:mod:`geoplan.optimise.local_search`: a fixed number of rounds, seeded by
       ``options.seed``), as every model that gets the Lagrangian bound; ``direct`` on a
       smaller model improves its greedy plan by 1-swap instead;
    2. the linear relaxation, for up to :data:`RELAXATION_TIME_SHARE` of the time left, by
       interior point (at most :data:`RELAXATION_ITERATIONS` iterations), with crossover to
       a vertex for a phased model; a re-solve without the full MIP (a trade-off curve's
       point) by dual simplex instead (at most :data:`SIMPLEX_RELAXATION_ITERATIONS`
       iterations). The Lagrangian bound of its row duals is a valid bound on the optimum
       even if it stops early (:func:`geoplan.optimise.bounds.dual_bound`). When it does not
       finish, the subgradient Lagrangian's choice of candidates guides step 3 instead;
    3. restricted MIPs over the candidates the relaxation values most (above 0.5, then 0.2,
       then 0.1; plus those in the best plan so far), each a genuine sub-model of the kept
       columns (:func:`geoplan.optimise.submodel.restrict`), warm-started, with
       :data:`RESTRICTED_NODES` nodes and up to a quarter of the time left: their plans are
       plans of the full model;
    4. the full MIP, warm-started, for whatever time is left (and ``options.node_limit``
       nodes): it may improve the incumbent and the bound.

    The result reports the best incumbent and the best valid bound of steps 2 and 4, so the
    gap is honest: the restricted MIP's own bound is never used.
``auto``
    ``lp-guided`` when a time limit is set, the model has more than
    :data:`LARGE_MODEL_NONZEROS` non-zeros and the coverage heuristics apply or the model is
    phased (its relaxation is then solved to a vertex, by crossover: where many candidates
    tie on value per pound, the interior point spreads thinly over them all); otherwise
    ``direct``. The full MIP is skipped when a restricted MIP's plan is already within the
    gap of the relaxation's bound (for a phased model, within :data:`PHASED_ENOUGH_GAP`).

CBC and HiGHS through PuLP always solve directly (the notes say so), with the time left.

The hard stop: on large models under a time limit (:mod:`geoplan.optimise.guard`), the HiGHS
phase (``direct``, or steps 2-4 of ``lp-guided``) runs in a child process started with the
solve and killed at ``limit x 1.02 + 0.5 s`` if HiGHS overran its own clock (presolve or an
interior-point iteration); the plan and bound are then the best known before (the heuristic
plan, the Lagrangian bound, and the relaxation bound and restricted plans the child reported),
and ``stopped_by`` is ``"wall_time"``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from geoplan.optimise.bounds import dual_bound
from geoplan.optimise.clock import Clock
from geoplan.optimise.cut_rows import with_cuts
from geoplan.optimise.guard import Shape, Solvable, kill_after, salvage, start_guard
from geoplan.optimise.hardstop import Guarded, GuardedChild
from geoplan.optimise.lagrangian import RELAXED_FAMILIES, lagrangian_bound
from geoplan.optimise.lp_guided import (
    PHASED_ENOUGH_GAP,
    RELAXATION_ITERATIONS,
    RELAXATION_TIME_SHARE,
    RESTRICTED_NODES,
    SIMPLEX_RELAXATION_ITERATIONS,
    better,
    lp_guided,
    shown,
    solver_phase,
    tighter,
    within_gap,
)
from geoplan.optimise.matrix import MilpMatrix
from geoplan.optimise.outcome import settle_bound
from geoplan.optimise.solvers import (
    HighsSession,
    SolveOutcome,
    SolverOptions,
    classify,
    solve,
)
from geoplan.optimise.starts import heuristic_plan
from geoplan.solver_choices import STRATEGIES

if TYPE_CHECKING:
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["HEURISTIC_TIME_SHARE", "LAGRANGIAN_TIME_SHARE", "LARGE_MODEL_NONZEROS",
           "PHASED_ENOUGH_GAP", "RELAXATION_ITERATIONS", "RELAXATION_TIME_SHARE",
           "RESTRICTED_NODES", "SIMPLEX_RELAXATION_ITERATIONS", "STRATEGIES", "Beside",
           "heuristic_plan", "solve_compiled", "solve_restricted"]

LARGE_MODEL_NONZEROS = 200_000
HEURISTIC_TIME_SHARE = 0.3
"""Share of the time limit the heuristics (greedy, swaps, assignment LP) may use."""
LAGRANGIAN_TIME_SHARE = 0.15
"""Share of the time left that the Lagrangian bound may use (its safety stop)."""


class Beside(Protocol):
    """Work run on a thread while a guarded child process solves (this process only waits).

    ``run`` must not raise (it keeps its error for later) and should end soon after
    ``stop`` is called (the solve failed or was interrupted).
    """

    def run(self) -> None:
        """Do the work."""

    def stop(self) -> None:
        """Ask :meth:`run` to end early."""


def solve_compiled(compiled: CompiledProblem, options: SolverOptions,
                   strategy: str = "auto", beside: Beside | None = None
                   ) -> tuple[SolveOutcome, list[str]]:
    """Solve with the chosen strategy (see the module docstring); returns outcome and notes.

    ``beside`` runs on a thread while the HiGHS phase runs in its guarded child (not at all
    when the phase runs here, so HiGHS never runs in two threads of this process at once);
    the thread is joined before this returns or raises.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, not {strategy!r}")
    clock = Clock(options.time_limit)
    guard = start_guard(compiled.model, options)
    try:
        return _solve_on_clock(compiled, options, strategy, clock, guard, beside)
    finally:
        if guard is not None:
            guard.close()


def _solve_on_clock(compiled: CompiledProblem, options: SolverOptions, strategy: str,
                    clock: Clock, guard: GuardedChild | None, beside: Beside | None = None
                    ) -> tuple[SolveOutcome, list[str]]:
    found = heuristic_plan(compiled, options, clock.phase(HEURISTIC_TIME_SHARE),
                           search=_needs_lagrangian(compiled, options, strategy))
    start, notes = found.x, list(found.notes)
    free, guide = free_bound(compiled), None
    if found.kind in ("coverage", "capacitated") and _needs_lagrangian(compiled, options,
                                                                        strategy):
        free, guide = _lagrangian(compiled, options, start, clock, notes)
    if start is not None and within_gap(compiled.model, start, free, options.mip_gap):
        notes.append("the heuristic plan meets a valid bound (every benefit counted, or the "
                     f"Lagrangian bound: {shown(free)}): proven, no solver needed")
        notes.append("strategy: heuristic")
        return _finish(compiled, _heuristic_outcome(compiled, start, free), start, free,
                       clock, options, notes)
    if strategy == "auto":
        large = compiled.model.matrix.nnz > LARGE_MODEL_NONZEROS
        # lp-guided pays off where the uncapacitated heuristics give a good start, and on
        # phased models, whose MIP presolve can stall where many candidates tie on value
        guided = found.kind == "coverage" or compiled.context.n_periods > 1
        strategy = ("lp-guided" if large and options.time_limit and guided else "direct")
    guided = strategy == "lp-guided" and options.solver == "highs"
    model = compiled.model if guided else _strengthened(compiled, notes)
    if options.solver != "highs":  # PuLP's solvers: one direct solve, whatever was asked
        strategy = f"direct through {options.solver}"
        left = clock.remaining()
        timed = options if left is None else replace(options, time_limit=max(left, 0.01))
        outcome = solve(model, timed)
    else:
        outcome = _highs_phase(compiled, model, options, start, strategy, clock, notes, free,
                               guide, guard, beside)
    clock.record(outcome.stopped_by or "gap")
    notes.append(f"strategy: {strategy}")
    return _finish(compiled, outcome, start, free, clock, options, notes)


def _needs_lagrangian(compiled: CompiledProblem, options: SolverOptions,
                      strategy: str) -> bool:
    """Whether a covering model gets the Lagrangian bound (module docstring)."""
    return (strategy == "lp-guided" or options.solver != "highs"
            or options.node_limit is not None
            or compiled.model.matrix.nnz > LARGE_MODEL_NONZEROS)


def _strengthened(compiled: CompiledProblem, notes: list[str]) -> MilpMatrix:
    """Return the model the solver gets: the compiled one with its still-valid cuts."""
    model, count = with_cuts(compiled.model, compiled.context.cuts)
    if count:
        notes.append(f"{count} reinforcement cuts added (loads that cannot fit within a "
                     "substation's headroom need a reinforcement there bought by their "
                     "period; valid for every plan, they only tighten the relaxation)")
    return model


def _highs_phase(compiled: CompiledProblem, model: MilpMatrix, options: SolverOptions,
                 start: np.ndarray | None, strategy: str, clock: Clock, notes: list[str],
                 known: float | None, guide: np.ndarray | None, guard: GuardedChild | None,
                 beside: Beside | None = None) -> SolveOutcome:
    """Run the HiGHS phase (``direct`` or ``lp-guided``) on ``model``, here or in the child.

    In the child (:mod:`geoplan.optimise.guard`) it is killed at the hard stop; the plan and
    bound are then the best known before (the heuristic plan, the Lagrangian bound and what
    the child reported), and the clock records ``"wall_time"``.
    """
    context = compiled.context
    view = Solvable(model, Shape(context.x, context.n, context.n_periods),
                    tuple(context.cuts) if strategy == "lp-guided" else ())
    args = (view, options, start, strategy, clock.remaining(), known, guide)
    if guard is None or clock.limit is None:
        outcome, more, stops = solver_phase(*args)
        notes += more
        clock.stops += stops
        return outcome
    guarded = _run_guarded(guard, args, kill_after(clock.limit, clock.elapsed()), beside)
    if guarded.killed:
        outcome, more = salvage(compiled.model, start, known, guarded.reports, clock.elapsed())
        notes += [*more, f"solver phase killed by the wall-time safety stop at "
                  f"{clock.elapsed():.1f} s of a {clock.limit:g} s limit; kept the best plan "
                  "and bound known before"]
        clock.record("wall_time")
        return outcome
    outcome, more, stops = guarded.result
    notes += more
    clock.stops += stops
    return outcome


def _run_guarded(guard: GuardedChild, args: tuple[Any, ...], kill: float,
                 beside: Beside | None) -> Guarded:
    """Run the solver phase in ``guard``'s child, ``beside`` on a thread meanwhile."""
    if beside is None:
        return guard.run(solver_phase, args, kill)
    thread = threading.Thread(target=beside.run, name="geoplan-beside", daemon=True)
    thread.start()
    try:
        return guard.run(solver_phase, args, kill)
    except BaseException:
        beside.stop()
        raise
    finally:
        thread.join()


def free_bound(compiled: CompiledProblem) -> float | None:
    """Return the bound every plan meets for free: each column at its best end, no row counted.

    For a coverage model, the total demand (plus any positive candidate values).
    """
    model = compiled.model
    return dual_bound(model, np.zeros(model.shape[0]))


def _lagrangian(compiled: CompiledProblem, options: SolverOptions, start: np.ndarray | None,
                clock: Clock, notes: list[str]) -> tuple[float | None, np.ndarray | None]:
    """Return the tighter of :func:`free_bound` and the Lagrangian bound of a coverage model.

    Also returns the Lagrangian subproblem's column values (``None`` without one), which
    guide the restricted MIPs when the relaxation does not finish.
    The Lagrangian bound (:func:`geoplan.optimise.lagrangian.lagrangian_bound`) runs, on
    the covering models the heuristics know, for its fixed iteration budget, with up to
    :data:`LAGRANGIAN_TIME_SHARE` of the time left as the safety stop (recorded only when
    the clock, not the budget, ended it).
    """
    free = free_bound(compiled)
    model = compiled.model
    if not np.isin(model.row_family, list(RELAXED_FAMILIES)).any():
        return free, None
    incumbent = None if start is None else model.objective(start)
    found = lagrangian_bound(model, incumbent=incumbent, gap=options.mip_gap,
                             clock=clock.phase(LAGRANGIAN_TIME_SHARE))
    if found.stopped_by == "time_limit":  # its own budget ending ends nothing else
        clock.record(found.stopped_by)
    notes.append(f"Lagrangian bound (subgradient, {found.iterations} iterations, stopped by "
                 f"{found.stopped_by.replace('_', ' ')}): {shown(found.bound)}; free bound "
                 f"{shown(free)}")
    return tighter(model.sense, free, found.bound), found.guide


def _heuristic_outcome(compiled: CompiledProblem, start: np.ndarray,
                       bound: float | None) -> SolveOutcome:
    model = compiled.model
    value = model.objective(start)
    kind, gap = classify(model.sense, value, bound, proven=True)
    x = np.array(start)
    x.flags.writeable = False
    return SolveOutcome(kind, value, settle_bound(model.sense, value, bound), gap, 0.0, x,
                        "heuristic", "heuristic plan meets the bound", "gap")


def _finish(compiled: CompiledProblem, outcome: SolveOutcome, start: np.ndarray | None,
            free: float | None, clock: Clock, options: SolverOptions,
            notes: list[str]) -> tuple[SolveOutcome, list[str]]:
    """Keep the heuristic plan if better, add the free bound, time it and say what stopped it."""
    outcome = _keep_start(compiled, outcome, start, notes)
    outcome = _with_free_bound(compiled, outcome, free)
    proven = outcome.gap is not None and outcome.gap <= options.mip_gap
    stop = "gap" if proven or outcome.status == "optimal" else clock.stopped_by()
    if outcome.has_plan:
        notes.append(f"stopped by: {stop}")
    elif outcome.status != "no_solution":
        stop = ""  # infeasible or unbounded: nothing was stopped
    return replace(outcome, time_s=clock.elapsed(), stopped_by=stop), notes


def _with_free_bound(compiled: CompiledProblem, outcome: SolveOutcome,
                     free: float | None) -> SolveOutcome:
    """Report the tighter of the solve's bound and :func:`free_bound` (never none when finite)."""
    if free is None or not outcome.has_plan or outcome.objective is None:
        return outcome
    sense = compiled.model.sense
    tighter = min if sense == "max" else max
    tightest = free if outcome.bound is None else tighter(outcome.bound, free)
    if tightest == outcome.bound:
        return outcome
    bound = settle_bound(sense, outcome.objective, tightest)
    kind, gap = classify(sense, outcome.objective, bound, proven=outcome.status == "optimal")
    return replace(outcome, status=kind, bound=bound, gap=gap)


def solve_restricted(compiled: CompiledProblem, options: SolverOptions,
                     starts: Sequence[np.ndarray | None] = (),
                     session: HighsSession | None = None
                     ) -> tuple[SolveOutcome, list[str]]:
    """Solve by steps 1-3 of ``lp-guided`` only: relaxation bound, restricted MIPs' plans.

    No step depends on the wall clock when ``options`` has no time limit (the full MIP,
    which may need the whole limit, is left out), so the same model gives the same plan; the
    gap against the relaxation's bound stays honest. For re-solves such as a trade-off curve.
    ``starts`` are known plans (e.g. a curve's point with less money): the best one that
    keeps every row of this model starts the restricted MIPs, so the plan is never worse.
    ``session`` (of a model with the same matrix, e.g. the curve's) solves the relaxation,
    starting from the vertex of the relaxation it solved last.
    """
    clock = Clock(options.time_limit)
    found = heuristic_plan(compiled, options, clock.phase(HEURISTIC_TIME_SHARE))
    notes = list(found.notes)
    start = best_start(compiled.model, [found.x, *starts])
    outcome = lp_guided(compiled, options, start, clock, notes, full_mip=False,
                        session=session)
    notes.append("strategy: lp-guided without the full MIP")
    return _finish(compiled, outcome, found.x, free_bound(compiled), clock, options, notes)


def best_start(model: MilpMatrix, plans: Sequence[np.ndarray | None]) -> np.ndarray | None:
    """Return the plan of best objective among ``plans`` that keeps every row (or None)."""
    kept = [np.asarray(x, dtype=float) for x in plans
            if x is not None and not len(model.violations(np.asarray(x, dtype=float)))]
    if not kept:
        return None
    values = [model.objective(x) for x in kept]
    pick = int(np.argmax(values) if model.sense == "max" else np.argmin(values))
    return kept[pick]


def _keep_start(compiled: CompiledProblem, outcome: SolveOutcome, start: np.ndarray | None,
                notes: list[str]) -> SolveOutcome:
    """Use the heuristic plan when the solver ends with no plan, or a worse one."""
    if start is None or outcome.status in ("infeasible", "unbounded"):
        return outcome
    value = compiled.model.objective(start)
    worse = outcome.objective is None or better(compiled.model.sense, value, outcome.objective)
    if not worse:
        return outcome
    notes.append("solver returned no better plan than the heuristic; kept the heuristic plan")
    bound = settle_bound(compiled.model.sense, value, outcome.bound)
    kind, gap = classify(compiled.model.sense, value, bound, proven=False)
    frozen = np.array(start)
    frozen.flags.writeable = False
    return SolveOutcome(kind, value, bound, gap, outcome.time_s, frozen,
                        outcome.solver, outcome.detail, outcome.stopped_by)
