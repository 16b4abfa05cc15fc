"""Zones whose serving substation the scenario sets (``grid.serving_overrides``).

:func:`check_overrides` names every entry that cannot apply (a zone not in the zones layer,
a substation that is not a located one of the serving level); :func:`apply_overrides` puts
the zones on the substations named, measuring their distance again. Used by
:func:`geoplan.layers.serving.serve` (features without a ``zone_id`` column, car-park sites,
follow the zone that holds them: :func:`geoplan.layers.buildings.assign_zone_ids`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
import shapely

from geoplan.errors import Problems, ScenarioError

__all__ = ["KEY", "apply_overrides", "check_overrides"]

KEY = "grid.serving_overrides"
"""The scenario key, as messages name it."""


def check_overrides(overrides: Mapping[str, str], zone_ids: pd.Index,
                    substations: gpd.GeoDataFrame, level: str) -> None:
    """Raise if an override's zone or substation is not in the layers.

    Parameters
    ----------
    overrides : Mapping[str, str]
        Zone id -> substation id.
    zone_ids : pandas.Index
        The zone ids of the zones layer.
    substations : geopandas.GeoDataFrame
        The substations layer (``substation_id``, ``level``, geometry).
    level : str
        The serving level (``grid.level``).

    Raises
    ------
    ScenarioError
        Listing every entry that cannot apply, with the closest id when one is near.
    """
    located = _located(substations)
    here = set(located.loc[located["level"] == level, "substation_id"])
    elsewhere = dict(zip(located["substation_id"], located["level"].astype(str), strict=True))
    zones = set(zone_ids.astype(str))
    problems = Problems()
    for zone, substation in overrides.items():
        if zone not in zones:
            problems.add(f"{KEY} names zone {zone!r}, which is not in the zones layer"
                         f"{_near(zone, zones)}",
                         fix="give a zone_id of the zones layer: zones.gpkg, column zone_id")
        if substation in here:
            continue
        why = (f"it is a {elsewhere[substation]} substation, and grid.level is {level}"
               if substation in elsewhere else
               f"no located substation has that id{_near(substation, here)}")
        problems.add(f"{KEY} sets zone {zone!r} to substation {substation!r}: {why}",
                     fix=f"give the substation_id of a {level} substation, from the "
                         "substations layer of plan.gpkg or of geoplan layers")
    problems.raise_if_any(ScenarioError)


def apply_overrides(table: pd.DataFrame, zones: gpd.GeoDataFrame,
                    substations: gpd.GeoDataFrame, overrides: Mapping[str, str]
                    ) -> pd.DataFrame:
    """Return the assignment ``table`` with the overridden zones on their substations.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`geoplan.layers.supply.assign_zones`'s table, indexed by zone_id.
    zones : geopandas.GeoDataFrame
        The zones layer.
    substations : geopandas.GeoDataFrame
        The substations layer.
    overrides : Mapping[str, str]
        Zone id -> substation id, checked by :func:`check_overrides`.

    Returns
    -------
    pandas.DataFrame
        A copy: ``substation_id`` set, ``distance_m`` from each zone's representative point
        to the substation, and ``substation_dno`` (when present) the substation's DNO.
    """
    located = _located(substations).drop_duplicates("substation_id").set_index(
        "substation_id")
    ids, chosen = list(overrides), list(overrides.values())
    table = table.copy()
    table.loc[ids, "substation_id"] = chosen
    points = zones.set_index(zones["zone_id"].astype(str)).geometry.loc[ids]
    table.loc[ids, "distance_m"] = shapely.distance(
        points.representative_point().to_numpy(), located.geometry.loc[chosen].to_numpy())
    if "substation_dno" in table.columns:
        table.loc[ids, "substation_dno"] = located["dno"].loc[chosen].to_numpy()
    return table


def _located(substations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = substations.geometry
    keep = (geoms.notna() & ~geoms.is_empty).to_numpy()
    return substations[keep].assign(substation_id=substations.loc[keep, "substation_id"]
                                    .astype(str))


def _near(value: str, known: set[str]) -> str:
    """``" (did you mean 'X'?)"`` for the closest known id, ignoring case; else ``""``."""
    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(value.strip().lower(), list(lower), n=1, cutoff=0.8)
    return f" (did you mean {lower[close[0]]!r}?)" if close else ""
