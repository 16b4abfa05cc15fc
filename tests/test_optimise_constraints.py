"""Hand-computed cases, one or more per constraint family and objective."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from geoplan.errors import LayerSchemaError, ScenarioError
from geoplan.optimise import (
    Budget,
    Compactness,
    Count,
    Coverage,
    CoverageFloor,
    DistrictMinimum,
    Headroom,
    MaximiseBenefit,
    MaximiseCoverage,
    MinimiseCost,
    PlanningProblem,
)

RAW = {"tco2e_per_yr": 1.0}


def candidates(**columns):
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], **columns})
    if "cost_gbp" not in frame:
        frame["cost_gbp"] = 1.0
    return frame


def solve(frame, objective=None, constraints=(), **kwargs):
    objective = objective or MaximiseBenefit(RAW, normalise=False)
    return PlanningProblem(frame, objective, constraints, **kwargs).solve()


def test_knapsack_budget():
    # best within 10: c1 + c2 (cost 4 + 6, value 7 + 8 = 15) beats c0 alone (cost 9, 12)
    frame = candidates(cost_gbp=[9.0, 4.0, 6.0], tco2e_per_yr=[12.0, 7.0, 8.0])
    plan = solve(frame, constraints=[Budget(10.0)])
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(15.0)
    assert set(plan.selected_ids) == {"c1", "c2"}
    assert plan.binding == ("budget cost_gbp",)


def test_a_budget_without_by_refuses_a_mapping_by_name():
    frame = candidates(cost_gbp=[5.0, 5.0], tco2e_per_yr=[1.0, 2.0])
    with pytest.raises(TypeError, match="without `by` takes one amount"):
        solve(frame, constraints=[Budget({"A": 5.0})])


def test_budget_per_district_and_count():
    frame = candidates(cost_gbp=[5.0, 5.0, 5.0, 5.0], tco2e_per_yr=[10.0, 9.0, 8.0, 1.0],
                       district_id=["A", "A", "B", "B"])
    plan = solve(frame, constraints=[Budget({"A": 5.0}, by="district_id")])
    assert set(plan.selected_ids) == {"c0", "c2", "c3"}  # A can afford one; B is unlimited
    plan = solve(frame, constraints=[Budget(5.0, by="district_id"), Count(1)])
    assert plan.selected_ids == ("c0",)


def test_normalised_weights_trade_off_two_benefits():
    # normalised: c0 = 0.5 * 10/10 + 0.5 * 0/10 = 0.5; c1 = 0.5 * 0 + 0.5 * 10/10 = 0.5;
    # c2 = 0.5 * 0/10 ... weights 0.8/0.2 tip it to c0
    frame = candidates(tco2e_per_yr=[10.0, 0.0], homes=[0.0, 10.0])
    plan = solve(frame, MaximiseBenefit({"tco2e_per_yr": 0.8, "homes": 0.2}), [Count(1)])
    assert plan.selected_ids == ("c0",)
    assert plan.objective == pytest.approx(0.8)
    table = plan.table.set_index("candidate_id")
    assert table.loc["c1", "score_homes"] == pytest.approx(0.2)


def test_one_option_per_group():
    frame = candidates(tco2e_per_yr=[5.0, 7.0, 3.0], group_id=["z1", "z1", None])
    plan = solve(frame)
    assert set(plan.selected_ids) == {"c1", "c2"}
    reason = plan.table.set_index("candidate_id").loc["c0", "reason"]
    assert "one option in group z1" in reason


def test_locks_in_and_out():
    frame = candidates(cost_gbp=[3.0, 3.0, 3.0], tco2e_per_yr=[1.0, 9.0, 5.0],
                       locked_in=[True, False, False], locked_out=[False, True, False])
    plan = solve(frame, constraints=[Budget(6.0)])
    assert set(plan.selected_ids) == {"c0", "c2"}
    reasons = plan.table.set_index("candidate_id")["reason"]
    assert reasons["c0"] == "locked in"
    assert reasons["c1"] == "locked out"


def test_contradictory_locks_are_refused():
    frame = candidates(tco2e_per_yr=[1.0, 2.0], group_id=["g", "g"], locked_in=[True, True])
    with pytest.raises(LayerSchemaError, match="group 'g' has several locked-in options"):
        solve(frame)


GRID = {"P1": "B", "P2": "B", "B": None}


def test_headroom_at_substation_and_ancestor():
    # P1 and P2 each allow 100 kW, but their BSP only 150 kW in total
    frame = candidates(tco2e_per_yr=[10.0, 9.0, 8.0], peak_kw_added=[100.0, 100.0, 50.0],
                       substation_id=["P1", "P2", "P2"])
    limits = pd.DataFrame({"substation_id": ["P1", "P2", "B"], "headroom_kw": [100, 100, 150]})
    plan = solve(frame, constraints=[Headroom(limits, GRID)])
    assert set(plan.selected_ids) == {"c0", "c2"}  # 150 kW at B; c0 + c1 would need 200
    assert "headroom B" in plan.binding
    reason = plan.table.set_index("candidate_id").loc["c1", "reason"]
    assert "headroom B (over by 100)" in reason


def test_negative_load_frees_headroom_for_others():
    # P1 allows 100 kW. c0 adds 150 kW (10 t), c1 removes 60 kW (direct electric heaters replaced,
    # 1 t). c0 alone breaks the limit; with c1 the net load is 90 kW: both are chosen.
    frame = candidates(tco2e_per_yr=[10.0, 1.0], peak_kw_added=[150.0, -60.0],
                       substation_id=["P1", "P1"])
    limits = pd.DataFrame({"substation_id": ["P1", "B"], "headroom_kw": [100, 1000]})
    plan = solve(frame, constraints=[Headroom(limits, GRID)])
    assert set(plan.selected_ids) == {"c0", "c1"}
    assert plan.objective == pytest.approx(11.0)


def test_headroom_by_year_uses_latest_earlier_value():
    frame = candidates(tco2e_per_yr=[10.0], peak_kw_added=[80.0], substation_id=["P1"])
    limits = pd.DataFrame({"substation_id": ["P1", "P1"], "year": [2025, 2035],
                           "headroom_kw": [100.0, 50.0]})
    assert solve(frame, constraints=[Headroom(limits, GRID, year=2030)]).selected_ids == ("c0",)
    assert solve(frame, constraints=[Headroom(limits, GRID, year=2040)]).selected_ids == ()


def test_reinforcement_pays_off_a_deficit_first():
    # P1 is 30 kW over already; a 100 kW reinforcement leaves 70 kW: enough for c0 (60) only
    frame = candidates(cost_gbp=[1.0, 1.0], tco2e_per_yr=[10.0, 10.0],
                       peak_kw_added=[60.0, 60.0], substation_id=["P1", "P1"])
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [-30.0]})
    options = pd.DataFrame({"substation_id": ["P1", "P1"], "option_id": ["small", "big"],
                            "capacity_kw": [100.0, 200.0], "cost_gbp": [2.0, 50.0]})
    plan = solve(frame, constraints=[Headroom(limits, GRID, reinforcements=options),
                                     Budget(10.0)])
    assert len(plan.selected_ids) == 1
    assert plan.objective == pytest.approx(10.0)
    plan = solve(frame, constraints=[Headroom(limits, GRID, reinforcements=options),
                                     Budget(60.0)])
    assert len(plan.selected_ids) == 2  # the big option (170 kW net) is affordable now


def test_reinforcement_cost_counts_in_cost_minimisation():
    frame = candidates(cost_gbp=[5.0], tco2e_per_yr=[10.0], peak_kw_added=[60.0],
                       substation_id=["P1"])
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [20.0]})
    options = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [50.0], "cost_gbp": [7.0]})
    plan = solve(frame, MinimiseCost({"tco2e_per_yr": 10.0}),
                 [Headroom(limits, GRID, reinforcements=options)])
    assert plan.objective == pytest.approx(12.0)  # 5 for the candidate + 7 for reinforcement


def test_district_minimum_amount_and_share():
    frame = candidates(cost_gbp=[4.0, 4.0, 2.0], tco2e_per_yr=[10.0, 9.0, 1.0],
                       district_id=["A", "A", "B"])
    plan = solve(frame, constraints=[Budget(8.0)])
    assert set(plan.selected_ids) == {"c0", "c1"}
    plan = solve(frame, constraints=[Budget(8.0), DistrictMinimum("cost_gbp", amount={"B": 2})])
    assert set(plan.selected_ids) == {"c0", "c2"}
    # each district at least 20% of spend: B's 2 of 6 = 33% passes; 2 of 10 = 20% passes too
    plan = solve(frame, constraints=[Budget(10.0), DistrictMinimum("cost_gbp", share=0.25)])
    assert set(plan.selected_ids) == {"c0", "c2"}


def test_minimise_cost_to_reach_targets():
    frame = candidates(cost_gbp=[10.0, 6.0, 5.0], tco2e_per_yr=[10.0, 6.0, 5.0],
                       homes=[0.0, 5.0, 5.0])
    plan = solve(frame, MinimiseCost({"tco2e_per_yr": 10.0, "homes": 5.0}))
    assert set(plan.selected_ids) == {"c1", "c2"}  # 11 beats 10 + 5 = 15 for c0 with a home
    assert plan.objective == pytest.approx(11.0)


def test_maximal_covering_by_hand():
    # demand 0..3 with weights; c0 covers {0, 1}, c1 covers {1, 2}, c2 covers {3}
    matrix = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]]))
    weights = np.array([5.0, 1.0, 4.0, 3.0])
    frame = candidates(cost_gbp=[1.0, 1.0, 1.0])
    plan = solve(frame, MaximiseCoverage(Coverage(matrix, weights)), [Count(2)])
    assert set(plan.selected_ids) == {"c0", "c1"}
    assert plan.objective == pytest.approx(10.0)
    table = plan.table.set_index("candidate_id")
    assert table.loc["c0", "marginal_value"] == pytest.approx(5.0)  # demand only c0 covers
    assert table.loc["c2", "marginal_value"] == pytest.approx(3.0)  # demand it would add


def test_an_unchosen_capacitated_site_is_worth_its_capacity_at_most():
    # points 0..2 of 4 EVs each; c0 reaches {0, 1} and serves 8, c1 reaches {1, 2} but
    # serves 2; one site: c0 (8). c1 would add point 2's 4 EVs uncovered, but can serve 2
    matrix = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]]))
    coverage = Coverage(matrix, np.array([4.0, 4.0, 4.0]), capacity=np.array([8.0, 2.0]))
    plan = solve(candidates(cost_gbp=[1.0, 1.0]), MaximiseCoverage(coverage), [Count(1)])
    assert set(plan.selected_ids) == {"c0"}
    table = plan.table.set_index("candidate_id")
    assert table.loc["c0", "marginal_value"] == pytest.approx(8.0)
    assert table.loc["c1", "marginal_value"] == pytest.approx(2.0)  # not 4: its capacity


def test_capacitated_covering_by_hand():
    # one site covers all three points (weights 4, 4, 4) but can serve only 6
    matrix = sp.csr_matrix(np.ones((3, 1)))
    plan = solve(candidates(cost_gbp=[1.0]),
                 MaximiseCoverage(Coverage(matrix, np.array([4.0, 4.0, 4.0]),
                                           capacity=np.array([6.0]))))
    assert plan.objective == pytest.approx(6.0)


def test_binding_skips_rows_whose_variables_are_all_zero():
    # d0 (weight 4) is reachable from c0 and c1, d1 (weight 1) from c0 only; each site costs
    # 2 and the budget 2 buys one. c0 covers 4 + 1 = 5 (its capacity 5: full), c1 only 4,
    # so c0 is chosen. Budget: 2 <= 2 with x_c0 = 1, binding. c0 capacity row:
    # 4 z + 1 z - 5 x_c0 = 0 <= 0 with non-zero variables, binding. c1 capacity row:
    # 0 - 5 * 0 = 0 <= 0 only because every variable in it is zero, so not binding.
    matrix = sp.csr_matrix(np.array([[1, 1], [1, 0]]))
    coverage = Coverage(matrix, np.array([4.0, 1.0]), capacity=np.array([5.0, 5.0]))
    plan = solve(candidates(cost_gbp=[2.0, 2.0]), MaximiseCoverage(coverage), [Budget(2.0)])
    assert plan.selected_ids == ("c0",)
    assert plan.objective == pytest.approx(5.0)
    assert set(plan.binding) == {"budget cost_gbp", "coverage capacity c0"}
    assert "coverage capacity c1" not in plan.binding


def test_each_district_minimum_keeps_its_own_rows():
    frame = candidates(cost_gbp=[4.0, 2.0], tco2e_per_yr=[3.0, 1.0], district_id=["A", "B"])
    constraints = [DistrictMinimum("cost_gbp", amount={"B": 2.0}),
                   DistrictMinimum("tco2e_per_yr", share=0.1),
                   DistrictMinimum("cost_gbp", share=0.2)]
    compiled = PlanningProblem(frame, MaximiseBenefit(RAW, normalise=False),
                               constraints).compile()
    handles, labels = compiled.context.handles, compiled.model.row_label
    assert list(labels[handles["minimum:cost_gbp"]]) == ["minimum cost_gbp B"]
    assert list(labels[handles["minimum:tco2e_per_yr"]]) == [
        "minimum share tco2e_per_yr A", "minimum share tco2e_per_yr B"]
    assert list(labels[handles["minimum:cost_gbp:2"]]) == [
        "minimum share cost_gbp A", "minimum share cost_gbp B"]
    # the plain "minimum" handle stays the first minimum's rows, not the last one's
    assert list(labels[handles["minimum"]]) == ["minimum cost_gbp B"]


def test_coverage_floor_per_district():
    matrix = sp.csr_matrix(np.array([[1, 0], [0, 1]]))
    coverage = Coverage(matrix, np.array([10.0, 1.0]), demand_district=np.array(["A", "B"]))
    frame = candidates(cost_gbp=[1.0, 1.0])
    assert solve(frame, MaximiseCoverage(coverage), [Count(1)]).selected_ids == ("c0",)
    plan = solve(frame, MaximiseCoverage(coverage), [Count(1), CoverageFloor({"B": 0.5})])
    assert plan.selected_ids == ("c1",)


def test_compactness_bonus_prefers_neighbours():
    # a row of parcels c0 - c1 - c2 plus a lone c3; choose 2: equal benefit, so the bonus
    # picks an adjacent pair
    frame = candidates(tco2e_per_yr=[1.0, 1.0, 1.0, 1.05])
    pairs = pd.DataFrame({"a": ["c0", "c1"], "b": ["c1", "c2"], "shared_m": [100.0, 100.0]})
    plain = solve(frame, constraints=[Count(2)])
    assert "c3" in plain.selected_ids
    plan = solve(frame, [MaximiseBenefit(RAW, normalise=False), Compactness(pairs, 0.001)],
                 [Count(2)])
    assert plan.objective == pytest.approx(2.1)
    assert "c3" not in plan.selected_ids


def test_phasing_counts_benefit_from_the_year_built():
    # each period can afford one; the bigger benefit goes first (counts 21 years vs 11)
    frame = candidates(cost_gbp=[1.0, 1.0], tco2e_per_yr=[2.0, 1.0])
    plan = solve(frame, constraints=[Budget({2030: 1.0, 2040: 1.0}, by="period")],
                 periods=(2030, 2040), horizon=2050)
    table = plan.table.set_index("candidate_id")
    assert table.loc["c0", "period"] == 2030
    assert table.loc["c1", "period"] == 2040
    assert plan.objective == pytest.approx(2.0 * 21 + 1.0 * 11)


def test_phased_headroom_counts_loads_built_earlier():
    frame = candidates(tco2e_per_yr=[2.0, 1.0], peak_kw_added=[60.0, 60.0],
                       substation_id=["P1", "P1"])
    limits = pd.DataFrame({"substation_id": ["P1", "P1"], "year": [2030, 2040],
                           "headroom_kw": [60.0, 100.0]})
    plan = solve(frame, constraints=[Headroom(limits, GRID)], periods=(2030, 2040))
    assert plan.selected_ids == ("c0",)  # 120 kW never fits, even by 2040


def test_mixed_senses_are_refused():
    frame = candidates(tco2e_per_yr=[1.0])
    with pytest.raises(ScenarioError, match="one sense"):
        solve(frame, [MaximiseBenefit(RAW), MinimiseCost({"tco2e_per_yr": 1.0})])


def test_bad_candidate_numbers_are_listed():
    frame = candidates(cost_gbp=[-1.0, 2.0], tco2e_per_yr=[1.0, "lots"])
    with pytest.raises(ScenarioError) as caught:
        solve(frame, constraints=[Budget(3.0)])
    text = str(caught.value)
    assert "column 'tco2e_per_yr'" in text
    assert "'lots' is not a finite number" in text
    assert "-1 is below 0" in text


def test_unknown_district_in_a_budget_is_named():
    frame = candidates(tco2e_per_yr=[1.0], district_id=["A"])
    with pytest.raises(ScenarioError, match="no candidate has district_id 'Oxford'"):
        solve(frame, constraints=[Budget({"Oxford": 1.0}, by="district_id")])


def test_target_row_and_epsilon_curve_trade_off_two_criteria():
    from geoplan.optimise import Target, epsilon_curve, weighted_sum_curve

    # budget 2: best carbon is c0 + c1 (10 + 8, equity 0 + 1); equity needs c2 (carbon 1)
    frame = candidates(cost_gbp=[1.0, 1.0, 1.0], tco2e_per_yr=[10.0, 8.0, 1.0],
                       fuel_poor=[0.0, 1.0, 5.0])
    problem = PlanningProblem(frame, MaximiseBenefit(RAW, normalise=False), [Budget(2.0)])
    assert problem.solve().objective == pytest.approx(18.0)
    with_target = PlanningProblem(frame, MaximiseBenefit(RAW, normalise=False),
                                  [Budget(2.0), Target("fuel_poor", 5.0)]).solve()
    assert with_target.objective == pytest.approx(11.0)  # c0 + c2
    curve = epsilon_curve(problem, "fuel_poor", [0.0, 1.0, 5.0, 6.0, 7.0])
    assert curve["objective"].tolist()[:4] == pytest.approx([18.0, 18.0, 11.0, 9.0])
    assert curve["status"].tolist() == ["optimal"] * 4 + ["infeasible"]
    assert curve["fuel_poor_achieved"].tolist()[:4] == pytest.approx([1.0, 1.0, 5.0, 6.0])
    sums = weighted_sum_curve(problem, "tco2e_per_yr", "fuel_poor", [0.0, 1.0])
    assert sums["tco2e_per_yr_achieved"].tolist() == pytest.approx([18.0, 9.0])
