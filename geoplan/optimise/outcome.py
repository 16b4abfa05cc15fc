"""What a solve is asked (:class:`SolverOptions`) and what it answers (:class:`SolveOutcome`).

Shared by every solver adapter (:mod:`geoplan.optimise.solvers` for HiGHS,
:mod:`geoplan.optimise.pulp_adapter` for CBC and HiGHS through PuLP), so that each reports
status, objective, bound and gap by the same rules (:func:`classify`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geoplan.solver_choices import OPTIMALITY_GAP, SOLVERS

__all__ = [
    "OPTIMALITY_GAP",
    "SOLVERS",
    "STATUSES",
    "SolveOutcome",
    "SolverOptions",
    "classify",
    "relative_gap",
    "settle_bound",
]

STOPS = ("gap", "work_limit", "time_limit", "wall_time")
"""What can end a solve with a plan (:attr:`SolveOutcome.stopped_by`)."""

STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "no_solution")
"""Every status a solve can report."""



@dataclass(frozen=True)
class SolverOptions:
    """How to solve.

    Parameters
    ----------
    solver : {"highs", "highs-pulp", "cbc"}
        ``highs`` calls HiGHS directly (fastest); the other two go through PuLP.
    time_limit : float, optional
        Seconds of wall time for the whole solve (``None``: no limit).
    mip_gap : float
        Relative gap at which the solver may stop.
    threads : int, optional
        Solver threads (``None``: the solver's default).
    seed : int
        Random seed passed to the solver, so runs repeat.
    node_limit : int, optional
        Branch-and-bound nodes per MIP solve (``None``: no limit). A deterministic stop: a
        time-limited solve that ends on it gives the same plan on any machine and load,
        where one ended by ``time_limit`` may not (the outcome's ``stopped_by`` says which).
    verbose : bool
        Show the solver's log.
    """

    solver: str = "highs"
    time_limit: float | None = None
    mip_gap: float = OPTIMALITY_GAP
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    node_limit: int | None = None

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {list(SOLVERS)}, not {self.solver!r}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be positive, not {self.time_limit}")
        if self.node_limit is not None and self.node_limit < 1:
            raise ValueError(f"node_limit must be at least 1, not {self.node_limit}")
        if not 0 <= self.mip_gap < 1:
            raise ValueError(f"mip_gap must be in [0, 1), not {self.mip_gap}")


@dataclass(frozen=True)
class SolveOutcome:
    """What a solver proved (see the module docstring).

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    objective : float or None
        Objective of the incumbent plan; ``None`` without one.
    bound : float or None
        Best proven bound on the optimum (upper for "max", lower for "min"); ``None`` when the
        solver does not report one.
    gap : float or None
        :func:`relative_gap` of ``objective`` and ``bound``.
    time_s : float
        Wall time.
    x : numpy.ndarray or None
        The incumbent (read-only); ``None`` without one.
    solver : str
        Which solver ran.
    detail : str
        The solver's own status words and why it stopped.
    stopped_by : str
        What ended the solve: ``"gap"`` (the incumbent met the bound within the gap asked
        for), ``"work_limit"`` (a deterministic budget: nodes, iterations, swaps; the same
        inputs stop at the same point), ``"time_limit"`` (the wall clock, a safety stop: the
        plan may differ from run to run), ``"wall_time"`` (the hard stop killed a solver
        that overran its time limit: the plan and bound are the best known before it) or
        ``""`` (no plan, or not known).
    """

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    time_s: float
    x: np.ndarray | None = field(repr=False)
    solver: str
    detail: str = ""
    stopped_by: str = ""

    @property
    def has_plan(self) -> bool:
        """Whether a feasible plan (incumbent) exists."""
        return self.x is not None


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """Relative distance between an incumbent and a bound, in [0, inf).

    ``|bound - objective| / max(|bound|, |objective|)``; 0 when both are 0.

    Examples
    --------
    >>> round(relative_gap(901_080, 945_389), 4)
    0.0469
    """
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    scale = max(abs(bound), abs(objective))
    return 0.0 if scale == 0 else abs(bound - objective) / scale


def classify(sense: str, objective: float | None, bound: float | None, *, proven: bool,
             infeasible: bool = False, unbounded: bool = False) -> tuple[str, float | None]:
    """Status and gap from what a solver found.

    ``proven`` means the solver claims optimality; the claim is only passed on when the gap
    it proved is within :data:`OPTIMALITY_GAP`.
    """
    if infeasible:
        return "infeasible", None
    if unbounded:
        return "unbounded", None
    if objective is None:
        return "no_solution", None
    bound = settle_bound(sense, objective, bound)
    gap = relative_gap(objective, bound)
    if gap is not None and gap <= OPTIMALITY_GAP:  # a valid bound met proves the plan optimal
        return "optimal", gap
    if proven and gap is None:
        return "optimal", 0.0
    return "feasible", gap


def settle_bound(sense: str, objective: float | None, bound: float | None) -> float | None:
    """Return the bound to report beside ``objective``: never on the wrong side of it.

    A maximisation's bound a hair below its incumbent (rounding in the solver or in a dual
    bound) is the incumbent itself (gap 0, optimal); one below it by more than
    :data:`OPTIMALITY_GAP` is not a valid bound and is dropped (``None``: gap unknown).

    Examples
    --------
    >>> settle_bound("max", 100.000001, 100.0), settle_bound("max", 120.0, 100.0)
    (100.000001, None)
    >>> settle_bound("min", 90.0, 95.0), settle_bound("max", 90.0, 95.0)
    (None, 95.0)
    """
    if objective is None or bound is None or not np.isfinite(bound):
        return bound
    crossed = objective > bound if sense == "max" else objective < bound
    if not crossed:
        return bound
    return objective if (relative_gap(objective, bound) or 0.0) <= OPTIMALITY_GAP else None
