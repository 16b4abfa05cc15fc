"""Existing public chargers: placed in zones, counted, summarised, drawn; demand they serve.

Fixture (as tests/test_workstream_chargers.py): zones A (district D1, "One") and B (D2,
"Two"), 1 km squares side by side. Demand: zone A's 10 EVs split 5.4545 (flat a1 at
(100, 500)) and 4.5455 (terrace a2 at (700, 500)); zone B's 10 EVs at b1 (1500, 500).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan.layers.existing_chargers import EXISTING_COLUMNS, charger_counts, place_chargers
from geoplan.outputs.map import map_html, plan_map
from geoplan.outputs.map_layers import EXISTING_STYLE, PopupContext, existing_charger_layer
from geoplan.outputs.run import existing_summary
from geoplan.workstreams.charger_demand import charger_demand
from geoplan.workstreams.chargers import ChargerSettings

CRS = "EPSG:27700"
XSS = "<img src=x onerror=alert(1)>"


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": ["A", "B"], "zone_name": ["Zone A", "Zone B"],
                             "district_id": ["D1", "D2"], "district_name": ["One", "Two"]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=CRS)


def _chargers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"device_id": ["in-a", "edge", "in-b", "far", "lost"],
         "kw": [3.6, 7.0, 50.0, 7.0, 7.0],
         "connectors": pd.array([1, 2, 3, 1, 1], dtype="Int64"),
         "name": [XSS, "Edge", None, "Far away", "No place"],
         "operator": ["Council", None, "BP Pulse", "X", "Y"]},
        geometry=[Point(1100, 500), Point(1000, 200), Point(1800, 900), Point(9000, 9000),
                  None], crs=CRS)


def test_chargers_are_placed_in_zones_and_counted_per_zone_and_district() -> None:
    placed = place_chargers(_chargers(), _zones())
    assert list(placed.columns) == list(EXISTING_COLUMNS)
    # "edge" lies on the A/B boundary: the first zone (A) takes it; "far" and "lost" are out
    assert placed["device_id"].tolist() == ["in-a", "edge", "in-b"]
    assert placed["zone_id"].tolist() == ["B", "A", "B"]
    assert placed["district_name"].tolist() == ["Two", "One", "Two"]
    assert placed["connector_types"].isna().all()  # absent from the input: None
    assert placed.attrs["outside_zones"] == 2
    per_zone = charger_counts(placed, "zone_id", pd.Series(["A", "B", "C"]))
    assert per_zone.to_dict("index") == {
        "A": {"existing_chargers": 1, "existing_connectors": 2},
        "B": {"existing_chargers": 2, "existing_connectors": 4},
        "C": {"existing_chargers": 0, "existing_connectors": 0}}


def test_summary_counts_and_the_demand_existing_chargers_already_serve() -> None:
    homes = gpd.GeoDataFrame({"building_id": ["a1", "a2", "b1"], "zone_id": ["A", "A", "B"],
                              "property_type": ["Flat", "House", "House"],
                              "built_form": ["Mid-Terrace", "Mid-Terrace", "End-Terrace"]},
                             geometry=[Point(100, 500), Point(700, 500), Point(1500, 500)],
                             crs=CRS)
    ev = pd.DataFrame({"zone_id": ["A", "B"], "households": [100.0, 200.0],
                       "households_no_offstreet": [50.0, 50.0], "evs_2030": [20.0, 40.0],
                       "evs_projected": [20.0, 40.0]})
    settings = ChargerSettings(charger_kw=(7,), site_sizes=(1,), use_roads=False,
                               demand_cell_m=None, walk_distance_m=410.0)
    placed = place_chargers(_chargers()[_chargers()["device_id"] == "in-a"], _zones())
    demand = charger_demand(ev, _zones(), settings, buildings=homes, chargers=placed)
    summary = existing_summary(placed, _zones(), {"D1": "One", "D2": "Two"}, demand)
    # hand computation: the 3.6 kW device (in zone B) takes the 7 kW class, 10 EVs, shared
    # by a2 (4.5455, 400 m away) and b1 (10, 400 m) within 410 m in proportion to demand:
    # a2 gets 10 x 4.5455/14.5455 = 3.125 (district D1), b1 10 x 10/14.5455 = 6.875 (D2)
    rows = {row["district_id"]: row for row in summary["by_district"]}
    assert rows["D1"]["existing_chargers"] == 0
    assert rows["D2"]["existing_chargers"] == 1
    assert rows["D1"]["evs_already_served"] == pytest.approx(3.125)
    assert rows["D2"]["evs_already_served"] == pytest.approx(6.875)
    assert rows["D1"]["evs_left_for_new_sites"] == pytest.approx(10 - 3.125)
    assert rows["D2"]["evs_left_for_new_sites"] == pytest.approx(10 - 6.875)
    assert rows["D1"]["district_name"] == "One"
    assert summary["evs_already_served"] == pytest.approx(10.0)
    assert (summary["devices"], summary["connectors"], summary["outside_zones"]) == (1, 1, 0)
    assert summary["by_zone"] == [{"zone_id": "B", "zone_name": "Zone B",
                                   "district_id": "D2", "district_name": "Two",
                                   "existing_chargers": 1, "existing_connectors": 1}]
    # without the chargers nothing is served: the whole 20 EVs are left for new sites
    bare = charger_demand(ev, _zones(), settings, buildings=homes)
    assert bare.report["pre_covered"] == 0.0
    assert bare.report["demand"] == pytest.approx(20.0)


def _layer_features(group) -> tuple[list[dict], list]:
    (layer,) = group._children.values()
    args = re.fullmatch(r"geoplanBind\((.*)\)", layer.on_each_feature.js_code).group(1)
    labels, styles = json.loads(f"[{args}]")
    return layer.data["features"], [labels, styles]


def test_map_layer_draws_points_with_escaped_popups_and_a_legend_entry() -> None:
    placed = place_chargers(_chargers(), _zones())
    grid = PopupContext(zone_names={"A": "Zone A", "B": "Zone B"},
                        district_names={"D1": "One", "D2": "Two"})
    features, (labels, styles) = _layer_features(
        existing_charger_layer(placed, grid, raw=False))
    assert [f["geometry"]["type"] for f in features] == ["Point"] * 3
    assert styles == [dict(EXISTING_STYLE)]
    first = features[0]["properties"]
    assert first["p"][0] == "Existing charger: &lt;img src=x onerror=alert(1)&gt;"
    rows = {labels[k]: v for k, v in first["p"][1]}
    assert rows["Operator"] == "Council"
    assert rows["Connectors"] == "1"
    assert rows["Highest power"] == "3.6 kW"
    assert rows["Zone"] == "Zone B (B)"
    assert rows["District"] == "Two (D2)"
    assert features[2]["properties"]["p"][0] == "Existing charger: in-b"  # no name: the id
    html = map_html(plan_map({}, existing_chargers=placed, districts=_zones()))
    assert "<img" not in html
    assert "\\u003cimg" not in html
    assert "Existing public chargers" in html
    assert "existing public charger (3)" in html  # legend entry with the count


def test_static_map_draws_the_existing_chargers_with_a_legend_entry() -> None:
    from geoplan.outputs.static_map import static_map_figure

    placed = place_chargers(_chargers(), _zones())
    fig = static_map_figure({}, districts=_zones(), existing_chargers=placed)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "existing public charger (3)" in labels
    dots = [c for c in fig.axes[0].collections if len(c.get_offsets()) == 3]
    assert len(dots) == 1
    assert sorted(map(tuple, dots[0].get_offsets().tolist())) == [
        (1000.0, 200.0), (1100.0, 500.0), (1800.0, 900.0)]
    bare = static_map_figure({}, districts=_zones())
    assert not [t for legend in bare.legends for t in legend.get_texts()
                if "existing" in t.get_text()]
