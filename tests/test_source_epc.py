"""Tests for the EPC certificates reader (geoplan.sources.epc), on files built in code."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import SourceFormatError, SourceNotFoundError
from geoplan.sources.epc import (
    AGE_BANDS,
    CERTIFICATE_COLUMNS,
    EPC_COLUMNS,
    FUELS,
    REGISTER_NAMES,
    TENURES,
    certificate_files,
    fuel_from_text,
    read_epc_certificates,
)

TYPICAL = {
    "LMK_KEY": "1001", "ADDRESS1": "1 High Street", "POSTCODE": "OX1 1AA",
    "BUILDING_REFERENCE_NUMBER": "5001", "CURRENT_ENERGY_RATING": "D",
    "POTENTIAL_ENERGY_RATING": "B", "CURRENT_ENERGY_EFFICIENCY": "60",
    "POTENTIAL_ENERGY_EFFICIENCY": "82", "PROPERTY_TYPE": "House", "BUILT_FORM": "Semi-Detached",
    "LOCAL_AUTHORITY": "E07000178", "LODGEMENT_DATE": "2019-05-01",
    "ENERGY_CONSUMPTION_CURRENT": "250", "CO2_EMISSIONS_CURRENT": "3.4",
    "TOTAL_FLOOR_AREA": "90.5", "MAINS_GAS_FLAG": "Y", "MULTI_GLAZE_PROPORTION": "100",
    "LOW_ENERGY_LIGHTING": "50", "WINDOWS_DESCRIPTION": "Fully double glazed",
    "WALLS_DESCRIPTION": "Cavity wall, filled cavity",
    "ROOF_DESCRIPTION": "Pitched, 270 mm loft insulation",
    "MAINHEAT_DESCRIPTION": "Boiler and radiators, mains gas",
    "MAIN_FUEL": "mains gas (not community)", "PHOTO_SUPPLY": "0",
    "ADDRESS": "1 High Street, Oxford", "CONSTRUCTION_AGE_BAND": "England and Wales: 1930-1949",
    "LODGEMENT_DATETIME": "2019-05-01 10:11:12", "TENURE": "owner-occupied",
    "UPRN": "100120000001", "UPRN_SOURCE": "Energy Assessor",
}


def certificate(**values: str) -> dict[str, str]:
    """One certificate row: the typical row above with ``values`` replaced."""
    return {**TYPICAL, **values}


def write_certificates(path: Path, rows: Sequence[Mapping[str, str]], *,
                       columns: Sequence[str] = CERTIFICATE_COLUMNS,
                       encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """Write a bulk-download style certificates.csv (all 93 columns by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, list(columns), delimiter=delimiter,
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_one(tmp_path: Path, **values: str) -> pd.Series:
    records = read_epc_certificates(write_certificates(tmp_path / "certificates.csv",
                                                       [certificate(**values)]))
    assert len(records.frame) == 1
    return records.frame.iloc[0]


# --- the constant and a typical row -------------------------------------------------------


def test_certificate_columns_are_the_93_bulk_columns() -> None:
    assert len(CERTIFICATE_COLUMNS) == 93
    assert len(set(CERTIFICATE_COLUMNS)) == 93
    assert CERTIFICATE_COLUMNS[:5] == ("LMK_KEY", "ADDRESS1", "ADDRESS2", "ADDRESS3", "POSTCODE")
    assert CERTIFICATE_COLUMNS[-4:] == ("LOW_ENERGY_FIXED_LIGHT_COUNT", "UPRN", "UPRN_SOURCE",
                                        "REPORT_TYPE")


def test_typical_row_is_normalised(tmp_path: Path) -> None:
    records = read_epc_certificates(write_certificates(tmp_path / "certificates.csv",
                                                       [certificate()]))
    frame = records.frame
    assert list(frame.columns) == list(EPC_COLUMNS)
    row = frame.iloc[0]
    assert row["building_id"] == "uprn:100120000001"
    assert row["uprn"] == "100120000001"
    assert (row["epc_band"], row["potential_band"]) == ("D", "B")
    assert (row["sap_score"], row["potential_sap"]) == (60.0, 82.0)
    assert (row["property_type"], row["built_form"]) == ("house", "semi-detached")
    assert row["age_band"] == "1930-1949"
    assert row["floor_area_m2"] == 90.5
    assert (row["main_fuel"], row["heating_system"]) == ("mains gas", "mains gas")
    assert row["co2_t"] == 3.4
    assert row["tenure"] == "owner-occupied"
    assert (row["wall_type"], bool(row["wall_insulated"])) == ("cavity", True)
    assert row["roof_insulation_mm"] == 270.0
    assert (row["glazing"], row["multi_glaze_pct"]) == ("double", 100.0)
    assert bool(row["mains_gas"]) is True
    assert row["lodgement_date"] == pd.Timestamp("2019-05-01 10:11:12")
    assert row["postcode"] == "OX1 1AA"
    assert (row["energy_consumption_kwh_m2"], row["low_energy_lighting_pct"]) == (250.0, 50.0)
    assert (row["address"], row["local_authority"]) == ("1 High Street, Oxford", "E07000178")
    assert (row["lmk_key"], row["source_file"], row["certificates"]) == (
        "1001", f"{tmp_path.name}/certificates.csv", 1)
    assert records.files == (f"{tmp_path.name}/certificates.csv",)
    assert (records.rows_read, records.duplicates_dropped) == (1, 0)
    assert records.sentinels == {}
    assert records.invalid == {}
    assert records.encodings == {f"{tmp_path.name}/certificates.csv": "utf-8"}


# --- several certificates per home --------------------------------------------------------


def test_latest_certificate_per_uprn_is_kept(tmp_path: Path) -> None:
    rows = [
        certificate(LMK_KEY="a1", CURRENT_ENERGY_RATING="E",
                    LODGEMENT_DATETIME="2014-03-01 09:00:00"),
        certificate(LMK_KEY="a3", CURRENT_ENERGY_RATING="C", POSTCODE="",
                    LODGEMENT_DATETIME="2021-07-30 16:45:00"),
        certificate(LMK_KEY="a2", CURRENT_ENERGY_RATING="D",
                    LODGEMENT_DATETIME="2018-01-01 09:00:00", POSTCODE="OX2 6GG"),
        certificate(LMK_KEY="b1", UPRN="200", LODGEMENT_DATETIME="2010-01-01 00:00:00",
                    BUILDING_REFERENCE_NUMBER="6001"),
    ]
    records = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows))
    frame = records.frame.set_index("building_id")
    assert list(frame.index) == ["uprn:100120000001", "uprn:200"]
    assert frame.loc["uprn:100120000001", "lmk_key"] == "a3"
    assert frame.loc["uprn:100120000001", "epc_band"] == "C"
    assert frame.loc["uprn:100120000001", "certificates"] == 3
    # the latest certificate has no postcode: the previous one's is used
    assert frame.loc["uprn:100120000001", "postcode"] == "OX2 6GG"
    assert (records.rows_read, records.duplicates_dropped) == (4, 2)


def test_homes_without_uprn_are_deduplicated_by_building_reference(tmp_path: Path) -> None:
    rows = [
        certificate(LMK_KEY="c1", UPRN="", BUILDING_REFERENCE_NUMBER="7001",
                    LODGEMENT_DATETIME="2016-01-01 00:00:00", CURRENT_ENERGY_RATING="F"),
        certificate(LMK_KEY="c2", UPRN="", BUILDING_REFERENCE_NUMBER="7001",
                    LODGEMENT_DATETIME="2012-01-01 00:00:00", CURRENT_ENERGY_RATING="G"),
        # an older certificate of a home whose newer one has a UPRN joins that home
        certificate(LMK_KEY="d1", UPRN="", BUILDING_REFERENCE_NUMBER="8001",
                    LODGEMENT_DATETIME="2011-01-01 00:00:00"),
        certificate(LMK_KEY="d2", UPRN="300", BUILDING_REFERENCE_NUMBER="8001",
                    LODGEMENT_DATETIME="2013-01-01 00:00:00"),
        certificate(LMK_KEY="e1", UPRN="", BUILDING_REFERENCE_NUMBER=""),
    ]
    records = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows))
    frame = records.frame.set_index("building_id")
    assert list(frame.index) == ["brn:7001", "lmk:e1", "uprn:300"]
    assert frame.loc["brn:7001", ["lmk_key", "epc_band"]].tolist() == ["c1", "F"]
    assert pd.isna(frame.loc["brn:7001", "uprn"])
    assert frame.loc["uprn:300", ["lmk_key", "certificates"]].tolist() == ["d2", 2]
    assert records.duplicates_dropped == 2


def test_older_release_without_uprn_and_datetime_columns(tmp_path: Path) -> None:
    columns = [c for c in CERTIFICATE_COLUMNS
               if c not in ("UPRN", "UPRN_SOURCE", "LODGEMENT_DATETIME", "REPORT_TYPE")]
    rows = [certificate(LMK_KEY="f1", LODGEMENT_DATE="2009-01-01", CURRENT_ENERGY_RATING="G"),
            certificate(LMK_KEY="f2", LODGEMENT_DATE="2011-06-30", CURRENT_ENERGY_RATING="E")]
    frame = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows,
                                                     columns=columns)).frame
    assert frame["building_id"].tolist() == ["brn:5001"]
    assert frame[["epc_band", "lodgement_date"]].iloc[0].tolist() == [
        "E", pd.Timestamp("2011-06-30")]


# --- quirks of real files -----------------------------------------------------------------


def test_sentinels_become_missing_and_are_counted(tmp_path: Path) -> None:
    rows = [certificate(LMK_KEY="g1", UPRN="1", CURRENT_ENERGY_RATING="INVALID!",
                        BUILT_FORM="NO DATA!", TOTAL_FLOOR_AREA="NO DATA!", TENURE="NO DATA!",
                        PROPERTY_TYPE="not defined", WALLS_DESCRIPTION="",
                        CONSTRUCTION_AGE_BAND="INVALID", MAIN_FUEL="Not defined"),
            certificate(LMK_KEY="g2", UPRN="2", BUILT_FORM="NO DATA!", TOTAL_FLOOR_AREA="1,5",
                        CO2_EMISSIONS_CURRENT="n.a.")]
    records = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows))
    first, second = records.frame.iloc[0], records.frame.iloc[1]
    for column in ("epc_band", "built_form", "floor_area_m2", "property_type", "age_band"):
        assert pd.isna(first[column]), column
    assert (first["tenure"], first["main_fuel"], first["wall_type"]) == (
        "unknown", "unknown", "unknown")
    assert pd.isna(first["wall_insulated"])
    assert pd.isna(second["floor_area_m2"])
    assert pd.isna(second["co2_t"])
    assert records.sentinels == {
        "CURRENT_ENERGY_RATING": 1, "BUILT_FORM": 2, "TOTAL_FLOOR_AREA": 1, "TENURE": 1,
        "PROPERTY_TYPE": 1, "CONSTRUCTION_AGE_BAND": 1, "MAIN_FUEL": 1}
    assert records.invalid == {"TOTAL_FLOOR_AREA": 1, "CO2_EMISSIONS_CURRENT": 1}
    assert records.implausible == {}


@pytest.mark.parametrize(("column", "value", "output"), [
    ("TOTAL_FLOOR_AREA", "1e12", "floor_area_m2"), ("TOTAL_FLOOR_AREA", "4.5", "floor_area_m2"),
    ("CURRENT_ENERGY_EFFICIENCY", "-5", "sap_score"),
    ("CURRENT_ENERGY_EFFICIENCY", "500", "sap_score"),
    ("CURRENT_ENERGY_RATING", "Z", "epc_band")])
def test_implausible_certificate_is_dropped_and_counted_older_one_kept(
        tmp_path: Path, column: str, value: str, output: str) -> None:
    rows = [certificate(LMK_KEY="old", LODGEMENT_DATETIME="2012-01-01 09:00:00"),
            certificate(LMK_KEY="new", **{column: value})]
    records = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows))
    assert records.implausible == {column: 1}
    assert records.invalid == {}
    assert (records.rows_read, records.duplicates_dropped) == (2, 0)
    assert records.frame["lmk_key"].tolist() == ["old"]
    assert records.frame[output].iloc[0] == read_one(tmp_path / "typical")[output]


@pytest.mark.parametrize(("value", "area"), [("90.5 m²", 90.5), (" 90.5 ", 90.5), ("0", None),
                                              ("1,234", None), ("5.510.171", None),
                                              ("90,5", None)])
def test_floor_area_text_follows_the_shared_number_rules(tmp_path: Path, value: str,
                                                         area: float | None) -> None:
    records = read_epc_certificates(write_certificates(
        tmp_path / "certificates.csv", [certificate(TOTAL_FLOOR_AREA=value)]))
    read = records.frame["floor_area_m2"].iloc[0]
    if area is None:
        assert np.isnan(read)
        assert records.invalid == {"TOTAL_FLOOR_AREA": 1}
    else:
        assert read == area
        assert records.invalid == {}


def test_floats_written_for_integers(tmp_path: Path) -> None:
    row = read_one(tmp_path, CURRENT_ENERGY_EFFICIENCY="61.0", POTENTIAL_ENERGY_EFFICIENCY="80.0",
                   LOW_ENERGY_LIGHTING="75.0", UPRN="100120000001.0")
    assert (row["sap_score"], row["potential_sap"], row["low_energy_lighting_pct"]) == (
        61.0, 80.0, 75.0)
    assert row["building_id"] == "uprn:100120000001"


@pytest.mark.parametrize(("text", "band"), [
    ("England and Wales: before 1900", "before 1900"),
    ("England and Wales: 1900-1929", "1900-1929"),
    ("England and Wales: 1967-1975", "1967-1975"),
    ("England and Wales: 2007-2011", "2007-2011"),
    ("England and Wales: 2012 onwards", "2012 onwards"),
    ("2012-2021", "2012 onwards"),
    ("England and Wales: 2022 onwards", "2012 onwards"),
    ("1950-1966", "1950-1966"),
    ("2015", "2012 onwards"),
    ("1985", "1983-1990"),
    ("1899", "before 1900"),
    ("NO DATA!", None),
    ("INVALID!", None),
])
def test_age_bands(tmp_path: Path, text: str, band: str | None) -> None:
    value = read_one(tmp_path, CONSTRUCTION_AGE_BAND=text)["age_band"]
    assert (pd.isna(value) if band is None else value == band)
    assert band is None or band in AGE_BANDS


@pytest.mark.parametrize(("text", "tenure"), [
    ("owner-occupied", "owner-occupied"), ("Owner-occupied", "owner-occupied"),
    ("rental (private)", "private rented"), ("Rented (private)", "private rented"),
    ("rental (social)", "social rented"), ("Rented (social)", "social rented"),
    ("NO DATA!", "unknown"), ("unknown", "unknown"), ("", "unknown"),
    ("Not defined - use in the case of a new dwelling for which the intended tenure in not "
     "known. It is not to be used for an existing dwelling", "unknown"),
])
def test_tenure_spellings(tmp_path: Path, text: str, tenure: str) -> None:
    assert read_one(tmp_path, TENURE=text)["tenure"] == tenure
    assert tenure in TENURES


@pytest.mark.parametrize(("text", "fuel"), [
    ("mains gas (not community)", "mains gas"), ("Gas: mains gas", "mains gas"),
    ("mains gas - this is for backwards compatibility only and should not be used",
     "mains gas"),
    ("electricity (not community)", "electricity"),
    ("Electricity: electricity, unspecified tariff", "electricity"),
    ("oil (not community)", "oil"), ("Oil: heating oil", "oil"),
    ("LPG (not community)", "LPG"), ("bulk LPG", "LPG"), ("bottled LPG", "LPG"),
    ("house coal (not community)", "solid fuel"), ("anthracite", "solid fuel"),
    ("dual fuel - mineral + wood", "solid fuel"),
    ("wood logs", "biomass"), ("wood pellets in bags for secondary heating", "biomass"),
    ("mains gas (community)", "district heating"), ("biomass (community)", "district heating"),
    ("To be used only when there is no heating/hot-water system", "other"),
    ("NO DATA!", "unknown"), ("INVALID!", "unknown"), ("", "unknown"),
])
def test_main_fuels(text: str, fuel: str) -> None:
    assert fuel_from_text(pd.Series([text], dtype="str")).tolist() == [fuel]
    assert fuel in FUELS


def test_heat_pump_is_the_heating_system(tmp_path: Path) -> None:
    row = read_one(tmp_path, MAIN_FUEL="electricity (not community)",
                   MAINHEAT_DESCRIPTION="Air source heat pump, radiators, electric")
    assert (row["main_fuel"], row["heating_system"]) == ("electricity", "heat pump")


@pytest.mark.parametrize(("text", "storage"), [
    ("Electric storage heaters", True), ("Electric storage heaters, radiators", True),
    ("Warm air, Electricaire", True), ("Room heaters, electric", False),
    ("Boiler and radiators, electric", False), ("Electric underfloor heating", False),
    ("Boiler and radiators, mains gas", False), ("NO DATA!", None),
])
def test_storage_heaters_from_the_main_heating_description(tmp_path: Path, text: str,
                                                           storage: bool | None) -> None:
    row = read_one(tmp_path, MAINHEAT_DESCRIPTION=text, MAIN_FUEL="electricity (not community)")
    assert (None if pd.isna(row["storage_heaters"]) else bool(row["storage_heaters"])) is storage


@pytest.mark.parametrize(("text", "wall_type", "insulated"), [
    ("Cavity wall, filled cavity", "cavity", True),
    ("Cavity wall, as built, no insulation (assumed)", "cavity", False),
    ("Cavity wall, as built, partial insulation (assumed)", "cavity", False),
    ("Cavity wall, with external insulation", "cavity", True),
    ("Solid brick, as built, no insulation (assumed)", "solid", False),
    ("Solid brick, with internal insulation", "solid", True),
    ("Sandstone or limestone, as built, no insulation (assumed)", "solid", False),
    ("Granite or whinstone, as built, insulated (assumed)", "solid", True),
    ("Timber frame, as built, insulated (assumed)", "timber frame", True),
    ("System built, as built, no insulation (assumed)", "system built", False),
    ("Average thermal transmittance 0.28 W/m²K", "other", None),
    ("", "unknown", None),
])
def test_walls(tmp_path: Path, text: str, wall_type: str, insulated: bool | None) -> None:
    row = read_one(tmp_path, WALLS_DESCRIPTION=text)
    assert row["wall_type"] == wall_type
    assert (pd.isna(row["wall_insulated"]) if insulated is None
            else bool(row["wall_insulated"]) is insulated)


@pytest.mark.parametrize(("text", "mm"), [
    ("Pitched, 100 mm loft insulation", 100.0), ("Pitched, 400+ mm loft insulation", 400.0),
    ("Pitched, 12mm loft insulation", 12.0), ("Pitched, no insulation (assumed)", 0.0),
    ("(another dwelling above)", None), ("Flat, limited insulation (assumed)", None),
    ("Average thermal transmittance 0.13 W/m²K", None),
])
def test_roof_insulation(tmp_path: Path, text: str, mm: float | None) -> None:
    value = read_one(tmp_path, ROOF_DESCRIPTION=text)["roof_insulation_mm"]
    assert (pd.isna(value) if mm is None else value == mm)


@pytest.mark.parametrize(("text", "glazing"), [
    ("Fully double glazed", "double"), ("Partial double glazing", "double"),
    ("Single glazed", "single"), ("Full secondary glazing", "secondary"),
    ("Fully triple glazed", "triple"), ("High performance glazing", "double"),
    ("Multiple glazing throughout", "double"), ("NO DATA!", "unknown"),
])
def test_glazing(tmp_path: Path, text: str, glazing: str) -> None:
    assert read_one(tmp_path, WINDOWS_DESCRIPTION=text)["glazing"] == glazing


@pytest.mark.parametrize(("flag", "expected"), [("Y", True), ("N", False), ("", None)])
def test_mains_gas_flag(tmp_path: Path, flag: str, expected: bool | None) -> None:
    value = read_one(tmp_path, MAINS_GAS_FLAG=flag)["mains_gas"]
    assert pd.isna(value) if expected is None else bool(value) is expected


def test_latin1_file_is_read(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "certificates.csv",
                              [certificate(ADDRESS="2 Rue Hélène, Oxford")], encoding="cp1252")
    records = read_epc_certificates(path)
    assert records.frame["address"].tolist() == ["2 Rue Hélène, Oxford"]
    assert records.encodings == {f"{tmp_path.name}/certificates.csv": "cp1252"}


def test_utf8_file_with_byte_order_mark(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "certificates.csv",
                              [certificate(ADDRESS="3 Cañon Close")], encoding="utf-8-sig")
    records = read_epc_certificates(path)
    assert records.frame["address"].tolist() == ["3 Cañon Close"]
    assert records.frame["lmk_key"].tolist() == ["1001"]


def test_quoted_values_with_commas_and_line_breaks(tmp_path: Path) -> None:
    row = read_one(tmp_path, ADDRESS="Flat 1,\nThe Mill, Oxford")
    assert row["address"] == "Flat 1,\nThe Mill, Oxford"


def test_lower_case_hyphenated_header(tmp_path: Path) -> None:
    columns = [c.lower().replace("_", "-") for c in CERTIFICATE_COLUMNS]
    rows = [{c.lower().replace("_", "-"): v for c, v in certificate().items()}]
    frame = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows,
                                                     columns=columns)).frame
    assert frame[["building_id", "epc_band", "tenure"]].iloc[0].tolist() == [
        "uprn:100120000001", "D", "owner-occupied"]


def register_columns(column: str) -> str:
    """The 2025+ register's name of a bulk column (lower case, renamed ones mapped)."""
    renamed = {bulk: new for new, bulk in REGISTER_NAMES.items()}
    return renamed.get(column, column).lower()


def test_register_download_layout_is_detected_by_its_header(tmp_path: Path) -> None:
    columns = [register_columns(c) for c in CERTIFICATE_COLUMNS if c != "REPORT_TYPE"]
    columns.append("report_type")
    older = certificate(LMK_KEY="0001-0002", CURRENT_ENERGY_RATING="F",
                        CURRENT_ENERGY_EFFICIENCY="30", LODGEMENT_DATE="2015-01-01",
                        LODGEMENT_DATETIME="2015-01-01 09:00:00")
    newer = certificate(LMK_KEY="0003-0004", LODGEMENT_DATE="2025-06-01",
                        LODGEMENT_DATETIME="2025-06-01 09:00:00")
    rows = [{register_columns(c): v for c, v in row.items()} | {"report_type": "RdSAP"}
            for row in (older, newer)]
    assert "certificate_number" in columns
    assert "current_energy_efficiency_band" in columns
    frame = read_epc_certificates(write_certificates(tmp_path / "certificates.csv", rows,
                                                     columns=columns)).frame
    # the latest certificate (by registration date) is kept, with its band and SAP score
    assert frame[["lmk_key", "epc_band", "sap_score", "certificates"]].iloc[0].tolist() == [
        "0003-0004", "D", 60.0, 2]
    without_band = [c for c in columns if c != "current_energy_efficiency_band"]
    path = write_certificates(tmp_path / "short" / "certificates.csv", rows,
                              columns=without_band)
    with pytest.raises(SourceFormatError, match="CURRENT_ENERGY_RATING"):
        read_epc_certificates(path)


def test_folder_is_searched_recursively(tmp_path: Path) -> None:
    write_certificates(tmp_path / "bulk" / "domestic-E07000178-Oxford" / "certificates.csv",
                       [certificate(UPRN="1")])
    write_certificates(tmp_path / "bulk" / "domestic-E07000177-Cherwell" / "certificates.csv",
                       [certificate(UPRN="2", LOCAL_AUTHORITY="E07000177")])
    (tmp_path / "bulk" / "domestic-E07000177-Cherwell" / "recommendations.csv").write_text("x")
    records = read_epc_certificates(tmp_path / "bulk")
    assert records.files == ("domestic-E07000177-Cherwell/certificates.csv",
                             "domestic-E07000178-Oxford/certificates.csv")
    assert records.frame[["building_id", "local_authority", "source_file"]].values.tolist() == [
        ["uprn:1", "E07000178", "domestic-E07000178-Oxford/certificates.csv"],
        ["uprn:2", "E07000177", "domestic-E07000177-Cherwell/certificates.csv"]]
    listed = certificate_files([tmp_path / "bulk" / "domestic-E07000178-Oxford",
                                tmp_path / "bulk" / "domestic-E07000177-Cherwell"
                                / "certificates.csv"])
    assert [p.parent.name for p in listed] == ["domestic-E07000178-Oxford",
                                               "domestic-E07000177-Cherwell"]


def test_output_is_deterministic_whatever_the_row_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = [certificate(LMK_KEY=f"k{i}", UPRN=str(i % 5) if i % 3 else "",
                        BUILDING_REFERENCE_NUMBER=str(i % 4),
                        LODGEMENT_DATETIME=f"20{10 + i % 9}-01-0{1 + i % 7} 00:00:00",
                        CURRENT_ENERGY_RATING="ABCDEFG"[i % 7]) for i in range(40)]
    first = read_epc_certificates(write_certificates(tmp_path / "a" / "certificates.csv", rows))
    again = read_epc_certificates(write_certificates(tmp_path / "a" / "certificates.csv", rows))
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    other = read_epc_certificates(write_certificates(tmp_path / "b" / "certificates.csv",
                                                     shuffled))
    pd.testing.assert_frame_equal(first.frame, again.frame)
    pd.testing.assert_frame_equal(first.frame.drop(columns="source_file"),
                                  other.frame.drop(columns="source_file"))


def test_header_only_file_is_refused_by_its_full_path(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "domestic-E1-A" / "certificates.csv", [])
    with pytest.raises(SourceFormatError, match=re.escape(f"{path}: no rows")):
        read_epc_certificates(path)


# --- errors -------------------------------------------------------------------------------


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"nowhere\.csv: no such file or folder"):
        read_epc_certificates(tmp_path / "nowhere.csv")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(SourceNotFoundError, match=r"no certificates\.csv .*readme\.txt"):
        read_epc_certificates(tmp_path / "empty")
    with pytest.raises(SourceNotFoundError, match="no EPC files given"):
        read_epc_certificates([])


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "certificates.csv"
    path.write_text(content)
    with pytest.raises(SourceFormatError, match=r"certificates\.csv: the file is empty"):
        read_epc_certificates(path)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_wrong_delimiter(tmp_path: Path, delimiter: str, name: str) -> None:
    path = write_certificates(tmp_path / "certificates.csv", [certificate()],
                              delimiter=delimiter)
    with pytest.raises(SourceFormatError,
                       match=rf"line 1 is {name}-separated .*fix: .*comma delimited"):
        read_epc_certificates(path)


def test_missing_required_columns_are_all_listed(tmp_path: Path) -> None:
    columns = [c for c in CERTIFICATE_COLUMNS if c not in ("TOTAL_FLOOR_AREA", "TENURE")]
    path = write_certificates(tmp_path / "certificates.csv", [certificate()], columns=columns)
    with pytest.raises(SourceFormatError,
                       match=r"row 1: required columns are missing: \['TOTAL_FLOOR_AREA', "
                             r"'TENURE'\]"):
        read_epc_certificates(path)


def test_truncated_file_names_the_cut_row(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "certificates.csv",
                              [certificate(UPRN=str(i)) for i in range(3)])
    lines = path.read_text().splitlines(keepends=True)
    lines[-1] = ",".join(lines[-1].split(",")[:20])  # the download stopped mid-row
    path.write_text("".join(lines))
    with pytest.raises(SourceFormatError,
                       match=r"certificates\.csv, row 4: has 20 values, expected 93; it is the "
                             r"last row: the file looks truncated"):
        read_epc_certificates(path)


def test_rows_with_wrong_value_counts_are_all_named(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "certificates.csv",
                              [certificate(UPRN=str(i)) for i in range(5)])
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",extra\n"
    lines[4] = ",".join(lines[4].split(",")[:10]) + "\n"
    path.write_text("".join(lines))
    with pytest.raises(SourceFormatError) as error:
        read_epc_certificates(path)
    assert [(p.row, p.message) for p in error.value.problems] == [
        (3, "has 94 values, expected 93"), (5, "has 10 values, expected 93")]


def test_many_bad_rows_are_counted_not_all_listed(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "certificates.csv",
                              [certificate(UPRN=str(i)) for i in range(30)])
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "".join(line.rstrip("\n") + ",x\n" for line in lines[1:]))
    with pytest.raises(SourceFormatError) as error:
        read_epc_certificates(path)
    problems = error.value.problems
    assert [p.row for p in problems[:20]] == list(range(2, 22))
    assert problems[-1].message == "and 10 more rows with the wrong number of values"


def test_unterminated_quote_names_its_line(tmp_path: Path) -> None:
    path = write_certificates(tmp_path / "certificates.csv",
                              [certificate(UPRN=str(i)) for i in range(3)])
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("1 High Street,", '"1 High Street,', 1)
    path.write_text("".join(lines))
    with pytest.raises(SourceFormatError,
                       match=r"row 4: a quoted value is never closed .*truncated"):
        read_epc_certificates(path)


def _latest_by_hand(rows: list[dict]) -> dict[str, tuple]:
    """The module docstring's rules, one certificate at a time: home -> (lmk_key of the
    latest certificate, the latest postcode given, how many certificates)."""
    first_uprn: dict[str, str] = {}
    for row in rows:
        if row["brn"] is not None and row["uprn"] is not None:
            first_uprn[row["brn"]] = min(first_uprn.get(row["brn"], row["uprn"]), row["uprn"])
    homes: dict[str, list[tuple]] = {}
    for position, row in enumerate(rows):
        uprn = row["uprn"] or first_uprn.get(row["brn"])
        home = (f"uprn:{uprn}" if uprn else f"brn:{row['brn']}" if row["brn"]
                else f"lmk:{row['lmk']}" if row["lmk"] else f"row:{row['index']}")
        # missing dates and keys sort first; equal ones keep the order they were read in
        key = (row["date"] is not None, row["date"] or "", row["lmk"] is not None,
               row["lmk"] or "", position)
        homes.setdefault(home, []).append((key, row))
    latest = {}
    for home, found in homes.items():
        found.sort(key=lambda pair: pair[0])
        postcodes = [row["postcode"] for _, row in found if row["postcode"] is not None]
        latest[home] = (found[-1][1]["lmk"], postcodes[-1] if postcodes else None, len(found))
    return latest


@pytest.mark.parametrize("seed", range(40))
def test_deduplicate_keeps_the_latest_certificate_as_the_rules_say(seed: int) -> None:
    from geoplan.sources.epc import EPC_COLUMNS, _deduplicate

    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 30))

    def pick(values: list[str], missing: float) -> list[str | None]:
        return [None if rng.random() < missing else values[int(rng.integers(len(values)))]
                for _ in range(size)]

    columns = {"uprn": pick(["1", "10", "2", "30"], 0.4), "brn": pick(["b1", "b2", "b3"], 0.4),
               "lmk": pick(["k1", "k2", "k3", "k4"], 0.2),
               "postcode": pick(["OX1 1AA", "OX2 2BB"], 0.5),
               "date": pick(["2019-03-03", "2020-01-01", "2021-05-05"], 0.2)}
    rows = [{name: values[i] for name, values in columns.items()} | {"index": 7 + i}
            for i in range(size)]
    frame = pd.DataFrame({name: pd.Series(["-"] * size, dtype="str") for name in EPC_COLUMNS
                          if name not in ("building_id", "certificates")})
    for name, column in (("uprn", "uprn"), ("_brn", "brn"), ("lmk_key", "lmk"),
                         ("postcode", "postcode")):
        frame[name] = pd.Series(columns[column], dtype="str")
    frame["lodgement_date"] = pd.to_datetime(pd.Series(columns["date"], dtype="str"))
    frame.index = pd.RangeIndex(7, 7 + size)

    homes = _deduplicate(frame)
    expected = _latest_by_hand(rows)
    assert homes["building_id"].tolist() == sorted(expected)  # one row per home, in order
    for home in homes.itertuples():
        lmk, postcode, count = expected[home.building_id]
        assert (None if pd.isna(home.lmk_key) else home.lmk_key) == lmk
        assert (None if pd.isna(home.postcode) else home.postcode) == postcode
        assert home.certificates == count
