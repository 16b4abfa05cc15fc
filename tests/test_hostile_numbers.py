"""Hostile numbers in the sample county's own files: a clear error or a counted change.

Each case takes one real-format file of the sample county (the ``small_sample`` fixture),
puts one hostile value in one cell (or a few, for the column rules) and reads it the way a
user would: ``geoplan layers validate`` through click's runner, or the reader itself where the
reader's contract is a counted warning. Every case ends in one of:

* ``error``: exit 2 (or a :class:`~geoplan.errors.GeoplanError`) whose message names the file,
  the row, the column, the bad value and a fix;
* ``ok``: a correct read of the value, with nothing counted as changed;
* ``dropped`` / ``blank`` (EPC certificates): the certificate is dropped, or the cell left
  empty, and the reader's report counts it.

The table in ``tests/README.md`` ("Numbers in cells") lists the cases.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from geoplan.cli import cli
from geoplan.errors import GeoplanError
from geoplan.sources import ssen_headroom_report
from geoplan.sources.chargepoint_registry import read_chargepoints
from geoplan.sources.epc import read_epc_certificates


@dataclass(frozen=True)
class Case:
    """One hostile input: which file, which cells, and the outcome expected."""

    id: str
    target: str
    value: object
    expect: str
    words: str = ""
    read_as: float | None = None
    column: str = ""
    extra: dict[object, object] = field(default_factory=dict)


# --- the headroom report: column H (2024 winter) of OXFORD CENTRAL's MINIMUM row (row 3) ---
H_ROW, H_COL, H_LETTER = 3, 8, "H"

HEADROOM = [
    Case("decimal-comma", "headroom", "1,5", "error", "decimal comma"),
    Case("european-13,073-alone", "headroom", "13,073", "error", "thousands separator"),
    Case("grouped-13,073-in-grouped-column", "headroom", "13,073", "error",
         "outside the plausible range", extra={4: "1,200", 5: "1,300"}),
    Case("grouped-1,234-in-grouped-column", "headroom", "1,234", "ok", read_as=1234.0,
         extra={4: "1,200", 5: "1,300"}),
    Case("grouped-with-big-plain-in-column", "headroom", "1,234", "error",
         "thousands separator", extra={4: "1,200", 5: "1300"}),
    Case("percent", "headroom", "50%", "error", "is a percentage"),
    Case("megawatts", "headroom", "13.073 MW", "error", "is in MW"),
    Case("own-unit", "headroom", "13.073 MVA", "ok", read_as=13.073),
    Case("own-unit-lower-case", "headroom", "13.073mva", "ok", read_as=13.073),
    Case("kilowatts", "headroom", "13073 kW", "error", "is in kW"),
    Case("1e300-text", "headroom", "1e300", "error", "outside the plausible range"),
    Case("minus-1e300-text", "headroom", "-1e300", "error", "outside the plausible range"),
    Case("1e300-number", "headroom", 1e300, "error", "outside the plausible range"),
    Case("2001-number", "headroom", 2001.0, "error", "outside the plausible range"),
    Case("minus-2000-number", "headroom", -2000.0, "ok", read_as=-2000.0),
    Case("inf", "headroom", "inf", "error", "not a finite number"),
    Case("minus-infinity", "headroom", "-Infinity", "error", "not a finite number"),
    Case("1e400", "headroom", "1e400", "error", "not a finite number"),
    Case("nan-text-is-blank", "headroom", "NaN", "ok", read_as=None),
    Case("empty-text-is-blank", "headroom", "", "ok", read_as=None),
    Case("padded", "headroom", " 12 ", "ok", read_as=12.0),
    Case("two-points", "headroom", "12.5.3", "error", "is not a number"),
    Case("dot-groups", "headroom", "5.510.171", "error", "'.' to group thousands"),
    Case("accounting-negative", "headroom", "(3.2)", "error", "accounting-style negative"),
    Case("unicode-minus", "headroom", "\u22123.2", "ok", read_as=-3.2),
    Case("nbsp-group-alone", "headroom", "1\u00a0234", "error", "no-break space"),
    Case("nbsp-groups-in-column", "headroom", "1\u00a0234", "ok", read_as=1234.0,
         extra={4: "1\u00a0200", 5: "1\u00a0300"}),
    Case("narrow-nbsp-group-alone", "headroom", "1\u202f234", "error",
         "narrow no-break space"),
    Case("words", "headroom", "about 12", "error", "is not a number"),
    Case("trailing-question-mark", "headroom", "12 MVA?", "error", "is not a number"),
]


@pytest.fixture(scope="module")
def headroom_book(small_sample: Path) -> openpyxl.Workbook:
    """The sample's headroom report, loaded once for the module's cases (each puts back the
    cells it changes)."""
    return openpyxl.load_workbook(small_sample / "grid" / "network-headroom-report.xlsx")


def _headroom_file(book: openpyxl.Workbook, tmp_path: Path, case: Case) -> Path:
    """The report with ``case``'s cells changed, saved in ``tmp_path``; ``book`` is put back."""
    path = tmp_path / "network-headroom-report.xlsx"
    sheet = book["Primary Headroom Dem"]
    cells = [sheet.cell(row=int(row), column=H_COL) for row in (H_ROW, *case.extra)]
    kept = [cell.value for cell in cells]
    try:
        for cell, value in zip(cells, (case.value, *case.extra.values()), strict=True):
            cell.value = value
        book.save(path)
    finally:
        for cell, value in zip(cells, kept, strict=True):
            cell.value = value
    return path


def _whole_column_european(sample: Path, tmp_path: Path) -> Path:
    path = tmp_path / "network-headroom-report.xlsx"
    shutil.copy(sample / "grid" / path.name, path)
    book = openpyxl.load_workbook(path)
    sheet = book["Primary Headroom Dem"]
    for (cell,) in sheet.iter_rows(min_row=3, min_col=H_COL, max_col=H_COL):
        if isinstance(cell.value, float):
            cell.value = f"{cell.value}".replace(".", ",")
    book.save(path)
    return path


def _validate(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["layers", "validate", *[str(a) for a in args]])
    return result.exit_code, result.output


def _oxford_central_2024(path: Path) -> float | None:
    tables = ssen_headroom_report.read(path)
    subs = tables.substations.reset_index(drop=True)
    record = int(np.flatnonzero((subs["name"] == "OXFORD CENTRAL").to_numpy())[0])
    head = tables.headroom
    rows = head[(head["substation_id"] == subs["substation_id"][record])
                & (head["scenario"] == "minimum") & (head["year"] == 2024)
                & (head["season"] == "winter")]
    return None if rows.empty else float(rows["headroom_mva"].iloc[0])


def _shown(value: object) -> str:
    return f"{value:.10g}" if isinstance(value, float) else repr(value)


@pytest.mark.parametrize("case", HEADROOM, ids=[c.id for c in HEADROOM])
def test_headroom_report_cell(case: Case, headroom_book: openpyxl.Workbook,
                              tmp_path: Path) -> None:
    path = _headroom_file(headroom_book, tmp_path, case)
    code, output = _validate("--kind", "substations", path)
    if case.expect == "error":
        assert code == 2, output
        line = next(x for x in output.splitlines() if f"row {H_ROW}, column" in x)
        assert "network-headroom-report.xlsx" in output
        assert f"sheet 'Primary Headroom Dem', row {H_ROW}, column '{H_LETTER}'" in line
        assert _shown(case.value) in line
        assert case.words in line
        assert "(winter 2024)" in line
        assert re.search(r"\(fix: .+\)$", line)
    else:
        assert code == 0, output
        assert _oxford_central_2024(path) == case.read_as


def test_headroom_report_all_european_column_exits_2(small_sample: Path, tmp_path: Path):
    code, output = _validate("--kind", "substations", _whole_column_european(small_sample,
                                                                             tmp_path))
    assert code == 2
    assert "decimal comma" in output
    assert "convert the file to '.' decimals" in output
    assert output.count(f"column '{H_LETTER}'") >= 10


# --- EPC certificates: one row of Oxford's certificates.csv -------------------------------
EPC_ROW = 5  # data row (0-based): file line 7

EPC = [
    Case("floor-area-1e12", "epc", "1e12", "dropped", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-0-not-recorded", "epc", "0", "blank", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-4", "epc", "4", "dropped", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-negative", "epc", "-80", "dropped", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-5000", "epc", "5000", "ok", read_as=5000.0, column="TOTAL_FLOOR_AREA"),
    Case("floor-area-decimal-comma", "epc", "90,5", "blank", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-1,234-alone", "epc", "1,234", "blank", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-dot-groups", "epc", "5.510.171", "blank", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-inf", "epc", "inf", "blank", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-own-unit", "epc", "90.5 m²", "ok", read_as=90.5, column="TOTAL_FLOOR_AREA"),
    Case("floor-area-foreign-unit", "epc", "974 sq ft", "blank", column="TOTAL_FLOOR_AREA"),
    Case("floor-area-padded", "epc", " 90.5 ", "ok", read_as=90.5, column="TOTAL_FLOOR_AREA"),
    Case("sap-minus-5", "epc", "-5", "dropped", column="CURRENT_ENERGY_EFFICIENCY"),
    Case("sap-500", "epc", "500", "dropped", column="CURRENT_ENERGY_EFFICIENCY"),
    Case("sap-0", "epc", "0", "dropped", column="CURRENT_ENERGY_EFFICIENCY"),
    Case("sap-120-net-exporter", "epc", "120", "ok", read_as=120.0,
         column="CURRENT_ENERGY_EFFICIENCY"),
    Case("sap-float", "epc", "61.0", "ok", read_as=61.0, column="CURRENT_ENERGY_EFFICIENCY"),
    Case("sap-accounting", "epc", "(60)", "blank", column="CURRENT_ENERGY_EFFICIENCY"),
    Case("sap-unicode-minus", "epc", "\u22125", "dropped", column="CURRENT_ENERGY_EFFICIENCY"),
    Case("potential-sap-999", "epc", "999", "dropped", column="POTENTIAL_ENERGY_EFFICIENCY"),
    Case("rating-Z", "epc", "Z", "dropped", column="CURRENT_ENERGY_RATING"),
    Case("rating-AA", "epc", "AA", "dropped", column="CURRENT_ENERGY_RATING"),
    Case("potential-rating-H", "epc", "H", "dropped", column="POTENTIAL_ENERGY_RATING"),
    Case("co2-1e300", "epc", "1e300", "dropped", column="CO2_EMISSIONS_CURRENT"),
    Case("lighting-150-percent", "epc", "150", "dropped", column="LOW_ENERGY_LIGHTING"),
    Case("lighting-own-percent-sign", "epc", "75%", "ok", read_as=75.0,
         column="LOW_ENERGY_LIGHTING"),
]
_EPC_OUTPUT = {"TOTAL_FLOOR_AREA": "floor_area_m2", "CURRENT_ENERGY_EFFICIENCY": "sap_score",
               "POTENTIAL_ENERGY_EFFICIENCY": "potential_sap", "CO2_EMISSIONS_CURRENT": "co2_t",
               "LOW_ENERGY_LIGHTING": "low_energy_lighting_pct",
               "CURRENT_ENERGY_RATING": "epc_band", "POTENTIAL_ENERGY_RATING": "potential_band"}


def _epc_file(sample: Path, tmp_path: Path, cells: dict[tuple[int, str], str]) -> Path:
    source = next((sample / "epc").glob("*Oxford/certificates.csv"))
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, nrows=200)
    for (row, column), value in cells.items():
        frame.loc[row, column] = value
    path = tmp_path / "domestic-E07000178-Oxford" / "certificates.csv"
    path.parent.mkdir()
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


@pytest.mark.parametrize("case", EPC, ids=[c.id for c in EPC])
def test_epc_certificate_cell(case: Case, small_sample: Path, tmp_path: Path) -> None:
    path = _epc_file(small_sample, tmp_path, {(EPC_ROW, case.column): str(case.value)})
    lmk = pd.read_csv(path, dtype=str, keep_default_na=False)["LMK_KEY"][EPC_ROW]
    records = read_epc_certificates(path)
    mine = records.frame[records.frame["lmk_key"] == lmk]
    output = _EPC_OUTPUT[case.column]
    if case.expect == "dropped":
        assert records.implausible == {case.column: 1}
        assert mine.empty
        assert records.rows_read == 200
    elif case.expect == "blank":
        assert records.invalid == {case.column: 1}
        assert records.implausible == {}
        assert len(mine) == 1
        assert pd.isna(mine[output].iloc[0])
    else:
        assert records.invalid == {}
        assert records.implausible == {}
        assert mine[output].iloc[0] == case.read_as


def test_epc_grouped_floor_areas_read_when_the_column_uses_them(small_sample: Path,
                                                                tmp_path: Path) -> None:
    cells = {(EPC_ROW, "TOTAL_FLOOR_AREA"): "1,234", (EPC_ROW + 1, "TOTAL_FLOOR_AREA"): "1,500"}
    path = _epc_file(small_sample, tmp_path, cells)
    lmk = pd.read_csv(path, dtype=str, keep_default_na=False)["LMK_KEY"][EPC_ROW]
    records = read_epc_certificates(path)
    assert records.invalid == {}
    frame = records.frame.set_index("lmk_key")
    assert frame.loc[lmk, "floor_area_m2"] == 1234.0


def test_epc_drop_is_a_warning_of_validate(small_sample: Path, tmp_path: Path) -> None:
    path = _epc_file(small_sample, tmp_path, {(EPC_ROW, "CURRENT_ENERGY_EFFICIENCY"): "500",
                                              (EPC_ROW + 1, "CURRENT_ENERGY_RATING"): "Z"})
    code, output = _validate("--kind", "buildings", path.parent, "--postcodes",
                             small_sample / "postcodes" / "codepoint.csv")
    assert code == 0, output
    line = next(x for x in output.splitlines() if "per column:" in x)
    assert "for an implausible value, per column:" in line
    assert "'CURRENT_ENERGY_EFFICIENCY': 1" in line
    assert "'CURRENT_ENERGY_RATING': 1" in line


# --- EV vehicles and households per zone (CLI, --kind ev_demand) --------------------------
ZONE_ROW = 3  # data row (0-based): file row 5

ZONES = [
    Case("vehicles-decimal-comma", "vehicles", "1,5", "error", "decimal comma",
         column="plugin_cars"),
    Case("vehicles-negative", "vehicles", "-3", "error", "outside the plausible range",
         column="plugin_cars"),
    Case("vehicles-1e300", "vehicles", "1e300", "error", "outside the plausible range",
         column="plugin_cars"),
    Case("vehicles-nan-text", "vehicles", "NaN", "ok", column="plugin_cars"),
    Case("vehicles-inf", "vehicles", "inf", "error", "not a finite number",
         column="plugin_cars"),
    Case("vehicles-percent", "vehicles", "5%", "error", "is a percentage",
         column="plugin_vans"),
    Case("vehicles-lone-thousands", "vehicles", "1,039", "error", "thousands separator",
         column="plugin_vans"),
    Case("vehicles-accounting", "vehicles", "(3)", "error", "accounting-style negative",
         column="plugin_vans"),
    Case("vehicles-padded", "vehicles", " 12 ", "ok", column="plugin_vans"),
    Case("households-dot-groups", "households", "1.641.000", "error",
         "'.' to group thousands", column="households"),
    Case("households-unicode-minus", "households", "\u221267", "error",
         "outside the plausible range", column="households_no_offstreet"),
    Case("households-words", "households", "about 600", "error", "is not a number",
         column="households"),
    Case("households-1e12", "households", "1e12", "error", "outside the plausible range",
         column="households"),
]


@pytest.mark.parametrize("case", ZONES, ids=[c.id for c in ZONES])
def test_zone_table_cell(case: Case, small_sample: Path, tmp_path: Path) -> None:
    files = {}
    for name in ("vehicles", "households"):
        frame = pd.read_csv(small_sample / "ev" / f"{name}_by_zone.csv", dtype=str,
                            keep_default_na=False)
        if name == case.target:
            frame.loc[ZONE_ROW, case.column] = str(case.value)
        files[name] = tmp_path / f"{name}_by_zone.csv"
        frame.to_csv(files[name], index=False)
    code, output = _validate("--kind", "ev_demand", files["vehicles"], "--zones",
                             small_sample / "boundaries" / "zones.gpkg", "--households",
                             files["households"])
    if case.expect == "error":
        assert code == 2, output
        line = next(x for x in output.splitlines() if f"row {ZONE_ROW + 2}," in x)
        assert f"{case.target}_by_zone.csv" in line
        assert f"column '{case.column}'" in line
        assert repr(case.value) in line
        assert case.words in line
        assert "(fix: " in line
    else:
        assert code == 0, output


# --- chargepoint registry: a bad rating is ignored and counted, a bad location rejected ---
CHARGERS = [
    Case("rating-decimal-comma", "chargers", "7,4", "ignored", column="connector1RatedOutputKW"),
    Case("rating-1e300", "chargers", "1e300", "ignored", column="connector1RatedOutputKW"),
    Case("rating-negative", "chargers", "-22", "ignored", column="connector1RatedOutputKW"),
    Case("rating-megawatts", "chargers", "0.35 MW", "ignored",
         column="connector1RatedOutputKW"),
    Case("rating-own-unit", "chargers", "22 kW", "ok", read_as=22.0,
         column="connector1RatedOutputKW"),
    Case("latitude-decimal-comma", "chargers", "51,75", "rejected", column="latitude"),
    Case("longitude-accounting", "chargers", "(1.25)", "rejected", column="longitude"),
]


@pytest.mark.parametrize("case", CHARGERS, ids=[c.id for c in CHARGERS])
def test_chargepoint_cell(case: Case, small_sample: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(small_sample / "ev" / "chargepoints.csv", dtype=str,
                        keep_default_na=False)
    frame = frame[frame["connector2RatedOutputKW"].eq("")].head(50).reset_index(drop=True)
    path = tmp_path / "chargepoints.csv"
    frame.to_csv(path, index=False)
    before = {line for line, _ in read_chargepoints(path).rejected}
    assert ZONE_ROW + 2 not in before
    frame.loc[ZONE_ROW, case.column] = str(case.value)
    frame.to_csv(path, index=False)
    records = read_chargepoints(path)
    device = frame.loc[ZONE_ROW, "chargeDeviceID"]
    if case.expect == "rejected":
        assert {line for line, _ in records.rejected} == before | {ZONE_ROW + 2}
        return
    kw = records.frame.set_index("device_id")["kw"]
    if case.expect == "ignored":
        assert any("1 connector ratings are not plausible numbers of kW" in n and
                   f"[{ZONE_ROW + 2}]" in n for n in records.notes), records.notes
        assert np.isnan(kw[device])
    else:
        assert not any("connector ratings" in n for n in records.notes)
        assert kw[device] == case.read_as


# --- district emissions: every bad cell is an error ---------------------------------------
EMISSIONS = [
    Case("total-decimal-comma", "emissions", "253,38", "error", "decimal comma"),
    Case("total-1e300", "emissions", "1e300", "error", "outside the plausible range"),
    Case("total-inf", "emissions", "inf", "error", "not a finite number"),
    Case("total-units", "emissions", "253.38 kt", "error", "is in kt"),
    Case("total-dot-groups", "emissions", "1.253.380", "error", "'.' to group thousands"),
]


@pytest.mark.parametrize("case", EMISSIONS, ids=[c.id for c in EMISSIONS])
def test_emissions_cell(case: Case, small_sample: Path, tmp_path: Path) -> None:
    from geoplan.sources.emissions import read_district_emissions

    frame = pd.read_csv(small_sample / "emissions" / "district_emissions.csv", dtype=str,
                        keep_default_na=False)
    column = "Industry Total:kt CO2"
    frame.loc[ZONE_ROW, column] = str(case.value)
    path = tmp_path / "district_emissions.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(GeoplanError) as info:
        read_district_emissions(path)
    line = next(p for p in info.value.problems if p.row == ZONE_ROW + 2)
    assert line.file == "district_emissions.csv"
    assert line.column == column
    assert repr(case.value) in line.message or case.value in line.message
    assert case.words in line.message
    assert line.fix
