"""The command line as a user meets it: help, version, errors, and files reopened after.

The grid workbook is the embedded sample's (``geoplan sample``, scale small, seed 2024): 86
substations (4 GSPs, 11 BSPs, 71 primaries, 5 of them outside the county); the 82 with
headroom each have 5 scenarios x 14 years x 3 seasons = 210 rows, 17,220 in all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geoplan import __version__
from geoplan.cli import cli
from geoplan.sample.workbooks import ReportSubstation, headroom_report_sheet, write_workbook


@pytest.fixture(scope="module")
def grid_report(small_sample: Path) -> Path:
    return small_sample / "grid/network-headroom-report.xlsx"


def run(*args: str) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_help_and_version():
    assert run("--help").exit_code == 0
    assert "layers" in run("--help").output
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output
    assert "convert" in run("layers", "--help").output


def test_formats_lists_every_reader():
    result = run("layers", "formats")
    assert result.exit_code == 0
    for fmt in ("ssen-headroom-report", "ssen-gam", "ssen-dashboard", "nged-capacity",
                "gb-primaries", "geoplan-gpkg", "generic"):
        assert fmt in result.output


def test_convert_sample_and_reopen(tmp_path, grid_report):
    out = tmp_path / "grid.gpkg"
    result = run("layers", "convert", grid_report, "--kind", "substations", "-o", out)
    assert result.exit_code == 0, result.output
    assert "substations: 86 rows, headroom: 17,220 rows" in result.output
    layers = dict(pyogrio.list_layers(out))
    assert layers == {"substations": "Point", "headroom": None}
    subs = gpd.read_file(out, layer="substations")
    assert subs.crs.to_epsg() == 27700
    assert list(subs.columns[:6]) == ["substation_id", "name", "level", "parent_id",
                                      "firm_capacity_mva", "peak_demand_mva"]
    assert (subs["level"] == "primary").sum() == 71
    head = pyogrio.read_dataframe(out, layer="headroom")
    assert set(head["scenario"]) == {"minimum", "CT", "LW", "ST", "SP"}


def test_existing_output_is_kept_without_overwrite(tmp_path, grid_report):
    out = tmp_path / "grid.gpkg"
    out.write_bytes(b"precious")
    result = run("layers", "convert", grid_report, "--kind", "substations", "-o", out)
    assert result.exit_code == 2
    assert "already exists; pass --overwrite" in result.output
    assert out.read_bytes() == b"precious"
    assert run("layers", "convert", grid_report, "--kind", "substations", "-o", out,
               "--overwrite").exit_code == 0
    assert out.read_bytes() != b"precious"


def test_same_input_gives_identical_bytes(tmp_path, grid_report):
    digests = set()
    for name in ("a.gpkg", "b.gpkg"):
        assert run("layers", "convert", grid_report, "--kind", "substations", "-o",
                   tmp_path / name).exit_code == 0
        digests.add(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert len(digests) == 1


def test_within_area_and_unknown_area(tmp_path, grid_report):
    out = tmp_path / "n.gpkg"
    result = run("layers", "convert", grid_report, "--kind", "substations", "--within",
                 "swindon and wiltshire", "-o", out)
    assert result.exit_code == 0, result.output
    subs = gpd.read_file(out, layer="substations")
    # the three primaries that list the area, with their BSP and GSP
    assert sorted(subs["substation_id"]) == ["bsp-LETCOMBE", "gsp-SANDFORD",
                                             "primary-HIGHWORTH", "primary-WANBOROUGH",
                                             "primary-WANTAGE"]
    bad = run("layers", "convert", grid_report, "--kind", "substations", "--within", "Mars", "-o",
              tmp_path / "m.gpkg")
    assert bad.exit_code == 2
    assert "no substation serves area 'Mars'" in bad.output
    assert "'Oxfordshire', 'Swindon and Wiltshire'" in bad.output
    assert not (tmp_path / "m.gpkg").exists()


def test_validate_reports_counts(tmp_path, grid_report):
    result = run("layers", "validate", grid_report, "--kind", "substations")
    assert result.exit_code == 0, result.output
    assert "substations: 86 (gsp 4, bsp 11, primary 71)" in result.output
    assert "years: 2023-2050 (14 years)" in result.output
    assert "seasons: spring_autumn, summer, winter" in result.output


def test_bad_input_is_one_clear_message_listing_every_problem(tmp_path):
    rows = headroom_report_sheet([ReportSubstation("A", "G", "SP 10 10"),
                                  ReportSubstation("B", "G", "SP 20 20")], (2024, 2030))
    rows[2][6] = "lots"
    rows[8][7] = "?"
    bad = write_workbook(tmp_path / "bad.xlsx", {"Primary Headroom Dem": rows})
    out = tmp_path / "out.gpkg"
    result = run("layers", "convert", bad, "--kind", "substations", "-o", out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == "geoplan: error: 2 problems in bad.xlsx:"
    assert "row 3, column 'G': 'lots' is not a number" in lines[1]
    assert "row 9, column 'H': '?' is not a number" in lines[2]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.glob(".out-*")) == []
    assert run("layers", "validate", bad, "--kind", "substations").exit_code == 2


def test_traceback_only_with_verbose(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    quiet = run("layers", "validate", text, "--kind", "substations")
    assert quiet.exit_code == 2
    assert "not a readable spreadsheet" in quiet.output
    assert "Traceback" not in quiet.output
    loud = run("-v", "layers", "validate", text, "--kind", "substations")
    assert loud.exit_code == 2
    assert "Traceback" in loud.output


def test_unrecognised_csv_says_how_to_read_it(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("site,capacity\nA,1\n")
    result = run("layers", "validate", path, "--kind", "substations")
    assert result.exit_code == 2
    assert "not a grid format geoplan recognises" in result.output
    assert "--format generic" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "substations", "--id-column", "x"], "--id-column applies to --kind zones"),
        (["--kind", "substations", "--map", "oops"], "'oops' is not KEY=COLUMN"),
        (["--kind", "planets"], "Invalid value for '--kind'"),
    ],
)
def test_usage_errors(tmp_path, args, message, grid_report):
    result = run("layers", "validate", grid_report, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_quiet_prints_nothing_on_success(tmp_path, grid_report):
    result = run("-q", "layers", "convert", grid_report, "--kind", "substations", "-o",
                 tmp_path / "q.gpkg")
    assert result.exit_code == 0
    assert result.output == ""


def _zone_file(tmp_path: Path) -> Path:
    squares = [gpd.GeoSeries.from_xy([x], [y]).buffer(50, cap_style="square").iloc[0]
               for x, y in [(450050, 206050), (450150, 206050), (450250, 206050)]]
    frame = gpd.GeoDataFrame({"LSOA21CD": ["E1", "E2", "E3"], "LSOA21NM": ["A 1", "A 2", "B 1"],
                              "LAD22CD": ["D1", "D1", "D2"], "LAD22NM": ["Alpha", "Alpha", "Beta"]},
                             geometry=squares, crs="EPSG:27700").to_crs("EPSG:4326")
    path = tmp_path / "zones.geojson"
    frame.to_file(path)
    return path


def test_convert_zones_and_select_a_district(tmp_path):
    out = tmp_path / "zones.gpkg"
    result = run("layers", "convert", _zone_file(tmp_path), "--kind", "zones", "--within",
                 "alpha", "-o", out)
    assert result.exit_code == 0, result.output
    zones = gpd.read_file(out, layer="zones")
    assert zones.crs.to_epsg() == 27700
    assert zones["zone_id"].tolist() == ["E1", "E2"]
    assert set(zones["district_name"]) == {"Alpha"}
    assert zones.area.round().tolist() == [10_000.0, 10_000.0]


def test_zone_options_are_refused_for_substations_and_vice_versa(tmp_path):
    result = run("layers", "validate", _zone_file(tmp_path), "--kind", "zones", "--year", "2030")
    assert result.exit_code == 2
    assert "--year applies to --kind substations" in result.output


def test_real_lsoa_folder_with_district_names(real_data, tmp_path):
    from tests.conftest import real_file

    folder = real_file(real_data, "boundaries/lsoa21")
    districts = real_file(real_data, "boundaries/oxon_districts.geojson")
    result = run("layers", "validate", folder, "--kind", "zones", "--districts", districts)
    assert result.exit_code == 0, result.output
    assert "zones: 428" in result.output
    assert "Oxford: 84" in result.output


def test_assign_zones_to_nearest_primary_with_distances(tmp_path, grid_report):
    zones, grid, out = tmp_path / "z.gpkg", tmp_path / "g.gpkg", tmp_path / "a.csv"
    assert run("layers", "convert", _zone_file(tmp_path), "--kind", "zones", "-o",
               zones).exit_code == 0
    assert run("layers", "convert", grid_report, "--kind", "substations", "-o", grid).exit_code == 0
    result = run("layers", "assign", zones, grid, "-o", out)
    assert result.exit_code == 0, result.output
    assert "3 zones assigned (nearest 3)" in result.output
    table = pd.read_csv(out)
    subs = gpd.read_file(grid, layer="substations").query("level == 'primary'")
    for row in table.itertuples():
        zone = gpd.read_file(zones, layer="zones").set_index("zone_id").loc[row.zone_id]
        point = zone.geometry.representative_point()
        distances = subs.geometry.distance(point)
        assert row.substation_id == subs.loc[distances.idxmin(), "substation_id"]
        assert row.distance_m == pytest.approx(distances.min())
    refused = run("layers", "assign", zones, grid, "-o", out)
    assert refused.exit_code == 2
    assert "already exists" in refused.output


def test_assign_needs_canonical_layers(tmp_path, grid_report):
    grid = tmp_path / "g.gpkg"
    assert run("layers", "convert", grid_report, "--kind", "substations", "-o", grid).exit_code == 0
    result = run("layers", "assign", grid, grid, "-o", tmp_path / "a.csv")
    assert result.exit_code == 2
    assert "no layer 'zones'" in result.output


def test_geoplan_output_reads_back_and_reselects(tmp_path, grid_report):
    grid = tmp_path / "g.gpkg"
    assert run("layers", "convert", grid_report, "--kind", "substations", "-o", grid).exit_code == 0
    result = run("layers", "validate", grid, "--kind", "substations")
    assert result.exit_code == 0, result.output
    assert "read as geoplan-gpkg" in result.output
    assert "substations: 86 (gsp 4, bsp 11, primary 71)" in result.output
    again = tmp_path / "n.gpkg"
    assert run("layers", "convert", grid, "--kind", "substations", "--within",
               "Thames Valley Berkshire", "-o", again).exit_code == 0
    head = pyogrio.read_dataframe(again, layer="headroom")
    # the two primaries listing the area, and their BSP (the GSP has no headroom rows)
    assert set(head["substation_id"]) == {"bsp-HENLEY", "primary-HENLEY_ON_THAMES",
                                          "primary-TILEHURST"}
    assert len(head) == 3 * 5 * 3 * 14


def test_vector_file_without_mapping_is_a_clear_error(tmp_path):
    zones = tmp_path / "z.gpkg"
    assert run("layers", "convert", _zone_file(tmp_path), "--kind", "zones", "-o",
               zones).exit_code == 0
    result = run("layers", "validate", zones, "--kind", "substations")
    assert result.exit_code == 2
    assert "a generic file needs a column mapping" in result.output
    assert "--map name=" in result.output


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the naive file is on purpose
def test_within_a_boundary_file_for_zones_and_substations(tmp_path, grid_report):
    from shapely.geometry import box

    boundary = tmp_path / "area.geojson"
    gpd.GeoDataFrame(geometry=[box(450000, 205000, 450200, 207000),
                               box(421000, 182000, 422000, 183500)],
                     crs="EPSG:27700").to_crs("EPSG:4326").to_file(boundary)
    zones = tmp_path / "z.gpkg"
    result = run("layers", "convert", _zone_file(tmp_path), "--kind", "zones", "--within",
                 boundary, "-o", zones)
    assert result.exit_code == 0, result.output
    assert gpd.read_file(zones, layer="zones")["zone_id"].tolist() == ["E1", "E2"]
    grid = tmp_path / "g.gpkg"
    assert run("layers", "convert", grid_report, "--kind", "substations", "--within", boundary,
               "-o", grid).exit_code == 0
    subs = gpd.read_file(grid, layer="substations")
    # Wanborough (421500.5, 182800.5) is the only primary inside; its GSP comes with it
    assert sorted(subs["substation_id"]) == ["gsp-SANDFORD", "primary-WANBOROUGH"]
    elsewhere = tmp_path / "elsewhere.geojson"
    gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs="EPSG:27700").to_file(elsewhere)
    empty = run("layers", "validate", grid_report, "--kind", "substations", "--within", elsewhere)
    assert empty.exit_code == 2
    assert "no substation lies inside elsewhere.geojson" in empty.output
    naive = tmp_path / "naive.gpkg"
    gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)]).to_file(naive)
    bad = run("layers", "validate", grid_report, "--kind", "substations", "--within", naive)
    assert bad.exit_code == 2
    assert "naive.gpkg: the file declares no coordinate reference system" in bad.output


def test_clean_is_a_command_and_an_empty_folder_has_nothing_to_clean(tmp_path):
    assert "clean" in run("--help").output
    result = run("clean", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output == f"nothing to clean in {tmp_path}\n"


def test_the_console_script_is_the_launcher_that_handles_signals():
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    assert config["project"]["scripts"]["geoplan"] == "geoplan_launch:main"
    assert "geoplan_launch" in config["tool"]["setuptools"]["py-modules"]
    assert (root / "geoplan_launch.py").is_file()


@pytest.mark.parametrize(("stop", "words"), [("work_limit", "work limit"),
                                             ("time_limit", "time limit"),
                                             ("wall_time", "wall time (safety stop)")])
def test_run_report_names_the_stop_in_the_summarys_words(stop: str, words: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from types import SimpleNamespace

    from geoplan.cli.run import _report

    plans = SimpleNamespace(summaries=lambda: {"joint": {
        "status": "feasible", "gap": 0.02, "stopped_by": stop, "time_s": 1.0}}, tables={})
    streams = SimpleNamespace(enabled=list)
    result = SimpleNamespace(scenario=SimpleNamespace(name="s", workstreams=streams), plans=plans,
                             summary={"kpis": {"cost_gbp": 0.0}, "by_workstream": []},
                             folder=tmp_path, files=())
    _report(result, 1.0)  # type: ignore[arg-type]
    assert f"  plan joint: feasible, gap 2.000%, stopped by {words}, solved in 1.0 s" in (
        capsys.readouterr().out)
