"""EV charging demand per planning zone, as an ``ev_demand`` layer.

:func:`ev_demand_from_tables` joins four inputs on the zones:

**Vehicles** (``evs_now``): plug-in cars and vans per area, DfT/ONS style, with an area code
column (:func:`find_code_column`) and vehicle columns, added up (named, or the columns naming
ULEVs, plug-in vehicles, BEVs or PHEVs, unless several of them name years or quarters). Codes
that are zone ids join directly (other codes, e.g. the rest of a national table, are left out
and counted). Codes of another geography (MSOA values for LSOA zones, 2011 areas for 2021
zones) need that geography's polygons, ``vehicle_areas=``, and are **apportioned** by
area-weighted overlay (:func:`apportion`): the part of an area that no zone covers takes its
area share of the vehicles (left out, reported); the rest is split between the overlapping
zone pieces in proportion to the households in each piece (a zone's households taken as evenly
spread over it), or to piece area where households are unknown in any zone the area touches.

**Households**: a census-style table keyed by zone with ``households`` and optionally
``households_no_offstreet``; missing values are estimated from a **dwelling mix** (counts per
dwelling type and zone, e.g. an EPC summary) with the shares of households without off-street
parking per type in ``layers/assumptions/offstreet_parking.csv``
(:func:`households_from_mix`). Without either, the columns are NaN (warned).

**Chargers** (``public_chargers_now``): points of a ``chargers`` layer in each zone
(:func:`chargers_per_zone`).

**Uptake** (``evs_projected``, ``evs_<year>``): county EV totals by year such as
``{2025: 60000, 2030: 120000}``, reached by scaling every zone's current EVs by one county
factor per year (:func:`project_evs`).

The parts live in :mod:`geoplan.sources.zone_tables` (reading code-keyed tables),
:mod:`geoplan.layers.households` and :mod:`geoplan.layers.ev_projection`; their public names are
re-exported here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import LayerSchemaError, SourceFormatError
from geoplan.layers.apportion import spread
from geoplan.layers.ev_projection import is_whole_year, project_evs
from geoplan.layers.households import OFFSTREET_PARKING, households_from_mix, households_per_zone
from geoplan.schemas import CRS, EV_DEMAND, validate_layer
from geoplan.sources.cells import normalise_header
from geoplan.sources.chargepoint_registry import ChargerRecords
from geoplan.sources.vector import read_vector, to_bng
from geoplan.sources.zone_tables import (
    Table,
    area_codes,
    count_columns,
    find_code_column,
    read_table,
    record_warning,
    schema_error,
)

__all__ = [
    "OFFSTREET_PARKING",
    "apportion",
    "chargers_per_zone",
    "ev_demand_from_tables",
    "find_code_column",
    "households_from_mix",
    "pick_vehicle_columns",
    "project_evs",
]

logger = logging.getLogger(__name__)


_PERIOD = re.compile(r"(19|20)\d\d|q[1-4]")
_VEHICLE_NAME = re.compile(r"ulev|plug[ _-]?in|\bbevs?\b|\bphevs?\b|(^|_)bevs?($|_)|"
                           r"(^|_)phevs?($|_)")


def ev_demand_from_tables(
    zones: gpd.GeoDataFrame,
    vehicles: Table,
    *,
    code_column: str | None = None,
    vehicle_columns: Sequence[str] | None = None,
    vehicle_areas: gpd.GeoDataFrame | str | Path | None = None,
    households: Table | None = None,
    dwelling_mix: Table | None = None,
    chargers: gpd.GeoDataFrame | ChargerRecords | None = None,
    uptake: Mapping[int, float] | None = None,
    plan_year: int = 2030,
    base_year: int | None = None,
    parking_table: str | Path | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the ``ev_demand`` layer (module docstring) for ``zones``.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Planning zones with ``zone_id`` (e.g. the canonical ``zones`` layer).
    vehicles : pandas.DataFrame or path
        Plug-in vehicles per area (CSV path or frame).
    code_column : str, optional
        Area code column of ``vehicles`` (default: :func:`find_code_column`).
    vehicle_columns : sequence of str, optional
        Columns to add up as EVs (default: those naming ULEVs or plug-in vehicles).
    vehicle_areas : geopandas.GeoDataFrame or path, optional
        Polygons of the vehicle table's areas, to apportion to zones (see :func:`apportion`).
    households, dwelling_mix : pandas.DataFrame or path, optional
        Households per zone, and dwelling counts per type and zone.
    chargers : geopandas.GeoDataFrame or ChargerRecords, optional
        Existing public chargers (points); without them ``public_chargers_now`` is <NA>.
    uptake : mapping of int to float, optional
        County EV totals by year; without it ``evs_projected`` equals ``evs_now``.
    plan_year : int
        Year of ``evs_projected``.
    base_year : int, optional
        Year of the vehicle data, the start of the uptake curve.
    parking_table : path or pandas.DataFrame, optional
        An ``offstreet_parking`` table instead of the default.

    Returns
    -------
    pandas.DataFrame
        :data:`~geoplan.schemas.EV_DEMAND` columns, then ``evs_<year>`` for every uptake year;
        sorted by ``zone_id``. ``attrs["report"]`` holds county totals and what was left out;
        ``attrs["warnings"]`` lists the warnings.

    Raises
    ------
    LayerSchemaError
        Missing code or vehicle columns (the columns found are listed), repeated or blank
        codes, codes matching no zone without ``vehicle_areas``, zones without ``zone_id``.
    SourceFormatError
        A cell that should be a number is not (file, row and column named).
    ScenarioError, MissingCRSError
        A bad uptake curve (:func:`project_evs`); a spatial input without CRS.
    """
    zones = _zones(zones)
    warnings: list[str] = []
    report: dict[str, object] = {}
    homes = households_per_zone(zones, households, dwelling_mix, parking_table, warnings)
    evs = _evs_now(zones, vehicles, (code_column, vehicle_columns), vehicle_areas,
                   homes["households"].set_axis(zones.index), warnings, report)
    frame = pd.DataFrame({"zone_id": zones["zone_id"].astype(str).to_numpy(),
                          "households": homes["households"].to_numpy(),
                          "households_no_offstreet": homes["households_no_offstreet"].to_numpy(),
                          "evs_now": evs.to_numpy()})
    years = sorted(int(y) for y in uptake if is_whole_year(y)) if uptake else []
    projected = (project_evs(evs, uptake, [*years, plan_year], base_year=base_year)
                 if uptake else pd.DataFrame({f"evs_{plan_year}": evs}))
    frame["evs_projected"] = projected[f"evs_{plan_year}"].to_numpy()
    frame["public_chargers_now"] = _chargers(zones, chargers, warnings)
    for year in years:
        frame[f"evs_{year}"] = projected[f"evs_{year}"].to_numpy()
    frame = frame.sort_values("zone_id", kind="stable").reset_index(drop=True)
    validate_layer(frame, EV_DEMAND, "ev_demand")
    report.update(evs_now=float(frame["evs_now"].sum()),
                  evs_projected=float(frame["evs_projected"].sum()), plan_year=plan_year)
    frame.attrs["report"], frame.attrs["warnings"] = report, warnings
    return frame


def _zones(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(zones, gpd.GeoDataFrame) or "zone_id" not in zones.columns:
        shown = list(getattr(zones, "columns", []))
        raise schema_error("zones", "needs a GeoDataFrame with a zone_id column; got columns "
                           f"{shown}", "pass the canonical zones layer (geoplan.zones_from_file)")
    zones = to_bng(zones, "zones")
    return zones.sort_values("zone_id", kind="stable").reset_index(drop=True)


# --- tables ---------------------------------------------------------------------------------


def pick_vehicle_columns(frame: pd.DataFrame, code: str, source: str) -> list[str]:
    """Return the columns of a vehicle table that hold plug-in vehicles (module docstring).

    Raises
    ------
    LayerSchemaError
        None, or several of different dates (the columns found are listed).
    """
    return _vehicle_columns(frame, code, None, source)


def _vehicle_columns(frame: pd.DataFrame, code: str, given: Sequence[str] | None,
                     source: str) -> list[str]:
    columns = [c for c in frame.columns if c != code]
    if given is not None:
        lookup = {normalise_header(c): c for c in columns}
        missing = [g for g in given if normalise_header(g) not in lookup]
        if missing or not given:
            raise schema_error(source, f"vehicle_columns {missing or list(given)} not found; "
                               f"columns found: {list(frame.columns)}",
                               "pass existing vehicle columns")
        return [lookup[normalise_header(g)] for g in given]
    hits = [c for c in columns if _VEHICLE_NAME.search(normalise_header(c))
            and "charg" not in normalise_header(c)]
    dated = len(hits) > 1 and any(_PERIOD.search(normalise_header(c)) for c in hits)
    if not hits or dated:
        what = f"several columns {hits} of different dates could" if hits else "no column"
        raise schema_error(source, f"{what} hold the vehicle counts; columns found: "
                           f"{list(frame.columns)}", "pass vehicle_columns= naming the plug-in car "
                           "and van columns to add up")
    return hits


# --- vehicles -------------------------------------------------------------------------------

def _evs_now(zones: gpd.GeoDataFrame, vehicles: Table,
             columns_given: tuple[str | None, Sequence[str] | None],
             vehicle_areas: gpd.GeoDataFrame | str | Path | None,
             households: pd.Series, warnings: list[str],
             report: dict[str, object]) -> pd.Series:
    """EVs per zone (aligned with ``zones``), directly or by apportionment."""
    table, source = read_table(vehicles, "vehicles")
    code = find_code_column(list(table.columns), columns_given[0], source=source)
    columns = _vehicle_columns(table, code, columns_given[1], source)
    codes = area_codes(table, code, source)
    values = _counts(table, columns, source, warnings)
    per_area = pd.Series(values.to_numpy(), index=codes.to_numpy(), dtype=float)
    report.update(vehicle_columns=columns, vehicles_read=float(per_area.sum()))
    zone_ids = pd.Index(zones["zone_id"].astype(str))
    if vehicle_areas is None:
        matched = per_area.index.isin(zone_ids)
        if not matched.any():
            raise schema_error(source, f"area codes (e.g. {list(per_area.index[:3])}) match no "
                               f"zone id (e.g. {list(zone_ids[:3])})", "pass vehicle_areas= with "
                               "the polygons of the vehicle table's areas to apportion them to "
                               "the zones (in a scenario inputs.vehicles: {path: ..., areas: "
                               "..., lookup: ...}; on the command line --areas, --lookup)",
                               column=code)
        _left_out(per_area[~matched], "are not zone ids", source, warnings, report)
        absent = ~zone_ids.isin(per_area.index)
        if absent.any():
            record_warning(warnings, f"{source}: {int(absent.sum())} zones have no row (e.g. "
                           f"{list(zone_ids[absent][:5])}); they get 0 EVs")
        return per_area[matched].reindex(zone_ids, fill_value=0.0).set_axis(zones.index)
    areas = _areas(vehicle_areas, code)
    known = households if households.notna().any() else None
    spread, lost = apportion(per_area, areas, zones, known)
    _left_out(per_area[~per_area.index.isin(areas.index)], "have no polygon in vehicle_areas",
              source, warnings, report)
    if lost > 0:
        record_warning(warnings, f"{source}: {lost:.1f} vehicles live in parts of the vehicle "
                       "areas outside every zone and were left out")
    report["vehicles_outside_zones"] = lost
    return spread


def _counts(table: pd.DataFrame, columns: list[str], source: str,
            warnings: list[str]) -> pd.Series:
    """Sum of the vehicle columns per row; DfT suppression marks ([c], [x]...) count as 0."""
    return count_columns(table, columns, source, warnings).sum(axis=1).astype(float)


def _left_out(values: pd.Series, why: str, source: str, warnings: list[str],
              report: dict[str, object]) -> None:
    report["codes_left_out"] = sorted(values.index)
    report["vehicles_left_out"] = float(values.sum())
    if len(values):
        record_warning(warnings, f"{source}: {len(values)} area codes {why} (e.g. "
                       f"{sorted(values.index)[:5]}); their {values.sum():g} vehicles were "
                       "left out")


def _areas(vehicle_areas: gpd.GeoDataFrame | str | Path, code: str) -> gpd.GeoSeries:
    """Polygons of the vehicle geography, in EPSG:27700, indexed by area code."""
    if isinstance(vehicle_areas, gpd.GeoDataFrame):
        frame, source = vehicle_areas, "vehicle_areas"
    else:
        frame, source = read_vector(vehicle_areas), Path(str(vehicle_areas)).name
        if not isinstance(frame, gpd.GeoDataFrame):
            raise SourceFormatError(f"{source}: has no geometry (fix: give area polygons)")
    frame = to_bng(frame, source)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    try:
        column = find_code_column(columns, code, source=source)
    except LayerSchemaError:
        column = find_code_column(columns, source=source)
    codes = frame[column].astype(str).str.strip()
    geoms = shapely.make_valid(frame.geometry.values)
    return gpd.GeoSeries(geoms, index=pd.Index(codes), crs=CRS)


def apportion(values: pd.Series, areas: gpd.GeoSeries, zones: gpd.GeoDataFrame,
              households: pd.Series | None = None) -> tuple[pd.Series, float]:
    """Spread per-area values over zones by area-weighted overlay (module docstring).

    :func:`geoplan.layers.apportion.spread` keeping every overlap (no sliver rule), for one
    column of values.

    Parameters
    ----------
    values : pandas.Series
        Value per area code.
    areas : geopandas.GeoSeries
        Area polygons indexed by area code, EPSG:27700.
    zones : geopandas.GeoDataFrame
        Zone polygons, EPSG:27700.
    households : pandas.Series, optional
        Households per zone (aligned with ``zones``); NaN where unknown.

    Returns
    -------
    spread : pandas.Series
        Value per zone, aligned with ``zones``.
    lost : float
        Value of the area parts that no zone covers.
    """
    areas = areas[areas.index.isin(values.index)]
    if not areas.index.is_unique:  # an area split over several features: one polygon
        areas = gpd.GeoSeries(areas.groupby(level=0, sort=False).agg(shapely.union_all),
                              crs=areas.crs)
    weights = None if households is None else households.set_axis(zones.index)
    result, outside, _ = spread(values.to_frame("value"), areas, zones, weights, sliver=0.0)
    return result["value"].fillna(0.0), float(outside["value"])


# --- households -----------------------------------------------------------------------------


# --- chargers -------------------------------------------------------------------------------

def chargers_per_zone(zones: gpd.GeoDataFrame, chargers: gpd.GeoDataFrame) -> pd.Series:
    """Count the chargers in each zone, aligned with ``zones`` (Int64).

    A charger on a boundary shared by several zones counts once, for the first zone in the
    order of ``zones``; chargers outside every zone are not counted. Non-point geometries
    count at their representative point.
    """
    points = to_bng(chargers, "chargers").geometry.values
    points = points[~(shapely.is_missing(points) | shapely.is_empty(points))]
    points = shapely.point_on_surface(points)
    charger_pos, zone_pos = gpd.GeoSeries(zones.geometry.values).sindex.query(
        points, predicate="intersects")
    first = pd.Series(zone_pos).groupby(charger_pos).min()
    counts = np.bincount(first.to_numpy(dtype=int), minlength=len(zones))
    return pd.Series(pd.array(counts, dtype="Int64"), index=zones.index)


def _chargers(zones: gpd.GeoDataFrame, chargers: gpd.GeoDataFrame | ChargerRecords | None,
              warnings: list[str]) -> pd.arrays.IntegerArray:
    if chargers is None:
        record_warning(warnings, "ev_demand: no chargers given; public_chargers_now is <NA>")
        return pd.array([pd.NA] * len(zones), dtype="Int64")
    frame = chargers.frame if isinstance(chargers, ChargerRecords) else chargers
    return chargers_per_zone(zones, frame).array


# --- projection -----------------------------------------------------------------------------


