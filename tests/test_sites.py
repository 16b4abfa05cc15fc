"""Tests for candidate charger sites (geoplan.layers.sites)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan.assumptions import read_assumptions
from geoplan.errors import LayerSchemaError, MissingCRSError, SourceFormatError
from geoplan.layers.sites import EXTRA_COLUMNS, SITE_KINDS, sites_from_layer
from geoplan.schemas import SITES, validate_layer
from tests.conftest import real_file

BNG = "EPSG:27700"

# A small table with round numbers, so every result below is computed by hand.
TABLE = pd.DataFrame({
    "kind": ["car_park", "supermarket"],
    "max_chargers": [20.0, 3.0],
    "enabling_cost_gbp": [1000.0, 5000.0],
    "cost_per_charger_gbp": [100.0, 2000.0],
    "charger_kw": [7.0, 50.0],
    "aliases": ["parking; Car Park", "shop"],
    "m2_per_space": [25.0, np.nan],
    "default_spaces": [np.nan, np.nan],
    "spaces_per_charger": [10.0, np.nan],
    "source": ["test", "test"],
})


def car_parks() -> gpd.GeoDataFrame:
    """OSM-style car parks as GDAL's OSM driver writes them (osm_id, osm_way_id, other)."""
    rows = [
        # osm_id, osm_way_id, name, other tags, geometry
        (None, "101", "Town Hall", {"access": "yes"}, box(0, 0, 20, 25)),    # 500 m2: 20 spaces
        (None, "102", None, None, box(100, 0, 110, 10)),                     # 100 m2: too small
        ("7", None, "Station", {"capacity": "45"}, Point(300, 0)),          # 45 spaces, tagged
        ("8", None, None, {"amenity": "parking"}, Point(400, 0)),           # size unknown
        (None, "103", "Staff", {"access": "private"}, box(500, 0, 600, 100)),  # not public
        (None, "101", "Town Hall", {"access": "yes"}, box(0, 0, 20, 25)),    # repeated id
        (None, "104", "Retail park", None, box(700, 0, 800, 100)),           # 400 spaces: cap
        (None, "105", None, {"capacity": "~50"}, box(900, 0, 930, 50)),      # unreadable: area
        (None, "106", None, None, None),                                     # no geometry
    ]
    frame = pd.DataFrame(rows, columns=["osm_id", "osm_way_id", "name", "other", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=BNG)


@pytest.fixture
def sites() -> gpd.GeoDataFrame:
    return sites_from_layer(car_parks(), kind="car_park", table=TABLE)


def test_car_parks_become_sites_with_hand_computed_capacity_and_cost(sites) -> None:
    assert list(sites.columns) == [*SITES.columns, *EXTRA_COLUMNS]
    validate_layer(sites, SITES)
    by_id = sites.set_index("site_id")
    assert list(by_id.index) == ["car_park:way/101", "car_park:node/7", "car_park:way/104",
                                 "car_park:way/105"]
    assert by_id["spaces"].tolist() == [20.0, 45.0, 400.0, 60.0]
    assert by_id["spaces_from"].tolist() == ["area", "tag", "area", "area"]
    assert by_id["max_chargers"].tolist() == [2, 4, 20, 6]
    assert by_id["cost_gbp"].tolist() == [1200.0, 1400.0, 3000.0, 1600.0]
    assert by_id["area_m2"].iloc[0] == 500.0
    assert np.isnan(by_id["area_m2"].iloc[1])
    assert by_id["name"].tolist()[:2] == ["Town Hall", "Station"]
    assert by_id["source_id"].tolist()[0] == "way/101"
    assert by_id["charger_kw"].unique().tolist() == [7.0]
    assert sites.geometry.iloc[0].equals(box(0, 0, 20, 25))  # polygons stay polygons
    assert sites.crs.to_epsg() == 27700


def test_left_out_features_are_counted_by_reason(sites) -> None:
    assert sites.attrs["report"] == {
        "features": 9, "kept": 4,
        "left_out": {"no geometry": 1, "repeated source id": 1, "not public (access tag)": 1,
                     "size unknown": 1, "too small for one charger": 1}}
    assert any("left out 1 features: not public" in w for w in sites.attrs["warnings"])


def test_access_filter_can_be_switched_off() -> None:
    sites = sites_from_layer(car_parks(), kind="car_park", table=TABLE, exclude_access=())
    assert "car_park:way/103" in set(sites["site_id"])


def test_kinds_per_feature_match_aliases_ignoring_case() -> None:
    layer = gpd.GeoDataFrame({"type": ["Car Park", "SHOP"]},
                             geometry=[box(0, 0, 20, 25), Point(5, 5)], crs=BNG)
    sites = sites_from_layer(layer, kind_column="type", table=TABLE)
    assert sites["kind"].tolist() == ["car_park", "supermarket"]
    assert sites["site_id"].tolist() == ["car_park:row1", "supermarket:row2"]
    assert sites["max_chargers"].tolist() == [2, 3]  # a supermarket takes the kind's cap
    assert sites["cost_gbp"].tolist() == [1200.0, 11000.0]


def test_unknown_kinds_are_refused_listing_the_known_ones() -> None:
    layer = gpd.GeoDataFrame({"type": ["car park", "petrol station", None]},
                             geometry=[Point(0, 0), Point(1, 1), Point(2, 2)], crs=BNG)
    with pytest.raises(LayerSchemaError, match=r"2 features \(feature numbers \[2, 3\]\) have "
                       r"unknown or blank kinds \['petrol station'\]; the site_kinds table has "
                       r"\['car_park', 'supermarket'\]"):
        sites_from_layer(layer, kind_column="type", table=TABLE)
    with pytest.raises(LayerSchemaError, match=r"unknown site kind 'garage'; the site_kinds "
                                               r"table has \['car_park', 'supermarket'\]"):
        sites_from_layer(layer, kind="garage", table=TABLE)
    with pytest.raises(LayerSchemaError, match="give exactly one of kind= and kind_column="):
        sites_from_layer(layer, table=TABLE)
    with pytest.raises(LayerSchemaError, match=r"kind_column='kind' is not a column; columns: "
                                               r"\['type'\]"):
        sites_from_layer(layer, kind_column="kind", table=TABLE)


def test_id_column_and_capacity_column_are_used_when_named() -> None:
    layer = gpd.GeoDataFrame({"ref": ["CP-1", "CP-2"], "spaces": ["30", ""]},
                             geometry=[Point(0, 0), box(0, 0, 10, 50)], crs=BNG)
    sites = sites_from_layer(layer, kind="parking", table=TABLE, id_column="ref",
                             capacity_column="spaces")
    assert sites["site_id"].tolist() == ["car_park:CP-1", "car_park:CP-2"]
    assert sites["max_chargers"].tolist() == [3, 2]
    with pytest.raises(LayerSchemaError, match="id_column='osm' is not a column"):
        sites_from_layer(layer, kind="car_park", table=TABLE, id_column="osm")


@pytest.mark.parametrize("tags", [
    '"amenity"=>"parking","capacity"=>"30","access"=>"customers"',  # GDAL other_tags
    '{"capacity": "30", "access": "customers"}',                    # JSON text
])
def test_nested_tags_are_read_from_text(tags: str) -> None:
    layer = gpd.GeoDataFrame({"other_tags": [tags]}, geometry=[Point(0, 0)], crs=BNG)
    sites = sites_from_layer(layer, kind="car_park", table=TABLE)
    assert sites["spaces"].tolist() == [30.0]


def test_layer_in_lon_lat_is_projected_and_areas_are_in_square_metres() -> None:
    layer = gpd.GeoDataFrame(geometry=[box(-1.2600, 51.7500, -1.2590, 51.7505)],
                             crs="EPSG:4326")
    sites = sites_from_layer(layer, kind="car_park", table=TABLE)
    assert 3500 < sites["area_m2"].iloc[0] < 3900  # about 69 m x 56 m
    assert sites.crs.to_epsg() == 27700


def test_layer_without_crs_is_refused_unless_declared() -> None:
    layer = gpd.GeoDataFrame(geometry=[box(0, 0, 20, 25)])
    with pytest.raises(MissingCRSError, match="sites layer: the file declares no coordinate"):
        sites_from_layer(layer, kind="car_park", table=TABLE)
    assert len(sites_from_layer(layer, kind="car_park", table=TABLE, crs=BNG)) == 1


def test_files_are_read_and_a_table_without_geometry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "parks.geojson"
    parks = car_parks()  # moved from the grid's origin (off Scilly, at sea) to Oxford
    parks.geometry = parks.geometry.translate(450_000, 206_000)
    parks.to_crs("EPSG:4326").assign(other=lambda f: f["other"].map(json.dumps)) \
        .to_file(path, driver="GeoJSON")
    assert len(sites_from_layer(path, kind="car_park", table=TABLE)) == 4
    table = tmp_path / "parks.csv"
    table.write_text("name,capacity\nA,10\n")
    with pytest.raises(SourceFormatError, match=r"parks\.csv: has no geometry column"):
        sites_from_layer(table, kind="car_park", table=TABLE)
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "A"}, "geometry": None}]}))
    with pytest.raises(SourceFormatError, match=r"empty\.geojson: none of the 1 features has "
                                                r"a geometry"):
        sites_from_layer(empty, kind="car_park", table=TABLE)


def test_default_table_covers_every_kind_with_a_source() -> None:
    table = read_assumptions(SITE_KINDS)
    assert table["kind"].tolist() == ["car_park", "supermarket", "warehouse", "on_street", "hub"]
    assert table["source"].str.len().min() > 100
    assert (table["cost_per_charger_gbp"] > 0).all()
    car_park = table.set_index("kind").loc["car_park"]
    assert car_park["m2_per_space"] > 0
    assert car_park["spaces_per_charger"] >= 1


@pytest.mark.real_data
def test_real_osm_car_parks(real_data: Path) -> None:
    path = real_file(real_data, "candidate_sites/oxon_osm_parking_2022.geojson")
    sites = sites_from_layer(path, kind="car_park")
    validate_layer(sites, SITES)
    assert sites.attrs["report"] == {
        "features": 3451, "kept": 1561,
        "left_out": {"repeated source id": 4, "not public (access tag)": 1185,
                     "size unknown": 182, "too small for one charger": 519}}
    assert sites["spaces_from"].value_counts().to_dict() == {"area": 1446, "tag": 115}
    assert sites.geometry.geom_type.value_counts().to_dict() == {"MultiPolygon": 1550,
                                                                 "Point": 11}
    assert int(sites["max_chargers"].sum()) == 8675
    assert sites.loc[sites["site_id"] == "car_park:way/4320253", "name"].item() == \
        "Bicester North car park"


@pytest.mark.real_data
@pytest.mark.parametrize(("name", "kind", "count"),
                         [("oxon_osm_supermarket_2022.geojson", "supermarket", 141),
                          ("oxon_osm_warehouse_2022.geojson", "warehouse", 54)])
def test_real_supermarkets_and_warehouses(real_data: Path, name: str, kind: str,
                                          count: int) -> None:
    sites = sites_from_layer(real_file(real_data, f"candidate_sites/{name}"), kind=kind)
    assert len(sites) == count
    assert sites["site_id"].is_unique
    assert set(sites["kind"]) == {kind}
