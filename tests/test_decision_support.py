"""Decision support (geoplan.optimise.alternatives) against brute force on tiny instances.

Every expected value is computed here from the candidates themselves (all subsets within the
budget, at most one per group), not from the compiled model.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geoplan.optimise import Budget, Headroom, MaximiseBenefit, MinimiseCost, PlanningProblem
from geoplan.optimise.alternatives import (
    LIMIT_METHOD,
    limit_values,
    plan_duals,
    portfolio,
    replacement_costs,
)
from geoplan.optimise.matrix import ColumnBlock, MatrixBuilder

SEEDS = range(6)


def _instance(seed: int, n: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    groups = [f"g{i}" if i < 2 else "" for i in rng.integers(0, 5, n)]
    return pd.DataFrame({"candidate_id": [f"c{j}" for j in range(n)],
                         "cost_gbp": rng.integers(1, 9, n).astype(float),
                         "tco2e_per_yr": rng.uniform(1.0, 10.0, n).round(6),
                         "group_id": groups})


def _feasible(table: pd.DataFrame, budget: float) -> list[tuple[frozenset[str], float]]:
    """Every selection within the budget with one option per group, and its benefit."""
    rows = list(table.itertuples(index=False))
    found = []
    for mask in itertools.product([False, True], repeat=len(rows)):
        chosen = [r for r, keep in zip(rows, mask, strict=True) if keep]
        groups = [r.group_id for r in chosen if r.group_id]
        if sum(r.cost_gbp for r in chosen) <= budget + 1e-9 and len(groups) == len(set(groups)):
            found.append((frozenset(r.candidate_id for r in chosen),
                          sum(r.tco2e_per_yr for r in chosen)))
    return found


def _compiled(table: pd.DataFrame, budget: float):
    return PlanningProblem(table, MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),
                           [Budget(budget)]).compile()


@pytest.mark.parametrize("seed", SEEDS)
def test_replacement_cost_matches_brute_force(seed: int) -> None:
    table, budget = _instance(seed), 12.0
    compiled = _compiled(table, budget)
    plan = compiled.solve()
    every = _feasible(table, budget)
    best = max(value for _, value in every)
    result = replacement_costs(compiled, plan.solution, top=50)
    assert sorted(result["candidate_id"]) == sorted(plan.selected_ids)
    for row in result.itertuples():
        without = max(value for chosen, value in every if row.candidate_id not in chosen)
        assert row.replacement_cost == pytest.approx(best - without, abs=1e-6)
        assert row.replacement_cost_low == pytest.approx(best - without, abs=1e-3)
        assert row.replacement_cost <= row.marginal_value + 1e-6
        assert row.replacement_status == "optimal"


def test_replacement_cost_top_takes_largest_loss_if_removed_and_minimises() -> None:
    table = pd.DataFrame({"candidate_id": ["a", "b", "c", "d"],
                          "cost_gbp": [4.0, 3.0, 5.5, 2.0], "t": [3.0, 2.0, 4.0, 1.0]})
    compiled = PlanningProblem(table, MinimiseCost({"t": 5.0})).compile()
    plan = compiled.solve()
    assert set(plan.selected_ids) == {"b", "a"}  # cost 7 reaches 5
    result = replacement_costs(compiled, plan.solution, top=1)
    # a (cost 4) is the larger loss if removed; without a the cheapest is c+d = 7.5
    assert result["candidate_id"].tolist() == ["a"]
    assert result["replacement_cost"].tolist() == [pytest.approx(0.5)]


def test_replacement_cost_is_infinite_when_the_plan_cannot_do_without() -> None:
    table = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [4.0, 3.0], "t": [5.0, 1.0]})
    compiled = PlanningProblem(table, MinimiseCost({"t": 5.0})).compile()
    result = replacement_costs(compiled, compiled.solve().solution)
    assert result["replacement_cost"].tolist() == [np.inf]
    assert result["replacement_status"].tolist() == ["infeasible"]


def test_budget_value_by_hand() -> None:
    # a(2, 5) b(3, 4) c(1, 3), budget 5: a+b = 9; with 6 the plan a+b+c = 12 gains 3
    table = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [2.0, 3.0, 1.0],
                          "tco2e_per_yr": [5.0, 4.0, 3.0]})
    compiled = _compiled(table, 5.0)
    values = limit_values(compiled, compiled.solve().solution, {"budget": 1.0})
    assert values["constraint"].tolist() == ["budget cost_gbp"]
    assert values["value"].tolist() == [pytest.approx(3.0)]
    assert values["method"].tolist() == [LIMIT_METHOD]
    # the budget row is over integer choices alone: at the plan its dual is 0 (the choices'
    # bounds carry the duals), so only the re-solve says what one more unit is worth
    assert values["lp_dual_value"].tolist() == [0.0]


@pytest.mark.parametrize("sense", ["max", "min"])
def test_lp_dual_value_at_the_plan_by_hand(sense: str) -> None:
    # choice x (binary) and a continuous y share a budget 3x + y <= 7, y <= 10;
    # max 5x + y: x = 1, y = 4 gives 9 (x = 0, y = 7 gives 7). With x held, each unit of
    # budget buys one more y: dual 1, so 2 units are worth 2, as the re-solve finds
    # (x = 1, y = 6: 11). Minimising -5x - y is the same plan; the gain is 2 less cost.
    sign = 1.0 if sense == "max" else -1.0
    builder = MatrixBuilder(sense)
    x = builder.add_columns("x", 1, cost=[5.0 * sign], integer=True)
    y = builder.add_columns("y", 1, cost=[1.0 * sign], upper=[10.0])
    rows = sp.csr_matrix([[3.0, 1.0]])
    builder.add_rows("budget", ["budget"], rows, ColumnBlock("xy", x.start, y.stop), upper=[7])
    model = builder.build()
    plan = np.array([1.0, 4.0])
    duals = plan_duals(model, plan)
    assert duals is not None
    assert duals.tolist() == [pytest.approx(sign * 1.0)]
    values = limit_values(SimpleNamespace(model=model), plan, {"budget": 2.0})  # type: ignore[arg-type]
    assert values["value"].tolist() == [pytest.approx(2.0)]
    assert values["lp_dual_value"].tolist() == [pytest.approx(2.0)]


def test_headroom_value_per_milestone_by_hand() -> None:
    # one substation S with 10 kW in 2030 and 20 kW in 2040; loads 10, 10, 5 kW
    table = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [1.0, 1.0, 1.0],
                          "tco2e_per_yr": [6.0, 5.0, 2.0], "substation_id": ["S"] * 3,
                          "peak_kw_added": [10.0, 10.0, 5.0]})
    limits = pd.DataFrame({"substation_id": ["S", "S"], "year": [2030, 2040],
                           "headroom_kw": [10.0, 20.0]})
    problem = PlanningProblem(table, MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),
                              [Headroom(limits, {"S": None})], periods=(2030, 2040),
                              horizon=2049)
    compiled = problem.compile()
    plan = compiled.solve()
    # by hand: weights 20 (2030) and 10 (2040); a in 2030 (120) and b in 2040 (50) = 170
    assert plan.objective == pytest.approx(170.0)
    values = limit_values(compiled, plan.solution, {"headroom": 5.0}).set_index("constraint")
    # 5 kW more in 2030: a+c in 2030 (160) leaves no room for b by 2040, so a, b stay (+0);
    # 5 kW more in 2040: c joins b in 2040 (+20)
    assert values["value"].to_dict() == {"headroom S 2030": pytest.approx(0.0),
                                         "headroom S 2040": pytest.approx(20.0)}


def test_budget_value_matches_brute_force() -> None:
    binding = 0
    for seed in SEEDS:
        table, budget = _instance(seed), 11.0
        compiled = _compiled(table, budget)
        plan = compiled.solve()
        values = limit_values(compiled, plan.solution, {"budget": 2.0})
        best = max(v for _, v in _feasible(table, budget))
        if plan.table.loc[plan.table["selected"], "cost_gbp"].sum() <= budget - 2.0:
            assert values.empty  # two or more left over: the budget does not bind
            continue
        binding += 1
        raised = max(v for _, v in _feasible(table, budget + 2.0))
        assert values["value"].tolist() == [pytest.approx(raised - best, abs=1e-6)]
    assert binding >= 2  # the instances exercise the re-solve


@pytest.mark.parametrize(("seed", "within"), [(s, w) for s in SEEDS for w in (0.15, 0.03)])
def test_portfolio_matches_brute_force_enumeration(seed: int, within: float) -> None:
    table, budget, k = _instance(seed), 12.0, 4
    compiled = _compiled(table, budget)
    plan = compiled.solve()
    every = sorted(_feasible(table, budget), key=lambda item: -item[1])
    best = every[0][1]
    near = [item for item in every if item[1] >= best * (1 - within) - 1e-9][:k]
    result = portfolio(compiled, plan.solution, plans=k, within=within)
    assert result.plans["objective"].tolist() == pytest.approx([v for _, v in near], abs=1e-6)
    assert len(result.plans) == len(near)
    expected = {c: sum(c in chosen for chosen, _ in near) / len(near)
                for c in table["candidate_id"]}
    assert dict(zip(result.frequency["candidate_id"], result.frequency["frequency"],
                    strict=True)) == pytest.approx(expected)
    sets = result.plans["candidate_ids"].tolist()
    assert len(set(sets)) == len(sets)
    assert sets == [";".join(sorted(chosen)) for chosen, _ in near]


def _uncertain() -> tuple[PlanningProblem, list]:
    from geoplan.optimise.robustness import Scale

    table = _instance(3, n=9)
    problem = PlanningProblem(table, MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),
                              [Budget(12.0)])
    rows = np.arange(len(table))
    scales = [Scale("cost", rows, ("cost_gbp",), np.full(9, 0.8), np.full(9, 1.3)),
              Scale("saving", rows, ("tco2e_per_yr",), np.full(9, 0.7), np.full(9, 1.2),
                    shared=False)]
    return problem, scales


def test_robustness_frequencies_repeat_with_a_seed_whatever_the_workers() -> None:
    from geoplan.optimise.robustness import robustness, sample_problem

    problem, scales = _uncertain()
    selected = problem.solve().table["selected"].to_numpy(bool)
    alone = robustness(problem, selected, scales, samples=6, seed=7, workers=1)
    pooled = robustness(problem, selected, scales, samples=6, seed=7, workers=2)
    pd.testing.assert_frame_equal(alone.table, pooled.table)
    assert (alone.planned, alone.not_run) == (6, 0)
    # by hand: each sample's plan is the best subset of its own sampled table
    chosen = []
    for i in range(6):
        sampled = sample_problem(problem, scales, (), 7, i).candidates
        best = max(_feasible(sampled, 12.0), key=lambda item: item[1])[0]
        chosen.append(sampled["candidate_id"].isin(best).to_numpy())
    assert alone.table["frequency"].tolist() == pytest.approx(np.mean(chosen, axis=0).tolist())
    assert alone.table["frequency"].std() > 0  # the samples do differ
    core = alone.table["in_plan"] & (alone.table["frequency"] >= 0.9)
    assert alone.table["robust_core"].tolist() == core.tolist()
    other = robustness(problem, selected, scales, samples=6, seed=8, workers=1)
    assert other.table["frequency"].tolist() != alone.table["frequency"].tolist()


def test_sampled_factors_stay_within_bounds_and_shared_draws_move_together() -> None:
    from geoplan.optimise.robustness import draw_factors, sample_problem

    problem, scales = _uncertain()
    base = problem.candidates
    for i in range(20):
        sampled = sample_problem(problem, scales, (), 1, i).candidates
        cost = sampled["cost_gbp"] / base["cost_gbp"]
        saving = sampled["tco2e_per_yr"] / base["tco2e_per_yr"]
        assert np.ptp(cost) < 1e-12
        assert 0.8 <= cost.iloc[0] <= 1.3
        assert saving.between(0.7, 1.2).all()
    # the triangular inverse CDF by hand: low 0.5, mode 1, high 2; F(1) = 1/3
    u = np.array([0.0, 1 / 3, 1.0, 1 / 6])
    expected = [0.5, 1.0, 2.0, 0.5 + np.sqrt(1 / 6 * 1.5 * 0.5)]
    assert draw_factors(np.full(4, 0.5), np.full(4, 2.0), u).tolist() == pytest.approx(expected)


def test_a_re_solve_stopped_early_never_counts_worse_than_a_known_feasible_point() -> None:
    from geoplan.optimise.alternatives import _at_least
    from geoplan.optimise.outcome import SolveOutcome

    stopped = SolveOutcome("feasible", 7.0, None, None, 1.0, None, "highs")
    assert _at_least(stopped, 9.0, "max").objective == 9.0  # the plan itself scores 9
    assert _at_least(stopped, 6.0, "max").objective == 7.0
    assert _at_least(stopped, 6.0, "min").objective == 6.0
    assert _at_least(stopped, None, "max").objective == 7.0  # no known point: as solved
    infeasible = SolveOutcome("infeasible", None, None, None, 1.0, None, "highs")
    assert _at_least(infeasible, 9.0, "max").objective is None
