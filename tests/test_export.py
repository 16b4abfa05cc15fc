"""Plan exports: every format reopens with the same rows and values; shapefile names map back."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from click.testing import CliRunner
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from geoplan.cli.main import cli
from geoplan.errors import LayerSchemaError, OutputExistsError, SourceFormatError
from geoplan.optimise import Budget, MaximiseBenefit, PlanningProblem
from geoplan.outputs.export import FORMATS, export_plan, read_plan, short_field_names


def _square(x: float) -> Polygon:
    return Polygon([(x, 0), (x + 100, 0), (x + 100, 100), (x, 100)])


def _layers() -> dict[str, pd.DataFrame]:
    retrofit = gpd.GeoDataFrame(
        {"candidate_id": ["retrofit:E01", "retrofit:E02", "retrofit:E03"],
         "label": ["Café <b>quartier</b>", "Oxford 012A", "Cherwell 001B"],
         "substation_id": ["", "P2", "P1"],  # "" = unknown serving primary (INTERFACES)
         "tco2e_per_yr": [1 / 3, 2.5, np.nan],
         "saving_gbp_per_yr": [120.0, 0.0, 55.5],
         "selected": [True, False, True],
         "period": pd.array([2030, None, 2040], dtype="Int64"),
         "rank": [1, 3, 2],
         "heat_pump_ready": pd.array([True, None, False], dtype="boolean")},
        geometry=[_square(450_000), MultiPolygon([_square(451_000), _square(452_000)]), None],
        crs="EPSG:27700")
    chargers = gpd.GeoDataFrame(
        {"candidate_id": ["chargers:s1", "chargers:s2"], "chargers": [2, 4],
         "reason": ["chosen; removing it loses 5.4", None]},
        geometry=[Point(450_000.25, 206_000.5), Point(451_000, 207_000)], crs="EPSG:27700")
    by_district = pd.DataFrame({"district_id": ["E07000177", "E07000178"], "homes": [10, 20],
                                "cost_gbp": [1.5e6, 2.25e6]})
    return {"retrofit": retrofit, "chargers": chargers, "by_district": by_district}


def _output(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / ("plan.gpkg" if fmt == "gpkg" else f"plan_{fmt}")


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame, fmt: str) -> None:
    if not isinstance(expected, gpd.GeoDataFrame):
        assert_frame_equal(got, expected)
        return
    if fmt == "geojson":  # 7 decimals of a degree (<= 0.6 cm), reprojected back: within 1 cm
        gap = got.geometry.hausdorff_distance(expected.geometry)
        assert ((gap < 0.01) | expected.geometry.isna()).all()
        got = got.set_geometry(expected.geometry.to_numpy())
    # floats compare with pandas' default rtol 1e-5 (shapefiles keep 15 decimals); geometries
    # topologically (a shapefile turns rings clockwise, RFC 7946 anticlockwise)
    assert_geodataframe_equal(got, expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reads_back_the_same_layers(tmp_path, fmt):
    layers = _layers()
    path = export_plan(layers, _output(tmp_path, fmt), fmt=fmt)
    back = read_plan(path)
    assert list(back) == ["retrofit", "chargers", "by_district"]
    for name, frame in layers.items():
        _assert_same(back[name], frame, fmt)
    assert back["retrofit"].geometry.iloc[0].geom_type == "Polygon"  # not promoted to Multi


@pytest.mark.parametrize("fmt", ["shp", "gpkg", "parquet"])
def test_plain_geopandas_reopens_spatial_files(tmp_path, fmt):
    path = export_plan(_layers(), _output(tmp_path, fmt), fmt=fmt)
    if fmt == "gpkg":
        frame = gpd.read_file(path, layer="chargers")
    elif fmt == "shp":
        frame = gpd.read_file(path / "chargers.shp")
    else:
        frame = gpd.read_parquet(path / "chargers.parquet")
    assert frame.crs.to_epsg() == 27700
    column = "cand_id" if fmt == "shp" else "candidate_id"  # 10 characters in a DBF
    assert frame[column].tolist() == ["chargers:s1", "chargers:s2"]
    assert frame.geometry.iloc[0].coords[0] == (450_000.25, 206_000.5)


def test_geojson_is_wgs84_and_matches_after_reprojection(tmp_path):
    path = export_plan(_layers(), tmp_path / "gj", fmt="geojson")
    raw = gpd.read_file(path / "chargers.geojson")
    assert raw.crs.to_epsg() == 4326
    expected = _layers()["chargers"].to_crs(4326)
    # 7 decimals of a degree: within 0.5e-6 (check_less_precise)
    assert_geodataframe_equal(raw[expected.columns], expected, check_less_precise=True,
                              check_dtype=False)
    assert '"type": "FeatureCollection"' in (path / "chargers.geojson").read_text()


def test_csv_points_as_x_y_and_polygons_as_wkt(tmp_path):
    path = export_plan(_layers(), tmp_path / "csv", fmt="csv")
    points = pd.read_csv(path / "chargers.csv")
    assert points[["x", "y"]].to_numpy().tolist() == [[450_000.25, 206_000.5],
                                                       [451_000.0, 207_000.0]]
    shapes = pd.read_csv(path / "retrofit.csv")
    # one geometry type per file: the polygon is written as a one-part multipolygon
    assert shapes["wkt"].iloc[0] == ("MULTIPOLYGON (((450000 0, 450100 0, 450100 100, "
                                     "450000 100, 450000 0)))")
    assert shapes["wkt"].isna().iloc[2]  # missing geometry is a blank cell
    assert (path / "layers.csv").read_text().splitlines() == [
        "layer,file,geometry,geometry_types,crs,plan_crs,rows,part_of,source_rows",
        "retrofit,retrofit.csv,wkt,MultiPolygon|Polygon,EPSG:27700,EPSG:27700,3,,",
        'chargers,chargers.csv,"x,y",Point,EPSG:27700,EPSG:27700,2,,',
        "by_district,by_district.csv,,,,,2,,",
    ]


def test_short_names_follow_the_documented_rule():
    names = short_field_names(["tco2e_per_yr", "candidate_id", "rank", "peak_kw_added",
                               "homes_to_target_2030", "bill_change_gbp_per_yr",
                               "heat_density_gwh_per_km2", "fuel_poor_homes"])
    # tco2e_per_yr (12): the longest word "tco2e" has the abbreviation co2 -> co2_per_yr (10)
    # candidate_id (12): candidate -> cand
    # peak_kw_added (13): added -> add (11), peak -> pk (9)
    # homes_to_target_2030: target -> tgt (17); filler "to" dropped (14); vowels: homes -> hms
    #   (12); cut to 3 letters: nothing left to cut; 2030 joined to tgt (11); cut to two
    #   letters, longest first, ties leftmost: hms -> hm (10)
    # bill_change_gbp_per_yr: change -> chg (18); "per" dropped (15); vowels: bill -> bll ->
    #   bl (doubled letters once) (14); units from the left: gbp (10)
    # heat_density_gwh_per_km2: density -> dens (20); "per" (16); vowels: heat -> ht, dens ->
    #   dns (14); units: gwh (10)
    # fuel_poor_homes (15): vowels longest first: homes -> hms (13), fuel -> fl (11), poor ->
    #   pr (9)
    assert names == {"tco2e_per_yr": "co2_per_yr", "candidate_id": "cand_id", "rank": "rank",
                     "peak_kw_added": "pk_kw_add", "homes_to_target_2030": "hm_tgt2030",
                     "bill_change_gbp_per_yr": "bl_chg_yr",
                     "heat_density_gwh_per_km2": "ht_dns_km2", "fuel_poor_homes": "fl_pr_hms"}


def test_short_names_number_collisions_and_keep_names_that_fit():
    # tco2e_per_yr shortens to co2_per_yr, already a column: it becomes co2_per + _1
    # "Rank" and "rank" clash ignoring case (DBF): the second is numbered
    names = short_field_names(["tco2e_per_yr", "co2_per_yr", "Rank", "rank", "2030", "a b"])
    assert names == {"tco2e_per_yr": "co2_per_1", "co2_per_yr": "co2_per_yr", "Rank": "Rank",
                     "rank": "rank_1", "2030": "f2030", "a b": "a_b"}
    assert all(len(name) <= 10 for name in names.values())
    assert short_field_names(["tco2e_per_yr", "co2_per_yr"]) == short_field_names(
        ["tco2e_per_yr", "co2_per_yr"])


def test_short_names_of_a_whole_plan_are_unique_readable_and_no_longer_cryptic():
    # every column of the sample plan's layers (the complaint: bi_c_g_p_y)
    columns = ["candidate_id", "district_name", "substation_id", "saving_gbp_per_yr",
               "lifetime_years", "homes_to_target", "tco2e_per_yr_2025", "tco2e_per_yr_2030",
               "heat_saved_mwh_per_yr", "score_tco2e_per_yr", "marginal_value",
               "sequestered_tco2e_per_yr", "seq_gross_tco2e_per_yr",
               "score_sequestered_tco2e_per_yr", "households_no_offstreet",
               "flexibility_candidate", "reinforcement_year", "existing_chargers"]
    names = short_field_names(columns)
    assert len({n.lower() for n in names.values()}) == len(columns)
    assert all(len(n) <= 10 for n in names.values())
    # each short name keeps a word of at least 3 letters, in its order (readable, not initials)
    assert all(any(len(w) >= 3 for w in n.split("_")) for n in names.values()), names
    assert names["tco2e_per_yr_2025"] == "co2_2025"  # unit word "yr" dropped, year kept
    assert names["score_sequestered_tco2e_per_yr"] == "scr_sq_co2"
    assert names["reinforcement_year"] == "reinf_year"


def test_shapefile_names_map_back_through_the_sidecar(tmp_path):
    frame = gpd.GeoDataFrame(
        {"tco2e_per_yr": [1.0, 2.0], "tco2e_p_yr": [3.0, 4.0], "homes_to_target_2030": [5, 6],
         "homes_to_target_2040": [7, 8]},
        geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:27700")
    path = export_plan({"retrofit": frame}, tmp_path / "shp", fmt="shp")
    assert list(pyogrio.read_info(path / "retrofit.shp")["fields"]) == [
        "co2_per_yr", "tco2e_p_yr", "hm_tgt2030", "hm_tgt2040"]
    sidecar = pd.read_csv(path / "retrofit_fields.csv", keep_default_na=False)
    assert sidecar[["short_name", "full_name", "dtype"]].to_numpy().tolist() == [
        ["co2_per_yr", "tco2e_per_yr", "float64"], ["tco2e_p_yr", "tco2e_p_yr", "float64"],
        ["hm_tgt2030", "homes_to_target_2030", "int64"],
        ["hm_tgt2040", "homes_to_target_2040", "int64"], ["", "geometry", "geometry"]]
    assert_geodataframe_equal(read_plan(path)["retrofit"], frame)
    assert (path / "retrofit.prj").read_text().startswith('PROJCS["British_National_Grid"')


def test_shapefile_cuts_long_text_with_a_warning_and_records_it(tmp_path, caplog):
    # 300 x "é" is 600 UTF-8 bytes: cut to 127 characters (254 bytes), never mid-character
    frame = pd.DataFrame({"reason": ["é" * 300, "short"]})
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        path = export_plan({"t": frame}, tmp_path / "shp", fmt="shp")
    assert "1 values longer than 254 bytes were cut" in caplog.text
    back = read_plan(path)["t"]
    assert back["reason"].tolist() == ["é" * 127, "short"]
    assert pd.read_csv(path / "t_fields.csv")["truncated"].tolist() == [1]


def test_text_blanks_read_back_as_missing_or_empty(tmp_path):
    frame = pd.DataFrame({"missing": ["a", None], "empty": ["a", ""]})
    for fmt in ("shp", "csv"):
        back = read_plan(export_plan({"t": frame}, tmp_path / fmt, fmt=fmt))["t"]
        assert_frame_equal(back, frame)


def _layer_types(out: Path, fmt: str) -> dict[str, str]:
    """Layer -> the geometry type GDAL reports for it in the export (None for a table)."""
    if fmt == "gpkg":
        return {str(n): t for n, t in pyogrio.list_layers(out) if n != "layer_styles"}
    index = pd.read_csv(out / "layers.csv", dtype=str, keep_default_na=False)
    return {row.layer: pyogrio.read_info(out / row.file)["geometry_type"]
            for row in index.itertuples()}


def _read_layer(out: Path, fmt: str, name: str) -> pd.DataFrame:
    if fmt == "gpkg":
        return pyogrio.read_dataframe(out, layer=name)
    return pyogrio.read_dataframe(out / f"{name}.{'shp' if fmt == 'shp' else 'geojson'}")


def _points_and_outlines() -> gpd.GeoDataFrame:
    """Two points, a square, no shape and a two-square outline: a mixed charger-like layer."""
    return gpd.GeoDataFrame({"id": [1, 2, 3, 4, 5]},
                            geometry=[Point(450_000, 5), _square(450_000), Point(450_005, 5),
                                      None, MultiPolygon([_square(450_200), _square(450_400)])],
                            crs="EPSG:27700")


@pytest.mark.parametrize("fmt", ["shp", "geojson", "gpkg"])
def test_points_mixed_with_outlines_keep_the_layer_as_points_and_the_outlines_beside(
        tmp_path, caplog, fmt):
    # one geometry type per layer: every site as a point, the outlines in their own layer;
    # read_plan puts the shapes back
    frame = _points_and_outlines()
    with caplog.at_level(logging.INFO, logger="geoplan"):
        out = export_plan({"mixed": frame}, _output(tmp_path, fmt), fmt=fmt)
    assert "written as layers mixed, mixed_areas" in caplog.text
    # a shapefile's polygon type holds both: GDAL names it Polygon
    areas = "Polygon" if fmt == "shp" else "MultiPolygon"
    assert _layer_types(out, fmt) == {"mixed": "Point", "mixed_areas": areas}
    points = _read_layer(out, fmt, "mixed").to_crs(27700)
    assert points["id"].tolist() == [1, 2, 3, 4, 5]
    assert points.geometry.isna().tolist() == [False, False, False, True, False]
    # the square 450000..450100 x 0..100 stands in as a point on its surface
    assert points.geometry.iloc[1].within(_square(450_000))
    outlines = _read_layer(out, fmt, "mixed_areas")
    assert outlines["id"].tolist() == [2, 5]
    if fmt != "shp":
        assert set(outlines.geometry.geom_type) == {"MultiPolygon"}  # promoted: one type
    back = read_plan(out)
    assert list(back) == ["mixed"]
    _assert_same(back["mixed"], frame, fmt)


def _parquet_types(path: Path) -> list[str]:
    """The geometry types a GeoParquet file's own ``geo`` metadata lists."""
    metadata = pq.read_schema(path).metadata[b"geo"]
    geo = json.loads(metadata)
    return geo["columns"][geo["primary_column"]]["geometry_types"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_parquet_and_csv_split_points_from_outlines_like_the_gis_formats(tmp_path, caplog, fmt):
    # the reviewer's complaint: a parquet/csv `chargers` mixed MultiPolygon|Point and had no
    # chargers_areas; now one geometry type per file, as in gpkg, shp and geojson
    frame = _points_and_outlines()
    with caplog.at_level(logging.INFO, logger="geoplan"):
        out = export_plan({"mixed": frame}, _output(tmp_path, fmt), fmt=fmt)
    assert "written as layers mixed, mixed_areas" in caplog.text
    index = pd.read_csv(out / "layers.csv", dtype=str, keep_default_na=False)
    assert index[["layer", "file", "rows", "part_of", "source_rows"]].to_numpy().tolist() == [
        ["mixed", f"mixed.{fmt}", "5", "", ""],
        ["mixed_areas", f"mixed_areas.{fmt}", "2", "mixed", "1 4"]]
    if fmt == "parquet":
        points = gpd.read_parquet(out / "mixed.parquet")
        outlines = gpd.read_parquet(out / "mixed_areas.parquet")
        assert _parquet_types(out / "mixed.parquet") == ["Point"]
        assert _parquet_types(out / "mixed_areas.parquet") == ["MultiPolygon"]
        assert points.crs.to_epsg() == outlines.crs.to_epsg() == 27700
    else:
        table = pd.read_csv(out / "mixed.csv")
        assert list(table.columns) == ["id", "x", "y"]  # points: x and y, no WKT
        points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x"], table["y"]))
        points.loc[table["x"].isna(), "geometry"] = None
        outlines = pd.read_csv(out / "mixed_areas.csv")
        assert outlines["wkt"].str.split(" ").str[0].tolist() == ["MULTIPOLYGON"] * 2
        outlines = gpd.GeoDataFrame(outlines, geometry=gpd.GeoSeries.from_wkt(outlines["wkt"]))
    assert points["id"].tolist() == [1, 2, 3, 4, 5]
    assert points.geometry.isna().tolist() == [False, False, False, True, False]
    assert set(points.geometry.dropna().geom_type) == {"Point"}
    assert points.geometry.iloc[1].within(_square(450_000))  # the square stands in as a point
    assert outlines["id"].tolist() == [2, 5]
    assert outlines.geometry.iloc[0].equals(MultiPolygon([_square(450_000)]))
    back = read_plan(out)
    assert list(back) == ["mixed"]
    _assert_same(back["mixed"], frame, fmt)  # the polygon comes back a polygon


@pytest.mark.parametrize("fmt", ["shp", "geojson", "gpkg"])
def test_lines_mixed_with_areas_are_split_and_merged_back(tmp_path, fmt):
    line = LineString([(450_000, 0), (450_050, 50)])
    frame = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=[_square(450_000), None, line],
                             crs="EPSG:27700")
    out = export_plan({"ways": frame}, _output(tmp_path, fmt), fmt=fmt)
    lines = "LineString" if fmt == "shp" else "MultiLineString"
    areas = "Polygon" if fmt == "shp" else "MultiPolygon"
    assert _layer_types(out, fmt) == {"ways_lines": lines, "ways_areas": areas}
    assert _read_layer(out, fmt, "ways_lines")["id"].tolist() == [2, 3]  # blank: first part
    if fmt != "gpkg":
        index = pd.read_csv(out / "layers.csv", dtype=str, keep_default_na=False)
        assert index[["layer", "part_of", "source_rows"]].to_numpy().tolist() == [
            ["ways_lines", "ways", "1-2"], ["ways_areas", "ways", "0"]]
    back = read_plan(out)
    assert list(back) == ["ways"]
    _assert_same(back["ways"], frame, fmt)


@pytest.mark.parametrize("fmt", ["gpkg", "csv", "shp", "geojson", "parquet"])
def test_byte_identical_reruns(tmp_path, fmt):
    digests = []
    for run in ("a", "b"):
        path = export_plan(_layers(), tmp_path / run / _output(tmp_path, fmt).name, fmt=fmt)
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        digests.append([(f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files])
    assert digests[0] == digests[1]


def test_refuses_to_overwrite_then_replaces(tmp_path):
    for fmt in ("gpkg", "csv"):
        path = export_plan(_layers(), _output(tmp_path, fmt), fmt=fmt)
        with pytest.raises(OutputExistsError, match="already exists; pass --overwrite"):
            export_plan({"only": _layers()["by_district"]}, path, fmt=fmt)
        assert list(read_plan(path)) == ["retrofit", "chargers", "by_district"]
        export_plan({"only": _layers()["by_district"]}, path, fmt=fmt, overwrite=True)
        assert list(read_plan(path)) == ["only"]


def test_overwrite_never_replaces_a_folder_that_is_not_an_export(tmp_path):
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    with pytest.raises(OutputExistsError, match=r"has no layers.csv"):
        export_plan(_layers(), mine, fmt="shp", overwrite=True)
    assert (mine / "thesis.docx").read_text() == "precious"


def test_failure_midway_leaves_no_folder(tmp_path):
    layers = {"fine": _layers()["chargers"],
              "bad": gpd.GeoDataFrame({"id": [1]}, geometry=[Point(0, 0)])}  # no CRS
    with pytest.raises(ValueError, match="has no CRS"):
        export_plan(layers, tmp_path / "gj", fmt="geojson")
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(LayerSchemaError, match="unknown export format 'kml'; choose one of gpkg"):
        export_plan(_layers(), tmp_path / "x", fmt="kml")
    with pytest.raises(LayerSchemaError, match=r"needs a .gpkg file name"):
        export_plan(_layers(), tmp_path / "plan.sqlite", fmt="gpkg")
    with pytest.raises(LayerSchemaError, match="layer 'x' is a str"):
        export_plan({"x": "not a table"}, tmp_path / "p.gpkg")  # type: ignore[dict-item]
    (tmp_path / "folder").mkdir()
    with pytest.raises(SourceFormatError, match=r"nor a folder with layers\.csv"):
        read_plan(tmp_path / "folder")
    (tmp_path / "plan.csv").write_text("a\n1\n")
    with pytest.raises(SourceFormatError, match=r"plan\.csv is neither a \.gpkg file"):
        read_plan(tmp_path / "plan.csv")


def test_cli_exports_a_plan_gpkg_to_every_format(tmp_path):
    layers = _layers()
    # a charger site from a car-park outline: the message names the outlines' layer too
    layers["chargers"] = pd.concat([layers["chargers"], gpd.GeoDataFrame(
        {"candidate_id": ["chargers:s3"], "chargers": [6], "reason": ["outline"]},
        geometry=[_square(452_000)], crs="EPSG:27700")], ignore_index=True)
    plan = export_plan(layers, tmp_path / "plan.gpkg")
    runner = CliRunner()
    for fmt in ("shp", "geojson", "parquet", "csv"):
        result = runner.invoke(cli, ["export", str(plan), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert (f"wrote {tmp_path / f'plan_{fmt}'} ({fmt}; retrofit: 3 rows, chargers: 3 rows, "
                "chargers_areas: 1 rows, by_district: 2 rows)") in " ".join(result.output.split())
        back = read_plan(tmp_path / f"plan_{fmt}")
        for name, frame in layers.items():
            _assert_same(back[name], frame, fmt)
    shp = gpd.read_file(tmp_path / "plan_shp" / "retrofit.shp")
    assert "co2_per_yr" in shp.columns
    result = runner.invoke(cli, ["export", str(tmp_path / "plan_csv"), "--format", "gpkg",
                                 "-o", str(tmp_path / "again.gpkg")])
    assert result.exit_code == 0, result.output
    _assert_same(read_plan(tmp_path / "again.gpkg")["chargers"], layers["chargers"], "gpkg")


def test_cli_refuses_to_overwrite_and_names_the_fix(tmp_path):
    plan = export_plan(_layers(), tmp_path / "plan.gpkg")
    runner = CliRunner()
    assert runner.invoke(cli, ["export", str(plan), "--format", "shp"]).exit_code == 0
    result = runner.invoke(cli, ["export", str(plan), "--format", "shp"])
    assert result.exit_code == 2
    assert "plan_shp already exists; pass --overwrite" in result.output
    result = runner.invoke(cli, ["export", str(plan), "--format", "shp", "--overwrite"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["export", str(plan), "--format", "gpkg"])
    assert result.exit_code == 2
    assert "is the plan itself; give -o" in result.output
    result = runner.invoke(cli, ["export", str(plan), "--format", "kml"])
    assert result.exit_code == 2
    assert "'kml' is not one of 'gpkg', 'shp'" in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_solved_plan_and_an_empty_layer_round_trip(tmp_path, fmt):
    candidates = gpd.GeoDataFrame(
        {"candidate_id": ["c0", "c1", "c2"], "workstream": "chargers",
         "cost_gbp": [9.0, 4.0, 6.0], "tco2e_per_yr": [12.0, 7.0, 8.0]},
        geometry=[Point(450_000, 206_000), Point(450_100, 206_000), Point(450_200, 206_000)],
        crs="EPSG:27700")
    # budget 10: c1 + c2 (cost 10, 15 tCO2e/yr) beat c0 (cost 9, 12)
    plan = PlanningProblem(candidates, MaximiseBenefit({"tco2e_per_yr": 1.0}),
                           [Budget(10.0)], periods=(2030,), horizon=2050).solve()
    table = plan.to_geodataframe()  # carries the CRS in attrs, which parquet must not choke on
    layers = {"chargers": table, "retrofit": table.iloc[:0]}
    back = read_plan(export_plan(layers, _output(tmp_path, fmt), fmt=fmt))
    assert back["chargers"]["selected"].tolist() == [False, True, True]
    _assert_same(back["chargers"], table, fmt)
    assert back["retrofit"].empty
    assert list(back["retrofit"].columns) == list(table.columns)


def _styles(path: Path) -> dict[str, ElementTree.Element]:
    """Layer -> its default QGIS style (QML parsed as XML), from the GeoPackage's table."""
    table = pyogrio.read_dataframe(path, layer="layer_styles")
    assert table["useAsDefault"].all()
    qml = {row.f_table_name: row.styleQML for row in table.itertuples()}
    assert all(text.startswith("<!DOCTYPE qgis") for text in qml.values())
    return {name: ElementTree.fromstring(text.split("\n", 1)[1]) for name, text in qml.items()}


def test_geopackage_opens_in_qgis_styled(tmp_path):
    layers = _layers()
    layers["districts"] = gpd.GeoDataFrame({"district_id": ["E1"], "district_name": ["Oxford"]},
                                           geometry=[_square(450_000)], crs="EPSG:27700")
    for frame in (layers["retrofit"], layers["chargers"]):
        frame["rank"] = range(1, len(frame) + 1)
        frame["selected"] = [True] + [False] * (len(frame) - 1)
    # a hostile column name and value: the XML must still parse (escaped, not templated)
    layers["retrofit"]["a<b>&\"c'"] = ["</qgis>", "x", "y"]
    path = export_plan(layers, tmp_path / "plan.gpkg")
    table = pyogrio.read_dataframe(path, layer="layer_styles")
    assert list(table.columns[:12]) == ["f_table_catalog", "f_table_schema", "f_table_name",
                                        "f_geometry_column", "styleName", "styleQML",
                                        "styleSLD", "useAsDefault", "description", "owner",
                                        "ui", "update_time"]
    geometry_columns = dict(zip(table["f_table_name"], table["f_geometry_column"], strict=True))
    assert geometry_columns == {"retrofit": "geom", "chargers": "geom", "by_district": "",
                                "districts": "geom"}
    styles = _styles(path)
    # workstream plans: chosen vs not chosen, in the web map's workstream colour
    renderer = styles["retrofit"].find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    assert [c.get("label") for c in renderer.iter("category")] == ["Chosen", "Not chosen"]
    fills = {p.get("k"): p.get("v") for p in renderer.find("symbols")[0].iter("prop")}
    assert fills["color"] == "230,159,0,150"  # #e69f00 (retrofit), partly transparent
    unchosen = {p.get("k"): p.get("v") for p in renderer.find("symbols")[1].iter("prop")}
    assert unchosen["style"] == "no"  # hollow and dashed: told apart without colour
    assert unchosen["outline_style"] == "dash"
    assert styles["chargers"].find("renderer-v2/symbols/symbol").get("type") == "marker"
    assert styles["districts"].find("renderer-v2").get("type") == "singleSymbol"
    assert styles["districts"].find("labeling/settings/text-style").get(
        "fieldName") == "district_name"
    assert styles["by_district"].find("renderer-v2") is None  # a table: aliases only
    aliases = {a.get("field"): a.get("name") for a in styles["retrofit"].iter("alias")}
    assert aliases["tco2e_per_yr"] == "Tonnes of the workstream's kind (tCO2e/yr)"
    assert aliases["a<b>&\"c'"] == "A<b>&\"c'"
    # the same titles in the GeoPackage's own schema table (GDAL's field alternative names)
    with sqlite3.connect(path) as connection:
        titles = dict(connection.execute("SELECT column_name, name FROM gpkg_data_columns "
                                         "WHERE table_name = 'retrofit'").fetchall())
    connection.close()
    assert titles["heat_pump_ready"] == "Heat pump ready"  # from the words
    assert titles["tco2e_per_yr"] == "Tonnes of the workstream's kind (tCO2e/yr)"
    assert titles["candidate_id"] == "Candidate"
    # the plan reads back without the style table
    assert set(read_plan(path)) == {"retrofit", "chargers", "by_district", "districts"}


def test_geojson_states_its_true_crs_and_writes_tables_as_csv(tmp_path):
    path = export_plan(_layers(), tmp_path / "gj", fmt="geojson")
    index = pd.read_csv(path / "layers.csv", dtype=str, keep_default_na=False)
    rows = index.set_index("layer")
    assert rows.loc["chargers", "crs"] == "EPSG:4326"  # the file's CRS (RFC 7946)
    assert rows.loc["chargers", "plan_crs"] == "EPSG:27700"  # read_plan reprojects back
    assert pyogrio.read_info(path / "chargers.geojson")["crs"] == "EPSG:4326"
    assert rows.loc["by_district", "file"] == "by_district.csv"  # not shapeless features
    assert rows.loc["by_district", "crs"] == ""
    assert not (path / "by_district.geojson").exists()
    assert pyogrio.read_info(path / "retrofit.geojson")["geometry_type"] == "MultiPolygon"


@pytest.mark.parametrize("fmt", ["shp", "gpkg", "geojson"])
def test_a_layer_of_one_part_multipolygons_reads_back_as_multipolygons(tmp_path, fmt):
    # a shapefile reads a one-part multipolygon as a polygon; the layer had only multis
    frame = gpd.GeoDataFrame({"id": [1, 2]},
                             geometry=[MultiPolygon([_square(450_000)]),
                                       MultiPolygon([_square(451_000), _square(452_000)])],
                             crs="EPSG:27700")
    back = read_plan(export_plan({"parks": frame}, _output(tmp_path, fmt), fmt=fmt))["parks"]
    assert back.geometry.geom_type.tolist() == ["MultiPolygon", "MultiPolygon"]
    _assert_same(back, frame, fmt)
