"""Polygon land cover for sequestration: mappings, exclusions by attribute, raster equivalence."""

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.features import shapes

from geoplan.errors import ScenarioError, SourceFormatError
from geoplan.layers.land import Exclusion, land_parcels_from_raster
from geoplan.layers.land_classes import read_land_classes
from geoplan.layers.land_mapping import MAPPINGS, read_class_mapping
from geoplan.layers.land_vector import land_parcels_from_polygons, union_by_group
from geoplan.layers.read import read_layers
from geoplan.schemas import LAND

WEST, NORTH, CELL = 450000.0, 210000.0, 10.0  # multiples of the 40 m blocks: grid-aligned
ORIGIN = Affine(CELL, 0, WEST, 0, -CELL, NORTH)
RATES = ("land_use,seq_tco2e_per_ha_yr,cost_gbp_per_ha,buffer_share,lifetime_years,note,"
         "source\n"
         "woodland_creation,10,1000,0.2,100,,test figures\n"
         "peat_restoration,4,500,0.5,30,,test figures\n"
         "hedgerow,30,20000,0.1,40,,test figures\n")

# 8 x 8 cells of 10 m (0.01 ha each); 40 m blocks split it into four 4 x 4 blocks.
# 3 arable, 4 improved grassland (eligible, woodland); 8 fen (eligible, peat);
# 1 deciduous woodland, 20 urban (not eligible); 0 nodata.
LAND_CELLS = np.array([
    [3, 3, 3, 3, 3, 3, 4, 4],
    [3, 3, 3, 3, 3, 3, 4, 4],
    [1, 1, 3, 3, 0, 0, 4, 4],
    [1, 1, 3, 3, 0, 0, 8, 8],
    [20, 20, 20, 20, 8, 8, 8, 8],
    [20, 20, 20, 20, 8, 8, 8, 8],
    [4, 4, 4, 4, 3, 3, 3, 3],
    [4, 4, 4, 4, 3, 3, 3, 3],
], dtype=np.uint8)
# Living England's names for those classes (mapped back by the shipped living-england table)
LIVING_ENGLAND = {3: "Arable and Horticultural", 4: "Improved Grassland",
                  1: "Broadleaved, Mixed and Yew Woodland", 8: "Fen, Marsh and Swamp",
                  20: "Built-up Areas and Gardens"}

# Hand-computed parcels with the 2 x 2 cells of the north-west corner excluded:
# blocks: NW arable 12 - 4 = 8 cells; NE arable 4, grassland 6, fen 2; SW grassland 8;
#         SE fen 8, arable 8.
BLOCKS_HA = {"land-450000-210000-3": 0.08, "land-450040-210000-3": 0.04,
             "land-450040-210000-4": 0.06, "land-450040-210000-8": 0.02,
             "land-450000-209960-4": 0.08, "land-450040-209960-3": 0.08,
             "land-450040-209960-8": 0.08}
# patches: arable north (8 + 4, joined across the block edge), starting at column 2 after
# the exclusion; grassland NE 6; fen 2 + 8 (joined down the block edge); grassland SW 8;
# arable SE 8.
PATCHES_HA = {"land-450020-210000-3": 0.12, "land-450060-210000-4": 0.06,
              "land-450060-209970-8": 0.10, "land-450000-209940-4": 0.08,
              "land-450040-209940-3": 0.08}


def cells_box(row0, col0, row1, col1):
    """Polygon covering cells rows row0..row1-1 and columns col0..col1-1."""
    return shapely.box(WEST + col0 * CELL, NORTH - row1 * CELL,
                       WEST + col1 * CELL, NORTH - row0 * CELL)


def write_raster(path, array):
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype=array.dtype, crs="EPSG:27700", transform=ORIGIN,
                       nodata=0) as dst:
        dst.write(array[np.newaxis])
    return path


def polygonise(array, tile=3):
    """The raster's cells as polygons: one per class and 3 x 3-cell tile (not block-aligned,
    so that polygons of one class meet along edges and cross block edges)."""
    rows, cols = np.indices(array.shape)
    labels = (array.astype(np.int32) * 1000 + (rows // tile) * 10 + cols // tile).astype(np.int32)
    pairs = list(shapes(labels, mask=array > 0, connectivity=4, transform=ORIGIN))
    return gpd.GeoDataFrame({"A_pred": [LIVING_ENGLAND[int(v) // 1000] for _, v in pairs]},
                            geometry=[shapely.geometry.shape(g) for g, _ in pairs],
                            crs="EPSG:27700")


@pytest.fixture
def rates(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES)
    return path


@pytest.fixture
def excluded():
    return gpd.GeoDataFrame(geometry=[cells_box(0, 0, 2, 2)], crs="EPSG:27700")


@pytest.mark.parametrize(("method", "expected"), [("blocks", BLOCKS_HA),
                                                  ("patches", PATCHES_HA)])
def test_polygons_give_the_raster_parcels_and_the_hand_computed_hectares(
        tmp_path, rates, excluded, method, expected):
    raster = write_raster(tmp_path / "land.tif", LAND_CELLS)
    polygons = tmp_path / "living_england.gpkg"
    polygonise(LAND_CELLS).to_file(polygons)
    options = {"method": method, "block_size_m": 40, "min_area_ha": 0, "sequestration": rates,
               "exclusions": {"corner": excluded}}
    from_raster = land_parcels_from_raster(raster, **options)
    from_polygons = land_parcels_from_polygons(polygons, **options)
    for frame in (from_raster, from_polygons):
        assert dict(zip(frame["parcel_id"], frame["area_ha"].round(6), strict=True)) == expected
    assert from_polygons["parcel_id"].tolist() == from_raster["parcel_id"].tolist()
    assert from_polygons["land_class"].tolist() == from_raster["land_class"].tolist()
    assert from_polygons.geometry.geom_equals(from_raster.geometry).all()
    report = from_polygons.attrs["report"]
    assert report.mapping == "living-england"
    assert report.columns == ("A_pred",)
    assert report.eligible_ha == pytest.approx(0.48)  # 48 eligible cells
    assert report.excluded_ha == {"corner": pytest.approx(0.04)}
    assert report.available_ha == pytest.approx(0.44)
    # woodland creation 10 t/ha, 20% buffer; fen 4 t/ha, 50% buffer
    # the sequestration workstream's candidates: the same hectares from either input
    from geoplan.layers.land import read_sequestration
    from geoplan.scenario.workstreams import SequestrationSettings
    from geoplan.workstreams.sequestration import sequestration_candidates

    # peat is offered only in a stated degraded condition (the additionality rule)
    settings = SequestrationSettings(min_area_ha=0, peat_condition="grassland_shallow_drained")
    table = read_sequestration(rates)
    candidates = [sequestration_candidates(f, settings, sequestration=table)
                  for f in (from_raster, from_polygons)]
    for found in candidates:
        assert dict(zip(found["parcel_id"], found["area_ha"].round(6), strict=True)) == expected
    assert candidates[0]["sequestered_tco2e_per_yr"].tolist() == pytest.approx(
        candidates[1]["sequestered_tco2e_per_yr"].tolist())
    woodland = from_polygons["land_use"] == "woodland_creation"
    assert from_polygons.loc[woodland, "seq_tco2e_per_yr"].sum() == pytest.approx(0.34 * 8)
    assert from_polygons.loc[~woodland, "seq_tco2e_per_yr"].sum() == pytest.approx(0.10 * 2)


def test_small_parcels_are_dropped_and_counted_as_on_the_raster(tmp_path, rates, excluded):
    options = {"block_size_m": 40, "min_area_ha": 0.05, "sequestration": rates,
               "exclusions": {"corner": excluded}}
    frame = land_parcels_from_polygons(polygonise(LAND_CELLS), **options)
    raster = land_parcels_from_raster(write_raster(tmp_path / "l.tif", LAND_CELLS), **options)
    kept = {k: v for k, v in BLOCKS_HA.items() if v >= 0.05}
    assert dict(zip(frame["parcel_id"], frame["area_ha"].round(6), strict=True)) == kept
    report = frame.attrs["report"]
    assert (report.small_parcels_dropped, round(report.small_ha_dropped, 6)) == (2, 0.06)
    assert raster.attrs["report"].small_parcels_dropped == 2
    assert raster["parcel_id"].tolist() == frame["parcel_id"].tolist()


def test_parcels_follow_the_land_schema_and_get_their_zone(rates):
    zones = gpd.GeoDataFrame({"zone_id": ["W", "E"], "district_id": ["D1", "D2"]},
                             geometry=[cells_box(0, 0, 8, 4), cells_box(0, 4, 8, 8)],
                             crs="EPSG:27700")
    frame = land_parcels_from_polygons(polygonise(LAND_CELLS), block_size_m=40, min_area_ha=0,
                                       sequestration=rates, zones=zones)
    assert list(frame.columns[:len(LAND.columns)]) == list(LAND.columns)
    zone = dict(zip(frame["parcel_id"], frame["zone_id"], strict=True))
    assert zone["land-450000-209960-4"] == "W"
    assert zone["land-450040-209960-8"] == "E"


# --- mappings -------------------------------------------------------------------------------


def test_shipped_mappings_name_only_known_classes_and_cite_sources():
    codes = set(read_land_classes()["lcm_code"])
    for name in MAPPINGS:
        table = read_class_mapping(name, read_land_classes())
        assert set(table["lcm_code"]) <= codes
        assert table["source"].str.len().min() > 20


def test_unmapped_classes_are_left_out_and_counted_with_their_area(rates, caplog):
    layer = polygonise(LAND_CELLS)
    extra = gpd.GeoDataFrame({"A_pred": ["Unclassified", "Unclassified"]},
                             geometry=[shapely.box(WEST + 100, NORTH - 100, WEST + 200, NORTH),
                                       shapely.box(WEST + 200, NORTH - 50, WEST + 300, NORTH)],
                             crs="EPSG:27700")
    mixed = pd.concat([layer, extra], ignore_index=True)
    with caplog.at_level(logging.WARNING):
        frame = land_parcels_from_polygons(mixed, block_size_m=40, min_area_ha=0,
                                           sequestration=rates)
    report = frame.attrs["report"]
    assert report.unmapped_ha == {"A_pred=Unclassified": pytest.approx(1.5)}  # 1 ha + 0.5 ha
    assert frame["area_ha"].sum() == pytest.approx(0.48)  # the eligible land, nothing more
    assert "2 features (1.50 ha)" in report.warnings[0]
    assert "A_pred=Unclassified (2 features, 1.50 ha)" in caplog.text


def test_a_layer_no_mapping_fits_is_refused_listing_its_values():
    layer = gpd.GeoDataFrame({"habitat": ["Cropland", "Forest"]},
                             geometry=[cells_box(0, 0, 1, 1), cells_box(1, 1, 2, 2)],
                             crs="EPSG:27700")
    with pytest.raises(SourceFormatError, match=r"no shipped land-cover mapping fits.*"
                       r"habitat: Cropland, Forest.*land_cover_classes"):
        land_parcels_from_polygons(layer)


def test_a_layer_several_mappings_fit_is_refused():
    layer = gpd.GeoDataFrame({"A_pred": ["Bog"], "Code_18": ["211"]},
                             geometry=[cells_box(0, 0, 1, 1)], crs="EPSG:27700")
    with pytest.raises(SourceFormatError, match="fit several shipped mappings "
                       r"\(living-england, corine\)"):
        land_parcels_from_polygons(layer)


def test_corine_codes_osm_tags_and_a_renamed_column_are_read(rates):
    box = shapely.box(WEST, NORTH - 100, WEST + 100, NORTH)  # 1 ha
    corine = gpd.GeoDataFrame({"CODE": [211.0]}, geometry=[box], crs="EPSG:27700")
    frame = land_parcels_from_polygons(corine, mapping="corine", class_column="code",
                                       block_size_m=100, min_area_ha=0, sequestration=rates)
    assert frame["land_class"].tolist() == ["Arable"]
    assert frame["area_ha"].tolist() == [1.0]
    # OSM: a wood (natural) inside farmland (landuse): the smaller polygon keeps its land
    wood = shapely.box(WEST, NORTH - 20, WEST + 20, NORTH)  # 0.04 ha
    osm = gpd.GeoDataFrame({"landuse": ["farmland", None], "natural": [None, "wood"]},
                           geometry=[box, wood], crs="EPSG:27700")
    frame = land_parcels_from_polygons(osm, method="patches", min_area_ha=0,
                                       sequestration=rates)
    report = frame.attrs["report"]
    assert report.mapping == "osm"
    assert report.overlap_ha == pytest.approx(0.04)
    assert report.area_ha_by_code == {1: pytest.approx(0.04), 3: pytest.approx(0.96)}
    assert frame["area_ha"].tolist() == [pytest.approx(0.96)]
    # a pond strictly inside the farmland, sharing no edge: found all the same
    pond = shapely.box(WEST + 40, NORTH - 60, WEST + 60, NORTH - 40)  # 0.04 ha
    osm = gpd.GeoDataFrame({"landuse": ["farmland", "basin"]}, geometry=[box, pond],
                           crs="EPSG:27700")
    frame = land_parcels_from_polygons(osm, method="patches", min_area_ha=0,
                                       sequestration=rates)
    assert frame["area_ha"].tolist() == [pytest.approx(0.96)]
    assert frame.geometry.iloc[0].interiors[0].bounds == pond.bounds


def test_a_mapping_table_of_your_own_is_checked(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("column,value,lcm_code,note,source\nhab,crop,3,,survey\nhab,moss,99,,x\n")
    layer = gpd.GeoDataFrame({"hab": ["crop"]}, geometry=[cells_box(0, 0, 1, 1)],
                             crs="EPSG:27700")
    with pytest.raises(SourceFormatError, match=r"row 3.*lcm_code.*99 is not a class"):
        land_parcels_from_polygons(layer, mapping=path)


def test_points_are_refused_as_land_cover():
    layer = gpd.GeoDataFrame({"A_pred": ["Bog"]}, geometry=[shapely.Point(WEST, NORTH)],
                             crs="EPSG:27700")
    with pytest.raises(SourceFormatError, match="1 features are not polygons"):
        land_parcels_from_polygons(layer)


def test_union_by_group_unions_groups_of_any_size():
    squares = shapely.box(np.arange(9.0), 0, np.arange(9.0) + 1, 1)
    groups = np.array([0, 0, 0, 0, 0, 1, 3, 3, 3])
    out = union_by_group(squares, groups, 4)
    assert [g.area if g is not None else None for g in out] == [5.0, 1.0, None, 3.0]
    assert shapely.equals(out[0], shapely.box(0, 0, 5, 1))


# --- exclusions by attribute ----------------------------------------------------------------


@pytest.fixture
def alc(tmp_path):
    """Agricultural Land Classification grades over the four blocks."""
    path = tmp_path / "alc.gpkg"
    gpd.GeoDataFrame({"ALC_GRADE": ["Grade 1", "Grade 3b", "Grade 3A ", "Non Agricultural"]},
                     geometry=[cells_box(0, 0, 4, 4), cells_box(0, 4, 4, 8),
                               cells_box(4, 0, 8, 4), cells_box(4, 4, 8, 8)],
                     crs="EPSG:27700").to_file(path)
    return path


@pytest.mark.parametrize("reader", ["raster", "polygons"])
def test_exclusion_keeps_only_the_named_grades(tmp_path, rates, alc, reader):
    bmv = Exclusion("bmv", alc, column="ALC_GRADE", values=("Grade 1", "Grade 2", "Grade 3a"))
    options = {"block_size_m": 40, "min_area_ha": 0, "sequestration": rates,
               "exclusions": [bmv]}
    frame = (land_parcels_from_raster(write_raster(tmp_path / "l.tif", LAND_CELLS), **options)
             if reader == "raster"
             else land_parcels_from_polygons(polygonise(LAND_CELLS), **options))
    # grade 1 (NW: 12 arable cells) and 3a (SW: 8 grassland cells) go; 3b (NE) stays
    assert frame.attrs["report"].excluded_ha == {"bmv": pytest.approx(0.20)}
    assert set(frame["parcel_id"]) == {"land-450040-210000-3", "land-450040-210000-4",
                                       "land-450040-210000-8", "land-450040-209960-3",
                                       "land-450040-209960-8"}
    assert any("'Grade 2'" in w and "nothing excluded" in w
               for w in frame.attrs["report"].warnings)


def test_exclusion_values_match_numbers_written_either_way(rates):
    zones = gpd.GeoDataFrame({"zone": [3.0, 2.0]},  # a shapefile's numeric column
                             geometry=[cells_box(0, 0, 4, 4), cells_box(0, 4, 4, 8)],
                             crs="EPSG:27700")
    frame = land_parcels_from_polygons(
        polygonise(LAND_CELLS), block_size_m=40, min_area_ha=0, sequestration=rates,
        exclusions=[Exclusion("flood_zone_3", zones, column="zone", values=("3",))])
    assert frame.attrs["report"].excluded_ha == {"flood_zone_3": pytest.approx(0.12)}


def test_exclusion_filter_errors_name_the_column_and_values(alc):
    layer = polygonise(LAND_CELLS)
    with pytest.raises(SourceFormatError, match=r"alc.gpkg: exclusion 'bmv' filters on "
                       r"column 'GRADE', which the layer lacks.*ALC_GRADE"):
        land_parcels_from_polygons(layer, exclusions=[Exclusion("bmv", alc, column="GRADE",
                                                                values=("Grade 1",))])
    with pytest.raises(SourceFormatError, match=r"no feature of exclusion 'bmv' has "
                       r"ALC_GRADE in \['Grade 5'\]; the column holds \['Grade 1'"):
        land_parcels_from_polygons(layer, exclusions=[Exclusion("bmv", alc, column="ALC_GRADE",
                                                                values=("Grade 5",))])


def test_read_layers_tells_polygons_from_rasters_by_the_file(tmp_path, excluded, alc):
    polygons, corner = tmp_path / "habitats.gpkg", tmp_path / "corner.gpkg"
    polygonise(LAND_CELLS).to_file(polygons)
    excluded.to_file(corner)
    bmv = Exclusion("bmv", alc, column="ALC_GRADE", values=("Grade 1",))
    read = read_layers(polygons, "land", exclusions={"bmv": bmv, "corner": corner},
                       block_size_m=40, min_area_ha=0)
    assert read.summary["format"] == "vector"
    assert read.summary["mapping"] == "living-england"
    # grade 1 alone removes the NW block's 12 eligible cells; the plain path every feature
    assert read.summary["excluded_ha"] == {"bmv": pytest.approx(0.12),
                                           "corner": pytest.approx(0.04)}
    assert read.summary["available_ha"] == pytest.approx(0.36)
    raster = write_raster(tmp_path / "land.tif", LAND_CELLS)
    with pytest.raises(ScenarioError, match="a class mapping or class column applies to "
                       "polygon land cover"):
        read_layers(raster, "land", mapping="corine")


# --- scenario keys ------------------------------------------------------------------------


def _scenario(folder, inputs):
    for name in ("zones.gpkg", "grid.csv", "habitats.gpkg", "alc.gpkg", "sssi.gpkg",
                 "my_mapping.csv"):
        (folder / name).write_text("x")
    path = folder / "s.yaml"
    path.write_text("name: land\ninputs:\n  zones: zones.gpkg\n  grid: grid.csv\n"
                    "  land_cover: habitats.gpkg\n" + inputs)
    return path


def test_scenario_exclusions_filter_by_attribute_beside_plain_paths(tmp_path):
    from geoplan.pipeline import layer_inputs
    from geoplan.scenario import load_scenario

    (tmp_path / "sub").mkdir()
    path = _scenario(tmp_path, "  land_cover_classes: living-england\n"
                               "  land_cover_column: A_pred\n"
                               "  exclusions:\n    sssi: sssi.gpkg\n"
                               "    alc: {path: alc.gpkg, column: ALC_GRADE,\n"
                               "          values: [Grade 1, Grade 2, Grade 3a]}\n")
    inputs = layer_inputs(load_scenario(path))
    assert inputs.exclusions["sssi"] == tmp_path / "sssi.gpkg"
    assert inputs.exclusions["alc"] == Exclusion("alc", tmp_path / "alc.gpkg", None, "ALC_GRADE",
                                                 ("Grade 1", "Grade 2", "Grade 3a"))
    assert (inputs.land_cover_classes, inputs.land_cover_column) == ("living-england", "A_pred")
    # numbers in YAML are read as the text a file holds: flood zone 3
    path = _scenario(tmp_path, "  exclusions: {flood: {path: sssi.gpkg, column: zone, "
                               "values: [3, 2.0]}}\n")
    assert layer_inputs(load_scenario(path)).exclusions["flood"].values == ("3", "2")


def test_scenario_land_cover_classes_is_a_shipped_name_or_a_file(tmp_path):
    from geoplan.scenario import load_scenario

    scenario = load_scenario(_scenario(tmp_path, "  land_cover_classes: my_mapping.csv\n"))
    assert scenario.inputs.land_cover_classes == str(tmp_path / "my_mapping.csv")
    with pytest.raises(ScenarioError, match="corinne' is neither a shipped mapping"):
        load_scenario(_scenario(tmp_path, "  land_cover_classes: corinne\n"))
    with pytest.raises(ScenarioError, match="give column and values together"):
        load_scenario(_scenario(tmp_path, "  exclusions: {alc: {path: alc.gpkg, "
                                          "column: ALC_GRADE}}\n"))


def test_layers_validate_reads_polygons_with_a_filtered_exclusion(tmp_path, alc):
    from click.testing import CliRunner

    from geoplan.cli import cli

    polygons = tmp_path / "habitats.gpkg"
    polygonise(LAND_CELLS).to_file(polygons)
    result = CliRunner().invoke(cli, [
        "layers", "validate", str(polygons), "--kind", "land", "--classes", "living-england",
        "--block-size", "40", "--min-area", "0", "--exclusion", f"bmv={alc}",
        "--exclusion-filter", "bmv=ALC_GRADE:Grade 1,Grade 3a"])
    assert result.exit_code == 0, result.output
    assert "classes by mapping living-england (A_pred)" in result.output
    # grades 1 (NW block) and 3a (SW block) excluded: the five parcels of the east half
    assert "excluded: bmv 0 ha" in result.output
    assert "parcels: 5 (" in result.output
    bad = CliRunner().invoke(cli, ["layers", "validate", str(polygons), "--kind", "land",
                                   "--exclusion-filter", "bmv=ALC_GRADE"])
    assert bad.exit_code == 2
    assert "is not LABEL=COLUMN:V1,V2" in bad.output


def test_class_values_match_trimmed_ignoring_case_and_blanks_count_as_unmapped(rates):
    boxes = [shapely.box(WEST + i * 100, NORTH - 100, WEST + (i + 1) * 100, NORTH)
             for i in range(3)]  # 1 ha each
    layer = gpd.GeoDataFrame({"landuse": pd.array([" FarmLand ", pd.NA, "quarry"],
                                                  dtype="string")},
                             geometry=boxes, crs="EPSG:27700")
    frame = land_parcels_from_polygons(layer, mapping="osm", block_size_m=100, min_area_ha=0,
                                       sequestration=rates)
    assert frame["parcel_id"].tolist() == ["land-450000-210000-3"]
    report = frame.attrs["report"]
    assert report.unmapped_ha == {"(blank)": pytest.approx(1.0)}
    assert report.area_ha_by_code == {3: pytest.approx(1.0), 12: pytest.approx(1.0)}


def test_the_sample_land_cover_polygonised_gives_the_raster_parcels(small_sample, tmp_path):
    """A 10 km window of the sample county's land cover, as a raster and as polygons."""
    with rasterio.open(small_sample / "land/land_cover.tif") as src:
        window = rasterio.windows.Window(400, 600, 200, 200)
        cells, transform = src.read(1, window=window), src.window_transform(window)
        profile = {**src.profile, "width": 200, "height": 200, "transform": transform}
    assert (transform.c % 500, transform.f % 500) == (0, 0)  # blocks on the National Grid
    with rasterio.open(tmp_path / "window.tif", "w", **profile) as dst:
        dst.write(cells[np.newaxis])
    pairs = list(shapes(cells, mask=cells > 0, connectivity=4, transform=transform))
    gpd.GeoDataFrame({"lcm": [int(v) for _, v in pairs]},
                     geometry=[shapely.geometry.shape(g) for g, _ in pairs],
                     crs="EPSG:27700").to_file(tmp_path / "window.gpkg")
    codes = range(1, 22)
    pd.DataFrame({"column": "lcm", "value": codes, "lcm_code": codes, "note": "",
                  "source": "identity"}).to_csv(tmp_path / "ukceh.csv", index=False)
    for method in ("blocks", "patches"):
        raster = read_layers(tmp_path / "window.tif", "land", method=method).layers["land"]
        polygons = read_layers(tmp_path / "window.gpkg", "land", method=method,
                               mapping=tmp_path / "ukceh.csv").layers["land"]
        assert len(raster) > 20
        assert polygons["parcel_id"].tolist() == raster["parcel_id"].tolist()
        assert np.allclose(polygons["area_ha"], raster["area_ha"], rtol=0, atol=1e-9)
        assert np.allclose(polygons["cost_gbp"], raster["cost_gbp"], rtol=1e-12)


def test_invalid_and_missing_geometries_are_repaired_or_counted(rates):
    bowtie = shapely.Polygon([(WEST, NORTH), (WEST + 100, NORTH - 100), (WEST + 100, NORTH),
                              (WEST, NORTH - 100)])  # self-crossing: two 0.25 ha triangles
    square = shapely.box(WEST + 200, NORTH - 100, WEST + 300, NORTH)  # 1 ha
    layer = gpd.GeoDataFrame({"A_pred": ["Arable and Horticultural", "Bog",
                                         "Improved Grassland"]},
                             geometry=[bowtie, None, square], crs="EPSG:27700")
    frame = land_parcels_from_polygons(layer, method="patches", min_area_ha=0,
                                       sequestration=rates)
    report = frame.attrs["report"]
    assert report.features_without_geometry == 1
    assert "1 features have no geometry and were skipped" in report.warnings[0]
    assert report.area_ha_by_code == {3: pytest.approx(0.5), 4: pytest.approx(1.0)}
    assert sorted(frame["area_ha"].round(6)) == [0.25, 0.25, 1.0]


def test_scenario_refuses_a_class_mapping_without_a_land_cover(tmp_path):
    from geoplan.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text("name: x\ninputs:\n  sample: small\n  land_cover_classes: corine\n")
    with pytest.raises(ScenarioError, match=r"land_cover_classes: applies to a polygon "
                       r"inputs\.land_cover, which is not given"):
        load_scenario(path)
