"""Reinforcement cuts (geoplan/optimise/headroom_cuts.py): valid, and stronger than the rows.

* Validity: on small random instances (phased or not, negative loads, groups, chained
  substations, 0-2 options per substation with ready years) every integer point that meets
  the compiled model's rows is enumerated with numpy and must meet every cut; the MIP
  optimum with the cuts equals the one without.
* Strength: on a hand example the relaxation's bound falls from 20 to 220/12 (computed by
  hand in the test), and a cut implied by a later period's is left out.
* A cut whose headroom row was loosened is not added (it could cut off a plan).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from geoplan.optimise import Budget, Headroom, MaximiseBenefit, PlanningProblem, SolverOptions
from geoplan.optimise.cut_rows import CUT_FAMILY, with_cuts
from geoplan.optimise.solvers import HighsSession

EXACT = SolverOptions(mip_gap=0.0)
PARENTS = {"P1": "B", "P2": "B", "B": None}
FEAS = 1e-7


def _hand_problem(periods: tuple[int, ...] | None = None, freed: float = 3.0,
                  ready: int | None = None) -> PlanningProblem:
    """Substation S, no headroom; a and b add 5 kW (benefit 10, cost 1); c removes ``freed``."""
    candidates = pd.DataFrame({
        "candidate_id": ["a", "b", "c"], "cost_gbp": [1.0, 1.0, 0.0],
        "benefit": [10.0, 10.0, 0.0], "substation_id": ["S", "S", "S"],
        "peak_kw_added": [5.0, 5.0, -freed]})
    limits = pd.DataFrame({"substation_id": ["S"], "headroom_kw": [-2.0]})
    options = pd.DataFrame({"substation_id": ["S"], "capacity_kw": [100.0],
                            "cost_gbp": [10.0]})
    if ready is not None:
        options["ready_year"] = [ready]
    return PlanningProblem(candidates, MaximiseBenefit({"benefit": 1.0}, normalise=False),
                           [Budget(11.0), Headroom(limits, {"S": None},
                                                   reinforcements=options, year=2030)],
                           periods=periods)


def _cut_rows(compiled: object) -> list[dict[int, float]]:
    model, _ = with_cuts(compiled.model, compiled.context.cuts)
    rows = np.flatnonzero(model.row_family == CUT_FAMILY)
    return [dict(zip(model.matrix[i].indices.tolist(), model.matrix[i].data.tolist(),
                     strict=True)) for i in rows]


def test_hand_example_cuts_and_bound() -> None:
    compiled = _hand_problem().compile()
    r = compiled.context.builder.block("reinforcement").start
    # a and b (columns 0 and 1) each need the option: 5 - 3 freed by c > 0 headroom
    assert sorted(_cut_rows(compiled), key=str) == [{0: 1.0, r: -1.0}, {1: 1.0, r: -1.0}]
    plain = HighsSession(compiled.model, EXACT).solve(relax=True).bound
    model, count = with_cuts(compiled.model, compiled.context.cuts)
    tight = HighsSession(model, EXACT).solve(relax=True).bound
    # without cuts: r = (10 - 3) / 100 costs 0.7, a and b both fit the budget of 11: 20
    assert plain is not None
    assert abs(plain - 20.0) < 1e-6
    # with x_a, x_b <= r: 10 r + x_a + x_b <= 11 at x_a = x_b = r gives r = 11/12
    assert count == 2
    assert tight is not None
    assert abs(tight - 220.0 / 12.0) < 1e-6
    plan = _hand_problem().solve(EXACT)
    assert plan.status == "optimal"
    assert abs(plan.objective - 10.0) < 1e-9
    assert any("2 reinforcement cuts added" in note for note in plan.notes)


def test_count_cut_where_one_fits_but_not_two() -> None:
    """Headroom 7 kW, a and b add 5 kW each: one fits, two need the option (x_a + x_b <= 1 + r)."""
    candidates = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [1.0, 1.0],
                               "benefit": [10.0, 10.0], "substation_id": ["S", "S"],
                               "peak_kw_added": [5.0, 5.0]})
    limits = pd.DataFrame({"substation_id": ["S"], "headroom_kw": [7.0]})
    options = pd.DataFrame({"substation_id": ["S"], "capacity_kw": [100.0],
                            "cost_gbp": [10.0]})
    problem = PlanningProblem(candidates, MaximiseBenefit({"benefit": 1.0}, normalise=False),
                              [Budget(11.0), Headroom(limits, {"S": None},
                                                      reinforcements=options)])
    compiled = problem.compile()
    r = compiled.context.builder.block("reinforcement").start
    model, count = with_cuts(compiled.model, compiled.context.cuts)
    assert count == 1
    assert _cut_rows(compiled) == [{0: 1.0, 1: 1.0, r: -1.0}]
    assert model.row_upper[-1] == 1.0
    # without the cut: r = 3/100 lets both in for 2.3 of the budget: 20; with it,
    # x_a + x_b = 1 + r and 10 r + 1 + r <= 11 give r = 10/11: 10 (1 + 10/11) = 210/11
    plain = HighsSession(compiled.model, EXACT).solve(relax=True).bound
    tight = HighsSession(model, EXACT).solve(relax=True).bound
    assert plain is not None
    assert abs(plain - 20.0) < 1e-6
    assert tight is not None
    assert abs(tight - 210.0 / 11.0) < 1e-6
    plan = problem.solve(EXACT)
    assert plan.objective == 10.0


def test_lp_guided_adds_the_cuts_its_relaxation_breaks() -> None:
    """The relaxation (r = 0.07, a = b = 1) breaks both cuts: added, bound 20 -> 220/12."""
    plan = _hand_problem().solve(SolverOptions(mip_gap=0.0, time_limit=30.0),
                                 strategy="lp-guided")
    assert plan.status == "optimal"
    assert abs(plan.objective - 10.0) < 1e-9
    notes = " | ".join(plan.notes)
    assert "2 reinforcement cuts the relaxation breaks added" in notes
    assert "relaxation again: 18.33" in notes
    assert "strategy: lp-guided" in notes


def test_no_cut_when_others_can_free_the_load() -> None:
    """c removing 6 kW makes room for a or b alone: no x <= r cut, but x_a + x_b <= 1 + r."""
    compiled = _hand_problem(freed=6.0).compile()
    r = compiled.context.builder.block("reinforcement").start
    assert _cut_rows(compiled) == [{0: 1.0, 1: 1.0, r: -1.0}]
    assert with_cuts(compiled.model, compiled.context.cuts)[0].row_upper[-1] == 1.0
    plan = _hand_problem(freed=6.0).solve(EXACT)
    chosen = plan.table["selected"].tolist()
    assert plan.objective == 10.0
    assert chosen[2]
    assert chosen[0] != chosen[1]


def test_earlier_period_cut_left_out_when_implied() -> None:
    """Ready in the first period: X_a,2040 <= r implies x_a,2030 <= r, so only one cut each."""
    compiled = _hand_problem(periods=(2030, 2040), ready=2030).compile()
    n, r = 3, compiled.context.builder.block("reinforcement").start
    assert sorted(_cut_rows(compiled), key=str) == [{0: 1.0, n: 1.0, r: -1.0},
                                                    {1: 1.0, n + 1: 1.0, r: -1.0}]


def test_later_option_gives_empty_cut_in_first_period() -> None:
    """Ready in 2040: in 2030 nothing can make a fit (x_a,2030 <= 0), in 2040 the option."""
    compiled = _hand_problem(periods=(2030, 2040), ready=2040).compile()
    n, r = 3, compiled.context.builder.block("reinforcement").start
    assert sorted(_cut_rows(compiled), key=str) == [
        {0: 1.0, n: 1.0, r: -1.0}, {0: 1.0}, {1: 1.0, n + 1: 1.0, r: -1.0}, {1: 1.0}]


def test_loosened_headroom_row_drops_its_cuts() -> None:
    compiled = _hand_problem().compile()
    model = compiled.model
    row = compiled.context.handles["headroom"][0]
    looser = model.row_upper.copy()
    looser[row] += 1.0
    tighter = model.row_upper.copy()
    tighter[row] -= 1.0
    assert with_cuts(model.with_bounds(row_upper=looser), compiled.context.cuts)[1] == 0
    assert with_cuts(model.with_bounds(row_upper=tighter), compiled.context.cuts)[1] == 2


def random_problem(rng: np.random.Generator) -> PlanningProblem:
    """2-4 candidates (loads -6..12 kW, groups) under P1, P2 (under B) or B; phased or not."""
    n = int(rng.integers(2, 5))
    frame = pd.DataFrame({
        "candidate_id": [f"c{j}" for j in range(n)],
        "cost_gbp": rng.integers(0, 7, n).astype(float),
        "benefit": rng.integers(0, 10, n).astype(float),
        "group_id": rng.choice(["", "", "g1", "g1", "g2"], n),
        "substation_id": rng.choice(["P1", "P1", "P2", "B"], n),
        "peak_kw_added": rng.integers(-6, 13, n).astype(float)})
    rows = [(s, y, float(rng.integers(-4, 15))) for s in ("P1", "P2", "B")
            for y in rng.choice([2030, 2040], int(rng.integers(1, 3)), replace=False)]
    limits = pd.DataFrame(rows, columns=["substation_id", "year", "headroom_kw"])
    options = pd.DataFrame([
        {"substation_id": s, "capacity_kw": float(rng.integers(1, 17)),
         "cost_gbp": float(rng.integers(0, 7)), "ready_year": int(rng.choice([2030, 2040, 2045]))}
        for s in ("P1", "P2", "B") for _ in range(int(rng.choice([0, 1, 1, 2])))])
    constraints: list[object] = [Headroom(limits, PARENTS, year=2040,
                                          reinforcements=options if len(options) else None)]
    if rng.random() < 0.5:
        constraints.append(Budget(float(rng.integers(0, 21))))
    return PlanningProblem(frame, MaximiseBenefit({"benefit": 1.0}, normalise=False),
                           constraints, periods=(2030, 2040) if rng.random() < 0.5 else None)


def _feasible_points(model: object) -> np.ndarray:
    """Every integer point within the column bounds that meets every row (points x cols)."""
    lower, upper = model.col_lower.astype(int), model.col_upper.astype(int)
    points = np.array(list(itertools.product(*[range(lo, up + 1)
                                                for lo, up in zip(lower, upper, strict=True)])),
                      dtype=float).reshape(-1, model.shape[1])
    activity = (model.matrix @ points.T).T
    scale = 1.0 + np.abs(np.where(np.isfinite(model.row_upper), model.row_upper, 0.0))
    ok = ((activity <= model.row_upper + FEAS * scale)
          & (activity >= model.row_lower - FEAS * scale)).all(axis=1)
    return points[ok]


def test_cuts_keep_every_integer_plan() -> None:
    rng = np.random.default_rng(17)
    with_some = with_count = 0
    for _ in range(40):
        compiled = random_problem(rng).compile()
        model = compiled.model
        strong, count = with_cuts(model, compiled.context.cuts)
        with_some += count > 0
        with_count += bool((strong.row_upper[model.shape[0]:] > 0).any())
        cuts = strong.matrix[model.shape[0]:]
        points = _feasible_points(model)
        assert len(points), "the empty plan always meets the rows"
        upper = strong.row_upper[model.shape[0]:].reshape(-1, 1)
        assert ((cuts @ points.T) <= upper + FEAS).all(), "a cut removes an integer plan"
        best = float((points @ model.cost).max())
        for solved in (model, strong):
            outcome = HighsSession(solved, EXACT).solve()
            assert outcome.objective is not None
            assert abs(outcome.objective - best) < 1e-6
    assert with_some >= 10, with_some  # the instances do exercise the cuts
    assert with_count >= 5, with_count  # count cuts among them
