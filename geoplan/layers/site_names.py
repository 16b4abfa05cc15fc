"""Readable names for candidate sites: their own name, else the road they are off, else the id.

Most OpenStreetMap car parks have no name (367 of the sample's 430), so a plan listing
``car_park:way/1018566472`` means nothing to a reader. :func:`site_names` gives every site a
``site_name``, in this order:

1. its own ``name`` (blank text is no name);
2. ``"<kind> off <road>"`` (``"car park off Station Road"``): the named road nearest to the
   site (its outline for a polygon, so a car park beside a road is at 0 m), if within
   ``max_distance_m``; ties go to the road that comes first in the roads layer;
3. ``"<kind> <id>"`` (``"car park 1018566472"``): the last part of its ``source_id`` (the OSM
   number), else its ``site_id``.

``site_name_from`` says which (:data:`NAME_SOURCES`). Names are for people only: ids stay in
``site_id`` and ``source_id``, and nothing in the plan depends on a name.

Road names come from :func:`named_roads`: the first name column of :data:`ROAD_NAME_COLUMNS`
the layer has (OS Open Roads' ``name_1``, OSM's ``name``), and for lines without a name the
first road number column of :data:`ROAD_NUMBER_COLUMNS` (``A4130``).

:data:`SITE_ROAD_NAME_M` (100 m, scenario key ``workstreams.chargers.site_name_road_m``) is a
presentation choice, not a planning figure: a car park is usually entered from the road it
lies beside, and a road centre line a little over a car park's depth away (UK car park bays
plus aisle are about 16 m deep, a large surface car park a few rows) is still the road a
visitor would name; beyond 100 m the nearest named road is as likely to be a different street
as the access road, so the id is shown instead.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.schemas import CRS
from geoplan.sources.cells import normalise_header, text_cells

__all__ = ["NAME_SOURCES", "ROAD_NAME_COLUMNS", "ROAD_NUMBER_COLUMNS", "SITE_ROAD_NAME_M",
           "named_roads", "site_names"]

logger = logging.getLogger(__name__)

SITE_ROAD_NAME_M = 100.0
"""Default farthest distance (m) from a site to the road it is named after (module docstring)."""

ROAD_NAME_COLUMNS = ("name", "name_1", "road_name", "roadname", "street", "street_name")
"""Columns holding a road's name, in order of preference (header case and spacing ignored)."""

ROAD_NUMBER_COLUMNS = ("ref", "road_classification_number", "road_number", "roadnumber")
"""Columns holding a road's number, used for lines without a name."""

NAME_SOURCES = ("own name", "nearest road", "id")
"""Values of ``site_name_from``."""


def _first_column(frame: pd.DataFrame, wanted: tuple[str, ...]) -> str | None:
    found = {normalise_header(c): c for c in reversed(list(frame.columns)) if c != "geometry"}
    return next((found[w] for w in wanted if w in found), None)


def named_roads(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Road lines with a name (or, without one, a road number), in EPSG:27700.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        A road layer as read (:func:`geoplan.layers.roads.road_lines`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``road_name`` and ``geometry``, in the layer's order; empty when the layer has no
        name or number column.
    """
    name = _first_column(roads, ROAD_NAME_COLUMNS)
    number = _first_column(roads, ROAD_NUMBER_COLUMNS)
    values = pd.Series(None, index=roads.index, dtype=object)
    for column in (name, number):
        if column is not None:
            values = values.where(values.notna(), text_cells(roads[column]))
    geoms = roads.geometry.values
    keep = (values.notna() & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))).to_numpy()
    if name is None and number is None:
        logger.info("roads: no name column among %s; sites are not named after roads",
                    list(ROAD_NAME_COLUMNS))
    return gpd.GeoDataFrame({"road_name": values[keep].astype(str).to_numpy()},
                            geometry=geoms[keep], crs=roads.crs or CRS)


def _nearest_names(sites: gpd.GeoDataFrame, roads: gpd.GeoDataFrame,
                   max_distance_m: float) -> pd.Series:
    """Name of the nearest named road within ``max_distance_m`` of each site (None: none)."""
    out = pd.Series(None, index=sites.index, dtype=object)
    geoms = sites.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not len(roads) or not present.any():
        return out
    tree = shapely.STRtree(roads.geometry.values)
    site_pos, road_pos = tree.query(geoms[present], predicate="dwithin",
                                    distance=max_distance_m)
    if not len(site_pos):
        return out
    distance = shapely.distance(geoms[present][site_pos], roads.geometry.values[road_pos])
    pairs = pd.DataFrame({"site": site_pos, "road": road_pos, "d": distance})
    best = pairs.sort_values(["site", "d", "road"], kind="stable").drop_duplicates("site")
    rows = np.flatnonzero(present)[best["site"].to_numpy()]
    out.iloc[rows] = roads["road_name"].to_numpy()[best["road"].to_numpy()]
    return out


def site_names(sites: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None = None, *,
               max_distance_m: float | None = SITE_ROAD_NAME_M) -> gpd.GeoDataFrame:
    """Add ``site_name`` and ``site_name_from`` to a sites layer (rules in the module docstring).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        A ``sites`` layer (``site_id``, ``kind``; ``name`` and ``source_id`` when present),
        EPSG:27700.
    roads : geopandas.GeoDataFrame, optional
        Named road lines (:func:`named_roads`), EPSG:27700; without them no site is named
        after a road.
    max_distance_m : float or None
        Farthest road a site is named after; None names no site after a road.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``sites`` with the two columns (replaced if present).
    """
    own = text_cells(sites["name"]) if "name" in sites.columns else pd.Series(
        None, index=sites.index, dtype=object)
    kind = sites["kind"].astype(str).str.replace("_", " ") if "kind" in sites.columns \
        else pd.Series("site", index=sites.index)
    road = pd.Series(None, index=sites.index, dtype=object)
    if roads is not None and max_distance_m is not None:
        road = _nearest_names(sites, roads.to_crs(sites.crs or CRS), float(max_distance_m))
    source = text_cells(sites["source_id"]) if "source_id" in sites.columns else pd.Series(
        None, index=sites.index, dtype=object)
    ids = source.where(source.notna(), sites["site_id"].astype(str)).astype(str)
    short = ids.str.rsplit("/", n=1).str[-1]
    names, origin = [], []
    for k, n, r, i in zip(kind, own, road, short, strict=True):
        if not pd.isna(n):
            names.append(str(n))
            origin.append(NAME_SOURCES[0])
        elif not pd.isna(r):
            names.append(f"{k} off {r}")
            origin.append(NAME_SOURCES[1])
        else:
            names.append(f"{k} {i}")
            origin.append(NAME_SOURCES[2])
    out = sites.copy()
    out["site_name"] = pd.Series(names, index=sites.index, dtype=object)
    out["site_name_from"] = pd.Series(origin, index=sites.index, dtype=object)
    return out
