"""A scenario setting which substation serves a zone (grid.serving_overrides).

Hand-made squares and points with distances worked out by hand; then the scenario key on the
sample county through ``geoplan validate`` (a wrong zone or substation stops it, exit 2).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from geoplan.cli import cli
from geoplan.errors import ScenarioError
from geoplan.layers.serving import serve, serving_notes
from geoplan.pipeline import layer_inputs
from geoplan.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
CRS = "EPSG:27700"


def _zones() -> gpd.GeoDataFrame:
    """Three 1 km squares side by side: a (0-1 km), b (1-2 km), c (2-3 km) along x."""
    return gpd.GeoDataFrame({"zone_id": ["a", "b", "c"]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000),
                                      box(2000, 0, 3000, 1000)], crs=CRS)


def _substations() -> gpd.GeoDataFrame:
    """p1 at the middle of zone a; p2 9.5 km east of the origin; a gsp with no role."""
    return gpd.GeoDataFrame({"substation_id": ["p1", "p2", "g1"], "name": ["One", "Two", "G"],
                             "level": ["primary", "primary", "gsp"]},
                            geometry=[Point(500, 500), Point(9500, 500), Point(0, 0)], crs=CRS)


def _layers() -> dict[str, dict[str, gpd.GeoDataFrame]]:
    homes = gpd.GeoDataFrame({"building_id": ["h1", "h2", "h3"], "zone_id": ["a", "b", "c"]},
                             geometry=[Point(100, 100), Point(1500, 500), Point(2500, 500)],
                             crs=CRS)
    # s3 lies on the border of b and c: the smaller zone_id (b) holds it
    sites = gpd.GeoDataFrame({"site_id": ["s1", "s2", "s3"]},
                             geometry=[Point(1200, 300), Point(2800, 300), Point(2000, 300)],
                             crs=CRS)
    # l3 lies mostly in c but its zone_id says b: a parcel follows its zone_id, as homes do
    land = gpd.GeoDataFrame({"parcel_id": ["l1", "l2", "l3"], "zone_id": ["b", "c", "b"]},
                            geometry=[box(1100, 100, 1300, 300), box(2100, 100, 2300, 300),
                                      box(1900, 100, 2900, 300)], crs=CRS)
    return {"buildings": {"buildings": homes}, "sites": {"sites": sites},
            "land": {"land": land}}


def test_an_override_moves_the_zone_and_everything_in_it() -> None:
    served, report = serve(_zones(), _substations(), _layers(), "primary", None, 5.0,
                           {"b": "p2"})
    zones = served["zones"].set_index("zone_id")
    # every zone is nearest to p1 (a 0 km, b 1 km, c 2 km away); b is set to p2
    assert zones["substation_id"].to_dict() == {"a": "p1", "b": "p2", "c": "p1"}
    # b's representative point is (1500, 500) for a square: 8 km from p2 at (9500, 500)
    assert zones.loc["b", "serving_distance_km"] == pytest.approx(8.0)
    assert zones.loc["c", "serving_distance_km"] == pytest.approx(2.0)
    # the choice replaces the automatic flags (b is beyond 5 km, but the user said so)
    assert zones["serving_flag"].to_dict() == {"a": "ok", "b": "set_by_scenario", "c": "ok"}
    # homes by their zone; the site and the parcel inside b by where they lie
    homes = served["buildings"].set_index("building_id")["substation_id"].to_dict()
    assert homes == {"h1": "p1", "h2": "p2", "h3": "p1"}
    assert served["sites"].set_index("site_id")["substation_id"].to_dict() == {
        "s1": "p2", "s2": "p1", "s3": "p2"}
    assert served["land"].set_index("parcel_id")["substation_id"].to_dict() == {
        "l1": "p2", "l2": "p1", "l3": "p2"}
    assert report["zones_set_by_scenario"] == 1
    [note] = serving_notes(served["zones"], 5.0, "primary")  # no "beyond 5 km" note
    assert "sets the substation of 1 of 3 zones" in note
    assert "(grid.serving_overrides: b: p2; furthest 8.0 km away)" in note


def test_without_overrides_nothing_moves() -> None:
    plain, report = serve(_zones(), _substations(), _layers(), "primary", None, 5.0)
    empty, _ = serve(_zones(), _substations(), _layers(), "primary", None, 5.0, {})
    for kind in ("zones", "buildings", "sites", "land"):
        pd.testing.assert_frame_equal(plain[kind], empty[kind])
    assert set(plain["sites"]["substation_id"]) == {"p1"}
    assert report["zones_set_by_scenario"] == 0
    assert not (plain["zones"]["serving_flag"].str.contains("set_by_scenario")).any()


def test_unknown_zones_and_substations_are_all_named() -> None:
    with pytest.raises(ScenarioError) as raised:
        serve(_zones(), _substations(), _layers(), "primary", None, 5.0,
              {"x9": "p1", "a": "g1", "c": "nowhere"})
    text = str(raised.value)
    assert "3 problems" in text
    assert "names zone 'x9', which is not in the zones layer" in text
    # g1 exists, but as a gsp: not a substation of the serving level
    assert "sets zone 'a' to substation 'g1': it is a gsp substation, and grid.level is " \
           "primary" in text
    assert "sets zone 'c' to substation 'nowhere': no located substation has that id" in text
    assert "fix: give the substation_id of a primary substation" in text


def test_a_near_miss_is_named() -> None:
    with pytest.raises(ScenarioError) as raised:
        serve(_zones(), _substations(), _layers(), "primary", None, 5.0, {"A": " P2"})
    text = str(raised.value)
    assert "names zone 'A', which is not in the zones layer (did you mean 'a'?)" in text
    assert "no located substation has that id (did you mean 'p2'?)" in text


def test_with_licence_areas_a_set_zone_is_not_called_another_dnos() -> None:
    # licence areas: x = 0-1.8 km is DNO A's (p1), beyond it DNO B's (p2)
    subs = _substations().assign(dno=["A", "B", "A"])
    licence = gpd.GeoDataFrame({"dno": ["A", "B"]},
                               geometry=[box(0, 0, 1800, 1000), box(1800, 0, 12000, 1000)],
                               crs=CRS)
    plain, _ = serve(_zones(), subs, {}, "primary", licence, 5.0)
    zones = plain["zones"].set_index("zone_id")
    assert zones["substation_id"].to_dict() == {"a": "p1", "b": "p1", "c": "p2"}
    assert zones.loc["c", "serving_flag"] == "beyond_max_distance"  # 7 km to p2, within B
    # c set to A's p1: no "other_dno" (whose note would ask for a grid file B already has)
    served, _ = serve(_zones(), subs, {}, "primary", licence, 5.0, {"c": "p1"})
    zones = served["zones"].set_index("zone_id")
    assert zones["substation_id"].to_dict() == {"a": "p1", "b": "p1", "c": "p1"}
    assert zones["serving_flag"].to_dict() == {"a": "ok", "b": "ok", "c": "set_by_scenario"}
    assert zones["serving_distance_km"].to_dict() == pytest.approx({"a": 0.0, "b": 1.0,
                                                                    "c": 2.0})
    assert zones.loc["c", "licence_dno"] == "B"
    [note] = serving_notes(served["zones"], 5.0, "primary")
    assert "(grid.serving_overrides: c: p1; furthest 2.0 km away)" in note


def test_the_serving_check_leaves_a_chosen_distance_out() -> None:
    from geoplan.layers.serving_check import serving_load

    served, _ = serve(_zones(), _substations(), {}, "primary", None, 5.0, {"b": "p2"})
    subs = _substations().assign(firm_capacity_mva=10.0, peak_demand_mva=5.0)
    load = serving_load(served["zones"], subs, pd.Series(dtype=float), "primary")
    far = load.set_index("substation_id")["furthest_zone_km"]
    assert far.loc["p1"] == pytest.approx(2.0)  # c, 2 km from p1
    assert pd.isna(far.loc["p2"])  # b's 8 km was the scenario's choice


def test_the_scenario_key_reaches_the_layers_and_a_bad_one_stops_validate(
        cache: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(f"extends: {SCENARIOS / 'joint.yaml'}\n"
                    "grid:\n  serving_overrides: {E01900001: primary-YARNTON}\n",
                    encoding="utf-8")
    assert layer_inputs(load_scenario(good)).serving_overrides == {
        "E01900001": "primary-YARNTON"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SCENARIOS / 'joint.yaml'}\n"
                   "grid:\n  serving_overrides: {E01900001: primary-NOWHERE}\n",
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert "substation 'primary-NOWHERE': no located substation has that id" in result.output
    assert "cannot be read" not in result.output  # the files are fine; the key is not
