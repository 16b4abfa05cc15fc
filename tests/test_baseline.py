"""Baseline emissions: year (COVID year skipped), sectors, land use apart, gases by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from geoplan.errors import ScenarioError
from geoplan.planning.baseline import baseline_emissions, baseline_report, baseline_year
from geoplan.scenario import Scenario
from geoplan.sources.emissions import read_district_emissions
from tests.conftest import real_file


def table() -> pd.DataFrame:
    """Two districts, 2018-2020; domestic + transport + land use (LULUCF, a sink)."""
    frame = pd.DataFrame({
        "district_id": ["A", "A", "A", "B", "B", "B"],
        "district_name": ["Ay", "Ay", "Ay", "Be", "Be", "Be"],
        "year": [2018, 2019, 2020, 2018, 2019, 2020],
        "domestic_tco2e": [50.0, 40.0, 30.0, 20.0, 10.0, 5.0],
        "transport_tco2e": [70.0, 60.0, 40.0, 8.0, 6.0, 3.0],
        "lulucf_tco2e": [-5.0, -4.0, -3.0, -2.0, -1.0, -1.0]})
    frame.insert(3, "tco2e", frame.filter(like="_tco2e").sum(axis=1))
    frame.attrs["report"] = {"gases": "CO2e"}
    return frame


def test_default_year_skips_the_covid_year_and_says_so():
    year, notes = baseline_year(table())
    assert year == 2019
    assert "2020 emissions were cut by the COVID-19 lockdowns" in notes[0]
    assert baseline_year(table(), 2020) == (2020, [])
    only_2020 = table().query("year == 2020")
    assert baseline_year(only_2020) == (2020, [])  # nothing earlier to fall back on


def test_missing_year_is_refused_with_the_years_listed():
    with pytest.raises(ScenarioError, match=r"baseline.year 2012.*has years 2018-2020"):
        baseline_year(table(), 2012)


def test_default_sectors_leave_land_use_apart():
    b = baseline_emissions(table())
    # 2019: A 40 + 60 = 100 (not 96: the -4 of land use is kept apart); B 10 + 6 = 16
    assert b.table.set_index("district_id")["tco2e"].to_dict() == {"A": 100.0, "B": 16.0}
    assert b.table["land_use_tco2e"].tolist() == [-4.0, -1.0]
    assert b.sectors == ("domestic", "transport")
    assert not b.land_use
    assert b.to_dict()["land_use_tco2e"] == -5.0
    assert b.to_dict()["total"] == 116.0


def test_land_use_counted_only_when_asked():
    assert baseline_emissions(table(), land_use=True).table["tco2e"].tolist() == [96.0, 15.0]
    chosen = baseline_emissions(table(), year=2018, sectors=["transport", "lulucf"])
    # 2018: A 70 - 5 = 65, B 8 - 2 = 6
    assert chosen.table["tco2e"].tolist() == [65.0, 6.0]
    assert chosen.land_use


def test_unknown_sector_names_the_column_and_the_choices():
    with pytest.raises(ScenarioError) as error:
        baseline_emissions(table(), sectors=["domestic", "housing"])
    text = str(error.value)
    assert "column 'housing_tco2e': unknown sector 'housing'" in text
    assert "['domestic', 'transport', 'lulucf']" in text
    bare = table()[["district_id", "year", "tco2e"]]
    with pytest.raises(ScenarioError, match="the table has no sector columns"):
        baseline_emissions(bare, sectors=["domestic"])
    assert baseline_emissions(bare).sectors == ("total",)
    assert baseline_emissions(bare).table["tco2e"].tolist() == [96.0, 15.0]


def test_a_co2_only_table_gives_a_baseline_in_tco2(tmp_path):
    path = tmp_path / "co2.csv"
    path.write_text("Year,local-authority-code,gss_code,official-name,Domestic Total:kt CO2,"
                    "Transport Total:kt CO2,Total Emissions:kt CO2\n"
                    "2019,OXO,E07000178,Oxford,2.0,3.0,5.0\n")
    b = baseline_emissions(read_district_emissions(path))
    assert (b.gases, b.unit) == ("CO2", "tCO2")
    assert b.table["tco2e"].tolist() == [5000.0]
    assert "baseline in tCO2: co2.csv counts CO2 only" in b.notes[0]
    assert b.to_dict()["land_use_tco2e"] is None


def test_report_warns_when_milestones_cannot_be_carried_to_the_baseline_year():
    """table() has 2018-2020, no 2022: the shares are kept and the note says why."""
    b = baseline_emissions(table())
    info, warnings, shares = baseline_report(b, 2022, {2030: 0.36})
    assert shares == {2030: 0.36}
    assert (info["milestones_baseline_year"], info["milestones_rescaled_from"]) == (2022, None)
    assert info["year"] == 2019
    assert len(warnings) == 2  # the COVID note and the calibration
    assert "calibrated to a 2022 baseline" in warnings[1]
    assert "not rescaled to the 2019 baseline" in warnings[1]
    assert "has years 2018-2020, not 2022" in warnings[1]
    assert baseline_report(baseline_emissions(table(), year=2018), 2018)[1] == ()


def test_milestone_shares_are_rescaled_to_the_baseline_year_by_hand():
    """Calibrated to 2018, judged against 2019 (domestic + transport, land use apart).

    E_2018 = 50 + 70 + 20 + 8 = 148, E_2019 = 40 + 60 + 10 + 6 = 116; the 2030 target
    (1 - 0.36) x 148 = 94.72 t is 1 - 94.72 / 116 = 0.183448... of the 2019 baseline.
    """
    b = baseline_emissions(table())
    assert b.totals == {2018: 148.0, 2019: 116.0, 2020: 78.0}
    info, warnings, shares = baseline_report(b, 2018, {2030: 0.36, 2050: 1.0})
    assert shares[2030] == pytest.approx(1 - 94.72 / 116, rel=1e-12)
    assert shares[2050] == pytest.approx(1.0)  # net zero is net zero from any year
    assert (1 - shares[2030]) * 116 == pytest.approx((1 - 0.36) * 148)
    assert (info["milestones_baseline_year"], info["milestones_rescaled_from"]) == (2019, 2018)
    assert "rescaled from a 2018 to the 2019 baseline" in warnings[-1]
    assert "2030: 0.360 -> 0.183" in warnings[-1]


def test_scenario_keys_of_the_baseline_and_carbon_factor():
    scenario = Scenario(name="x", inputs={"sample": "small"},
                        baseline={"year": 2019, "sectors": ["domestic", "transport"]},
                        carbon={"electricity_factor": "grid_average"})
    assert scenario.baseline.sectors == ["domestic", "transport"]
    assert scenario.carbon.electricity_factor == "grid_average"
    default = Scenario(name="x", inputs={"sample": "small"})
    assert default.carbon.electricity_factor == "long_run_marginal"
    assert (default.baseline.year, default.baseline.sectors) == (None, None)
    with pytest.raises(ValueError, match="names a sector twice"):
        Scenario(name="x", inputs={"sample": "small"},
                 baseline={"sectors": ["domestic", "domestic"]})


def test_real_table_baseline_is_2019_co2_without_land_use(real_data):
    path = real_file(real_data, "emissions/oxon_la_co2_emissions_2005_2020_mysociety.csv")
    emissions = read_district_emissions(path)
    b = baseline_emissions(emissions)
    assert b.year == 2019  # the table ends in 2020, the COVID year
    assert b.unit == "tCO2"
    assert set(b.sectors) == {"industry", "commercial", "public_sector", "domestic",
                              "transport", "agriculture", "waste_management"}
    rows = emissions[emissions["year"] == 2019].set_index("district_id")
    # every sector of this table counted: the total is the table's own total
    assert b.table.set_index("district_id")["tco2e"].to_dict() == pytest.approx(
        rows["tco2e"].to_dict())
    domestic = baseline_emissions(emissions, sectors=["domestic"]).table
    assert domestic.set_index("district_id")["tco2e"].to_dict() == pytest.approx(
        rows["domestic_tco2e"].to_dict())


def test_a_given_2022_total_rescales_the_milestones_and_says_it_was_given():
    """table() lacks 2022; the user gives E_2022 = 100 (domestic + transport, no land use).

    Against the 2019 baseline (E_2019 = 116) the 2030 target (1 - 0.36) x 100 = 64 t is
    1 - 64 / 116 = 0.448275... of 2019's emissions.
    """
    b = baseline_emissions(table(), given_totals={2022: 100.0})
    assert b.totals == {2018: 148.0, 2019: 116.0, 2020: 78.0, 2022: 100.0}
    assert b.given == (2022,)
    info, warnings, shares = baseline_report(b, 2022, {2030: 0.36})
    assert shares[2030] == pytest.approx(1 - 64 / 116, rel=1e-12)
    assert (info["milestones_baseline_year"], info["milestones_rescaled_from"]) == (2019, 2022)
    assert "2022 given in the scenario (baseline.given_totals)" in warnings[-1]
    assert "100 / 116" in warnings[-1]
    # without it the shares are kept, and the note names the key that would carry them
    kept = baseline_report(baseline_emissions(table()), 2022, {2030: 0.36})
    assert kept[2] == {2030: 0.36}
    assert "as baseline.given_totals" in kept[1][-1]


def test_a_given_total_for_a_year_the_table_has_is_refused():
    with pytest.raises(ScenarioError, match=r"baseline.given_totals gives \[2019\], which the "
                                            r"emissions table .* has"):
        baseline_emissions(table(), given_totals={2019: 1.0, 2022: 2.0})
    scenario = Scenario(name="x", inputs={"sample": "small"},
                        baseline={"given_totals": {2022: 4100000}})
    assert scenario.baseline.given_totals == {2022: 4100000.0}
    with pytest.raises(ValueError, match="greater than 0"):
        Scenario(name="x", inputs={"sample": "small"}, baseline={"given_totals": {2022: 0}})
