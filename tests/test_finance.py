"""Finance summary: NPV, payback, cost per tCO2e and carbon trajectory by hand."""

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.assumptions import default_path
from geoplan.errors import LayerSchemaError, ScenarioError, SourceFormatError
from geoplan.planning.finance import (
    FinanceAssumptions,
    finance_assumptions,
    finance_summary,
    read_finance,
)
from geoplan.planning.social_value import read_carbon_values
from geoplan.scenario.models import FinanceSection

A = FinanceAssumptions(discount_rate=0.035, long_discount_rate=0.03, long_rate_after_years=30,
                       appraisal_years=30, base_year=2025, unphased_build_year=2025,
                       milestones={2025: 0.1, 2030: 0.5, 2040: 0.9})


def plan(**columns):
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"candidate_id": [f"m{i}" for i in range(n)], **columns})
    defaults = {"selected": True, "period": 2025, "cost_gbp": 0.0, "tco2e_per_yr": 0.0,
                "saving_gbp_per_yr": 0.0, "lifetime_years": 10.0, "workstream": "retrofit",
                "district_id": "A"}
    for column, value in defaults.items():
        if column not in frame:
            frame[column] = value
    return frame


# m0: retrofit in district A, built 2025: £1000, saves £100/yr and 2 t/yr for 10 years
# m1: chargers in district B, built 2030: £500, saves £25/yr and 1 t/yr for 40 years
# m2: not selected (ignored)
PLAN = plan(selected=[True, True, False], period=[2025, 2030, 2030],
            cost_gbp=[1000.0, 500.0, 7.0], saving_gbp_per_yr=[100.0, 25.0, 9.0],
            tco2e_per_yr=[2.0, 1.0, 9.0], lifetime_years=[10.0, 40.0, 5.0],
            workstream=["retrofit", "chargers", "retrofit"], district_id=["A", "B", "A"])
BASELINE = pd.DataFrame({"district_id": ["A", "B"], "tco2e": [10.0, 5.0]})


def summary(**kw):
    return finance_summary(PLAN, baseline=BASELINE, assumptions=A, **kw)


def test_npv_of_a_measure_built_in_the_base_year():
    # v = 1 / 1.035; savings in 2025..2034 at the start of each year:
    # 100 * (1 - v^10) / (1 - v) = 100 * (1 - 0.7089188) / 0.0338164 = 860.7687
    # NPV = 860.7687 - 1000 = -139.2313
    row = summary().by_workstream.set_index("workstream").loc["retrofit"]
    assert row["pv_savings_gbp"] == pytest.approx(860.7687, abs=1e-3)
    assert row["pv_capex_gbp"] == pytest.approx(1000.0)
    assert row["npv_gbp"] == pytest.approx(-139.2313, abs=1e-3)


def test_npv_discounts_a_later_build_and_cuts_at_the_appraisal_period():
    # built 2030: capex 500 * v^5 = 500 / 1.1876863 = 420.9866
    # 40-year life but the appraisal ends after 2054: savings 2030..2054 = 25 years
    # 25 * v^5 * (1 - v^25) / (1 - v) = 25 * 0.8419732 * (1 - 0.4231470) / 0.0338164
    #                                 = 25 * 0.8419732 * 17.0583718 = 359.0671
    # residual value: 15 of its 40 years are left after 2054, so 500 x 15 / 40 = 187.5 is
    # not yet depreciated, discounted 30 years: 187.5 / 1.035^30 = 187.5 / 2.8067937 = 66.8022
    row = summary().by_workstream.set_index("workstream").loc["chargers"]
    assert row["pv_capex_gbp"] == pytest.approx(420.9866, abs=1e-3)
    assert row["pv_savings_gbp"] == pytest.approx(359.0671, abs=1e-3)
    assert row["pv_residual_gbp"] == pytest.approx(66.8022, abs=1e-3)
    assert row["npv_gbp"] == pytest.approx(359.0671 - 420.9866 + 66.8022, abs=1e-3)
    assert row["appraisal_tco2e"] == pytest.approx(25.0)  # 1 t x 25 years in the window
    # m0 ends in 2034, inside the appraisal: nothing left
    assert summary().by_workstream.set_index("workstream").loc[
        "retrofit", "pv_residual_gbp"] == 0.0


def test_residual_value_share_scales_it_and_is_checked():
    none = dataclasses.replace(A, residual_value_share=0.0)
    half = dataclasses.replace(A, residual_value_share=0.5)
    rows = {share: finance_summary(PLAN, baseline=BASELINE, assumptions=a).by_workstream
            .set_index("workstream").loc["chargers"] for share, a in ((0, none), (0.5, half))}
    assert rows[0]["pv_residual_gbp"] == 0.0
    assert rows[0]["npv_gbp"] == pytest.approx(359.0671 - 420.9866, abs=1e-3)
    assert rows[0.5]["pv_residual_gbp"] == pytest.approx(66.8022 / 2, abs=1e-3)
    # the social NPV gains the same residual value
    gained = (rows[0.5]["social_npv_gbp"] - rows[0]["social_npv_gbp"])
    assert gained == pytest.approx(66.8022 / 2, abs=1e-3)
    table = read_finance()
    assert finance_assumptions(table).residual_value_share == 1.0
    old = table[table["item"] != "residual_value_share"]  # a table from before keeps 1
    assert finance_assumptions(old).residual_value_share == 1.0
    bad = table.assign(value=lambda t: t["value"].where(t["item"] != "residual_value_share",
                                                        1.5))
    with pytest.raises(ScenarioError, match=r"residual_value_share 1.5 is out of range"):
        finance_assumptions(bad)


def test_fractional_lifetime_and_declining_rate():
    # 2.5-year life, no discounting: 100 + 100 + 0.5 * 100 = 250
    flat = FinanceAssumptions(discount_rate=0.0, long_discount_rate=0.0, appraisal_years=30)
    frame = plan(saving_gbp_per_yr=[100.0], lifetime_years=[2.5])
    assert finance_summary(frame, assumptions=flat).measures["pv_savings_gbp"][0] == \
        pytest.approx(250.0)
    # 10% for 2 years then 5%: factors 1, 1/1.1, 1/1.21, 1/(1.21 * 1.05) for a 4-year life
    # = 1 + 0.9090909 + 0.8264463 + 0.7870917 = 3.5226289 -> 352.26289
    steep = FinanceAssumptions(discount_rate=0.1, long_discount_rate=0.05,
                               long_rate_after_years=2, appraisal_years=30)
    frame = plan(saving_gbp_per_yr=[100.0], lifetime_years=[4.0])
    assert finance_summary(frame, assumptions=steep).measures["pv_savings_gbp"][0] == \
        pytest.approx(352.26289, abs=1e-4)


def test_payback_and_cost_per_tonne():
    # payback: retrofit 1000 / 100 = 10 years; chargers 500 / 25 = 20; total 1500 / 125 = 12
    # lifetime carbon: 2 x 10 = 20 t and 1 x 40 = 40 t; cost per t: 50, 12.5, 1500 / 60 = 25
    table = summary().by_workstream.set_index("workstream")
    assert table["simple_payback_years"].to_dict() == pytest.approx(
        {"chargers": 20.0, "retrofit": 10.0, "total": 12.0})
    assert table["cost_per_tco2e_gbp"].to_dict() == pytest.approx(
        {"chargers": 12.5, "retrofit": 50.0, "total": 25.0})
    assert table.loc["total", "measures"] == 2
    assert table.loc["total", "capex_gbp"] == pytest.approx(1500.0)
    # net cost per tonne: -(NPV) / tonnes in the window: retrofit 139.2313 / 20 = 6.9616
    assert table.loc["retrofit", "net_cost_per_tco2e_gbp"] == pytest.approx(6.9616, abs=1e-4)


def test_no_saving_means_no_payback():
    frame = plan(cost_gbp=[10.0], saving_gbp_per_yr=[0.0], tco2e_per_yr=[0.0])
    row = finance_summary(frame, assumptions=A).by_workstream.iloc[-1]
    assert np.isnan(row["simple_payback_years"])
    assert np.isnan(row["cost_per_tco2e_gbp"])


def test_capex_by_workstream_and_year_with_reinforcement():
    # reinforcement £300 ready 2030: PV 300 / 1.035^5 = 252.5920, no savings
    grid = pd.DataFrame({"workstream": ["grid"], "year": [2030], "cost_gbp": [300.0]})
    result = summary(other_capex=grid)
    capex = result.capex_by_year.set_index(["workstream", "year"])["capex_gbp"].to_dict()
    assert capex == {("chargers", 2030): 500.0, ("grid", 2030): 300.0,
                     ("retrofit", 2025): 1000.0}
    row = result.by_workstream.set_index("workstream").loc["grid"]
    assert row["npv_gbp"] == pytest.approx(-252.5920, abs=1e-3)
    assert result.by_workstream.set_index("workstream").loc["total", "capex_gbp"] == 1800.0


def test_trajectory_and_milestones():
    # baseline 10 (A) + 5 (B) = 15 t/yr. m0 (retrofit, A) cuts buildings' emissions 2 t/yr
    # 2025-2034; m1's 1 t/yr from 2030 is the EV switch credited to chargers: its own line,
    # in no net and no milestone (the headline never adds the kinds up).
    # 2025: 2 -> net 13; target 10% = 1.5 t -> 2 / 1.5 = 1.3333, met
    # 2030: 2 -> net 13; target 50% = 7.5 -> 2 / 7.5 = 0.2667, not met; EV line 1
    # 2040: m0 ended after 2034 -> net 15; target 90% = 13.5 -> 0, not met
    result = summary()
    path = result.trajectory.set_index("year")
    assert path.loc[2034, "saved_tco2e"] == 2.0
    assert path.loc[2035, "saved_tco2e"] == 0.0
    assert path.loc[2029, "ev_attributed_tco2e"] == 0.0
    assert path.loc[2035, "ev_attributed_tco2e"] == 1.0
    assert path.loc[2035, "net_tco2e"] == 15.0
    assert path.loc[2029, "net_tco2e"] == 13.0
    assert path.index.min() == 2025
    assert path.index.max() == 2040
    ms = result.milestones.set_index("year")
    assert ms["planned_tco2e"].to_dict() == {2025: 13.0, 2030: 13.0, 2040: 15.0}
    assert ms["target_tco2e"].to_dict() == pytest.approx({2025: 13.5, 2030: 7.5, 2040: 1.5})
    assert ms["share_of_target_met"].to_dict() == pytest.approx(
        {2025: 2 / 1.5, 2030: 2 / 7.5, 2040: 0.0})
    assert ms["met"].to_dict() == {2025: True, 2030: False, 2040: False}
    assert ms["ev_attributed_tco2e"].to_dict() == {2025: 0.0, 2030: 1.0, 2040: 1.0}
    # by district in 2030: A 2 of 5 = 0.4, B (only the chargers' line) 0 of 2.5
    by = result.milestones_by_district.set_index(["district_id", "year"])
    assert by.loc[("A", 2030), "share_of_target_met"] == pytest.approx(0.4)
    assert by.loc[("B", 2030), "share_of_target_met"] == 0.0
    assert by.loc[("B", 2030), "ev_attributed_tco2e"] == 1.0


def test_unphased_plan_builds_in_the_unphased_year():
    frame = plan(period=[pd.NA], cost_gbp=[100.0], saving_gbp_per_yr=[10.0])
    later = FinanceAssumptions(unphased_build_year=2027, appraisal_years=30,
                               milestones={2030: 0.5})
    result = finance_summary(frame, assumptions=later)
    assert result.measures["build_year"].tolist() == [2027]
    # 100 / 1.035^2 = 93.3511
    assert result.measures["pv_capex_gbp"][0] == pytest.approx(93.3511, abs=1e-4)
    assert result.milestones["share_of_target_met"].isna().all()  # no baseline given


def test_to_dict_is_json_and_rounded():
    data = json.loads(json.dumps(summary().to_dict()))
    rows = {r["workstream"]: r for r in data["by_workstream"]}
    assert rows["retrofit"]["npv_gbp"] == -139
    assert rows["chargers"]["cost_per_tco2e_gbp"] == 12.5
    assert data["assumptions"]["milestones"] == {"2025": 0.1, "2030": 0.5, "2040": 0.9}
    assert [r["year"] for r in data["milestones"]] == [2025, 2030, 2040]
    assert data == summary().to_dict()  # deterministic


def test_shipped_table_is_sourced_and_read():
    table = read_finance()
    assert (table["source"].str.len() > 20).all()
    a = finance_assumptions(table)
    assert a.discount_rate == 0.035
    assert a.appraisal_years == 30
    assert list(a.milestones) == [2025, 2030, 2040, 2050]
    assert a.milestones[2050] == 1.0
    assert finance_assumptions(table, discount_rate=0.05, appraisal_years=20).discount_rate \
        == 0.05


def test_bad_assumptions_are_refused(tmp_path: Path):
    with pytest.raises(ScenarioError, match=r"discount_rate -0.01 is out of range"):
        finance_assumptions(discount_rate=-0.01)
    with pytest.raises(ScenarioError, match=r"appraisal_years 2.5 is out of range"):
        finance_assumptions(appraisal_years=2.5)
    copy = tmp_path / "finance.csv"
    shutil.copy(default_path("finance"), copy)
    text = copy.read_text().splitlines()
    text[1] = "discount_rate,0.035,share per year,"
    copy.write_text("\n".join(text) + "\n")
    with pytest.raises(SourceFormatError, match=r"finance.csv.*row 2.*no source is given"):
        read_finance(copy)
    table = read_finance().query("item != 'base_year'")
    with pytest.raises(ScenarioError, match="item 'base_year' is missing"):
        finance_assumptions(table)
    odd = pd.concat([read_finance(), pd.DataFrame(
        {"item": ["discount"], "value": [0.1], "unit": [""], "source": ["x"]})])
    with pytest.raises(ScenarioError, match="unknown item 'discount'"):
        finance_assumptions(odd)
    wide = read_finance().assign(value=lambda t: t["value"].where(t["item"] != "milestone_2030",
                                                                   1.5))
    with pytest.raises(ScenarioError, match=r"milestone_2030 1.5 is not a share"):
        finance_assumptions(wide)


@pytest.mark.parametrize(("frame", "message"), [
    (plan(cost_gbp=[-5.0]), "column 'cost_gbp': -5 for 'm0'"),
    (plan(lifetime_years=[0.0]), "column 'lifetime_years': 0 for 'm0'"),
    (plan(saving_gbp_per_yr=["lots"]), "'lots' for 'm0'"),
    (plan(period=[2025, pd.NA]), "no build period for 'm1' in a phased plan"),
    (plan(cost_gbp=[1.0]).drop(columns="lifetime_years"), "column 'lifetime_years'.*missing"),
])
def test_bad_plan_tables_are_refused(frame, message):
    with pytest.raises(LayerSchemaError, match=message):
        finance_summary(frame, assumptions=A)


def test_baseline_must_cover_every_district():
    with pytest.raises(LayerSchemaError, match=r"districts without a baseline \['B'\]"):
        finance_summary(PLAN, baseline=BASELINE.iloc[:1], assumptions=A)


# --- each year's carbon factor, removals apart, baseline calibration ------------------------

def test_lifetime_and_trajectory_use_each_years_carbon_not_a_flat_year():
    # A heat pump valued at 2 t/yr with the 2030 factor, 4 t/yr in 2025 and 1 t/yr from 2035:
    # 2025..2034 (linear between the columns): 4, 3.6, 3.2, 2.8, 2.4, 2, 1.8, 1.6, 1.4, 1.2
    # = 24.0 t over its 10 years (the flat 2030 figure would give 2 x 10 = 20 t).
    frame = plan(cost_gbp=[480.0], tco2e_per_yr=[2.0], tco2e_per_yr_2025=[4.0],
                 tco2e_per_yr_2030=[2.0], tco2e_per_yr_2035=[1.0])
    result = finance_summary(frame, baseline=BASELINE, assumptions=A)
    row = result.by_workstream.set_index("workstream").loc["retrofit"]
    assert row["lifetime_tco2e"] == pytest.approx(24.0)
    assert row["cost_per_tco2e_gbp"] == pytest.approx(480.0 / 24.0)
    assert row["appraisal_tco2e"] == pytest.approx(24.0)  # the whole life is in the window
    path = result.trajectory.set_index("year")["saved_tco2e"]
    assert path[2027] == pytest.approx(3.2)
    assert path[2034] == pytest.approx(1.2)
    assert path[2035] == 0.0  # worn out
    assert result.milestones.set_index("year").loc[2030, "planned_cut_tco2e"] == \
        pytest.approx(2.0)


def test_a_later_build_reads_the_columns_from_its_build_year():
    # built 2030 for 2.5 years: 2030 2.0, 2031 1.8, half of 2032's 1.6 = 4.6 t
    frame = plan(period=[2030], tco2e_per_yr=[2.0], lifetime_years=[2.5],
                 tco2e_per_yr_2025=[4.0], tco2e_per_yr_2030=[2.0], tco2e_per_yr_2035=[1.0])
    result = finance_summary(frame, assumptions=A)
    assert result.measures["lifetime_tco2e"][0] == pytest.approx(4.6)


def test_removals_are_a_separate_line_from_emission_reductions():
    # A: retrofit cuts 2 t/yr, woodland removes 3 t/yr, both from 2025; baseline A 10, B 5
    frame = plan(tco2e_per_yr=[2.0, 3.0], workstream=["retrofit", "sequestration"],
                 lifetime_years=[30.0, 30.0])
    result = finance_summary(frame, baseline=BASELINE, assumptions=A)
    year = result.trajectory.set_index("year").loc[2030]
    assert (year["baseline_tco2e"], year["saved_tco2e"], year["removals_tco2e"]) == \
        (15.0, 2.0, 3.0)
    assert year["net_tco2e"] == 13.0  # the baseline less reductions only
    assert year["net_after_removals_tco2e"] == 10.0
    ms = result.milestones.set_index("year").loc[2030]
    # target 50% of 15 = 7.5: reductions meet 2 / 7.5, with removals 5 / 7.5
    assert ms["share_of_target_met"] == pytest.approx(2 / 7.5)
    assert ms["share_met_with_removals"] == pytest.approx(5 / 7.5)
    assert ms["removals_tco2e"] == 3.0


def test_milestones_calibrated_to_another_baseline_year_are_warned_of():
    from geoplan.planning.baseline import baseline_emissions

    emissions = pd.DataFrame({"district_id": ["A", "B", "A", "B"], "year": [2019, 2019,
                              2020, 2020], "tco2e": [10.0, 5.0, 8.0, 4.0]})
    calibrated = FinanceAssumptions(milestones={2030: 0.5}, milestone_baseline_year=2022)
    result = finance_summary(PLAN, baseline=baseline_emissions(emissions),
                             assumptions=calibrated)
    assert result.baseline["year"] == 2019
    assert result.baseline["milestones_baseline_year"] == 2022
    assert len(result.warnings) == 2  # the COVID year skipped; the calibration year
    assert "calibrated to a 2022 baseline" in result.warnings[1]
    assert result.milestones["baseline_tco2e"].tolist() == [15.0]
    assert result.to_dict()["baseline"]["unit"] == "tCO2e"
    assert "baseline_tco2e" in result.to_dict()["trajectory"][0]
    # calibrated to 2020, which the table has: E_2020 = 12, E_2019 = 15, so the target
    # 0.5 x 12 = 6 t left is a cut of 1 - 6 / 15 = 0.6 of the 2019 baseline (9 t)
    carried = finance_summary(PLAN, baseline=baseline_emissions(emissions), assumptions=(
        FinanceAssumptions(milestones={2030: 0.5}, milestone_baseline_year=2020)))
    row = carried.milestones.iloc[0]
    assert (row["target_share"], row["required_cut_tco2e"]) == (pytest.approx(0.6),
                                                                 pytest.approx(9.0))
    assert row["target_tco2e"] == pytest.approx(6.0)
    assert carried.baseline["milestones_rescaled_from"] == 2020
    assert "rescaled from a 2020 to the 2019 baseline" in carried.warnings[1]
    same = FinanceAssumptions(milestones={2030: 0.5}, milestone_baseline_year=2019)
    assert finance_summary(PLAN, baseline=baseline_emissions(emissions),
                           assumptions=same).warnings == (result.warnings[0],)
    emissions.attrs["report"] = {"gases": "CO2"}  # e.g. the BEIS/DESNZ CO2 table
    co2 = finance_summary(PLAN, baseline=baseline_emissions(emissions), assumptions=calibrated)
    first = co2.to_dict()["trajectory"][0]
    assert (first["baseline_tco2"], "baseline_tco2e" in first) == (15.0, False)
    assert co2.to_dict()["milestones"][0]["baseline_tco2"] == 15.0


def test_shipped_milestones_state_their_baseline_year():
    assert finance_assumptions().milestone_baseline_year == 2022
    bad = read_finance().assign(value=lambda t: t["value"].where(
        t["item"] != "milestone_baseline_year", 2022.5))
    with pytest.raises(ScenarioError, match=r"row 14.*milestone_baseline_year 2022.5 is not"):
        finance_assumptions(bad)
# Carbon values in code: 100 GBP/t in 2025 and 200 in 2027 (150 in 2026 by interpolation);
# low and high series half and one and a half times the central.
VALUES = pd.DataFrame({"year": [2025, 2027], "gbp_per_tco2e": [100.0, 200.0],
                       "gbp_per_tco2e_low": [50.0, 100.0], "gbp_per_tco2e_high": [150.0, 300.0],
                       "price_year": [2022, 2022], "source": "test"})


def test_social_npv_of_one_measure_over_three_years_by_hand():
    # Built 2025: 1000 GBP, 100 GBP/yr and 2 t/yr for 3 years; v = 1 / 1.035.
    # bills: 100 (1 + v + v^2) = 289.969428; bills-only NPV 289.969428 - 1000 = -710.030572
    # carbon: 2 x 100 + 2 x 150 v + 2 x 200 v^2 = 863.259353 (low 431.629676, high
    # 1294.889029); capex with optimism bias 1000 x 1.24 = 1240
    # social NPV: 289.969428 + 863.259353 - 1240 = -86.771220 (low -518.400896, high
    # 344.858456)
    frame = plan(cost_gbp=[1000.0], saving_gbp_per_yr=[100.0], tco2e_per_yr=[2.0],
                 lifetime_years=[3.0])
    a = dataclasses.replace(A, optimism_bias=0.24)
    result = finance_summary(frame, assumptions=a, carbon_values=VALUES)
    row = result.by_workstream.set_index("workstream").loc["total"]
    assert row["npv_gbp"] == pytest.approx(-710.030572, abs=1e-5)
    assert row["pv_carbon_value_gbp"] == pytest.approx(863.259353, abs=1e-5)
    assert row["pv_capex_with_optimism_bias_gbp"] == pytest.approx(1240.0)
    assert row["social_npv_gbp"] == pytest.approx(-86.771220, abs=1e-5)
    assert row["social_npv_low_gbp"] == pytest.approx(-518.400896, abs=1e-5)
    assert row["social_npv_high_gbp"] == pytest.approx(344.858456, abs=1e-5)
    assert result.npvs()["social_npv_gbp"] == pytest.approx(-86.771220, abs=1e-5)
    data = result.to_dict()
    assert data["social_npv_gbp"] == -87
    assert data["npv_gbp"] == -710
    assert "optimism bias 24%" in data["definitions"]["social_npv_gbp"]
    assert "real 2022 prices" in data["definitions"]["social_npv_gbp"]
    assert "no carbon value" in data["definitions"]["npv_gbp"]
    assert "undiscounted" in data["definitions"]["lifetime_tco2e"]
    assert "undiscounted" in data["definitions"]["cost_per_tco2e_gbp"]
    assert data["assumptions"]["carbon_value_price_year"] == 2022


def test_social_npv_uses_each_years_tonnes_a_later_build_and_grid_capex():
    # tonnes 4 in 2025 and 0 in 2027 (2 in 2026), 3-year life: 4 x 100 + 2 x 150 v
    # = 689.855072 GBP of carbon.
    frame = plan(tco2e_per_yr=[9.0], tco2e_per_yr_2025=[4.0], tco2e_per_yr_2027=[0.0],
                 lifetime_years=[3.0])
    row = finance_summary(frame, assumptions=A, carbon_values=VALUES).measures.iloc[0]
    assert row["pv_carbon_value_gbp"] == pytest.approx(689.855072, abs=1e-5)
    # Built 2026 for 2 years: capex 1000 v x 1.24 = 1198.067633; bills 100 (v + v^2)
    # = 189.969428; carbon 2 x 150 v + 2 x 200 v^2 = 663.259353. Grid 300 in 2026 with no
    # benefit: -300 v x 1.24 = -359.420290.
    later = plan(period=[2026], cost_gbp=[1000.0], saving_gbp_per_yr=[100.0],
                 tco2e_per_yr=[2.0], lifetime_years=[2.0])
    grid = pd.DataFrame({"workstream": ["grid"], "year": [2026], "cost_gbp": [300.0]})
    table = finance_summary(later, assumptions=A, carbon_values=VALUES,
                            other_capex=grid).by_workstream.set_index("workstream")
    assert table.loc["retrofit", "social_npv_gbp"] == pytest.approx(
        189.969428 + 663.259353 - 1198.067633, abs=1e-5)
    assert table.loc["grid", "social_npv_gbp"] == pytest.approx(-359.420290, abs=1e-5)
    no_bias = dataclasses.replace(A, optimism_bias=0.0)
    table = finance_summary(later, assumptions=no_bias, carbon_values=VALUES,
                            other_capex=grid).by_workstream.set_index("workstream")
    assert table.loc["grid", "social_npv_gbp"] == pytest.approx(table.loc["grid", "npv_gbp"])


def test_optimism_bias_comes_from_the_table_or_the_scenario():
    table = read_finance()
    assert finance_assumptions(table).optimism_bias == 0.24
    assert finance_assumptions(table, optimism_bias=0.5).optimism_bias == 0.5
    with pytest.raises(ScenarioError, match=r"optimism_bias 5 is out of range"):
        finance_assumptions(table, optimism_bias=5)
    with pytest.raises(ScenarioError, match="item 'optimism_bias' is missing"):
        finance_assumptions(table.query("item != 'optimism_bias'"))
    with pytest.raises(ValueError, match="optimism_bias"):  # pydantic, at scenario load
        FinanceSection(optimism_bias=-0.1)


def test_shipped_carbon_values_are_sourced_and_ordered(tmp_path: Path):
    values = read_carbon_values()
    assert values["year"].tolist() == list(range(2020, 2051))
    assert (values["gbp_per_tco2e_low"] < values["gbp_per_tco2e"]).all()
    assert (values["gbp_per_tco2e"] < values["gbp_per_tco2e_high"]).all()
    assert values["source"].str.contains("Table 3").all()
    assert set(values["price_year"]) == {2022}
    bad = VALUES.assign(gbp_per_tco2e_low=[50.0, 250.0])
    bad.to_csv(tmp_path / "carbon_values.csv", index=False)
    with pytest.raises(SourceFormatError, match=r"row 3, column 'gbp_per_tco2e': low 250, "
                                                r"central 200, high 300 are not in order"):
        read_carbon_values(tmp_path / "carbon_values.csv")


def test_a_run_can_replace_or_override_the_carbon_values():
    from geoplan.scenario.tables import known_tables

    assert known_tables()["carbon_values"].key == ("year",)  # a run's AssumptionSet has it


def test_summary_shows_both_npvs_with_their_definitions():
    from geoplan.outputs.summary import summary_markdown

    frame = plan(cost_gbp=[1000.0], saving_gbp_per_yr=[-50.0], tco2e_per_yr=[2.0],
                 lifetime_years=[3.0])
    finance = finance_summary(frame, assumptions=A, carbon_values=VALUES).to_dict()
    text = summary_markdown({"finance": finance})
    # bills: -50 (1 + v + v^2) - 1000 = -1144.98 -> -1,145; a bill rise stays negative
    assert "| Net present value, bills only (£) | -1,145 |" in text
    assert "| Social NPV, Green Book (£) |" in text
    assert "### Definitions" in text
    assert "negative where bills rise" in text
    assert "| Social NPV, low carbon values (£) |" in text
