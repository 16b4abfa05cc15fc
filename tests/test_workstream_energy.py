import itertools

import pandas as pd
import pytest

from geoplan.errors import ScenarioError, SourceFormatError
from geoplan.workstreams.energy import (
    CARBON_BASES,
    ENERGY_FUELS,
    carbon_factor,
    carbon_factors_for,
    energy_fuel,
    fuel_price,
    read_carbon_factors,
    read_fuel_prices,
)


def test_shipped_tables_cover_every_fuel_and_electricity_falls():
    carbon, prices = read_carbon_factors(), read_fuel_prices()
    assert set(carbon["fuel"]) == set(ENERGY_FUELS) == set(prices["fuel"])
    path = [carbon_factor("electricity", year, carbon) for year in range(2025, 2051)]
    assert all(a >= b for a, b in itertools.pairwise(path))
    assert path[-1] < path[0] / 10
    assert carbon_factor("mains_gas", 2030, carbon) == pytest.approx(0.1829)
    assert fuel_price("electricity", 2030, prices) > fuel_price("mains_gas", 2030, prices)


def test_linear_interpolation_clamped_at_the_ends():
    table = pd.DataFrame({"year": [2020, 2030], "fuel": ["electricity"] * 2,
                          "kgco2e_per_kwh": [0.2, 0.1]})
    # 2024 is 40% of the way: 0.2 - 0.4 * 0.1 = 0.16.
    assert carbon_factor("electricity", 2024, table) == pytest.approx(0.16)
    assert carbon_factor("electricity", 2000, table) == pytest.approx(0.2)
    assert carbon_factor("electricity", 2050, table) == pytest.approx(0.1)


def test_unknown_fuel_names_the_table_and_lists_fuels():
    with pytest.raises(SourceFormatError, match=r"fuel_prices.csv.*no rows for fuel 'gas'.*"
                                                 r"mains_gas"):
        fuel_price("gas", 2030)


def test_bad_rows_are_rejected_with_file_row_and_column(tmp_path):
    path = tmp_path / "carbon_factors.csv"
    path.write_text("year,fuel,basis,kgco2e_per_kwh,kgco2e_per_kwh_low,kgco2e_per_kwh_high,"
                    "source\n"
                    "2030,mains_gas,any,0.18,,,DESNZ\n"
                    "2030,electricity,any,-0.1,,,DESNZ\n"
                    "2030,oil,any,0.25,,,\n")
    with pytest.raises(SourceFormatError) as error:
        read_carbon_factors(path)
    text = str(error.value)
    assert "row 3, column 'kgco2e_per_kwh': -0.1 is below" in text
    assert "row 4, column 'source': no source" in text
    path.write_text("year,fuel,basis,kgco2e_per_kwh,kgco2e_per_kwh_low,kgco2e_per_kwh_high,"
                    "source\n"
                    "2030,mains_gas,any,0.18,,,DESNZ\n"
                    "soon,peat,any,0.3,,,DESNZ\n")
    with pytest.raises(SourceFormatError) as error:
        read_carbon_factors(path)
    text = str(error.value)
    assert "row 3, column 'year': year 'soon' is not a whole year" in text
    assert "row 3, column 'fuel': unknown fuel 'peat'" in text


def test_epc_fuels_map_to_energy_fuels():
    systems = pd.Series(["mains gas", "heat pump", "solid fuel", "district heating", None])
    assert energy_fuel(systems).tolist() == ["mains_gas", "electricity", "coal",
                                             "heat_network", "mains_gas"]
    # repeated systems (each read once) keep their labels; an Index is read cell by cell
    many = pd.Series(["oil", "LPG", None, "oil", "LPG", "oil"], index=[9, 3, 5, 1, 7, 2])
    assert energy_fuel(many).to_dict() == {9: "oil", 3: "lpg", 5: "mains_gas", 1: "oil",
                                           7: "lpg", 2: "oil"}
    assert list(energy_fuel(pd.Index(["oil", "oil", "LPG", "LPG"]))) == [
        "oil", "oil", "lpg", "lpg"]


def test_electricity_basis_is_chosen_and_other_fuels_kept():
    both = read_carbon_factors(basis=None)
    assert set(both["basis"]) == {"any", "long_run_marginal", "grid_average"}
    assert set(both.loc[both["fuel"] == "electricity", "basis"]) == {"long_run_marginal",
                                                                      "grid_average"}
    for basis in CARBON_BASES:
        chosen = carbon_factors_for(both, basis)
        assert set(chosen["basis"]) == {"any", basis}
        assert set(chosen["fuel"]) == set(ENERGY_FUELS)
    assert read_carbon_factors().equals(carbon_factors_for(both, "long_run_marginal"))
    with pytest.raises(ScenarioError, match=r"unknown electricity carbon factor basis 'lrm'"):
        carbon_factors_for(both, "lrm")


def test_a_table_with_two_bases_has_no_single_value():
    # interpolating both bases' rows together would give a silent mixture: refused
    both = read_carbon_factors(basis=None)
    with pytest.raises(SourceFormatError, match=r"fuel 'electricity' has .* rows for year "
                                                 r"2025.*carbon_factors_for"):
        carbon_factor("electricity", 2030, both)
    assert carbon_factor("mains_gas", 2030, both) == pytest.approx(0.1829)



def test_a_clean_table_is_checked_for_repeated_years_without_the_frame_check(monkeypatch):
    # values_in_year runs for every year a plan asks about (645 times in the sample's joint
    # run): the frame check that words the error runs only on a table that may repeat a year
    import geoplan.workstreams.energy as energy

    checked = []
    real = energy._refuse_repeated_years
    monkeypatch.setattr(energy, "_refuse_repeated_years",
                        lambda table, fuels: checked.append(fuels) or real(table, fuels))
    table = pd.DataFrame({"year": [2020, 2030, 2020, 2030], "fuel": ["a", "a", "b", "b"],
                          "kgco2e_per_kwh": [0.2, 0.1, 1.0, 3.0]})
    assert energy.values_in_year(table, 2025) == pytest.approx({"a": 0.15, "b": 2.0})
    assert checked == []
    # "a" listed twice for 2030: refused, naming the fuel and year; "b" alone still reads
    repeated = pd.concat([table, pd.DataFrame({"year": [2030], "fuel": ["a"],
                                               "kgco2e_per_kwh": [0.3]})], ignore_index=True)
    with pytest.raises(SourceFormatError, match=r"fuel 'a' has 2 rows for year 2030"):
        energy.values_in_year(repeated, 2025)
    assert checked == [["a", "b"]]
    assert energy.values_in_year(repeated, 2025, ["b"]) == {"b": 2.0}
    # a fuel with a missing year is left to the frame check too; another fuel is not
    blank = table.assign(year=[2020, None, 2020, 2030])
    assert energy.values_in_year(blank, 2025, ["b"]) == {"b": 2.0}
    assert len(checked) == 1
    energy.values_in_year(blank, 2025, ["a"])
    assert checked[-1] == ["a"]

def test_each_basis_follows_its_own_rows():
    table = pd.DataFrame({"year": [2030, 2040, 2030, 2040], "fuel": ["electricity"] * 4,
                          "basis": ["long_run_marginal"] * 2 + ["grid_average"] * 2,
                          "kgco2e_per_kwh": [0.06, 0.02, 0.10, 0.05]})
    # 2034 is 40% of the way: marginal 0.06 - 0.4 x 0.04 = 0.044; average 0.10 - 0.02 = 0.08
    marginal = carbon_factors_for(table, "long_run_marginal")
    average = carbon_factors_for(table, "grid_average")
    assert carbon_factor("electricity", 2034, marginal) == pytest.approx(0.044)
    assert carbon_factor("electricity", 2034, average) == pytest.approx(0.08)
    only_average = table[table["basis"] == "grid_average"]
    with pytest.raises(SourceFormatError, match=r"\['electricity'\] have rows for bases "
                                                 r"\['grid_average'\] but none for "
                                                 r"'long_run_marginal'"):
        carbon_factors_for(only_average, "long_run_marginal")


def test_indicative_rows_carry_a_range_around_their_value():
    table = read_carbon_factors(basis=None)
    electricity = table[table["fuel"] == "electricity"]
    marginal = electricity[electricity["basis"] == "long_run_marginal"]
    assert marginal["source"].str.contains("Table 1").all()
    assert marginal["source"].str.startswith("Indicative").all()
    assert marginal["kgco2e_per_kwh_low"].notna().all()
    assert (marginal["kgco2e_per_kwh_low"] <= marginal["kgco2e_per_kwh"]).all()
    assert (marginal["kgco2e_per_kwh"] <= marginal["kgco2e_per_kwh_high"]).all()
    indicative = electricity[electricity["source"].str.startswith("Indicative")]
    assert indicative["kgco2e_per_kwh_high"].notna().all()


def test_basis_and_range_errors_name_row_and_column(tmp_path):
    path = tmp_path / "carbon_factors.csv"
    path.write_text("year,fuel,basis,kgco2e_per_kwh,kgco2e_per_kwh_low,kgco2e_per_kwh_high,"
                    "source\n"
                    "2030,electricity,marginal,0.05,,,DESNZ\n"
                    "2030,oil,any,0.25,0.3,,DESNZ\n")
    with pytest.raises(SourceFormatError) as error:
        read_carbon_factors(path)
    text = str(error.value)
    assert "row 2, column 'basis': unknown basis 'marginal'" in text
    assert "row 3, column 'kgco2e_per_kwh_low': kgco2e_per_kwh_low 0.3 leaves the value " \
           "0.25 outside its range" in text
