"""Tests for the UK Power Networks DFES network headroom report reader (geoplan.sources.ukpn_dfes).

The fixtures are built here in the published long layout of ``dfes-network-headroom-report``
(one row per substation, headroom category, scenario and year; CSV export labels).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.errors import SourceFormatError
from geoplan.sources import detect_format, read_grid, ukpn_dfes

HEADER = ["Category", "Substation Name", "Voltage (kV)", "SiteFunctionalLocation",
          "LicenceArea", "Physical Level", "Scenario", "Year", "Headroom (MW)",
          "Spatial Coordinates"]
EPN = "Eastern Power Networks (EPN)"
ROWS = [
    ["Demand Headroom", "Braintree Grid", "132", "EPN-S0001", EPN, "BSP",
     "Holistic Transition", "2025", "35.2", "51.88, 0.55"],
    ["Demand Headroom", "Braintree Grid", "132", "EPN-S0001", EPN, "BSP",
     "Holistic Transition", "2030", "10", "51.88, 0.55"],
    ["Demand Headroom", "Coggeshall", "33", "EPN-S0002", EPN, "PRIMARY",
     "Holistic Transition", "2025-01-01", "4.4", "51.87, 0.69"],
    ["Demand Headroom", "Coggeshall", "33", "EPN-S0002", EPN, "PRIMARY",
     "Counterfactual", "2025-01-01", "-0.6", "51.87, 0.69"],
    # Generation rows carry no physical level in the published file; they are skipped.
    ["Gen inverter headroom", "Coggeshall", "33", "EPN-S0002", EPN, "",
     "Holistic Transition", "2025", "12", "51.87, 0.69"],
    # A demand row without a physical level: its 11 kV voltage makes it a primary.
    ["Demand Headroom", "Kelvedon", "11", "EPN-S0003", EPN, "", "Counterfactual", "2030",
     "2.5", ""],
]


def write(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER,
          name: str = "dfes-network-headroom-report.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_sniffed_from_its_header(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path, ROWS)) == "ukpn-dfes"


def test_demand_rows_levels_and_identifiers(tmp_path: Path) -> None:
    tables = read_grid(write(tmp_path, ROWS))
    subs = tables.substations.set_index("substation_id")
    assert tables.format == "ukpn-dfes"
    assert list(subs.index) == ["EPN-S0001", "EPN-S0002", "EPN-S0003"]
    assert list(subs["level"]) == ["bsp", "primary", "primary"]
    assert list(subs["voltage_kv"]) == [132.0, 33.0, 11.0]
    assert subs.loc["EPN-S0003"].geometry is None
    assert any("1 rows of other headroom types skipped (['Gen inverter headroom'])" in w
               for w in tables.warnings)


def test_scenarios_years_and_values(tmp_path: Path) -> None:
    head = read_grid(write(tmp_path, ROWS)).headroom
    assert len(head) == 5
    assert sorted(head["scenario"].unique()) == ["Counterfactual", "Holistic Transition"]
    assert sorted(head["year"].unique()) == [2025, 2030]
    key = head.set_index(["substation_id", "scenario", "year"])["headroom_mva"]
    assert key[("EPN-S0002", "Counterfactual", 2025)] == -0.6
    assert key[("EPN-S0001", "Holistic Transition", 2030)] == 10.0
    assert key[("EPN-S0003", "Counterfactual", 2030)] == 2.5


def test_a_site_hosting_two_levels_gives_two_substations(tmp_path: Path) -> None:
    rows = [*ROWS, ["Demand Headroom", "Braintree", "33", "EPN-S0001", EPN, "PRIMARY",
                    "Counterfactual", "2030", "1.5", "51.88, 0.55"]]
    tables = ukpn_dfes.read(write(tmp_path, rows))
    subs = tables.substations.set_index("substation_id")
    assert subs.loc["EPN-S0001", "level"] == "bsp"
    assert subs.loc["EPN-S0001-2", "level"] == "primary"
    head = tables.headroom.set_index(["substation_id", "scenario", "year"])["headroom_mva"]
    assert head[("EPN-S0001-2", "Counterfactual", 2030)] == 1.5
    assert len(head) == 6


def test_level_from_voltage_without_the_level_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Physical Level"]
    rows = [[c for i, c in enumerate(r) if i != 5] for r in ROWS]
    subs = ukpn_dfes.read(write(tmp_path, rows, header)).substations.set_index("substation_id")
    assert subs.loc["EPN-S0001", "level"] == "bsp"
    assert subs.loc["EPN-S0002", "level"] == "primary"


def test_bad_cells_are_refused_with_row_and_column(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][8] = "1.234.567"
    rows[2][7] = "next year"
    rows[3][5] = "Grid"
    with pytest.raises(SourceFormatError) as error:
        ukpn_dfes.read(write(tmp_path, rows))
    text = str(error.value)
    assert "row 2, column 'Headroom (MW)'" in text
    assert "row 4, column 'Year': 'next year' is not a year" in text
    assert "row 5, column 'Physical Level'" in text


def test_out_of_range_headroom_is_refused(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][8] = "1000000"
    with pytest.raises(SourceFormatError, match=r"row 3, column 'Headroom \(MW\)'"):
        ukpn_dfes.read(write(tmp_path, rows))


def test_validate_through_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path, ROWS)
    result = CliRunner().invoke(cli, ["layers", "validate", str(path), "--kind", "substations"])
    assert result.exit_code == 0, result.output
    assert "read as ukpn-dfes" in result.output
    assert "substations: 3 (bsp 1, primary 2); 1 without location" in result.output
    assert "scenarios: Counterfactual, Holistic Transition" in result.output
    assert "years: 2025-2030 (2 years)" in result.output
    rows = [list(r) for r in ROWS]
    rows[5][2] = ""
    rows[5][5] = ""
    bad = CliRunner().invoke(cli, ["layers", "validate", str(write(tmp_path, rows, name="b.csv")),
                                   "--kind", "substations"])
    assert bad.exit_code == 2
    assert "row 7, column 'Voltage (kV)'" in bad.output
    assert "level cannot be told (no level, no voltage)" in bad.output
