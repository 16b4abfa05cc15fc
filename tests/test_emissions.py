"""District emissions tables: the three layouts, aggregate rows, and errors naming the cell."""

from __future__ import annotations

import pytest

from geoplan.errors import SourceFormatError, SourceNotFoundError
from geoplan.sources.emissions import latest_emissions, read_district_emissions
from tests.conftest import real_file

WIDE_HEADER = ("Year,local-authority-code,gss_code,official-name,Domestic Gas:kt CO2,"
               "Domestic Total:kt CO2,Transport Total:kt CO2,Total Emissions:kt CO2\n")


def _write(tmp_path, text: str, name: str = "emissions.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_wide_layout_converts_kilotonnes_and_drops_county_rows(tmp_path):
    path = _write(tmp_path, WIDE_HEADER
                  + "2019,OXO,E07000178,Oxford City Council,1.5,2.0,3.0,5.0\n"
                  + "2020,OXO,E07000178,Oxford City Council,1.0,1.5,2.5,4.0\n"
                  + "2020,OXF,E10000025,Oxfordshire County Council,9,9,9,9\n")
    table = read_district_emissions(path)
    # 4.0 kt = 4,000 t; the county (E10) row is left out
    assert table["tco2e"].tolist() == [5000.0, 4000.0]
    assert table["domestic_tco2e"].tolist() == [2000.0, 1500.0]
    assert table["transport_tco2e"].tolist() == [3000.0, 2500.0]
    assert "domestic_gas_tco2e" not in table.columns  # only sector totals become columns
    assert table.attrs["report"]["aggregate_rows_left_out"] == 1
    latest = latest_emissions(table)
    assert latest[["district_id", "year", "tco2e"]].values.tolist() == [
        ["E07000178", 2020, 4000.0]]
    assert latest_emissions(table, 2019)["tco2e"].tolist() == [5000.0]


def test_long_layout_sums_sub_sectors(tmp_path):
    path = _write(tmp_path, "Local Authority,Local Authority Code,Calendar Year,LA GHG Sector,"
                  "LA GHG Sub-sector,Territorial emissions (kt CO2e)\n"
                  "Cherwell,E07000177,2022,Domestic,Domestic Gas,100.5\n"
                  "Cherwell,E07000177,2022,Domestic,Domestic Electricity,20\n"
                  "Cherwell,E07000177,2022,Transport,Road Transport (A roads),30\n")
    table = read_district_emissions(path)
    # domestic 100.5 + 20 = 120.5 kt; total 150.5 kt
    assert table["tco2e"].tolist() == [150500.0]
    assert table["domestic_tco2e"].tolist() == [120500.0]
    assert table["district_name"].tolist() == ["Cherwell"]


def test_canonical_layout_in_tonnes(tmp_path):
    path = _write(tmp_path, "district_id,district_name,year,tco2e,waste_tco2e\n"
                  "D1,One,2020,1500,10\nD2,Two,2020,700,\n")
    table = read_district_emissions(path)
    assert table[["district_id", "tco2e"]].values.tolist() == [["D1", 1500.0], ["D2", 700.0]]
    assert table["waste_tco2e"].iloc[0] == 10.0


def test_bad_cells_are_listed_with_row_and_column(tmp_path):
    path = _write(tmp_path, "district_id,year,tco2e\nD1,2020,lots\n,2020,5\nD2,twenty,-3\n"
                  "D3,2020,1\nD3,2020,2\n")
    with pytest.raises(SourceFormatError) as caught:
        read_district_emissions(path)
    text = str(caught.value)
    assert "emissions.csv, row 2, column 'tco2e': 'lots' is not a number" in text
    assert "row 3, column 'district_id': district code is blank" in text
    assert "row 4, column 'year': 'twenty' is not a number" in text
    assert "row 4, column 'tco2e': -3 is below 0" in text


def test_repeated_district_year_is_refused(tmp_path):
    path = _write(tmp_path, "district_id,year,tco2e\nD3,2020,1\nD3,2020,2\n")
    with pytest.raises(SourceFormatError, match=r"row 3, column 'district_id': district 'D3' "
                                                r"and year 2020 appear more than once"):
        read_district_emissions(path)


def test_unknown_layout_and_missing_file_are_refused(tmp_path):
    path = _write(tmp_path, "area,co2\nD1,5\n")
    with pytest.raises(SourceFormatError, match=r"no emissions layout recognised; columns "
                                                r"found: \['area', 'co2'\]"):
        read_district_emissions(path)
    with pytest.raises(SourceNotFoundError, match="no such file"):
        read_district_emissions(tmp_path / "absent.csv")
    table = read_district_emissions(_write(tmp_path, "district_id,year,tco2e\nD1,2020,1\n",
                                           "ok.csv"))
    with pytest.raises(SourceFormatError, match=r"no row for year 2010; the table has years "
                                                r"\[2020\]"):
        latest_emissions(table, 2010)


def test_sample_table_is_read(tmp_path):
    from geoplan.sample.county import county_from_seed
    from geoplan.sample.emissions import write_emissions

    path = tmp_path / "district_emissions.csv"
    write_emissions(county_from_seed(2024), 2024, path)
    table = read_district_emissions(path)
    assert table["district_id"].nunique() == 5
    assert len(table) == 5 * 16
    sectors = [c for c in table.columns if c.endswith("_tco2e")]
    assert table[sectors].sum(axis=1).to_numpy() == pytest.approx(table["tco2e"].to_numpy())


def test_real_mysociety_table_is_read(real_data):
    path = real_file(real_data, "emissions/oxon_la_co2_emissions_2005_2020_mysociety.csv")
    table = read_district_emissions(path)
    assert sorted(table["district_id"].unique()) == [
        "E07000177", "E07000178", "E07000179", "E07000180", "E07000181"]
    assert table.attrs["report"]["aggregate_rows_left_out"] == 16  # the county, 2005-2020
    assert table.attrs["report"]["years"] == list(range(2005, 2021))
    oxford = table[(table["district_id"] == "E07000178") & (table["year"] == 2005)]
    # the file's Total Emissions:kt CO2 for Oxford in 2005 is 1031.34 kt
    assert oxford["tco2e"].iloc[0] == pytest.approx(1_031_342.83, rel=1e-6)
    sectors = [c for c in table.columns if c.endswith("_tco2e")]
    assert table[sectors].sum(axis=1).to_numpy() == pytest.approx(table["tco2e"].to_numpy())
