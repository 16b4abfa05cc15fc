"""A road or footpath network as a graph, and walking distances along it.

:func:`graph_from_lines` turns a line layer (LineString and MultiLineString features, any CRS,
analysed in EPSG:27700) into an undirected :class:`networkx.Graph`:

* a node at every vertex of every line, vertices closer than ``tolerance_m`` merged into one
  node (at the first vertex met), so lines that meet end to end or end to vertex connect;
  lines that cross without a shared vertex (bridges, tunnels) do not;
* an edge between consecutive vertices of each line part, with ``length`` in metres (the
  straight segment between the original vertices); segments shorter than the tolerance vanish,
  and of parallel edges the shortest is kept;
* node attributes ``x``, ``y``; graph attributes ``crs`` and ``components`` (the number of
  connected components; :func:`network_components` describes them).

:func:`walking_distances` gives the origins x destinations network distances up to a limit as
a sparse matrix, for use as a coverage matrix.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geoplan.errors import LayerSchemaError, Problem, ScenarioError, SourceFormatError
from geoplan.schemas import CRS
from geoplan.sources.vector import read_vector, to_bng

__all__ = [
    "DISTANCE_OFFSET_M",
    "graph_from_file",
    "graph_from_lines",
    "network_components",
    "road_lines",
    "walking_distances",
]

logger = logging.getLogger(__name__)

DISTANCE_OFFSET_M = 1e-9
"""Added to every distance stored by :func:`walking_distances`, so that a pair at distance 0
(an origin on a destination) is still an entry of the sparse matrix: the stored sparsity
pattern is exactly the set of pairs within reach. Subtract it to get the distance."""

_LINES = (1, 5)  # shapely type ids of LineString, MultiLineString


def graph_from_file(path: str | Path, *, layer: str | None = None, crs: str | None = None,
                    tolerance_m: float = 0.5) -> nx.Graph:
    """Read a line layer and build its graph (see :func:`graph_from_lines`).

    Raises
    ------
    SourceNotFoundError, SourceFormatError
        If the file or layer cannot be read, or has no geometry column.
    MissingCRSError
        If the layer has no CRS and ``crs`` is not given.
    LayerSchemaError
        If features are not lines.
    """
    return graph_from_lines(road_lines(path, layer=layer, crs=crs).geometry,
                            tolerance_m=tolerance_m, source=Path(path).name)


def road_lines(path: str | Path, *, layer: str | None = None,
               crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a road layer with its attributes, in EPSG:27700 (for the graph and road names).

    Raises
    ------
    SourceNotFoundError, SourceFormatError
        If the file or layer cannot be read, or has no geometry column.
    MissingCRSError
        If the layer has no CRS and ``crs`` is not given.
    """
    frame = read_vector(path, layer)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.active_geometry_name is None:
        raise SourceFormatError(f"{Path(path).name}: has no geometry column (fix: give a line "
                                "layer of roads or paths)")
    return to_bng(frame, path, crs)


def graph_from_lines(lines: gpd.GeoSeries | gpd.GeoDataFrame, *, tolerance_m: float = 0.5,
                     source: str = "roads") -> nx.Graph:
    """Build an undirected, length-weighted graph from line geometries (module docstring).

    Parameters
    ----------
    lines : geopandas.GeoSeries or geopandas.GeoDataFrame
        LineString/MultiLineString features with a CRS; missing and empty ones are skipped.
    tolerance_m : float
        Vertices closer than this (metres) become one node.
    source : str
        Name used in messages.

    Returns
    -------
    networkx.Graph
        Nodes ``0..n-1`` with ``x``/``y`` (EPSG:27700), edges with ``length`` (m).

    Raises
    ------
    MissingCRSError
        If ``lines`` has no CRS.
    LayerSchemaError
        If some features are not lines (their feature numbers are listed), or none is left.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoSeries([LineString([(0, 0), (3, 4)]), LineString([(3, 4), (3, 10)])],
    ...                       crs="EPSG:27700")
    >>> graph = graph_from_lines(roads)
    >>> graph.number_of_nodes(), nx.shortest_path_length(graph, 0, 2, weight="length")
    (3, 11.0)
    """
    geoms = to_bng(lines, source).geometry.values if isinstance(lines, gpd.GeoDataFrame) \
        else to_bng(lines, source).values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    wrong = present & ~np.isin(shapely.get_type_id(geoms), _LINES)
    if wrong.any():
        numbers = [int(i) + 1 for i in np.flatnonzero(wrong)]
        kinds = sorted({g.geom_type for g in geoms[wrong]})
        message = (f"{int(wrong.sum())} features are {kinds}, not lines (feature numbers "
                   f"{numbers[:10]})")
        raise LayerSchemaError(f"{source}: {message}", [Problem(
            message, file=source, fix="give a layer of LineString/MultiLineString roads")])
    if not present.any():
        raise LayerSchemaError(f"{source}: no line features to build a network from "
                               "(fix: check the layer is not empty)")
    if tolerance_m < 0:
        raise ScenarioError(f"tolerance_m={tolerance_m} must be >= 0 (fix: use e.g. 0.5)")
    return _build(shapely.get_parts(geoms[present]), tolerance_m, source)


def _build(parts: np.ndarray, tolerance_m: float, source: str) -> nx.Graph:
    coords, part = shapely.get_coordinates(parts, return_index=True)
    node = _merge(coords, tolerance_m)
    same = part[1:] == part[:-1]
    u, v = node[:-1][same], node[1:][same]
    length = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    keep = u != v
    u, v, length = u[keep], v[keep], length[keep]
    order = np.lexsort((-length, np.minimum(u, v), np.maximum(u, v)))
    graph = nx.Graph(crs=CRS)
    firsts = np.unique(node, return_index=True)[1]
    graph.add_nodes_from((int(n), {"x": float(coords[i, 0]), "y": float(coords[i, 1])})
                         for n, i in zip(node[firsts], firsts, strict=True))
    graph.add_edges_from((int(a), int(b), {"length": float(d)})
                         for a, b, d in zip(u[order], v[order], length[order], strict=True))
    graph.graph["components"] = nx.number_connected_components(graph)
    if graph.graph["components"] > 1:
        logger.info("%s: the network has %d connected components", source,
                    graph.graph["components"])
    return graph


def _merge(coords: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Give every vertex its node number, in order of first appearance.

    Vertices within the tolerance of each other (transitively) share one node.
    """
    if tolerance_m > 0:
        pairs = cKDTree(coords).query_pairs(tolerance_m, output_type="ndarray")
    else:
        pairs = np.empty((0, 2), dtype=int)
    exact = np.unique(coords, axis=0, return_inverse=True)[1].ravel()
    n = len(coords)
    first_of = np.full(exact.max() + 1, n)
    np.minimum.at(first_of, exact, np.arange(n))
    rows = np.concatenate([pairs[:, 0], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], first_of[exact]])
    links = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    label = connected_components(links, directed=False)[1]
    first = np.full(label.max() + 1, n)
    np.minimum.at(first, label, np.arange(n))
    return np.unique(first[label], return_inverse=True)[1].ravel()


def network_components(graph: nx.Graph) -> pd.DataFrame:
    """Describe the connected components, largest first.

    Columns: ``component``, ``nodes``, ``edges``, ``length_m``.

    Examples
    --------
    >>> graph = nx.Graph()
    >>> graph.add_edge(0, 1, length=5.0); graph.add_edge(2, 3, length=1.0)
    >>> network_components(graph)["length_m"].tolist()
    [5.0, 1.0]
    """
    rows = []
    for nodes in nx.connected_components(graph):
        sub = graph.subgraph(nodes)
        rows.append({"nodes": len(nodes), "edges": sub.number_of_edges(),
                     "length_m": float(sub.size(weight="length")), "_first": min(nodes)})
    frame = pd.DataFrame(rows, columns=["nodes", "edges", "length_m", "_first"])
    frame = frame.sort_values(["length_m", "nodes", "_first"], ascending=[False, False, True])
    frame.insert(0, "component", np.arange(len(frame)))
    return frame.drop(columns="_first").reset_index(drop=True)


def walking_distances(graph: nx.Graph, origins: gpd.GeoSeries | np.ndarray,
                      destinations: gpd.GeoSeries | np.ndarray,
                      max_distance_m: float) -> sparse.csr_matrix:
    """Network distances from each origin to each destination, up to a limit.

    Each point is snapped to its nearest graph node (:class:`scipy.spatial.cKDTree`); the
    distance of a pair is the straight snap distance at the origin + the shortest path
    between the two nodes (``length`` weights) + the snap distance at the destination. One
    Dijkstra search bounded by ``max_distance_m`` runs from each distinct destination node
    (:func:`networkx.single_source_dijkstra_path_length` with ``cutoff``), so the cost
    grows with the number of destinations and the size of their neighbourhoods, not with
    the size of the county.

    Parameters
    ----------
    graph : networkx.Graph
        From :func:`graph_from_lines` (nodes with ``x``/``y`` in EPSG:27700).
    origins, destinations : geopandas.GeoSeries or numpy.ndarray
        Points (polygons count at a point on their surface) with a CRS, or ``(n, 2)`` arrays
        of EPSG:27700 eastings/northings.
    max_distance_m : float
        Longest distance kept.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(len(origins), len(destinations))``; an entry for every pair within
        ``max_distance_m``, holding the distance in metres plus :data:`DISTANCE_OFFSET_M`
        (so zero distances are stored); no entry for pairs out of reach.

    Raises
    ------
    ScenarioError
        If ``max_distance_m`` is negative or not a number.
    LayerSchemaError
        If the graph has no nodes with coordinates, or points are missing or malformed.
    MissingCRSError
        If a GeoSeries has no CRS.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoSeries([LineString([(0, 0), (100, 0)])], crs="EPSG:27700")
    >>> matrix = walking_distances(graph_from_lines(roads), np.array([[0.0, 5.0]]),
    ...                            np.array([[100.0, 0.0], [0.0, 0.0]]), 50)
    >>> matrix.toarray().round(3).tolist()
    [[0.0, 5.0]]
    """
    if not np.isfinite(max_distance_m) or max_distance_m < 0:
        raise ScenarioError(f"max_distance_m={max_distance_m!r} must be a number >= 0 (fix: "
                            "give a walking distance in metres, e.g. 400)")
    ids, xy = _node_coordinates(graph)
    tree = cKDTree(xy)
    o_gap, o_node = tree.query(_points(origins, "origins"))
    d_gap, d_node = tree.query(_points(destinations, "destinations"))
    rows, cols, data = _search(graph, ids, o_gap, o_node, d_gap, d_node, max_distance_m)
    matrix = sparse.csr_matrix((data + DISTANCE_OFFSET_M, (rows, cols)),
                               shape=(len(o_node), len(d_node)))
    matrix.sort_indices()
    return matrix


def _node_coordinates(graph: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    nodes = [(n, d) for n, d in graph.nodes(data=True) if "x" in d and "y" in d]
    if not nodes:
        raise LayerSchemaError("roads graph: no nodes with x/y coordinates (fix: build it with "
                               "geoplan.layers.roads.graph_from_lines)")
    ids = np.array([n for n, _ in nodes], dtype=object)
    return ids, np.array([(d["x"], d["y"]) for _, d in nodes], dtype=float)


def _points(points: gpd.GeoSeries | np.ndarray, what: str) -> np.ndarray:
    """``(n, 2)`` EPSG:27700 coordinates of points (polygons: a point on their surface)."""
    if isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame):
        geoms = to_bng(points, what)
        geoms = geoms.geometry.values if isinstance(geoms, gpd.GeoDataFrame) else geoms.values
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if missing.any():
            numbers = [int(i) + 1 for i in np.flatnonzero(missing)]
            raise LayerSchemaError(f"{what}: {len(numbers)} features have no geometry (feature "
                                   f"numbers {numbers[:10]}) (fix: drop them first)")
        return shapely.get_coordinates(shapely.point_on_surface(geoms))
    array = np.asarray(points, dtype=float)
    if array.ndim != 2 or array.shape[1] != 2 or not np.isfinite(array).all():
        raise LayerSchemaError(f"{what}: expected an (n, 2) array of finite eastings/northings "
                               f"in metres, got shape {array.shape} (fix: pass a GeoSeries or "
                               "an (n, 2) array in EPSG:27700)")
    return array


def _search(graph: nx.Graph, ids: np.ndarray, o_gap: np.ndarray, o_node: np.ndarray,
            d_gap: np.ndarray, d_node: np.ndarray,
            limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, destination, distance) of every pair within ``limit``."""
    position = {node: i for i, node in enumerate(ids)}
    by_node = np.argsort(o_node, kind="stable")
    starts = np.searchsorted(o_node[by_node], np.arange(len(ids) + 1))
    rows, cols, data = [], [], []
    for node in np.unique(d_node):
        targets = np.flatnonzero(d_node == node)
        budget = limit - d_gap[targets].min()
        if budget < 0:
            continue
        reached = nx.single_source_dijkstra_path_length(graph, ids[node], cutoff=budget,
                                                        weight="length")
        where = np.array([position[n] for n in reached], dtype=int)
        path = np.fromiter(reached.values(), dtype=float, count=len(reached))
        counts = starts[where + 1] - starts[where]
        origin = by_node[np.concatenate([np.arange(starts[w], starts[w + 1]) for w in where])]
        base = np.repeat(path, counts) + o_gap[origin]
        for target in targets:
            total = base + d_gap[target]
            near = total <= limit
            rows.append(origin[near])
            cols.append(np.full(int(near.sum()), target))
            data.append(total[near])
    if not rows:
        return np.empty(0, int), np.empty(0, int), np.empty(0, float)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
