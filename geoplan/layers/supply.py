"""Which substation serves each zone: supply-area polygons when given, else the nearest.

With DNO licence areas, "nearest" means nearest among the substations of the DNO whose
licence area holds the zone (:func:`assign_zones`).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geoplan.errors import LayerSchemaError, MissingCRSError, Problems
from geoplan.layers.grid import resolve_names
from geoplan.schemas import CRS, LEVELS

__all__ = ["assign_zones"]

logger = logging.getLogger(__name__)

_BNG = pyproj.CRS.from_user_input(CRS)
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_ASSIGNMENT_COLUMNS = ["zone_id", "substation_id", "method", "distance_m", "overlap_share"]


def _sample(items: list[str], size: int = 10) -> str:
    more = f" and {len(items) - size} more" if len(items) > size else ""
    return ", ".join(repr(i) for i in items[:size]) + more


def assign_zones(
    zones: gpd.GeoDataFrame,
    substations: gpd.GeoDataFrame,
    *,
    level: str = "primary",
    supply_areas: gpd.GeoDataFrame | None = None,
    supply_area_id_column: str = "substation_id",
    licence_areas: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Choose the substation of one level that serves each zone.

    Candidates are the substations of ``level`` that have a location. With ``supply_areas``
    (polygons, each naming its substation by id or, failing that, by name under the
    :func:`match_names` rules in ``supply_area_id_column``), a zone goes to the candidate
    whose supply area (all its polygons together) covers the largest share of the zone's area
    (a zone without area, e.g. a point, to the area that contains it); ties go to the smallest
    ``substation_id``. Zones outside every supply area (counted in a logged warning), and all
    zones when ``supply_areas`` is None, go to the candidate nearest to the zone's
    representative point (a point inside it); equidistant candidates go to the smallest id.
    With ``licence_areas`` (polygons with a ``dno`` column, as
    :func:`geoplan.layers.dno.read_licence_areas` gives them; substations then need a ``dno``
    column), that nearest candidate is chosen among the substations of the DNO whose licence
    area holds the zone's representative point; a zone outside every licence area, or in the
    area of a DNO without any candidate, takes the nearest of all (the caller flags it).
    All inputs must be in EPSG:27700.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zones with a unique ``zone_id`` (any geometry type).
    substations : geopandas.GeoDataFrame
        A ``substations`` layer.
    level : str, default "primary"
        One of :data:`geoplan.schemas.LEVELS`.
    supply_areas : geopandas.GeoDataFrame, optional
    supply_area_id_column : str, default "substation_id"
    licence_areas : geopandas.GeoDataFrame, optional

    Returns
    -------
    pandas.DataFrame
        One row per zone sorted by ``zone_id``: ``zone_id``, ``substation_id``, ``method``
        ("supply_area" or "nearest"), ``distance_m`` (representative point to the substation
        point, for both methods) and ``overlap_share`` (0-1; NaN for "nearest"); with
        ``licence_areas`` also ``zone_dno`` (the licence area's DNO, None outside them all)
        and ``substation_dno``.

    Raises
    ------
    MissingCRSError
        When an input has no CRS.
    LayerSchemaError
        When an input is in another CRS, misses columns, repeats a zone id or has zones
        without geometry; when no substation of ``level`` has a location; when a supply area
        names no candidate or several.
    """
    _check_assign_inputs(zones, substations, level, supply_areas, supply_area_id_column,
                         licence_areas)
    candidates = _candidates(substations, level, licence_areas is not None)
    frame = gpd.GeoDataFrame({"zone_id": zones["zone_id"].astype(str).to_numpy()},
                             geometry=zones.geometry.to_numpy(), crs=CRS)
    zone_dno = None
    if licence_areas is not None:
        from geoplan.layers.dno import licence_dno

        zone_dno = licence_dno(frame.geometry.representative_point(), licence_areas)
        zone_dno.index = frame["zone_id"].to_numpy()
    chosen = _nearest(frame.iloc[:0], candidates)  # empty
    if supply_areas is not None:
        chosen = _by_supply_area(frame, supply_areas, supply_area_id_column, candidates)
    outside = frame[~frame["zone_id"].isin(chosen["zone_id"])]
    if supply_areas is not None and len(outside):
        logger.warning("%d of %d zones lie outside every supply area; they use the nearest "
                       "located %s substation", len(outside), len(frame), level)
    parts = [p for p in (chosen, _nearest_within(outside, candidates, zone_dno)) if len(p)]
    result = _with_distances(pd.concat(parts) if parts else chosen, frame, candidates)
    if zone_dno is None:
        return result
    owner = pd.Series(candidates["dno"].to_numpy(), index=candidates["substation_id"])
    return result.assign(zone_dno=result["zone_id"].map(zone_dno).astype(object),
                         substation_dno=result["substation_id"].map(owner).astype(object))


def _nearest_within(points: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame,
                    zone_dno: pd.Series | None) -> pd.DataFrame:
    """Nearest candidate per zone, among its licence area's DNO when ``zone_dno`` is given."""
    if zone_dno is None or points.empty:
        return _nearest(points, candidates)
    dno = points["zone_id"].map(zone_dno)
    owned = set(candidates["dno"].dropna())
    dno = dno.where(dno.isin(owned))  # no candidate of that DNO: the nearest of all
    parts = [_nearest(points[dno.isna().to_numpy()], candidates)]
    for name in sorted(set(dno.dropna())):
        parts.append(_nearest(points[(dno == name).to_numpy()],
                              candidates[(candidates["dno"] == name).to_numpy()]))
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _check_assign_inputs(zones: object, substations: object, level: str,
                         supply_areas: object, id_column: str, licence_areas: object) -> None:
    """Raise once for every problem with the inputs of :func:`assign_zones`."""
    problems = Problems()
    if level not in LEVELS:
        problems.add(f"level {level!r} is not allowed", fix=f"use one of {list(LEVELS)}")
    no_crs = _check_frame(zones, "zones", ["zone_id"], problems)
    no_crs |= _check_frame(substations, "substations",
                           ["substation_id", "name", "level",
                            *(["dno"] if licence_areas is not None else [])], problems)
    if supply_areas is not None:
        no_crs |= _check_frame(supply_areas, "supply_areas", [id_column], problems)
    if licence_areas is not None:
        no_crs |= _check_frame(licence_areas, "licence_areas", ["dno"], problems)
    if isinstance(zones, gpd.GeoDataFrame) and zones.active_geometry_name and "zone_id" in zones:
        ids = zones["zone_id"].astype(str)
        if ids.duplicated().any():
            problems.add(f"zone ids {_sample(sorted(set(ids[ids.duplicated()])))} repeat",
                         sheet="zones", column="zone_id", fix="make zone ids unique")
        empty = ids[zones.geometry.isna().to_numpy() | zones.geometry.is_empty.to_numpy()]
        if len(empty):
            problems.add(f"zones {_sample(sorted(empty))} have no geometry", sheet="zones",
                         fix="drop them or give them a shape")
    problems.raise_if_any(MissingCRSError if no_crs else LayerSchemaError)


def _check_frame(frame: object, name: str, columns: list[str], problems: Problems) -> bool:
    """Record problems with one spatial input; return True when it has no CRS."""
    if not isinstance(frame, gpd.GeoDataFrame):
        problems.add(f"{name} is a {type(frame).__name__}, not a GeoDataFrame", sheet=name,
                     fix="pass a geopandas.GeoDataFrame")
        return False
    if frame.active_geometry_name is None:
        problems.add(f"{name} has no active geometry column", sheet=name,
                     fix="call .set_geometry(column) first")
        return False
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.add(f"columns {missing} are missing", sheet=name,
                     fix=f"the {name} layer needs columns {columns}")
    if frame.crs is None:
        problems.add("layer has no CRS", sheet=name,
                     fix=f"if the coordinates are already British National Grid metres call "
                         f".set_crs({CRS!r}); otherwise set their CRS, then .to_crs({CRS!r})")
        return True
    if frame.crs != _BNG:
        problems.add(f"CRS is {frame.crs.to_string()}, expected {CRS}", sheet=name,
                     fix=f"reproject with .to_crs({CRS!r})")
    return False


def _candidates(substations: gpd.GeoDataFrame, level: str, with_dno: bool = False
                ) -> gpd.GeoDataFrame:
    """Located substations of ``level`` (id, name, [dno,] geometry), or raise (listing)."""
    geoms = substations.geometry
    located = (geoms.notna() & ~geoms.is_empty).to_numpy()
    chosen = substations[located & (substations["level"] == level).to_numpy()]
    if chosen.empty:
        levels = sorted(set(substations.loc[located, "level"].astype(str)),
                        key=lambda lv: _RANK.get(lv, len(LEVELS)))
        raise LayerSchemaError(f"no {level} substation has a location; levels with located "
                               f"substations: {levels}")
    ids = chosen["substation_id"].astype(str)
    if ids.duplicated().any():
        raise LayerSchemaError(f"{level} substation ids repeat: "
                               f"{_sample(sorted(set(ids[ids.duplicated()])))}")
    columns = {"substation_id": ids.to_numpy(), "name": chosen["name"].astype(str).to_numpy()}
    if with_dno:
        columns["dno"] = chosen["dno"].astype(object).to_numpy()
    return gpd.GeoDataFrame(columns, geometry=chosen.geometry.to_numpy(), crs=CRS)


def _by_supply_area(frame: gpd.GeoDataFrame, supply_areas: gpd.GeoDataFrame, id_column: str,
                    candidates: gpd.GeoDataFrame) -> pd.DataFrame:
    """Best supply area per zone: zone_id, substation_id, overlap_share (zones inside only)."""
    areas = gpd.GeoDataFrame(
        {"_sid": _supply_area_ids(supply_areas[id_column], candidates, id_column).to_numpy()},
        geometry=shapely.make_valid(supply_areas.geometry.to_numpy()), crs=CRS,
    ).dissolve(by="_sid", as_index=False)
    pairs = gpd.sjoin(frame, areas, how="inner", predicate="intersects")
    zone_geoms = frame.geometry.to_numpy()[pairs.index.to_numpy()]
    area_geoms = areas.geometry.to_numpy()[pairs["index_right"].to_numpy()]
    zone_area = shapely.area(zone_geoms)
    overlap = shapely.area(shapely.intersection(shapely.make_valid(zone_geoms), area_geoms))
    share = np.where(zone_area > 0, overlap / np.where(zone_area > 0, zone_area, 1.0), 1.0)
    table = pd.DataFrame({"zone_id": pairs["zone_id"].to_numpy(),
                          "substation_id": pairs["_sid"].to_numpy(),
                          "overlap_share": np.minimum(share, 1.0)})
    table = table[table["overlap_share"] > 0].sort_values(
        ["zone_id", "overlap_share", "substation_id"], ascending=[True, False, True])
    best = table.drop_duplicates("zone_id").reset_index(drop=True)
    return best.assign(method="supply_area")


def _supply_area_ids(values: pd.Series, candidates: gpd.GeoDataFrame, column: str) -> pd.Series:
    """Each supply area's substation id: the value itself if it is a candidate id, else by name."""
    text = values.map(lambda v: None if v is None or pd.isna(v) else str(v).strip())
    known = set(candidates["substation_id"])
    names = list(dict.fromkeys(v for v in text if v not in known))
    found = resolve_names(names, candidates, source="supply_areas", column=column)
    return text.map(lambda v: v if v in known else found[v])


def _nearest(points: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame) -> pd.DataFrame:
    """Nearest candidate to each zone's representative point: zone_id, substation_id."""
    if points.empty:
        return pd.DataFrame(columns=["zone_id", "substation_id", "overlap_share", "method"])
    origin = points.set_geometry(points.geometry.representative_point())
    joined = gpd.sjoin_nearest(origin, candidates[["substation_id", "geometry"]],
                               how="inner", distance_col="_distance")
    joined = joined.sort_values(["zone_id", "_distance", "substation_id"])
    nearest = joined.drop_duplicates("zone_id")[["zone_id", "substation_id"]]
    return nearest.assign(overlap_share=np.nan, method="nearest").reset_index(drop=True)


def _with_distances(result: pd.DataFrame, frame: gpd.GeoDataFrame,
                    candidates: gpd.GeoDataFrame) -> pd.DataFrame:
    """Add distance_m from each zone's representative point and order the columns and rows."""
    origin = frame.geometry.representative_point()
    origin.index = frame["zone_id"].to_numpy()
    site = pd.Series(candidates.geometry.to_numpy(), index=candidates["substation_id"])
    result = result.assign(distance_m=shapely.distance(
        origin.loc[result["zone_id"]].to_numpy(), site.loc[result["substation_id"]].to_numpy()))
    result["overlap_share"] = result["overlap_share"].astype(float)
    result["zone_id"] = result["zone_id"].astype(str)
    result["substation_id"] = result["substation_id"].astype(str)
    return result[_ASSIGNMENT_COLUMNS].sort_values("zone_id").reset_index(drop=True)
