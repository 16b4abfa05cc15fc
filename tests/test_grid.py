"""Tests for geoplan.layers.grid (graph, headroom lookup, name matching) and
geoplan.layers.supply."""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geoplan.errors import GeoplanError, LayerSchemaError, MissingCRSError
from geoplan.layers.grid import (
    ancestors_of,
    graph_from_substations,
    headroom_for,
    match_names,
    name_key,
    resolve_names,
)
from geoplan.layers.supply import assign_zones
from geoplan.schemas import CRS, SUBSTATIONS, ZONES, validate_layer
from tests.conftest import real_file

X0, Y0 = 450_000.0, 200_000.0  # south-west corner of the 3x3 grid, in Oxfordshire
CELL = 100.0


# --- fixtures built in code ------------------------------------------------------------------


def make_substations(rows: list[tuple], crs: str | None = CRS) -> gpd.GeoDataFrame:
    """Canonical substations layer from (id, name, level, parent, firm, peak, (x, y) | None)."""
    columns = [c for c in SUBSTATIONS.columns if c != "geometry"]
    frame = pd.DataFrame([r[:6] for r in rows], columns=columns)
    points = [Point(X0 + r[6][0], Y0 + r[6][1]) if r[6] else None for r in rows]
    return gpd.GeoDataFrame(frame, geometry=points, crs=crs)


FIVE = [
    # the GSP sits at the grid centre, so a level filter that leaks would pick it
    ("G1", "Cowley GSP", "gsp", None, 240.0, 180.0, (150, 150)),
    ("B1", "Cowley BSP", "bsp", "G1", 90.0, 60.0, None),
    ("P2", "P2 Town Primary", "primary", "B1", 20.0, 12.5, (250, 250)),
    ("P1", "St Ebbes & Osney", "primary", "B1", 23.0, 25.0, (50, 50)),
    ("S1", "Secondary One", "secondary", "P1", 0.5, 0.3, (150, 50)),
]


@pytest.fixture
def five() -> gpd.GeoDataFrame:
    layer = make_substations(FIVE)
    validate_layer(layer, SUBSTATIONS)
    return layer


@pytest.fixture
def grid_zones() -> gpd.GeoDataFrame:
    """3x3 square zones of 100 m; zone Z{row}{col}, row 0 at the south."""
    rows = [
        (f"Z{j}{i}", f"zone {j}{i}", "E07000178", "Oxford",
         box(X0 + i * CELL, Y0 + j * CELL, X0 + (i + 1) * CELL, Y0 + (j + 1) * CELL))
        for j in range(3) for i in range(3)
    ]
    frame = gpd.GeoDataFrame(rows, columns=[*list(ZONES.columns)[:-1], "geometry"],
                             geometry="geometry", crs=CRS)
    validate_layer(frame, ZONES)
    return frame.iloc[::-1]  # reversed on purpose: output must still be sorted by zone_id


# --- graph_from_substations ------------------------------------------------------------------


def test_graph_nodes_edges_and_attributes(five: gpd.GeoDataFrame) -> None:
    graph = graph_from_substations(five)
    assert sorted(graph.nodes) == ["B1", "G1", "P1", "P2", "S1"]
    assert sorted(graph.edges) == [("B1", "P1"), ("B1", "P2"), ("G1", "B1"), ("P1", "S1")]
    assert graph.graph["crs"] == CRS
    p1 = graph.nodes["P1"]
    assert p1 == {"name": "St Ebbes & Osney", "level": "primary", "firm_capacity_mva": 23.0,
                  "peak_demand_mva": 25.0, "x": X0 + 50, "y": Y0 + 50}
    assert graph.nodes["B1"]["x"] is None
    assert graph.nodes["B1"]["y"] is None
    assert nx.is_arborescence(graph)


def test_graph_ignores_the_row_index(five: gpd.GeoDataFrame) -> None:
    shuffled = five.iloc[[4, 2, 0, 3, 1]].set_axis([30, 10, 40, 0, 20])
    graph = graph_from_substations(shuffled)
    assert graph.nodes["P2"]["firm_capacity_mva"] == 20.0
    assert graph.nodes["S1"]["peak_demand_mva"] == 0.3
    assert (graph.nodes["S1"]["x"], graph.nodes["S1"]["y"]) == (X0 + 150, Y0 + 50)
    assert sorted(graph.edges) == [("B1", "P1"), ("B1", "P2"), ("G1", "B1"), ("P1", "S1")]


def test_graph_accepts_level_skips_and_blank_parents(five: gpd.GeoDataFrame) -> None:
    five.loc[five["substation_id"] == "P2", "parent_id"] = "G1"  # primary fed from the GSP
    five.loc[five["substation_id"] == "G1", "parent_id"] = "  "
    graph = graph_from_substations(five)
    assert list(graph.predecessors("P2")) == ["G1"]
    assert list(graph.predecessors("G1")) == []


def test_graph_unknown_parent(five: gpd.GeoDataFrame) -> None:
    five.loc[five["substation_id"] == "P2", "parent_id"] = "B9"
    with pytest.raises(LayerSchemaError, match=r"1 parent ids are not substations.*'P2 -> B9'"):
        graph_from_substations(five)


def test_graph_cycle_is_named(five: gpd.GeoDataFrame) -> None:
    five.loc[five["substation_id"] == "G1", "parent_id"] = "P1"
    with pytest.raises(LayerSchemaError, match=r"cycle .*: B1 -> P1 -> G1 -> B1"):
        graph_from_substations(five)


def test_graph_self_parent_is_a_cycle(five: gpd.GeoDataFrame) -> None:
    five.loc[five["substation_id"] == "G1", "parent_id"] = "G1"
    with pytest.raises(LayerSchemaError, match=r"cycle .*: G1 -> G1"):
        graph_from_substations(five)


def test_graph_child_not_below_parent(five: gpd.GeoDataFrame) -> None:
    five.loc[five["substation_id"] == "P2", "parent_id"] = "S1"
    with pytest.raises(LayerSchemaError,
                       match=r"not below their parent's level \(gsp > bsp > primary > second"
                             r"ary\): 'P2 \(primary\) under S1 \(secondary\)'"):
        graph_from_substations(five)


def test_graph_same_level_parent_is_rejected(five: gpd.GeoDataFrame) -> None:
    five.loc[five["substation_id"] == "P2", "parent_id"] = "P1"
    with pytest.raises(LayerSchemaError, match=r"'P2 \(primary\) under P1 \(primary\)'"):
        graph_from_substations(five)


def test_graph_duplicate_ids(five: gpd.GeoDataFrame) -> None:
    layer = pd.concat([five, five.iloc[[3]]], ignore_index=True)
    with pytest.raises(LayerSchemaError, match="ids 'P1' are used by more than one row"):
        graph_from_substations(layer)


def test_graph_lists_every_problem_at_once(five: gpd.GeoDataFrame) -> None:
    layer = pd.concat([five, five.iloc[[0]]], ignore_index=True)
    layer.loc[layer["substation_id"] == "P2", "parent_id"] = "NOPE"
    layer.loc[layer["substation_id"] == "S1", "level"] = "tertiary"
    layer.loc[layer["substation_id"] == "B1", "parent_id"] = "P1"
    with pytest.raises(LayerSchemaError) as caught:
        graph_from_substations(layer)
    text = str(caught.value)
    assert len(caught.value.problems) == 5, text
    for part in ("'G1' are used by more than one row", "'tertiary'", "'P2 -> NOPE'",
                 "'B1 (bsp) under P1 (primary)'", "B1 -> P1 -> B1"):
        assert part in text


def test_graph_rejects_geographic_coordinates(five: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerSchemaError, match="expected EPSG:27700"):
        graph_from_substations(five.to_crs("EPSG:4326"))


def test_graph_missing_columns(five: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerSchemaError, match=r"columns \['parent_id'\] are missing"):
        graph_from_substations(five.drop(columns="parent_id"))


# --- ancestors_of ----------------------------------------------------------------------------


def test_ancestors_parent_first(five: gpd.GeoDataFrame) -> None:
    graph = graph_from_substations(five)
    assert ancestors_of(graph, "S1") == ["P1", "B1", "G1"]
    assert ancestors_of(graph, "P2") == ["B1", "G1"]
    assert ancestors_of(graph, "G1") == []


def test_ancestors_unknown_id_suggests(five: gpd.GeoDataFrame) -> None:
    graph = graph_from_substations(five)
    with pytest.raises(LayerSchemaError, match="'P22' is not in the grid graph; did you mean 'P2'"):
        ancestors_of(graph, "P22")


def test_ancestors_refuse_a_cycle_in_a_hand_made_graph() -> None:
    graph = nx.DiGraph([("A", "B"), ("B", "C"), ("C", "A")])
    with pytest.raises(LayerSchemaError, match="graph_from_substations"):
        ancestors_of(graph, "C")


# --- headroom_for ----------------------------------------------------------------------------


@pytest.fixture
def headroom() -> pd.DataFrame:
    rows = [
        ("P1", "CT", 2025, "winter", 5.0),
        ("P1", "CT", 2032, "winter", 2.0),
        ("P1", "CT", 2035, "winter", -1.0),
        ("P1", "CT", 2032, "summer", 9.0),
        ("P1", "LW", 2032, "winter", 4.0),
        ("P2", "CT", 2034, "winter", 7.0),  # starts after 2033: left out then
        ("P2", "CT", None, "winter", 8.0),  # snapshot row, any year
        ("B1", "CT", None, "winter", 30.0),
        ("G1", "CT", 2040, "winter", 100.0),
    ]
    frame = pd.DataFrame(rows, columns=["substation_id", "scenario", "year", "season",
                                        "headroom_mva"])
    return frame.astype({"year": "Int64"})


def test_headroom_exact_year(headroom: pd.DataFrame) -> None:
    got = headroom_for(headroom, "CT", 2035)
    assert got.to_dict() == {"B1": 30.0, "P1": -1.0, "P2": 7.0}
    assert got.name == "headroom_mva"
    assert got.index.name == "substation_id"


def test_headroom_falls_back_to_latest_earlier_year(headroom: pd.DataFrame) -> None:
    got = headroom_for(headroom, "CT", 2033)
    # P1: 2033 absent -> 2032; P2: only 2034 dated -> snapshot row; G1 starts 2040 -> absent
    assert got.to_dict() == {"B1": 30.0, "P1": 2.0, "P2": 8.0}


def test_headroom_season_and_scenario_select_rows(headroom: pd.DataFrame) -> None:
    assert headroom_for(headroom, "CT", 2033, season="summer").to_dict() == {"P1": 9.0}
    assert headroom_for(headroom, "LW", 2050).to_dict() == {"P1": 4.0}


def test_headroom_snapshot_only_rows_count_for_any_year(headroom: pd.DataFrame) -> None:
    snapshot = headroom[headroom["year"].isna()]
    assert headroom_for(snapshot, "CT", 1990).to_dict() == {"B1": 30.0, "P2": 8.0}


def test_headroom_nothing_matches_lists_what_exists(headroom: pd.DataFrame) -> None:
    with pytest.raises(LayerSchemaError,
                       match=r"no headroom for scenario 'XX'.*scenarios \['CT', 'LW'\], "
                             r"seasons \['summer', 'winter'\].*2025.*without a year"):
        headroom_for(headroom, "XX", 2030)
    dated = headroom.dropna(subset=["year"])
    with pytest.raises(ValueError, match=r"in 2020 or earlier.*years \[2025, 2032, 2034, 2035"):
        headroom_for(dated, "CT", 2020)


def test_headroom_repeated_rows_are_refused(headroom: pd.DataFrame) -> None:
    doubled = pd.concat([headroom, headroom.iloc[[1]]], ignore_index=True)
    with pytest.raises(LayerSchemaError, match=r"several 'CT'/'winter' rows .* 'P1'"):
        headroom_for(doubled, "CT", 2033)


# --- match_names / resolve_names -------------------------------------------------------------


CANDIDATES = {"G1": "Cowley", "P1": "St Ebbes & Osney", "P2": "Headington",
              "P3": "Headington Primary", "P4": "North Hinksey"}


@pytest.mark.parametrize(
    ("spelling", "key"),
    [("Thenford 33/11kV S/Stn", "THENFORD"), ("Alford 33 11kv S Stn", "ALFORD"),
     ("Osney Sub Stn", "OSNEY"), ("Drax 132/33kV", "DRAX"), ("BLYTH 66kV", "BLYTH"),
     ("Station Road", "STATION ROAD"), ("Route 33", "ROUTE 33"), ("GSP", "GSP")],
)
def test_name_key_strips_level_voltage_and_station_words(spelling: str, key: str) -> None:
    assert name_key(spelling) == key


def test_match_exact_key() -> None:
    assert name_key("COWLEY GSP") == name_key("Cowley")
    got = match_names(["COWLEY GSP", "north hinksey 33kV", "Nowhere"], CANDIDATES)
    assert got == {"COWLEY GSP": "G1", "north hinksey 33kV": "P4", "Nowhere": None}


def test_match_ignoring_spaces_and_and() -> None:
    names = ["ST EBBES AND OSNEY", "StEbbes&Osney", "st. ebbes & osney primary", "NorthHinksey"]
    assert set(match_names(names, CANDIDATES).values()) == {"P1", "P4"}
    assert match_names(["NorthHinksey"], CANDIDATES) == {"NorthHinksey": "P4"}


def test_match_ambiguous_and_blank_give_none() -> None:
    assert match_names(["HEADINGTON", None, " "], CANDIDATES) == {
        "HEADINGTON": None, None: None, " ": None}


def test_match_accepts_a_layer(five: gpd.GeoDataFrame) -> None:
    assert match_names(["p2 town"], five) == {"p2 town": "P2"}
    assert match_names(["Cowley"], five) == {"Cowley": None}  # the GSP and the BSP


def test_resolve_names_lists_every_failure_with_suggestions() -> None:
    with pytest.raises(LayerSchemaError) as caught:
        resolve_names(["Cowly", "Headington", "Zzz", "Cowley"], CANDIDATES,
                      source="areas.gpkg", column="ps_name")
    text = str(caught.value)
    assert len(caught.value.problems) == 3
    assert "'Cowly' matches no substation; did you mean 'Cowley' (G1)?" in text
    assert "'Headington' matches several substations ['P2', 'P3']" in text
    assert "'Zzz' matches no substation (fix" in text
    assert "areas.gpkg" in text
    assert "column 'ps_name'" in text


def test_resolve_names_returns_ids() -> None:
    assert resolve_names(["cowley gsp", "ST EBBES AND OSNEY"], CANDIDATES) == {
        "cowley gsp": "G1", "ST EBBES AND OSNEY": "P1"}


# --- assign_zones ----------------------------------------------------------------------------


def test_assign_nearest_hand_computed(grid_zones: gpd.GeoDataFrame,
                                     five: gpd.GeoDataFrame) -> None:
    assert five["substation_id"].tolist().index("P2") < five["substation_id"].tolist().index("P1")
    got = assign_zones(grid_zones, five)  # P2's row comes first, yet ties go to P1
    assert list(got.columns) == ["zone_id", "substation_id", "method", "distance_m",
                                 "overlap_share"]
    assert got["zone_id"].tolist() == sorted(grid_zones["zone_id"])
    expected = {  # P1 at the centre of Z00, P2 at the centre of Z22; ties -> P1
        "Z00": ("P1", 0.0), "Z01": ("P1", 100.0), "Z02": ("P1", 200.0),
        "Z10": ("P1", 100.0), "Z11": ("P1", 100 * math.sqrt(2)), "Z12": ("P2", 100.0),
        "Z20": ("P1", 200.0), "Z21": ("P2", 100.0), "Z22": ("P2", 0.0),
    }
    for row in got.itertuples():
        assert (row.substation_id, pytest.approx(row.distance_m)) == expected[row.zone_id]
    assert set(got["method"]) == {"nearest"}
    assert got["overlap_share"].isna().all()


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]])
def test_assign_ties_go_to_smallest_id(order: list[int]) -> None:
    # four primaries at the corners of a square around the zone: all at the same distance
    corners = [("P4", (0, 0)), ("P3", (200, 0)), ("P2", (0, 200)), ("P1", (200, 200))]
    subs = make_substations([(i, i, "primary", None, 1.0, 1.0, xy) for i, xy in corners])
    zone = gpd.GeoDataFrame({"zone_id": ["Z"]}, geometry=[box(X0 + 50, Y0 + 50, X0 + 150,
                                                              Y0 + 150)], crs=CRS)
    got = assign_zones(zone, subs.iloc[order])
    assert got.loc[0, "substation_id"] == "P1"
    assert got.loc[0, "distance_m"] == pytest.approx(100 * math.sqrt(2))


def test_assign_other_level(grid_zones: gpd.GeoDataFrame, five: gpd.GeoDataFrame) -> None:
    got = assign_zones(grid_zones, five, level="gsp")
    assert set(got["substation_id"]) == {"G1"}
    assert got.set_index("zone_id").loc["Z11", "distance_m"] == 0.0


@pytest.fixture
def supply_areas() -> gpd.GeoDataFrame:
    """P1 serves x < 160 m, P2 serves x >= 160 m below y = 200 m; Z22 lies outside both."""
    return gpd.GeoDataFrame(
        {"ps": ["P1", "p2 town"]},  # one by id, one by name
        geometry=[box(X0, Y0, X0 + 160, Y0 + 300), box(X0 + 160, Y0, X0 + 300, Y0 + 200)],
        crs=CRS,
    )


def test_assign_supply_areas_hand_computed(
    grid_zones: gpd.GeoDataFrame, five: gpd.GeoDataFrame, supply_areas: gpd.GeoDataFrame,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="geoplan.layers.supply"):
        got = assign_zones(grid_zones, five, supply_areas=supply_areas,
                           supply_area_id_column="ps").set_index("zone_id")
    r5 = math.sqrt(100**2 + 200**2)
    expected = {  # substation, method, overlap share, distance to the substation point
        "Z00": ("P1", "supply_area", 1.0, 0.0), "Z01": ("P1", "supply_area", 0.6, 100.0),
        "Z02": ("P2", "supply_area", 1.0, 200.0), "Z10": ("P1", "supply_area", 1.0, 100.0),
        "Z11": ("P1", "supply_area", 0.6, 100 * math.sqrt(2)),
        "Z12": ("P2", "supply_area", 1.0, 100.0), "Z20": ("P1", "supply_area", 1.0, 200.0),
        "Z21": ("P1", "supply_area", 0.6, r5),
    }
    for zone, (sid, method, share, dist) in expected.items():
        row = got.loc[zone]
        assert (row["substation_id"], row["method"]) == (sid, method), zone
        assert row["overlap_share"] == pytest.approx(share), zone
        assert row["distance_m"] == pytest.approx(dist), zone
    outside = got.loc["Z22"]
    assert (outside["substation_id"], outside["method"]) == ("P2", "nearest")
    assert np.isnan(outside["overlap_share"])
    assert outside["distance_m"] == 0.0
    assert "1 of 9 zones lie outside every supply area" in caplog.text


def test_assign_supply_areas_split_polygons_add_up(
    grid_zones: gpd.GeoDataFrame, five: gpd.GeoDataFrame
) -> None:
    # Z01 is 45% P2 in one piece + 10% P2 in another (55%) vs 45% P1: P2 wins on the sum
    areas = gpd.GeoDataFrame(
        {"substation_id": ["P1", "P2", "P2"]},
        geometry=[box(X0 + 100, Y0, X0 + 145, Y0 + 100), box(X0 + 145, Y0, X0 + 190, Y0 + 100),
                  box(X0 + 190, Y0, X0 + 200, Y0 + 100)],
        crs=CRS,
    )
    got = assign_zones(grid_zones, five, supply_areas=areas).set_index("zone_id")
    assert got.loc["Z01", "substation_id"] == "P2"
    assert got.loc["Z01", "overlap_share"] == pytest.approx(0.55)
    assert (got.drop(index="Z01")["method"] == "nearest").all()


def test_assign_supply_area_unknown_name(grid_zones: gpd.GeoDataFrame, five: gpd.GeoDataFrame,
                                         supply_areas: gpd.GeoDataFrame) -> None:
    supply_areas.loc[1, "ps"] = "P2 Twon"
    with pytest.raises(LayerSchemaError,
                       match=r"'P2 Twon' matches no substation; did you mean 'P2 Town Primary'"):
        assign_zones(grid_zones, five, supply_areas=supply_areas, supply_area_id_column="ps")


def test_assign_needs_projected_crs(grid_zones: gpd.GeoDataFrame,
                                   five: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerSchemaError, match=r"zones.*CRS is EPSG:4326.*to_crs\('EPSG:27700'"):
        assign_zones(grid_zones.to_crs("EPSG:4326"), five)
    naive = five.set_crs(None, allow_override=True)
    with pytest.raises(MissingCRSError, match=r"substations.*no CRS.*set_crs\('EPSG:27700'\)"):
        assign_zones(grid_zones, naive)


def test_assign_lists_every_input_problem(grid_zones: gpd.GeoDataFrame,
                                          five: gpd.GeoDataFrame) -> None:
    zones = pd.concat([grid_zones, grid_zones.iloc[[0]]])
    with pytest.raises(LayerSchemaError) as caught:
        assign_zones(zones, five.drop(columns="name"), level="feeder",
                     supply_areas=five, supply_area_id_column="ps")
    text = str(caught.value)
    for part in ("'feeder' is not allowed", "columns ['name'] are missing",
                 "columns ['ps'] are missing", "zone ids 'Z22' repeat"):
        assert part in text


def test_assign_no_located_substation_of_level(grid_zones: gpd.GeoDataFrame,
                                               five: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerSchemaError, match=r"no bsp substation has a location; levels "
                                               r"with located substations: \['gsp', 'primary'"):
        assign_zones(grid_zones, five, level="bsp")


def test_errors_are_catchable_as_root_and_builtin(grid_zones: gpd.GeoDataFrame,
                                                  five: gpd.GeoDataFrame) -> None:
    with pytest.raises(GeoplanError):
        assign_zones(grid_zones, five, level="bsp")
    with pytest.raises(ValueError, match="bsp"):
        assign_zones(grid_zones, five, level="bsp")


coordinate = st.integers(0, 400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone_xy=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=25),
       site_xy=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=8))
def test_assign_nearest_equals_brute_force(zone_xy: list[tuple[int, int]],
                                           site_xy: list[tuple[int, int]]) -> None:
    zones = gpd.GeoDataFrame(
        {"zone_id": [f"Z{k:03d}" for k in range(len(zone_xy))]},
        geometry=[box(X0 + 10 * x - 3, Y0 + 10 * y - 3, X0 + 10 * x + 3, Y0 + 10 * y + 3)
                  for x, y in zone_xy],
        crs=CRS,
    )
    # ids in reverse of row order, so that a tie-break by row order would be caught
    ids = [f"S{k:02d}" for k in reversed(range(len(site_xy)))]
    subs = make_substations([(i, i, "primary", None, 1.0, 1.0, (10 * x, 10 * y))
                             for i, (x, y) in zip(ids, site_xy, strict=True)])
    got = assign_zones(zones, subs)
    origin = zones.representative_point()
    dx = origin.x.to_numpy()[:, None] - subs.geometry.x.to_numpy()[None, :]
    dy = origin.y.to_numpy()[:, None] - subs.geometry.y.to_numpy()[None, :]
    dist = np.sqrt(dx**2 + dy**2)
    best = dist.min(axis=1)
    want = [min(np.array(ids)[row <= low + 1e-9]) for row, low in zip(dist, best, strict=True)]
    assert got["zone_id"].tolist() == zones["zone_id"].tolist()
    assert got["substation_id"].tolist() == want
    np.testing.assert_allclose(got["distance_m"], best, rtol=0, atol=1e-6)


# --- real data -------------------------------------------------------------------------------


DISTRICTS = {"E07000177": "Cherwell", "E07000178": "Oxford", "E07000179": "South Oxfordshire",
             "E07000180": "Vale of White Horse", "E07000181": "West Oxfordshire"}


def cowley_substations(real_data) -> gpd.GeoDataFrame:
    """SSEN primaries under the COWLEY GSP (plus the unlocated GSP), built with plain pandas."""
    raw = pd.read_csv(real_file(real_data, "grid/gb_primary_substations.csv"),
                      encoding="utf-8-sig")
    rows = raw[(raw["DNO"] == "SSEN") & (raw["GSP"].str.upper() == "COWLEY")]
    lonlat = rows["Geo(Long,Lat)"].str.split(",", expand=True).astype(float)
    points = gpd.GeoSeries(gpd.points_from_xy(lonlat[0], lonlat[1]), crs="EPSG:4326")
    primaries = pd.DataFrame({
        "substation_id": "SSEN-PRIMARY-" + rows["PS Name"].map(name_key).str.replace(" ", "_"),
        "name": rows["PS Name"].str.title(), "level": "primary", "parent_id": "SSEN-GSP-COWLEY",
        "firm_capacity_mva": rows["Firm Capacity (MVA)"].astype(float),
        "peak_demand_mva": rows["Demand (MVA)"].astype(float),
    }).reset_index(drop=True)
    gsp = pd.DataFrame([{"substation_id": "SSEN-GSP-COWLEY", "name": "Cowley", "level": "gsp",
                         "parent_id": None, "firm_capacity_mva": np.nan,
                         "peak_demand_mva": np.nan}])
    geometry = [None, *points.to_crs(CRS).to_numpy()]
    layer = gpd.GeoDataFrame(pd.concat([gsp, primaries], ignore_index=True), geometry=geometry,
                             crs=CRS)
    validate_layer(layer, SUBSTATIONS, "gb_primary_substations.csv")
    return layer


def lsoa_zones(real_data) -> gpd.GeoDataFrame:
    frames = [gpd.read_file(real_file(real_data, f"boundaries/lsoa21/{code}.geojson"))
              for code in DISTRICTS]
    raw = pd.concat(frames, ignore_index=True)
    assert str(raw.crs) == "EPSG:4326"
    zones = gpd.GeoDataFrame({
        "zone_id": raw["LSOA21CD"], "zone_name": raw["LSOA21NM"],
        "district_id": raw["LADCD_ACTIVE"], "district_name": raw["LADCD_ACTIVE"].map(DISTRICTS),
    }, geometry=raw.geometry, crs=raw.crs).to_crs(CRS)
    validate_layer(zones, ZONES)
    return zones


@pytest.mark.real_data
def test_real_cowley_primaries_serve_oxfordshire_lsoas(real_data) -> None:
    subs = cowley_substations(real_data)
    graph = graph_from_substations(subs)
    assert graph.number_of_nodes() == len(subs) == 47
    assert ancestors_of(graph, "SSEN-PRIMARY-ST_EBBES") == ["SSEN-GSP-COWLEY"]
    assert match_names(["St Ebbes Primary", "COWLEY GSP"], subs[subs["level"] == "primary"]) \
        == {"St Ebbes Primary": "SSEN-PRIMARY-ST_EBBES", "COWLEY GSP": None}

    zones = lsoa_zones(real_data)
    got = assign_zones(zones, subs)
    assert len(got) == len(zones) == 428
    assert got["zone_id"].is_unique
    assert got["zone_id"].is_monotonic_increasing
    assert got["substation_id"].str.startswith("SSEN-PRIMARY-").all()
    assert (got["distance_m"] >= 0).all()

    # the same answer as a brute-force search over all 46 located primaries
    origin = zones.set_index("zone_id").representative_point().loc[got["zone_id"]]
    sites = subs.dropna(subset=["geometry"])
    dist = np.hypot(origin.x.to_numpy()[:, None] - sites.geometry.x.to_numpy()[None, :],
                    origin.y.to_numpy()[:, None] - sites.geometry.y.to_numpy()[None, :])
    assert got["substation_id"].tolist() == sites["substation_id"].to_numpy()[
        dist.argmin(axis=1)].tolist()
    np.testing.assert_allclose(got["distance_m"], dist.min(axis=1), atol=1e-6)

    district = got["zone_id"].map(zones.set_index("zone_id")["district_id"])
    oxford = got[district == "E07000178"]
    assert len(oxford) == 84
    assert oxford["distance_m"].max() < 5_000  # a compact city with 9 primaries
    assert 300 < oxford["distance_m"].median() < 1_500
    assert got["distance_m"].median() < 5_000
    assert got["distance_m"].max() < 25_000  # north Cherwell is NGED's, far from Cowley
    city = {"SSEN-PRIMARY-" + k for k in ("ST_EBBES", "OSNEY", "HEADINGTON", "COWLEY_LOCAL")}
    assert city <= set(oxford["substation_id"])
    assert oxford["substation_id"].nunique() >= 8
