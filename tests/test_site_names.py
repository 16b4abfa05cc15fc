"""Candidate sites are named for people: own name, else the nearest named road, else the id."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from geoplan.layers.site_names import NAME_SOURCES, named_roads, site_names
from geoplan.scenario.workstreams import ChargerSettings
from geoplan.workstreams.chargers import site_labels

CRS = "EPSG:27700"


def _roads() -> gpd.GeoDataFrame:
    # High Street along y = 0; Mill Lane along x = 200; an unnamed A-road (numbered) along
    # y = 500; a line with neither name nor number along y = 1000.
    return gpd.GeoDataFrame(
        {"name_1": ["High Street", "Mill Lane", "", None],
         "road_classification_number": ["", None, "A4130", ""]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(200, -500), (200, 500)]),
                  LineString([(0, 500), (1000, 500)]), LineString([(0, 1000), (1000, 1000)])],
        crs=CRS)


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["car_park:way/11", "car_park:way/22", "car_park:node/33",
                     "supermarket:row4", "car_park:way/55"],
         "kind": ["car_park", "car_park", "car_park", "supermarket", "car_park"],
         "name": ["Town Hall Car Park", None, "  ", None, None],
         "source_id": ["way/11", "way/22", "node/33", None, "way/55"]},
        geometry=[
            Point(10, 10),              # named itself (High Street at 10 m ignored)
            box(150, 30, 180, 60),      # High Street 30 m, Mill Lane 20 m -> Mill Lane
            Point(600, 460),            # A4130 at 40 m, High Street 460 m -> the number
            Point(900, 880),            # nothing named within 100 m (the blank line at 120)
            Point(600, 750)],           # 250 m from anything named -> its id
        crs=CRS)


def test_named_roads_take_the_name_else_the_number_and_skip_blank_lines() -> None:
    roads = named_roads(_roads())
    assert roads["road_name"].tolist() == ["High Street", "Mill Lane", "A4130"]


def test_sites_are_named_by_own_name_then_nearest_road_then_id() -> None:
    named = site_names(_sites(), named_roads(_roads()), max_distance_m=100)
    assert named["site_name"].tolist() == [
        "Town Hall Car Park", "car park off Mill Lane", "car park off A4130",
        "supermarket supermarket:row4", "car park 55"]
    assert named["site_name_from"].tolist() == [
        NAME_SOURCES[0], NAME_SOURCES[1], NAME_SOURCES[1], NAME_SOURCES[2], NAME_SOURCES[2]]
    assert named["site_id"].tolist() == _sites()["site_id"].tolist()  # ids unchanged


def test_the_distance_limit_decides_and_none_disables_roads() -> None:
    sites, roads = _sites(), named_roads(_roads())
    near = site_names(sites, roads, max_distance_m=19.9)  # Mill Lane is 20 m away
    assert near["site_name"].iloc[1] == "car park 22"
    far = site_names(sites, roads, max_distance_m=300)  # High Street is 250 m from site 5
    assert far["site_name"].iloc[4] == "car park off A4130"
    off = site_names(sites, roads, max_distance_m=None)
    assert off["site_name"].iloc[1] == "car park 22"
    no_roads = site_names(sites)
    assert no_roads["site_name"].iloc[2] == "car park 33"


def test_equidistant_roads_go_to_the_first_in_the_layer() -> None:
    roads = gpd.GeoDataFrame({"name": ["B Road", "A Road"]},
                             geometry=[LineString([(0, 10), (100, 10)]),
                                       LineString([(0, -10), (100, -10)])], crs=CRS)
    site = gpd.GeoDataFrame({"site_id": ["car_park:1"], "kind": ["car_park"]},
                            geometry=[Point(50, 0)], crs=CRS)
    assert site_names(site, named_roads(roads))["site_name"].tolist() == ["car park off B Road"]


def test_candidate_labels_use_the_site_name() -> None:
    named = site_names(_sites(), named_roads(_roads()), max_distance_m=100)
    assert site_labels(named).tolist() == named["site_name"].tolist()
    plain = _sites()  # without site_name: own name, else the id
    assert site_labels(plain).tolist()[:2] == ["Town Hall Car Park", "car_park:way/22"]


def test_the_scenario_key_defaults_to_100_m_and_refuses_negatives() -> None:
    assert ChargerSettings().site_name_road_m == 100.0
    assert ChargerSettings(site_name_road_m=None).site_name_road_m is None
    with pytest.raises(ValueError, match="site_name_road_m"):
        ChargerSettings(site_name_road_m=-1)


def test_candidate_popups_show_the_site_name_and_its_id() -> None:
    from geoplan.outputs.map_layers import PopupContext, candidate_layer

    plan = gpd.GeoDataFrame(
        {"candidate_id": ["chargers:car_park:way/22:7kw:1", "chargers:S9:7kw:1"],
         "rank": [1, 2], "selected": [True, False],
         "label": ["Chargers: car park off <Mill> Lane (1 x 7 kW)", "Chargers: S9"],
         "site_id": ["car_park:way/22", "S9"], "source_id": ["way/22", None]},
        geometry=[Point(150, 30), Point(600, 750)], crs=CRS)
    group, _ = candidate_layer("chargers", plan, stroke="#000", grid=PopupContext(),
                               simplify_m=0, raw=False)
    (layer,) = group._children.values()
    labels = json.loads("[" + layer.on_each_feature.js_code[len("geoplanBind("):-1] + "]")[0]
    popups = {f["properties"]["p"][0]: {labels[k]: v for k, v in f["properties"]["p"][1]}
              for f in layer.data["features"]}
    named = popups["Chargers: car park off &lt;Mill&gt; Lane (1 x 7 kW)"]
    assert named["Site id"] == "way/22"
    assert popups["Chargers: S9"]["Site id"] == "S9"  # no OSM id: the site id
