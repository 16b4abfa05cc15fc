"""Sparse spatial inputs of the optimiser: coverage matrices and neighbouring pairs.

Distances are only computed on projected coordinates (metres, EPSG:27700); GeoSeries in a
geographic CRS are refused.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geoplan.errors import CRSError

__all__ = ["coverage_matrix", "neighbour_pairs", "points_xy"]


def points_xy(points: gpd.GeoSeries | gpd.GeoDataFrame | np.ndarray) -> np.ndarray:
    """``(n, 2)`` coordinates in metres of points (polygons: their representative point).

    Raises
    ------
    CRSError
        If a GeoSeries is in a geographic CRS.
    """
    if isinstance(points, np.ndarray):
        return np.asarray(points, dtype=float).reshape(-1, 2)
    series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if series.crs is not None and series.crs.is_geographic:
        raise CRSError(f"coordinates are in {series.crs.name}; fix: reproject to EPSG:27700 "
                       "first (distances need metres)")
    geoms = series.to_numpy()
    polygonal = shapely.get_type_id(geoms) >= 3
    if polygonal.any():  # a point stands for itself: point_on_surface for the others only
        geoms = geoms.copy()
        geoms[polygonal] = shapely.point_on_surface(geoms[polygonal])
    return shapely.get_coordinates(geoms).reshape(-1, 2)


def coverage_matrix(demand: object, sites: object, radius_m: float) -> sp.csr_matrix:
    """Which sites lie within ``radius_m`` (straight line) of each demand point.

    Parameters
    ----------
    demand, sites : GeoSeries, GeoDataFrame or (n, 2) array
        Points in metres.
    radius_m : float
        Service distance.

    Returns
    -------
    scipy.sparse.csr_matrix
        Demand x sites, 1.0 where covered; built with a KD-tree, never a dense distance
        matrix.

    Examples
    --------
    >>> coverage_matrix(np.array([[0, 0], [10, 0]]), np.array([[0, 1], [20, 0]]), 10.5).toarray()
    array([[1., 0.],
           [1., 1.]])
    """
    a, b = points_xy(demand), points_xy(sites)
    if radius_m <= 0:
        raise ValueError(f"radius_m must be positive, not {radius_m}")
    pairs = cKDTree(a).query_ball_tree(cKDTree(b), r=radius_m)
    lengths = np.fromiter((len(p) for p in pairs), dtype=np.int64, count=len(pairs))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.fromiter((j for p in pairs for j in sorted(p)), dtype=np.int64,
                          count=int(indptr[-1]))
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(a), len(b)))


def neighbour_pairs(parcels: gpd.GeoDataFrame, id_column: str = "candidate_id",
                    min_shared_m: float = 0.0) -> pd.DataFrame:
    """Pairs of polygons sharing a boundary, with its length (for a compactness bonus).

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (ids, ``a < b``) and ``shared_m``.
    """
    geoms = parcels.geometry.to_numpy()
    left, right = parcels.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]),
                                                 shapely.boundary(geoms[right])))
    ids = parcels[id_column].astype(str).to_numpy()
    frame = pd.DataFrame({"a": ids[left], "b": ids[right], "shared_m": shared})
    swap = frame["a"] > frame["b"]
    frame.loc[swap, ["a", "b"]] = frame.loc[swap, ["b", "a"]].to_numpy()
    frame = frame[frame["shared_m"] > min_shared_m]
    return frame.sort_values(["a", "b"]).reset_index(drop=True)
