"""Demand for public EV charging: where the EVs of households without a driveway are.

:func:`charger_demand` turns the ``ev_demand`` layer into weighted demand points.

**Zone demand.** ``evs x households_no_offstreet / households``: the zone's EVs in
``settings.ev_year`` (column ``evs_<year>`` when the layer has it, else ``evs_projected``)
owned by households without off-street parking, assuming those households own EVs at the
zone's average rate. Where households are unknown, the ``other`` row of
``layers/assumptions/offstreet_parking.csv`` (the national share) is used.

**Points.** With a buildings layer, each zone's demand is spread over its homes in proportion
to each home's chance of having no off-street parking (the share of its dwelling type in the
same table: a flat counts 0.6/0.05 = 12 times a detached house); with ``demand_cell_m`` the
homes of one zone are then gathered per square cell (demand added, point at the
demand-weighted centre) to keep the model small. Zones without homes, and every zone when
no buildings are given, are one point at a point inside the zone. Zone totals are kept exactly.

**Existing public chargers** count as covering. Each existing device is given the capacity of
its power class (the class at or below its kW, else the smallest class; ``evs_per_charger``
in ``charger_types.csv``). In the capacitated model that capacity is shared among the demand
points within reach in proportion to their demand, and each point's demand is reduced by
what it receives (never below zero): ``pre_covered_i = min(w_i, sum_k a_ik u_k w_i /
sum_i' a_i'k w_i')``. In the uncapacitated model a point within reach of an existing charger
is covered outright. ``demand`` is what is left for new sites.

Reach is the walking distance along the roads graph when ``settings.use_roads`` and a graph
is given (:func:`geoplan.layers.roads.walking_distances`), else the straight line
(:func:`geoplan.optimise.spatial.coverage_matrix`); :func:`reach_matrix` is the one rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geoplan.assumptions import read_assumptions
from geoplan.errors import LayerSchemaError
from geoplan.layers.ev import OFFSTREET_PARKING
from geoplan.layers.roads import walking_distances
from geoplan.optimise.spatial import coverage_matrix, points_xy
from geoplan.schemas import CRS
from geoplan.sources.cells import normalise_header
from geoplan.workstreams.charger_settings import ChargerSettings, read_charger_types

__all__ = ["DEMAND_COLUMNS", "ChargerDemand", "charger_demand", "existing_capacity", "reach_matrix"]

logger = logging.getLogger(__name__)

DEMAND_COLUMNS = ("point_id", "zone_id", "district_id", "evs", "pre_covered", "demand",
                  "geometry")
"""Columns of :attr:`ChargerDemand.points`."""


@dataclass(frozen=True)
class ChargerDemand:
    """Demand points for public charging and how reach is measured.

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        :data:`DEMAND_COLUMNS`: ``evs`` is the demand before existing chargers,
        ``pre_covered`` what existing chargers already serve, ``demand = evs - pre_covered``.
    walk_distance_m : float
        Reach of a charger.
    roads : networkx.Graph or None
        Graph for walking distances; None means straight-line reach.
    report : dict
        Totals (EVs, pre-covered, demand, points) and the method used.
    """

    points: gpd.GeoDataFrame
    walk_distance_m: float
    roads: nx.Graph | None = None
    report: dict[str, Any] = field(default_factory=dict)

    def district_totals(self) -> pd.DataFrame:
        """``evs``, ``pre_covered`` and ``demand`` per district."""
        return self.points.groupby("district_id")[["evs", "pre_covered", "demand"]].sum()

    def reach(self, destinations: gpd.GeoSeries | np.ndarray) -> sp.csr_matrix:
        """0/1 matrix: demand points x ``destinations`` within reach."""
        return reach_matrix(self.points.geometry, destinations, self.walk_distance_m,
                            self.roads)


def reach_matrix(origins: gpd.GeoSeries | np.ndarray, destinations: gpd.GeoSeries | np.ndarray,
                 distance_m: float, roads: nx.Graph | None = None) -> sp.csr_matrix:
    """Which destinations are within ``distance_m`` of each origin (0/1 sparse matrix).

    Along ``roads`` (:func:`geoplan.layers.roads.walking_distances`) when a graph is given, else in
    a straight line (:func:`geoplan.optimise.spatial.coverage_matrix`).
    """
    n_origins = len(origins)
    n_destinations = len(destinations)
    if n_origins == 0 or n_destinations == 0:
        return sp.csr_matrix((n_origins, n_destinations))
    if roads is not None:
        matrix = walking_distances(roads, origins, destinations, distance_m)
    else:
        matrix = coverage_matrix(origins, destinations, distance_m)
    matrix = sp.csr_matrix(matrix, dtype=float, copy=True)
    matrix.data = np.ones_like(matrix.data)
    return matrix


def charger_demand(ev_demand: pd.DataFrame, zones: gpd.GeoDataFrame,
                   settings: ChargerSettings | None = None, *,
                   buildings: gpd.GeoDataFrame | None = None,
                   chargers: gpd.GeoDataFrame | None = None, roads: nx.Graph | None = None,
                   parking: pd.DataFrame | None = None,
                   charger_types: pd.DataFrame | None = None) -> ChargerDemand:
    """Demand points for public charging (rules in the module docstring).

    Parameters
    ----------
    ev_demand : pandas.DataFrame
        The ``ev_demand`` layer.
    zones : geopandas.GeoDataFrame
        Zones with ``zone_id`` and ``district_id``.
    settings : ChargerSettings, optional
        Uses ``ev_year``, ``walk_distance_m``, ``use_roads``, ``capacitated`` and
        ``demand_cell_m``.
    buildings : geopandas.GeoDataFrame, optional
        Homes (``zone_id``, ``property_type``, ``built_form``, points).
    chargers : geopandas.GeoDataFrame, optional
        Existing public chargers (``kw``, points).
    roads : networkx.Graph, optional
        Walking network (used when ``settings.use_roads``).
    parking, charger_types : pandas.DataFrame, optional
        ``offstreet_parking`` and ``charger_types`` tables instead of the shipped ones.

    Raises
    ------
    LayerSchemaError
        Missing columns, or ev_demand zones that are not in ``zones``.
    """
    settings = settings or ChargerSettings()
    parking = parking if parking is not None else read_assumptions(OFFSTREET_PARKING)
    types = charger_types if charger_types is not None else read_charger_types()
    per_zone = _zone_demand(ev_demand, settings.ev_year, parking)
    zones = _zones(zones, per_zone)
    points = _points(per_zone, zones, buildings, parking, settings.demand_cell_m)
    graph = roads if settings.use_roads else None
    pre = _pre_covered(points, chargers, types, settings, graph)
    points["pre_covered"] = pre
    points["demand"] = np.maximum(points["evs"].to_numpy() - pre, 0.0)
    report = {"evs": float(points["evs"].sum()), "pre_covered": float(pre.sum()),
              "demand": float(points["demand"].sum()), "points": len(points),
              "existing_chargers": 0 if chargers is None else len(chargers),
              "reach": "roads" if graph is not None else "straight line",
              "ev_column": per_zone.attrs["ev_column"]}
    logger.info("charger demand: %d points, %.0f EVs, %.0f pre-covered", len(points),
                report["evs"], report["pre_covered"])
    return ChargerDemand(points[list(DEMAND_COLUMNS)], float(settings.walk_distance_m), graph,
                         report)


def _fail(message: str, fix: str) -> LayerSchemaError:
    return LayerSchemaError(f"{message} (fix: {fix})")


def _national_share(parking: pd.DataFrame) -> float:
    rows = parking[parking["dwelling_type"].astype(str) == "other"]
    return float(rows["share_no_offstreet"].iloc[0]) if len(rows) else 1.0


def _zone_demand(ev_demand: pd.DataFrame, year: int, parking: pd.DataFrame) -> pd.DataFrame:
    """EVs of households without off-street parking per zone."""
    column = f"evs_{year}" if f"evs_{year}" in ev_demand.columns else "evs_projected"
    needed = ["zone_id", "households", "households_no_offstreet", column]
    missing = [c for c in needed if c not in ev_demand.columns]
    if missing:
        raise _fail(f"ev_demand: columns {missing} are missing; columns found: "
                    f"{list(ev_demand.columns)}", "pass the ev_demand layer (geoplan.layers.ev)")
    planned = ev_demand.attrs.get("report", {}).get("plan_year")
    if column == "evs_projected" and planned is not None and int(planned) != int(year):
        logger.warning("ev_demand has no evs_%d column; using evs_projected (for %s)", year,
                       planned)
    homes = pd.to_numeric(ev_demand["households"], errors="coerce").astype(float)
    without = pd.to_numeric(ev_demand["households_no_offstreet"], errors="coerce").astype(float)
    share = (without / homes.where(homes > 0)).clip(0.0, 1.0)
    share = share.fillna(_national_share(parking)).to_numpy()
    evs = pd.to_numeric(ev_demand[column], errors="coerce").astype(float).fillna(0.0)
    frame = pd.DataFrame({"zone_id": ev_demand["zone_id"].astype(str).to_numpy(),
                          "evs": np.clip(evs.to_numpy(), 0.0, None) * share})
    frame.attrs["ev_column"] = column
    return frame


def _zones(zones: gpd.GeoDataFrame, per_zone: pd.DataFrame) -> gpd.GeoDataFrame:
    missing = [c for c in ("zone_id", "district_id") if c not in zones.columns]
    if missing:
        raise _fail(f"zones: columns {missing} are missing", "pass the canonical zones layer")
    zones = zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")
    unknown = sorted(set(per_zone["zone_id"]) - set(zones.index))
    if unknown:
        raise _fail(f"ev_demand: {len(unknown)} zone ids are not in the zones layer (e.g. "
                    f"{unknown[:3]})", "build ev_demand from the same zones")
    return zones


def _points(per_zone: pd.DataFrame, zones: gpd.GeoDataFrame,
            buildings: gpd.GeoDataFrame | None, parking: pd.DataFrame,
            cell_m: float | None) -> gpd.GeoDataFrame:
    """Demand points keeping each zone's total exactly."""
    demand = per_zone.set_index("zone_id")["evs"]
    demand = demand[demand > 0]
    parts = []
    covered: set[str] = set()
    if buildings is not None and len(buildings):
        homes = _home_points(buildings, demand, parking, cell_m)
        covered = set(homes["zone_id"])
        parts.append(homes)
    rest = [z for z in demand.index if z not in covered]
    if rest:
        inside = shapely.point_on_surface(zones.loc[rest].geometry.to_numpy())
        parts.append(pd.DataFrame({"zone_id": rest, "evs": demand.loc[rest].to_numpy(),
                                   "x": shapely.get_x(inside), "y": shapely.get_y(inside),
                                   "key": "zone"}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["zone_id", "evs", "x", "y", "key"])
    frame = frame.sort_values(["zone_id", "key"], kind="stable").reset_index(drop=True)
    frame["point_id"] = (frame["zone_id"].astype(str) + ":" + frame["key"].astype(str))
    frame["district_id"] = zones["district_id"].astype(str).reindex(
        frame["zone_id"]).to_numpy()
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=CRS)


def _home_weights(homes: gpd.GeoDataFrame, parking: pd.DataFrame) -> np.ndarray:
    """Share without off-street parking of each home's dwelling type.

    The property type is looked up first (a flat is a flat), then the built form (terrace,
    semi...); a home whose values name no dwelling type is ``other``. Each distinct value of
    a column is looked up once and mapped back to the homes.
    """
    lookup: dict[str, str] = {}
    for dwelling, aliases in zip(parking["dwelling_type"], parking["aliases"], strict=True):
        for name in [dwelling, *str(aliases).split(";")]:
            if name.strip():
                lookup.setdefault(normalise_header(name).replace("_", " "), dwelling)
    shares = parking.set_index("dwelling_type")["share_no_offstreet"].astype(float)
    national = _national_share(parking)
    weight = np.full(len(homes), np.nan)
    for column in [c for c in ("property_type", "built_form") if c in homes.columns]:
        codes, values = pd.factorize(homes[column])
        kinds = [lookup.get(normalise_header(v).replace("_", " ")) if isinstance(v, str)
                 else None for v in values]
        known = [k for k in kinds if k is not None]
        share = dict(zip(known, shares.reindex(known).fillna(national), strict=True))
        # one entry per distinct value, then NaN for code -1 (a missing value)
        per_value = np.array([share.get(k, np.nan) if k else np.nan for k in kinds] + [np.nan])
        weight = np.where(np.isnan(weight), per_value[codes], weight)
    other = shares.reindex(["other"]).fillna(national).iloc[0]
    return np.where(np.isnan(weight), other, weight)


_HOME_COLUMNS = ("zone_id", "property_type", "built_form", "building_id")
"""The buildings' columns a home's charging demand reads (besides its geometry)."""


def _home_points(buildings: gpd.GeoDataFrame, demand: pd.Series, parking: pd.DataFrame,
                 cell_m: float | None) -> pd.DataFrame:
    """Each zone's EVs spread over its homes by weight, gathered per cell (or per home).

    Homes are grouped on integer codes (zone, cell column, cell row); the text key of a
    point is written once per point, not once per home.
    """
    if "zone_id" not in buildings.columns:
        raise _fail("buildings: column zone_id is missing", "pass the canonical buildings layer")
    read = [c for c in (*_HOME_COLUMNS, buildings.geometry.name) if c in buildings.columns]
    homes = buildings[read]  # rows are taken from these columns only
    geoms = homes.geometry.to_numpy()
    kept = (homes["zone_id"].astype(str).isin(demand.index).to_numpy()
            & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if not kept.all():  # a boolean selection copies its columns even when it keeps every row
        homes = homes[kept]
    xy = points_xy(homes.geometry)
    zone, zone_ids = pd.factorize(homes["zone_id"].astype(str), sort=True)
    weight = _home_weights(homes, parking)
    total = pd.Series(weight).groupby(zone).transform("sum").to_numpy()
    evs = (demand.reindex(zone_ids).to_numpy(float)[zone] * weight
           / np.where(total > 0, total, 1.0))
    if cell_m:
        cells = np.floor(xy / float(cell_m)).astype(np.int64)
        keys = {"cx": cells[:, 0], "cy": cells[:, 1]}
    else:
        ids = (homes["building_id"].astype(str).to_numpy(dtype=object)
               if "building_id" in homes.columns else np.full(len(homes), None, dtype=object))
        missing = pd.isna(ids)  # a home without an id is a point of its own, never dropped
        taken = set(ids[~missing])
        ids[missing] = [_free_key(f"no id, row {label}", taken)
                        for label in homes.index[missing]]
        keys = {"home": ids}
    frame = pd.DataFrame({"zone": zone, **keys, "evs": evs, "wx": evs * xy[:, 0],
                          "wy": evs * xy[:, 1], "x0": xy[:, 0], "y0": xy[:, 1]})
    grouped = frame.groupby(["zone", *keys], sort=False).agg(
        evs=("evs", "sum"), wx=("wx", "sum"), wy=("wy", "sum"), x0=("x0", "mean"),
        y0=("y0", "mean")).reset_index()
    grouped["zone_id"] = np.asarray(zone_ids, dtype=object)[grouped["zone"].to_numpy()]
    grouped["key"] = ([f"{a}-{b}" for a, b in zip(grouped["cx"].tolist(),
                                                  grouped["cy"].tolist(), strict=True)]
                      if cell_m else grouped["home"].astype(str).tolist())
    positive = grouped["evs"] > 0
    grouped["x"] = np.where(positive, grouped["wx"] / grouped["evs"].where(positive, 1.0),
                            grouped["x0"])
    grouped["y"] = np.where(positive, grouped["wy"] / grouped["evs"].where(positive, 1.0),
                            grouped["y0"])
    return grouped[["zone_id", "evs", "x", "y", "key"]]


def _free_key(key: str, taken: set[str]) -> str:
    """``key``, primed until no building id has it."""
    while key in taken:
        key += "'"
    return key


def existing_capacity(chargers: gpd.GeoDataFrame, types: pd.DataFrame) -> np.ndarray:
    """EVs each existing device serves: its class's ``evs_per_charger``.

    The class is the largest at or below the device's kW (the smallest class when below all,
    or when the kW is unknown).
    """
    table = types.sort_values("charger_kw")
    classes = table["charger_kw"].to_numpy(dtype=float)
    served = table["evs_per_charger"].to_numpy(dtype=float)
    kw = pd.to_numeric(chargers["kw"], errors="coerce").to_numpy(dtype=float) if "kw" in \
        chargers.columns else np.full(len(chargers), np.nan)
    index = np.searchsorted(classes, np.nan_to_num(kw, nan=0.0), side="right") - 1
    return served[np.clip(index, 0, len(classes) - 1)]


def _pre_covered(points: gpd.GeoDataFrame, chargers: gpd.GeoDataFrame | None,
                 types: pd.DataFrame, settings: Any, roads: nx.Graph | None) -> np.ndarray:
    """Demand already served by existing chargers (module docstring)."""
    evs = points["evs"].to_numpy(dtype=float)
    if chargers is None or len(chargers) == 0 or len(points) == 0:
        return np.zeros(len(points))
    reach = reach_matrix(points.geometry, chargers.geometry, settings.walk_distance_m, roads)
    if not settings.capacitated:
        return np.where(np.diff(reach.indptr) > 0, evs, 0.0)
    capacity = existing_capacity(chargers, types)
    reachable = np.asarray(reach.T @ evs).ravel()
    per_ev = np.divide(capacity, reachable, out=np.zeros_like(capacity), where=reachable > 0)
    offered = np.asarray(reach @ per_ev).ravel() * evs
    return np.minimum(evs, offered)
