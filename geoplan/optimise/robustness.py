r"""Robustness of a plan under uncertain inputs: re-plan under sampled inputs, count selections.

Each sample :math:`i` re-plans a :class:`~geoplan.optimise.problem.PlanningProblem` whose
candidate table is changed by every :class:`Scale` (and, when given, whose
:class:`~geoplan.optimise.Headroom` limits are one of ``headroom`` alternatives, e.g. the
DNO's other DFES scenarios). A :class:`Scale` multiplies some columns of some rows by a
factor drawn from the triangular distribution with mode 1 and the row's ``low``/``high``
factors (inverse CDF of one uniform :math:`u`):

.. math::
    F^{-1}(u) = \begin{cases} a + \sqrt{u (b-a)(1-a)} & u < (1-a)/(b-a) \\
                 b - \sqrt{(1-u)(b-a)(b-1)} & \text{otherwise} \end{cases}

``shared=True`` draws one :math:`u` for all the rows (an assumption every candidate uses, such
as a measure's saving share); ``shared=False`` one per row (an error of each candidate's own
data, such as its homes' floor areas).

Reproducible: sample :math:`i` draws from ``numpy.random.default_rng([seed, i])`` whatever
process runs it, and results are gathered in sample order, so the same seed gives the same
frequencies with any number of workers. The re-solves run in ``workers`` processes
(:class:`concurrent.futures.ProcessPoolExecutor`), each with the solver options given (give a
``node_limit`` for plans that repeat); ``time_limit`` bounds the whole: samples not finished
by then are left out and counted (``not_run``), which is the one way two runs can differ.

A candidate's ``frequency`` is the share of the samples with a plan that choose it; the
**robust core** is the candidates of the plan chosen in at least ``core`` of them.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geoplan.optimise.constraints import Headroom
from geoplan.optimise.outcome import SolverOptions
from geoplan.optimise.problem import PlanningProblem

__all__ = ["Robustness", "Scale", "draw_factors", "robustness", "sample_problem"]


@dataclass(frozen=True)
class Scale:
    """Columns of some candidates scaled by a factor drawn between ``low`` and ``high``.

    Attributes
    ----------
    name : str
        What is uncertain (reported), e.g. ``"retrofit_measures saving_share"``.
    rows : numpy.ndarray of int
        Positions of the candidates changed (in the problem's candidate table).
    columns : tuple of str
        Columns multiplied (every one present is; a missing one is skipped).
    low, high : numpy.ndarray of float
        Factor bounds per row, ``low <= 1 <= high`` (the value used has factor 1).
    shared : bool
        One draw for every row, or one per row.
    """

    name: str
    rows: np.ndarray
    columns: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    shared: bool = True

    def __post_init__(self) -> None:
        low, high = np.asarray(self.low, float), np.asarray(self.high, float)
        if low.shape != np.shape(self.rows) or high.shape != low.shape:
            raise ValueError(f"{self.name}: low and high need one factor per row")
        if np.any(low > 1.0 + 1e-12) or np.any(high < 1.0 - 1e-12) or np.any(low < 0):
            raise ValueError(f"{self.name}: factors must satisfy 0 <= low <= 1 <= high")


def draw_factors(low: np.ndarray, high: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Triangular factors with mode 1 between ``low`` and ``high`` at quantiles ``u``.

    Examples
    --------
    >>> draw_factors(np.array([0.5, 1.0]), np.array([1.5, 1.0]), np.array([0.5, 0.9])).tolist()
    [1.0, 1.0]
    """
    low, high, u = (np.asarray(v, float) for v in (low, high, u))
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    left = (1.0 - low) / safe
    below = low + np.sqrt(np.clip(u * width * (1.0 - low), 0.0, None))
    above = high - np.sqrt(np.clip((1.0 - u) * width * (high - 1.0), 0.0, None))
    return np.where(width > 0, np.where(u < left, below, above), 1.0)


def sample_problem(problem: PlanningProblem, scales: Sequence[Scale],
                   headroom: Sequence[pd.DataFrame], seed: int, index: int
                   ) -> PlanningProblem:
    """Return sample ``index``'s problem (see the module docstring)."""
    rng = np.random.default_rng([int(seed), int(index)])
    table = problem.candidates.copy()
    for scale in scales:
        rows = np.asarray(scale.rows, int)
        u = np.full(len(rows), rng.random()) if scale.shared else rng.random(len(rows))
        factor = draw_factors(scale.low, scale.high, u)
        for column in scale.columns:
            if column in table.columns:
                position = table.columns.get_loc(column)
                values = table.iloc[rows, position].to_numpy(float) * factor
                table.iloc[rows, position] = values
    constraints = list(problem.constraints)
    if headroom:
        limits = headroom[int(rng.integers(len(headroom)))]
        constraints = [replace(c, limits=limits) if isinstance(c, Headroom) else c
                       for c in constraints]
    return replace(problem, candidates=table, constraints=tuple(constraints))


def _one(problem: PlanningProblem, scales: Sequence[Scale], headroom: Sequence[pd.DataFrame],
         seed: int, index: int, options: SolverOptions) -> np.ndarray | None:
    """Re-plan sample ``index``; return which candidates it chooses (None: no plan)."""
    plan = sample_problem(problem, scales, headroom, seed, index).solve(options, rank=False)
    return plan.table["selected"].to_numpy(bool) if plan.has_plan else None


@dataclass(frozen=True)
class Robustness:
    """Selection frequencies over the samples.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate: ``candidate_id``, ``in_plan``, ``frequency`` (NaN when no
        sample gave a plan), ``robust_core``.
    samples, planned, not_run : int
        Samples asked for, samples that gave a plan, samples left out by the time limit.
    seed : int
    core : float
    """

    table: pd.DataFrame
    samples: int
    planned: int
    not_run: int
    seed: int
    core: float


def robustness(problem: PlanningProblem, selected: np.ndarray, scales: Sequence[Scale], *,
               samples: int = 20, seed: int = 1, workers: int = 1, core: float = 0.9,
               headroom: Sequence[pd.DataFrame] = (), options: SolverOptions | None = None,
               time_limit: float | None = None) -> Robustness:
    """Re-plan ``samples`` times under sampled inputs (see the module docstring).

    Parameters
    ----------
    problem : PlanningProblem
        The plan's problem (unchanged: each sample works on a copy).
    selected : numpy.ndarray of bool
        Which candidates the plan chose.
    scales : sequence of Scale
    samples, seed : int
    workers : int
        Processes (1: in this process).
    core : float
        Least frequency of a chosen candidate in the robust core.
    headroom : sequence of pandas.DataFrame
        Alternative headroom limits, one drawn per sample (empty: the problem's own).
    options : SolverOptions, optional
        For each re-plan.
    time_limit : float, optional
        Seconds for all the samples together.

    Returns
    -------
    Robustness
    """
    options = options or SolverOptions()
    began = time.perf_counter()
    results: dict[int, np.ndarray | None] = {}
    if workers <= 1:
        for i in range(samples):
            if time_limit is not None and time.perf_counter() - began > time_limit:
                break
            results[i] = _one(problem, scales, headroom, seed, i, options)
    else:
        results = _parallel(problem, scales, headroom, seed, samples, workers, options,
                            time_limit)
    return _frequencies(problem, np.asarray(selected, bool), results, samples, seed, core)


def _parallel(problem: PlanningProblem, scales: Sequence[Scale],
              headroom: Sequence[pd.DataFrame], seed: int, samples: int, workers: int,
              options: SolverOptions, time_limit: float | None
              ) -> dict[int, np.ndarray | None]:
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    results: dict[int, np.ndarray | None] = {}
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures: dict[Future[np.ndarray | None], int] = {
            pool.submit(_one, problem, scales, headroom, seed, i, options): i
            for i in range(samples)}
        pending = set(futures)
        while pending:
            left = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
            done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future]] = future.result()
            if not done:
                break
    finally:
        _stop(pool)
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down, ending at once any re-plan still running past the time limit."""
    running = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in running:
        if process.is_alive():
            process.terminate()
    for process in running:
        process.join(timeout=5)


def _frequencies(problem: PlanningProblem, selected: np.ndarray,
                 results: dict[int, np.ndarray | None], samples: int, seed: int,
                 core: float) -> Robustness:
    plans = [plan for _, plan in sorted(results.items()) if plan is not None]
    count = np.sum(plans, axis=0) if plans else np.zeros(len(selected))
    frequency = count / len(plans) if plans else np.full(len(selected), np.nan)
    table = pd.DataFrame({
        "candidate_id": problem.candidates["candidate_id"].astype(str).to_numpy(),
        "in_plan": selected, "frequency": frequency,
        "robust_core": selected & (np.nan_to_num(frequency) >= core - 1e-12) & bool(plans)})
    return Robustness(table, samples, len(plans), samples - len(results), seed, core)
