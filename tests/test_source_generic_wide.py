"""Wide headroom tables through the generic reader (a ``{year}`` header template)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.errors import SourceFormatError
from geoplan.sources import generic

# One row per substation, the years across; a blank and an 'n/a' cell give no value.
WIDE = (
    "Substation,Level,Headroom 2025 (MVA),Headroom 2030 (MVA),Headroom 2040 (MVA),Notes\n"
    "Cowley,gsp,50,40,12.5,\n"
    "Berinsfield,primary,3.5,-1,,tight\n"
    "Arncott,primary,n/a,2,-4,\n"
)
WIDE_MAP = {"name": "Substation", "level": "Level", "headroom_mva": "Headroom {year} (MVA)"}

# Scenarios and years across, as a DNO's summary sheet lays them out.
CROSS = (
    "Site,CT 2030,CT 2040,LW 2030,LW 2040\n"
    "Yarnton,-0.4,-71.5,1.2,-30\n"
    "Witney,3,-47.1,,\n"
)


def write(tmp_path: Path, text: str, name: str = "wide.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_year_column_gives_one_headroom_row(tmp_path: Path) -> None:
    tables = generic.read(write(tmp_path, WIDE), columns=WIDE_MAP)
    head = tables.headroom.set_index(["substation_id", "year"])["headroom_mva"]
    assert len(tables.substations) == 3
    assert len(head) == 7  # 9 cells, one blank and one 'n/a'
    assert head[("gsp-COWLEY", 2040)] == 12.5
    assert head[("primary-BERINSFIELD", 2030)] == -1.0
    assert head[("primary-ARNCOTT", 2040)] == -4.0
    assert ("primary-ARNCOTT", 2025) not in head.index
    assert set(tables.headroom["scenario"]) == {"published"}


def test_template_with_scenario_and_year(tmp_path: Path) -> None:
    columns = {"name": "Site", "headroom_mva": "{scenario} {year}"}
    tables = generic.read(write(tmp_path, CROSS), columns=columns, level="bsp")
    head = tables.headroom.set_index(["substation_id", "scenario", "year"])["headroom_mva"]
    assert len(head) == 6
    assert head[("bsp-YARNTON", "CT", 2040)] == -71.5
    assert head[("bsp-WITNEY", "CT", 2040)] == -47.1
    assert head[("bsp-YARNTON", "LW", 2030)] == 1.2


def test_bad_cells_name_their_own_column_and_row(tmp_path: Path) -> None:
    text = WIDE.replace("3.5,-1,", "3.5,lots,").replace("n/a,2,-4", "n/a,2,#REF!")
    with pytest.raises(SourceFormatError) as error:
        generic.read(write(tmp_path, text), columns=WIDE_MAP)
    message = str(error.value)
    assert "row 3, column 'Headroom 2030 (MVA)'" in message
    assert "row 4, column 'Headroom 2040 (MVA)'" in message


def test_a_template_that_matches_nothing_is_a_problem(tmp_path: Path) -> None:
    columns = {**WIDE_MAP, "headroom_mva": "Demand {year} (MW)"}
    with pytest.raises(SourceFormatError, match="no column matches the headroom_mva header"):
        generic.read(write(tmp_path, WIDE), columns=columns)


def test_year_from_headers_and_a_year_column_is_a_problem(tmp_path: Path) -> None:
    columns = {**WIDE_MAP, "year": "Notes"}
    with pytest.raises(SourceFormatError, match="year is mapped to column 'Notes' and also"):
        generic.read(write(tmp_path, WIDE), columns=columns)


def test_a_repeated_substation_is_reported_once_per_row(tmp_path: Path) -> None:
    text = WIDE + "Cowley,gsp,1,2,3,\n"
    with pytest.raises(SourceFormatError) as error:
        generic.read(write(tmp_path, text), columns=WIDE_MAP)
    message = str(error.value)
    assert message.count("row 5:") == 1
    assert "same substation, scenario, year and season as row 2" in message


def test_wide_map_through_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path, WIDE)
    result = CliRunner().invoke(cli, [
        "layers", "validate", str(path), "--kind", "substations", "--format", "generic",
        "--map", "name=Substation", "--map", "level=Level",
        "--map", "headroom_mva=Headroom {year} (MVA)"])
    assert result.exit_code == 0, result.output
    assert "headroom rows: 7" in result.output
    assert "years: 2025-2040 (3 years)" in result.output


def test_seasons_across_and_a_header_that_is_no_season(tmp_path: Path) -> None:
    text = "Site,Winter 2030,Summer 2030\nYarnton,-0.4,5\n"
    columns = {"name": "Site", "headroom_mva": "{season} {year}"}
    head = generic.read(write(tmp_path, text), columns=columns).headroom
    assert dict(zip(head["season"], head["headroom_mva"], strict=True)) == {
        "winter": -0.4, "summer": 5.0}
    bad = text.replace("Summer 2030", "Evening 2030")
    with pytest.raises(SourceFormatError, match="'Evening' in the header is not a season"):
        generic.read(write(tmp_path, bad, "bad.csv"), columns=columns)
