import itertools

import pandas as pd
import pytest

from geoplan.errors import SourceFormatError
from geoplan.workstreams.energy import (
    ENERGY_FUELS,
    carbon_factor,
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
    path.write_text("year,fuel,kgco2e_per_kwh,source\n"
                    "2030,mains_gas,0.18,DESNZ\n"
                    "2030,electricity,-0.1,DESNZ\n"
                    "2030,oil,0.25,\n")
    with pytest.raises(SourceFormatError) as error:
        read_carbon_factors(path)
    text = str(error.value)
    assert "row 3, column 'kgco2e_per_kwh': -0.1 is below" in text
    assert "row 4, column 'source': no source" in text
    path.write_text("year,fuel,kgco2e_per_kwh,source\n"
                    "2030,mains_gas,0.18,DESNZ\n"
                    "soon,peat,0.3,DESNZ\n")
    with pytest.raises(SourceFormatError) as error:
        read_carbon_factors(path)
    text = str(error.value)
    assert "row 3, column 'year': year 'soon' is not a whole year" in text
    assert "row 3, column 'fuel': unknown fuel 'peat'" in text


def test_epc_fuels_map_to_energy_fuels():
    systems = pd.Series(["mains gas", "heat pump", "solid fuel", "district heating", None])
    assert energy_fuel(systems).tolist() == ["mains_gas", "electricity", "coal",
                                             "heat_network", "mains_gas"]
