"""Tests for the Northern Powergrid NDP demand headroom reader (geoplan.sources.npg_ndp).

The fixtures are built here in the published layout of ``npg_ndp_demand_headroom`` (the
portal's field identifiers; one row per substation and scenario, the years across).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.errors import SourceFormatError
from geoplan.planning.headroom import choose_figures, scenario_names
from geoplan.planning.solve import grid_tables
from geoplan.sources import detect_format, npg_ndp, read_grid

HEADER = ["substation_name", "licence_area", "bulk_supply_point_or_primary", "bsp_group",
          "gsp_group", "voltage_kv", "scenario_name", "demand_headroom_capacity_mw_2026",
          "demand_headroom_capacity_mw_2030", "demand_headroom_capacity_mw_2035",
          "geo_point_2d"]
ROWS = [
    ["Rainton", "NPgN", "BSP", "Rainton", "Hawthorn Pit", "132", "NPg Best View",
     "40.5", "12", "-3", "54.82, -1.48"],
    ["Rainton", "NPgN", "BSP", "Rainton", "Hawthorn Pit", "132", "Counterfactual",
     "41", "20", "15", "54.82, -1.48"],
    ["Houghton", "NPgN", "Primary", "Rainton", "Hawthorn Pit", "33", "NPg Best View",
     "5.5", "-1.25", "", "54.84, -1.47"],
    ["Houghton", "NPgN", "Primary", "Rainton", "Hawthorn Pit", "33", "Counterfactual",
     "6", "2", "1", "54.84, -1.47"],
    # The same name in the other licence area is another substation.
    ["Houghton", "NPgY", "Primary", "Thornton", "Creyke Beck", "11", "NPg Best View",
     "7", "6", "5", ""],
]


def write(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER,
          name: str = "npg_ndp_demand_headroom.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_sniffed_from_its_header(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path, ROWS)) == "npg-ndp"
    generation = [h.replace("demand", "generation") for h in HEADER]
    assert not npg_ndp.sniff([h.casefold() for h in generation])


def test_levels_parents_and_licence_areas(tmp_path: Path) -> None:
    tables = read_grid(write(tmp_path, ROWS))
    subs = tables.substations.set_index("substation_id")
    assert tables.format == "npg-ndp"
    assert subs.loc["NPgN-bsp-RAINTON", "parent_id"] == "NPgN-gsp-HAWTHORN_PIT"
    assert subs.loc["NPgN-primary-HOUGHTON", "parent_id"] == "NPgN-bsp-RAINTON"
    assert subs.loc["NPgY-primary-HOUGHTON", "parent_id"] == "NPgY-bsp-THORNTON"
    # Upstream substations the file only names are rows without location.
    assert subs.loc["NPgY-bsp-THORNTON", "parent_id"] == "NPgY-gsp-CREYKE_BECK"
    assert subs.loc[["NPgN-gsp-HAWTHORN_PIT", "NPgY-bsp-THORNTON"]].geometry.isna().all()
    assert tables.describe()["per_level"] == {"gsp": 2, "bsp": 2, "primary": 2}
    assert not subs.loc["NPgN-primary-HOUGHTON"].geometry.is_empty
    assert subs.loc["NPgY-primary-HOUGHTON"].geometry is None


def test_scenarios_years_and_values(tmp_path: Path) -> None:
    head = read_grid(write(tmp_path, ROWS)).headroom
    assert sorted(head["scenario"].unique()) == ["Counterfactual", "NPg Best View"]
    assert sorted(head["year"].unique()) == [2026, 2030, 2035]
    assert set(head["season"]) == {"peak"}
    # 5 rows x 3 year columns, less the one blank cell.
    assert len(head) == 14
    houghton = head[(head["substation_id"] == "NPgN-primary-HOUGHTON")
                    & (head["scenario"] == "NPg Best View")]
    assert dict(zip(houghton["year"], houghton["headroom_mva"], strict=True)) == {
        2026: 5.5, 2030: -1.25}


def test_power_factor_converts_mw_to_mva(tmp_path: Path) -> None:
    tables = npg_ndp.read(write(tmp_path, ROWS), power_factor=0.8)
    head = tables.headroom.set_index(["substation_id", "scenario", "year"])["headroom_mva"]
    assert head[("NPgN-bsp-RAINTON", "NPg Best View", 2026)] == pytest.approx(40.5 / 0.8)
    assert any("power factor 0.8" in w for w in tables.warnings)
    with pytest.raises(SourceFormatError, match=r"power_factor=1\.5"):
        npg_ndp.read(write(tmp_path, ROWS), power_factor=1.5)


def test_bad_cells_are_refused_with_row_and_column(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][8] = "lots"
    rows[3][7] = "#REF!"
    rows[4][2] = "Secondary"
    with pytest.raises(SourceFormatError) as error:
        npg_ndp.read(write(tmp_path, rows))
    text = str(error.value)
    assert "row 3, column 'demand_headroom_capacity_mw_2030'" in text
    assert "'lots'" in text
    assert "row 5, column 'demand_headroom_capacity_mw_2026'" in text
    assert "row 6, column 'bulk_supply_point_or_primary'" in text


def test_decimal_comma_is_not_read_as_thousands(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][7] = "40,5"
    with pytest.raises(SourceFormatError, match="40,5"):
        npg_ndp.read(write(tmp_path, rows))


def test_the_same_substation_scenario_twice_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError) as error:
        npg_ndp.read(write(tmp_path, [ROWS[0], ROWS[0]]))
    text = str(error.value)
    assert text.count("gives headroom for the same") == 1
    assert "row 3: gives headroom for the same substation, scenario and year as row 2" in text


def test_validate_through_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path, ROWS)
    result = CliRunner().invoke(cli, ["layers", "validate", str(path), "--kind", "substations"])
    assert result.exit_code == 0, result.output
    assert "read as npg-ndp" in result.output
    assert "substations: 6 (gsp 2, bsp 2, primary 2)" in result.output
    assert "scenarios: Counterfactual, NPg Best View" in result.output
    assert "years: 2026-2035 (3 years)" in result.output
    rows = [list(r) for r in ROWS]
    rows[0][9] = "n/a?"
    bad = CliRunner().invoke(cli, ["layers", "validate", str(write(tmp_path, rows, name="b.csv")),
                                   "--kind", "substations"])
    assert bad.exit_code == 2
    assert "column 'demand_headroom_capacity_mw_2035'" in bad.output


def test_the_current_edition_names_its_own_scenario_for_best_view(tmp_path: Path) -> None:
    # DFES 2024 onwards: 'NPg Reference Scenario', a 2025 column and the substation's postcode
    header = [*HEADER[:7], "demand_headroom_capacity_mw_2025", *HEADER[7:],
              "substation_location"]
    rows = [[*r[:7], "9", *r[7:], "DH4 5AA"] for r in ROWS]
    for row in rows:
        row[6] = row[6].replace("NPg Best View", "NPg Reference Scenario")
    tables = read_grid(write(tmp_path, rows, header))
    table, _ = grid_tables()
    chosen = choose_figures(tables.headroom, "best_view", "winter",
                            scenario_names("best_view", table))  # no grid.scenario_names
    assert set(chosen.names.values()) == {"NPg Reference Scenario"}
    got = chosen.rows.set_index(["substation_id", "year"])["headroom_mva"]
    assert got[("NPgN-primary-HOUGHTON", 2025)] == 9.0
    assert got[("NPgN-primary-HOUGHTON", 2030)] == -1.25
    assert len(chosen.rows) == 3 * 4 - 1  # 3 substations x 4 years, less the blank cell
