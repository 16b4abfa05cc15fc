"""PeriodCoverage: covered demand valued once per point, by the period its cover starts.

Checked against enumeration of every build plan on small random instances (uncapacitated:
each point's value is the rate of the first period a chosen site reaches it; capacitated:
the best assignment found by a separate LP for each enumerated plan), and by hand.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from geoplan.optimise import (
    Budget,
    Coverage,
    MaximiseCoverage,
    PeriodCoverage,
    PlanningProblem,
    SolverOptions,
)
from geoplan.optimise.period_coverage import period_coverage_value

YEARS = (2025, 2030, 2040)
RATES = {2025: 10.0, 2030: 7.0, 2040: 3.0}


def _instance(seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Five sites, eight demand points, overlapping reach, random costs and capacities."""
    rng = np.random.default_rng(seed)
    n, m = 5, 8
    reach = (rng.random((m, n)) < 0.4).astype(float)
    reach[0, :2] = 1.0  # two sites always share a point
    table = pd.DataFrame({"candidate_id": [f"s{j}" for j in range(n)],
                          "cost_gbp": rng.integers(2, 6, n).astype(float)})
    demand = rng.integers(1, 6, m).astype(float)
    capacity = rng.integers(2, 9, n).astype(float)
    return table, reach, demand, capacity


def _assignment_value(reach: np.ndarray, demand: np.ndarray, capacity: np.ndarray,
                      build: tuple[int, ...]) -> float:
    """Best value of assigning demand to the built sites, each unit at its site's rate."""
    rates = [RATES[y] for y in YEARS]
    pairs = [(i, j) for i, j in zip(*np.nonzero(reach), strict=True) if build[j] >= 0]
    if not pairs:
        return 0.0
    value = np.array([-rates[build[j]] * demand[i] for i, j in pairs])
    rows, limits = [], []
    for i in range(len(demand)):  # each point assigned once at most
        rows.append([1.0 if p[0] == i else 0.0 for p in pairs])
        limits.append(1.0)
    for j in range(len(capacity)):  # a site serves up to its capacity
        rows.append([demand[i] if jj == j else 0.0 for i, jj in pairs])
        limits.append(capacity[j])
    result = linprog(value, A_ub=np.array(rows), b_ub=np.array(limits), bounds=(0, 1),
                     method="highs")
    return -float(result.fun)


def _brute_force(table: pd.DataFrame, reach: np.ndarray, demand: np.ndarray,
                 capacity: np.ndarray | None, funding: dict[int, float]) -> float:
    cost = table["cost_gbp"].to_numpy()
    rates = [RATES[y] for y in YEARS]
    best = -1.0
    for build in itertools.product(range(-1, len(YEARS)), repeat=len(table)):
        arr = np.array(build)
        if any(cost[(arr >= 0) & (arr <= t)].sum() > sum(list(funding.values())[:t + 1])
               + 1e-9 for t in range(len(YEARS))):
            continue
        if capacity is None:
            first = [min((build[j] for j in np.flatnonzero(reach[i]) if build[j] >= 0),
                         default=None) for i in range(len(demand))]
            value = sum(demand[i] * rates[t] for i, t in enumerate(first) if t is not None)
        else:
            value = _assignment_value(reach, demand, capacity, build)
        best = max(best, value)
    return best


def _problem(table: pd.DataFrame, reach: np.ndarray, demand: np.ndarray,
             capacity: np.ndarray | None, funding: dict[int, float],
             periods: tuple[int, ...] = YEARS) -> PlanningProblem:
    coverage = Coverage(reach, demand, capacity=capacity)
    return PlanningProblem(
        table, [MaximiseCoverage(coverage, weight=0.0, name="evs"),
                PeriodCoverage("evs", {y: RATES[y] for y in periods}, name="tco2e")],
        [Budget(funding, by="period", carry_over=True)], periods=periods)


@pytest.mark.parametrize("capacitated", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_phased_cover_matches_enumeration(seed: int, capacitated: bool) -> None:
    table, reach, demand, capacity = _instance(seed)
    funding = {2025: 4.0, 2030: 4.0, 2040: 5.0}
    cap = capacity if capacitated else None
    problem = _problem(table, reach, demand, cap, funding)
    plan = problem.solve(SolverOptions(mip_gap=0.0))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(_brute_force(table, reach, demand, cap, funding),
                                           rel=1e-7)
    # the term's value read back from the plan (what the trade-off curve reports)
    handle = problem.compile().context.period_coverage[0]
    assert handle.value(np.asarray(plan.solution)) == pytest.approx(plan.objective, rel=1e-7)


def test_two_sites_reaching_the_same_point_count_it_once() -> None:
    # both sites reach the one point of demand 4: building both adds nothing to the value
    table = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [1.0, 1.0]})
    reach, demand = np.ones((1, 2)), np.array([4.0])
    for capacity in (None, np.array([10.0, 10.0])):
        plan = _problem(table, reach, demand, capacity, {2025: 2.0, 2030: 0.0, 2040: 0.0}
                        ).solve(SolverOptions(mip_gap=0.0))
        assert plan.objective == pytest.approx(4.0 * RATES[2025])


def test_unphased_value_is_the_rate_times_the_demand_covered_once() -> None:
    table = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [1.0, 1.0, 1.0]})
    reach = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    demand = np.array([5.0, 2.0, 3.0])
    for capacity in (None, np.array([9.0, 9.0, 9.0])):
        plan = _problem(table, reach, demand, capacity, {2030: 2.0}, periods=(2030,)).solve(
            SolverOptions(mip_gap=0.0))
        # best two of three: b (points 0 and 1, 7 EVs) and c (3 EVs), each EV once
        assert plan.objective == pytest.approx(7.0 * 10.0)
        assert set(plan.table.loc[plan.table["selected"], "candidate_id"]) == {"b", "c"}


def test_loss_if_removed_counts_what_only_that_site_reaches_first() -> None:
    # a (2025) and b (2030: too dear for 2025's money) both reach point 0 (demand 4); only
    # b reaches point 1 (demand 1)
    table = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [1.0, 2.0]})
    reach, demand = np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([4.0, 1.0])
    plan = _problem(table, reach, demand, None, {2025: 1.0, 2030: 2.0, 2040: 0.0}).solve(
        SolverOptions(mip_gap=0.0))
    got = plan.table.set_index("candidate_id")
    assert got["period"].tolist() == [2025, 2030]
    # without a, point 0 is first covered in 2030: 4 x (10 - 7); without b, point 1 is lost
    assert got.loc["a", "marginal_value"] == pytest.approx(4 * (10.0 - 7.0))
    assert got.loc["b", "marginal_value"] == pytest.approx(1 * 7.0)


def test_rates_that_rise_with_the_build_year_are_refused() -> None:
    table = pd.DataFrame({"candidate_id": ["a"], "cost_gbp": [1.0]})
    problem = PlanningProblem(
        table, [MaximiseCoverage(Coverage(np.ones((1, 1)), np.ones(1)), name="evs"),
                PeriodCoverage("evs", {2025: 1.0, 2030: 2.0})], [], periods=(2025, 2030))
    with pytest.raises(Exception, match="later period is worth more"):
        problem.solve()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sites_that_cannot_serve_get_no_served_variables(seed: int) -> None:
    # site 3 has no capacity and site 4 reaches no demand: the model gives v columns only to
    # the others, and the plan is still the enumerated optimum
    table, reach, demand, capacity = _instance(seed)
    capacity[3] = 0.0
    reach[:, 4] = 0.0
    funding = {2025: 4.0, 2030: 4.0, 2040: 5.0}
    problem = _problem(table, reach, demand, capacity, funding)
    plan = problem.solve(SolverOptions(mip_gap=0.0))
    assert plan.objective == pytest.approx(_brute_force(table, reach, demand, capacity,
                                                        funding), rel=1e-7)
    compiled = problem.compile()
    handle = compiled.context.period_coverage[0]
    serving = [j for j in range(len(table)) if capacity[j] > 0 and reach[:, j].any()]
    assert handle.sites.tolist() == serving
    assert handle.block.size == len(serving) * len(YEARS)
    # the coverage term's capacity rows: only for sites that reach demand (site 4 does not)
    labels = compiled.model.row_label[compiled.model.row_family == "capacity"]
    assert sorted(str(label) for label in labels if str(label).startswith("evs capacity")) == [
        f"evs capacity s{j}" for j in range(len(table)) if reach[:, j].any()]
    x = np.asarray(plan.solution)
    assert handle.value(x) == pytest.approx(plan.objective, rel=1e-7)
    selected, period = compiled.selection(x)
    each = period_coverage_value(handle, x, selected, period, len(table))
    assert each[selected].sum() == pytest.approx(plan.objective, rel=1e-7)
    assert each[3] == 0.0
    assert each[4] == 0.0
