"""More hostile numbers: spreadsheet error cells, assumption tables, site capacities, and
files whose decimal mark is a comma (declared or not).

Like ``tests/test_hostile_numbers.py`` (kept apart to keep both modules short), each case
takes one of the sample county's files (the ``small_sample`` fixture) or geoplan's own
assumption tables, puts one hostile value in one cell and reads it as a user would. Every
case ends in an error naming the file, row, column, bad value and fix, a counted warning, or
a correct read. The table in ``tests/README.md`` ("Numbers in cells") lists the cases.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from geoplan.assumptions import default_path
from geoplan.cli import cli
from geoplan.errors import GeoplanError, ScenarioError, SourceFormatError
from geoplan.layers.land_classes import read_land_classes
from geoplan.layers.prepare import LayerInputs, prepare_layers
from geoplan.layers.read import read_layers
from geoplan.pipeline import layer_inputs
from geoplan.planning.finance import finance_assumptions, read_finance
from geoplan.scenario import load_scenario
from geoplan.sources import ssen_headroom_report
from geoplan.sources.emissions import read_district_emissions


@dataclass(frozen=True)
class Case:
    """One hostile input: where it goes, the value, and the outcome expected."""

    id: str
    value: object
    expect: str
    words: str = ""
    row: int = 0
    column: str = ""
    extra: dict[object, object] = field(default_factory=dict)


def _validate(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["layers", "validate", *[str(a) for a in args]])
    return result.exit_code, result.output


# --- spreadsheet error cells in the headroom report ---------------------------------------
PRIMARY, BSP = "Primary Headroom Dem", "BSP Headroom Dem"

ERROR_CELLS = [
    *[Case(f"error-{code}", code, "error", row=3, column="H", extra={"sheet": PRIMARY})
      for code in ("#VALUE!", "#DIV/0!", "#N/A", "#REF!", "#NAME?", "#NUM!", "#NULL!")],
    Case("error-in-bsp-sheet", "#DIV/0!", "error", row=3, column="H", extra={"sheet": BSP}),
    Case("error-in-year-row", "#REF!", "error", "is not a year", row=2, column="H",
         extra={"sheet": PRIMARY}),
]


def _with_error(sample: Path, tmp_path: Path, sheet: str, cells: dict[tuple[int, int], str]
                ) -> Path:
    path = tmp_path / "network-headroom-report.xlsx"
    shutil.copy(sample / "grid" / path.name, path)
    book = openpyxl.load_workbook(path)
    for (row, column), code in cells.items():
        cell = book[sheet].cell(row=row, column=column)
        cell.value = code
        cell.data_type = "e"  # an error value, as Excel saves a failed formula's result
    book.save(path)
    return path


@pytest.mark.parametrize("case", ERROR_CELLS, ids=[c.id for c in ERROR_CELLS])
def test_headroom_error_cell_is_an_error(case: Case, small_sample: Path, tmp_path: Path):
    sheet = str(case.extra["sheet"])
    path = _with_error(small_sample, tmp_path, sheet, {(case.row, 8): str(case.value)})
    code, output = _validate("--kind", "substations", path)
    assert code == 2, output
    line = next(x for x in output.splitlines() if f"row {case.row}, column" in x)
    assert f"network-headroom-report.xlsx, sheet '{sheet}', row {case.row}, column 'H'" in line
    assert str(case.value) in line
    assert (case.words or f"the cell holds the spreadsheet error {case.value}") in line
    assert re.search(r"\(fix: .+\)$", line)


def test_every_error_cell_of_a_column_is_listed(small_sample: Path, tmp_path: Path):
    path = _with_error(small_sample, tmp_path, PRIMARY, {(3, 8): "#N/A", (5, 8): "#DIV/0!",
                                                         (6, 9): "#VALUE!"})
    with pytest.raises(SourceFormatError) as caught:
        ssen_headroom_report.read(path)
    found = {(p.row, p.column, p.message.split(",")[0]) for p in caught.value.problems}
    assert found == {(3, "H", "the cell holds the spreadsheet error #N/A"),
                     (5, "H", "the cell holds the spreadsheet error #DIV/0!"),
                     (6, "I", "the cell holds the spreadsheet error #VALUE!")}


def test_text_reading_n_a_is_still_a_blank(small_sample: Path, tmp_path: Path):
    path = tmp_path / "network-headroom-report.xlsx"
    shutil.copy(small_sample / "grid" / path.name, path)
    book = openpyxl.load_workbook(path)
    cell = book[PRIMARY].cell(row=3, column=8)
    cell.value = "#N/A"
    cell.data_type = "s"  # typed text, not an error value (openpyxl guesses 'e' for it)
    book.save(path)
    assert _validate("--kind", "substations", path)[0] == 0


# --- the finance assumption table ---------------------------------------------------------
FINANCE = [
    Case("discount-rate-as-percent-number", "3.5", "error", "a discount rate",
         column="discount_rate"),
    Case("discount-rate-percent-sign", "3.5%", "error", "is a percentage",
         column="discount_rate"),
    Case("discount-rate-decimal-comma", "0,035", "error", "decimal comma",
         column="discount_rate"),
    Case("appraisal-years-1e400", "1e400", "error", "not a finite number",
         column="appraisal_years"),
    Case("base-year-blank", "", "error", "has no value", column="base_year"),
    Case("milestone-1.5", "1.5", "error", "is not a share", column="milestone_2030"),
    Case("milestone-50", "50", "error", "is not a share", column="milestone_2040"),
]


@pytest.mark.parametrize("case", FINANCE, ids=[c.id for c in FINANCE])
def test_finance_table_cell(case: Case) -> None:
    table = read_finance()
    table["value"] = table["value"].astype(object)  # a table given as text, cell by cell
    row = int(np.flatnonzero(table["item"].eq(case.column).to_numpy())[0])
    table.loc[row, "value"] = case.value
    table.attrs["path"] = str(default_path("finance"))
    with pytest.raises(ScenarioError) as caught:
        finance_assumptions(table)
    problem = next(p for p in caught.value.problems if p.row == row + 2)
    assert problem.file == "finance.csv"
    assert problem.column == "value"
    assert case.column in problem.message
    assert case.words in problem.message
    assert str(case.value) in problem.message or case.value == ""
    assert problem.fix


# --- the land-cover class table -----------------------------------------------------------
LAND = [
    Case("code-underscore", "1_0", "error", "is not a number"),
    Case("code-1e20", "1e20", "error", "outside the plausible range"),
    Case("code-negative", "-3", "error", "outside the plausible range"),
    Case("code-70000", "70000", "error", "outside the plausible range"),
    Case("code-decimal-comma", "2,0", "error", "decimal comma"),
    Case("code-65536", "65536", "error", "outside the plausible range"),
]


@pytest.mark.parametrize("case", LAND, ids=[c.id for c in LAND])
def test_land_class_code(case: Case, tmp_path: Path) -> None:
    frame = pd.read_csv(default_path("land_cover_classes"), dtype=str, keep_default_na=False)
    frame.loc[2, "lcm_code"] = str(case.value)
    path = tmp_path / "land_cover_classes.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(SourceFormatError) as caught:
        read_land_classes(path)
    problem = next(p for p in caught.value.problems if p.message != "key is blank")
    assert (problem.file, problem.row, problem.column) == ("land_cover_classes.csv", 4,
                                                           "lcm_code")
    assert case.words in problem.message
    assert problem.fix


# --- site capacities: ignored (sized from area or default) and counted as a warning -------
SITES = [
    Case("capacity-about", "~50", "warning", "is not a number"),
    Case("capacity-negative", "-5", "warning", "outside the plausible range"),
    Case("capacity-1e6", "1e6", "warning", "outside the plausible range"),
    Case("capacity-lone-thousands", "1,200", "warning", "thousands separator"),
    Case("capacity-words", "50 spaces", "warning", "is not a number"),
    Case("capacity-decimal-comma", "4,5", "warning", "decimal comma"),
]


@pytest.mark.parametrize("case", SITES, ids=[c.id for c in SITES])
def test_site_capacity_is_a_counted_warning(case: Case, small_sample: Path, tmp_path: Path):
    data = json.loads((small_sample / "sites" / "car_parks.geojson").read_text())
    assert data["features"][0]["properties"]["other"]["capacity"] == "43"
    data["features"][0]["properties"]["other"]["capacity"] = case.value
    path = tmp_path / "car_parks.geojson"
    path.write_text(json.dumps(data))
    code, output = _validate("--kind", "sites", "--site-kind", "car_park", path)
    assert code == 0, output
    assert "  warnings: 1" in output or re.search(r"  warnings: [1-9]", output)
    line = next(x for x in output.splitlines() if "'capacity' values are not plausible" in x)
    assert "car_parks.geojson: 1 'capacity' values" in line
    assert f"feature 1: {case.value!r}" in line
    assert case.words in line
    assert "(fix: " in line


# --- decimal commas: refused unless declared, then read; '.' decimals refused -------------
GRID_MAP = ["--map", "name=Substation", "--map", "substation_id=ID", "--map", "x=Easting",
            "--map", "y=Northing", "--map", "year=Year", "--map", "scenario=Scenario",
            "--map", "season=Season", "--map", "headroom_mva=Headroom (MVA)"]


def _grid_csv(sample: Path, folder: Path, decimal: str, cells: dict[int, str]
              ) -> tuple[Path, list[str]]:
    """A generic grid CSV built from the sample's headroom report (winter 2024, minimum).

    Returns the file and the substation ids of its rows; ``cells`` replaces the headroom of
    rows by index.
    """
    tables = ssen_headroom_report.read(sample / "grid" / "network-headroom-report.xlsx")
    subs = tables.substations[tables.substations.geometry.notna()
                              & tables.substations["level"].eq("primary")].head(12)
    head = tables.headroom.set_index(["substation_id", "scenario", "year", "season"])
    rows = [[s.name, s.substation_id, round(s.geometry.x), round(s.geometry.y), 2024,
             "minimum", "winter",
             f"{head.loc[(s.substation_id, 'minimum', 2024, 'winter'), 'headroom_mva']:.3f}"
             .replace(".", decimal)]
            for s in subs.itertuples()]
    for index, value in cells.items():
        rows[index][7] = value
    folder.mkdir(exist_ok=True)
    path = folder / "grid.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Substation", "ID", "Easting", "Northing", "Year", "Scenario",
                         "Season", "Headroom (MVA)"])
        writer.writerows(rows)
    return path, [str(row[1]) for row in rows]


def _headroom(path: Path, decimal: str | None) -> dict[str, float]:
    columns = dict(pair.split("=", 1) for pair in GRID_MAP[1::2])
    grid = read_layers(path, "substations", fmt="generic", decimal=decimal, columns=columns)
    head = grid.layers["headroom"]
    return dict(zip(head["substation_id"], head["headroom_mva"], strict=True))


DECIMAL = [
    Case("comma-file-undeclared", ",", "error", "decimal comma",
         extra={"fix": "declare it (`--decimal-comma`"}),
    Case("comma-file-declared", ",", "ok", extra={"flag": True}),
    Case("dot-file-declared", ".", "error", "do not declare them", extra={"flag": True}),
    Case("dot-decimal-declared", ",", "error", "so it is ambiguous",
         extra={"flag": True, 0: "12.25"}),
    Case("dot-groups-declared-consistent", ",", "ok",
         extra={"flag": True, 0: "1.234,5", 1: "1.200,25", "read": {0: 1234.5, 1: 1200.25}}),
    Case("dot-group-declared-alone", ",", "error", "groups thousands with '.'",
         extra={"flag": True, 0: "1.234,5"}),
    Case("dot-group-undeclared", ",", "error", "'.' to group thousands",
         extra={0: "1.234,5", "fix": "declare it (`--decimal-comma`"}),
    Case("own-unit-declared", ",", "ok", extra={"flag": True, 0: "12,5 MVA", "read": {0: 12.5}}),
    Case("comma-groups-dot-decimal-declared", ",", "error", "so it is ambiguous",
         extra={"flag": True, 0: "1,234.5"}),
]


@pytest.mark.parametrize("case", DECIMAL, ids=[c.id for c in DECIMAL])
def test_grid_csv_decimal_mark(case: Case, small_sample: Path, tmp_path: Path) -> None:
    cells = {k: str(v) for k, v in case.extra.items() if isinstance(k, int)}
    path, ids = _grid_csv(small_sample, tmp_path / "case", str(case.value), cells)
    flag = ["--decimal-comma"] if case.extra.get("flag") else []
    code, output = _validate("--kind", "substations", "--format", "generic", *GRID_MAP,
                             *flag, path)
    if case.expect == "error":
        assert code == 2, output
        line = next(x for x in output.splitlines() if "grid.csv, row " in x)
        assert "column 'Headroom (MVA)'" in line
        assert case.words in line
        assert "(fix: " in line
        assert str(case.extra.get("fix", "(fix: ")) in line  # the fix names the declaration
        return
    assert code == 0, output
    expected = _headroom(_grid_csv(small_sample, tmp_path / "plain", ".", {})[0], None)
    changed = case.extra.get("read", {})
    expected.update({ids[i]: v for i, v in changed.items()})  # type: ignore[attr-defined]
    assert _headroom(path, ",") == expected


ZONE_DECIMAL = [
    Case("vehicles-dot-groups-declared", "1.039", "ok", column="plugin_cars",
         extra={2: "1.200"}),
    Case("vehicles-dot-group-alone-declared", "1.039", "error", "groups thousands with '.'",
         column="plugin_cars"),
    Case("vehicles-comma-decimal-declared", "12,5", "ok", column="plugin_vans"),
    Case("vehicles-dot-decimal-declared", "12.5", "error", "so it is ambiguous",
         column="plugin_vans"),
]


@pytest.mark.parametrize("case", ZONE_DECIMAL, ids=[c.id for c in ZONE_DECIMAL])
def test_zone_table_with_declared_comma(case: Case, small_sample: Path, tmp_path: Path):
    frame = pd.read_csv(small_sample / "ev" / "vehicles_by_zone.csv", dtype=str,
                        keep_default_na=False)
    for row, value in {3: case.value, **case.extra}.items():
        frame.loc[int(row), case.column] = str(value)  # type: ignore[call-overload]
    path = tmp_path / "vehicles_by_zone.csv"
    frame.to_csv(path, index=False)
    code, output = _validate("--kind", "ev_demand", path, "--zones",
                             small_sample / "boundaries" / "zones.gpkg", "--decimal-comma")
    if case.expect == "error":
        assert code == 2, output
        line = next(x for x in output.splitlines() if "row 5," in x)
        assert f"vehicles_by_zone.csv, row 5, column '{case.column}'" in line
        assert repr(case.value) in line
        assert case.words in line
        assert "(fix: " in line
    else:
        assert code == 0, output


def _emissions(sample: Path, tmp_path: Path, decimal: str) -> Path:
    frame = pd.read_csv(sample / "emissions" / "district_emissions.csv", dtype=str,
                        keep_default_na=False)
    numbers = [c for c in frame.columns if ":" in c]
    frame[numbers] = frame[numbers].apply(lambda s: s.str.replace(".", decimal, regex=False))
    path = tmp_path / f"emissions-{'comma' if decimal == ',' else 'dot'}.csv"
    frame.to_csv(path, index=False)
    return path


def test_emissions_read_with_a_declared_comma_equal_the_dot_file(small_sample: Path,
                                                                  tmp_path: Path) -> None:
    from geoplan.sources.numbers import declared_decimal

    comma = _emissions(small_sample, tmp_path, ",")
    with pytest.raises(GeoplanError, match="decimal comma"):
        read_district_emissions(comma)
    with declared_decimal(","):
        read = read_district_emissions(comma)
        with pytest.raises(GeoplanError, match="so it is ambiguous"):
            read_district_emissions(_emissions(small_sample, tmp_path, "."))
        assert read_finance()["value"].notna().all()  # geoplan's own tables stay '.'
    pd.testing.assert_frame_equal(read, read_district_emissions(
        small_sample / "emissions" / "district_emissions.csv"))


def test_layer_inputs_pass_the_declared_comma_to_every_reader(small_sample: Path,
                                                             tmp_path: Path) -> None:
    inputs = LayerInputs(zones=small_sample / "boundaries" / "zones.gpkg",
                         grid=small_sample / "grid" / "network-headroom-report.xlsx",
                         emissions=_emissions(small_sample, tmp_path, ","))
    with pytest.raises(GeoplanError, match="decimal comma"):
        prepare_layers(inputs)
    prepared = prepare_layers(LayerInputs(**{**inputs.__dict__, "decimal": ","}))
    assert prepared.emissions is not None
    assert prepared.emissions["district_id"].nunique() == 5
    with pytest.raises(ValueError, match="decimal must be one of"):
        LayerInputs(zones=inputs.zones, grid=inputs.grid, decimal=";")


def _scenario(tmp_path: Path, inputs: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ninputs:\n{inputs}plan: {{mode: joint, years: [2030]}}\n")
    return path


def test_scenario_key_inputs_decimal(small_sample: Path, tmp_path: Path) -> None:
    grid = small_sample / "grid" / "network-headroom-report.xlsx"
    given = (f"  zones: {small_sample / 'boundaries' / 'zones.gpkg'}\n  grid: {grid}\n"
             "  decimal: ','\n")
    assert layer_inputs(load_scenario(_scenario(tmp_path, given))).decimal == ","
    folder = f"  folder: {small_sample}\n  decimal: ','\n"
    assert layer_inputs(load_scenario(_scenario(tmp_path, folder))).decimal == ","
    with pytest.raises(ScenarioError, match=r"inputs\.decimal: must be '\.' with sample"):
        load_scenario(_scenario(tmp_path, "  sample: small\n  decimal: ','\n"))
    with pytest.raises(ScenarioError, match=r"inputs\.decimal"):
        load_scenario(_scenario(tmp_path, f"  folder: {small_sample}\n  decimal: ';'\n"))
