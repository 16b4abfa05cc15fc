"""geoplan.testing: the assertion helpers fail exactly when a layer or plan is wrong."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geoplan.optimise import Budget, MaximiseBenefit, PlanningProblem
from geoplan.testing import assert_layer_schema, assert_plan_feasible


def _zones(crs: str = "EPSG:27700") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": ["z1", "z2"], "zone_name": ["A", "B"],
                             "district_id": ["E07000178", "E07000178"],
                             "district_name": ["Oxford", "Oxford"]},
                            geometry=[box(450000, 200000, 451000, 201000),
                                      box(451000, 200000, 452000, 201000)], crs=crs)


def test_a_canonical_layer_passes() -> None:
    assert_layer_schema(_zones(), "zones")


@pytest.mark.parametrize(("change", "words"), [
    (lambda z: z.drop(columns="zone_name"), "zone_name"),
    (lambda z: z.assign(zone_id=["z1", "z1"]), "z1"),
    (lambda z: z.to_crs("EPSG:4326"), "EPSG"),
])
def test_a_broken_layer_fails_naming_the_problem(change, words: str) -> None:
    with pytest.raises(AssertionError, match=words):
        assert_layer_schema(change(_zones()), "zones")


def test_an_unknown_layer_name_is_named() -> None:
    with pytest.raises(AssertionError, match="unknown layer 'zone'"):
        assert_layer_schema(_zones(), "zone")


def _plan(selected: list[bool]) -> pd.DataFrame:
    return pd.DataFrame({"candidate_id": ["a", "b", "c"], "selected": selected,
                         "cost_gbp": [60.0, 50.0, 30.0], "group_id": ["z1", "z1", "z2"],
                         "substation_id": ["p1", "p1", "p2"],
                         "peak_kw_added": [80.0, 30.0, 40.0]})


@pytest.mark.parametrize(("selected", "words"), [
    ([True, False, True], None),
    ([True, True, False], "groups \\['z1'\\]"),
    ([False, True, True], "over the budget 70"),
])
def test_plan_limits_by_hand(selected: list[bool], words: str | None) -> None:
    limits = {"budget_gbp": 70 if words and "budget" in words else 100,
              "headroom_kw": {"p1": 200, "p2": 40}}
    if words is None:
        assert_plan_feasible(_plan(selected), **limits)
    else:
        with pytest.raises(AssertionError, match=words):
            assert_plan_feasible(_plan(selected), **limits)


def test_headroom_overload_is_named_with_its_size() -> None:
    with pytest.raises(AssertionError, match="110 kW added at p1, over its 100 kW"):
        assert_plan_feasible(_plan([True, True, False]).assign(group_id=["x", "y", "z"]),
                             headroom_kw={"p1": 100})


def test_a_solved_plan_keeps_its_budget() -> None:
    candidates = _plan([False] * 3).drop(columns="selected").assign(tco2e_per_yr=[5.0, 4.0, 3.0])
    plan = PlanningProblem(candidates, MaximiseBenefit({"tco2e_per_yr": 1.0}),
                           [Budget(90.0)]).solve()
    assert_plan_feasible(plan.table, budget_gbp=90.0)
    assert plan.table["selected"].sum() >= 1
