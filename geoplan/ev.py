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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import LayerSchemaError, Problem, Problems, ScenarioError, SourceFormatError
from geoplan.schemas import CRS, EV_DEMAND, validate_layer
from geoplan.sources._cells import is_blank, normalise_header, parse_numbers, read_csv_text
from geoplan.sources.chargepoint_registry import ChargerRecords
from geoplan.vector import read_vector, to_bng

__all__ = [
    "OFFSTREET_PARKING",
    "apportion",
    "chargers_per_zone",
    "ev_demand_from_tables",
    "find_code_column",
    "households_from_mix",
    "project_evs",
]

logger = logging.getLogger(__name__)

OFFSTREET_PARKING = AssumptionTable(
    "offstreet_parking",
    key=("dwelling_type",),
    numbers={"share_no_offstreet": 0.0},
    text=("aliases",),
)
"""Share of households without off-street parking per dwelling type, with ``;``-separated
``aliases`` that name the type in dwelling-mix tables."""

Table = pd.DataFrame | str | Path
_CODE_PATTERNS = (
    re.compile(r"zone[ _]?id"),
    re.compile(r"(oa|lsoa|msoa|dz|iz|lad|ltla|utla)(\d\d)?[ _]?(cd|code)"),
    re.compile(r"(geography|area|zone)[ _]?code"),
)
_LEVELS = ("oa", "lsoa", "dz", "msoa", "iz", "lad", "ltla", "utla")
_SUPPRESSED = re.compile(r"\[?[cxz]\]?|\.\.|:|\[low\]")
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
    homes = _households(zones, households, dwelling_mix, parking_table, warnings)
    evs = _evs_now(zones, vehicles, (code_column, vehicle_columns), vehicle_areas,
                   homes["households"].set_axis(zones.index), warnings, report)
    frame = pd.DataFrame({"zone_id": zones["zone_id"].astype(str).to_numpy(),
                          "households": homes["households"].to_numpy(),
                          "households_no_offstreet": homes["households_no_offstreet"].to_numpy(),
                          "evs_now": evs.to_numpy()})
    years = sorted(int(y) for y in uptake if _whole(y)) if uptake else []
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


def _warn(warnings: list[str], message: str) -> None:
    logger.warning("%s", message)
    warnings.append(message)


def _fail(source: str, message: str, fix: str, column: str | None = None) -> LayerSchemaError:
    return LayerSchemaError(f"{source}: {message}",
                            [Problem(message, file=source, column=column, fix=fix)])


def _zones(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(zones, gpd.GeoDataFrame) or "zone_id" not in zones.columns:
        shown = list(getattr(zones, "columns", []))
        raise _fail("zones", f"needs a GeoDataFrame with a zone_id column; got columns {shown}",
                    "pass the canonical zones layer (geoplan.zones_from_file)")
    zones = to_bng(zones, "zones")
    return zones.sort_values("zone_id", kind="stable").reset_index(drop=True)


# --- tables ---------------------------------------------------------------------------------

def _read_table(data: Table, what: str) -> tuple[pd.DataFrame, str]:
    """Read a table as text cells (CSV path) or take it as given (frame), minus blank rows."""
    if isinstance(data, pd.DataFrame):
        frame, source = data.copy(), f"{what} table"
    else:
        frame, source = read_csv_text(Path(data)), Path(data).name
    frame.columns = [str(c).strip() for c in frame.columns]
    blank = frame.apply(lambda row: all(is_blank(v) for v in row), axis=1) if len(frame) else []
    return frame[~np.asarray(blank, dtype=bool)], source


def find_code_column(columns: Sequence[str], given: str | None = None, *,
                     source: str = "table") -> str:
    """Name of the area code column among ``columns``.

    ``given`` is matched ignoring case; otherwise the first rule that matches wins:
    ``zone_id``; an ONS/DfT code header (``LSOA21CD``, ``MSOA11CD``, ``LSOA code``, ``LAD22CD``,
    ...; finest geography first); ``geography code``, ``area code``.

    Raises
    ------
    LayerSchemaError
        If no column matches; the message lists the columns found.

    Examples
    --------
    >>> find_code_column(["MSOA11CD", "MSOA11NM", "LAD21CD", "ulevs"])
    'MSOA11CD'
    """
    if given is not None:
        found = next((c for c in columns if normalise_header(c) == normalise_header(given)),
                     None)
        if found is None:
            raise _fail(source, f"code_column={given!r} is not a column; columns found: "
                        f"{list(columns)}", "pass one of those columns as code_column=")
        return found
    for pattern in _CODE_PATTERNS:
        hits = [c for c in columns if pattern.fullmatch(normalise_header(c))]
        if hits:
            return min(hits, key=lambda c: (_level(c), list(columns).index(c)))
    raise _fail(source, f"no area code column found; columns found: {list(columns)}",
                "add a column of area codes (e.g. LSOA21CD) or pass code_column=")


def _level(column: str) -> int:
    name = normalise_header(column)
    return next((i for i, level in enumerate(_LEVELS) if name.startswith(level)), len(_LEVELS))


def _numbers(frame: pd.DataFrame, columns: Sequence[str], source: str) -> pd.DataFrame:
    """Parse ``columns`` as numbers, listing every bad cell with its spreadsheet row."""
    problems = Problems(source)
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values, bad = parse_numbers(frame[column])
        for label, message in bad:
            problems.add(message, row=frame.index.get_loc(label) + 2, column=column,
                         fix="enter a number or leave the cell empty")
        out[column] = values
    problems.raise_if_any(SourceFormatError)
    return out


def _keyed(frame: pd.DataFrame, code: str, source: str) -> pd.Series:
    """Codes as text; refuse blank or repeated codes."""
    codes = frame[code].map(lambda v: None if is_blank(v) else str(v).strip())
    problems = Problems(source)
    repeated = (codes.notna() & codes.duplicated(keep="first")).to_numpy()
    for position in np.flatnonzero(codes.isna().to_numpy() | repeated):
        if repeated[position]:
            problems.add(f"area code {codes.iloc[position]!r} repeats an earlier row",
                         row=int(position) + 2, column=code,
                         fix="keep one row per area (e.g. filter a keepership or fuel column)")
        else:
            problems.add("area code is blank", row=int(position) + 2, column=code,
                         fix="give every row an area code or delete the row")
    problems.raise_if_any(LayerSchemaError)
    return codes


def _vehicle_columns(frame: pd.DataFrame, code: str, given: Sequence[str] | None,
                     source: str) -> list[str]:
    columns = [c for c in frame.columns if c != code]
    if given is not None:
        lookup = {normalise_header(c): c for c in columns}
        missing = [g for g in given if normalise_header(g) not in lookup]
        if missing or not given:
            raise _fail(source, f"vehicle_columns {missing or list(given)} not found; columns "
                        f"found: {list(frame.columns)}", "pass existing vehicle columns")
        return [lookup[normalise_header(g)] for g in given]
    hits = [c for c in columns if _VEHICLE_NAME.search(normalise_header(c))
            and "charg" not in normalise_header(c)]
    dated = len(hits) > 1 and any(_PERIOD.search(normalise_header(c)) for c in hits)
    if not hits or dated:
        what = f"several columns {hits} of different dates could" if hits else "no column"
        raise _fail(source, f"{what} hold the vehicle counts; columns found: "
                    f"{list(frame.columns)}", "pass vehicle_columns= naming the plug-in car "
                    "and van columns to add up")
    return hits


# --- vehicles -------------------------------------------------------------------------------

def _evs_now(zones: gpd.GeoDataFrame, vehicles: Table,
             columns_given: tuple[str | None, Sequence[str] | None], vehicle_areas: object,
             households: pd.Series, warnings: list[str],
             report: dict[str, object]) -> pd.Series:
    """EVs per zone (aligned with ``zones``), directly or by apportionment."""
    table, source = _read_table(vehicles, "vehicles")
    code = find_code_column(list(table.columns), columns_given[0], source=source)
    columns = _vehicle_columns(table, code, columns_given[1], source)
    codes = _keyed(table, code, source)
    values = _counts(table, columns, source, warnings)
    per_area = pd.Series(values.to_numpy(), index=codes.to_numpy(), dtype=float)
    report.update(vehicle_columns=columns, vehicles_read=float(per_area.sum()))
    zone_ids = pd.Index(zones["zone_id"].astype(str))
    if vehicle_areas is None:
        matched = per_area.index.isin(zone_ids)
        if not matched.any():
            raise _fail(source, f"area codes (e.g. {list(per_area.index[:3])}) match no zone id "
                        f"(e.g. {list(zone_ids[:3])})", "pass vehicle_areas= with the polygons "
                        "of the vehicle table's areas to apportion them to the zones",
                        column=code)
        _left_out(per_area[~matched], "are not zone ids", source, warnings, report)
        absent = ~zone_ids.isin(per_area.index)
        if absent.any():
            _warn(warnings, f"{source}: {int(absent.sum())} zones have no row (e.g. "
                  f"{list(zone_ids[absent][:5])}); they get 0 EVs")
        return per_area[matched].reindex(zone_ids, fill_value=0.0).set_axis(zones.index)
    areas = _areas(vehicle_areas, code)
    known = households if households.notna().any() else None
    spread, lost = apportion(per_area, areas, zones, known)
    _left_out(per_area[~per_area.index.isin(areas.index)], "have no polygon in vehicle_areas",
              source, warnings, report)
    if lost > 0:
        _warn(warnings, f"{source}: {lost:.1f} vehicles live in parts of the vehicle areas "
              "outside every zone and were left out")
    report["vehicles_outside_zones"] = lost
    return spread


def _counts(table: pd.DataFrame, columns: list[str], source: str,
            warnings: list[str]) -> pd.Series:
    """Sum of the vehicle columns per row; DfT suppression marks ([c], [x]...) count as 0."""
    cells = table[columns].astype(object)
    suppressed = cells.map(lambda v: isinstance(v, str) and bool(_SUPPRESSED.fullmatch(
        v.strip().casefold())))
    if suppressed.to_numpy().any():
        _warn(warnings, f"{source}: {int(suppressed.to_numpy().sum())} suppressed cells (such "
              "as '[c]') were counted as 0 vehicles")
    return _numbers(cells.mask(suppressed, ""), columns, source).sum(axis=1).astype(float)


def _left_out(values: pd.Series, why: str, source: str, warnings: list[str],
              report: dict[str, object]) -> None:
    report["codes_left_out"] = sorted(values.index)
    report["vehicles_left_out"] = float(values.sum())
    if len(values):
        _warn(warnings, f"{source}: {len(values)} area codes {why} (e.g. "
              f"{sorted(values.index)[:5]}); their {values.sum():g} vehicles were left out")


def _areas(vehicle_areas: object, code: str) -> gpd.GeoSeries:
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
        areas = areas.groupby(level=0, sort=False).agg(shapely.union_all)
    zone_geoms = zones.geometry.values
    a_pos, z_pos = gpd.GeoSeries(zone_geoms).sindex.query(areas.values, predicate="intersects")
    piece = shapely.area(shapely.intersection(areas.values[a_pos], zone_geoms[z_pos]))
    keep = piece > 0
    a_pos, z_pos, piece = a_pos[keep], z_pos[keep], piece[keep]
    area_size = np.where(shapely.area(areas.values) > 0, shapely.area(areas.values), np.inf)
    covered = np.minimum(np.bincount(a_pos, piece, len(areas)) / area_size, 1.0)
    weight = piece.copy()
    if households is not None:
        homes = households.to_numpy(dtype=float)[z_pos] * piece / shapely.area(zone_geoms)[z_pos]
        unknown = np.bincount(a_pos, (~np.isfinite(homes)).astype(float), len(areas)) > 0
        total = np.bincount(a_pos, np.nan_to_num(homes), len(areas))
        use = ~unknown[a_pos] & (total[a_pos] > 0)
        weight = np.where(use, np.nan_to_num(homes), piece)
    share = covered[a_pos] * weight / np.bincount(a_pos, weight, len(areas))[a_pos]
    amount = values.reindex(areas.index).to_numpy(dtype=float)
    spread = np.bincount(z_pos, amount[a_pos] * share, len(zones))
    lost = float(amount.sum() - (amount * covered).sum())
    return pd.Series(spread, index=zones.index), lost


# --- households -----------------------------------------------------------------------------

def _household_table(zones: gpd.GeoDataFrame, households: Table,
                     warnings: list[str]) -> pd.DataFrame:
    """``households`` and ``households_no_offstreet`` per zone (NaN where not given)."""
    table, source = _read_table(households, "households")
    code = find_code_column(list(table.columns), source=source)
    lookup = {normalise_header(c).replace(" ", "_"): c for c in table.columns}
    if "households" not in lookup:
        raise _fail(source, f"column 'households' not found; columns found: "
                    f"{list(table.columns)}", "name the household count column 'households'")
    wanted = [lookup["households"]] + ([lookup["households_no_offstreet"]]
                                       if "households_no_offstreet" in lookup else [])
    numbers = _numbers(table, wanted, source).set_axis(_keyed(table, code, source).to_numpy())
    numbers.columns = ["households", "households_no_offstreet"][: len(wanted)]
    zone_ids = zones["zone_id"].astype(str)
    extra = ~numbers.index.isin(zone_ids)
    if extra.any():
        _warn(warnings, f"{source}: {int(extra.sum())} codes are not zone ids and were left "
              f"out (e.g. {list(numbers.index[extra][:5])})")
    return numbers.reindex(zone_ids).reindex(columns=["households", "households_no_offstreet"])


def households_from_mix(dwelling_mix: Table, *, code_column: str | None = None,
                        table: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Households and households without off-street parking from a dwelling mix.

    ``dwelling_mix`` has a zone code column (``code_column``, default
    :func:`find_code_column`) and counts per dwelling type, matched to the types of the
    ``offstreet_parking`` table (``table``, default :data:`OFFSTREET_PARKING`) by name or
    alias (``"Terraced"``, ``"flats"``, ``"semi_detached"``...); other columns are ignored.
    Returns, per zone code, ``households`` (the sum of the counts) and
    ``households_no_offstreet`` (the counts times their type's share).

    Raises
    ------
    LayerSchemaError
        If no column names a dwelling type (the message lists the types and aliases).

    Examples
    --------
    >>> mix = pd.DataFrame({"zone_id": ["Z1"], "detached": [10], "flats": [10]})
    >>> households_from_mix(mix).round(2).to_dict("records")
    [{'households': 20.0, 'households_no_offstreet': 6.5}]
    """
    frame, source = _read_table(dwelling_mix, "dwelling_mix")
    shares = table if isinstance(table, pd.DataFrame) else read_assumptions(OFFSTREET_PARKING,
                                                                            table)
    code = find_code_column(list(frame.columns), code_column, source=source)
    types = _type_lookup(shares)
    matched = {c: types[_fold(c)] for c in frame.columns if c != code and _fold(c) in types}
    if not matched:
        raise _fail(source, f"no column names a dwelling type; columns found: "
                    f"{list(frame.columns)}", f"name count columns after the types "
                    f"{sorted(set(types.values()))} (aliases: {sorted(types)})")
    ignored = [c for c in frame.columns if c != code and c not in matched]
    if ignored:
        logger.info("%s: columns %s name no dwelling type and were ignored", source, ignored)
    counts = _numbers(frame, list(matched), source).fillna(0.0)
    share = shares.set_index("dwelling_type")["share_no_offstreet"]
    rates = np.array([share[matched[c]] for c in counts.columns])
    index = pd.Index(_keyed(frame, code, source).to_numpy(), name=None)
    return pd.DataFrame({"households": counts.sum(axis=1).to_numpy(),
                         "households_no_offstreet": counts.to_numpy() @ rates}, index=index)


def _fold(name: str) -> str:
    return normalise_header(name).replace("_", " ")


def _type_lookup(shares: pd.DataFrame) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for kind, aliases in zip(shares["dwelling_type"], shares["aliases"], strict=True):
        for name in [kind, *str(aliases).split(";")]:
            if name.strip():
                lookup.setdefault(_fold(name), kind)
    return lookup


def _households(zones: gpd.GeoDataFrame, households: Table | None, dwelling_mix: Table | None,
                parking_table: str | Path | pd.DataFrame | None,
                warnings: list[str]) -> pd.DataFrame:
    """Households and households without off-street parking per zone (rules: docstring)."""
    zone_ids = zones["zone_id"].astype(str)
    out = pd.DataFrame(np.nan, index=zone_ids, columns=["households", "households_no_offstreet"])
    if households is not None:
        out = _household_table(zones, households, warnings)
    if dwelling_mix is not None:
        mix = households_from_mix(dwelling_mix, table=parking_table)
        mix = mix[mix.index.isin(zone_ids)].reindex(zone_ids)
        ratio = mix["households_no_offstreet"] / mix["households"].where(mix["households"] > 0)
        out["households"] = out["households"].fillna(mix["households"])
        out["households_no_offstreet"] = out["households_no_offstreet"].fillna(
            out["households"] * ratio)
    for column in out.columns:
        if out[column].isna().all():
            _warn(warnings, f"ev_demand: {column} is unknown for every zone (pass households= "
                  "or dwelling_mix=)")
    return out.astype(float)


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
        _warn(warnings, "ev_demand: no chargers given; public_chargers_now is <NA>")
        return pd.array([pd.NA] * len(zones), dtype="Int64")
    frame = chargers.frame if isinstance(chargers, ChargerRecords) else chargers
    return chargers_per_zone(zones, frame).array


# --- projection -----------------------------------------------------------------------------

def project_evs(evs_now: pd.Series, uptake: Mapping[int, float], years: Iterable[int], *,
                base_year: int | None = None) -> pd.DataFrame:
    """Scale each zone's EVs so the county totals follow an uptake curve.

    The county total in year ``y`` is read off the curve through ``uptake`` (plus
    ``(base_year, evs_now.sum())`` when ``base_year`` is given): linear between points, flat
    after the last. Each zone gets ``evs_now * total(y) / evs_now.sum()``.

    Parameters
    ----------
    evs_now : pandas.Series
        EVs per zone today.
    uptake : mapping of int to float
        County EV totals by year, e.g. ``{2025: 60000, 2030: 120000}``.
    years : iterable of int
        Years wanted.
    base_year : int, optional
        Year of ``evs_now``; needed for years before the first uptake year.

    Returns
    -------
    pandas.DataFrame
        One column ``evs_<year>`` per distinct year, in increasing order, aligned with
        ``evs_now``.

    Raises
    ------
    ScenarioError
        Years that are not whole, totals not numbers >= 0, a year before the curve starts, a
        ``base_year`` not before the first uptake year, or targets but no EVs now.

    Examples
    --------
    >>> now = pd.Series([10.0, 30.0], index=["Z1", "Z2"])
    >>> project_evs(now, {2025: 60, 2030: 120}, [2025, 2028, 2035]).to_dict("list")
    {'evs_2025': [15.0, 45.0], 'evs_2028': [24.0, 72.0], 'evs_2035': [30.0, 90.0]}
    """
    total_now = float(evs_now.sum())
    curve = _curve(uptake, total_now, base_year)
    columns = {}
    for year in sorted({int(y) for y in years}):
        if year < curve[0][0]:
            raise ScenarioError(f"uptake: year {year} is before the curve starts in "
                                f"{curve[0][0]} (fix: pass base_year=, the year of the vehicle "
                                "data, or add an earlier uptake year)")
        target = float(np.interp(year, [y for y, _ in curve], [t for _, t in curve]))
        if total_now <= 0 and target > 0:
            raise ScenarioError(f"uptake: {target:g} EVs in {year} cannot be spread over the "
                                "zones because no zone has EVs now (fix: check the vehicles "
                                "table)")
        factor = target / total_now if total_now > 0 else 0.0
        columns[f"evs_{year}"] = evs_now.astype(float) * factor
    return pd.DataFrame(columns, index=evs_now.index)


def _whole(year: object) -> bool:
    try:
        return not isinstance(year, bool) and float(year).is_integer()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _curve(uptake: Mapping[int, float], total_now: float,
           base_year: int | None) -> list[tuple[int, float]]:
    """Check the uptake points; return them sorted, from ``base_year`` when given."""
    problems = Problems("uptake")
    if not uptake:
        problems.add("no years given", fix="give county EV totals, e.g. {2030: 120000}")
    totals = pd.to_numeric(pd.Series(list(uptake.values()), dtype=object), errors="coerce")
    for (year, total), value in zip(uptake.items(), totals, strict=True):
        if not _whole(year):
            problems.add(f"year {year!r} is not a whole year", fix="use years like 2030")
        elif not np.isfinite(value) or value < 0:
            problems.add(f"total {total!r} for {int(year)} is not a number >= 0",
                         fix="give county EV totals, e.g. {2030: 120000}")
    problems.raise_if_any(ScenarioError)
    points = sorted((int(y), float(t)) for y, t in zip(uptake, totals, strict=True))
    if base_year is not None and int(base_year) >= points[0][0]:
        raise ScenarioError(f"uptake: base_year {base_year} must be before the first uptake "
                            f"year {points[0][0]} (fix: drop base_year= or those years)")
    return [(int(base_year), total_now), *points] if base_year is not None else points
