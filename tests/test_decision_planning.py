"""Decision support on a run (geoplan.planning.decision, geoplan.outputs.decision), tiny plans."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geoplan.assumptions import AssumptionSet
from geoplan.optimise import MaximiseBenefit
from geoplan.outputs.decision import (
    MAP_LAYER,
    decision_summary,
    robust_core_layer,
    with_decision_columns,
    write_decision,
)
from geoplan.outputs.map import plan_map
from geoplan.planning.decision import carbon_columns, decision_support, robustness_scales
from geoplan.planning.joint import solve_joint
from geoplan.planning.solve import PlanResult
from geoplan.scenario import known_tables, load_scenario
from geoplan.scenario.models import DecisionSupportSection
from geoplan.workstreams.parts import ModelParts

ROOT = Path(__file__).resolve().parents[1]


def _stacked() -> pd.DataFrame:
    return pd.DataFrame({
        "candidate_id": ["r1", "l1", "s1", "s2", "c1"],
        "workstream": ["retrofit", "laep", "sequestration", "sequestration", "chargers"],
        "option": ["", "", "woodland_creation", "hedgerow", ""],
        "charger_kw": [0.0, 0.0, 0.0, 0.0, 7.0], "homes": [4.0, 1.0, 0.0, 0.0, 0.0],
        "cost_gbp": [1.0, 1.0, 1.0, 4.0, 1.0], "land_cost_gbp": [0.0, 0.0, 0.0, 1.0, 0.0],
        "tco2e_per_yr": [10.0, 5.0, 2.0, 1.0, 3.0],
        "tco2e_per_yr_low": [8.0, 5.0, 2.0, 1.0, 3.0],
        "tco2e_per_yr_high": [13.0, 5.0, 2.0, 1.0, 3.0],
        "retrofit__lifetime_tco2e_2030": [100.0, 0.0, 0.0, 0.0, 0.0]})


def test_robustness_scales_follow_the_bounded_assumptions_and_epc_errors() -> None:
    table = _stacked()
    assumptions = AssumptionSet(known_tables(), {}, [])
    seq = assumptions.table("sequestration").set_index("land_use")
    types = assumptions.table("charger_types")
    errors = assumptions.table("epc_errors").set_index("item").loc["floor_area_factor"]
    scales = {s.name: s for s in robustness_scales(table, assumptions)}
    assert set(carbon_columns(table)) == {"tco2e_per_yr", "tco2e_per_yr_low",
                                          "tco2e_per_yr_high", "retrofit__lifetime_tco2e_2030"}
    wood = seq.loc["hedgerow"]
    rate = scales["sequestration hedgerow seq_tco2e_per_ha_yr"]
    assert rate.rows.tolist() == [3]
    assert rate.shared
    base = float(wood["seq_tco2e_per_ha_yr"])
    assert rate.low.tolist() == pytest.approx([float(wood["seq_tco2e_per_ha_yr_low"]) / base])
    assert rate.high.tolist() == pytest.approx([float(wood["seq_tco2e_per_ha_yr_high"]) / base])
    land = scales["sequestration hedgerow land_cost_gbp_per_ha"]
    cost = float(wood["land_cost_gbp_per_ha"])
    assert (land.rows.tolist(), land.columns, land.shared) == ([3], ("cost_gbp",), True)
    # a quarter of the cost is land: the cost moves by a quarter of the land cost's change
    assert land.low.tolist() == pytest.approx(
        [1 + 0.25 * (float(wood["land_cost_gbp_per_ha_low"]) / cost - 1)])
    assert land.high.tolist() == pytest.approx(
        [1 + 0.25 * (float(wood["land_cost_gbp_per_ha_high"]) / cost - 1)])
    seven = types[pd.to_numeric(types["charger_kw"]) == 7.0].iloc[0]
    ev = next(s for n, s in scales.items() if n.startswith("charger_types")
              and s.rows.tolist() == [4])
    assert ev.high.tolist() == pytest.approx([float(seven["tco2e_per_ev_yr_high"])
                                              / float(seven["tco2e_per_ev_yr"])])
    heat = scales["stock_bands all bands heat_kwh_per_m2"]
    assert (heat.rows.tolist(), heat.low.tolist(), heat.high.tolist()) == ([0], [0.8], [1.3])
    area = scales["epc_errors floor_area_factor"]
    half = float(errors["value_high"]) - 1.0
    assert area.rows.tolist() == [0, 1]
    assert not area.shared
    # 4 homes with independent errors: half the one home's range (1 / sqrt(4))
    assert area.high.tolist() == pytest.approx([1 + half / 2, 1 + half])
    assert "epc_errors floor_area_factor" not in {
        s.name for s in robustness_scales(table, assumptions, floor_area=False)}


def _candidates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "candidate_id": [f"retrofit:z{i}" for i in range(5)], "workstream": "retrofit",
        "zone_id": [f"z{i}" for i in range(5)], "district_id": "D1", "substation_id": "P1",
        "cost_gbp": [3.0, 2.0, 4.0, 1.0, 2.0], "tco2e_per_yr": [9.0, 5.0, 10.0, 2.0, 4.5],
        "peak_kw_added": [0.0] * 5, "homes": [50.0] * 5,
        "geometry": [Point(i, 0) for i in range(5)]}, crs="EPSG:27700")


def _best(budget: float, without: str | None = None) -> tuple[float, frozenset[str]]:
    table = _candidates()
    found = []
    for mask in itertools.product([False, True], repeat=len(table)):
        chosen = table[list(mask)]
        if chosen["cost_gbp"].sum() <= budget and without not in set(chosen["candidate_id"]):
            found.append((float(chosen["tco2e_per_yr"].sum()),
                          frozenset(chosen["candidate_id"])))
    return max(found, key=lambda item: item[0])


def test_decision_support_of_a_run_against_brute_force(tmp_path: Path) -> None:
    table = _candidates()
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}, normalise=False),), ())
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [1000.0]})
    joint = solve_joint({"retrofit": table}, {"retrofit": parts}, headroom=limits,
                        grid={"P1": None}, total_budget_gbp=7.0)
    plans = PlanResult("joint", {"joint": joint}, dict(joint.tables))
    section = DecisionSupportSection.model_validate({
        "replacement_cost": {"top": 10}, "limit_values": {"enabled": True,
                                                          "budget_step_gbp": 1.0},
        "portfolio": {"plans": 2, "within": 0.5}, "robustness": {"samples": 3, "seed": 4}})
    scenario = load_scenario(ROOT / "scenarios" / "joint.yaml").model_copy(
        update={"decision_support": section})
    assumptions = AssumptionSet(known_tables(), {}, [])
    found = decision_support(scenario, plans, None, assumptions)  # type: ignore[arg-type]
    assert found is not None
    best, chosen = _best(7.0)
    assert set(found.replacement["candidate_id"]) == chosen
    for row in found.replacement.itertuples():
        assert row.replacement_cost == pytest.approx(best - _best(7.0, row.candidate_id)[0])
    budget = found.limits[found.limits["family"] == "budget"]
    assert budget["value"].tolist() == pytest.approx([_best(8.0)[0] - best])
    assert found.portfolio["objective"].iloc[0] == pytest.approx(best)
    assert len(found.portfolio) == 2
    frequency = found.candidates.set_index("candidate_id")
    assert frequency["robust_frequency"].between(0, 1).all()
    assert frequency["robust_core"].tolist() == (
        frequency["in_plan"] & (frequency["robust_frequency"] >= 0.9)).tolist()
    # the run's files and layers
    tables = with_decision_columns(plans.tables, found)
    merged = tables["retrofit"].set_index("candidate_id")
    assert merged["replacement_cost"].notna().tolist() == [c in chosen for c in merged.index]
    core = robust_core_layer(tables)
    assert core is not None
    assert sorted(core["candidate_id"]) == sorted(frequency.index[frequency["robust_core"]])
    assert core["selected"].all()
    drawn = plan_map({**tables, MAP_LAYER: core}).get_root().render()
    assert MAP_LAYER in drawn
    written = write_decision(found, tmp_path)
    assert sorted(p.name for p in written) == ["candidate_frequency.csv", "limit_values.csv",
                                               "portfolio.csv", "replacement_cost.csv"]
    section_out = decision_summary(found)
    assert any("re-solve" in s for s in section_out["statements"])
    # the budget row is over integer choices alone: its LP dual at the plan is 0
    assert budget["lp_dual_value"].tolist() == [0.0]
    assert any("LP dual at the plan, its choices held: +0)" in s
               for s in section_out["statements"])
    assert len(section_out["rows"]) == len(chosen)


def test_decision_support_is_off_by_default() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "joint.yaml")
    assert not scenario.decision_support.any()
    plans = PlanResult("joint", {}, {})
    assert decision_support(scenario, plans, None, None) is None  # type: ignore[arg-type]


def test_summary_says_in_words_when_a_replacement_cost_is_no_number() -> None:
    from geoplan.planning.decision import DecisionSupport

    replacement = pd.DataFrame({"model": "joint", "candidate_id": ["a", "b", "c"],
                                "marginal_value": [5.0, 4.0, 3.0],
                                "replacement_cost": [float("inf"), 2.0, float("nan")],
                                "replacement_cost_low": [float("inf"), 1.5, float("nan")],
                                "replacement_status": ["infeasible", "optimal", "not run"]})
    found = DecisionSupport(replacement, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), ())
    rows = decision_summary(found)["rows"]
    assert [r["replacement cost"] for r in rows] == ["no plan without it", 2.0,
                                                     "not run (time limit)"]
    assert [r["at least"] for r in rows] == ["no plan without it", 1.5, "not run (time limit)"]


def test_summary_says_when_a_limit_was_not_valued() -> None:
    from geoplan.planning.decision import DecisionSupport

    limits = pd.DataFrame({"model": "joint", "constraint": ["budget total", "budget 2030"],
                           "family": "budget", "unit": "£1,000,000 more budget",
                           "step": 1e6, "value": [2.5, float("nan")],  # (-0.0 below)
                           "status": ["optimal", "not run"], "method": "re-solve"})
    found = DecisionSupport(pd.DataFrame(), limits, pd.DataFrame(), pd.DataFrame(), ())
    lines = decision_summary(found)["statements"]
    assert lines == ["£1,000,000 more budget at budget total: +2.5 objective (re-solve, "
                     "optimal)", "£1,000,000 more budget at budget 2030: not run (time limit) "
                     "(re-solve, not run)"]
    zero = DecisionSupport(pd.DataFrame(), limits.assign(value=[-0.0, 1.0]), pd.DataFrame(),
                           pd.DataFrame(), ())
    assert "budget total: +0 objective" in decision_summary(zero)["statements"][1]
