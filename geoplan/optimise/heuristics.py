"""Fast heuristics for coverage models: a lazy greedy and a 1-swap local search.

They give a good feasible plan in well under a second on county-scale instances, used as a
warm start for HiGHS and as a fallback when HiGHS finds nothing in its time. They handle
knapsack rows (budgets and counts, several at once), locks and one option per group; the
strategy module only calls them on models with no other constraint family.

The greedy adds, at each step, the candidate with the largest gain per unit of the scarcest
budget it uses (``max_k cost_kj / limit_k``), re-evaluating gains lazily (gains only fall as
coverage grows). When costs differ it also runs the plain largest-gain greedy and keeps the
better, the usual guard for budgeted maximum coverage. The swap search then repeatedly makes
the best exchange of one chosen and one unchosen candidate that raises the objective and keeps
every budget, until none does.

Both take an optional :class:`~geoplan.optimise.clock.Clock`: the swap search stops after
``max_iterations`` exchanges (a deterministic budget) or when the clock runs out (a safety
stop), whichever comes first, and records which on the clock; the greedy stops adding when
the clock runs out. Either way the plan returned is feasible.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.clock import Clock

__all__ = ["CoverageInstance", "feasible_pairs", "greedy", "improve_by_swaps",
           "objective_value"]


@dataclass(frozen=True)
class CoverageInstance:
    """A coverage model in array form.

    Attributes
    ----------
    pattern : scipy.sparse.csr_matrix
        Demand points x candidates, 1 where the candidate covers the point.
    weights : numpy.ndarray
        Demand weights (already multiplied by the term's scale).
    base : numpy.ndarray
        Linear objective value of each candidate besides coverage.
    costs : numpy.ndarray
        Budget rows x candidates.
    limits : numpy.ndarray
        One limit per budget row.
    locked_in, locked_out : numpy.ndarray of bool
    group : numpy.ndarray of int
        Group number of each candidate (-1: no group).
    """

    pattern: sp.csr_matrix
    weights: np.ndarray
    base: np.ndarray
    costs: np.ndarray
    limits: np.ndarray
    locked_in: np.ndarray
    locked_out: np.ndarray
    group: np.ndarray
    columns: sp.csc_matrix = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", self.pattern.tocsc())

    @property
    def m(self) -> int:
        """Number of candidates."""
        return self.pattern.shape[1]

    def rows_of(self, j: int) -> np.ndarray:
        """Demand points candidate ``j`` covers."""
        return self.columns.indices[self.columns.indptr[j]:self.columns.indptr[j + 1]]


def objective_value(instance: CoverageInstance, chosen: np.ndarray) -> float:
    """Covered demand weight plus the base value of ``chosen`` (a boolean array)."""
    covered = (instance.pattern @ chosen.astype(float)) > 0
    return float(instance.weights[covered].sum() + instance.base[chosen].sum())


def _start(instance: CoverageInstance, initial: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
    chosen = instance.locked_in.copy() if initial is None else initial | instance.locked_in
    covered = (instance.pattern @ chosen.astype(float)) > 0
    spent = instance.costs @ chosen.astype(float)
    groups = {int(g) for g in instance.group[chosen] if g >= 0}
    return chosen, covered, spent, groups


_CLOCK_EVERY = 256
"""Greedy steps between two looks at the clock."""


def _run_greedy(instance: CoverageInstance, by_ratio: bool,
                initial: np.ndarray | None = None, clock: Clock | None = None) -> np.ndarray:
    chosen, covered, spent, groups = _start(instance, initial)
    with np.errstate(divide="ignore", invalid="ignore"):
        usage = np.where(instance.limits > 0, instance.costs.T / instance.limits, np.inf).max(
            axis=1, initial=0.0) if len(instance.limits) else np.zeros(instance.m)
    usage = np.where(np.isfinite(usage), usage, 1e12)

    def key(j: int, gain: float) -> float:
        return gain / usage[j] if by_ratio and usage[j] > 0 else gain

    gains = np.asarray(instance.pattern.T @ (instance.weights * ~covered)).ravel()
    gains += instance.base
    heap = [(-key(j, gains[j]), j) for j in range(instance.m)
            if not chosen[j] and not instance.locked_out[j] and gains[j] > 0]
    heapq.heapify(heap)
    steps = 0
    while heap:
        steps += 1
        if clock is not None and steps % _CLOCK_EVERY == 0 and clock.expired():
            clock.record("time_limit")
            break
        _, j = heapq.heappop(heap)
        rows = instance.rows_of(j)
        gain = float(instance.weights[rows][~covered[rows]].sum() + instance.base[j])
        if gain <= 0:
            continue
        if heap and key(j, gain) < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-key(j, gain), j))
            continue
        if instance.group[j] >= 0 and int(instance.group[j]) in groups:
            continue
        if np.any(spent + instance.costs[:, j] > instance.limits + 1e-9):
            continue
        chosen[j] = True
        covered[rows] = True
        spent += instance.costs[:, j]
        if instance.group[j] >= 0:
            groups.add(int(instance.group[j]))
    return chosen


def greedy(instance: CoverageInstance, clock: Clock | None = None) -> np.ndarray:
    """Find a feasible plan by lazy greedy (see the module docstring); bool per candidate."""
    best = _run_greedy(instance, by_ratio=True, clock=clock)
    costs_vary = instance.costs.size and np.ptp(instance.costs, axis=1).max() > 0
    if costs_vary and not (clock is not None and clock.expired()):
        other = _run_greedy(instance, by_ratio=False, clock=clock)
        if objective_value(instance, other) > objective_value(instance, best):
            best = other
    return best


def _swap_deltas(instance: CoverageInstance, chosen: np.ndarray, count: np.ndarray,
                 inside: np.ndarray) -> np.ndarray:
    w = instance.weights
    once = w * (count == 1)
    free = w * (count == 0)
    pattern = instance.pattern
    loss = np.asarray(pattern[:, inside].T @ once).ravel() + instance.base[inside]
    gain = np.asarray(pattern.T @ free).ravel() + instance.base
    chosen_cols = instance.columns[:, inside]
    cross = (chosen_cols.T.multiply(once.reshape(1, -1)).tocsr() @ pattern).toarray()
    return gain[None, :] + cross - loss[:, None]


def feasible_pairs(instance: CoverageInstance, chosen: np.ndarray, inside: np.ndarray,
                   columns: np.ndarray | None = None,
                   spent: np.ndarray | None = None) -> np.ndarray:
    """Which exchanges (one of ``inside`` out, one candidate in) keep the plan feasible.

    Parameters
    ----------
    instance : CoverageInstance
    chosen : numpy.ndarray of bool
        The plan.
    inside : numpy.ndarray of int
        Chosen candidates that may leave (rows of the result).
    columns : numpy.ndarray of int, optional
        Candidates that may join (columns of the result); default every candidate.
    spent : numpy.ndarray, optional
        What ``chosen`` spends of each knapsack row, when the caller keeps it already.

    Returns
    -------
    numpy.ndarray of bool
        ``len(inside) x len(columns)``: True where the exchange keeps every knapsack row,
        lock and one option per group.
    """
    columns = np.arange(instance.m) if columns is None else columns
    ok = np.ones((len(inside), len(columns)), dtype=bool)
    ok[:, (chosen | instance.locked_out)[columns]] = False
    ok[instance.locked_in[inside], :] = False
    if spent is None:
        spent = instance.costs[:, chosen].sum(axis=1)
    for k in range(len(instance.limits)):
        after = (spent[k] - instance.costs[k, inside][:, None]
                 + instance.costs[k, columns][None, :])
        ok &= after <= instance.limits[k] + 1e-9
    used = instance.group[chosen]
    joining = instance.group[columns]
    for row, j in enumerate(inside):
        taken = set(used[used >= 0].tolist()) - {int(instance.group[j])}
        if taken:
            ok[row, np.isin(joining, list(taken))] = False
    return ok


SWAP_ITERATIONS = 10_000
"""Deterministic budget of the swap search: exchanges made at most."""


def improve_by_swaps(instance: CoverageInstance, chosen: np.ndarray,
                     max_iterations: int = SWAP_ITERATIONS,
                     clock: Clock | None = None) -> np.ndarray:
    """Best-improvement 1-swap local search from ``chosen`` (kept feasible).

    Stops at a local optimum, after ``max_iterations`` exchanges (recorded on ``clock`` as
    ``"work_limit"``) or when ``clock`` runs out (``"time_limit"``).
    """
    chosen = chosen.copy()
    count = np.asarray(instance.pattern @ chosen.astype(float)).ravel()
    for iteration in range(max_iterations + 1):
        if iteration == max_iterations:
            if clock is not None:
                clock.record("work_limit")
            break
        if clock is not None and clock.expired():
            clock.record("time_limit")
            break
        inside = np.flatnonzero(chosen)
        if len(inside) == 0:
            break
        delta = _swap_deltas(instance, chosen, count, inside)
        delta[~feasible_pairs(instance, chosen, inside)] = -np.inf
        best = np.unravel_index(np.argmax(delta), delta.shape)
        if not delta[best] > 1e-9 * max(1.0, abs(objective_value(instance, chosen))):
            break
        out, into = inside[best[0]], int(best[1])
        chosen[out], chosen[into] = False, True
        count[instance.rows_of(out)] -= 1
        count[instance.rows_of(into)] += 1
    return _run_greedy(instance, by_ratio=False, initial=chosen, clock=clock)  # budget left
