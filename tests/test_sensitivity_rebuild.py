"""Tornado rows recomputed exactly: buildings rebuilt at each bound, peat by its difference.

The homes, zones and tables are those of tests/test_workstream_retrofit.py, whose by-hand
figures (h1: gas house, 20,000 kWh of gas; h2: oil flat, 11,666.67 kWh of oil, both in zone
Z1) the expected values below start from.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from geoplan.assumptions import read_assumptions
from geoplan.layers.buildings import HEAT_FACTORS
from geoplan.planning.finance import FinanceAssumptions
from geoplan.planning.sensitivity import (
    STATUS_DONE,
    bounded_values,
    headline_figures,
    sensitivity_table,
)
from geoplan.planning.sensitivity_rebuild import BuildingRebuild, at_bound, only_options
from geoplan.scenario.workstreams import LaepSettings, RetrofitSettings
from geoplan.workstreams.measures import read_retrofit_measures
from geoplan.workstreams.pathways import read_heat_pathways
from geoplan.workstreams.savings import read_heat_loads
from tests.test_workstream_retrofit import (
    CARBON,
    LOFT_ANY_DEPTH,
    PRICES,
    STANDING,
    homes,
    write_measures,
    zones,
)

FINANCE = FinanceAssumptions(discount_rate=0.0, long_discount_rate=0.0, appraisal_years=2,
                             base_year=2030, unphased_build_year=2030)


def _bounded(table: pd.DataFrame, column: str, where: tuple[str, str],
             low: float, high: float) -> pd.DataFrame:
    """``table`` with ``column``'s low and high bounds on the row whose ``where`` matches."""
    out = table.copy()
    rows = (out[where[0]] == where[1]).to_numpy()
    out[f"{column}_low"] = np.where(rows, low, np.nan)
    out[f"{column}_high"] = np.where(rows, high, np.nan)
    return out


@functools.cache
def _shipped() -> dict[str, pd.DataFrame]:
    """The shipped tables the test does not change, read once."""
    return {"heat_loads": read_heat_loads(), "heat_pathways": read_heat_pathways(),
            "epc_heat": read_assumptions(HEAT_FACTORS)}


def _rebuild(tmp_path, **changed: pd.DataFrame) -> BuildingRebuild:
    tables = {"retrofit_measures": read_retrofit_measures(write_measures(tmp_path)),
              "loft_insulation": LOFT_ANY_DEPTH, "carbon_factors": CARBON,
              "fuel_prices": PRICES, "standing_charges": STANDING, **_shipped(), **changed}
    return BuildingRebuild(homes().iloc[:2], zones(),
                           {"retrofit": RetrofitSettings(trajectory_years=(2030,))}, tables,
                           years=(2030,), horizon=2050)


def _chosen(rebuild: BuildingRebuild, option: str) -> pd.DataFrame:
    """The plan: zone Z1's ``option`` candidate, built in 2030."""
    table = rebuild("standing_charges", rebuild.tables["standing_charges"])["retrofit"]
    chosen = table[table["candidate_id"] == f"retrofit:Z1:{option}"].reset_index(drop=True)
    return chosen.assign(workstream="retrofit", selected=True, build_year=2030, period=2030)


def _figures(table: pd.DataFrame, figure: str) -> pd.Series:
    return table.set_index("figure").loc[figure]


def test_carbon_factor_series_is_exact_where_a_home_adds_emissions(tmp_path) -> None:
    # Electricity 0.1 kg/kWh, low 0.05, high 1.0. Z1's heat pumps: h1 saves 4 t of gas and
    # buys 4,480 kWh of electricity, h2 saves 2.9167 t of oil and buys 2,450 kWh.
    carbon = _bounded(CARBON, "kgco2e_per_kwh", ("fuel", "electricity"), 0.05, 1.0)
    rebuild = _rebuild(tmp_path, carbon_factors=carbon)
    chosen = _chosen(rebuild, "heat_pump")
    bounds = bounded_values("carbon_factors", carbon, ("year", "fuel"))
    table = sensitivity_table(chosen, {"carbon_factors": carbon}, bounds, FINANCE,
                              rebuild=rebuild)
    row = _figures(table, "reductions_tco2e_per_yr")
    oil = 9800 / 0.84 * 0.25 / 1000
    assert row["status"] == STATUS_DONE
    assert row["at_base"] == pytest.approx(4 - 0.448 + oil - 0.245)
    assert row["at_low"] == pytest.approx(4 - 0.224 + oil - 0.1225)
    # at 1.0 h1 adds 0.48 t (4.48 - 4), counted against the zone (not floored at 0): the
    # zone's tonnes are h1's -0.48 plus h2's 0.4667, -0.0133
    assert row["at_high"] == pytest.approx(4 - 4.48 + oil - 2.45)
    # the trajectory is flat (one factor year) and the lifetime unchanged: lifetime tonnes
    # move in proportion to the yearly ones
    life = _figures(table, "lifetime_tco2e")
    assert life["at_high"] / life["at_base"] == pytest.approx((4 - 4.48 + oil - 2.45) /
                                                              (3.552 + oil - 0.245))
    assert _figures(table, "capex_gbp")["swing"] == 0


def test_standing_charge_bounds_move_the_bills_and_the_npv_only(tmp_path) -> None:
    # gas 30 p/day (20 to 40): h1 leaves gas with its heat pump, so Z1's saving moves by
    # 365 x 10 / 100 = 36.50 GBP a year either way; h2 (oil) pays no standing charge.
    standing = _bounded(STANDING, "pence_per_day", ("fuel", "mains_gas"), 20.0, 40.0)
    rebuild = _rebuild(tmp_path, standing_charges=standing)
    chosen = _chosen(rebuild, "heat_pump")
    bounds = bounded_values("standing_charges", standing, ("fuel",))
    table = sensitivity_table(chosen, {"standing_charges": standing}, bounds, FINANCE,
                              rebuild=rebuild)
    saving = float(chosen["saving_gbp_per_yr"].iloc[0])
    assert saving == pytest.approx(1400 - 1254.4 + 109.5 + 700 - 686)
    npv = _figures(table, "npv_gbp")
    for side, change in (("low", -36.5), ("high", 36.5)):
        moved = chosen.assign(saving_gbp_per_yr=saving + change)
        assert npv[f"at_{side}"] == pytest.approx(headline_figures(moved, FINANCE)["npv_gbp"])
    assert npv["swing"] == pytest.approx(73 * FINANCE.appraisal_years)
    assert _figures(table, "reductions_tco2e_per_yr")["swing"] == 0


def test_loft_saving_share_bounds_by_hand(tmp_path) -> None:
    # h1's fabric package is loft (0.1) and cavity (0.2): it saves 1 - 0.9 x 0.8 = 0.28 of
    # 16,800 kWh. A loft share of 0.05 or 0.15 saves 0.04 less or more of it:
    # 16,800 x 0.04 / 0.84 kWh of gas x 0.2 kg = 0.16 t. h2 (a flat) has no loft.
    measures = read_retrofit_measures(write_measures(tmp_path))
    measures = _bounded(measures, "saving_share", ("measure", "loft_insulation"), 0.05, 0.15)
    rebuild = _rebuild(tmp_path, retrofit_measures=measures)
    chosen = _chosen(rebuild, "fabric")
    bounds = bounded_values("retrofit_measures", measures, ("measure", "property_type"))
    assert [(b.key, b.low, b.high) for b in bounds] == [("loft_insulation/house", 0.05, 0.15)]
    table = sensitivity_table(chosen, {"retrofit_measures": measures}, bounds, FINANCE,
                              rebuild=rebuild)
    row = _figures(table, "reductions_tco2e_per_yr")
    assert (row["at_low"] - row["at_base"], row["at_high"] - row["at_base"]) == \
        pytest.approx((-0.16, 0.16))


def test_a_rebuild_that_does_not_give_the_plan_back_is_said_not_figures(tmp_path) -> None:
    carbon = _bounded(CARBON, "kgco2e_per_kwh", ("fuel", "electricity"), 0.05, 1.0)
    rebuild = _rebuild(tmp_path, carbon_factors=carbon)
    chosen = _chosen(rebuild, "heat_pump").assign(tco2e_per_yr=99.0)
    bounds = bounded_values("carbon_factors", carbon, ("year", "fuel"))
    table = sensitivity_table(chosen, {"carbon_factors": carbon}, bounds, FINANCE,
                              rebuild=rebuild)
    table = table[table["table"] == "carbon_factors"]
    row = _figures(table, "reductions_tco2e_per_yr")
    assert row["status"].startswith("not recomputed: rebuilding the chosen zones")
    assert "99 in the plan" in row["status"]
    assert np.isnan(row["at_low"])
    assert np.isnan(row["at_high"])


def test_series_bound_changes_every_row_a_cell_bound_one() -> None:
    table = pd.DataFrame({"fuel": ["a", "b"], "v": [1.0, 2.0], "v_low": [0.5, np.nan],
                          "v_high": [3.0, 4.0]})
    assert at_bound("carbon_factors", table, "v", 0, "high")["v"].tolist() == [3.0, 4.0]
    assert at_bound("carbon_factors", table, "v", 0, "low")["v"].tolist() == [0.5, 2.0]
    assert at_bound("standing_charges", table, "v", 1, "high")["v"].tolist() == [1.0, 4.0]


@pytest.mark.parametrize(("column", "low", "high"), [
    # 10 ha avoiding (20 - 4) t/ha, 0.9 kept after the buffer: 144 t/yr.
    ("emission_tco2e_per_ha_yr", 10 * (15 - 4) * 0.9, 10 * (25 - 4) * 0.9),
    ("restored_tco2e_per_ha_yr", 10 * (20 - 0) * 0.9, 10 * (20 - 6) * 0.9)])
def test_peat_factor_bounds_move_the_avoided_difference(column: str, low: float,
                                                        high: float) -> None:
    peat = pd.DataFrame({"condition": ["grassland_deep_drained", "rewetted"],
                         "degraded": [1, 0], "emission_tco2e_per_ha_yr": [20.0, 3.0],
                         "emission_tco2e_per_ha_yr_low": [15.0, np.nan],
                         "emission_tco2e_per_ha_yr_high": [25.0, np.nan],
                         "restored_tco2e_per_ha_yr": [4.0, 3.0],
                         "restored_tco2e_per_ha_yr_low": [0.0, np.nan],
                         "restored_tco2e_per_ha_yr_high": [6.0, np.nan]})
    chosen = pd.DataFrame({
        "candidate_id": ["sequestration:p1", "sequestration:w1"],
        "workstream": "sequestration", "option": ["peat_restoration", "woodland_creation"],
        "peat_condition": ["grassland_deep_drained", None], "district_id": "D1",
        "selected": True, "period": 2030, "build_year": 2030, "cost_gbp": [1000.0, 500.0],
        "saving_gbp_per_yr": 0.0, "lifetime_years": 50.0, "tco2e_per_yr": [144.0, 7.0]})
    bounds = [b for b in bounded_values("peat_conditions", peat, ("condition",))
              if b.column == column]
    table = sensitivity_table(chosen, {"peat_conditions": peat}, bounds, FINANCE)
    row = _figures(table, "removals_tco2e_per_yr")
    assert row["status"] == STATUS_DONE
    # the woodland parcel's 7 t stay as they are
    assert (row["at_base"], row["at_low"], row["at_high"]) == pytest.approx(
        (151.0, low + 7, high + 7))


def test_a_rebuild_of_the_chosen_options_only_gives_the_same_candidates(tmp_path) -> None:
    full = _rebuild(tmp_path)
    settings = only_options(RetrofitSettings(trajectory_years=(2030,)), "retrofit", {"fabric"})
    assert settings.heat_pump_ready is False
    cheap = BuildingRebuild(full.buildings, full.zones, {"retrofit": settings}, full.tables,
                            years=(2030,), horizon=2050)
    every = full("carbon_factors", CARBON)["retrofit"].set_index("candidate_id")
    fabric = cheap("carbon_factors", CARBON)["retrofit"].set_index("candidate_id")
    assert list(fabric.index) == ["retrofit:Z1:fabric"]
    pd.testing.assert_series_equal(fabric.loc["retrofit:Z1:fabric"],
                                   every.loc["retrofit:Z1:fabric", fabric.columns])
    laep = only_options(LaepSettings(), "laep", {"fabric_first", "rooftop_pv"})
    assert laep.pathways == ("fabric_first", "rooftop_pv")


def test_a_home_without_floor_area_is_rebuilt_at_the_area_the_plan_priced() -> None:
    # zone Z1 is chosen: h1 (no floor area) and h2 (50 m2). The plan priced h1 at the median
    # of every home planned, 80 m2 (of 50, 90 and 80); the rebuild holds Z1's homes only,
    # whose median is 50 m2, so it must carry h1's priced area or give other figures back
    # (it did: the fabric candidate's cost GBP 1,580 in the plan, 1,250 rebuilt, and the
    # tornado said "not recomputed")
    from types import SimpleNamespace

    from geoplan.assumptions import AssumptionSet
    from geoplan.layers.prepare import PreparedLayers
    from geoplan.planning.sensitivity_rebuild import building_rebuild, unreproduced
    from geoplan.planning.solve import workstream_models
    from geoplan.scenario import Scenario
    from geoplan.scenario.tables import known_tables

    four = homes()
    four.loc[0, "floor_area_m2"] = np.nan
    scenario = Scenario(name="x", inputs={"sample": "small"}, workstreams={
        "laep": {"enabled": False}, "chargers": {"enabled": False},
        "sequestration": {"enabled": False}})
    tables = AssumptionSet(known_tables())
    layers = PreparedLayers(zones=zones(), districts=None, substations=None, headroom=None,
                            grid=None, buildings=four)
    plan = workstream_models(scenario, layers, tables)["retrofit"].candidates
    chosen = plan[plan["zone_id"] == "Z1"].assign(workstream="retrofit", selected=True)
    assert len(chosen) >= 1
    rebuild = building_rebuild(scenario, layers, tables, SimpleNamespace(stacked=lambda: chosen),
                               0.035)
    assert rebuild is not None
    assert list(rebuild.buildings["building_id"]) == ["h1", "h2"]
    assert rebuild.buildings["floor_area_m2"].tolist() == [80.0, 50.0]
    assert unreproduced(chosen, rebuild("standing_charges",
                                        rebuild.tables["standing_charges"])) == ""
