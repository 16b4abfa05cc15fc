"""Existing public chargers placed in the plan's zones, for the outputs of a run.

:func:`place_chargers` gives each device of a ``chargers`` layer (the National Chargepoint
Registry, :mod:`geoplan.sources.chargepoint_registry`) its zone and district, keeping only
the devices inside the plan's zones (a registry extract may cover all of Great Britain). A
device on a boundary shared by several zones counts for the first zone in the zones' order,
as :func:`geoplan.layers.ev.chargers_per_zone` counts them. :func:`charger_counts` counts
devices and connectors per zone or district.

The charger workstream uses the same devices as already-served demand
(:mod:`geoplan.workstreams.charger_demand`); this module only says where they are.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.schemas import CRS

__all__ = ["EXISTING_COLUMNS", "charger_counts", "place_chargers"]

EXISTING_COLUMNS = ("device_id", "name", "operator", "kw", "connectors", "connector_types",
                    "status", "town", "zone_id", "zone_name", "district_id", "district_name",
                    "geometry")
"""Columns of :func:`place_chargers`' result, in order (absent registry fields are None)."""


def place_chargers(chargers: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep the devices inside ``zones`` and give each its zone and district.

    Parameters
    ----------
    chargers : geopandas.GeoDataFrame
        A ``chargers`` layer (``device_id``, ``kw``, ``connectors``, points; ``name``,
        ``operator``, ``connector_types``, ``status``, ``town`` when the registry gave them).
    zones : geopandas.GeoDataFrame
        Canonical zones (``zone_id``, ``zone_name``, ``district_id``, ``district_name``).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`EXISTING_COLUMNS`, EPSG:27700, in the chargers' order;
        ``attrs["outside_zones"]`` counts the devices left out (outside every zone or
        without a location).
    """
    points = chargers.to_crs(CRS) if chargers.crs is not None else chargers.set_crs(CRS)
    geoms = points.geometry.values
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    where = np.full(len(points), -1)
    if located.any() and len(zones):
        spots = shapely.point_on_surface(geoms[located])
        pos, zone_pos = shapely.STRtree(zones.geometry.values).query(
            spots, predicate="intersects")
        first = pd.Series(zone_pos).groupby(pos).min()
        where[np.flatnonzero(located)[first.index.to_numpy()]] = first.to_numpy()
    inside = where >= 0
    table = points[inside].reset_index(drop=True)
    zone_rows = zones.iloc[where[inside]].reset_index(drop=True)
    data: dict[str, object] = {}
    for column in EXISTING_COLUMNS[:-1]:
        source = zone_rows if column in ("zone_id", "zone_name", "district_id",
                                         "district_name") else table
        data[column] = (source[column].to_numpy() if column in source.columns
                        else np.full(len(table), None, dtype=object))
    out = gpd.GeoDataFrame(pd.DataFrame(data), geometry=table.geometry.values, crs=CRS)
    out["kw"] = pd.to_numeric(out["kw"], errors="coerce").astype(float)
    out["connectors"] = pd.to_numeric(out["connectors"], errors="coerce").astype("Int64")
    out.attrs["outside_zones"] = int((~inside).sum())
    return out


def charger_counts(placed: pd.DataFrame, by: str, keys: pd.Series | None = None
                   ) -> pd.DataFrame:
    """Devices and connectors per ``by`` (``zone_id`` or ``district_id``).

    Parameters
    ----------
    placed : pandas.DataFrame
        From :func:`place_chargers`.
    by : str
        Column to count by.
    keys : pandas.Series, optional
        Every key to report (those without chargers get 0), in this order; default: the
        keys with chargers, sorted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``existing_chargers`` (devices) and ``existing_connectors``
        (int64).
    """
    grouped = placed.assign(_n=1, _c=pd.to_numeric(placed["connectors"], errors="coerce")
                            .fillna(0)).groupby(by, sort=True)
    counts = pd.DataFrame({"existing_chargers": grouped["_n"].sum(),
                           "existing_connectors": grouped["_c"].sum()})
    if keys is not None:
        counts = counts.reindex(pd.Index(keys.astype(str), name=by), fill_value=0)
    return counts.astype("int64")
