"""Iterated local search for coverage models: take a neighbourhood apart and rebuild it.

The 1-swap search of :mod:`geoplan.optimise.heuristics` stops at the first plan no single
exchange improves. On large maximal covering models that plan is several per cent below what
is reachable (issue 17's 20,000 x 2,000 instance: 902,176 after greedy + 1-swap, 913,386
after this search's 500 rounds from the greedy plan, about 3 s on a quiet machine). Each
round here:

1. picks one chosen candidate at random (never a locked one) and frees it together with a
   random few of the chosen candidates that share demand points with it;
2. refills the freed budget greedily from the candidates that share demand with the freed ones
   (the *region*);
3. exchanges one chosen and one unchosen candidate of the region while that raises the
   objective (best exchange first);
4. keeps the new plan if it is at least as good as the current one (equal plans are kept, so
   the search can drift along a plateau), and remembers the best plan seen.

Every step keeps every knapsack row (budgets, counts), locks and one option per group, so each
plan is feasible. The work is deterministic: the random choices come from a generator seeded
by the caller, and the search ends after a fixed number of rounds (``rounds``), after
``patience`` rounds without a better plan, or when every coverable point is covered (nothing
left to gain); the clock is only a safety stop and is recorded as ``"time_limit"`` when it
ends the search. Rounds only look at a region, so a round costs about the same at any model
size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoplan.optimise.clock import Clock
from geoplan.optimise.heuristics import CoverageInstance, feasible_pairs, objective_value

__all__ = ["ILS_PATIENCE", "ILS_ROUNDS_PER_SITE", "SearchResult", "iterated_local_search"]

ILS_ROUNDS_PER_SITE = 5
"""Rounds of the search per chosen candidate of the starting plan (a deterministic budget)."""
ILS_MAX_ROUNDS = 800
"""Rounds at most, whatever the plan's size."""
ILS_PATIENCE = 500
"""Rounds without a better plan after which the search stops."""
FREED_MIN, FREED_MAX = 2, 6
"""How many chosen candidates a round frees (drawn uniformly between the two)."""
LOCAL_STEPS = 50
"""Exchanges a round's local search makes at most."""


@dataclass(frozen=True)
class SearchResult:
    """The best plan found, its objective, and how the search went."""

    chosen: np.ndarray
    value: float
    rounds: int
    improvements: int


class _State:
    """A plan, its objective and the coverage count of every demand point.

    All three are updated in place as candidates move; :meth:`undo` takes back the moves
    since :meth:`mark`.
    """

    def __init__(self, instance: CoverageInstance, chosen: np.ndarray) -> None:
        self.instance = instance
        self.chosen = chosen.copy()
        self.count = np.asarray(instance.pattern @ chosen.astype(float)).ravel()
        self.value = objective_value(instance, self.chosen)
        self.spent = instance.costs[:, self.chosen].sum(axis=1)
        self.moves: list[tuple[int, bool]] = []

    def drop(self, j: int) -> None:
        rows = self.instance.rows_of(j)
        self.count[rows] -= 1
        lost = rows[self.count[rows] == 0]
        self.value -= float(self.instance.weights[lost].sum() + self.instance.base[j])
        self.chosen[j] = False
        self.spent -= self.instance.costs[:, j]
        self.moves.append((j, False))

    def add(self, j: int) -> None:
        rows = self.instance.rows_of(j)
        won = rows[self.count[rows] == 0]
        self.value += float(self.instance.weights[won].sum() + self.instance.base[j])
        self.count[rows] += 1
        self.chosen[j] = True
        self.spent += self.instance.costs[:, j]
        self.moves.append((j, True))

    def mark(self) -> tuple[float, int]:
        """Where :meth:`undo` returns to."""
        return self.value, len(self.moves)

    def undo(self, mark: tuple[float, int]) -> None:
        value, length = mark
        for j, added in reversed(self.moves[length:]):
            rows = self.instance.rows_of(j)
            self.count[rows] += -1 if added else 1
            self.chosen[j] = not added
            self.spent += self.instance.costs[:, j] * (-1 if added else 1)
        del self.moves[length:]
        self.value = value


def _gather(indptr: np.ndarray, indices: np.ndarray,
            rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the entries of compressed ``rows`` (CSR rows or CSC columns) and their owners.

    The owner of an entry is its row's position in ``rows``.
    """
    starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
    owner = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return indices[np.repeat(starts, lengths) + offsets], owner


@dataclass(frozen=True)
class _Scratch:
    """Arrays of one entry per candidate, reused by every round (kept all False / -1)."""

    mark: np.ndarray
    local: np.ndarray

    @classmethod
    def of(cls, instance: CoverageInstance) -> _Scratch:
        return cls(np.zeros(instance.m, dtype=bool), np.full(instance.m, -1, dtype=np.int64))


def _neighbours(instance: CoverageInstance, sites: np.ndarray,
                mark: np.ndarray) -> np.ndarray:
    """Return the candidates sharing a demand point with one of ``sites`` (sorted, included).

    ``mark`` is an all-False scratch array, one flag per candidate, left all False.
    """
    columns, pattern = instance.columns, instance.pattern
    points, _ = _gather(columns.indptr, columns.indices, sites)
    near, _ = _gather(pattern.indptr, pattern.indices, points)
    mark[near] = True
    mark[sites] = True
    found = np.flatnonzero(mark)
    mark[found] = False
    return found


class _Region:
    """The candidates a round may move (``sites``, sorted) and the demand points they cover.

    ``entries`` are the sites' points, site by site (``site_ptr`` in between); ``local``
    maps a candidate's number to its place in ``sites`` (-1 outside); the caller resets it
    with :meth:`release`.
    """

    def __init__(self, instance: CoverageInstance, sites: np.ndarray,
                 local: np.ndarray) -> None:
        self.instance = instance
        self.sites = sites
        columns = instance.columns
        self.entries, owner = _gather(columns.indptr, columns.indices, sites)
        self.site_ptr = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(sites)))])
        self.local = local
        local[sites] = np.arange(len(sites))
        self.base = instance.base[sites]
        self.weights = instance.weights[self.entries]

    def release(self) -> None:
        """Reset the shared ``local`` map."""
        self.local[self.sites] = -1

    def totals(self, count: np.ndarray, level: int) -> np.ndarray:
        """Return the weight of each site's points whose ``count`` equals ``level``."""
        values = self.weights * (count[self.entries] == level)
        sums = np.concatenate([[0.0], np.cumsum(values)])
        return sums[self.site_ptr[1:]] - sums[self.site_ptr[:-1]]

    def cross(self, rows: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Weight of the points each row's site covers alone that each site also covers.

        ``count`` has one entry per demand point; the result is ``len(rows) x len(sites)``.
        """
        points, owner = _gather(self.site_ptr, self.entries, rows)
        alone = count[points] == 1
        points, owner = points[alone], owner[alone]
        pattern = self.instance.pattern
        sites, which = _gather(pattern.indptr, pattern.indices, points)
        place = self.local[sites]
        inside = place >= 0
        flat = owner[which[inside]] * len(self.sites) + place[inside]
        weights = self.instance.weights[points][which[inside]]
        return np.bincount(flat, weights=weights,
                           minlength=len(rows) * len(self.sites)).reshape(len(rows), -1)


def _open_to_join(instance: CoverageInstance, state: _State, sites: np.ndarray) -> np.ndarray:
    """Which of ``sites`` can join the plan without breaking a row, a lock or a group."""
    ok = ~state.chosen[sites] & ~instance.locked_out[sites]
    ok &= np.all(state.spent[:, None] + instance.costs[:, sites] <= instance.limits[:, None] + 1e-9,
                 axis=0)
    used = instance.group[state.chosen]
    used = used[used >= 0]
    if len(used):
        ok &= ~np.isin(instance.group[sites], used)
    return ok


def _refill(instance: CoverageInstance, state: _State, region: _Region) -> None:
    """Add the region's candidate of largest gain while one fits and gains."""
    while True:
        gain = region.totals(state.count, 0) + region.base
        gain[~_open_to_join(instance, state, region.sites)] = -np.inf
        k = int(np.argmax(gain))
        if not gain[k] > 0:
            return
        state.add(int(region.sites[k]))


def _best_exchange(instance: CoverageInstance, state: _State,
                   region: _Region) -> tuple[int, int, float] | None:
    """Return the region's best (out, in, gain) exchange, or None when there is none."""
    sites = region.sites
    pos_in = np.flatnonzero(state.chosen[sites] & ~instance.locked_in[sites])
    pos_out = np.flatnonzero(~state.chosen[sites] & ~instance.locked_out[sites])
    if len(pos_in) == 0 or len(pos_out) == 0:
        return None
    loss = region.totals(state.count, 1)[pos_in] + region.base[pos_in]
    gain = region.totals(state.count, 0)[pos_out] + region.base[pos_out]
    cross = region.cross(pos_in, state.count)[:, pos_out]
    delta = gain[None, :] + cross - loss[:, None]
    delta[~feasible_pairs(instance, state.chosen, sites[pos_in], sites[pos_out],
                          spent=state.spent)] = -np.inf
    row, col = np.unravel_index(np.argmax(delta), delta.shape)
    return int(sites[pos_in[row]]), int(sites[pos_out[col]]), float(delta[row, col])


def _local_swaps(instance: CoverageInstance, state: _State, region: _Region,
                 tolerance: float) -> None:
    """Make the region's best improving exchange until none improves (or LOCAL_STEPS)."""
    for _ in range(LOCAL_STEPS):
        found = _best_exchange(instance, state, region)
        if found is None or not found[2] > tolerance:
            return
        state.drop(found[0])
        state.add(found[1])


def _round(instance: CoverageInstance, state: _State, rng: np.random.Generator,
           tolerance: float, scratch: _Scratch) -> bool:
    """Make one take-apart-and-rebuild round on ``state``; False when nothing can be freed."""
    movable = np.flatnonzero(state.chosen & ~instance.locked_in)
    if len(movable) == 0:
        return False
    seed = int(rng.choice(movable))
    near = np.intersect1d(_neighbours(instance, np.array([seed]), scratch.mark), movable)
    near = near[near != seed]
    size = min(len(near), int(rng.integers(FREED_MIN, FREED_MAX + 1)) - 1)
    freed = np.concatenate([[seed], rng.choice(near, size, replace=False)]).astype(int)
    for j in freed:
        state.drop(int(j))
    region = _Region(instance, _neighbours(instance, freed, scratch.mark), scratch.local)
    try:
        _refill(instance, state, region)
        _local_swaps(instance, state, region, tolerance)
    finally:
        region.release()
    return True


def _all_covered(instance: CoverageInstance, state: _State, wanted: np.ndarray) -> bool:
    """Whether nothing is left to gain: every ``wanted`` point covered, no positive base left."""
    return bool(np.all(state.count[wanted] > 0)
                and not np.any((instance.base > 0) & ~state.chosen & ~instance.locked_out))


def iterated_local_search(instance: CoverageInstance, chosen: np.ndarray, seed: int = 0,
                          rounds: int | None = None, patience: int = ILS_PATIENCE,
                          clock: Clock | None = None) -> SearchResult:
    """Improve a feasible plan by take-apart-and-rebuild rounds (see the module docstring).

    Parameters
    ----------
    instance : CoverageInstance
        The coverage model.
    chosen : numpy.ndarray of bool
        A feasible plan to start from.
    seed : int
        Seed of the random choices: the same seed gives the same plan.
    rounds : int, optional
        Rounds at most; default :data:`ILS_ROUNDS_PER_SITE` per chosen candidate, at most
        :data:`ILS_MAX_ROUNDS`.
    patience : int
        Rounds without a better plan after which the search stops.
    clock : Clock, optional
        Safety stop; recorded as ``"time_limit"`` when it ends the search.

    Returns
    -------
    SearchResult
        The best plan seen (never worse than ``chosen``).
    """
    rng = np.random.default_rng(seed)
    state = _State(instance, chosen)
    best, best_value = state.chosen.copy(), objective_value(instance, state.chosen)
    if rounds is None:
        rounds = min(ILS_MAX_ROUNDS, ILS_ROUNDS_PER_SITE * int(chosen.sum()))
    wanted = (np.diff(instance.pattern.indptr) > 0) & (instance.weights > 0)
    tolerance = 1e-9 * max(1.0, abs(best_value))
    done = since_better = improvements = 0
    finished = _all_covered(instance, state, wanted)
    scratch = _Scratch.of(instance)
    while done < rounds and since_better < patience and not finished:
        if clock is not None and clock.expired():
            clock.record("time_limit")
            break
        mark = state.mark()
        if not _round(instance, state, rng, tolerance, scratch):
            break
        done += 1
        since_better += 1
        if state.value < mark[0] - tolerance:
            state.undo(mark)
        elif state.value > best_value + tolerance:
            best, best_value = state.chosen.copy(), state.value
            since_better, improvements = 0, improvements + 1
            finished = _all_covered(instance, state, wanted)
        state.moves.clear()
    # the running sums may drift in the last digits: report the plan's value counted afresh
    return SearchResult(best, objective_value(instance, best), done, improvements)
