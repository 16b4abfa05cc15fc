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

from geoplan.distinct import map_distinct
from geoplan.layers.buildings import assign_zone_ids
from geoplan.layers.serving_overrides import apply_overrides, check_overrides
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

    Parameters
    ----------
    zones, substations : geopandas.GeoDataFrame
        The zones and substations layers.
    layers : Mapping
        Layer sets by kind (``buildings``, ``sites``, ``land``), those present served too.
    level : str
        The serving level (``grid.level``).
    licence : geopandas.GeoDataFrame or None
        DNO licence areas: each zone is served within its area's DNO.
    max_km : float
        Zones served from further away are flagged ``beyond_max_distance``.
    overrides : Mapping[str, str], optional
        Zone id -> substation id of ``level`` (scenario key ``grid.serving_overrides``):
        those zones, and the homes, sites and land parcels in them, are served there, and
        flagged ``set_by_scenario`` (instead of any automatic flag).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``zones`` (with ``serving_distance_km``, ``serving_flag`` and, with licence areas,
        ``licence_dno``), and ``buildings``, ``sites``, ``land`` when given.
    dict
        The serving report (counts of flags, overrides and substations used).

    Raises
    ------
    ScenarioError
        Listing every override whose zone or substation (of ``level``, with a location) is
        not in the layers (:func:`geoplan.layers.serving_overrides.check_overrides`).
    """
    table = _assign(zones, "zone_id", substations, level, licence).set_index("zone_id")
    fixed = dict(overrides or {})
    if fixed:
        check_overrides(fixed, table.index, substations, level)
        table = apply_overrides(table, zones, substations, fixed)
    by_zone = table["substation_id"]
    zone_ids = zones["zone_id"].astype(str)
    flags = _flags(table, max_km, licence is not None, set(fixed))
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
        ids = map_distinct(homes["zone_id"], by_zone)
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
            if fixed and len(frame):  # parcels by their zone_id, sites by where they lie
                held = frame["zone_id"].astype(object) if "zone_id" in frame.columns \
                    else assign_zone_ids(frame.geometry.representative_point(), zones)
                ids = ids.where(~held.isin(list(fixed)), held.map(fixed))
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
    joined = [";".join(p for p in row if p) or "ok" for row in zip(*parts, strict=True)]
    flags = pd.Series(joined, index=table.index, dtype=object)
    # the scenario's choice replaces the automatic flags, whose fixes would undo it
    return flags.mask(table.index.isin(list(fixed or ())), "set_by_scenario")


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
        furthest = float(zones.loc[fixed, "serving_distance_km"].max())
        notes.append(f"serving: the scenario sets the substation of {int(fixed.sum())} of "
                     f"{len(zones)} zones (grid.serving_overrides: {shown}{more}; furthest "
                     f"{furthest:.1f} km away); their homes, sites and land parcels follow "
                     "(zones layer column serving_flag)")
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
