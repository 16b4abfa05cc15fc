r"""A greedy start for capacitated coverage models (e.g. chargers with a capacity per site).

The uncapacitated heuristics (:mod:`geoplan.optimise.heuristics`) count a point as covered
once any chosen candidate reaches it. With capacities a site serves at most :math:`u_j` of
demand weight, so a plan is a choice of sites *and* an assignment of demand to them. This
module builds both:

1. **Greedy choice.** Each unserved point keeps a residual share :math:`r_i \in [0, 1]`.
   The gain of an unchosen site is the demand weight it could serve now,
   :math:`\min(u_j, \sum_{i \in N(j)} w_i r_i)`, plus its own objective value. Sites are
   taken in order of gain per unit of the scarcest resource they use, measured against
   what is left of it (:math:`\max_k a_{kj} / (b_k - \text{used}_k)`, over every budget,
   count and headroom row at once), re-evaluating lazily: gains only fall as demand is
   served and what is left of each resource only shrinks, so a stale key is an upper bound.
   A site that would break a row, or a second option of a group, is skipped. While a
   district is short of its coverage floor, demand there counts :data:`FLOOR_PRIORITY` times
   more, so floors are closed first. The plain largest-gain order is also run and the
   better plan kept.
2. **Assignment.** A chosen site serves its reachable points, first those in a district
   still short of its coverage floor, then those with the fewest other sites in reach.
3. **Polish.** With the choice fixed, the assignment is a linear programme; HiGHS solves it
   exactly, which gives the best assignment for that choice (the caller does this, since it
   needs the full model: :func:`geoplan.optimise.strategy.heuristic_plan`).

Locked-in sites are chosen and assigned first. The plan may miss a coverage floor; the caller
checks every row and drops a plan that breaks one.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["FLOOR_PRIORITY", "CapacitatedInstance", "capacitated_greedy"]

FLOOR_PRIORITY = 1_000.0
"""How much more a unit of floor-short demand counts than the average unit, while choosing."""


@dataclass(frozen=True)
class CapacitatedInstance:
    """A capacitated coverage model in array form.

    Attributes
    ----------
    pattern : scipy.sparse.csr_matrix
        Demand points x candidates, 1 where the candidate reaches the point. Its stored
        entries, in CSR order, are the assignment variables :math:`z_{ij}`.
    demand : numpy.ndarray
        Demand weight :math:`w_i` of each point.
    value : numpy.ndarray
        Objective value of serving all of point :math:`i` (weight times the term's scale).
    capacity : numpy.ndarray
        Demand weight each candidate can serve if chosen.
    base : numpy.ndarray
        Objective value of each candidate besides coverage.
    costs : numpy.ndarray
        Resource rows (budgets, counts, headroom) x candidates.
    limits : numpy.ndarray
        Upper limit of each resource row.
    floor_of : numpy.ndarray of int
        Coverage-floor row of each point (-1: none).
    floor_need : numpy.ndarray
        Demand weight each floor row needs served.
    locked_in, locked_out : numpy.ndarray of bool
    group : numpy.ndarray of int
        Group number of each candidate (-1: no group).
    """

    pattern: sp.csr_matrix
    demand: np.ndarray
    value: np.ndarray
    capacity: np.ndarray
    base: np.ndarray
    costs: np.ndarray
    limits: np.ndarray
    floor_of: np.ndarray
    floor_need: np.ndarray
    locked_in: np.ndarray
    locked_out: np.ndarray
    group: np.ndarray
    pairs: sp.csc_matrix = field(init=False, repr=False)
    scale: float = field(init=False, repr=False)
    degree: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        csr = self.pattern
        ids = sp.csr_matrix((np.arange(csr.nnz, dtype=float) + 1, csr.indices, csr.indptr),
                            shape=csr.shape)
        object.__setattr__(self, "pairs", ids.tocsc())
        reach = csr[:, ~self.locked_out] if self.locked_out.any() else csr
        object.__setattr__(self, "degree", np.diff(reach.indptr))
        total = float(self.demand.sum())
        object.__setattr__(self, "scale", float(self.value.sum()) / total if total > 0 else 0.0)

    @property
    def m(self) -> int:
        """Number of candidates."""
        return self.pattern.shape[1]

    def reach(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Points candidate ``j`` reaches and the assignment variable of each pair."""
        lo, hi = self.pairs.indptr[j], self.pairs.indptr[j + 1]
        return self.pairs.indices[lo:hi], self.pairs.data[lo:hi].astype(np.int64) - 1


@dataclass
class _State:
    chosen: np.ndarray
    residual: np.ndarray
    z: np.ndarray
    spent: np.ndarray
    short: np.ndarray
    groups: set[int]
    value: float = 0.0


def _new_state(instance: CapacitatedInstance) -> _State:
    return _State(np.zeros(instance.m, dtype=bool), np.ones(len(instance.demand)),
                  np.zeros(instance.pattern.nnz), np.zeros(len(instance.limits)),
                  instance.floor_need.astype(float).copy(), set())


def _open(instance: CapacitatedInstance, state: _State, j: int) -> None:
    """Choose ``j`` and assign it demand (floor-short points first, then the least reached)."""
    points, pair = instance.reach(j)
    open_ = state.residual[points] > 1e-12
    points, pair = points[open_], pair[open_]
    short = np.append(state.short, 0.0)  # index -1: no floor, never short
    needy = short[instance.floor_of[points]] > 1e-9
    order = np.lexsort((points, instance.degree[points], ~needy))
    left = float(instance.capacity[j])
    for k in order:
        if left <= 1e-12:
            break
        i = points[k]
        weight = instance.demand[i]
        if weight <= 0:
            continue
        share = min(state.residual[i], left / weight)
        state.residual[i] -= share
        state.z[pair[k]] += share
        left -= share * weight
        state.value += share * instance.value[i]
        if instance.floor_of[i] >= 0:
            state.short[instance.floor_of[i]] -= share * weight
    state.chosen[j] = True
    state.spent += instance.costs[:, j]
    state.value += instance.base[j]
    if instance.group[j] >= 0:
        state.groups.add(int(instance.group[j]))


def _gain(instance: CapacitatedInstance, state: _State, j: int) -> float:
    """Value ``j`` could add now; demand in districts short of their floor counts first.

    Serving floor-short demand is worth :data:`FLOOR_PRIORITY` times the whole demand's
    value per unit, so sites that close a floor gap come before all others.
    """
    points, _ = instance.reach(j)
    open_weight = instance.demand[points] * state.residual[points]
    reachable = float(open_weight.sum())
    capacity = float(instance.capacity[j])
    per_weight = instance.value[points].sum() / max(instance.demand[points].sum(), 1e-12)
    gain = min(capacity, reachable) * per_weight + float(instance.base[j])
    short = np.append(state.short, 0.0)
    needy = float(open_weight[short[instance.floor_of[points]] > 1e-9].sum())
    return gain + FLOOR_PRIORITY * instance.scale * min(capacity, needy)


def _usage(instance: CapacitatedInstance, state: _State, j: int) -> float:
    need = instance.costs[:, j]
    used = need > 0
    if not used.any():
        return 0.0
    left = np.maximum(instance.limits[used] - state.spent[used], 1e-12)
    return float((need[used] / left).max())


def _fits(instance: CapacitatedInstance, state: _State, j: int) -> bool:
    if instance.group[j] >= 0 and int(instance.group[j]) in state.groups:
        return False
    return not np.any(state.spent + instance.costs[:, j] > instance.limits + 1e-9)


def _run(instance: CapacitatedInstance, by_ratio: bool) -> _State:
    state = _new_state(instance)
    for locked in np.flatnonzero(instance.locked_in):
        _open(instance, state, int(locked))

    def key(j: int) -> float:
        gain = _gain(instance, state, j)
        usage = _usage(instance, state, j) if by_ratio else 0.0
        return gain / usage if usage > 0 else gain

    heap: list[tuple[float, int]] = [(-key(j), j) for j in range(instance.m)
            if not state.chosen[j] and not instance.locked_out[j]]
    heap = [item for item in heap if -item[0] > 0]
    heapq.heapify(heap)
    while heap:
        _, j = heapq.heappop(heap)
        if not _fits(instance, state, j):
            continue
        fresh = key(j)
        if fresh <= 0:
            continue
        if heap and fresh < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-fresh, j))
            continue
        _open(instance, state, j)
    return state


def capacitated_greedy(instance: CapacitatedInstance) -> tuple[np.ndarray, np.ndarray, float]:
    """Return the better greedy plan: chosen candidates, assignment ``z`` and its value.

    "Better" is first one that meets every coverage floor, then the higher value.

    Parameters
    ----------
    instance : CapacitatedInstance

    Returns
    -------
    chosen : numpy.ndarray of bool
    z : numpy.ndarray
        Share of each point's demand served by each pair, in the pattern's CSR order.
    value : float
        Objective value of the plan (served value plus the chosen candidates' base value).
    """
    runs = [_run(instance, by_ratio=True), _run(instance, by_ratio=False)]
    best = max(runs, key=lambda state: (bool((state.short <= 1e-6).all()), state.value))
    return best.chosen, best.z, best.value
