"""Charger carbon counted once per EV: the lifetime objective and the chosen sites' figures.

Every expected figure is worked by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import ScenarioError
from geoplan.optimise import Budget, MaximiseCoverage, PeriodCoverage, PlanningProblem
from geoplan.optimise.objectives import Coverage
from geoplan.optimise.tradeoff import plan_values
from geoplan.planning.charger_carbon import carbon_of_served, coverage_carbon, served_once
from geoplan.planning.phasing import lifetime_columns, lifetime_parts
from geoplan.workstreams.parts import ModelParts

# three sites: twins a and b reach the same 10 EVs (point 0); c alone reaches 6 EVs (point 1)
REACH = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
DEMAND = np.array([10.0, 6.0])


def _sites(**extra: list[object]) -> pd.DataFrame:
    # each site's own figures: 1 tCO2e/yr per EV served, 10 years
    return pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [1.0, 1.0, 1.0],
                         "demand_covered": [10.0, 10.0, 6.0],
                         "tco2e_per_yr": [10.0, 10.0, 6.0], "lifetime_years": [10.0] * 3,
                         **extra})


def test_the_lifetime_objective_does_not_reward_a_twin_of_a_chosen_site() -> None:
    # money for two sites. Adding site figures, a + b is worth 200 t against a + c's 160 t;
    # counting each EV once, a twin adds nothing: a (or b) + c is worth (10 + 6) x 10 = 160 t
    table = lifetime_columns(_sites(), [2030])
    coverage = MaximiseCoverage(Coverage(REACH, DEMAND), weight=0.0, name="evs")
    parts = lifetime_parts(ModelParts((coverage,), ()), table, [2030], {})
    assert [type(t).__name__ for t in parts.objective] == ["MaximiseCoverage", "PeriodCoverage"]
    plan = PlanningProblem(table, parts.objective, (Budget(2.0),)).solve()
    assert plan.objective == pytest.approx(160.0)
    assert "c" in set(plan.selected_ids)


def test_classes_worth_different_tonnes_per_ev_are_refused() -> None:
    table = lifetime_columns(_sites(), [2030])
    table.loc[2, "lifetime_tco2e_2030"] = 90.0  # c: 15 t per EV, the twins 10
    coverage = MaximiseCoverage(Coverage(REACH, DEMAND), name="evs")
    with pytest.raises(ScenarioError, match=r"differ in lifetime tCO2e per EV.*10 to 15"):
        coverage_carbon(coverage, table, {2030: "lifetime_tco2e_2030"})


def _plan(selected: list[bool], period: list[object]) -> pd.DataFrame:
    return _sites(selected=selected, period=period)


def test_uncapacitated_each_point_goes_to_the_sites_reaching_it_first() -> None:
    years = [2025, 2030]
    # a (2025) reaches point 0 first and serves all 10; b (2030) serves nothing; c serves 6
    served = served_once(_plan([True, True, True], [2030, 2025, 2030]),
                         Coverage(REACH, DEMAND), ["a", "b", "c"], years=years)
    assert served.tolist() == [0.0, 10.0, 6.0]
    # built in the same period, the twins share point 0 equally
    served = served_once(_plan([True, True, False], [2025, 2025, None]),
                         Coverage(REACH, DEMAND), ["a", "b", "c"], years=years)
    assert served.tolist() == [5.0, 5.0, 0.0]


def test_capacitated_assignment_fills_the_earlier_site_first() -> None:
    # capacities a 4, b 8, c 3. Point 0's 10 EVs: a (2025) first, 4 of them (a full), b
    # (2030) the other 6; c serves 3 of point 1's 6. Each site <= its capacity, each EV once.
    served = served_once(_plan([True, True, True], [2025, 2030, 2030]),
                         Coverage(REACH, DEMAND, capacity=np.array([4.0, 8.0, 3.0])),
                         ["a", "b", "c"], years=[2025, 2030], values=[12.0, 9.0])
    assert served == pytest.approx([4.0, 6.0, 3.0])


def test_chosen_rows_carbon_follows_the_evs_they_serve() -> None:
    table = lifetime_columns(_plan([True, True, False], [2025, 2025, None]), [2025])
    out = carbon_of_served(table, np.array([5.0, 5.0, 0.0]))
    # a and b serve 5 of their 10: half their carbon; c, not chosen, keeps its own figures
    assert out["evs_served"].tolist()[:2] == [5.0, 5.0]
    assert np.isnan(out["evs_served"].iloc[2])
    assert out["tco2e_per_yr"].tolist() == [5.0, 5.0, 6.0]
    assert out["lifetime_tco2e_2025"].tolist() == [50.0, 50.0, 60.0]
    assert out["demand_covered"].tolist() == [10.0, 10.0, 6.0]  # reach unchanged


def test_the_unphased_term_adds_the_rate_to_the_coverage_it_reads() -> None:
    # one period: the term's value is rate x EVs covered once; twins a+b cover only 10
    table = _sites()
    coverage = MaximiseCoverage(Coverage(REACH, DEMAND), weight=0.0, name="evs")
    plan = PlanningProblem(table, (coverage, PeriodCoverage("evs", {2030: 3.0})),
                           (Budget(2.0),)).solve()
    assert plan.objective == pytest.approx(3.0 * 16.0)


def test_the_curve_counts_a_plan_s_charger_tonnes_once() -> None:
    # both twins and c built (money for three): 16 EVs x 10 t = 160 t of lifetime tonnes,
    # not the 260 t the three sites' own columns add up to; the objective agrees
    table = lifetime_columns(_sites(), [2030])
    coverage = MaximiseCoverage(Coverage(REACH, DEMAND), weight=0.0, name="evs")
    parts = lifetime_parts(ModelParts((coverage,), ()), table, [2030], {})
    compiled = PlanningProblem(table, parts.objective, (Budget(3.0),)).compile()
    plan = PlanningProblem(table, parts.objective, (Budget(3.0),)).solve()
    x = np.asarray(plan.solution)
    x[:3] = 1.0  # every site chosen (b adds nothing, so the solver may leave it out)
    values = plan_values(compiled, x, period_columns={2030: "lifetime_tco2e_2030"})
    assert values["period_value"] == pytest.approx(160.0)
    assert compiled.model.objective(x) == pytest.approx(160.0)
