"""The plausibility check of which substation serves each zone (geoplan.layers.serving_check).

Small frames built here with ratios computed by hand; one check on the real NGED file that
the Banbury case (its zones served by the small Bloxham primary) is flagged.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geoplan.assumptions import read_assumptions
from geoplan.errors import LayerSchemaError
from geoplan.layers.prepare import MAX_SERVING_DISTANCE_KM
from geoplan.layers.serving_check import (
    LOAD_COLUMNS,
    SERVING_CHECKS,
    ServingLimits,
    check_serving,
    serving_columns,
    serving_limits,
    serving_load,
    serving_plausibility,
    zone_households,
)
from geoplan.scenario.models import GridSection
from tests.conftest import real_file

# a floor of exactly 0.5 kVA per household: ADMD 0.5 kW at power factor 1
LIMITS = ServingLimits(admd_kw_per_household=0.5, power_factor=1.0, max_distance_km=10.0)


def _zones() -> pd.DataFrame:
    """Six zones: p1 (town on a small primary), p2 (plausible), p3 (far), p4 (firm only)."""
    return pd.DataFrame({
        "zone_id": ["a", "b", "c", "d", "e", "f"],
        "zone_name": ["Town 1", "Town 2", "Village", "Hamlet", "Farm", "Estate"],
        "substation_id": ["p1", "p1", "p2", "p3", "p3", "p4"],
        "serving_distance_km": [4.0, 6.0, 2.0, 3.0, 12.5, 1.0]})


def _substations() -> pd.DataFrame:
    return pd.DataFrame({
        "substation_id": ["g1", "p1", "p2", "p3", "p4", "p5"],
        "name": ["Grid", "Little", "Big", "Remote", "Firm only", "Unused"],
        "level": ["gsp", "primary", "primary", "primary", "primary", "primary"],
        "firm_capacity_mva": [200.0, 9.0, 20.0, math.nan, 0.3, 10.0],
        "peak_demand_mva": [150.0, 0.12, 3.0, math.nan, math.nan, 5.0]})


HOUSEHOLDS = pd.Series({"a": 700.0, "b": 500.0, "c": 1000.0, "d": 80.0, "e": 20.0,
                        "f": 1000.0})


def test_load_per_substation_is_the_hand_computed_ratio() -> None:
    load = serving_load(_zones(), _substations(), HOUSEHOLDS, "primary").set_index(
        "substation_id")
    assert list(load.reset_index().columns) == list(LOAD_COLUMNS)
    assert sorted(load.index) == ["p1", "p2", "p3", "p4"]  # serving ones of the level only
    # p1: measured peak 0.12 MVA = 120 kVA over 700 + 500 households = 0.1 kVA each
    assert load.loc["p1", "households_served"] == 1200.0
    assert load.loc["p1", "capacity_basis"] == "peak_demand_mva"
    assert load.loc["p1", "kva_per_household"] == pytest.approx(0.1)
    assert load.loc["p1", "furthest_zone_km"] == 6.0
    assert load.loc["p1", "zone_names"] == "Town 1, Town 2"
    # p2: 3 MVA over 1,000 = 3 kVA; p4: no peak, so firm 0.3 MVA over 1,000 = 0.3 kVA
    assert load.loc["p2", "kva_per_household"] == pytest.approx(3.0)
    assert load.loc["p4", "capacity_basis"] == "firm_capacity_mva"
    assert load.loc["p4", "kva_per_household"] == pytest.approx(0.3)
    # p3: headroom only (no figure): no ratio, still its distance
    assert load.loc["p3", "capacity_basis"] == ""
    assert math.isnan(load.loc["p3", "kva_per_household"])
    assert load.loc["p3", "furthest_zone_km"] == 12.5
    # lowest ratio first
    assert list(load.index[:3]) == ["p1", "p4", "p2"]


def test_one_warning_names_the_implausible_and_far_substations_only() -> None:
    load = serving_load(_zones(), _substations(), HOUSEHOLDS, "primary")
    notes, report = serving_plausibility(load, LIMITS, "primary")
    assert len(notes) == 1
    note = notes[0]
    assert note.startswith("serving: plausibility: 3 of 4 primary substations")
    assert "Little (p1) serves 2 zones (Town 1, Town 2) with 1,200 households on 0.12 MVA " \
           "of measured peak: 0.10 kVA per household" in note
    assert "Firm only (p4) serves 1 zones (Estate) with 1,000 households on 0.3 MVA of firm " \
           "capacity: 0.30 kVA per household" in note
    assert "Remote (p3), furthest of its 2 zones 12.5 km" in note
    assert "(p2)" not in note
    assert "Big" not in note
    assert "floor 0.50 kVA per household" in note
    assert "1 substations were checked for distance only" in note
    assert "Fix: add the grid file that lists" in note  # no DNO column: none named
    with_dno = _substations().assign(dno=["A", "A", "A", "B", "C", "A"])
    load = serving_load(_zones(), with_dno, HOUSEHOLDS, "primary")
    assert "Fix: add the grid file of A or B or C that" in serving_plausibility(
        load, LIMITS, "primary")[0][0]
    assert report["implausible_households"] == ["p1", "p4"]
    assert report["beyond_max_distance"] == ["p3"]
    assert report["substations_checked"] == 3
    assert report["substations_without_capacity"] == 1


def test_plausible_substations_give_no_warning() -> None:
    zones = _zones()[lambda z: z["substation_id"] == "p2"]
    load = serving_load(zones, _substations(), HOUSEHOLDS, "primary")
    notes, report = serving_plausibility(load, LIMITS, "primary")
    assert notes == ()
    assert report["implausible_households"] == []
    assert report["beyond_max_distance"] == []
    # the floor is a strict one: 3 kVA per household against a 3 kVA floor passes
    at_floor = ServingLimits(admd_kw_per_household=3.0, power_factor=1.0, max_distance_km=2.0)
    assert serving_plausibility(load, at_floor, "primary")[0] == ()


def test_the_floor_is_the_admd_over_the_power_factor() -> None:
    limits = ServingLimits(admd_kw_per_household=0.95, power_factor=0.95, max_distance_km=10.0)
    assert limits.floor_kva == pytest.approx(1.0)
    load = serving_load(_zones(), _substations(), HOUSEHOLDS, "primary")
    # p2 (3 kVA) passes, p4 (0.3) and p1 (0.1) fail at 1 kVA
    assert serving_plausibility(load, limits, "primary")[1]["implausible_households"] == [
        "p1", "p4"]


def test_the_substations_layer_gains_the_ratio_columns() -> None:
    subs = _substations()
    load = serving_load(_zones(), subs, HOUSEHOLDS, "primary")
    out = serving_columns(subs, load).set_index("substation_id")
    assert out.loc["p1", "households_served"] == 1200.0
    assert out.loc["p1", "kva_per_household"] == pytest.approx(0.1)
    assert math.isnan(out.loc["g1", "households_served"])  # not of the serving level
    assert math.isnan(out.loc["p5", "households_served"])  # serves no zone
    assert list(out.columns[:4]) == list(subs.columns[1:])  # the layer's own columns kept
    assert out["capacity_basis"].to_dict() == {
        "g1": "", "p1": "peak_demand_mva", "p2": "peak_demand_mva", "p3": "",
        "p4": "firm_capacity_mva", "p5": ""}
    # a peak of 0 is no peak: the ratio is on the firm capacity
    zero = subs.assign(peak_demand_mva=subs["peak_demand_mva"].where(
        subs["substation_id"] != "p2", 0.0))
    again = serving_columns(zero, serving_load(_zones(), zero, HOUSEHOLDS, "primary"))
    p2 = again.set_index("substation_id").loc["p2"]
    assert p2["capacity_basis"] == "firm_capacity_mva"
    assert p2["kva_per_household"] == pytest.approx(20.0)  # 20 MVA / 1000 households


def test_households_come_from_ev_demand_else_the_homes_of_buildings() -> None:
    ev = pd.DataFrame({"zone_id": ["a", "b"], "households": [10, 20]})
    homes = pd.DataFrame({"zone_id": ["a", "b"], "homes": [1, 2]})
    both = {"ev_demand": {"ev_demand": ev}, "buildings": {"zone_buildings": homes}}
    counts, what = zone_households(both) or (None, "")
    assert what == "households"
    assert counts is not None
    assert counts.to_dict() == {"a": 10.0, "b": 20.0}
    counts, what = zone_households({"buildings": {"zone_buildings": homes}}) or (None, "")
    assert what == "homes"
    assert counts is not None
    assert counts.to_dict() == {"a": 1.0, "b": 2.0}
    assert zone_households({}) is None


def test_without_households_nothing_is_checked() -> None:
    subs = _substations()
    out, notes, report = check_serving(_zones(), subs, {}, "primary", 1.0, 10.0)
    assert out is subs
    assert notes == ()
    assert report["checked"] is False


def test_check_serving_warns_once_with_the_shipped_floor() -> None:
    layers = {"ev_demand": {"ev_demand": pd.DataFrame(
        {"zone_id": list(HOUSEHOLDS.index), "households": list(HOUSEHOLDS)})}}
    out, notes, report = check_serving(_zones(), _substations(), layers, "primary", 0.95, 10.0)
    floor = float(read_assumptions(SERVING_CHECKS).set_index("item").loc[
        "admd_kw_per_household", "value"]) / 0.95
    assert report["floor_kva_per_household"] == pytest.approx(floor)
    expected = [sid for sid, ratio in (("p1", 0.1), ("p4", 0.3)) if ratio < floor]
    assert report["implausible_households"] == expected == ["p1", "p4"]
    assert len(notes) == 1
    assert "kva_per_household" in out.columns


def test_serving_limits_needs_its_row() -> None:
    table = pd.DataFrame({"item": ["max_serving_distance_km"], "value": [10.0], "unit": ["km"],
                          "source": ["x"]})
    with pytest.raises(LayerSchemaError, match="admd_kw_per_household"):
        serving_limits(table, 0.95, 10.0)


def test_the_distance_row_is_the_default_of_the_scenario_key() -> None:
    rows = read_assumptions(SERVING_CHECKS).set_index("item")
    row = float(rows.loc["max_serving_distance_km", "value"])
    assert row == MAX_SERVING_DISTANCE_KM == GridSection().max_serving_distance_km
    low, high = (float(rows.loc["max_serving_distance_km", f"value_{end}"])
                 for end in ("low", "high"))
    assert low <= row <= high


def test_real_banbury_zones_on_bloxham_are_flagged(real_data: Path) -> None:
    # NGED's capacity map lists no Banbury primary, so the nearest, Bloxham (1.85 MVA of
    # measured peak), serves the town's zones: far too small for their households
    from geoplan.layers.apportion import AreaInput, apportion_file
    from geoplan.layers.dno import licence_dno, read_licence_areas
    from geoplan.layers.read import read_layers
    from geoplan.layers.supply import assign_zones

    zones = read_layers(real_file(real_data, "boundaries/lsoa21"), "zones").layers["zones"]
    licence = read_licence_areas(real_file(real_data,
                                           "grid/oxon_dno_licence_areas_by_lad.geojson"))
    zones = zones[(licence_dno(zones.geometry.representative_point(), licence)
                   == "NGED").to_numpy()].reset_index(drop=True)
    substations = read_layers(real_file(real_data, "grid/nged-capacity-map-2023-02-28.csv"),
                              "substations").layers["substations"]
    table = assign_zones(gpd.GeoDataFrame(zones[["zone_id"]], geometry=zones.geometry),
                         substations).set_index("zone_id")
    served = zones.assign(substation_id=zones["zone_id"].map(table["substation_id"]),
                          serving_distance_km=zones["zone_id"].map(table["distance_m"] / 1000))
    households = apportion_file(AreaInput(
        real_file(real_data, "census/oxon_msoa21_households_census2021.csv"),
        areas=real_file(real_data, "boundaries/msoa21"), weight="area"), zones,
        what="households").values.iloc[:, 0]
    load = serving_load(served, substations, households, "primary").set_index("substation_id")
    notes, report = serving_plausibility(load.reset_index(), serving_limits(None, 0.95, 10.0),
                                         "primary")
    bloxham = load.loc["314836"]
    assert bloxham["name"].startswith("Bloxham")
    assert bloxham["zones"] >= 30
    assert bloxham["households_served"] > 15_000
    assert bloxham["kva_per_household"] == pytest.approx(
        bloxham["capacity_mva"] * 1000 / bloxham["households_served"])
    assert bloxham["kva_per_household"] < 0.1
    assert "314836" in report["implausible_households"]  # type: ignore[operator]
    assert len(notes) == 1
    assert "Bloxham" in notes[0]
    assert "Cherwell" in notes[0]


def test_the_map_popup_gives_the_ratio_where_there_is_one() -> None:
    from shapely.geometry import Point

    from geoplan.outputs.map_layers import PopupContext, substation_layer

    subs = gpd.GeoDataFrame(
        {"substation_id": ["p1", "p2", "p3", "p4"], "name": ["Little", "Big", "Firm", "Zero"],
         "level": ["primary"] * 4, "firm_capacity_mva": [9.0, 20.0, 0.3, 0.5],
         "peak_demand_mva": [1.85, 3.0, math.nan, 0.0],
         "households_served": [24_252.0, 1000.0, 1000.0, 1000.0],
         "kva_per_household": [1850 / 24_252, math.nan, 0.3, 0.5],
         "capacity_basis": ["peak_demand_mva", "", "firm_capacity_mva", "firm_capacity_mva"]},
        geometry=[Point(450_000, 200_000), Point(452_000, 201_000), Point(453_000, 202_000),
                  Point(454_000, 203_000)],
        crs=27700)
    group = substation_layer(subs, PopupContext(), amber_below_mva=5.0, raw=False)
    (layer,) = group._children.values()
    values = {f["properties"]["p"][0]: [v for _, v in f["properties"]["p"][1]]
              for f in layer.data["features"]}
    assert "0.08 kVA of peak (24,252 households)" in values["Little"]
    assert "0.30 kVA of firm capacity (1,000 households)" in values["Firm"]
    # the popup names the basis the check used (a peak of 0 is no peak: firm capacity)
    assert "0.50 kVA of firm capacity (1,000 households)" in values["Zero"]
    assert not [v for v in values["Big"] if "households" in v]  # no capacity ratio, no row
