"""Hand-checked cases for the capacitated greedy start (geoplan.optimise.capacitated)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.optimise import (
    Budget,
    Coverage,
    CoverageFloor,
    Headroom,
    MaximiseCoverage,
    PlanningProblem,
    SolverOptions,
)
from geoplan.optimise.starts import capacitated_instance, heuristic_plan

EXACT = SolverOptions(mip_gap=0.0)


def _problem(matrix: list[list[int]], demand: list[float], capacity: list[float],
             cost: list[float], budget: float, *, districts: list[str] | None = None,
             floor: float | dict[str, float] | None = None,
             headroom: pd.DataFrame | None = None, load: list[float] | None = None,
             locked: list[bool] | None = None) -> PlanningProblem:
    n = len(cost)
    frame = pd.DataFrame({"candidate_id": [f"s{j}" for j in range(n)], "cost_gbp": cost,
                          "substation_id": "P1", "peak_kw_added": load or [0.0] * n})
    if locked is not None:
        frame["locked_in"] = locked
    coverage = Coverage(sp.csr_matrix(np.array(matrix, float)), np.array(demand),
                        demand_district=None if districts is None else np.array(districts),
                        capacity=np.array(capacity))
    constraints: list[object] = [Budget(budget)]
    if floor is not None:
        constraints.append(CoverageFloor(floor))
    if headroom is not None:
        constraints.append(Headroom(headroom, {"P1": None}))
    return PlanningProblem(frame, MaximiseCoverage(coverage), constraints)


def _chosen(problem: PlanningProblem) -> tuple[list[str], float, tuple[str, ...]]:
    compiled = problem.compile()
    start = heuristic_plan(compiled, EXACT)
    assert start.x is not None, start.notes
    x = compiled.context.x
    ids = problem.candidates["candidate_id"].to_numpy()
    return list(ids[start.x[x.start:x.stop] > 0.5]), compiled.model.objective(start.x), \
        start.notes


def test_greedy_takes_most_served_weight_per_scarcest_resource() -> None:
    # Points p0 (w=10), p1 (w=10), p2 (w=4). s0 reaches p0, p1 with capacity 12;
    # s1 reaches p1, p2 with capacity 14; s2 reaches p2 with capacity 4. Budget 2, each
    # site costs 1. Gains: s0 min(12, 20) = 12, s1 min(14, 14) = 14, s2 4: s1 first
    # (serves p1 then p2? the least-reached point first: p2 (1 other site) then p1
    # (2 others) -> p2 4, p1 10). Then s0 gains min(12, p0 10 + p1 0) = 10, s2 gains 0.
    # Plan {s0, s1} serves 10 + 10 + 4 = 24 = all demand.
    problem = _problem([[1, 0, 0], [1, 1, 0], [0, 1, 1]], [10, 10, 4], [12, 14, 4],
                       [1, 1, 1], budget=2)
    chosen, value, _ = _chosen(problem)
    assert chosen == ["s0", "s1"]
    assert value == 24.0


def test_headroom_is_a_resource_the_greedy_respects() -> None:
    # s0 serves 10 but adds 100 kW; s1 serves 6 with 30 kW; s2 serves 5 with 30 kW.
    # Headroom 60 kW, budget ample. s0 alone breaks nothing but leaves 60 - 100 < 0: it
    # does not fit at all. Best within 60 kW: s1 + s2 = 11.
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [60.0]})
    problem = _problem([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [10, 6, 5], [10, 6, 5],
                       [1, 1, 1], budget=10, headroom=limits, load=[100.0, 30.0, 30.0])
    chosen, value, _ = _chosen(problem)
    assert chosen == ["s1", "s2"]
    assert value == 11.0
    assert problem.solve(EXACT).objective == 11.0


def test_floor_short_district_is_served_first() -> None:
    # North point (w=10) reachable by s0, south point (w=2) by s1; budget for one site.
    # Without a floor the greedy takes s0 (10 > 2). With "south at least 50%" only s1
    # keeps the floor, and the greedy must find it rather than drop its plan.
    matrix, demand, capacity = [[1, 0], [0, 1]], [10.0, 2.0], [10.0, 2.0]
    free = _problem(matrix, demand, capacity, [1, 1], budget=1, districts=["N", "S"])
    assert _chosen(free)[0] == ["s0"]
    floored = _problem(matrix, demand, capacity, [1, 1], budget=1, districts=["N", "S"],
                       floor={"S": 0.5})
    chosen, value, _ = _chosen(floored)
    assert chosen == ["s1"]
    assert value == 2.0
    assert floored.solve(EXACT).objective == 2.0


def test_locked_in_sites_are_kept_and_assigned_first() -> None:
    # s1 is locked in although s0 serves more; budget 1 is used by the lock.
    problem = _problem([[1, 1], [0, 1]], [8.0, 3.0], [8.0, 8.0], [1, 1], budget=1,
                       locked=[False, True])
    chosen, value, _ = _chosen(problem)
    assert chosen == ["s1"]
    # s1 reaches both points with capacity 8: p1 (fewer other sites) first 3, then 5 of p0.
    assert value == 8.0


def test_assignment_is_polished_to_the_lp_optimum() -> None:
    # s0 reaches p0, p1 (cap 5); s1 reaches p0 only (cap 5). p0 w=5, p1 w=5. Greedy by
    # least-reached serves p1 from s0 first, then s1 serves p0: 10. Whatever the greedy's
    # order, the polish returns the LP-optimal assignment of {s0, s1}: 10.
    problem = _problem([[1, 1], [1, 0]], [5.0, 5.0], [5.0, 5.0], [1, 1], budget=2)
    chosen, value, notes = _chosen(problem)
    assert chosen == ["s0", "s1"]
    assert value == 10.0
    assert any(note.startswith("capacitated greedy") for note in notes)


def test_reinforcement_or_phasing_falls_back_to_no_start() -> None:
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [60.0]})
    frame = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [1.0, 1.0],
                          "substation_id": "P1", "peak_kw_added": [10.0, 10.0]})
    coverage = Coverage(sp.csr_matrix(np.eye(2)), np.array([1.0, 1.0]),
                        capacity=np.array([1.0, 1.0]))
    phased = PlanningProblem(frame, MaximiseCoverage(coverage),
                             [Budget(2.0), Headroom(limits, {"P1": None})],
                             periods=[2030, 2040], horizon=2050)
    assert capacitated_instance(phased.compile()) is None
    # one period, but headroom that reinforcement can raise: its columns are not knapsacks
    options = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [50.0], "cost_gbp": [1.0]})
    reinforced = PlanningProblem(frame, MaximiseCoverage(coverage),
                                 [Budget(2.0), Headroom(limits, {"P1": None},
                                                        reinforcements=options)])
    assert capacitated_instance(reinforced.compile()) is None
    plain = PlanningProblem(frame, MaximiseCoverage(coverage),
                            [Budget(2.0), Headroom(limits, {"P1": None})])
    assert capacitated_instance(plain.compile()) is not None  # the two cases above bite
