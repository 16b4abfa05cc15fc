"""geoplan's maximal covering optimum equals spopt's MCLP on shared random instances.

spopt (PySAL) is an independent implementation of the maximal covering location problem
(Church & ReVelle): ``MCLP.from_cost_matrix`` takes a clients x facilities cost matrix, covers
a client when its cost is ``<= service_radius``, and sites exactly ``p`` facilities. geoplan sites
at most ``p`` (``Count(p)``), which has the same optimum since coverage never falls when a site
is added. spopt is a test-only dependency: the module is skipped without it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from geoplan.optimise import (
    Count,
    Coverage,
    MaximiseCoverage,
    PlanningProblem,
    SolverOptions,
    coverage_matrix,
)

spopt_locate = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")

# spopt builds its model with PuLP 3's deprecated constructors; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:pulp"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:pulp.apis.coin_api")]

# (seed, demand points, sites, p, service radius, locked-in sites)
CASES = [
    (1, 60, 15, 3, 0.15, ()),
    (2, 120, 25, 5, 0.12, ()),
    (3, 200, 40, 8, 0.10, ()),
    (4, 150, 30, 4, 0.18, ()),
    (5, 180, 35, 6, 0.11, (0, 7)),
    (6, 100, 20, 7, 0.16, (3,)),
]


def instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.random((n, 2))
    sites = rng.random((m, 2))
    weights = rng.integers(1, 100, n)
    return demand, sites, weights


def spopt_solver() -> object:
    available = pulp.listSolvers(onlyAvailable=True)
    if "PULP_CBC_CMD" in available:
        return pulp.PULP_CBC_CMD(msg=False)
    if "HiGHS" in available:
        return pulp.HiGHS(msg=False, gapRel=0.0)
    pytest.skip("no PuLP solver for spopt")
    return None


def solve_spopt(demand: np.ndarray, sites: np.ndarray, weights: np.ndarray, p: int,
                radius: float, locked: tuple[int, ...]) -> tuple[float, np.ndarray, object]:
    cost = cdist(demand, sites)  # clients (rows) x facilities (columns)
    predefined = None
    if locked:
        predefined = np.zeros(len(sites), dtype=int)
        predefined[list(locked)] = 1
    model = spopt_locate.MCLP.from_cost_matrix(cost, weights, service_radius=radius,
                                               p_facilities=p,
                                               predefined_facilities_arr=predefined)
    model = model.solve(spopt_solver())
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    chosen = np.array([v.value() > 0.5 for v in model.fac_vars])
    return float(pulp.value(model.problem.objective)), chosen, model


def solve_geoplan(demand: np.ndarray, sites: np.ndarray, weights: np.ndarray, p: int,
                  radius: float, locked: tuple[int, ...]) -> tuple[object, object]:
    matrix = coverage_matrix(demand, sites, radius)
    candidates = pd.DataFrame({"candidate_id": [f"s{j}" for j in range(len(sites))],
                               "cost_gbp": 0.0,
                               "locked_in": [j in locked for j in range(len(sites))]})
    problem = PlanningProblem(candidates, MaximiseCoverage(Coverage(matrix, weights)),
                              [Count(p)])
    return problem.solve(SolverOptions(mip_gap=0.0)), matrix


def covered_weight(matrix: np.ndarray, weights: np.ndarray, chosen: np.ndarray) -> float:
    return float(weights[(matrix[:, chosen] > 0).any(axis=1)].sum())


@pytest.mark.parametrize(("seed", "n", "m", "p", "radius", "locked"), CASES)
def test_maximal_covering_equals_spopt_mclp(seed: int, n: int, m: int, p: int, radius: float,
                                            locked: tuple[int, ...]) -> None:
    demand, sites, weights = instance(seed, n, m)
    spopt_value, spopt_chosen, model = solve_spopt(demand, sites, weights, p, radius, locked)
    plan, matrix = solve_geoplan(demand, sites, weights, p, radius, locked)

    # Same coverage relation: spopt's a_ij (cost <= radius) is geoplan's coverage matrix.
    np.testing.assert_array_equal(model.aij, matrix.toarray())
    # The instance is not trivial: p sites cannot cover everything.
    assert spopt_value < weights.sum()

    assert plan.status == "optimal"
    assert math.isclose(plan.objective, spopt_value, rel_tol=1e-6)
    # Each side's plan is what it claims: recount the covered weight directly.
    dense = matrix.toarray()
    assert math.isclose(covered_weight(dense, weights, spopt_chosen), spopt_value, rel_tol=1e-9)
    table = plan.table
    chosen = table["selected"].to_numpy(dtype=bool)
    assert chosen.sum() <= p
    assert chosen[list(locked)].all()
    assert math.isclose(covered_weight(dense, weights, chosen), plan.objective, rel_tol=1e-9)
    assert sorted(table.loc[chosen, "rank"]) == list(range(1, int(chosen.sum()) + 1))
