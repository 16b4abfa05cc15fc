"""When a solve runs its HiGHS phase under the hard stop, and what is left when it is killed.

:func:`start_guard` starts a :class:`~geoplan.optimise.hardstop.GuardedChild` when the solve
has a time limit, uses HiGHS and the model is large (:data:`HARD_STOP_NONZEROS` non-zeros or
more: below that HiGHS's own clock, checked between its units of work, keeps the limit). The
child is killed :func:`kill_after` seconds into the solve: ``limit x`` :data:`HARD_STOP_FACTOR`
``+`` :data:`HARD_STOP_SLACK_S`, which leaves the rest of the promise (``limit x 1.1 + 1 s``)
to finish the plan. :func:`salvage` turns what the child reported before it was killed (plans
and bounds) into an outcome.

Examples
--------
>>> kill_after(30.0, elapsed=10.0)
21.1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoplan.optimise.hardstop import GuardedChild, available
from geoplan.optimise.matrix import ColumnBlock, MilpMatrix
from geoplan.optimise.outcome import SolveOutcome, SolverOptions, classify, settle_bound

__all__ = ["HARD_STOP_FACTOR", "HARD_STOP_NONZEROS", "HARD_STOP_SLACK_S", "Progress",
           "Solvable", "guarded", "kill_after", "salvage", "start_guard"]

HARD_STOP_NONZEROS = 100_000
"""Models with at least this many non-zeros run their HiGHS phase in a killable child."""
HARD_STOP_FACTOR = 1.02
"""The child is killed at this multiple of the time limit (plus :data:`HARD_STOP_SLACK_S`)."""
HARD_STOP_SLACK_S = 0.5
"""Seconds added to the kill time (the child's start and the answer's trip back)."""


@dataclass(frozen=True)
class Shape:
    """What the solver phase needs of a build context: candidate columns and periods."""

    x: ColumnBlock
    n: int
    n_periods: int


@dataclass(frozen=True)
class Solvable:
    """A model and its shape: the picklable part of a compiled problem the child solves.

    ``cuts`` are valid inequalities the lp-guided strategy adds where the relaxation breaks
    them (:mod:`geoplan.optimise.headroom_cuts`).
    """

    model: MilpMatrix
    context: Shape
    cuts: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Progress:
    """One report of the child: a plan (full vector) or a bound found, and the notes so far."""

    plan: np.ndarray | None
    bound: float | None
    notes: tuple[str, ...]


def guarded(model: MilpMatrix, options: SolverOptions) -> bool:
    """Whether a solve of ``model`` runs its HiGHS phase in a guarded child process.

    With HiGHS, a time limit, a POSIX system and a model of at least
    :data:`HARD_STOP_NONZEROS` nonzeros.
    """
    return (options.solver == "highs" and options.time_limit is not None and available()
            and model.matrix.nnz >= HARD_STOP_NONZEROS)


def start_guard(model: MilpMatrix, options: SolverOptions) -> GuardedChild | None:
    """Start the child for a guarded solve, or return ``None`` when none is needed."""
    return GuardedChild() if guarded(model, options) else None


def kill_after(limit: float, elapsed: float) -> float:
    """Seconds from now at which the child is killed, ``elapsed`` seconds into the solve."""
    return limit * HARD_STOP_FACTOR + HARD_STOP_SLACK_S - elapsed


def salvage(model: MilpMatrix, start: np.ndarray | None, known: float | None,
            reports: Sequence[Any], elapsed: float) -> tuple[SolveOutcome, list[str]]:
    """Return the best plan and bound known when the child was killed, and its last notes.

    The plans are the heuristic ``start`` and every plan the child reported; the bounds
    ``known`` (free or Lagrangian) and every bound it reported (each valid on its own).
    """
    sense = model.sense
    plans = [p for p in [start, *(r.plan for r in reports)] if p is not None]
    bounds = [b for b in [known, *(r.bound for r in reports)] if b is not None]
    notes = list(reports[-1].notes) if reports else []
    scored = [(model.objective(p), i) for i, p in enumerate(plans)]
    pick = max if sense == "max" else min
    objective, x = None, None
    if scored:
        objective, at = pick(scored)
        x = np.array(plans[at], dtype=float)
        x.flags.writeable = False
    tightest = (min(bounds) if sense == "max" else max(bounds)) if bounds else None
    bound = settle_bound(sense, objective, tightest)
    kind, gap = classify(sense, objective, bound, proven=True)
    words = "killed by the wall-time safety stop; best plan and bound known before"
    return SolveOutcome(kind, objective, bound, gap, elapsed, x, "highs", words,
                        "wall_time"), notes
