"""Tests for the generic CSV / vector grid reader (geoplan.sources.generic)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from geoplan.errors import CRSError, MissingCRSError, SourceFormatError, SourceNotFoundError
from geoplan.sources import detect_format, generic, read_grid
from geoplan.sources.osgb import grid_ref_to_xy
from tests.conftest import real_file

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# Long format: one row per substation and year, a parent column, levels in mixed spellings.
LONG = (
    "Substation,ID,Parent,Level,Year,Headroom (MVA),Firm,Peak,Easting,Northing\n"
    "Cowley,G1,,Grid Supply Point,2025,50,,,455350,203780\n"
    "Berinsfield,P1,G1,Primary,2025,3.5,23,19.5,457500,196000\n"
    "Berinsfield,P1,G1,primary,2030,-1.0,23,24,457500,196000\n"
    "Arncott,P2,G1,PRIMARY,2025,n/a,20,14,,\n"
)
LONG_MAP = {
    "name": "Substation", "substation_id": "ID", "parent_id": "Parent", "level": "Level",
    "year": "Year", "headroom_mva": "Headroom (MVA)", "firm_capacity_mva": "Firm",
    "peak_demand_mva": "Peak", "x": "Easting", "y": "Northing",
}


def write(tmp_path: Path, text: str, name: str = "grid.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def points_frame(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"SITE": ["Cowley", "Berinsfield"], "FIRM": [90.0, 23.0], "PEAK": [60.0, 25.5]},
        geometry=[Point(-1.2, 51.73), Point(-1.17, 51.66)], crs=crs,
    )


def test_sniff_never_claims_a_file() -> None:
    assert generic.sniff(["ps name", "geo(long,lat)"]) is False
    assert generic.SHAPE == "any"


def test_long_format_gives_one_substation_and_many_headroom_rows(tmp_path: Path) -> None:
    tables = generic.read(write(tmp_path, LONG), columns=LONG_MAP)
    subs = tables.substations.set_index("substation_id")
    assert list(subs.index) == ["G1", "P1", "P2"]
    assert list(subs["level"]) == ["gsp", "primary", "primary"]
    assert list(subs["parent_id"]) == [None, "G1", "G1"]
    assert subs.loc["P1", "firm_capacity_mva"] == 23.0
    assert subs.loc["P1", "peak_demand_mva"] == 19.5  # first row's value
    assert (subs.loc["P1", "geometry"].x, subs.loc["P1", "geometry"].y) == (457500, 196000)
    assert subs.loc["P2", "geometry"] is None
    head = tables.headroom
    assert head[["substation_id", "year", "headroom_mva"]].values.tolist() == [
        ["G1", 2025, 50.0], ["P1", 2025, 3.5], ["P1", 2030, -1.0],
    ]
    assert set(head["scenario"]) == {"published"}
    assert set(head["season"]) == {"peak"}
    assert "1 substations have no location; they have no geometry" in tables.warnings


def test_headroom_is_derived_from_firm_and_peak_when_not_mapped(tmp_path: Path) -> None:
    columns = {k: v for k, v in LONG_MAP.items() if k != "headroom_mva"}
    tables = generic.read(write(tmp_path, LONG), columns=columns, scenario="dfes",
                          season="Winter")
    head = tables.headroom.set_index(["substation_id", "year"])["headroom_mva"]
    assert head.to_dict() == {("P1", 2025): 3.5, ("P1", 2030): -1.0, ("P2", 2025): 6.0}
    assert set(tables.headroom["scenario"]) == {"dfes"}
    assert set(tables.headroom["season"]) == {"winter"}
    assert any("derived as firm_capacity_mva - peak_demand_mva" in w for w in tables.warnings)


def test_no_headroom_columns_give_an_empty_headroom_table(tmp_path: Path) -> None:
    tables = generic.read(write(tmp_path, LONG), columns={"name": "Substation"}, year=2024)
    assert tables.headroom.empty
    assert list(tables.substations["substation_id"]) == [
        "primary-ARNCOTT", "primary-BERINSFIELD", "primary-COWLEY"]
    assert any("the headroom table is empty" in w for w in tables.warnings)
    assert any("no location is mapped" in w for w in tables.warnings)


def test_rows_without_ids_are_grouped_by_level_and_name(tmp_path: Path) -> None:
    text = "Name,Year,H\nCowley GSP,2025,5\nCOWLEY,2030,4\nCowley,2030,7\n"
    columns = {"name": "Name", "year": "Year", "headroom_mva": "H", "level": "Year"}
    with pytest.raises(SourceFormatError, match="'2025' is not a level"):
        generic.read(write(tmp_path, text), columns=columns)
    text = "Name,Year,H,Level\nCowley GSP,2025,5,gsp\nCOWLEY,2030,4,gsp\nCowley,2030,7,\n"
    columns = {"name": "Name", "year": "Year", "headroom_mva": "H", "level": "Level"}
    tables = generic.read(write(tmp_path, text), columns=columns)
    assert list(tables.substations["substation_id"]) == ["gsp-COWLEY", "primary-COWLEY"]
    assert list(tables.substations["name"]) == ["Cowley GSP", "Cowley"]
    assert any("disagree on ['name']" in w for w in tables.warnings)
    assert len(tables.headroom) == 3


def test_lon_lat_and_grid_ref_locations(tmp_path: Path) -> None:
    text = "Name,Long,Lat,Ref\nA,-1.2,51.73,SP 51259 05741\nB,,,\n"
    lonlat = generic.read(write(tmp_path, text), columns={"name": "Name", "lon": "long ",
                                                         "lat": "Lat"})
    point = lonlat.substations.set_index("name").geometry["A"]
    assert (point.x, point.y) == pytest.approx(TO_BNG.transform(-1.2, 51.73), abs=0.01)
    refs = generic.read(write(tmp_path, text), columns={"name": "Name", "grid_ref": "Ref"})
    point = refs.substations.set_index("name").geometry["A"]
    assert (point.x, point.y) == grid_ref_to_xy("SP 51259 05741") == (451259.5, 205741.5)


def test_x_y_in_another_crs_are_reprojected(tmp_path: Path) -> None:
    text = "Name,E,N\nA,-1.2,51.73\n"
    tables = generic.read(write(tmp_path, text), columns={"name": "Name", "x": "E", "y": "N"},
                          crs="EPSG:4326")
    point = tables.substations.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx(TO_BNG.transform(-1.2, 51.73), abs=0.01)


def test_degrees_in_x_y_columns_are_refused_with_a_hint(tmp_path: Path) -> None:
    text = "Name,E,N\nA,-1.2,51.73\nB,457500,196000\n"
    with pytest.raises(SourceFormatError,
                       match=r"row 2, column 'E, N': \(-1\.2, 51\.73\) is outside the British "
                             r"National Grid .*look like degrees: map them as lon and lat"):
        generic.read(write(tmp_path, text), columns={"name": "Name", "x": "E", "y": "N"})


def test_mapping_and_value_problems_are_listed_together(tmp_path: Path) -> None:
    text = "Substation,Firm,Level,Ref\nA,twelve,primary,SP 1\nB,12,switching station,\n"
    columns = {"name": "Substation", "firm_capacity_mva": "Firm", "level": "Level",
               "grid_ref": "Ref", "capacity": "Firm", "peak_demand_mva": "Peak MVA"}
    with pytest.raises(SourceFormatError) as caught:
        generic.read(write(tmp_path, text), columns=columns)
    message = str(caught.value)
    assert len(caught.value.problems) == 5
    assert "5 problems in grid.csv" in message
    assert "unknown mapping keys ['capacity'] (fix: use keys from ['name', " in message
    assert ("column 'Peak MVA': mapped column 'Peak MVA' (for peak_demand_mva) is not in the "
            "file (fix: map peak_demand_mva to one of the file's columns ['Substation', 'Firm',"
            in message)
    assert "row 2, column 'Firm': 'twelve' is not a number (fix: enter a number" in message
    assert ("row 3, column 'Level': 'switching station' is not a level (fix: use one of "
            "['gsp', 'bsp', 'primary', 'secondary'])") in message
    assert "row 2, column 'Ref': 'SP 1' is not an OS grid reference" in message


def test_long_lists_of_bad_cells_are_summarised(tmp_path: Path) -> None:
    text = "Name,Firm\n" + "".join(f"S{i},x{i}\n" for i in range(15))
    with pytest.raises(SourceFormatError, match=r"\.\.\. and 5 more such cells") as caught:
        generic.read(write(tmp_path, text), columns={"name": "Name", "firm_capacity_mva": "Firm"})
    assert len(caught.value.problems) == 11
    assert "row 11, column 'Firm': 'x9' is not a number" in str(caught.value)


def test_option_problems(tmp_path: Path) -> None:
    text = "Name,P,Lon,Lat,Y\nA,,-1.2,51.7,2030.5\n"
    columns = {"name": "Name", "parent_id": "P", "lon": "Lon", "lat": "Lat", "x": "Lon",
               "year": "Y"}
    with pytest.raises(SourceFormatError) as caught:
        generic.read(write(tmp_path, text), columns=columns, crs="EPSG:4326", layer="main",
                     level="transmission", season="monsoon")
    message = str(caught.value)
    for expected in (
        "several locations are mapped (['x', 'lon', 'lat'])",
        "x+y is only partly mapped (['y'] missing) (fix: map both x and y)",
        "layer='main' was given for a CSV",
        "parent_id is mapped but substation_id is not",
        "level='transmission' is not a substation level",
        "season='monsoon' is not a season (fix: use one of ('winter', 'summer', ",
        "row 2, column 'Y': 2030.5 is not a year",
    ):
        assert expected in message


def test_repeated_headroom_rows_are_refused(tmp_path: Path) -> None:
    text = "Name,Year,H\nA,2025,1\nB,2025,2\nA,2025,3\n"
    with pytest.raises(SourceFormatError,
                       match=r"grid\.csv, row 4: gives headroom for the same substation, "
                             r"scenario, year and season as row 2 \(fix: map the column"):
        generic.read(write(tmp_path, text), columns={"name": "Name", "year": "Year",
                                                     "headroom_mva": "H"})


def test_bad_crs_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CRSError, match=r"crs='EPSG:nope' is not a coordinate "
                                                r"reference system \(fix: give an EPSG"):
        generic.read(write(tmp_path, "Name,E,N\nA,1,2\n"),
                     columns={"name": "Name", "x": "E", "y": "N"}, crs="EPSG:nope")


# --- vector files ----------------------------------------------------------------------------


def test_geopackage_points_are_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "subs.gpkg"
    points_frame().to_file(path, layer="primaries", engine="pyogrio")
    tables = generic.read(path, columns={"name": "SITE", "firm_capacity_mva": "FIRM",
                                         "peak_demand_mva": "PEAK"})
    subs = tables.substations.set_index("name")
    assert subs.crs == "EPSG:27700"
    point = subs.geometry["Berinsfield"]
    assert (point.x, point.y) == pytest.approx(TO_BNG.transform(-1.17, 51.66), abs=0.01)
    head = tables.headroom.set_index("substation_id")["headroom_mva"]
    assert head.to_dict() == {"primary-BERINSFIELD": -2.5, "primary-COWLEY": 30.0}


def test_geopackage_layers_must_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    points_frame().to_file(path, layer="primaries", engine="pyogrio")
    points_frame().iloc[:1].to_file(path, layer="gsps", engine="pyogrio")
    columns = {"name": "SITE"}
    with pytest.raises(SourceFormatError, match=r"two\.gpkg: the file has layers "
                                                r"\['primaries', 'gsps'\].*fix: pass layer="):
        generic.read(path, columns=columns)
    with pytest.raises(SourceNotFoundError, match=r"layer 'bsps' not found; the file has"):
        generic.read(path, columns=columns, layer="bsps")
    tables = generic.read(path, columns=columns, layer="gsps", level="gsp")
    assert list(tables.substations["substation_id"]) == ["gsp-COWLEY"]


def test_vector_problems_name_the_layer(tmp_path: Path) -> None:
    path = tmp_path / "subs.gpkg"
    points_frame().to_file(path, layer="primaries", engine="pyogrio")
    with pytest.raises(SourceFormatError, match=r"subs\.gpkg, layer 'primaries', column 'NAME'"
                                                r": mapped column 'NAME' \(for name\)"):
        generic.read(path, columns={"name": "NAME"}, layer="primaries")
    with pytest.raises(SourceFormatError, match=r"location keys \['lon', 'lat'\] are mapped, "
                                                r"but a vector file is located by its geometry"):
        generic.read(path, columns={"name": "SITE", "lon": "FIRM", "lat": "PEAK"})


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_vector_file_without_crs_needs_crs_argument(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"nocrs{suffix}"
    frame = points_frame(crs=None)
    frame["geometry"] = [Point(455350, 203780), Point(457500, 196000)]
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(path, engine="pyogrio")
    with pytest.raises(MissingCRSError, match=rf"nocrs\{suffix}: the file declares no "
                                              r"coordinate reference system \(fix: pass crs= "
                                              r"or --crs"):
        generic.read(path, columns={"name": "SITE"})
    tables = generic.read(path, columns={"name": "SITE"}, crs="EPSG:27700")
    assert tables.substations.geometry.iloc[0].x == 457500


def test_declared_crs_is_never_overridden(tmp_path: Path) -> None:
    path = tmp_path / "subs.geojson"
    points_frame().to_file(path, engine="pyogrio")
    with pytest.raises(CRSError, match=r"declares CRS EPSG:4326 but "
                                                r"crs='EPSG:27700' was given \(fix: drop crs="):
        generic.read(path, columns={"name": "SITE"}, crs="EPSG:27700")


def test_polygons_become_representative_points(tmp_path: Path) -> None:
    areas = gpd.GeoDataFrame({"GSP": ["Cowley"]},
                             geometry=[box(450000, 200000, 460000, 210000)], crs="EPSG:27700")
    path = tmp_path / "areas.geojson"
    areas.to_crs("EPSG:4326").to_file(path, engine="pyogrio")
    tables = generic.read(path, columns={"name": "GSP"}, level="gsp")
    point = tables.substations.geometry.iloc[0]
    assert box(450000, 200000, 460000, 210000).contains(point)
    assert tables.substations["level"].iloc[0] == "gsp"
    assert any("1 features are ['Polygon'], not points" in w for w in tables.warnings)


def test_geoparquet_is_read(tmp_path: Path) -> None:
    path = tmp_path / "subs.parquet"
    points_frame().to_crs("EPSG:27700").to_parquet(path)
    tables = generic.read(path, columns={"name": "SITE", "headroom_mva": "FIRM"}, year=2030)
    assert tables.headroom["headroom_mva"].tolist() == [23.0, 90.0]
    assert tables.headroom["year"].tolist() == [2030, 2030]


def test_read_grid_routes_vector_files_to_generic(tmp_path: Path) -> None:
    path = tmp_path / "subs.gpkg"
    points_frame().to_file(path, engine="pyogrio")
    assert detect_format(path) == "generic"
    tables = read_grid(path, columns={"name": "SITE"})
    assert tables.format == "generic"
    assert len(tables.substations) == 2


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"absent\.gpkg: no such file"):
        generic.read(tmp_path / "absent.gpkg", columns={"name": "x"})
    junk = write(tmp_path, "not a geopackage", "junk.gpkg")
    with pytest.raises(SourceFormatError, match=r"junk\.gpkg: cannot be read as a vector file"):
        generic.read(junk, columns={"name": "x"})


# --- real published files --------------------------------------------------------------------


@pytest.mark.real_data
def test_real_gsp_regions_become_points_inside_them(real_data: Path) -> None:
    path = real_file(real_data, "grid/oxon_gsp_regions_fes2022.geojson")
    tables = generic.read(path, columns={"name": "GSP"}, level="gsp")
    regions = gpd.read_file(path).to_crs("EPSG:27700").set_index("GSP")
    subs = tables.substations.set_index("name")
    assert sorted(subs.index) == sorted(regions.index)
    assert all(regions.geometry[name].contains(subs.geometry[name]) for name in subs.index)
    assert any("['MultiPolygon'], not points" in w for w in tables.warnings)


@pytest.mark.real_data
def test_real_fes_projections_long_format(real_data: Path, tmp_path: Path) -> None:
    path = real_file(real_data, "grid/oxon_gsp_fes2022_projections.csv")
    plain = pd.read_csv(path)
    columns = {"name": "gsp", "scenario": "scenario_code", "year": "year",
               "headroom_mva": "value"}
    with pytest.raises(SourceFormatError, match=r"row \d+: gives headroom for the same "
                                                r"substation, scenario, year and season as row"):
        generic.read(path, columns=columns, level="gsp")
    peak = plain[plain["parameter"] == "DemandPk-All"]
    subset = tmp_path / "peak.csv"
    peak.to_csv(subset, index=False)
    tables = generic.read(subset, columns=columns, level="gsp")
    assert len(tables.substations) == peak["gsp"].nunique() == 7
    assert len(tables.headroom) == len(peak)
    got = tables.headroom.groupby("scenario")["headroom_mva"].sum()
    expected = peak.groupby("scenario_code")["value"].sum()
    np.testing.assert_allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy())
