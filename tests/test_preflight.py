"""The pre-flight shared by ``geoplan run`` and ``geoplan validate`` (geoplan.planning.preflight).

The issue's failing examples, each through the CLI: a scenario with retrofit enabled but no
EPC, sequestration without land cover, CT with reinforcement where no level it prices has
figures; and zones that no grid file covers. Fixtures are written in code: 2 km zones near
Banbury and a GB primaries CSV (SSEN primaries with one published snapshot figure each, under
a GSP without any figure).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from tests.test_multi_dno import SSEN_PRIMARIES, ZONES, write_gb, write_zones


def scenario(*, inputs: str = "", grid: str = "", workstreams: str = "",
             extra: str = "") -> str:
    """A scenario on the fixture files: zones and the GB primaries, plus the parts given."""
    return ("name: pre\ninputs:\n  zones: zones.geojson\n  grid: gb_primaries.csv\n" + inputs
            + (f"grid:\n{grid}" if grid else "")
            + (f"workstreams:\n{workstreams}" if workstreams else "")
            + "outputs: {map: false, static_map: false}\n" + extra)


CHARGERS_ONLY = ("  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
                 "  sequestration: {enabled: false}\n  chargers: {use_roads: false}\n")
EV_FILES = "  vehicles: vehicles.csv\n  car_parks: car_parks.geojson\n"
GSP_BARE = "  unconstrained_levels: [gsp]\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_zones(tmp_path / "zones.geojson", ZONES)
    write_gb(tmp_path / "gb_primaries.csv", SSEN_PRIMARIES)
    (tmp_path / "vehicles.csv").write_text(
        "LSOA21CD,plugin_cars\n" + "".join(f"{z},40\n" for z in ZONES), encoding="utf-8")
    (tmp_path / "car_parks.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    return tmp_path


def _both(folder: Path, text: str, *, run: bool = True) -> tuple[object, object]:
    """``geoplan validate`` and (with ``run``) ``geoplan run`` of the scenario ``text``."""
    path = folder / "s.yaml"
    path.write_text(text, encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(cli, ["validate", str(path)])
    ran = runner.invoke(cli, ["run", str(path), "-o", str(folder / "out")]) if run else None
    return checked, ran


def _problems(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("  ") and
            line.strip()[:1].isdigit()]


def test_every_problem_is_listed_at_once_by_validate_and_run(folder: Path) -> None:
    (folder / "reinforce.csv").write_text(
        "level,capacity_mva,cost_gbp_per_mva,lead_time_years,source\n"
        "gsp,100,50000,8,test: a level the grid file gives no figures for\n",
        encoding="utf-8")
    checked, ran = _both(folder, scenario(
        grid="  scenario: CT\n  reinforcement: {enabled: true}\n",
        extra="assumptions:\n  tables: {grid_reinforcement: reinforce.csv}\n"))
    assert checked.exit_code == 2, checked.output
    assert "valid" not in checked.output
    problems = _problems(checked.output)
    # retrofit and LAEP: building data each; chargers: vehicles and sites;
    # sequestration: land cover; the GSP level without figures; reinforcement at it
    assert [p.split(". ", 1)[0] for p in problems] == [str(n) for n in range(1, 8)]
    text = checked.output
    assert "7 problems would stop the run" in text
    for workstream, key in [("retrofit", "inputs.epc or inputs.building_stock"),
                            ("laep", "inputs.epc or inputs.building_stock"),
                            ("chargers", "inputs.vehicles"), ("chargers", "inputs.car_parks"),
                            ("sequestration", "inputs.land_cover")]:
        assert f"workstreams.{workstream} is enabled but the scenario gives no" in text
        assert f"({key})" in text
    assert "level(s) ['gsp'] that the served substations' chains pass through" in text
    assert "grid.reinforcement is enabled but no substation on the served chains at a level " \
        "grid_reinforcement prices (gsp) has a headroom figure for CT, winter" in text
    # run stops with the same list, before reading any other layer or planning
    assert ran.exit_code == 2
    assert _problems(ran.output) == problems
    assert not (folder / "out").exists()


def test_retrofit_without_building_data(folder: Path) -> None:
    checked, ran = _both(folder, scenario(grid=GSP_BARE, workstreams=(
        "  laep: {enabled: false}\n  chargers: {enabled: false}\n"
        "  sequestration: {enabled: false}\n")))
    assert (checked.exit_code, ran.exit_code) == (2, 2)
    assert "1 problem would stop the run" in checked.output
    assert _problems(checked.output) == _problems(ran.output) == [
        "1. workstreams.retrofit is enabled but the scenario gives no building data "
        "(inputs.epc or inputs.building_stock) (fix: set inputs.epc or inputs.building_stock, "
        "or workstreams.retrofit.enabled: false)"]


def test_epc_certificates_without_addresses(folder: Path) -> None:
    (folder / "epc").mkdir()
    checked, _ = _both(folder, scenario(inputs="  epc: epc\n", grid=GSP_BARE, workstreams=(
        "  laep: {enabled: false}\n  chargers: {enabled: false}\n"
        "  sequestration: {enabled: false}\n")), run=False)
    assert checked.exit_code == 2
    assert _problems(checked.output) == [
        "1. workstreams.retrofit is enabled but the scenario gives no addresses to locate the "
        "EPC homes (inputs.postcodes or inputs.uprn) (fix: set inputs.postcodes or "
        "inputs.uprn, or workstreams.retrofit.enabled: false)"]


def test_sequestration_without_land_cover(folder: Path) -> None:
    checked, _ = _both(folder, scenario(grid=GSP_BARE, workstreams=(
        "  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
        "  chargers: {enabled: false}\n")), run=False)
    assert checked.exit_code == 2
    assert _problems(checked.output) == [
        "1. workstreams.sequestration is enabled but the scenario gives no land cover "
        "(inputs.land_cover) (fix: set inputs.land_cover, or "
        "workstreams.sequestration.enabled: false)"]


def test_a_planning_scenario_with_a_level_without_figures(folder: Path) -> None:
    # CT: the primaries' snapshot stands for it, but no GSP figure; not listed, so the run
    # would plan the GSP with no limit: stopped, naming the key that accepts it
    checked, _ = _both(folder, scenario(inputs=EV_FILES, grid="  scenario: CT\n",
                                        workstreams=CHARGERS_ONLY), run=False)
    assert checked.exit_code == 2
    problems = _problems(checked.output)
    assert len(problems) == 1
    assert "no headroom for CT, winter at any substation of level(s) ['gsp']" in problems[0]
    assert "grid.unconstrained_levels: [gsp]" in problems[0]


def test_zones_no_grid_file_covers(folder: Path) -> None:
    far = {name: (x + 200_000, y) for name, (x, y) in ZONES.items()}
    write_zones(folder / "zones.geojson", far)
    checked, _ = _both(folder, scenario(inputs=EV_FILES, grid=GSP_BARE,
                                        workstreams=CHARGERS_ONLY), run=False)
    assert checked.exit_code == 2
    problems = _problems(checked.output)
    assert len(problems) == 1
    assert "the grid files (gb_primaries.csv) cover none of the 4 zones" in problems[0]
    assert "more than 10 km away" in problems[0]


def test_a_runnable_scenario_is_valid_with_notes(folder: Path) -> None:
    checked, _ = _both(folder, scenario(inputs=EV_FILES, grid=GSP_BARE,
                                        workstreams=CHARGERS_ONLY), run=False)
    assert checked.exit_code == 0, checked.output
    assert ": valid" in checked.output.splitlines()[0]
    assert "  notes:" in checked.output
    assert "grid: no gsp substation (1) has a headroom figure" in checked.output


def test_the_shipped_laep_under_ct_when_bsps_give_no_ct_figure(small_sample, tmp_path):
    """The issue's example: laep.yaml (reinforcement on) with CT said 'valid', run stopped."""
    from tests.test_source_ssen_headroom_report import SCENARIOS, _sample_without_bsp_scenario

    folder = _sample_without_bsp_scenario(small_sample, tmp_path / "county", "CT")
    text = (f"extends: {SCENARIOS / 'laep.yaml'}\nname: laep-ct\n"
            f"inputs: {{sample: null, folder: {folder}}}\n")
    checked, _ = _both(tmp_path, text + "grid: {scenario: CT}\n", run=False)
    assert checked.exit_code == 2
    problems = _problems(checked.output)
    assert len(problems) == 1
    assert "no headroom for CT, winter at any substation of level(s) ['bsp']" in problems[0]
    assert "grid.unconstrained_levels: [bsp]" in problems[0]
    # said so: valid, and the notes say reinforcement is offered at no BSP
    checked, _ = _both(tmp_path, text + "grid: {scenario: CT, unconstrained_levels: [gsp, bsp]}\n",
                       run=False)
    assert checked.exit_code == 0, checked.output
    assert "grid: reinforcement is offered at no bsp substation" in checked.output
