"""geoplan.planning pieces that the end-to-end run does not isolate."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geoplan.errors import InfeasibleError, LayerSchemaError
from geoplan.finance import finance_summary
from geoplan.optimise import MaximiseBenefit
from geoplan.planning import _fair, _require_plan, reinforcement_options
from geoplan.scenario.models import GridSection, PlanSection, ReinforcementSection
from geoplan.workstreams.joint import solve_joint
from geoplan.workstreams.parts import ModelParts


def _candidates(cost: list[float], district: list[str], locked: list[bool]) -> gpd.GeoDataFrame:
    n = len(cost)
    return gpd.GeoDataFrame({
        "candidate_id": [f"retrofit:z{i}" for i in range(n)], "workstream": "retrofit",
        "group_id": [f"g{i}" for i in range(n)], "zone_id": [f"z{i}" for i in range(n)],
        "district_id": district, "substation_id": "P1", "cost_gbp": cost,
        "tco2e_per_yr": [10.0] * n, "peak_kw_added": [0.0] * n, "locked_in": locked,
        "geometry": [Point(i, 0) for i in range(n)]}, crs="EPSG:27700")


def _solve(table: gpd.GeoDataFrame, parts: ModelParts, budget: float) -> object:
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [1000.0]})
    return solve_joint({"retrofit": table}, {"retrofit": parts}, headroom=limits,
                       grid={"P1": None}, total_budget_gbp=budget)


def test_a_model_without_a_plan_stops_the_run_saying_why() -> None:
    # One locked-in candidate costing 5 under a total budget of 3: no plan exists.
    table = _candidates([5.0], ["D1"], [True])
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}),), ())
    solved = _solve(table, parts, budget=3.0)
    with pytest.raises(InfeasibleError, match=r"the joint plan has no solution \(infeasible\)"
                       r".*budget"):
        _require_plan("joint", solved)


def test_district_minimum_share_spreads_the_spend() -> None:
    # D1 has two candidates of cost 1, D2 one of cost 1; budget 2. Every candidate saves the
    # same, so without a minimum any two are optimal; with "each district at least 40% of
    # the spend", D2's candidate must be one of the two (1/2 = 50% >= 40%).
    table = _candidates([1.0, 1.0, 1.0], ["D1", "D1", "D2"], [False, False, False])
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}),), ())
    fair = _fair(parts, 0.4)
    assert _fair(parts, None) is parts
    solved = _solve(table, fair, budget=2.0)
    chosen = solved.tables["retrofit"]
    assert chosen["selected"].sum() == 2
    assert bool(chosen.loc[chosen["district_id"] == "D2", "selected"].iloc[0])


def test_reinforcement_options_cover_each_priced_level() -> None:
    scenario = SimpleNamespace(
        grid=GridSection(reinforcement=ReinforcementSection(enabled=True)),
        plan=PlanSection(years=[2025, 2030]))
    subs = pd.DataFrame({"substation_id": ["p1", "p2", "b1", "g1"],
                         "level": ["primary", "primary", "bsp", "gsp"]})
    layers = SimpleNamespace(substations=subs)
    table = pd.DataFrame({"level": ["primary", "bsp"], "capacity_mva": [10.0, 30.0],
                          "cost_gbp_per_mva": [150_000.0, 120_000.0],
                          "lead_time_years": [5.0, 7.0]})
    options = reinforcement_options(scenario, layers, table)
    # primary: 10 MVA -> 10,000 kW for 1.5m GBP, ready 2025 + 5; bsp: 30 MVA for 3.6m, 2032
    assert list(options["substation_id"]) == ["p1", "p2", "b1"]
    assert list(options["capacity_kw"]) == [10_000.0, 10_000.0, 30_000.0]
    assert list(options["cost_gbp"]) == [1_500_000.0, 1_500_000.0, 3_600_000.0]
    assert list(options["ready_year"]) == [2030, 2030, 2032]
    with pytest.raises(LayerSchemaError, match="prices no level"):
        reinforcement_options(scenario, layers, table.assign(level="secondary"))
    off = SimpleNamespace(grid=GridSection(), plan=scenario.plan)
    assert reinforcement_options(off, layers, table) is None


def test_finance_refuses_a_baseline_with_several_years_per_district() -> None:
    plan = pd.DataFrame({"candidate_id": ["a"], "workstream": ["retrofit"],
                         "district_id": ["D1"], "selected": [True], "period": [2025],
                         "cost_gbp": [100.0], "tco2e_per_yr": [1.0],
                         "saving_gbp_per_yr": [10.0], "lifetime_years": [20.0]})
    baseline = pd.DataFrame({"district_id": ["D1", "D1"], "year": [2019, 2020],
                             "tco2e": [500.0, 480.0]})
    with pytest.raises(LayerSchemaError, match=r"several rows.*latest_emissions"):
        finance_summary(plan, baseline=baseline)
