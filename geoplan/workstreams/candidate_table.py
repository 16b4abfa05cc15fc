"""Shared plumbing of the buildings workstreams: zone attributes and the final candidates table."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.schemas import CANDIDATES, CRS, validate_layer

__all__ = ["finish_candidates", "zone_frame"]

_EXTRAS_FIRST = ("label", "option", "saving_gbp_per_yr", "lifetime_years", "homes",
                 "homes_to_target", "fuel_poor_homes", "heat_mwh_per_yr")


def zone_frame(homes: pd.DataFrame, zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Give one row per zone with its place name, district, substation, area and polygon.

    Columns ``zone_id``, ``place``, ``district_id``, ``substation_id``, ``area_m2`` and
    ``geometry``. From ``zones`` when given (its ``substation_id`` column, else the commonest
    ``substation_id`` of the zone's homes, else ""); otherwise from the homes, with the
    convex hull of their points as geometry.
    """
    if zones is None:
        placed = homes[homes["zone_id"].notna()]
        served = _home_substations(placed)
        points = gpd.GeoDataFrame(placed[["zone_id"]], geometry=gpd.GeoSeries(
            placed["geometry"]).to_numpy() if "geometry" in placed else None, crs=CRS)
        hulls = points.dissolve(by="zone_id").convex_hull
        district = (placed.groupby("zone_id")["district_id"].first()
                    if "district_id" in placed.columns else pd.Series(dtype=str))
        out = pd.DataFrame({"zone_id": hulls.index.astype(str), "place": hulls.index.astype(str),
                            "geometry": hulls.to_numpy()})
        out["district_id"] = out["zone_id"].map(district).fillna("")
        out["substation_id"] = out["zone_id"].map(served).astype(object).fillna("")
    else:
        out = pd.DataFrame({
            "zone_id": zones["zone_id"].astype(str).to_numpy(),
            "place": zones.get("zone_name", zones["zone_id"]).astype(object).fillna(
                pd.Series(zones["zone_id"].to_numpy(), index=zones.index)).astype(str)
            .to_numpy(),
            "district_id": zones["district_id"].astype(object).fillna("").astype(str)
            .to_numpy() if "district_id" in zones.columns else "",
            "geometry": zones.geometry.to_numpy()})
        if "substation_id" in zones.columns:
            out["substation_id"] = zones["substation_id"].astype(object).fillna("").astype(
                str).to_numpy()
        else:
            served = _home_substations(homes)
            out["substation_id"] = out["zone_id"].map(served).astype(object).fillna("")
    out["area_m2"] = gpd.GeoSeries(out["geometry"], crs=CRS).area.to_numpy()
    return out


def _home_substations(homes: pd.DataFrame) -> pd.Series:
    if "substation_id" not in homes.columns:
        return pd.Series(dtype=str)
    pairs = homes[["zone_id", "substation_id"]]  # two columns, not a copy of every home
    known = pairs[pairs["zone_id"].notna() & pairs["substation_id"].notna()]
    counts = known.groupby(["zone_id", "substation_id"]).size().reset_index(name="n")
    counts = counts.sort_values(["zone_id", "n", "substation_id"],
                                ascending=[True, False, True])
    return counts.drop_duplicates("zone_id").set_index("zone_id")["substation_id"].astype(str)


def finish_candidates(table: pd.DataFrame, workstream: str) -> gpd.GeoDataFrame:
    """Order, type and check a workstream's candidates (canonical columns first).

    Drops the helper columns ``place`` and ``area_m2``; sorts by ``candidate_id``.
    """
    table = table.drop(columns=[c for c in ("place", "area_m2") if c in table.columns])
    table = table.assign(workstream=workstream)
    for column in ("district_id", "substation_id"):
        if column not in table.columns:
            table[column] = ""
    canonical = [c for c in CANDIDATES.columns if c != "geometry"]
    for column in canonical:
        kind = CANDIDATES.columns[column]
        if kind == "str":
            table[column] = table[column].astype(object).fillna("").astype(str)
        else:
            table[column] = pd.to_numeric(table[column]).astype("float64")
    first = [c for c in _EXTRAS_FIRST if c in table.columns]
    extras = first + [c for c in table.columns if c not in (*canonical, "geometry", *first)]
    table = table.sort_values("candidate_id", kind="stable").reset_index(drop=True)
    geometry = table["geometry"] if "geometry" in table.columns else pd.Series(
        np.full(len(table), None, dtype=object))
    out = gpd.GeoDataFrame(table[canonical + extras], geometry=gpd.GeoSeries(
        geometry.to_numpy(), crs=CRS), crs=CRS)
    out = out[[*canonical, "geometry", *extras]]
    validate_layer(out, CANDIDATES, source=f"{workstream} candidates")
    return out
