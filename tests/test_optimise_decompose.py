"""geoplan.optimise.decompose against brute force on small random instances.

Each instance has candidates in two or three parts (grid supply points): a local knapsack
per part (its headroom), one option per group inside a part, and one or two shared budget
rows. The optimum is found by enumerating every subset with numpy; the Lagrangian bound of
the prices the method reports is recomputed by enumerating each part's subsets on its own,
from the formula of the module docstring, using none of the module's code.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geoplan.optimise import Budget, Headroom, MaximiseBenefit, PlanningProblem, SolverOptions
from geoplan.optimise.decompose import (
    REST,
    _stopped_by,
    candidate_parts,
    column_parts,
    grid_roots,
    solve_decomposed,
)
from geoplan.optimise.matrix import MatrixBuilder, MilpMatrix
from geoplan.optimise.outcome import relative_gap

EXACT = SolverOptions(mip_gap=0.0)
TOL = 1e-6


def _instance(seed: int, sense: str = "max") -> tuple[MilpMatrix, np.ndarray]:
    """A random model: local rows per part, groups inside parts, shared rows across."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(7, 11))
    parts = np.sort(rng.integers(0, int(rng.integers(2, 4)), n))
    value = rng.integers(1, 20, n).astype(float)
    cost = rng.integers(1, 10, n).astype(float)
    b = MatrixBuilder(sense)
    x = b.add_columns("x", n, cost=value if sense == "max" else cost, integer=True)
    for k in np.unique(parts):  # a local headroom row per part
        members = parts == k
        load = np.where(members, rng.integers(1, 6, n), 0).astype(float)
        b.add_rows("headroom", [f"headroom {k}"], sp.csr_matrix(load), x,
                   upper=[float(rng.integers(3, 10))])
    first = np.flatnonzero(parts == parts[0])[:2]  # a group of two options in one part
    if len(first) == 2:
        b.add_rows("group", ["group"], sp.csr_matrix(np.isin(np.arange(n), first) * 1.0), x,
                   upper=[1.0])
    if sense == "max":
        b.add_rows("budget", ["budget"], sp.csr_matrix(cost), x,
                   upper=[float(cost.sum() * rng.uniform(0.25, 0.6))])
        if seed % 2:  # a second shared row: a budget on the odd candidates
            odd = np.where(np.arange(n) % 2 == 1, cost, 0.0)
            b.add_rows("budget", ["budget odd"], sp.csr_matrix(odd), x,
                       upper=[float(odd.sum() * 0.4)])
    else:  # least cost to reach a shared benefit target
        b.add_rows("target", ["target"], sp.csr_matrix(value), x,
                   lower=[float(value.sum() * rng.uniform(0.1, 0.25))])
    return b.build(), np.array([f"gsp{k}" for k in parts], dtype=object)


def _subsets(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)))


def _brute_optimum(model: MilpMatrix) -> float:
    points = _subsets(model.shape[1])
    activity = (model.matrix @ points.T).T
    ok = np.all((activity <= model.row_upper + TOL) & (activity >= model.row_lower - TOL), axis=1)
    values = points[ok] @ model.cost
    return float(values.max() if model.sense == "max" else values.min())


def _brute_lagrangian(model: MilpMatrix, parts: np.ndarray, linking: np.ndarray,
                      prices: np.ndarray) -> float:
    """L(prices) in the model's own sense, each part's sub-problem enumerated alone."""
    sign = 1.0 if model.sense == "max" else -1.0
    dense = model.matrix.toarray()
    local = np.setdiff1d(np.arange(model.shape[0]), linking)
    total = sum(p * (model.row_upper[i] if p > 0 else model.row_lower[i])
                for i, p in zip(linking, prices, strict=True) if p != 0)
    reduced = sign * model.cost - dense[linking].T @ prices
    for name in np.unique(parts):
        cols = np.flatnonzero(parts == name)
        points = _subsets(len(cols))
        rows = [i for i in local if np.any(dense[i, cols])]
        activity = points @ dense[np.ix_(rows, cols)].T
        ok = np.all((activity <= model.row_upper[rows] + TOL)
                    & (activity >= model.row_lower[rows] - TOL), axis=1)
        total += float((points[ok] @ reduced[cols]).max())
    return sign * total


@pytest.mark.parametrize("seed", range(10))
def test_bound_plan_and_gap_against_brute_force(seed: int) -> None:
    model, parts = _instance(seed)
    optimum = _brute_optimum(model)
    found = solve_decomposed(model, parts, EXACT)
    out = found.outcome
    assert out.x is not None
    assert not len(model.violations(out.x))
    assert np.all(np.isclose(out.x, np.round(out.x)))
    assert out.objective == pytest.approx(float(model.cost @ out.x))
    assert out.objective <= optimum + TOL
    assert out.bound >= optimum - TOL
    expected_gap = abs(out.bound - out.objective) / max(abs(out.bound), abs(out.objective))
    assert out.gap == pytest.approx(expected_gap, abs=1e-12)
    recomputed = _brute_lagrangian(model, parts, found.linking_rows, found.prices)
    assert optimum - TOL <= recomputed <= out.bound + 1e-6 * max(1.0, abs(out.bound))
    assert min(found.history) == pytest.approx(out.bound)
    assert out.stopped_by == ("gap" if out.status == "optimal" else "work_limit")  # no clock
    assert found.parts == tuple(sorted(set(parts)))


@pytest.mark.parametrize("seed", range(4))
def test_minimisation_bound_is_below_the_optimum(seed: int) -> None:
    model, parts = _instance(seed, "min")
    optimum = _brute_optimum(model)
    out = solve_decomposed(model, parts, EXACT).outcome
    assert out.x is not None
    assert not len(model.violations(out.x))
    assert optimum - TOL <= out.objective
    assert out.bound <= optimum + TOL
    assert out.gap == pytest.approx(relative_gap(out.objective, out.bound))


def test_any_prices_give_a_valid_bound() -> None:
    """Zero pricing rounds after the start still bound the optimum (the bound needs no
    convergence)."""
    model, parts = _instance(3)
    optimum = _brute_optimum(model)
    found = solve_decomposed(model, parts, EXACT, iterations=1)
    assert found.outcome.bound >= optimum - TOL
    assert len(found.history) == 1


def test_only_rows_spanning_parts_are_priced() -> None:
    model, parts = _instance(1)
    found = solve_decomposed(model, parts, EXACT)
    assert sorted(model.row_family[found.linking_rows]) == ["budget", "budget"]
    assert found.summary("by_gsp")["linking_rows"] == 2


def test_helper_columns_join_the_part_of_their_rows() -> None:
    b = MatrixBuilder("max")
    x = b.add_columns("x", 4, cost=[3, 2, 2, 1], integer=True)
    y = b.add_columns("reinforce", 2, cost=0.0, integer=True)
    z = b.add_columns("loose", 1, cost=1.0, upper=1.0)
    # headroom of part a: loads of x0, x1 minus reinforcement y0; of part b: x2, x3 and y1
    rows = sp.csr_matrix(np.array([[2, 2, 0, 0, -3, 0, 0], [0, 0, 1, 1, 0, -2, 0],
                                   [1, 1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0, 1]], float))
    b.add_rows_global("mixed", ["ha", "hb", "budget", "own"], rows, lower=-np.inf,
                      upper=[2, 1, 3, 1])
    model = b.build()
    assert (x.size, y.size, z.size) == (4, 2, 1)
    codes = column_parts(model, np.array([0, 0, 1, 1, -1, -1, -1]))
    assert codes.tolist() == [0, 0, 1, 1, 0, 1, -1]
    found = solve_decomposed(model, np.array(["a", "a", "b", "b", "", "", ""], dtype=object),
                             EXACT)
    assert found.parts == ("a", "b", REST)
    assert model.row_label[found.linking_rows].tolist() == ["budget"]


def test_grid_roots_follow_the_graph() -> None:
    graph = nx.DiGraph([("G1", "B1"), ("B1", "P1"), ("G2", "P2")])
    roots = grid_roots(["P1", "B1", "P2", None, "G2", "lone"], graph)
    assert roots.tolist() == ["G1", "G1", "G2", "", "G2", "lone"]


def test_planning_problem_by_gsp_matches_the_monolithic_model() -> None:
    """A phased problem with headroom per GSP: the columns of every period and the
    reinforcement columns go to their GSP; the decomposed plan is within its reported gap of
    the monolithic optimum."""
    rng = np.random.default_rng(7)
    n = 10
    subs = ["P1", "P2", "P3", "P4"]
    table = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                          "cost_gbp": rng.integers(1, 9, n).astype(float),
                          "tco2e_per_yr": rng.integers(1, 15, n).astype(float),
                          "peak_kw_added": rng.integers(1, 5, n).astype(float),
                          "substation_id": [subs[i % 4] for i in range(n)]})
    parents = {"P1": "G1", "P2": "G1", "P3": "G2", "P4": "G2", "G1": None, "G2": None}
    limits = pd.DataFrame({"substation_id": ["P1", "P3", "G1", "G2"],
                           "headroom_kw": [4.0, 5.0, 6.0, 7.0]})
    options = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [5.0], "cost_gbp": [3.0]})
    problem = PlanningProblem(table, MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),
                              [Budget(18.0, by="period"), Headroom(limits, parents,
                                                                   reinforcements=options)],
                              periods=(2025, 2030), horizon=2031)
    compiled = problem.compile()
    labels = candidate_parts(compiled, grid_roots(table["substation_id"], parents))
    found = solve_decomposed(compiled.model, labels, EXACT)
    out = found.outcome
    whole = problem.solve(EXACT, rank=False)
    assert found.parts == ("G1", "G2")
    assert not len(compiled.model.violations(out.x))
    assert out.objective <= whole.objective + TOL <= out.bound + 2 * TOL
    assert whole.objective - out.objective <= out.gap * max(out.bound, out.objective) + TOL


def test_threads_give_the_same_plan_and_bound() -> None:
    model, parts = _instance(5)
    alone = solve_decomposed(model, parts, EXACT).outcome
    threaded = solve_decomposed(model, parts, EXACT, workers=2).outcome
    assert threaded.objective == alone.objective
    assert threaded.bound == alone.bound
    assert np.array_equal(threaded.x, alone.x)


def test_a_clock_stop_is_reported_as_such() -> None:
    assert _stopped_by("optimal", True) == "gap"
    assert _stopped_by("feasible", True) == "time_limit"
    assert _stopped_by("feasible", False) == "work_limit"
