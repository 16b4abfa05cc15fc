import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from geopandas.testing import assert_geodataframe_equal

from geoplan.errors import (
    CRSError,
    LayerSchemaError,
    MissingCRSError,
    ScenarioError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.layers.land import (
    Exclusion,
    assign_zones,
    coordinate_texts,
    land_parcels_from_raster,
    read_land_classes,
    read_sequestration,
)
from geoplan.schemas import LAND


def from_origin(west, north, xsize, ysize):
    return Affine(xsize, 0, west, 0, -ysize, north)


WEST, NORTH, CELL = 450000.0, 210000.0, 10.0
ORIGIN = from_origin(WEST, NORTH, CELL, CELL)

# 10 x 10 cells of 10 m; 50 m blocks split it into four 5 x 5 blocks.
#   NW: 25 arable (3)                    NE: 15 improved grassland (4) over 10 woodland (1)
#   SW: 20 fen (8) over 5 nodata (0)     SE: 3 arable in its top row, 22 urban (20)
HAND = np.array([
    [3, 3, 3, 3, 3, 4, 4, 4, 4, 4],
    [3, 3, 3, 3, 3, 4, 4, 4, 4, 4],
    [3, 3, 3, 3, 3, 4, 4, 4, 4, 4],
    [3, 3, 3, 3, 3, 1, 1, 1, 1, 1],
    [3, 3, 3, 3, 3, 1, 1, 1, 1, 1],
    [8, 8, 8, 8, 8, 3, 3, 3, 20, 20],
    [8, 8, 8, 8, 8, 20, 20, 20, 20, 20],
    [8, 8, 8, 8, 8, 20, 20, 20, 20, 20],
    [8, 8, 8, 8, 8, 20, 20, 20, 20, 20],
    [0, 0, 0, 0, 0, 20, 20, 20, 20, 20],
], dtype=np.uint8)

RATES = ("land_use,seq_tco2e_per_ha_yr,cost_gbp_per_ha,buffer_share,lifetime_years,note,"
         "source\n"
         "woodland_creation,10,1000,0.2,100,,test figures\n"
         "peat_restoration,4,500,0.5,30,,test figures\n"
         "hedgerow,30,20000,0.1,40,,test figures\n")


def write_raster(path, array, *, crs="EPSG:27700", transform=ORIGIN, nodata=0):
    bands = array if array.ndim == 3 else array[np.newaxis]
    with rasterio.open(path, "w", driver="GTiff", width=bands.shape[2], height=bands.shape[1],
                       count=bands.shape[0], dtype=bands.dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(bands)
    return path


def cells_box(row0, col0, row1, col1):
    """Polygon covering cells rows row0..row1-1 and columns col0..col1-1 of ORIGIN."""
    return shapely.box(WEST + col0 * CELL, NORTH - row1 * CELL,
                       WEST + col1 * CELL, NORTH - row0 * CELL)


@pytest.fixture
def hand(tmp_path):
    return write_raster(tmp_path / "hand.tif", HAND)


@pytest.fixture
def rates(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES)
    return path


def blocky(seed, shape=(60, 60), field=6):
    """Deterministic land-use-like raster: fields of one class, some nodata."""
    rng = np.random.default_rng(seed)
    rows, cols = -(-shape[0] // field), -(-shape[1] // field)
    coarse = rng.choice(np.array([1, 3, 3, 4, 4, 8, 11, 20, 0], dtype=np.uint8),
                        size=(rows, cols))
    array = np.kron(coarse, np.ones((field, field), dtype=np.uint8))[: shape[0], : shape[1]]
    speckle = rng.random(shape) < 0.08
    array[speckle] = rng.choice(np.array([3, 4, 8], dtype=np.uint8), size=int(speckle.sum()))
    return array


# --- tables -----------------------------------------------------------------------------


def test_default_class_table_is_the_21_lcm_classes():
    table = read_land_classes()
    assert table["lcm_code"].tolist() == list(range(1, 22))
    assert table.loc[table["lcm_code"] == 3, "name"].item() == "Arable"
    assert table.loc[table["lcm_code"] == 21, "name"].item() == "Suburban"
    eligible = table.loc[table["eligible"], "lcm_code"].tolist()
    assert eligible == [3, 4, 8, 11]
    assert set(table.loc[~table["eligible"], "land_use"]) == {"none"}
    assert table["source"].str.contains("Land Cover Map 2021").all()


def test_default_sequestration_table_has_rates_costs_buffers_and_sources():
    table = read_sequestration()
    assert set(table["land_use"]) == {"woodland_creation", "hedgerow", "peat_restoration"}
    assert table["buffer_share"].between(0, 1).all()
    assert (table["seq_tco2e_per_ha_yr"] > 0).all()
    assert (table["cost_gbp_per_ha"] > 0).all()
    assert table["source"].str.len().gt(50).all()


def test_class_table_lists_every_problem_with_row_and_column(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("lcm_code,name,eligible,land_use,source\n"
                    "3,Arable,1,forest,x\n"
                    "3.5,Odd,0,none,x\n"
                    "4,Grass,2,woodland_creation,x\n"
                    "7,Acid,1,none,x\n"
                    "04,Again,0,none,x\n")
    with pytest.raises(SourceFormatError) as caught:
        read_land_classes(path)
    text = str(caught.value)
    assert "5 problems in classes.csv" in text
    assert "row 2, column 'land_use': land use 'forest' is unknown" in text
    assert "woodland_creation" in text  # the allowed land uses are listed
    assert "row 3, column 'lcm_code': '3.5' is not a whole number" in text
    assert "row 4, column 'eligible': 2 is not 0 or 1" in text
    assert "row 5, column 'land_use': an eligible class needs a land use" in text
    assert "row 6, column 'lcm_code': code 4 appears more than once" in text


def test_class_table_land_uses_come_from_the_sequestration_table(tmp_path, rates):
    path = tmp_path / "classes.csv"
    path.write_text("lcm_code,name,eligible,land_use,source\n5,Meadow,1,hedgerow,x\n")
    assert read_land_classes(path, sequestration=rates)["land_use"].tolist() == ["hedgerow"]
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("land_use,seq_tco2e_per_ha_yr,cost_gbp_per_ha,buffer_share,"
                      "lifetime_years,note,source\nwoodland_creation,1,1,0,50,,x\n")
    with pytest.raises(SourceFormatError, match=r"land use 'hedgerow' is unknown.*"
                                                r"\['none', 'woodland_creation'\]"):
        read_land_classes(path, sequestration=narrow)


def test_sequestration_buffer_above_one_is_refused(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES.replace("0.5,30,,test", "1.5,30,,test"))
    with pytest.raises(SourceFormatError, match=r"row 3, column 'buffer_share': 1.5 is above 1"):
        read_sequestration(path)


def test_sequestration_dataframe_with_bad_buffer_is_refused(hand):
    rates = read_sequestration().assign(buffer_share=[0.2, 1.2, 0.2])
    with pytest.raises(SourceFormatError, match="buffer_share must be between 0 and 1"):
        land_parcels_from_raster(hand, sequestration=rates)


def test_class_dataframe_without_columns_is_refused(hand):
    with pytest.raises(SourceFormatError, match=r"columns \['eligible', 'land_use'\] are missing"):
        land_parcels_from_raster(hand, classes=pd.DataFrame({"lcm_code": [3], "name": ["A"]}))


# --- parcels: blocks ----------------------------------------------------------------------


def test_blocks_give_hand_computed_parcels(hand, rates):
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05)
    assert list(frame.columns) == [*LAND.columns, "land_use", "lcm_code", "eligible_cells",
                                   "seq_gross_tco2e_per_yr", "buffer_share", "district_id"]
    assert frame.crs == "EPSG:27700"
    assert frame["parcel_id"].tolist() == [
        "land-450000-210000-3", "land-450050-210000-4", "land-450000-209950-8"]
    assert frame["land_class"].tolist() == ["Arable", "Improved grassland", "Fen"]
    assert frame["land_use"].tolist() == ["woodland_creation", "woodland_creation",
                                          "peat_restoration"]
    assert frame["eligible_cells"].tolist() == [25, 15, 20]
    assert frame["area_ha"].tolist() == pytest.approx([0.25, 0.15, 0.20])
    # rate x ha x (1 - buffer): 10 x 0.25 x 0.8, 10 x 0.15 x 0.8, 4 x 0.2 x 0.5
    assert frame["seq_tco2e_per_yr"].tolist() == pytest.approx([2.0, 1.2, 0.4])
    assert frame["seq_gross_tco2e_per_yr"].tolist() == pytest.approx([2.5, 1.5, 0.8])
    assert frame["cost_gbp"].tolist() == pytest.approx([250.0, 150.0, 100.0])
    expected = [cells_box(0, 0, 5, 5), cells_box(0, 5, 3, 10), cells_box(5, 0, 9, 5)]
    assert all(shapely.equals(frame.geometry.values, expected))
    assert frame["zone_id"].isna().all()


def test_blocks_report_counts_cells_nodata_and_small_parcels(hand, rates):
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05)
    report = frame.attrs["report"]
    assert report.cells_by_code == {1: 10, 3: 28, 4: 15, 8: 20, 20: 22}
    assert report.nodata_cells == 5
    assert report.eligible_ha == pytest.approx(0.63)
    assert report.available_ha == pytest.approx(0.63)
    assert report.excluded_ha == {}
    assert report.parcels == 3
    assert report.parcel_ha == pytest.approx(0.60)
    # the 3 arable cells of the SE block make a 0.03 ha parcel, under min_area_ha
    assert report.small_parcels_dropped == 1
    assert report.small_ha_dropped == pytest.approx(0.03)
    assert report.to_dict()["method"] == "blocks"


def test_min_area_zero_keeps_the_small_block(hand, rates):
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50, min_area_ha=0)
    assert "land-450050-209950-3" in frame["parcel_id"].tolist()
    assert frame["area_ha"].sum() == pytest.approx(0.63)


def test_one_parcel_per_eligible_class_in_a_block(tmp_path, rates):
    array = np.full((10, 10), 3, dtype=np.uint8)
    array[:, 7:] = 8
    frame = land_parcels_from_raster(write_raster(tmp_path / "two.tif", array),
                                     sequestration=rates, block_size_m=100, min_area_ha=0)
    assert frame["parcel_id"].tolist() == ["land-450000-210000-3", "land-450000-210000-8"]
    assert frame["eligible_cells"].tolist() == [70, 30]


def test_default_tables_price_parcels_from_the_sequestration_table(hand):
    frame = land_parcels_from_raster(hand, block_size_m=50, min_area_ha=0.05)
    table = read_sequestration().set_index("land_use")
    rate = table.loc[frame["land_use"]]
    expected = rate["seq_tco2e_per_ha_yr"].to_numpy() * frame["area_ha"].to_numpy()
    assert frame["seq_gross_tco2e_per_yr"].to_numpy() == pytest.approx(expected)
    net = expected * (1 - rate["buffer_share"].to_numpy())
    assert frame["seq_tco2e_per_yr"].to_numpy() == pytest.approx(net)
    cost = rate["cost_gbp_per_ha"].to_numpy() * frame["area_ha"].to_numpy()
    assert frame["cost_gbp"].to_numpy() == pytest.approx(cost)


def test_custom_class_table_can_use_hedgerow(hand, rates):
    classes = pd.DataFrame({"lcm_code": [1, 3, 4, 8, 20], "name": ["W", "A", "G", "F", "U"],
                            "eligible": [1, 0, 0, 0, 0],
                            "land_use": ["hedgerow", "none", "none", "none", "none"]})
    frame = land_parcels_from_raster(hand, classes=classes, sequestration=rates,
                                     block_size_m=50, min_area_ha=0)
    assert frame["parcel_id"].tolist() == ["land-450050-210000-1"]
    assert frame["seq_tco2e_per_yr"].item() == pytest.approx(30 * 0.10 * 0.9)
    assert frame["cost_gbp"].item() == pytest.approx(20000 * 0.10)


# --- parcels: patches ---------------------------------------------------------------------


def test_patches_are_4_connected_regions_of_one_class(tmp_path, rates):
    array = np.full((6, 6), 20, dtype=np.uint8)
    array[0:2, 0:3] = 3          # 6 cells
    array[2:4, 0] = 3            # joined below: an L of 8 cells
    array[4, 1] = 3              # touches the L only at a corner: its own patch
    array[0, 5] = 4              # grassland: its top row starts right of its left edge,
    array[1:3, 4:6] = 4          # so its first cell is (0, 5), not (0, 4): 5 cells
    array[5, 3:6] = 3            # 3 cells, separate from the L
    frame = land_parcels_from_raster(write_raster(tmp_path / "p.tif", array), method="patches",
                                     sequestration=rates, min_area_ha=0)
    assert frame["parcel_id"].tolist() == ["land-450000-210000-3", "land-450050-210000-4",
                                           "land-450010-209960-3", "land-450030-209950-3"]
    assert frame["eligible_cells"].tolist() == [8, 5, 1, 3]
    ell = shapely.union_all([cells_box(0, 0, 2, 3), cells_box(2, 0, 4, 1)])
    assert frame.geometry.values[0].equals(ell)
    assert frame["seq_tco2e_per_yr"].tolist() == pytest.approx(
        [10 * 0.08 * 0.8, 10 * 0.05 * 0.8, 10 * 0.01 * 0.8, 10 * 0.03 * 0.8])


def test_patches_below_min_area_are_dropped(tmp_path, rates):
    array = np.full((6, 6), 20, dtype=np.uint8)
    array[0:2, 0:3] = 3
    array[5, 3:6] = 3
    frame = land_parcels_from_raster(write_raster(tmp_path / "p.tif", array), method="patches",
                                     sequestration=rates, min_area_ha=0.05)
    assert frame["eligible_cells"].tolist() == [6]
    assert frame.attrs["report"].small_parcels_dropped == 1


@pytest.mark.parametrize(("method", "windows"), [("blocks", 6), ("patches", 7)])
def test_windowed_reading_equals_a_single_window(tmp_path, rates, method, windows):
    path = write_raster(tmp_path / "big.tif", blocky(7))
    sites = gpd.GeoDataFrame(geometry=[shapely.box(450130, 209570, 450333, 209810),
                                       shapely.Point(450420, 209700).buffer(70)], crs=27700)
    options = {"method": method, "block_size_m": 60, "min_area_ha": 0.02,
               "sequestration": rates, "exclusions": {"sites": sites}}
    whole = land_parcels_from_raster(path, window_size=1000, **options)
    tiled = land_parcels_from_raster(path, window_size=windows, **options)
    assert whole.attrs["report"].windows == 1
    assert tiled.attrs["report"].windows > 50
    assert len(whole) > 30
    columns = [c for c in whole.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(whole[columns]), pd.DataFrame(tiled[columns]))
    assert shapely.equals(whole.geometry.values, tiled.geometry.values).all()
    one, many = whole.attrs["report"].to_dict(), tiled.attrs["report"].to_dict()
    one.pop("windows"), many.pop("windows")
    assert one == many


def test_output_is_deterministic(tmp_path, rates):
    path = write_raster(tmp_path / "big.tif", blocky(3))
    first = land_parcels_from_raster(path, method="patches", sequestration=rates,
                                     min_area_ha=0.02, window_size=16)
    second = land_parcels_from_raster(path, method="patches", sequestration=rates,
                                      min_area_ha=0.02, window_size=16)
    assert_geodataframe_equal(first, second, check_less_precise=False)
    assert first["parcel_id"].is_unique
    for a, b in zip(first.geometry.values, second.geometry.values, strict=True):
        assert a.equals_exact(b, tolerance=0)


# --- exclusions ---------------------------------------------------------------------------


def test_exclusions_remove_known_cells_and_are_reported(tmp_path, hand, rates):
    sites = gpd.GeoDataFrame(geometry=[cells_box(0, 0, 2, 5)], crs=27700)  # 10 arable cells
    # 10 fen cells, given in longitude/latitude and in a file: reprojected to the raster CRS
    flood = gpd.GeoDataFrame(geometry=[shapely.box(449990, 209930, 450052, 209952)], crs=27700)
    flood.to_crs(4326).to_file(tmp_path / "flood.gpkg", layer="zone3")
    frame = land_parcels_from_raster(
        hand, sequestration=rates, block_size_m=50, min_area_ha=0.05,
        exclusions=[("protected_sites", sites), Exclusion("flood_zone_3", tmp_path / "flood.gpkg",
                                                          layer="zone3")])
    assert frame["eligible_cells"].tolist() == [15, 15, 10]
    assert frame.geometry.values[0].equals(cells_box(2, 0, 5, 5))
    report = frame.attrs["report"]
    assert report.excluded_ha == pytest.approx({"protected_sites": 0.10, "flood_zone_3": 0.10})
    assert report.excluded_total_ha == pytest.approx(0.20)
    assert report.available_ha == pytest.approx(0.43)


def test_overlapping_exclusions_count_in_each_layer_and_once_in_total(hand, rates):
    first = gpd.GeoDataFrame(geometry=[cells_box(0, 0, 2, 5)], crs=27700)
    second = gpd.GeoDataFrame(geometry=[cells_box(1, 0, 3, 5)], crs=27700)
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50,
                                     min_area_ha=0, exclusions={"a": first, "b": second})
    report = frame.attrs["report"]
    assert report.excluded_ha == pytest.approx({"a": 0.10, "b": 0.10})
    assert report.excluded_total_ha == pytest.approx(0.15)
    assert frame.loc[frame["parcel_id"] == "land-450000-210000-3", "eligible_cells"].item() == 10


def test_no_exclusions_given_as_none(hand, rates):
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05, exclusions=None)
    assert frame.attrs["report"].excluded_total_ha == 0
    assert frame["eligible_cells"].tolist() == [25, 15, 20]


def test_exclusion_without_crs_names_the_layer(hand):
    bare = gpd.GeoDataFrame(geometry=[cells_box(0, 0, 2, 2)])
    with pytest.raises(MissingCRSError, match="exclusion layer 'bmv' has no coordinate"):
        land_parcels_from_raster(hand, block_size_m=50, exclusions={"bmv": bare})


def test_exclusion_of_points_is_refused(hand):
    points = gpd.GeoDataFrame(geometry=[shapely.Point(450010, 209990)], crs=27700)
    with pytest.raises(SourceFormatError,
                       match=r"'trees' has 1 features that are not polygons \(Point\)"):
        land_parcels_from_raster(hand, block_size_m=50, exclusions={"trees": points})


def test_exclusion_labels_must_differ(hand):
    layer = gpd.GeoDataFrame(geometry=[cells_box(0, 0, 2, 2)], crs=27700)
    with pytest.raises(ScenarioError, match="exclusion label 'x' is used twice"):
        land_parcels_from_raster(hand, block_size_m=50, exclusions=[("x", layer), ("x", layer)])


def test_missing_exclusion_file_is_named(tmp_path, hand):
    with pytest.raises(SourceNotFoundError, match=r"sssi\.gpkg: no such file"):
        land_parcels_from_raster(hand, block_size_m=50, exclusions={"s": tmp_path / "sssi.gpkg"})


# --- zones --------------------------------------------------------------------------------


def zones_frame(crs=27700):
    west = shapely.box(449000, 209960, 450060, 211000)   # holds NW and 1 of 5 NE columns
    east = shapely.box(450060, 209960, 451000, 211000)   # 4 of 5 NE columns
    return gpd.GeoDataFrame({"zone_id": ["E01000002", "E01000001"],
                             "zone_name": ["West", "East"],
                             "district_id": ["E07000179", "E07000180"],
                             "district_name": ["South Oxfordshire", "Vale of White Horse"]},
                            geometry=[west, east], crs=27700).to_crs(crs)


def test_zones_by_largest_overlap_and_none_outside(hand, rates):
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05, zones=zones_frame(crs=4326))
    assert frame["zone_id"].tolist()[:2] == ["E01000002", "E01000001"]
    assert frame["district_id"].tolist()[:2] == ["E07000179", "E07000180"]
    assert pd.isna(frame["zone_id"].iloc[2])  # the fen block lies south of both zones
    assert pd.isna(frame["district_id"].iloc[2])


def test_zones_from_a_file(tmp_path, hand, rates):
    zones_frame().rename(columns={"zone_id": "LSOA21CD", "zone_name": "LSOA21NM",
                                  "district_id": "LAD22CD", "district_name": "LAD22NM"}
                         ).to_file(tmp_path / "lsoa.gpkg")
    frame = land_parcels_from_raster(hand, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05, zones=tmp_path / "lsoa.gpkg")
    assert frame["zone_id"].tolist()[:2] == ["E01000002", "E01000001"]


def test_zones_without_zone_id_are_refused(hand):
    zones = zones_frame().rename(columns={"zone_id": "code"})
    with pytest.raises(LayerSchemaError, match="no zone_id column"):
        land_parcels_from_raster(hand, block_size_m=50, zones=zones)


# --- rasters ------------------------------------------------------------------------------


def test_other_projected_crs_is_read_and_output_in_bng(tmp_path, rates):
    utm = from_origin(620000, 5730000, 10, 10)
    path = write_raster(tmp_path / "utm.tif", HAND, crs="EPSG:32630", transform=utm)
    frame = land_parcels_from_raster(path, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05)
    assert frame.crs == "EPSG:27700"
    assert frame["parcel_id"].tolist()[0] == "land-620000-5730000-3"
    assert frame["area_ha"].tolist() == pytest.approx([0.25, 0.15, 0.20])


def test_multiband_raster_reads_band_1_and_says_so(tmp_path, rates, caplog):
    probability = np.full_like(HAND, 90)
    path = write_raster(tmp_path / "lcm.tif", np.stack([HAND, probability]))
    with caplog.at_level(logging.WARNING, logger="geoplan.sources.raster"):
        frame = land_parcels_from_raster(path, sequestration=rates, block_size_m=50,
                                         min_area_ha=0.05)
    assert "lcm.tif: the file has 2 bands" in caplog.text
    assert "reading band 1" in caplog.text
    assert frame.attrs["report"].band == 1
    assert "reading band 1" in frame.attrs["report"].warnings[0]
    assert len(frame) == 3


def test_band_option_reads_another_band(tmp_path, rates):
    path = write_raster(tmp_path / "lcm.tif", np.stack([np.full_like(HAND, 20), HAND]))
    frame = land_parcels_from_raster(path, band=2, sequestration=rates, block_size_m=50,
                                     min_area_ha=0.05)
    assert frame.attrs["report"].band == 2
    assert frame.attrs["report"].warnings == ()
    assert frame["eligible_cells"].tolist() == [25, 15, 20]


def test_missing_band_lists_the_bands(tmp_path):
    path = write_raster(tmp_path / "lcm.tif", np.stack([HAND, HAND]))
    with pytest.raises(SourceFormatError, match=r"lcm.tif: band 3 was asked for but the file "
                                                r"has 2 band\(s\).*pass band= between 1 and 2"):
        land_parcels_from_raster(path, band=3)


def test_codes_missing_from_the_class_table_are_listed_with_counts(tmp_path):
    array = HAND.copy()
    array[6, 6:9] = 42
    array[7, 6] = 99
    path = write_raster(tmp_path / "odd.tif", array)
    with pytest.raises(SourceFormatError, match=r"odd.tif: band 1 holds codes missing from the "
                                                r"class table \(42: 3 cells, 99: 1 cells\).*"
                                                r"add them to the class table"):
        land_parcels_from_raster(path, block_size_m=50)


def test_zero_without_nodata_is_an_unknown_code(tmp_path):
    path = write_raster(tmp_path / "nonodata.tif", HAND, nodata=None)
    with pytest.raises(SourceFormatError, match=r"\(0: 5 cells\).*gdal_edit.py -a_nodata 0"):
        land_parcels_from_raster(path, block_size_m=50)


def test_missing_raster(tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"nothere\.tif: no such file"):
        land_parcels_from_raster(tmp_path / "nothere.tif")


def test_file_that_is_not_a_raster(tmp_path):
    path = tmp_path / "notes.tif"
    path.write_text("lcm_code,name\n3,Arable\n")
    with pytest.raises(SourceFormatError, match=r"notes\.tif: cannot be read as a raster"):
        land_parcels_from_raster(path)


def test_raster_without_crs(tmp_path):
    path = write_raster(tmp_path / "nocrs.tif", HAND, crs=None)
    with pytest.raises(MissingCRSError, match=r"nocrs.tif: the raster has no coordinate "
                                              r"reference system.*gdal_edit.py -a_srs EPSG:27700"):
        land_parcels_from_raster(path)


def test_raster_in_a_geographic_crs(tmp_path):
    path = write_raster(tmp_path / "wgs84.tif", HAND, crs="EPSG:4326",
                        transform=from_origin(-1.3, 51.8, 0.0001, 0.0001))
    with pytest.raises(CRSError, match=r"wgs84.tif: .*geographic.*projected CRS.*"
                                       r"gdalwarp -t_srs EPSG:27700"):
        land_parcels_from_raster(path)


def test_raster_in_feet(tmp_path):
    path = write_raster(tmp_path / "feet.tif", HAND, crs="EPSG:2227",
                        transform=from_origin(6000000, 2000000, 30, 30))
    with pytest.raises(CRSError, match=r"feet\.tif: .* is in US survey foot, not metres"):
        land_parcels_from_raster(path)


def test_rotated_raster(tmp_path):
    rotated = Affine(10, 1, WEST, 0, -10, NORTH)
    path = write_raster(tmp_path / "rot.tif", HAND, transform=rotated)
    with pytest.raises(SourceFormatError, match=r"rot\.tif: the grid is rotated or not north-up"):
        land_parcels_from_raster(path)


# --- options ------------------------------------------------------------------------------


def test_unknown_method_lists_the_allowed_ones(hand):
    with pytest.raises(ScenarioError, match=r"method='hexagons' is not one of "
                                            r"\['blocks', 'patches'\]"):
        land_parcels_from_raster(hand, method="hexagons")


def test_block_size_must_be_whole_cells(hand):
    with pytest.raises(ScenarioError, match=r"hand.tif: block_size_m=55 is not a whole number "
                                            r"of 10 m cells \(fix: use e.g. 50 or 60\)"):
        land_parcels_from_raster(hand, block_size_m=55)


def test_blocks_need_square_cells(tmp_path):
    path = write_raster(tmp_path / "oblong.tif", HAND, transform=from_origin(WEST, NORTH, 10, 20))
    with pytest.raises(ScenarioError, match="cells are 10 x 20 m; blocks need square cells"):
        land_parcels_from_raster(path, block_size_m=100)


@pytest.mark.parametrize(("option", "message"), [
    ({"block_size_m": 0}, "block_size_m=0 must be positive"),
    ({"min_area_ha": -1}, "min_area_ha=-1 must be 0 or more"),
    ({"window_size": 0}, "window_size=0 must be a whole number of cells"),
])
def test_bad_options(hand, option, message):
    with pytest.raises(ScenarioError, match=message):
        land_parcels_from_raster(hand, **option)


def test_each_parcel_gets_the_zone_it_overlaps_most() -> None:
    from shapely.geometry import box

    zones = gpd.GeoDataFrame({"zone_id": ["Z1", "Z2"], "district_id": ["D1", "D2"]},
                             geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    parcels = gpd.GeoDataFrame(geometry=[
        box(1, 1, 3, 3),      # inside Z1 alone
        box(8, 1, 14, 3),     # 2 in Z1, 4 in Z2: Z2
        box(18, 1, 24, 3),    # in Z2 alone, partly outside every zone
        box(30, 30, 31, 31),  # outside every zone
        box(20, 4, 22, 6),    # touches Z2's edge only: shares no area
    ], crs=27700)
    out = assign_zones(parcels, zones)
    assert out["zone_id"].tolist()[:3] == ["Z1", "Z2", "Z2"]
    assert out["zone_id"].iloc[3:].isna().all()
    assert out["district_id"].tolist()[:3] == ["D1", "D2", "D2"]


def test_coordinate_texts_write_each_value_to_the_centimetre() -> None:
    values = np.array([450000.0, 209999.996, 450000.0, 123.456, 0.1 + 0.2, 450000.0])
    assert coordinate_texts(values) == ["450000", "210000", "450000", "123.46", "0.3", "450000"]
    assert coordinate_texts(np.empty(0)) == []
    # signed zero written as before, one value at a time (np.unique alone merges them)
    assert coordinate_texts(np.array([0.0, -0.0, 0.004, -0.004])) == ["0", "-0", "0", "-0"]
