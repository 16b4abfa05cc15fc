r"""A plan decomposed into parts (e.g. by grid supply point) with the shared rows priced.

The grid chains of a plan stay inside one grid supply point (GSP), so headroom, reinforcement,
group and coverage rows each touch the candidates of one GSP; only the shared rows (the total,
per-period and per-workstream budgets, and any other row spanning two parts) couple the parts.
:func:`solve_decomposed` solves such a model part by part:

1. **Parts of the columns.** Every candidate column takes its candidate's part (its GSP);
   a helper column (reinforcement, covered demand) takes the part of the rows it shares with
   candidates of one part only; any column left is put in one further part. A row whose
   columns all lie in one part is *local* to it; every other row is *linking*.
2. **Prices on the linking rows.** For multipliers :math:`\pi` (signed by each row's finite
   sides, as in :mod:`geoplan.optimise.bounds`) the model, in its maximising form
   :math:`\max c^\top x`, separates into one sub-problem per part :math:`k`,

   .. math::

       z_k(\pi) = \max \{ (c_k - A_k^\top \pi)^\top x_k : x_k \text{ meets the rows local to } k \},

   and every :math:`\pi` gives the **Lagrangian bound**

   .. math::

       \mathcal{L}(\pi) = \sum_{\pi_i > 0} \pi_i U_i + \sum_{\pi_i < 0} \pi_i L_i
       + \sum_k \bar z_k(\pi) \;\ge\; c^\top x^*,

   where :math:`\bar z_k \ge z_k` is the sub-problem's own proven bound (HiGHS's dual bound,
   so a sub-problem stopped early still gives a valid, weaker figure). The bound holds for
   *any* prices; the prices only make it tighter. They start from the duals of the linking
   rows in the linear relaxation (one LP of the whole model, no integers; the multipliers
   of :func:`geoplan.optimise.lagrangian.lagrangian_bound` when it gives none) and
   take :data:`ITERATIONS` projected subgradient steps
   :math:`\pi \leftarrow \pi + t\,(A x(\pi) - b(\pi))` with Polyak's step towards the best
   plan so far (after a step that does not improve the bound, the next starts again from
   the best prices, half as far); with one linking row the price is found by bisection
   instead (the sign of :math:`A x(\pi) - b` says on which side the best price lies). The
   sub-problems of one round are independent (``workers`` > 1 solves them in threads).
3. **Repair.** The combined sub-plans may break a shared budget. The *master* is the full
   model restricted to the candidates some sub-plan chose in a round that improved the
   bound, and those the linear relaxation uses (every other
   candidate fixed at 0, :func:`geoplan.optimise.submodel.restrict`), solved by HiGHS from the
   best feasible combined sub-plan when there is one: a knapsack over the sub-plans' columns.
   Its plan is feasible for the full model.

The result reports the combined plan's objective (the incumbent), the best Lagrangian bound
over the rounds and the gap between them (:func:`geoplan.optimise.outcome.relative_gap`), so
a decomposed plan is never called optimal unless the bound proves it.

Examples
--------
>>> import scipy.sparse as sp
>>> from geoplan.optimise.matrix import MatrixBuilder
>>> b = MatrixBuilder("max")
>>> x = b.add_columns("x", 4, cost=[5, 4, 3, 3], integer=True)
>>> _ = b.add_rows("budget", ["budget"], sp.csr_matrix([[2, 3, 1, 2]]), x, upper=[5])
>>> found = solve_decomposed(b.build(), np.array(["a", "a", "b", "b"]))
>>> found.parts, found.outcome.objective, found.outcome.bound >= 11
(('a', 'b'), 11.0, True)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.bounds import multiplier_bound
from geoplan.optimise.lagrangian import lagrangian_bound
from geoplan.optimise.matrix import MilpMatrix
from geoplan.optimise.outcome import SolveOutcome, SolverOptions, classify
from geoplan.optimise.solvers import HighsSession
from geoplan.optimise.submodel import restrict

__all__ = ["ITERATIONS", "Decomposition", "candidate_parts", "column_parts", "grid_roots",
           "solve_decomposed"]

ITERATIONS = 8
"""Pricing rounds (each solves every sub-problem once): the deterministic budget."""
MASTER_SHARE = 0.4
"""Share of the time limit kept for the master (the rest is split over the rounds)."""
LP_SHARE = 0.1
"""Share of the time limit the linear relaxation that gives the starting prices may use."""
REST = "(shared)"
"""Name of the part that holds the columns no part claims."""


@dataclass(frozen=True)
class Decomposition:
    """What :func:`solve_decomposed` found.

    Attributes
    ----------
    outcome : SolveOutcome
        The combined plan (``x`` over the full model), the best Lagrangian bound and the gap.
    parts : tuple of str
        The parts, in the order solved.
    linking_rows : numpy.ndarray
        Rows priced (spanning two parts or more).
    prices : numpy.ndarray
        Multipliers of the linking rows that gave the bound.
    history : tuple of float
        The Lagrangian bound of each round (each one valid).
    repaired : bool
        Whether the master changed the best combined sub-plan (which broke a linking row, or
        was beaten).
    """

    outcome: SolveOutcome
    parts: tuple[str, ...]
    linking_rows: np.ndarray
    prices: np.ndarray
    history: tuple[float, ...]
    repaired: bool

    def summary(self, how: str = "by part") -> dict[str, Any]:
        """Plain figures for a report: method, parts, rounds, bound and gap."""
        return {"method": how, "parts": len(self.parts), "rounds": len(self.history),
                "linking_rows": len(self.linking_rows), "bound": self.outcome.bound,
                "gap": self.outcome.gap, "repaired": self.repaired}


def grid_roots(substations: Sequence[object], parents: Mapping[str, str | None] | Any
               ) -> np.ndarray:
    """Return the top of each substation's chain (its GSP); ``""`` for a blank substation.

    Parameters
    ----------
    substations : sequence
        One substation id per candidate (blank or missing: no substation).
    parents : Mapping or networkx.DiGraph
        Substation -> parent, or the grid graph with edges parent -> child.

    Examples
    --------
    >>> grid_roots(["p1", "p2", "", "x"], {"p1": "b1", "p2": "b2", "b1": "g", "b2": "g"}).tolist()
    ['g', 'g', '', 'x']
    """
    if not isinstance(parents, Mapping):
        parents = {n: next(iter(parents.predecessors(n)), None) for n in parents.nodes}
    roots: dict[str, str] = {}
    out = []
    for value in substations:
        node = "" if value is None or value != value else str(value)
        if node and node not in roots:
            current, seen = node, {node}
            while (parent := parents.get(current)) is not None and parent not in seen:
                current = str(parent)
                seen.add(current)
            roots[node] = current
        out.append(roots.get(node, ""))
    return np.array(out, dtype=object)


def column_parts(model: MilpMatrix, labels: np.ndarray) -> np.ndarray:
    """Give every column a part: its own label, else the part of its one-part rows.

    Parameters
    ----------
    model : MilpMatrix
    labels : numpy.ndarray
        One part code per column: ``>= 0`` for candidate columns, ``-1`` for helper columns.

    Returns
    -------
    numpy.ndarray
        A part code per column; helper columns no one-part row ties to a part get ``-1``.
    """
    labels = np.asarray(labels, dtype=int)
    n_parts = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    known = np.flatnonzero(labels >= 0)
    member = sp.csr_matrix((np.ones(len(known)), (known, labels[known])),
                           shape=(model.shape[1], max(n_parts, 1)))
    touch = (abs(model.matrix) @ member).tocsr()
    touch.data[:] = 1.0
    counts = np.diff(touch.indptr)
    single = np.flatnonzero(counts == 1)
    row_part = sp.csr_matrix((np.ones(len(single)), (single, touch.indices[touch.indptr[single]])),
                             shape=(model.shape[0], max(n_parts, 1)))
    votes = (abs(model.matrix).T @ row_part).toarray()
    out = labels.copy()
    helpers = np.flatnonzero((labels < 0) & (votes.sum(axis=1) > 0))
    out[helpers] = votes[helpers].argmax(axis=1)
    return out


@dataclass(frozen=True)
class _Split:
    """Columns and local rows of each part, and the linking rows."""

    columns: list[np.ndarray]
    rows: list[np.ndarray]
    linking: np.ndarray


def _split(model: MilpMatrix, codes: np.ndarray, n_parts: int) -> _Split:
    member = sp.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)),
                           shape=(len(codes), n_parts))
    touch = (abs(model.matrix) @ member).tocsr()
    touch.data[:] = 1.0
    counts = np.diff(touch.indptr)
    local = np.flatnonzero(counts == 1)
    owner = touch.indices[touch.indptr[local]]
    return _Split([np.flatnonzero(codes == k) for k in range(n_parts)],
                  [local[owner == k] for k in range(n_parts)], np.flatnonzero(counts > 1))


class _Pricing:
    """The model in maximising form, split into parts, and one round of sub-problems."""

    def __init__(self, model: MilpMatrix, split: _Split, options: SolverOptions) -> None:
        self.model, self.split, self.options = model, split, options
        self.sign = 1.0 if model.sense == "max" else -1.0
        self.cost = self.sign * np.asarray(model.cost, dtype=float)
        self.link = model.matrix[split.linking].tocsr()
        self.link_lower = model.row_lower[split.linking].astype(float)
        self.link_upper = model.row_upper[split.linking].astype(float)
        self.matrix = model.matrix.tocsr()
        self.timed_out = False
        """Whether a sub-problem stopped on its time limit (the plan may then vary)."""

    def allowed(self, pi: np.ndarray) -> np.ndarray:
        pi = np.where(np.isfinite(self.link_upper), pi, np.minimum(pi, 0.0))
        return np.where(np.isfinite(self.link_lower), pi, np.maximum(pi, 0.0))

    def sub_model(self, k: int, pi: np.ndarray) -> MilpMatrix:
        cols, rows = self.split.columns[k], self.split.rows[k]
        m = self.model
        reduced = self.cost[cols] - self.link[:, cols].T @ pi
        return MilpMatrix("max", reduced, m.col_lower[cols], m.col_upper[cols],
                          m.integer[cols], self.matrix[rows][:, cols], m.row_lower[rows],
                          m.row_upper[rows], m.row_family[rows], m.row_label[rows])

    def solve_part(self, k: int, pi: np.ndarray, time_limit: float | None
                   ) -> tuple[float, np.ndarray | None, bool]:
        """Return the part's proven bound, its plan (or ``None``) and whether infeasible."""
        sub = self.sub_model(k, pi)
        if not sub.shape[0]:  # no local rows: each column at its best end
            x = np.where(sub.cost > 0, sub.col_upper, np.where(sub.cost < 0, sub.col_lower,
                                                               np.maximum(sub.col_lower, 0.0)))
            return float(sub.cost @ x), x, False
        outcome = HighsSession(sub, self.options).solve(time_limit=time_limit)
        if outcome.stopped_by == "time_limit":
            self.timed_out = True
        if outcome.status == "infeasible":
            return np.inf, None, True
        box = multiplier_bound(sub, np.zeros(sub.shape[0]))
        bound = outcome.bound if outcome.bound is not None else box
        return min(bound, box), None if outcome.x is None else np.asarray(outcome.x), False

    def constant(self, pi: np.ndarray) -> float:
        up, lo = pi > 0, pi < 0
        return float(np.sum(pi[up] * self.link_upper[up]) + np.sum(pi[lo] * self.link_lower[lo]))

    def step(self, pi: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Return ``A x - b(pi)`` on the linking rows (the side each multiplier's sign uses)."""
        activity = self.link @ x
        side = np.where(pi > 0, self.link_upper, np.where(pi < 0, self.link_lower,
                                                          np.clip(activity, self.link_lower,
                                                                  self.link_upper)))
        return activity - side


def solve_decomposed(model: MilpMatrix, part_of_column: np.ndarray, options: SolverOptions
                     | None = None, *, iterations: int = ITERATIONS, workers: int = 1
                     ) -> Decomposition:
    """Solve ``model`` part by part with priced linking rows (see the module docstring).

    Parameters
    ----------
    model : MilpMatrix
    part_of_column : numpy.ndarray
        A part name per column; ``""`` (or ``None``) for helper columns, which take the part
        of the rows they share with one part's candidates (:func:`column_parts`).
    options : SolverOptions, optional
        Solver settings of each sub-problem and of the master; the time limit is shared out
        (:data:`MASTER_SHARE` for the master). Only HiGHS is used.
    iterations : int
        Pricing rounds.
    workers : int
        Threads solving one round's sub-problems.

    Returns
    -------
    Decomposition
    """
    began = time.perf_counter()
    options = options or SolverOptions()
    names, codes = _codes(model, part_of_column)
    split = _split(model, codes, len(names))
    pricing = _Pricing(model, split, options)
    start, used = _start_prices(model, options)
    pi = pricing.allowed(start[split.linking])
    limit = options.time_limit
    per_part = (None if limit is None else
                max(0.05, (1 - MASTER_SHARE) * limit / max(iterations * len(names), 1)))
    best_value, best_pi, best_plan, best_x = np.inf, pi.copy(), -np.inf, None
    pool = used.copy()
    history, theta = [], 2.0
    best_round = np.zeros(model.shape[1])
    bracket = _Bracket(pricing)
    for _ in range(max(iterations, 1)):
        found = _round(pricing, pi, per_part, workers)
        if found is None:
            return _infeasible(names, split, pi)
        value, x = found
        history.append(value)
        if not len(model.violations(x)) and pricing.sign * model.objective(x) > best_plan:
            best_plan, best_x = pricing.sign * model.objective(x), x
        if value < best_value:  # the master keeps the columns of improving rounds only
            best_value, best_pi, best_round = value, pi.copy(), x
            pool |= model.integer & (x > 0.5)
        else:  # step again from the best prices, half as far
            theta /= 2
            pi, x = best_pi.copy(), best_round
        g = pricing.step(pi, x)
        if not len(split.linking) or not np.any(g) or _proved(best_value, best_plan, options):
            break
        if len(split.linking) == 1:
            pi = bracket.next(float(pi[0]), float(g[0]))
            continue
        aim = best_plan if np.isfinite(best_plan) else best_value - 0.05 * max(abs(best_value), 1)
        size = theta * max(value - aim, 1e-9 * max(abs(value), 1.0)) / float(g @ g)
        pi = pricing.allowed(pi + size * g)
    done = _finish(model, options, names, split, pool, best_x, best_value, best_pi,
                   tuple(pricing.sign * v + model.offset for v in history), pricing.timed_out)
    return replace(done, outcome=replace(done.outcome, time_s=time.perf_counter() - began))


def candidate_parts(compiled: Any, candidate_part: Sequence[object] | np.ndarray
                    ) -> np.ndarray:
    """Spread one part name per candidate over a compiled problem's columns.

    Parameters
    ----------
    compiled : CompiledProblem
        Its selection block ``x`` is period-major (column ``t * n + j`` is candidate ``j``).
    candidate_part : sequence
        A part name per candidate (row of the compiled table).

    Returns
    -------
    numpy.ndarray
        A part name per model column, ``""`` for helper columns.
    """
    parts = np.array(["" if v is None or v != v else str(v) for v in candidate_part],
                     dtype=object)
    context = compiled.context
    if len(parts) != context.n:
        raise ValueError(f"candidate_part has {len(parts)} entries for {context.n} candidates")
    out = np.full(compiled.model.shape[1], "", dtype=object)
    out[context.x.start:context.x.stop] = np.tile(parts, context.n_periods)
    return out


def _start_prices(model: MilpMatrix, options: SolverOptions) -> tuple[np.ndarray, np.ndarray]:
    """Row multipliers to start from, and the integer columns the relaxation uses.

    The multipliers are the linear relaxation's row duals, else (no relaxation solved)
    those of :func:`geoplan.optimise.lagrangian.lagrangian_bound`. Solvers differ in the
    sign of a maximisation's row duals; the sign whose multipliers give the tighter bound
    (:func:`geoplan.optimise.bounds.multiplier_bound`) is kept.
    """
    limit = None if options.time_limit is None else LP_SHARE * options.time_limit
    session = HighsSession(model.with_bounds(), options)
    relaxed = session.solve(relax=True, time_limit=limit)
    solution = session.highs.getSolution()
    duals = np.asarray(solution.row_dual, dtype=float)
    values = np.asarray(solution.col_value, dtype=float)
    if relaxed.bound is None or len(duals) != model.shape[0] or not np.isfinite(duals).all():
        return lagrangian_bound(model).multipliers, np.zeros(model.shape[1], dtype=bool)
    used = model.integer & (np.abs(values) > 1e-6) if len(values) == model.shape[1] else (
        np.zeros(model.shape[1], dtype=bool))
    sign = 1.0 if model.sense == "max" else -1.0
    tries = [sign * duals, -sign * duals]
    bounds = [sign * multiplier_bound(model, t) for t in tries]
    return tries[int(np.argmin(bounds))], used


def _proved(best_value: float, best_plan: float, options: SolverOptions) -> bool:
    """Whether the best plan is within the gap asked for of the best bound."""
    if not (np.isfinite(best_value) and np.isfinite(best_plan)):
        return False
    return best_value - best_plan <= options.mip_gap * max(abs(best_value), abs(best_plan), 1e-9)


class _Bracket:
    """Bisection on the price of a single linking row.

    The bound is convex in the price and ``A x - b`` is a subgradient, so its sign says on
    which side of the current price the best price lies: the bracket halves each round
    (doubling outwards until the far end is found).
    """

    def __init__(self, pricing: _Pricing) -> None:
        lower, upper = pricing.link_lower, pricing.link_upper
        self.low = -np.inf if lower.size and np.isfinite(lower[0]) else 0.0
        self.high = np.inf if upper.size and np.isfinite(upper[0]) else 0.0
        weights = abs(pricing.link).sum() if pricing.link.nnz else 1.0
        self.scale = float(np.abs(pricing.cost).sum() / max(float(weights), 1e-12))

    def next(self, price: float, slope: float) -> np.ndarray:
        if slope > 0:
            self.low = price
        else:
            self.high = price
        if np.isfinite(self.low) and np.isfinite(self.high):
            return np.array([(self.low + self.high) / 2])
        if np.isfinite(self.low):
            return np.array([max(2 * self.low, self.low + self.scale)])
        return np.array([min(2 * self.high, self.high - self.scale)])


def _codes(model: MilpMatrix, part_of_column: np.ndarray) -> tuple[list[str], np.ndarray]:
    labels = np.array(["" if v is None else str(v) for v in part_of_column], dtype=object)
    if len(labels) != model.shape[1]:
        raise ValueError(f"part_of_column has {len(labels)} entries for {model.shape[1]} columns")
    names = sorted(set(labels) - {""})
    index = {name: i for i, name in enumerate(names)}
    codes = column_parts(model, np.array([index.get(v, -1) for v in labels], dtype=int))
    if np.any(codes < 0):
        names.append(REST)
        codes = np.where(codes < 0, len(names) - 1, codes)
    return names, codes


def _round(pricing: _Pricing, pi: np.ndarray, time_limit: float | None, workers: int
           ) -> tuple[float, np.ndarray] | None:
    """Solve every part at ``pi``: the round's bound (maximising form) and combined plan."""
    parts = range(len(pricing.split.columns))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda k: pricing.solve_part(k, pi, time_limit), parts))
    else:
        results = [pricing.solve_part(k, pi, time_limit) for k in parts]
    x = np.zeros(pricing.model.shape[1])
    total = pricing.constant(pi)
    for k, (bound, plan, infeasible) in zip(parts, results, strict=True):
        if infeasible:
            return None
        total += bound
        if plan is not None:
            x[pricing.split.columns[k]] = plan
    return total, x


def _infeasible(names: list[str], split: _Split, pi: np.ndarray) -> Decomposition:
    outcome = SolveOutcome("infeasible", None, None, None, 0.0, None, "highs",
                           "a part's own rows cannot be met (decomposed)")
    return Decomposition(outcome, tuple(names), split.linking, pi, (), False)


def _finish(model: MilpMatrix, options: SolverOptions, names: list[str], split: _Split,
            pool: np.ndarray, best_x: np.ndarray | None, best_value: float,
            best_pi: np.ndarray, history: tuple[float, ...], timed_out: bool) -> Decomposition:
    """Repair with the master over the pooled columns; report plan, bound and gap."""
    sign = 1.0 if model.sense == "max" else -1.0
    bound = sign * best_value + model.offset if np.isfinite(best_value) else None
    upper = np.where(model.integer & ~pool, np.minimum(model.col_upper, 0.0), model.col_upper)
    sub = restrict(model, upper)
    x = best_x
    if sub is not None:
        limit = None if options.time_limit is None else MASTER_SHARE * options.time_limit
        start = None if best_x is None else sub.project(best_x)
        master = HighsSession(sub.model, options).solve(start=start, time_limit=limit)
        timed_out = timed_out or master.stopped_by == "time_limit"
        if master.x is not None:
            lifted = sub.lift(np.asarray(master.x))
            if best_x is None or sign * model.objective(lifted) > sign * model.objective(best_x):
                x = lifted
    repaired = x is not None and x is not best_x
    objective = None if x is None else model.objective(x)
    status, gap = classify(model.sense, objective, bound, proven=False)
    detail = (f"decomposed into {len(names)} parts, {len(split.linking)} linking rows priced, "
              f"{len(history)} rounds; bound is the Lagrangian bound")
    outcome = SolveOutcome(status, objective, bound, gap, 0.0,
                           None if x is None else _frozen(x), "highs", detail,
                           _stopped_by(status, timed_out))
    return Decomposition(outcome, tuple(names), split.linking, best_pi, history, repaired)


def _stopped_by(status: str, timed_out: bool) -> str:
    """``gap`` when the bound proves the plan; else the clock or the fixed number of rounds."""
    if status == "optimal":
        return "gap"
    return "time_limit" if timed_out else "work_limit"


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=float) + 0.0
    array.flags.writeable = False
    return array
