"""Sequestration land: candidates, maximise and offset plans, insetting, and the sample county.

Rates used in the tiny fixtures (a table given in code): woodland 10 tCO2e/ha/yr at
1,000 GBP/ha with a 20% buffer (8 t net per ha); peat 5 t/ha/yr at 200 GBP/ha, no buffer.
Those fixtures are flat rates (no time profile, :data:`NO_PROFILE`) on drained peat
(:data:`DRAINED`); the Woodland Carbon Code time profile, buffers, land cost and the peat
additionality rule are checked on their own small tables at the end.
"""

from __future__ import annotations

from itertools import combinations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geoplan.errors import InfeasibleError, LayerSchemaError, ScenarioError, SourceFormatError
from geoplan.optimise import PlanningProblem, SolverOptions
from geoplan.workstreams.sequestration import (
    SequestrationSettings,
    insetting_credit,
    read_sequestration_rates,
    sequestration_candidates,
    sequestration_model,
)

CRS = "EPSG:27700"
RATES = pd.DataFrame({"land_use": ["woodland_creation", "peat_restoration"],
                      "seq_tco2e_per_ha_yr": [10.0, 5.0], "cost_gbp_per_ha": [1000.0, 200.0],
                      "buffer_share": [0.2, 0.0], "lifetime_years": [100.0, 30.0],
                      "note": "", "source": "test"})
DRAINED = pd.DataFrame({"condition": ["drained", "near_natural"], "degraded": [1.0, 0.0],
                        "emission_tco2e_per_ha_yr": [5.0, 0.0],
                        "restored_tco2e_per_ha_yr": [0.0, 0.0]})
"""Peat condition table of the fixtures: drained peat avoids 5 t/ha/yr when restored."""
NO_PROFILE = pd.DataFrame(columns=["land_use", "age_years", "cumulative_tco2e_per_ha"])
"""A time profile table with no rows: every land use keeps its flat rate."""
EMISSIONS = pd.DataFrame({"district_id": ["D1", "D1", "D2"], "district_name": ["One", "One",
                                                                              "Two"],
                          "year": [2019, 2020, 2020], "tco2e": [999.0, 300.0, 200.0]})


def _land(rows: list[tuple[str, str, str, float, tuple[float, ...]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": [r[0] for r in rows], "land_class": "x", "land_use": [r[2] for r in rows],
         "area_ha": [r[3] for r in rows], "seq_tco2e_per_yr": 0.0, "cost_gbp": 0.0,
         "zone_id": "", "district_id": [r[1] for r in rows], "peat_condition": "drained"},
        geometry=[box(*r[4]) for r in rows], crs=CRS)


# district D1: p1 woodland 2 ha (16 t, 2,000), p2 peat 2 ha (10 t, 400), p3 peat 1 ha (5 t, 200)
# district D2: p4 woodland 1 ha (8 t, 1,000), p5 peat 3 ha (15 t, 600); squares far apart
OFFSET_LAND = [("p1", "D1", "woodland_creation", 2.0, (0, 0, 100, 200)),
               ("p2", "D1", "peat_restoration", 2.0, (1000, 0, 1100, 200)),
               ("p3", "D1", "peat_restoration", 1.0, (2000, 0, 2100, 100)),
               ("p4", "D2", "woodland_creation", 1.0, (3000, 0, 3100, 100)),
               ("p5", "D2", "peat_restoration", 3.0, (4000, 0, 4100, 300))]


def _flat(land, settings=None, **given):
    """Candidates at the flat rates of the table given (no time profile)."""
    return sequestration_candidates(land, settings, profile=NO_PROFILE, peat=DRAINED, **given)


def _solve(candidates, parts):
    return PlanningProblem(candidates, parts.objective, parts.constraints).solve()


def test_candidate_numbers_match_hand_calculation():
    candidates = _flat(_land(OFFSET_LAND), sequestration=RATES).set_index(
        "candidate_id")
    # p1: 10 t/ha x 2 ha = 20 gross, x (1 - 0.2) = 16 net; 1,000 x 2 = 2,000 GBP
    p1 = candidates.loc["sequestration:p1"]
    assert (p1["seq_gross_tco2e_per_yr"], p1["tco2e_per_yr"], p1["cost_gbp"]) == (20, 16, 2000)
    # p5: 5 x 3 = 15 t (no buffer), 200 x 3 = 600 GBP
    p5 = candidates.loc["sequestration:p5"]
    assert (p5["sequestered_tco2e_per_yr"], p5["cost_gbp"], p5["area_ha"]) == (15, 600, 3)
    assert p5["lifetime_years"] == 30
    assert p5["peak_kw_added"] == 0
    assert p5["group_id"] == "sequestration:p5"
    assert p5["option"] == "peat_restoration"


def test_land_uses_and_small_parcels_filter_candidates():
    settings = SequestrationSettings(land_uses=("peat_restoration",), min_area_ha=1.5)
    candidates = _flat(_land(OFFSET_LAND), settings, sequestration=RATES)
    assert candidates["parcel_id"].tolist() == ["p2", "p5"]  # p3 is 1 ha < 1.5
    with pytest.raises(LayerSchemaError, match=r"land_uses \['orchard'\] have no row"):
        _flat(_land(OFFSET_LAND), SequestrationSettings(
            land_uses=("orchard",)), sequestration=RATES)


def test_maximise_under_budget_matches_brute_force():
    candidates = _flat(_land(OFFSET_LAND), sequestration=RATES)
    settings = SequestrationSettings(budget_gbp=1_500)
    plan = _solve(candidates, sequestration_model(candidates, settings))
    table = candidates.set_index("parcel_id")
    best = max(sum(table.loc[list(s), "tco2e_per_yr"])
               for k in range(6) for s in combinations(table.index, k)
               if sum(table.loc[list(s), "cost_gbp"]) <= 1_500)
    # hand: p2 + p3 + p5 = 10 + 5 + 15 = 30 t for 400 + 200 + 600 = 1,200 GBP
    assert best == 30
    assert plan.objective == pytest.approx(30)
    assert plan.table.loc[plan.table["selected"], "cost_gbp"].sum() <= 1_500


def test_offset_mode_meets_each_district_target_at_least_cost():
    candidates = _flat(_land(OFFSET_LAND), sequestration=RATES)
    settings = SequestrationSettings(mode="offset", offset_share=0.05)
    plan = _solve(candidates, sequestration_model(candidates, settings, emissions=EMISSIONS))
    # targets from the latest year: D1 0.05 x 300 = 15 t, D2 0.05 x 200 = 10 t
    table = candidates.set_index("parcel_id")
    costs = []
    for k in range(6):
        for subset in combinations(table.index, k):
            chosen = table.loc[list(subset)]
            by = chosen.groupby("district_id")["tco2e_per_yr"].sum()
            if by.get("D1", 0) >= 15 and by.get("D2", 0) >= 10:
                costs.append(chosen["cost_gbp"].sum())
    # hand: D1 p2 + p3 (15 t, 600 GBP), D2 p5 (15 t, 600 GBP): 1,200 GBP
    assert min(costs) == 1_200
    assert plan.objective == pytest.approx(1_200)
    assert sorted(plan.selected_ids) == ["sequestration:p2", "sequestration:p3",
                                         "sequestration:p5"]
    credit = insetting_credit(plan.to_geodataframe(), EMISSIONS).set_index("district_id")
    # D1: 15 / 300 = 0.05; D2: 15 / 200 = 0.075, remaining 200 - 15 = 185
    assert credit.loc["D1", "credit_share"] == pytest.approx(0.05)
    assert credit.loc["D2", "credit_share"] == pytest.approx(0.075)
    assert credit.loc["D2", "remaining_tco2e"] == pytest.approx(185)
    assert credit.loc["D1", "year"] == 2020
    assert credit.loc["D1", "parcels"] == 2


def test_a_changed_rate_changes_the_offset_plan():
    # cheaper woodland (100 GBP/ha): D1's p1 (16 t, 200 GBP) now beats p2 + p3 (600 GBP);
    # D2 still needs p5 (p4's 8 t is below the 10 t target)
    rates = RATES.assign(cost_gbp_per_ha=[100.0, 200.0])
    candidates = _flat(_land(OFFSET_LAND), sequestration=rates)
    settings = SequestrationSettings(mode="offset", offset_share=0.05)
    plan = _solve(candidates, sequestration_model(candidates, settings, emissions=EMISSIONS))
    assert sorted(plan.selected_ids) == ["sequestration:p1", "sequestration:p5"]
    assert plan.objective == pytest.approx(200 + 600)


def test_unreachable_offset_target_is_reported_with_numbers():
    candidates = _flat(_land(OFFSET_LAND), sequestration=RATES)
    settings = SequestrationSettings(mode="offset", offset_share=0.5)
    # D1 needs 0.5 x 300 = 150 t; it has 16 + 10 + 5 = 31 t
    with pytest.raises(InfeasibleError, match=r"D1: target 150.0 tCO2e/yr, at most 31.0"):
        sequestration_model(candidates, settings, emissions=EMISSIONS)
    with pytest.raises(ScenarioError, match="needs a district emissions table"):
        sequestration_model(candidates, settings)


def test_compactness_bonus_joins_neighbouring_parcels():
    # p1 and p2 share a 100 m edge (8 t, 1,000 GBP each); p3 is alone (1.1 ha: 8.8 t, 1,100)
    land = _land([("p1", "D1", "woodland_creation", 1.0, (0, 0, 100, 100)),
                  ("p2", "D1", "woodland_creation", 1.0, (100, 0, 200, 100)),
                  ("p3", "D1", "woodland_creation", 1.1, (500, 0, 600, 110))])
    candidates = _flat(land, sequestration=RATES)
    plain = SequestrationSettings(budget_gbp=2_100)
    plan = _solve(candidates, sequestration_model(candidates, plain))
    # without a bonus: p3 + one of p1/p2 = 16.8 t beats p1 + p2 = 16 t
    assert "sequestration:p3" in plan.selected_ids
    assert plan.objective == pytest.approx(16.8)
    bonus = SequestrationSettings(budget_gbp=2_100, compactness_bonus_per_m=0.01)
    plan = _solve(candidates, sequestration_model(candidates, bonus))
    # with 0.01 per metre: p1 + p2 = 16 + 100 m x 0.01 = 17 > 16.8
    assert sorted(plan.selected_ids) == ["sequestration:p1", "sequestration:p2"]
    assert plan.objective == pytest.approx(17.0)


def test_bad_rates_and_settings_are_refused(tmp_path):
    table = pd.read_csv(read_sequestration_rates().attrs["path"], dtype=str,
                        keep_default_na=False)
    table.loc[0, "cost_gbp_per_ha"] = "-1"
    table.loc[1, "source"] = ""
    table.loc[2, "buffer_share"] = "1.5"
    table.to_csv(tmp_path / "sequestration.csv", index=False)
    with pytest.raises(SourceFormatError) as caught:
        read_sequestration_rates(tmp_path / "sequestration.csv")
    text = str(caught.value)
    assert "row 2, column 'cost_gbp_per_ha': -1 is below the least allowed value 0" in text
    assert "row 3, column 'source': no source is given" in text
    table.loc[:, "source"] = "x"
    table.loc[0, "cost_gbp_per_ha"] = "1"
    table.to_csv(tmp_path / "sequestration.csv", index=False)
    with pytest.raises(SourceFormatError, match=r"row 4, column 'buffer_share': 1.5 is above 1"):
        read_sequestration_rates(tmp_path / "sequestration.csv")
    with pytest.raises(ScenarioError, match="offset_share is required when mode is offset"):
        SequestrationSettings(mode="offset")
    with pytest.raises(ScenarioError, match=r"mode='plant': input should be 'maximise' or "
                                            r"'offset'"):
        SequestrationSettings(mode="plant")


def test_sample_county_candidates_and_plans_solve(small_sample):
    from geoplan.layers.prepare import prepare_layers, sample_inputs
    from geoplan.workstreams.charger_demand import charger_demand
    from geoplan.workstreams.chargers import ChargerSettings, charger_candidates, charger_model

    layers = prepare_layers(sample_inputs(small_sample))
    settings = ChargerSettings(budget_gbp=500_000, coverage_floor_share=0.02)
    demand = charger_demand(layers.ev_demand, layers.zones, settings,
                            buildings=layers.buildings, chargers=layers.chargers,
                            roads=layers.roads)
    chargers = charger_candidates(layers.sites, demand, settings, zones=layers.zones)
    parts = charger_model(chargers, settings, demand=demand)
    plan = PlanningProblem(chargers, parts.objective, parts.constraints).solve(
        SolverOptions(time_limit=30))
    assert len(chargers) > 100
    assert (chargers["substation_id"] != "").all()
    assert plan.status == "optimal"
    assert 0 < plan.objective <= 1
    assert plan.table.loc[plan.table["selected"], "cost_gbp"].sum() <= 500_000
    seq = SequestrationSettings(mode="offset", offset_share=0.001, min_area_ha=20)
    land = sequestration_candidates(layers.land, seq, zones=layers.zones)
    emissions = layers.emissions  # read by prepare_layers
    plan = PlanningProblem(land, *_parts(sequestration_model(land, seq, emissions=emissions))
                           ).solve(SolverOptions(time_limit=30))
    credit = insetting_credit(plan.to_geodataframe(), emissions)
    assert plan.status == "optimal"
    assert len(land) > 100
    assert (credit["credit_share"] >= 0.001 - 1e-9).all()
    assert len(credit) == 5


def _parts(parts):
    return parts.objective, parts.constraints


# A five-year profile (cumulative gross tCO2e/ha after 1..5 years: 0, 1, 3, 6, 10), and a
# rate table with the Woodland Carbon Code deductions as named columns: woodland keeps
# (1 - 0 baseline - 0.1 leakage) x (1 - 0.2 buffer) = 0.72 of its gross removal; peat stays
# flat (5 t/ha/yr, no deductions). Land: 100 GBP/ha for woodland, 50 for peat.
PROFILE = pd.DataFrame({"land_use": "woodland_creation", "age_years": [0, 1, 2, 3, 4, 5],
                        "cumulative_tco2e_per_ha": [0.0, 0.0, 1.0, 3.0, 6.0, 10.0]})
DEDUCTED = RATES.assign(lifetime_years=[5.0, 30.0], leakage_share=[0.1, 0.0],
                        baseline_share=[0.0, 0.0], land_cost_gbp_per_ha=[100.0, 50.0])
TWO_PARCELS = [("w", "D1", "woodland_creation", 2.0, (0, 0, 100, 200)),
               ("p", "D1", "peat_restoration", 1.0, (1000, 0, 1100, 100))]


def _profiled(settings=None):
    return sequestration_candidates(_land(TWO_PARCELS), settings, sequestration=DEDUCTED,
                                    profile=PROFILE, peat=DRAINED).set_index("parcel_id")


def test_woodland_follows_its_time_profile_net_of_each_deduction_once():
    table = _profiled(SequestrationSettings(average_years=5))
    w, p = table.loc["w"], table.loc["p"]
    # cumulative net after a years = 2 ha x 0.72 x P(a): 0, 1.44, 4.32, 8.64, 14.4
    ages = [w[f"removed_tco2e_age_{a}"] for a in (1, 2, 3, 4, 5)]
    assert ages == pytest.approx([0.0, 1.44, 4.32, 8.64, 14.4])
    # headline: mean over the first 5 years = 14.4 / 5 = 2.88 net, 2 x 10 / 5 = 4 gross:
    # net / gross = 0.72, so the buffer and leakage are each taken once (not 0.8 x 0.8 ...)
    assert w["tco2e_per_yr"] == pytest.approx(2.88)
    assert w["sequestered_tco2e_per_yr"] == pytest.approx(2.88)
    assert w["seq_gross_tco2e_per_yr"] == pytest.approx(4.0)
    # peat has no profile: flat 5 t x 1 ha from the year built, no age columns
    assert p["tco2e_per_yr"] == 5.0
    assert pd.isna(p["removed_tco2e_age_5"])
    # averaged over 2 years instead: 2 x 0.72 x 1 / 2 = 0.72 t/yr
    assert _profiled(SequestrationSettings(average_years=2)).loc["w", "tco2e_per_yr"] == \
        pytest.approx(0.72)


def test_year_by_year_removals_lifetime_and_trajectory_follow_the_profile():
    from geoplan.planning.finance import FinanceAssumptions, finance_summary
    from geoplan.planning.phasing import lifetime_tco2e
    from geoplan.workstreams.removals import removals_in_year

    table = _profiled(SequestrationSettings(average_years=5)).reset_index()
    # planted in 2030: C(y - 2030 + 1) - C(y - 2030) -> 0, 1.44, 2.88, 4.32, 5.76, then 0
    by_year = [removals_in_year(table, 2030, y)[0] for y in range(2029, 2037)]
    assert by_year == pytest.approx([0.0, 0.0, 1.44, 2.88, 4.32, 5.76, 0.0, 0.0])
    assert pd.isna(removals_in_year(table, 2030, 2031)[1])  # peat: no profile
    # lifetime (5 years): 14.4 t undiscounted; peat 5 x 30 = 150
    assert lifetime_tco2e(table, 2030, first_year=2030) == pytest.approx([14.4, 150.0])
    # discounted at 10% from 2030: 1.44/1.1 + 2.88/1.1^2 + 4.32/1.1^3 + 5.76/1.1^4 = 10.869
    hand = 1.44 / 1.1 + 2.88 / 1.1**2 + 4.32 / 1.1**3 + 5.76 / 1.1**4
    assert lifetime_tco2e(table, 2030, first_year=2030, discount_rate=0.1)[0] == \
        pytest.approx(hand)
    assert hand == pytest.approx(10.869, abs=1e-3)
    plan = table.assign(selected=True, period=2030)
    a = FinanceAssumptions(base_year=2030, appraisal_years=3, milestones={2034: 0.5})
    finance = finance_summary(plan, assumptions=a)
    ws = finance.by_workstream.set_index("workstream").loc["total"]
    # lifetime: 14.4 + 150; appraisal (2030-2032): 0 + 1.44 + 2.88 + peat 3 x 5 = 19.32
    assert ws["lifetime_tco2e"] == pytest.approx(164.4)
    assert ws["appraisal_tco2e"] == pytest.approx(19.32)
    # removals are their own line of the trajectory (no emission reductions in this plan)
    trajectory = finance.trajectory.set_index("year")
    assert trajectory.loc[2030:2034, "removals_tco2e"].tolist() == pytest.approx(
        [5.0, 6.44, 7.88, 9.32, 10.76])
    assert trajectory.loc[2030:2034, "saved_tco2e"].tolist() == [0.0] * 5


def test_land_cost_is_added_beside_the_planting_cost_unless_the_council_owns_the_land():
    table = _profiled()
    # woodland 2 ha: planting 1,000 x 2 = 2,000, land 100 x 2 = 200; peat 200 + 50
    assert table.loc["w", ["planting_cost_gbp", "land_cost_gbp", "cost_gbp"]].tolist() == \
        [2000.0, 200.0, 2200.0]
    assert table.loc["p", ["planting_cost_gbp", "land_cost_gbp", "cost_gbp"]].tolist() == \
        [200.0, 50.0, 250.0]
    owned = _profiled(SequestrationSettings(include_land_cost=False))
    assert owned["land_cost_gbp"].tolist() == [0.0, 0.0]
    assert owned["cost_gbp"].tolist() == [2000.0, 200.0]


def test_shipped_woodland_profile_is_near_zero_in_its_first_years():
    from geoplan.workstreams.removals import read_woodland_profile

    profile = read_woodland_profile().set_index("age_years")["cumulative_tco2e_per_ha"]
    rates = read_sequestration_rates().set_index("land_use")
    # Woodland Carbon Code lookup (50% oak, 50% SAB, YC 4): 1.6 t/ha after 5 years, 681.965
    # after 100; the table's flat rate is that 100-year mean, and the first ten years hold
    # about 1% of it
    assert profile.loc[100] / 100 == pytest.approx(rates.loc["woodland_creation",
                                                             "seq_tco2e_per_ha_yr"], abs=0.005)
    assert profile.loc[10] < 0.02 * profile.loc[100]
    land = _land([("w", "D1", "woodland_creation", 1.0, (0, 0, 100, 100))])
    table = sequestration_candidates(land).set_index("parcel_id")
    # 1 ha, buffer 0.2: 1.6 x 0.8 = 1.28 t removed in five years, 0.256 t/yr
    assert table.loc["w", "removed_tco2e_age_5"] == pytest.approx(1.28)
    # land cost from the table: 6,610 GBP/ha beside the 16,200 GBP/ha planting grant
    assert table.loc["w", ["planting_cost_gbp", "land_cost_gbp"]].tolist() == [16200, 6610]


def test_bad_profile_and_deductions_are_refused(tmp_path):
    from geoplan.workstreams.removals import read_woodland_profile

    path = tmp_path / "woodland_profile.csv"
    rows = PROFILE.assign(cumulative_tco2e_per_ha_low=0.0, cumulative_tco2e_per_ha_high=0.0,
                          source="test")
    rows.loc[4, "cumulative_tco2e_per_ha"] = 2.0  # age 4 below age 3's 3.0
    rows.to_csv(path, index=False)
    with pytest.raises(SourceFormatError, match=r"row 6, column 'cumulative_tco2e_per_ha': 2 is "
                                                r"below the value of a younger age"):
        read_woodland_profile(path)
    table = pd.read_csv(read_sequestration_rates().attrs["path"], dtype=str,
                        keep_default_na=False)
    table.loc[0, "leakage_share"] = "0.7"
    table.loc[0, "baseline_share"] = "0.5"
    table.to_csv(tmp_path / "sequestration.csv", index=False)
    with pytest.raises(SourceFormatError, match=r"row 2, column 'leakage_share': leakage_share "
                                                r"\+ baseline_share = 1.2 is above 1"):
        read_sequestration_rates(tmp_path / "sequestration.csv")


def test_only_degraded_peat_is_offered_at_its_condition_rate():
    from geoplan.workstreams.peat import read_peat_conditions

    table = read_peat_conditions().set_index("condition")
    land = _land([("a", "D1", "peat_restoration", 2.0, (0, 0, 100, 200)),
                  ("b", "D1", "peat_restoration", 1.0, (1000, 0, 1100, 100)),
                  ("c", "D1", "peat_restoration", 1.0, (2000, 0, 2100, 100)),
                  ("d", "D1", "peat_restoration", 1.0, (3000, 0, 3100, 100))])
    land["peat_condition"] = ["cropland_drained", "near_natural", "", "Rewetted"]
    shipped = read_sequestration_rates()
    found = sequestration_candidates(land, sequestration=shipped).set_index("parcel_id")
    # additionality: only a (degraded) is offered; b, d are not degraded, c is unknown
    assert found.index.tolist() == ["a"]
    # a: (36.45 - 3) tCO2e/ha/yr avoided x 2 ha = 66.9 gross, x (1 - 0.2 buffer) = 53.52
    avoided = table.loc["cropland_drained", "emission_tco2e_per_ha_yr"] - \
        table.loc["cropland_drained", "restored_tco2e_per_ha_yr"]
    assert avoided == pytest.approx(33.45)
    assert found.loc["a", "seq_gross_tco2e_per_yr"] == pytest.approx(66.9)
    assert found.loc["a", "tco2e_per_yr"] == pytest.approx(53.52)
    assert found.loc["a", "peat_condition"] == "cropland_drained"
    # the scenario may state the condition of peat the land layer says nothing about
    settings = SequestrationSettings(peat_condition="grassland_shallow_drained")
    stated = sequestration_candidates(land, settings, sequestration=shipped)
    assert stated["parcel_id"].tolist() == ["a", "c"]
    # c: (16.42 - 3) x 1 ha x 0.8 = 10.736
    assert stated.set_index("parcel_id").loc["c", "tco2e_per_yr"] == pytest.approx(10.736)
    with pytest.raises(ScenarioError, match=r"peat_condition 'bog' is not a condition"):
        sequestration_candidates(land, SequestrationSettings(peat_condition="bog"),
                                 sequestration=shipped)
