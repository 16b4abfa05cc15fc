r"""A Lagrangian (subgradient) bound that needs no LP solve and depends on no clock.

For :math:`\max c^\top x` subject to :math:`L \le Ax \le U`, :math:`l \le x \le u`, every
multiplier vector :math:`\pi` gives the valid bound of :func:`geoplan.optimise.bounds`:

.. math::

    \mathcal{L}(\pi) = \sum_{\pi_i > 0} \pi_i U_i + \sum_{\pi_i < 0} \pi_i L_i
    + \sum_j \max_{x_j \in [l_j, u_j]} (c - A^\top \pi)_j \, x_j \;\ge\; c^\top x^* .

:func:`lagrangian_bound` lowers :math:`\mathcal{L}` by a fixed number of iterations, each
linear in the model's non-zeros:

- the *side rows* (budgets, counts, headroom, minimums: every row outside the ``coverage``
  and ``capacity`` families whose columns all have finite bounds) get, one row at a time in
  row order, the exactly best multiplier given the others (a one-dimensional convex
  piecewise-linear minimisation over the row's breakpoints). For a maximal covering model
  with a count of sites this is the classic bound: the best ``p`` sites by their
  multiplier-weighted coverage;
- the coverage and capacity rows (and any side row not handled exactly) take a projected
  subgradient step :math:`\pi \leftarrow \pi + t\,(Ax(\pi) - b(\pi))` with Polyak's step
  :math:`t = \theta (\mathcal{L}(\pi) - z) / \lVert g \rVert^2` towards the incumbent's value
  :math:`z`, deflected by :data:`DEFLECTION` times the previous direction (Camerini, Fratta
  and Maffioli); :math:`\theta` starts at 2 and halves after :data:`PATIENCE` iterations
  without improvement.

Two starts are tried: :math:`\pi = 0`, whose bound is the *free bound* (every column at its
best end: total demand for an uncapacitated coverage model, total benefit otherwise), and
the *covering start* (:func:`_covering_start`: each coverage row charged its best benefit,
which gives the total demand of a capacitated model); the better is the first iterate.
The best bound so far is kept, so the result is never worse than either floor. The number
of iterations is :data:`ITERATIONS`, fewer for large models (:data:`WORK` non-zero passes
at most). Every iterate's bound is valid, so
the method can stop at any iteration. No step reads the clock except the safety stop: for a
fixed model, incumbent and iteration budget the bound is the same on any machine and load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.clock import Clock
from geoplan.optimise.matrix import MilpMatrix

__all__ = ["ITERATIONS", "PATIENCE", "RELAXED_FAMILIES", "LagrangianBound", "lagrangian_bound"]

ITERATIONS = 600
"""Subgradient iterations at most (the deterministic budget)."""
WORK = 300_000_000
"""Iterations times the model's non-zeros at most: a large model gets fewer iterations."""
MIN_ITERATIONS = 50
"""Iterations a large model still gets, whatever :data:`WORK` allows."""
PATIENCE = 20
"""Iterations without a better bound before the step factor halves."""
RELAXED_FAMILIES = frozenset({"coverage", "capacity"})
"""Row families always handled by subgradient steps (many rows, each with few columns)."""
MAX_SIDE_NONZEROS = 500_000
"""Side rows handled exactly while their non-zeros total at most this (the rest by steps)."""
MAX_SIDE_ROW_NONZEROS = 50_000
"""A side row with more non-zeros than this (e.g. a coverage floor over assignments) is
handled by steps."""
DEFLECTION = 0.7
"""Share of the previous direction added to each subgradient step."""
_MIN_THETA = 1e-4


@dataclass(frozen=True)
class LagrangianBound:
    """The result of :func:`lagrangian_bound`.

    Attributes
    ----------
    bound : float or None
        The tightest valid bound found (upper for a maximisation, lower for a minimisation,
        objective offset included); ``None`` when no multipliers gave a finite one.
    history : tuple of float
        The bound of each iterate (each one valid; ``inf`` where an iterate had none).
    multipliers : numpy.ndarray
        Row multipliers that give :attr:`bound`.
    iterations : int
        Iterations run.
    guide : numpy.ndarray
        The columns' values in the Lagrangian subproblem at those multipliers (each column at
        the end its reduced cost favours): which candidates the bound would build, a guide
        for restricted MIPs when no relaxation finished.
    stopped_by : str
        ``"gap"`` (the bound met the incumbent), ``"work_limit"`` (the iteration budget, or
        the step factor fell below its floor) or ``"time_limit"`` (the safety stop).
    """

    bound: float | None
    history: tuple[float, ...]
    multipliers: np.ndarray
    iterations: int
    guide: np.ndarray
    stopped_by: str


class _State:
    """Arrays of one model in the maximising form every step works in."""

    def __init__(self, model: MilpMatrix) -> None:
        self.sign = 1.0 if model.sense == "max" else -1.0
        self.offset = model.offset
        self.cost = self.sign * np.asarray(model.cost, dtype=float)
        self.matrix = sp.csr_matrix(model.matrix, dtype=float)
        self.transposed = self.matrix.T.tocsr()
        self.lower, self.upper = model.col_lower.astype(float), model.col_upper.astype(float)
        self.row_lower = model.row_lower.astype(float)
        self.row_upper = model.row_upper.astype(float)
        self.up_ok, self.lo_ok = np.isfinite(self.row_upper), np.isfinite(self.row_lower)
        self.coverage_rows = model.row_family == "coverage"
        self.side = self._side_rows(model)

    def _side_rows(self, model: MilpMatrix) -> list[tuple[int, np.ndarray, np.ndarray]]:
        bounded = np.isfinite(self.lower) & np.isfinite(self.upper)
        rows, total = [], 0
        for i in np.flatnonzero(~np.isin(model.row_family, list(RELAXED_FAMILIES))):
            start, stop = self.matrix.indptr[i], self.matrix.indptr[i + 1]
            cols, coef = self.matrix.indices[start:stop], self.matrix.data[start:stop]
            stored = coef != 0  # an explicitly stored zero has no breakpoint
            cols, coef = cols[stored], coef[stored]
            if (not len(cols) or len(cols) > MAX_SIDE_ROW_NONZEROS or not bounded[cols].all()
                    or total + len(cols) > MAX_SIDE_NONZEROS):
                continue
            total += len(cols)
            rows.append((int(i), cols.copy(), coef.copy()))
        return rows

    def reduced(self, pi: np.ndarray) -> np.ndarray:
        return self.cost - self.transposed @ pi

    def value(self, pi: np.ndarray, reduced: np.ndarray) -> float:
        """Return the bound of ``pi`` in the maximising form (``inf`` when unbounded)."""
        up, lo = pi > 0, pi < 0
        # elementwise sums, not BLAS dot products (whose threads stall on a loaded machine)
        constant = np.sum(pi[up] * self.row_upper[up]) + np.sum(pi[lo] * self.row_lower[lo])
        with np.errstate(invalid="ignore"):
            best = np.where(reduced > 0, reduced * self.upper,
                            np.where(reduced < 0, reduced * self.lower, 0.0))
        total = float(constant + best.sum())
        return total if np.isfinite(total) else np.inf

    def argmax(self, reduced: np.ndarray) -> np.ndarray:
        resting = np.where(np.isfinite(self.lower), self.lower,
                           np.where(np.isfinite(self.upper), self.upper, 0.0))
        return np.where(reduced > 0, self.upper, np.where(reduced < 0, self.lower, resting))

    def allowed(self, pi: np.ndarray) -> np.ndarray:
        """Project onto the multipliers the bound accepts (sign by the row's finite sides)."""
        pi = np.where(self.up_ok, pi, np.minimum(pi, 0.0))
        return np.where(self.lo_ok, pi, np.maximum(pi, 0.0))

    def bound(self, value: float) -> float:
        return self.sign * value + self.offset


def _right_slope(mu: float, base: np.ndarray, coef: np.ndarray, lower: np.ndarray,
                 upper: np.ndarray, row_lower: float, row_upper: float) -> float:
    """Return the right derivative in ``mu`` of one row's part of the bound."""
    t = base - mu * coef
    positive = (t > 0) | ((t == 0) & (coef < 0))
    slope = -(coef * np.where(positive, upper, lower)).sum()
    return float(slope + (row_upper if mu >= 0 else row_lower))


def _best_row_multiplier(base: np.ndarray, coef: np.ndarray, lower: np.ndarray,
                         upper: np.ndarray, row_lower: float, row_upper: float) -> float | None:
    """Return the multiplier of one row minimising its part of the bound, or ``None``.

    The part is convex and piecewise linear in the multiplier with breakpoints where a
    column's reduced cost changes sign; the minimiser is the first candidate whose right
    slope is not negative (binary search). ``None`` when the part is unbounded below (the
    row cannot be met within the column bounds) or the row has no finite side.
    """
    lo = -np.inf if np.isfinite(row_lower) else 0.0
    hi = np.inf if np.isfinite(row_upper) else 0.0
    if lo == hi:
        return None
    args = (base, coef, lower, upper, row_lower, row_upper)
    points = np.unique(np.clip(np.append(base / coef, 0.0), lo, hi))
    if np.isinf(lo) and _right_slope(points[0] - 1.0, *args) > 0:
        return None
    if np.isinf(hi) and _right_slope(points[-1], *args) < 0:
        return None
    left, right = 0, len(points) - 1
    while left < right:
        middle = (left + right) // 2
        if _right_slope(points[middle], *args) >= 0:
            right = middle
        else:
            left = middle + 1
    return float(points[left])


def _exact_side_rows(state: _State, pi: np.ndarray, reduced: np.ndarray) -> None:
    """Give each side row its best multiplier given the others (in place, row order)."""
    for i, cols, coef in state.side:
        base = reduced[cols] + coef * pi[i]
        mu = _best_row_multiplier(base, coef, state.lower[cols], state.upper[cols],
                                  state.row_lower[i], state.row_upper[i])
        if mu is None:
            continue
        reduced[cols] = base - coef * mu
        pi[i] = mu


def lagrangian_bound(model: MilpMatrix, *, incumbent: float | None = None,
                     iterations: int = ITERATIONS, gap: float = 0.0,
                     clock: Clock | None = None) -> LagrangianBound:
    """Lower the Lagrangian bound of ``model`` by subgradient steps (module docstring).

    Parameters
    ----------
    model : MilpMatrix
    incumbent : float, optional
        The objective of a known feasible plan: the target of Polyak's step, and the stop
        (``"gap"``) once the bound is within ``gap`` of it.
    iterations : int
        Iterations at most (the deterministic budget).
    gap : float
        Relative gap at which the bound proves the incumbent and the method stops.
    clock : Clock, optional
        The safety stop: the method ends (``"time_limit"``) once it has expired.

    Returns
    -------
    LagrangianBound
    """
    state = _State(model)
    iterations = min(iterations, max(MIN_ITERATIONS, WORK // max(model.matrix.nnz, 1)))
    target = None if incumbent is None else state.sign * (incumbent - state.offset)
    free = np.zeros(model.shape[0])
    history = [state.value(free, state.reduced(free))]
    pi = _covering_start(state)
    reduced = state.reduced(pi)
    _exact_side_rows(state, pi, reduced)
    history.append(state.value(pi, reduced))
    best_value, best_pi = (history[0], free) if history[0] <= history[1] else (history[1], pi)
    pi = best_pi.copy()
    reduced = state.reduced(pi)
    theta, stale, stop, done = 2.0, 0, "work_limit", 0
    direction: np.ndarray | None = None
    stepped = np.ones(model.shape[0], dtype=bool)
    stepped[[i for i, _, _ in state.side]] = False
    for done in range(1, iterations + 1):  # noqa: B007 (the count is reported)
        if target is not None and _met(best_value, target, gap):
            stop = "gap"
            break
        if clock is not None and clock.expired():
            stop = "time_limit"
            break
        step = _subgradient(state, pi, reduced, stepped)
        if step is None or not np.isfinite(history[-1]):
            break
        if direction is not None:  # deflection (Camerini, Fratta and Maffioli): less zig-zag
            step = step + DEFLECTION * direction
        direction = step
        aim = target if target is not None else best_value - 0.05 * max(abs(best_value), 1.0)
        value = history[-1]
        size = theta * max(value - aim, 1e-9 * max(abs(value), 1.0)) / float(np.sum(step * step))
        pi = state.allowed(pi + size * step)
        reduced = state.reduced(pi)
        _exact_side_rows(state, pi, reduced)
        value = state.value(pi, reduced)
        history.append(value)
        if _improves(value, best_value):
            best_value, best_pi, stale = value, pi.copy(), 0
            continue
        stale += 1
        if stale >= PATIENCE:
            theta, stale = theta / 2, 0
            if theta < _MIN_THETA:
                break
    found = state.bound(best_value) if np.isfinite(best_value) else None
    shown = tuple(state.bound(v) if np.isfinite(v) else np.inf for v in history)
    guide = state.argmax(state.reduced(best_pi))
    guide = np.where(np.isfinite(guide), guide, 0.0)
    return LagrangianBound(found, shown, best_pi, done, guide, stop)


def _covering_start(state: _State) -> np.ndarray:
    """Multipliers that charge each coverage row its best benefit: total demand, in effect.

    A ``coverage`` row with a finite upper side gets the largest ``cost / coefficient`` of
    its columns with a positive coefficient and cost, so those columns' reduced costs are
    not positive: for a capacitated model the bound is then the total demand.
    """
    coverage = np.flatnonzero(state.coverage_rows & state.up_ok)
    pi = np.zeros(len(state.row_upper))
    if not len(coverage):
        return pi
    part = state.matrix[coverage].tocoo()
    ratio = np.where(part.data > 0, state.cost[part.col] / np.where(part.data > 0, part.data, 1),
                     0.0)
    best = np.zeros(len(coverage))
    np.maximum.at(best, part.row, np.maximum(ratio, 0.0))
    pi[coverage] = best
    return pi


def _improves(value: float, best: float) -> bool:
    if not np.isfinite(best):
        return bool(np.isfinite(value))
    return value < best - 1e-12 * max(1.0, abs(best))


def _met(value: float, target: float, gap: float) -> bool:
    scale = max(abs(value), abs(target), 1e-12)
    return (value - target) / scale <= max(gap, 1e-9)


def _subgradient(state: _State, pi: np.ndarray, reduced: np.ndarray,
                 stepped: np.ndarray) -> np.ndarray | None:
    """Return ``A x(pi) - b(pi)`` on the stepped rows (zero elsewhere), or ``None``.

    ``b`` is the side of each row its multiplier's sign uses; a zero multiplier's row gives
    its violation only. ``None`` when the subgradient is zero (``pi`` is optimal) or infinite.
    """
    x = state.argmax(reduced)
    if not np.isfinite(x).all():
        return None
    activity = state.matrix @ x
    side = np.where(pi > 0, state.row_upper,
                    np.where(pi < 0, state.row_lower,
                             np.clip(activity, state.row_lower, state.row_upper)))
    step = np.where(stepped, activity - side, 0.0)
    if not np.isfinite(step).all() or not step.any():
        return None
    return step
