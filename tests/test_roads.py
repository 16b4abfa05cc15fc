"""Tests for road graphs and walking distances (geoplan.layers.roads)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from scipy import sparse
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from geoplan.errors import LayerSchemaError, MissingCRSError, ScenarioError, SourceFormatError
from geoplan.layers.roads import (
    DISTANCE_OFFSET_M,
    graph_from_file,
    graph_from_lines,
    network_components,
    walking_distances,
)

BNG = "EPSG:27700"
DIAGONAL = math.hypot(100, 100)

# Five nodes: A(0,0) B(100,0) C(100,100) D(200,0) E(200,50).
# B is an interior vertex of the first line; the MultiLineString starts 0.2 m from B
# (merged into B by the 0.5 m tolerance), so B-D is 99.8 m.
FIVE = gpd.GeoSeries([
    LineString([(0, 0), (100, 0), (100, 100)]),
    MultiLineString([[(100.2, 0), (200, 0)], [(200, 0), (200, 50)]]),
    LineString([(0, 0), (100, 100)]),
    None,
], crs=BNG)
A, B, C, D, E = range(5)


@pytest.fixture
def five() -> nx.Graph:
    return graph_from_lines(FIVE)


def test_five_node_graph_has_hand_computed_edges(five: nx.Graph) -> None:
    assert sorted(five.nodes) == [A, B, C, D, E]
    assert (five.nodes[B]["x"], five.nodes[B]["y"]) == (100.0, 0.0)
    lengths = {tuple(sorted((u, v))): d["length"] for u, v, d in five.edges(data=True)}
    assert lengths == pytest.approx({(A, B): 100.0, (B, C): 100.0, (B, D): 99.8,
                                     (D, E): 50.0, (A, C): DIAGONAL})
    assert five.graph == {"crs": BNG, "components": 1}
    distance = nx.single_source_dijkstra_path_length(five, A, weight="length")
    assert distance == pytest.approx({A: 0, B: 100, C: DIAGONAL, D: 199.8, E: 249.8})


def test_tolerance_zero_keeps_nearby_vertices_apart() -> None:
    graph = graph_from_lines(FIVE, tolerance_m=0)
    assert graph.number_of_nodes() == 6
    assert graph.graph["components"] == 2


def test_parallel_lines_keep_the_shortest_edge() -> None:
    lines = gpd.GeoSeries([LineString([(0, 0), (10, 0)]),
                           LineString([(10, 0.1), (0, 0.1)])], crs=BNG)
    graph = graph_from_lines(lines)
    assert graph.number_of_edges() == 1
    assert graph.edges[0, 1]["length"] == 10.0


def test_components_are_described_largest_first() -> None:
    lines = gpd.GeoDataFrame(geometry=[*FIVE.dropna(), LineString([(1000, 0), (1010, 0)])],
                             crs=BNG)
    graph = graph_from_lines(lines)
    assert graph.graph["components"] == 2
    table = network_components(graph)
    assert table["nodes"].tolist() == [5, 2]
    assert table["edges"].tolist() == [5, 1]
    assert table["length_m"].tolist() == pytest.approx([349.8 + DIAGONAL, 10.0])
    assert table["component"].tolist() == [0, 1]


def test_lines_in_lon_lat_are_measured_in_metres() -> None:
    lines = gpd.GeoSeries([LineString([(-1.26, 51.75), (-1.25, 51.75)])], crs="EPSG:4326")
    length = graph_from_lines(lines).edges[0, 1]["length"]
    assert 680 < length < 700  # 0.01 degree of longitude at 51.75N


def test_non_lines_are_refused_with_feature_numbers() -> None:
    mixed = gpd.GeoSeries([LineString([(0, 0), (1, 0)]), Point(5, 5)], crs=BNG)
    with pytest.raises(LayerSchemaError, match=r"1 features are \['Point'\], not lines "
                                               r"\(feature numbers \[2\]\)"):
        graph_from_lines(mixed)


def test_empty_layer_and_missing_crs_are_refused() -> None:
    with pytest.raises(LayerSchemaError, match="no line features"):
        graph_from_lines(gpd.GeoSeries([None], crs=BNG))
    with pytest.raises(MissingCRSError, match="roads: the file declares no coordinate"):
        graph_from_lines(gpd.GeoSeries([LineString([(0, 0), (1, 0)])]))
    with pytest.raises(ScenarioError, match="tolerance_m=-1"):
        graph_from_lines(FIVE, tolerance_m=-1)


def test_graph_from_file_reads_a_line_layer(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=FIVE.dropna()).to_file(path)
    graph = graph_from_file(path)
    assert graph.number_of_nodes() == 5
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    with pytest.raises(SourceFormatError, match=r"table\.csv: has no geometry column"):
        graph_from_file(table)


def test_walking_distances_add_snap_gaps_at_both_ends(five: nx.Graph) -> None:
    origins = np.array([[0, 3], [200, 50], [100, 0], [5000, 5000]], dtype=float)
    destinations = gpd.GeoSeries([Point(100, 0), Point(205, 0)], crs=BNG)
    matrix = walking_distances(five, origins, destinations, 150)
    assert isinstance(matrix, sparse.csr_matrix)
    assert matrix.shape == (4, 2)
    entries = {(int(i), int(j)): v for i, j, v in zip(*sparse.find(matrix), strict=True)}
    # o0: 3 m to A, A-B 100 -> 103; to D: 3 + 199.8 + 5 > 150
    # o1 at E: E-D-B = 149.8; E-D = 50, + 5 m gap at the destination
    # o2 on B: distance 0, still stored
    assert entries == pytest.approx({(0, 0): 103.0, (1, 0): 149.8, (1, 1): 55.0,
                                     (2, 0): 0.0, (2, 1): 104.8}, abs=1e-6)
    assert matrix[2, 0] == DISTANCE_OFFSET_M
    assert matrix.nnz == 5


def test_limit_is_inclusive_and_zero_limit_keeps_coincident_points(five: nx.Graph) -> None:
    points = np.array([[0.0, 0.0], [100.0, 0.0]])
    exact = walking_distances(five, points, points, 100)
    assert exact.nnz == 4
    zero = walking_distances(five, points, points, 0)
    assert sorted(zip(*zero.nonzero(), strict=True)) == [(0, 0), (1, 1)]


def test_polygons_count_at_a_point_on_their_surface(five: nx.Graph) -> None:
    square = Polygon([(95, -5), (105, -5), (105, 5), (95, 5)])
    destinations = gpd.GeoSeries([square], crs=BNG)
    matrix = walking_distances(five, np.array([[0.0, 0.0]]), destinations, 200)
    assert matrix.nnz == 1
    assert 100.0 <= matrix[0, 0] <= 100.0 + 5 * math.sqrt(2)


def test_matches_all_pairs_dijkstra_on_a_grid() -> None:
    rng = np.random.default_rng(7)
    steps = range(0, 1000, 100)  # a street grid with a vertex at every crossing
    lines = [LineString([(x, y) for x in steps]) for y in steps]
    lines += [LineString([(x, y) for y in steps]) for x in steps]
    graph = graph_from_lines(gpd.GeoSeries(lines, crs=BNG))
    origins = rng.uniform(0, 900, size=(40, 2))
    destinations = rng.uniform(0, 900, size=(25, 2))
    limit = 450.0
    matrix = walking_distances(graph, origins, destinations, limit).toarray()
    xy = np.array([(d["x"], d["y"]) for _, d in sorted(graph.nodes(data=True))])
    snap_o = np.argmin(np.hypot(*(origins[:, None] - xy[None]).transpose(2, 0, 1)), axis=1)
    snap_d = np.argmin(np.hypot(*(destinations[:, None] - xy[None]).transpose(2, 0, 1)),
                       axis=1)
    every = dict(nx.all_pairs_dijkstra_path_length(graph, weight="length"))
    for i, o in enumerate(snap_o):
        for j, d in enumerate(snap_d):
            total = (np.hypot(*(origins[i] - xy[o])) + every[o].get(d, np.inf)
                     + np.hypot(*(destinations[j] - xy[d])))
            expected = total + DISTANCE_OFFSET_M if total <= limit else 0.0
            assert matrix[i, j] == pytest.approx(expected, abs=1e-6)
    assert (matrix > 0).sum() > 50  # the test exercises many reachable pairs


def test_bad_limits_and_points_are_refused(five: nx.Graph) -> None:
    points = np.array([[0.0, 0.0]])
    with pytest.raises(ScenarioError, match="max_distance_m=-1"):
        walking_distances(five, points, points, -1)
    with pytest.raises(ScenarioError, match="max_distance_m=nan"):
        walking_distances(five, points, points, float("nan"))
    with pytest.raises(LayerSchemaError, match=r"origins: expected an \(n, 2\) array"):
        walking_distances(five, np.array([1.0, 2.0, 3.0]), points, 10)
    with pytest.raises(LayerSchemaError, match=r"destinations: 1 features have no geometry"):
        walking_distances(five, points, gpd.GeoSeries([None], crs=BNG), 10)
    with pytest.raises(MissingCRSError, match="origins: the file declares no"):
        walking_distances(five, gpd.GeoSeries([Point(0, 0)]), points, 10)
    with pytest.raises(LayerSchemaError, match="no nodes with x/y"):
        walking_distances(nx.Graph(), points, points, 10)
