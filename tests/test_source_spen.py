"""Tests for the SP Energy Networks NSHR data reader (geoplan.sources.spen_nshr).

The fixtures are built here in the published long layout of ``spd-nshr-data-workbook`` (one
row per substation group, scenario, year and headroom type) and of its SP Manweb twin, whose
export writes ``Voltage`` and ``DFES Year``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.errors import SourceFormatError
from geoplan.sources import detect_format, read_grid, spen_nshr

HEADER = ["Substation/Group", "Voltage (kV)", "Grid/Grid Group", "Scenario", "Year",
          "Headroom (MW)", "Headroom Type"]
ROWS = [
    ["Dalmarnock Grid Group", "132", "Dalmarnock", "HT", "2024", "55", "Demand"],
    ["Dalmarnock Grid Group", "132", "Dalmarnock", "HT", "2030", "31.5", "Demand"],
    ["Bridgeton Primary Group", "33", "Dalmarnock", "HT", "2024", "8.25", "Demand"],
    ["Bridgeton Primary Group", "33", "Dalmarnock", "CF", "2024", "9", "Demand"],
    ["Bridgeton Primary Group", "33", "Dalmarnock", "HT", "2024", "14",
     "Generation (Synchronous)"],
    ["Bridgeton Primary Group", "33", "Dalmarnock", "HT", "2024", "20",
     "Generation (Fully Rated Converter)"],
]


def write(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER,
          name: str = "spd-nshr-data-workbook.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_sniffed_from_both_licence_area_headers(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path, ROWS)) == "spen-nshr"
    manweb = ["Substation/Group", "Voltage", "Grid/Grid Group", "Scenario", "DFES Year",
              "Headroom (MW)", "Headroom Type"]
    assert detect_format(write(tmp_path, ROWS, manweb, "spm.csv")) == "spen-nshr"


def test_groups_levels_and_gsp_parents(tmp_path: Path) -> None:
    tables = read_grid(write(tmp_path, ROWS))
    subs = tables.substations.set_index("substation_id")
    assert tables.format == "spen-nshr"
    assert list(subs.index) == ["gsp-DALMARNOCK", "bsp-DALMARNOCK_GRID_GROUP",
                                "primary-BRIDGETON_PRIMARY_GROUP"]
    assert list(subs["parent_id"]) == [None, "gsp-DALMARNOCK", "gsp-DALMARNOCK"]
    assert subs.geometry.isna().all()
    assert any("2 rows of other headroom types skipped" in w for w in tables.warnings)
    assert any("2 substations have no location" in w for w in tables.warnings)


def test_scenarios_years_and_values(tmp_path: Path) -> None:
    head = read_grid(write(tmp_path, ROWS)).headroom
    key = head.set_index(["substation_id", "scenario", "year"])["headroom_mva"]
    assert len(head) == 4
    assert sorted(head["scenario"].unique()) == ["CF", "HT"]
    assert key[("bsp-DALMARNOCK_GRID_GROUP", "HT", 2030)] == 31.5
    assert key[("primary-BRIDGETON_PRIMARY_GROUP", "HT", 2024)] == 8.25
    assert key[("primary-BRIDGETON_PRIMARY_GROUP", "CF", 2024)] == 9.0


def test_manweb_labels_and_financial_years(tmp_path: Path) -> None:
    manweb = ["Substation/Group", "Voltage", "Grid/Grid Group", "Scenario", "DFES Year",
              "Headroom (MW)", "Headroom Type"]
    rows = [["Lister Drive", "33", "Kirkby", "EE", "2031/32", "6", "Demand"]]
    head = spen_nshr.read(write(tmp_path, rows, manweb)).headroom
    assert list(head["year"]) == [2031]
    assert list(head["scenario"]) == ["EE"]


def test_bad_cells_are_refused_with_row_and_column(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][5] = "31.5 MVA"
    rows[2][1] = "thirty-three"
    rows[3][3] = ""
    with pytest.raises(SourceFormatError) as error:
        spen_nshr.read(write(tmp_path, rows))
    text = str(error.value)
    assert "row 3, column 'Headroom (MW)'" in text
    assert "row 4, column 'Voltage (kV)'" in text
    assert "row 5, column 'Scenario': the row names no scenario" in text


def test_validate_through_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path, ROWS)
    result = CliRunner().invoke(cli, ["layers", "validate", str(path), "--kind", "substations"])
    assert result.exit_code == 0, result.output
    assert "read as spen-nshr" in result.output
    assert "substations: 3 (gsp 1, bsp 1, primary 1); 3 without location" in result.output
    assert "scenarios: CF, HT" in result.output
    stamped = CliRunner().invoke(cli, ["layers", "validate", str(path), "--kind", "substations",
                                       "--year", "2026"])
    assert stamped.exit_code == 0, stamped.output
    assert "year=2026 was ignored" in stamped.output
    rows = [list(r) for r in ROWS]
    rows[0][4] = "soon"
    bad = CliRunner().invoke(cli, ["layers", "validate", str(write(tmp_path, rows, name="b.csv")),
                                   "--kind", "substations"])
    assert bad.exit_code == 2
    assert "row 2, column 'Year'" in bad.output
