"""Heuristic starting plans for coverage models, read off the compiled model.

Two kinds of model get a start:

- uncapacitated coverage with knapsack rows, groups and locks: lazy greedy + 1-swap
  (:mod:`geoplan.optimise.heuristics`); where the solver may not prove the optimum in time,
  the iterated local search (:mod:`geoplan.optimise.local_search`) takes the 1-swap's place;
- capacitated coverage (a capacity per site, an assignment of demand to sites) with budgets,
  counts, grid headroom, coverage floors, groups and locks: a greedy choice with assignment
  (:mod:`geoplan.optimise.capacitated`), then the best assignment for that choice by one LP
  solve with the choice fixed.

Every start is checked against every row of the model before it is used; one that breaks a
row is dropped, and the notes say so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geoplan.optimise.candidates import lock_flags
from geoplan.optimise.capacitated import CapacitatedInstance, capacitated_greedy
from geoplan.optimise.clock import Clock
from geoplan.optimise.heuristics import (
    CoverageInstance,
    greedy,
    improve_by_swaps,
    objective_value,
)
from geoplan.optimise.local_search import iterated_local_search
from geoplan.optimise.solvers import HighsSession, SolverOptions

if TYPE_CHECKING:
    from geoplan.optimise.matrix import ColumnBlock
    from geoplan.optimise.objectives import CoverageHandle
    from geoplan.optimise.problem import CompiledProblem

__all__ = ["Start", "capacitated_instance", "coverage_instance", "heuristic_plan"]

_COVERAGE_FAMILIES = frozenset({"coverage", "budget", "group"})
_CAPACITATED_FAMILIES = frozenset({"coverage", "capacity", "coverage_floor", "budget",
                                   "headroom", "group"})
_RESOURCE_FAMILIES = ("budget", "headroom")
POLISH_TIME_SHARE = 0.5
"""Share of the heuristics' time left that the capacitated start's assignment LP may use."""


@dataclass(frozen=True)
class Start:
    """A heuristic plan: the full solution vector, what model kind it is for, and notes."""

    x: np.ndarray | None
    kind: str | None
    notes: tuple[str, ...]


def _single_coverage(compiled: CompiledProblem, families: frozenset[str],
                     capacitated: bool) -> CoverageHandle | None:
    ctx, model = compiled.context, compiled.model
    handles = list(ctx.coverage.values())
    if (len(handles) != 1 or handles[0].capacitated != capacitated or ctx.n_periods != 1
            or set(model.row_family) - families or model.sense != "max"
            or set(model.blocks) != {"x", handles[0].block.name}):
        return None
    return handles[0]


def _groups(compiled: CompiledProblem) -> np.ndarray:
    groups = compiled.context.labels("group_id")
    names = {g: i for i, g in enumerate(sorted(set(groups) - {""}))}
    return np.array([names.get(g, -1) for g in groups])


def coverage_instance(compiled: CompiledProblem) -> CoverageInstance | None:
    """Return an uncapacitated coverage model as a :class:`CoverageInstance`, or ``None``.

    ``None`` when the heuristics do not apply: no single uncapacitated coverage term,
    phasing, or other constraint families.
    """
    handle = _single_coverage(compiled, _COVERAGE_FAMILIES, capacitated=False)
    if handle is None:
        return None
    ctx, model = compiled.context, compiled.model
    x, y = ctx.x, handle.block
    budget = np.flatnonzero(model.row_family == "budget")
    costs = model.matrix[budget][:, x.start:x.stop].toarray()
    locked_in, locked_out = lock_flags(ctx.table)
    return CoverageInstance(
        handle.pattern, model.cost[y.start:y.stop].copy(), model.cost[x.start:x.stop].copy(),
        costs, model.row_upper[budget].copy(), locked_in, locked_out, _groups(compiled))


def _resource_rows(compiled: CompiledProblem) -> tuple[np.ndarray, np.ndarray] | None:
    """Budget and headroom rows as (costs over x, upper limits); ``None`` if not knapsacks."""
    model, x = compiled.model, compiled.context.x
    rows = np.flatnonzero(np.isin(model.row_family, _RESOURCE_FAMILIES))
    block = model.matrix[rows]
    inside = block[:, x.start:x.stop]
    if (inside.nnz != block.nnz or np.isfinite(model.row_lower[rows]).any()
            or (inside.data < 0).any()):
        return None
    return inside.toarray(), model.row_upper[rows].copy()


def _floors(compiled: CompiledProblem, handle: CoverageHandle, n_points: int
            ) -> tuple[np.ndarray, np.ndarray] | None:
    """Coverage-floor row of each demand point and the weight each row needs."""
    model = compiled.model
    rows = np.flatnonzero(model.row_family == "coverage_floor")
    floor_of = np.full(n_points, -1)
    z = handle.block
    point_of_pair = handle.pattern.tocoo().row
    block = model.matrix[rows][:, z.start:z.stop].tocsr()
    for k in range(len(rows)):
        points = point_of_pair[block.indices[block.indptr[k]:block.indptr[k + 1]]]
        if (floor_of[points] >= 0).any():
            return None  # a point in two floors: not a partition
        floor_of[points] = k
    return floor_of, np.nan_to_num(model.row_lower[rows], neginf=0.0)


def capacitated_instance(compiled: CompiledProblem) -> CapacitatedInstance | None:
    """Return a capacitated coverage model as a :class:`CapacitatedInstance`, or ``None``.

    ``None`` unless the model has one capacitated coverage term, one period, and rows only
    of the families budget, headroom (without reinforcement), capacity, coverage floor,
    coverage and group.
    """
    handle = _single_coverage(compiled, _CAPACITATED_FAMILIES, capacitated=True)
    if handle is None:
        return None
    resources = _resource_rows(compiled)
    pattern = handle.pattern
    floors = _floors(compiled, handle, pattern.shape[0])
    capacity = np.asarray(handle.capacity, dtype=float)
    if resources is None or floors is None:
        return None
    ctx, model = compiled.context, compiled.model
    z, x = handle.block, ctx.x
    coo = pattern.tocoo()
    value = np.zeros(pattern.shape[0])
    value[coo.row] = model.cost[z.start:z.stop]
    locked_in, locked_out = lock_flags(ctx.table)
    locked_in = locked_in | (model.col_lower[x.start:x.stop] > 0.5)
    locked_out = locked_out | (model.col_upper[x.start:x.stop] < 0.5)
    return CapacitatedInstance(
        pattern, np.asarray(handle.weights, float), value, capacity,
        model.cost[x.start:x.stop].copy(), resources[0], resources[1], floors[0], floors[1],
        locked_in, locked_out, _groups(compiled))


def _vector(compiled: CompiledProblem, chosen: np.ndarray, block: ColumnBlock,
            values: np.ndarray) -> np.ndarray:
    x = np.zeros(compiled.model.shape[1])
    cand = compiled.context.x
    x[cand.start:cand.stop] = chosen
    x[block.start:block.stop] = values
    return x


def _fits(compiled: CompiledProblem, x: np.ndarray) -> bool:
    model = compiled.model
    return not len(model.violations(x)) and not np.any(x < model.col_lower - 1e-9)


def _coverage_start(compiled: CompiledProblem, instance: CoverageInstance,
                    clock: Clock, search_seed: int | None) -> Start:
    began = time.perf_counter()
    chosen = greedy(instance, clock=clock)
    first = objective_value(instance, chosen)
    mid = time.perf_counter()
    notes = [f"greedy: {first:,.6g} in {mid - began:.2f} s"]
    if search_seed is None:
        chosen = improve_by_swaps(instance, chosen, clock=clock)
        notes.append(f"greedy + 1-swap: {objective_value(instance, chosen):,.6g} "
                     f"in {time.perf_counter() - began:.2f} s")
    elif not clock.expired():
        # the search's regional exchanges replace the 1-swap over every pair, whose steps
        # cost (chosen x candidates) each: 9 s on 80,000 x 8,000 before a round could start
        found = iterated_local_search(instance, chosen, seed=search_seed, clock=clock)
        chosen = found.chosen
        notes.append(f"greedy + iterated local search: {found.value:,.6g} after "
                     f"{found.rounds:,} rounds ({found.improvements} better plans) in "
                     f"{time.perf_counter() - began:.2f} s")
    block = next(iter(compiled.context.coverage.values())).block
    covered = (instance.pattern @ chosen.astype(float)) > 0
    upper = compiled.model.col_upper[block.start:block.stop]
    x = _vector(compiled, chosen, block, np.minimum(covered, upper))
    if not _fits(compiled, x):
        return Start(None, None, ("greedy plan broke a constraint and was dropped",))
    return Start(x, "coverage", tuple(notes))


def _capacitated_start(compiled: CompiledProblem, instance: CapacitatedInstance,
                       options: SolverOptions, clock: Clock) -> Start:
    began = time.perf_counter()
    chosen, z, value = capacitated_greedy(instance)
    block = next(iter(compiled.context.coverage.values())).block
    x = _vector(compiled, chosen, block, z)
    notes = [f"capacitated greedy: {value:,.6g} ({int(chosen.sum())} sites) in "
             f"{time.perf_counter() - began:.2f} s"]
    polished = None if clock.expired() else _polish(compiled, chosen, options, clock)
    if polished is not None and compiled.model.objective(polished) > value:
        x = polished
        notes.append(f"best assignment for that choice (LP): "
                     f"{compiled.model.objective(x):,.6g} in {time.perf_counter() - began:.2f} s")
    if not _fits(compiled, x):
        return Start(None, None, (*notes, "capacitated greedy plan broke a constraint "
                                  "(e.g. a coverage floor) and was dropped"))
    return Start(x, "capacitated", tuple(notes))


def _polish(compiled: CompiledProblem, chosen: np.ndarray, options: SolverOptions,
            clock: Clock) -> np.ndarray | None:
    """Best assignment for a fixed choice of sites: one LP (the choice fixed by bounds)."""
    model, cand = compiled.model, compiled.context.x
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    lower[cand.start:cand.stop] = upper[cand.start:cand.stop] = chosen.astype(float)
    fixed = SolverOptions(threads=options.threads, seed=options.seed)
    outcome = HighsSession(model.with_bounds(col_lower=lower, col_upper=upper), fixed).solve(
        time_limit=clock.share(POLISH_TIME_SHARE))
    if outcome.stopped_by == "time_limit":
        clock.record("time_limit")
    return None if outcome.x is None else np.asarray(outcome.x)


def heuristic_plan(compiled: CompiledProblem, options: SolverOptions | None = None,
                   clock: Clock | None = None, search: bool = False) -> Start:
    """Greedy start for a coverage model, with notes on what each step reached.

    ``clock`` (default: none) bounds the heuristics' wall time and records what stopped them.
    ``search`` improves an uncapacitated coverage model's greedy plan by the iterated local
    search (:func:`geoplan.optimise.local_search.iterated_local_search`, seeded by
    ``options.seed``) instead of the 1-swap: worth its seconds where the solver may not
    prove the optimum in time.
    """
    clock = clock or Clock(None)
    options = options or SolverOptions()
    instance = coverage_instance(compiled)
    if instance is not None:
        return _coverage_start(compiled, instance, clock,
                               int(options.seed) if search else None)
    capacitated = capacitated_instance(compiled)
    if capacitated is not None:
        return _capacitated_start(compiled, capacitated, options, clock)
    return Start(None, None, ())
