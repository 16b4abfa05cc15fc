"""The Lagrangian bound (issue 17): valid at every iteration, never worse than the free bound,
and the same for the same inputs.

Optima come from brute force over every plan of small random instances: for maximal
covering, every set of at most ``p`` sites; for the capacitated model, every set of sites
within the budget, each with its best assignment from ``scipy.optimize.linprog`` (a
transportation LP, independent of geoplan's model and of HiGHS's MIP).
"""

import dataclasses
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from geoplan.optimise import (
    Budget,
    Count,
    Coverage,
    MaximiseCoverage,
    PlanningProblem,
    SolverOptions,
    Target,
    coverage_matrix,
)
from geoplan.optimise.bounds import multiplier_bound
from geoplan.optimise.lagrangian import lagrangian_bound
from geoplan.optimise.strategy import free_bound, solve_compiled


def _pattern(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    pattern = (rng.random((n, m)) < 0.35).astype(float)
    pattern[rng.integers(0, n), :] = 0.0  # one point no site reaches
    return pattern


def _maximal_covering(seed: int) -> tuple[PlanningProblem, np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 10)), int(rng.integers(3, 8))
    pattern, weights = _pattern(rng, n, m), rng.integers(1, 20, n).astype(float)
    p = int(rng.integers(1, m))
    frame = pd.DataFrame({"candidate_id": [f"s{j}" for j in range(m)], "cost_gbp": 1.0})
    problem = PlanningProblem(frame, MaximiseCoverage(Coverage(sp.csr_matrix(pattern), weights)),
                              [Count(p)])
    return problem, pattern, weights, p


def _best_covering(pattern: np.ndarray, weights: np.ndarray, p: int) -> float:
    m = pattern.shape[1]
    best = 0.0
    for k in range(p + 1):
        for sites in itertools.combinations(range(m), k):
            hit = pattern[:, list(sites)].sum(axis=1) > 0
            best = max(best, float(weights[hit].sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_maximal_covering_bound_is_valid_at_every_iteration(seed: int) -> None:
    problem, pattern, weights, p = _maximal_covering(seed)
    model = problem.compile().model
    optimum = _best_covering(pattern, weights, p)
    found = lagrangian_bound(model, incumbent=None, iterations=80)
    reachable = float(weights[pattern.sum(axis=1) > 0].sum())  # the free bound, by hand
    assert found.history[0] == pytest.approx(reachable)
    assert all(value >= optimum - 1e-7 for value in found.history), (optimum, found.history)
    assert optimum - 1e-7 <= found.bound <= reachable + 1e-9
    assert found.bound == pytest.approx(min(found.history))
    # the multipliers' bound recomputed by the dual-bound code, independent of the iteration
    again = multiplier_bound(model, found.multipliers)
    assert again == pytest.approx(found.bound)


def _capacitated(seed: int) -> tuple[PlanningProblem, dict[str, np.ndarray], float]:
    rng = np.random.default_rng(100 + seed)
    n, m = int(rng.integers(4, 8)), int(rng.integers(3, 6))
    pattern, weights = _pattern(rng, n, m), rng.integers(1, 20, n).astype(float)
    capacity = rng.integers(5, 40, m).astype(float)
    cost = rng.integers(1, 10, m).astype(float)
    budget = float(rng.integers(3, int(cost.sum()) + 1))
    frame = pd.DataFrame({"candidate_id": [f"s{j}" for j in range(m)], "cost_gbp": cost})
    coverage = Coverage(sp.csr_matrix(pattern), weights, capacity=capacity)
    problem = PlanningProblem(frame, MaximiseCoverage(coverage), [Budget(budget)])
    return problem, {"pattern": pattern, "weights": weights, "capacity": capacity,
                     "cost": cost}, budget


def _served(pattern: np.ndarray, weights: np.ndarray, capacity: np.ndarray,
            sites: list[int]) -> float:
    """Best demand served by ``sites``: a transportation LP solved by scipy's linprog."""
    pairs = [(i, j) for i in range(len(weights)) for j in sites if pattern[i, j]]
    if not pairs:
        return 0.0
    rows, bounds = [], []
    for i in range(len(weights)):  # each point assigned at most once in total
        rows.append([1.0 if a == i else 0.0 for a, _ in pairs])
        bounds.append(1.0)
    for j in sites:  # each site serves at most its capacity
        rows.append([weights[a] if b == j else 0.0 for a, b in pairs])
        bounds.append(capacity[j])
    done = linprog([-weights[a] for a, _ in pairs], A_ub=rows, b_ub=bounds,
                   bounds=(0, 1), method="highs")
    assert done.status == 0
    return -float(done.fun)


@pytest.mark.parametrize("seed", range(5))
def test_capacitated_bound_is_valid_and_starts_at_total_demand(seed: int) -> None:
    problem, data, budget = _capacitated(seed)
    model = problem.compile().model
    m = len(data["cost"])
    optimum = max(_served(data["pattern"], data["weights"], data["capacity"], list(sites))
                  for k in range(m + 1) for sites in itertools.combinations(range(m), k)
                  if data["cost"][list(sites)].sum() <= budget)
    found = lagrangian_bound(model, iterations=80)
    total = float(data["weights"][data["pattern"].sum(axis=1) > 0].sum())
    # the covering start charges each point its weight: the bound is the total demand (that
    # some site reaches)
    assert found.history[1] == pytest.approx(total)
    assert found.bound <= total + 1e-9
    assert all(value >= optimum - 1e-7 for value in found.history), (optimum, found.history)


def test_the_bound_is_the_same_for_the_same_inputs() -> None:
    problem, _, _, _ = _maximal_covering(3)
    model = problem.compile().model
    one = lagrangian_bound(model, incumbent=10.0, iterations=60)
    two = lagrangian_bound(problem.compile().model, incumbent=10.0, iterations=60)
    assert one.history == two.history
    assert one.multipliers.tolist() == two.multipliers.tolist()
    assert one.stopped_by == two.stopped_by == "work_limit"


def test_a_count_row_gets_its_exact_multiplier() -> None:
    # a covers points 0-1, b 1-2, c 2-3, d 3-4; weights 5, 1, 1, 1, 5; two sites allowed.
    # The best plan a + d covers 12 of 13; the multipliers (5, 1, 1, 1, 5) on the points and
    # 6 on the count give 2 * 6 + (6 - 6) * 2 + (2 - 6)+ * 2 = 12: the bound must reach 12.
    pattern = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0],
                                      [0, 0, 1, 1], [0, 0, 0, 1]], dtype=float))
    frame = pd.DataFrame({"candidate_id": list("abcd"), "cost_gbp": 1.0})
    problem = PlanningProblem(frame, MaximiseCoverage(Coverage(pattern, [5.0, 1, 1, 1, 5])),
                              [Count(2)])
    found = lagrangian_bound(problem.compile().model, incumbent=12.0, gap=1e-6)
    assert found.history[0] == pytest.approx(13.0)
    assert found.history[1] == pytest.approx(12.0)
    assert found.bound == pytest.approx(12.0)
    assert found.stopped_by == "gap"


def test_the_solve_reports_the_lagrangian_bound_when_tighter_than_the_free_bound() -> None:
    rng = np.random.default_rng(5)
    demand, sites = rng.random((1_500, 2)), rng.random((150, 2))
    matrix = coverage_matrix(demand, sites, np.sqrt(0.01 / np.pi))
    frame = pd.DataFrame({"candidate_id": [f"s{j}" for j in range(150)], "cost_gbp": 1.0})
    coverage = MaximiseCoverage(Coverage(matrix, rng.integers(1, 99, 1_500)))
    compiled = PlanningProblem(frame, coverage, [Count(8)]).compile()
    outcome, notes = solve_compiled(compiled, SolverOptions(node_limit=1), "direct")
    lagrangian = [note for note in notes if note.startswith("Lagrangian bound")]
    assert lagrangian
    free = free_bound(compiled)
    assert free is not None
    assert outcome.bound is not None
    assert outcome.bound < 0.5 * free  # 8 of 150 sites
    assert outcome.objective <= outcome.bound


def test_two_time_limited_lp_guided_solves_give_identical_plans() -> None:
    # every phase (swaps, Lagrangian steps, interior point, restricted MIPs) ends on its own
    # work budget or the gap, never on the generous clock: the plan, bound and notes repeat
    rng = np.random.default_rng(7)
    demand, sites = rng.random((2_000, 2)), rng.random((300, 2))
    matrix = coverage_matrix(demand, sites, np.sqrt(0.03 / np.pi))
    frame = pd.DataFrame({"candidate_id": [f"s{j:03d}" for j in range(300)], "cost_gbp": 1.0})
    coverage = MaximiseCoverage(Coverage(matrix, rng.integers(1, 100, 2_000)))
    problem = PlanningProblem(frame, coverage, [Count(12)])
    options = SolverOptions(time_limit=60, node_limit=1, mip_gap=0.0)
    runs = [solve_compiled(problem.compile(), options, "lp-guided") for _ in range(2)]
    (one, one_notes), (two, two_notes) = runs
    assert one.stopped_by in ("gap", "work_limit")
    assert np.array_equal(one.x, two.x)
    assert (one.objective, one.bound, one.stopped_by) == (two.objective, two.bound,
                                                          two.stopped_by)

    def untimed(notes: list[str]) -> list[str]:
        return [note.split(" in ")[0] for note in notes]

    assert untimed(one_notes) == untimed(two_notes)
    assert any(note.startswith("Lagrangian bound") for note in one_notes)


def test_an_explicitly_stored_zero_in_a_side_row_changes_nothing() -> None:
    # the count row of the four-site line, with d's coefficient stored as an explicit 0 (as
    # assembled models can hold): d is then free of the count, the optimum covers all 13
    # (a, c plus d); before, 0 / 0 breakpoints gave NaN warnings and a NaN multiplier
    pattern = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0],
                                      [0, 0, 1, 1], [0, 0, 0, 1]], dtype=float))
    frame = pd.DataFrame({"candidate_id": list("abcd"), "cost_gbp": 1.0})
    problem = PlanningProblem(frame, MaximiseCoverage(Coverage(pattern, [5.0, 1, 1, 1, 5])),
                              [Count(2)])
    model = problem.compile().model
    count = int(np.flatnonzero(model.row_family != "coverage")[0])
    csr = sp.csr_matrix(model.matrix, copy=True)
    start, stop = csr.indptr[count], csr.indptr[count + 1]
    csr.data[start:stop][csr.indices[start:stop] == 3] = 0.0  # stored, not eliminated
    assert csr.nnz == model.matrix.nnz
    changed = dataclasses.replace(model, matrix=csr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = lagrangian_bound(changed, incumbent=13.0, gap=1e-6)
    assert np.isfinite(found.multipliers).all()
    assert found.bound == pytest.approx(13.0)


def test_only_covering_models_the_heuristics_know_get_the_lagrangian_bound() -> None:
    # the four-site line with a target row besides its count: no heuristic start, so no
    # Lagrangian phase (a joint plan's coverage rows are a small part of a phased model, where
    # the steps cost time for nothing); the same line without the target gets one
    pattern = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0],
                                      [0, 0, 1, 1], [0, 0, 0, 1]], dtype=float))
    frame = pd.DataFrame({"candidate_id": list("abcd"), "cost_gbp": 1.0,
                          "homes": [0.0, 1.0, 1.0, 0.0]})
    objective = MaximiseCoverage(Coverage(pattern, [5.0, 1, 1, 1, 5]))
    plain = PlanningProblem(frame, objective, [Count(2)]).compile()
    targeted = PlanningProblem(frame, objective, [Count(2), Target("homes", 1.0)]).compile()
    _, plain_notes = solve_compiled(plain, SolverOptions(), "lp-guided")
    outcome, notes = solve_compiled(targeted, SolverOptions(), "lp-guided")
    assert any(note.startswith("Lagrangian bound") for note in plain_notes)
    assert not any(note.startswith("Lagrangian bound") for note in notes)
    # a model this small, solved directly without a node limit, goes straight to HiGHS
    _, direct_notes = solve_compiled(plain, SolverOptions(), "direct")
    assert not any(note.startswith("Lagrangian bound") for note in direct_notes)
    assert "strategy: direct" in direct_notes
    assert outcome.objective == pytest.approx(8.0)  # b or c must come: a + c, b + d cover 8
