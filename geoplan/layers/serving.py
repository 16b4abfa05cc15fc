"""Which substation serves each zone, home, site and land parcel, and the flags on that choice.

:func:`serve` gives every zone the substation of the serving level whose supply area (else
nearest point) holds its representative point, within the DNO whose licence area holds it when
licence areas are given (:func:`geoplan.layers.supply.assign_zones`), and homes, sites and
parcels the same. Zones also get ``serving_distance_km`` and ``serving_flag``
(:data:`SERVING_FLAGS`); :func:`serving_notes` and :func:`without_dno` count what a user should
know in warnings. Used by :mod:`geoplan.layers.prepare`.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import Problems, ScenarioError
from geoplan.layers.supply import assign_zones

__all__ = ["SERVING_FLAGS", "serve", "serving_notes", "without_dno"]

SERVING_FLAGS = {
    "ok": "served by a substation within the distance, of its licence area's DNO",
    "beyond_max_distance": "the serving substation is further than the maximum distance",
    "other_dno": "the zone's licence area belongs to a DNO with no located substation of the "
                 "serving level in the grid files, so the nearest of another DNO serves it",
    "no_licence_area": "the zone's representative point lies in no licence area",
    "set_by_scenario": "the scenario sets the zone's substation (grid.serving_overrides)",
}
"""Values of the zones' ``serving_flag`` (several joined by ``";"``)."""


def serve(zones: gpd.GeoDataFrame, substations: gpd.GeoDataFrame,
          layers: Mapping[str, Mapping[str, pd.DataFrame]], level: str,
          licence: gpd.GeoDataFrame | None, max_km: float,
          overrides: Mapping[str, str] | None = None
          ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, object]]:
    """Add ``substation_id`` (of ``level``) to zones, buildings, sites and land.

    Zones also get ``serving_distance_km`` and ``serving_flag`` (:data:`SERVING_FLAGS`), and
    ``licence_dno`` with licence areas. ``overrides`` (zone id -> substation id of ``level``,
    scenario key ``grid.serving_overrides``) sets the substation of those zones, and of the
    homes, sites and land parcels in them.

    Raises
    ------
    ScenarioError
        Listing every override whose zone or substation (of ``level``, with a location) is
        not in the layers.
    """
    table = _assign(zones, "zone_id", substations, level, licence).set_index("zone_id")
    fixed = pd.Series(dict(overrides or {}), dtype=object)
    if len(fixed):
        table = _overridden(table, zones, substations, level, fixed)
    by_zone = table["substation_id"]
    zone_ids = zones["zone_id"].astype(str)
    flags = _flags(table, max_km, licence is not None, set(fixed.index))
    out = {"zones": zones.assign(
        substation_id=zone_ids.map(by_zone).astype("str"),
        serving_distance_km=zone_ids.map(table["distance_m"] / 1000.0).astype(float),
        serving_flag=zone_ids.map(flags).astype(str))}
    if licence is not None:  # the DNO whose licence area holds the zone (None: no area)
        out["zones"]["licence_dno"] = zone_ids.map(table["zone_dno"]).astype(object)
    serving: dict[str, object] = {"level": level,
                                  "zones_per_substation": int(by_zone.value_counts().max()),
                                  "max_serving_distance_km": max_km,
                                  "licence_areas": licence is not None}
    if "buildings" in layers:
        homes = layers["buildings"]["buildings"]
        ids = homes["zone_id"].map(by_zone)
        loose = ids.isna() & homes.geometry.notna() & ~homes.geometry.is_empty
        if loose.any():
            ids[loose] = homes.loc[loose, "building_id"].map(
                _nearest(homes[loose], "building_id", substations, level, licence))
        out["buildings"] = homes.assign(substation_id=ids.astype("str"))
        serving["homes_without_substation"] = int(ids.isna().sum())
    for kind, key in (("sites", "site_id"), ("land", "parcel_id")):
        if kind in layers:
            frame = layers[kind][kind]
            ids = frame[key].map(_nearest(frame, key, substations, level, licence)) \
                if len(frame) else pd.Series(index=frame.index, dtype="str")
            if len(fixed) and len(frame):
                inside = _zone_of(frame, zones[zone_ids.isin(fixed.index).to_numpy()])
                ids = ids.where(inside.isna(), inside.map(fixed))
            out[kind] = frame.assign(substation_id=ids.astype("str"))
    serving["zones_set_by_scenario"] = len(fixed)
    serving["substations_used"] = int(by_zone.nunique())
    serving["zones_flagged"] = {flag: int(out["zones"]["serving_flag"].str.split(";").map(
        lambda f, flag=flag: flag in f).sum()) for flag in SERVING_FLAGS
        if flag not in ("ok", "set_by_scenario")}  # a choice, counted apart
    return out, serving


def _flags(table: pd.DataFrame, max_km: float, licensed: bool,
           fixed: set[str] | None = None) -> pd.Series:
    """``serving_flag`` per zone of an :func:`assign_zones` table indexed by zone_id."""
    parts = [np.where(table["distance_m"] > max_km * 1000.0, "beyond_max_distance", "")]
    if licensed:
        zone_dno, sub_dno = table["zone_dno"], table["substation_dno"]
        parts.append(np.where(zone_dno.isna(), "no_licence_area",
                              np.where(zone_dno.ne(sub_dno), "other_dno", "")))
    if fixed:
        parts.append(np.where(table.index.isin(list(fixed)), "set_by_scenario", ""))
    joined = [";".join(p for p in row if p) or "ok" for row in zip(*parts, strict=True)]
    return pd.Series(joined, index=table.index, dtype=object)


def _overridden(table: pd.DataFrame, zones: gpd.GeoDataFrame, substations: gpd.GeoDataFrame,
                level: str, fixed: pd.Series) -> pd.DataFrame:
    """Return ``table`` (indexed by zone_id) with the zones of ``fixed`` on its substations.

    Their ``distance_m`` is measured again (representative point to the substation), and
    ``substation_dno`` is the new substation's.
    """
    located = substations[(substations["level"] == level).to_numpy()
                          & substations.geometry.notna().to_numpy()
                          & ~substations.geometry.is_empty.to_numpy()]
    by_id = located.drop_duplicates("substation_id").set_index(
        located["substation_id"].astype(str).drop_duplicates().to_numpy())
    problems = Problems()
    for zone, substation in fixed.items():
        if str(zone) not in table.index:
            problems.add(f"grid.serving_overrides names zone {zone!r}, which is not in the "
                         f"zones layer ({len(table)} zones, e.g. {', '.join(table.index[:2])})",
                         fix="give a zone_id of the zones layer: zones.gpkg, column zone_id")
        if str(substation) not in by_id.index:
            problems.add(f"grid.serving_overrides sets zone {zone!r} to substation "
                         f"{substation!r}, which is not a located {level} substation of the "
                         f"grid files (e.g. {', '.join(by_id.index[:2])})",
                         fix=f"give the substation_id of a {level} substation: the substations "
                             "layer of plan.gpkg or of geoplan layers")
    problems.raise_if_any(ScenarioError)
    table = table.copy()
    ids = fixed.index.astype(str)
    chosen = fixed.astype(str).to_numpy()
    table.loc[ids, "substation_id"] = chosen
    points = zones.set_index(zones["zone_id"].astype(str)).geometry.loc[ids]
    table.loc[ids, "distance_m"] = shapely.distance(
        points.representative_point().to_numpy(), by_id.geometry.loc[chosen].to_numpy())
    if "substation_dno" in table.columns:
        table.loc[ids, "substation_dno"] = by_id["dno"].loc[chosen].to_numpy()
    return table


def _zone_of(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """Return the zone_id among ``zones`` holding each feature's representative point."""
    points = gpd.GeoDataFrame(geometry=frame.geometry.representative_point().to_numpy(),
                              crs=frame.crs, index=frame.index)
    held = gpd.sjoin(points, zones[["zone_id", "geometry"]], predicate="within", how="left")
    held = held[~held.index.duplicated(keep="first")]
    return held["zone_id"].astype(object).reindex(frame.index)


def without_dno(substations: gpd.GeoDataFrame, level: str) -> tuple[str, ...]:
    """Warn about substations of ``level`` that no licence area can route zones to."""
    lost = substations[(substations["level"] == level).to_numpy()
                       & substations["dno"].isna().to_numpy()]
    if lost.empty:
        return ()
    return (f"serving: {len(lost)} {level} substations have no DNO (e.g. "
            f"{', '.join(sorted(lost['substation_id'].astype(str))[:3])}), so no licence area "
            "routes zones to them; they serve only zones outside every licence area or of a "
            "DNO without substations (fix: read them from a DNO's own format, or add a 'dno' "
            "column to the file)",)


def serving_notes(zones: gpd.GeoDataFrame, max_km: float, level: str) -> tuple[str, ...]:
    """Count in warnings the zones whose serving substation is flagged."""
    flags = zones["serving_flag"].str.split(";")
    notes = []
    far = flags.map(lambda f: "beyond_max_distance" in f).to_numpy()
    if far.any():
        worst = float(zones.loc[far, "serving_distance_km"].max())
        notes.append(f"serving: {int(far.sum())} of {len(zones)} zones are served by a "
                     f"substation more than {max_km:g} km away (furthest {worst:.1f} km); "
                     "zones layer columns serving_flag, serving_distance_km (fix: add the grid "
                     "file of the DNO that serves them, or raise grid.max_serving_distance_km)")
    other = flags.map(lambda f: "other_dno" in f).to_numpy()
    if other.any():
        dnos = ", ".join(sorted(set(zones.loc[other, "licence_dno"].astype(str))))
        notes.append(f"serving: {int(other.sum())} of {len(zones)} zones lie in the licence "
                     f"area of a DNO with no located {level} substation in the grid files "
                     f"({dnos}); the nearest substation of another DNO serves them (zones "
                     "layer column serving_flag; fix: add that DNO's grid file)")
    fixed = flags.map(lambda f: "set_by_scenario" in f).to_numpy()
    if fixed.any():
        named = zones.loc[fixed, ["zone_id", "substation_id"]].astype(str).sort_values("zone_id")
        shown = "; ".join(f"{z}: {s}" for z, s in named.head(5).itertuples(index=False))
        more = f"; and {len(named) - 5} more" if len(named) > 5 else ""
        notes.append(f"serving: the scenario sets the substation of {int(fixed.sum())} of "
                     f"{len(zones)} zones (grid.serving_overrides: {shown}{more}); their homes, "
                     "sites and land parcels follow (zones layer column serving_flag)")
    lost = flags.map(lambda f: "no_licence_area" in f).to_numpy()
    if lost.any():
        notes.append(f"serving: {int(lost.sum())} of {len(zones)} zones lie in no licence "
                     "area; the nearest substation of any DNO serves them (zones layer column "
                     "serving_flag; fix: give licence areas that cover every zone)")
    return tuple(notes)


def _assign(frame: gpd.GeoDataFrame, key: str, substations: gpd.GeoDataFrame, level: str,
            licence: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """:func:`assign_zones` for any features keyed by ``key`` (as ``zone_id``)."""
    placed = gpd.GeoDataFrame({"zone_id": frame[key].astype(str).to_numpy()},
                              geometry=frame.geometry.to_numpy(), crs=frame.crs)
    return assign_zones(placed, substations, level=level, licence_areas=licence)


def _nearest(frame: gpd.GeoDataFrame, key: str, substations: gpd.GeoDataFrame, level: str,
             licence: gpd.GeoDataFrame | None) -> pd.Series:
    """Return the substation of ``level`` serving each feature's representative point."""
    return _assign(frame, key, substations, level, licence).set_index("zone_id")["substation_id"]
