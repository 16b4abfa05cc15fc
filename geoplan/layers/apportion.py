"""Tables keyed by area code spread over the planning zones: apportionment between geographies.

A table of counts per area (plug-in vehicles per MSOA 2011, households per MSOA 2021,
dwellings per Output Area...) becomes a table per zone (:func:`apportion_table`) in up to two
steps; without either, its codes must be zone ids.

1. **Lookup** (``lookup=``, an ONS-style code lookup such as MSOA11CD -> MSOA21CD with a
   ``CHNGIND`` column; :func:`read_lookup`): each code's count is split between its new codes
   in proportion to their weights (:func:`recode`). ``U`` (unchanged) and ``M`` (merged: several
   old codes into one new code) pass the count whole; ``S`` (split: one old code into several
   new ones) splits it; ``X`` (complex: boundaries redrawn across several codes) also splits
   it between the new codes it overlaps, which assumes the old area covers each of them
   evenly, so ``X`` codes are counted in the warnings. Without a ``CHNGIND`` column the kind
   is inferred from the pairs.
2. **Polygons** (``areas=``, the areas' polygons after the lookup; :func:`read_areas`): each
   area's count is spread over the zone pieces its polygon overlaps (:func:`spread`), in
   proportion to each piece's weight. The part of an area no zone covers keeps its area share
   of the count, which is left out and reported (``outside_zones``). Pieces smaller than
   :data:`SLIVER` of both their zone and their area are boundary slivers between differently
   generalised files (an LSOA nested in its MSOA touches its neighbours by a few square
   metres), not overlaps: they are dropped, and an area covered to within :data:`SLIVER` counts
   as covered whole, so nested geographies keep every total exactly.

**Weights** (:data:`WEIGHTS`) say how a count is shared: ``"area"`` by land area;
``"households"`` or ``"dwellings"`` by a count of homes, either per zone (``zone_weights``: a
piece gets the zone's count times its share of the zone's area, homes being taken as evenly
spread over the zone) or per area after the lookup (``area_weights``, e.g. Census households
per MSOA 2021, which splits ``S`` codes); ``"even"`` weighs every zone 1 (:func:`even`), so an
area's count is split evenly over the whole zones it covers (a zone half inside the area
counts half). A split falls back to land area where a weight is missing or all weights are
0, and says so in the warnings.

**Whole numbers** (``whole=True``): each split (of a code between its new codes, of an area
between its zones) is rounded by :func:`largest_remainder`, so an integer count stays an
integer and every whole code or area keeps its total exactly.

Totals are preserved: the sum over the zones equals the sum of the rows whose codes resolve
(to a zone, or to an area with a polygon) minus what lies outside every zone. Codes that
resolve to nothing are left out, listed and counted (``report["codes_left_out"]``).

:func:`apportion_file` reads the table, lookup, polygons and weights named by an
:class:`AreaInput` (the mapping form of the scenario keys ``inputs.vehicles`` and
``inputs.households``, and the options of ``geoplan layers apportion``). The readers of the
lookup, the polygons and the weights live (with the choice of value columns) in
:mod:`geoplan.sources.area_tables` and are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.sources.area_tables import (
    CHANGES,
    ColumnPicker,
    read_areas,
    read_lookup,
    read_weights,
    value_columns,
)
from geoplan.sources.zone_tables import (
    area_codes,
    count_columns,
    find_code_column,
    read_table,
    record_warning,
    schema_error,
)

__all__ = ["SLIVER", "WEIGHTS", "Apportioned", "AreaInput", "Weight", "apportion_file",
           "apportion_table", "even", "largest_remainder", "read_areas", "read_lookup",
           "read_weights", "recode", "spread"]

logger = logging.getLogger(__name__)

WEIGHTS = ("area", "households", "dwellings", "even")
"""Named weights of an apportionment (module docstring)."""

Weight = Literal["area", "households", "dwellings", "even"]

SLIVER = 1e-3
"""Share of a zone and of an area below which their overlap is a boundary sliver."""


@dataclass(frozen=True)
class AreaInput:
    """A table of counts per area and how to bring it to the zones (module docstring).

    Parameters
    ----------
    path : pathlib.Path
        The CSV table, one row per area code.
    code_column : str, optional
        Its area code column (default: found by name, e.g. ``MSOA11CD``).
    columns : tuple of str, optional
        Its value columns (default: the caller's choice, e.g. the plug-in vehicle columns).
    lookup : pathlib.Path, optional
        An ONS-style code lookup from the table's codes to the codes of ``areas`` or zones.
    lookup_columns : tuple of (str, str), optional
        The lookup's old and new code columns (default: the column holding most of the
        table's codes, and another code column of the same geography, newest year first).
    areas : pathlib.Path, optional
        Polygons of the areas (after the lookup): a vector file, or a folder of them.
    weight : {"area", "households", "dwellings", "even"}
        How counts are shared (module docstring).
    weights : pathlib.Path, optional
        A table of the weight per zone id or per area code (a column named like ``weight``,
        else its one numeric column), e.g. Census households per MSOA.
    """

    path: Path
    code_column: str | None = None
    columns: tuple[str, ...] | None = None
    lookup: Path | None = None
    lookup_columns: tuple[str, str] | None = None
    areas: Path | None = None
    weight: str = "area"
    weights: Path | None = None

    def __post_init__(self) -> None:
        if self.weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {list(WEIGHTS)}, not {self.weight!r}")
        if self.columns is not None:
            object.__setattr__(self, "columns", tuple(self.columns))
        if self.lookup_columns is not None and len(self.lookup_columns) != 2:
            raise ValueError("lookup_columns must name two columns: old codes, new codes")

    def files(self) -> dict[str, Path]:
        """Return the files read: ``""`` (the table), ``"lookup"``, ``"areas"``, ``"weights"``."""
        named = {"": self.path, "lookup": self.lookup, "areas": self.areas,
                 "weights": self.weights}
        return {k: Path(v) for k, v in named.items() if v is not None}


@dataclass(frozen=True)
class Apportioned:
    """A table per zone and what happened to the counts.

    Attributes
    ----------
    values : pandas.DataFrame
        One row per zone (index: zone ids, in the zones' order), the value columns; NaN for
        zones that no area reaches.
    report : Mapping[str, object]
        ``read``, ``resolved``, ``outside_zones``, ``apportioned`` (totals per column),
        ``codes_left_out``, ``changes`` (codes per ONS change kind), ``steps``, ``weights``,
        ``zones_without_value``.
    warnings : tuple of str
    """

    values: pd.DataFrame
    report: Mapping[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# --- the two steps -----------------------------------------------------------------------

def recode(values: pd.DataFrame, pairs: pd.DataFrame, target_weights: pd.Series,
           fallback: pd.Series | None = None, *, whole: bool = False
           ) -> tuple[pd.DataFrame, list[str]]:
    """Bring ``values`` (indexed by old code) to the new codes of ``pairs`` (module docstring).

    Parameters
    ----------
    values : pandas.DataFrame
        Counts indexed by old code; codes absent from ``pairs`` are dropped (the caller
        reports them).
    pairs : pandas.DataFrame
        ``source``, ``target`` (and ``change``), as :func:`read_lookup` returns.
    target_weights : pandas.Series
        Weight per new code.
    fallback : pandas.Series, optional
        Weight per new code (e.g. land area) for the old codes whose targets miss a
        ``target_weights`` value or weigh 0 in all; without it (or where it fails too) they
        are split equally.
    whole : bool
        Round each old code's split to whole numbers (:func:`largest_remainder`).

    Returns
    -------
    recoded : pandas.DataFrame
        Counts indexed by new code.
    fell_back : list of str
        Old codes split into several new codes by ``fallback`` or equally.

    Examples
    --------
    >>> pairs = pd.DataFrame({"source": ["A", "A", "B"], "target": ["A1", "A2", "B"]})
    >>> out, _ = recode(pd.DataFrame({"n": [30.0, 5.0]}, index=["A", "B"]), pairs,
    ...                 pd.Series({"A1": 1.0, "A2": 2.0, "B": 9.0}))
    >>> out["n"].to_dict()
    {'A1': 10.0, 'A2': 20.0, 'B': 5.0}
    """
    used = pairs[pairs["source"].isin(values.index)].reset_index(drop=True)
    weight = used["target"].map(target_weights).astype(float)
    known = _usable(weight, used["source"])
    if fallback is not None:
        weight = weight.where(known, used["target"].map(fallback).astype(float))
    weight = weight.where(_usable(weight, used["source"]), 1.0)
    share = weight / weight.groupby(used["source"]).transform("sum")
    moved = values.reindex(used["source"]).to_numpy(dtype=float) * share.to_numpy()[:, None]
    if whole:
        moved = np.column_stack([largest_remainder(m, used["source"].to_numpy())
                                 for m in moved.T]) if len(moved) else moved
    recoded = pd.DataFrame(moved, columns=values.columns).groupby(
        used["target"].to_numpy(), sort=True).sum()
    equal = sorted(set(used.loc[~known, "source"]) & set(
        used.loc[used.duplicated("source", keep=False), "source"]))
    return recoded, equal


def largest_remainder(amount: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Round ``amount`` to integers per group, keeping each group's rounded total.

    The shortfall of the floors goes one unit each to the largest remainders, ties to the
    earlier entry (Hamilton's method).

    Examples
    --------
    >>> largest_remainder(np.array([10 / 3] * 3 + [0.5, 0.5]), np.array([0, 0, 0, 1, 1]))
    array([4., 3., 3., 1., 0.])
    """
    floor = np.floor(amount + 1e-9)
    frame = pd.DataFrame({"group": groups, "rest": amount - floor, "floor": floor,
                          "amount": amount, "order": np.arange(len(amount))})
    target = frame.groupby("group")["amount"].transform("sum").round()
    short = (target - frame.groupby("group")["floor"].transform("sum")).to_numpy()
    ranked = frame.sort_values(["group", "rest", "order"], ascending=[True, False, True])
    rank = ranked.groupby("group").cumcount().reindex(frame.index).to_numpy()
    return floor + (rank < short)


def even(zones: gpd.GeoDataFrame) -> pd.Series:
    """Zone weights of the ``"even"`` weight: 1 per zone, aligned with ``zones``."""
    return pd.Series(1.0, index=zones.index)


def _usable(weight: pd.Series, source: pd.Series) -> pd.Series:
    """Whether each pair's old code has a weight for every target, and some above 0."""
    return weight.notna().groupby(source).transform("all") & \
        weight.fillna(0).groupby(source).transform("sum").gt(0)


def _pieces(areas: gpd.GeoSeries, zones: gpd.GeoDataFrame,
            sliver: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Area position, zone position and area of each overlap; and each area's covered share."""
    zone_geoms = zones.geometry.values
    a_pos, z_pos = gpd.GeoSeries(zone_geoms).sindex.query(areas.values, predicate="intersects")
    piece = shapely.area(shapely.intersection(areas.values[a_pos], zone_geoms[z_pos]))
    size = shapely.area(areas.values)
    small = (piece < sliver * shapely.area(zone_geoms)[z_pos]) & (piece < sliver * size[a_pos])
    keep = (piece > 0) & ~small
    order = np.lexsort((z_pos[keep], a_pos[keep]))
    a_pos, z_pos, piece = a_pos[keep][order], z_pos[keep][order], piece[keep][order]
    covered = np.minimum(np.bincount(a_pos, piece, len(areas)) / np.where(size > 0, size, np.inf),
                         1.0)
    covered[covered >= 1.0 - sliver] = 1.0
    return a_pos, z_pos, piece, covered


def _piece_weights(a_pos: np.ndarray, z_pos: np.ndarray, piece: np.ndarray, n_areas: int,
                   zones: gpd.GeoDataFrame, zone_weights: pd.Series | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Weight of each piece, and which areas fell back to land area."""
    by_area = np.zeros(n_areas, dtype=bool)
    if zone_weights is None:
        return piece, by_area
    homes = zone_weights.to_numpy(dtype=float)[z_pos] * piece / \
        shapely.area(zones.geometry.values)[z_pos]
    unknown = np.bincount(a_pos, (~np.isfinite(homes)).astype(float), n_areas) > 0
    total = np.bincount(a_pos, np.nan_to_num(homes), n_areas)
    by_area = np.bincount(a_pos, minlength=n_areas) > 0
    by_area &= unknown | (total <= 0)
    return np.where(by_area[a_pos], piece, np.nan_to_num(homes)), by_area


def spread(values: pd.DataFrame, areas: gpd.GeoSeries, zones: gpd.GeoDataFrame,
           zone_weights: pd.Series | None = None, *, sliver: float = SLIVER,
           whole: bool = False) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Spread counts per area over the zones their polygons overlap (module docstring).

    Parameters
    ----------
    values : pandas.DataFrame
        Counts indexed by area code (codes without a polygon are dropped).
    areas : geopandas.GeoSeries
        Area polygons indexed by unique area code, EPSG:27700.
    zones : geopandas.GeoDataFrame
        Zone polygons, EPSG:27700.
    zone_weights : pandas.Series, optional
        Weight per zone (aligned with ``zones``), NaN where unknown; None: land area.
    sliver : float
        :data:`SLIVER`; 0 keeps every overlap and every uncovered square metre.
    whole : bool
        Round each area's split to whole numbers (:func:`largest_remainder`, ties to the
        zone first in ``zones``).

    Returns
    -------
    spread : pandas.DataFrame
        Counts per zone, aligned with ``zones`` (NaN where no area reaches the zone).
    outside : pandas.Series
        Per column, the count of the area parts no zone covers.
    by_area : list of str
        Areas split by land area because a zone they touch has no weight.
    """
    areas = areas[areas.index.isin(values.index)]
    a_pos, z_pos, piece, covered = _pieces(areas, zones, sliver)
    weight, fallback = _piece_weights(a_pos, z_pos, piece, len(areas), zones, zone_weights)
    total = np.bincount(a_pos, weight, len(areas))
    share = covered[a_pos] * weight / np.where(total[a_pos] > 0, total[a_pos], np.inf)
    amount = values.reindex(areas.index).to_numpy(dtype=float)
    reached = np.bincount(z_pos, minlength=len(zones)) > 0
    parts = amount[a_pos] * share[:, None]
    if whole:
        parts = np.column_stack([largest_remainder(p, a_pos) for p in parts.T])
    out = {c: np.where(reached, np.bincount(z_pos, parts[:, i], len(zones)), np.nan)
           for i, c in enumerate(values.columns)}
    kept = parts.sum(axis=0) if whole else (amount * covered[:, None]).sum(axis=0)
    outside = pd.Series(amount.sum(axis=0) - kept, index=values.columns)
    return (pd.DataFrame(out, index=zones.index), outside,
            sorted(areas.index[fallback & (np.bincount(a_pos, minlength=len(areas)) > 1)]))


# --- the whole apportionment -------------------------------------------------------------

def apportion_table(values: pd.DataFrame, zones: gpd.GeoDataFrame, *,
                    lookup: pd.DataFrame | None = None, areas: gpd.GeoSeries | None = None,
                    zone_weights: pd.Series | None = None,
                    area_weights: pd.Series | None = None,
                    source: str = "table", whole: bool = False) -> Apportioned:
    """Bring counts per area code to the zones: lookup, then polygons (module docstring).

    Parameters
    ----------
    values : pandas.DataFrame
        Counts indexed by unique area code, one column per count.
    zones : geopandas.GeoDataFrame
        Zones with ``zone_id``, EPSG:27700.
    lookup : pandas.DataFrame, optional
        Pairs from :func:`read_lookup`.
    areas : geopandas.GeoSeries, optional
        Polygons of the codes after the lookup (:func:`read_areas`); without them those
        codes must be zone ids.
    zone_weights, area_weights : pandas.Series, optional
        Weight per zone (aligned with ``zones``) and per code after the lookup (module
        docstring); None: land area.
    source : str
        The table's name, for warnings.
    whole : bool
        Round every split to whole numbers (module docstring).

    Returns
    -------
    Apportioned
    """
    warnings: list[str] = []
    zone_ids = pd.Index(zones["zone_id"].astype(str))
    ends = pd.Index(areas.index) if areas is not None else zone_ids
    report: dict[str, object] = {"read": _totals(values), "steps": _steps(lookup, areas)}
    current = values
    if lookup is not None:
        current = _through_lookup(values, lookup, ends, zones, zone_weights, area_weights,
                                  areas, source, warnings, report, whole)
    if lookup is None:
        report["codes_left_out"], report["left_out"] = [], _totals(values.iloc[:0].sum())
    left = current.index[~current.index.isin(ends)]
    _left_out(current.loc[left], source, warnings, report,
              ("" if lookup is None else "(after the lookup) ")
              + ("match no zone id" if areas is None else "have no polygon in areas"))
    current = current[current.index.isin(ends)]
    report["resolved"] = _totals(current)
    if areas is not None:
        weights = zone_weights.set_axis(zones.index) if zone_weights is not None else None
        result, outside, by_area = spread(current, areas, zones, weights, whole=whole)
        report["outside_zones"] = _totals(outside)
        if outside.abs().sum() > 0:
            record_warning(warnings, f"{source}: {_shown(outside)} lie in parts of the areas "
                           "outside every zone and were left out")
        if by_area:
            record_warning(warnings, f"{source}: {len(by_area)} areas touch zones without a "
                           f"weight and were split by land area (e.g. {by_area[:5]})")
    else:
        result = current.reindex(zone_ids).set_axis(zones.index)
        report["outside_zones"] = _totals(current.iloc[:0].sum())
    result = result.set_axis(zone_ids)
    missing = int(result.isna().all(axis=1).sum())
    report.update(apportioned=_totals(result.sum()), zones_without_value=missing)
    if missing:
        empty = list(zone_ids[result.isna().all(axis=1).to_numpy()][:5])
        record_warning(warnings, f"{source}: {missing} of {len(zone_ids)} zones get no value "
                       f"(no area reaches them, e.g. {empty})")
    return Apportioned(result, report, tuple(warnings))


def _through_lookup(values: pd.DataFrame, lookup: pd.DataFrame, ends: pd.Index,
                    zones: gpd.GeoDataFrame, zone_weights: pd.Series | None,
                    area_weights: pd.Series | None, areas: gpd.GeoSeries | None, source: str,
                    warnings: list[str], report: dict[str, object], whole: bool
                    ) -> pd.DataFrame:
    """Step 1 of the module docstring; reports codes the lookup lacks and the change kinds."""
    absent = values.index[~values.index.isin(lookup["source"])]
    _left_out(values.loc[absent], source, warnings, report, "are not in the lookup")
    used = lookup[lookup["source"].isin(values.index)]
    kinds = used.drop_duplicates("source")["change"]
    report["changes"] = {k: int((kinds == k).sum()) for k in CHANGES}
    if report["changes"]["X"]:  # type: ignore[index]
        record_warning(warnings, f"{source}: {report['changes']['X']} codes changed in complex "  # type: ignore[index]
                       "ways (X) and were split between their new codes by weight, as if "
                       "spread evenly over them")
    weights, land = _target_weights(ends, zones, zone_weights, areas)
    if area_weights is not None:
        weights = area_weights
    recoded, equal = recode(values, used, weights, land, whole=whole)
    if equal:
        record_warning(warnings, f"{source}: {len(equal)} codes were split by land area "
                       f"between their new codes, which lack a weight (e.g. {equal[:5]})")
    return recoded


def _target_weights(ends: pd.Index, zones: gpd.GeoDataFrame, zone_weights: pd.Series | None,
                    areas: gpd.GeoSeries | None) -> tuple[pd.Series, pd.Series]:
    """Weight per code after the lookup, and land area as its fallback.

    The weight is the zone weights summed over the code's pieces (NaN where a zone it touches
    has none), or land area without zone weights.
    """
    if areas is None:
        land = pd.Series(shapely.area(zones.geometry.values), index=ends)
        if zone_weights is None:
            return land, land
        return pd.Series(zone_weights.to_numpy(dtype=float), index=ends), land
    land = pd.Series(shapely.area(areas.values), index=areas.index)
    if zone_weights is None:
        return land, land
    a_pos, z_pos, piece, _ = _pieces(areas, zones, SLIVER)
    weight, by_area = _piece_weights(a_pos, z_pos, piece, len(areas), zones,
                                     zone_weights.set_axis(zones.index))
    total = pd.Series(np.bincount(a_pos, weight, len(areas)), index=areas.index)
    return total.mask(by_area), land


def _left_out(gone: pd.DataFrame, source: str, warnings: list[str],
              report: dict[str, object], why: str) -> None:
    """Add the rows of ``gone`` to the report's codes and totals left out, and warn."""
    listed = report.get("codes_left_out") or []
    report["codes_left_out"] = sorted({*listed, *map(str, gone.index)})  # type: ignore[misc]
    before = pd.Series(report.get("left_out") or {}, dtype=float)
    report["left_out"] = _totals(gone.sum().add(before, fill_value=0.0))
    if len(gone):
        record_warning(warnings, f"{source}: {len(gone)} area codes {why} (e.g. "
                       f"{sorted(map(str, gone.index))[:5]}); their {_shown(gone.sum())} were "
                       "left out")


def _steps(lookup: pd.DataFrame | None, areas: gpd.GeoSeries | None) -> list[str]:
    return [s for s, given in (("lookup", lookup is not None), ("polygons", areas is not None))
            if given] or ["direct"]


def _totals(series: pd.Series | pd.DataFrame) -> dict[str, float]:
    if isinstance(series, pd.DataFrame):
        series = series.sum()
    return {str(k): float(v) for k, v in series.items()}


def _shown(totals: pd.Series) -> str:
    return ", ".join(f"{v:,.1f} {k}" for k, v in totals.items())


def apportion_file(spec: AreaInput, zones: gpd.GeoDataFrame, *, what: str,
                   pick_columns: ColumnPicker | None = None,
                   zone_weights: pd.Series | None = None) -> Apportioned:
    """Read the files of ``spec`` and apportion its table to ``zones`` (module docstring).

    Parameters
    ----------
    spec : AreaInput
    zones : geopandas.GeoDataFrame
        Zones with ``zone_id``, EPSG:27700.
    what : str
        What the table counts (``"vehicles"``), for messages.
    pick_columns : callable, optional
        Chooses the value columns when ``spec.columns`` is None (default: every column but
        the code column whose cells are all counts).
    zone_weights : pandas.Series, optional
        Weight per zone (aligned with ``zones``) for ``spec.weight`` other than ``"area"``,
        used unless ``spec.weights`` gives them.

    Returns
    -------
    Apportioned
        ``values`` has the value columns as named in the file.

    Raises
    ------
    LayerSchemaError
        A missing column, blank or repeated codes, a weight with no source of values.
    SourceFormatError
        A cell that should be a count is not (file, row and column named).
    """
    table, source = read_table(spec.path, what)
    code = find_code_column(list(table.columns), spec.code_column, source=source)
    columns = value_columns(table, code, spec.columns, source, pick_columns)
    warnings: list[str] = []
    counts = count_columns(table, columns, source, warnings)
    blank = int(counts.isna().to_numpy().sum())
    if blank:
        record_warning(warnings, f"{source}: {blank} blank cells in {columns} were counted "
                       "as 0")
    values = counts.fillna(0.0).set_axis(area_codes(table, code, source).to_numpy())
    lookup = read_lookup(spec.lookup, list(values.index), spec.lookup_columns) \
        if spec.lookup is not None else None
    targets = values.index if lookup is None else pd.Index(lookup["target"].unique())
    areas = read_areas(spec.areas, list(targets)) if spec.areas is not None else None
    zone_w, area_w = _weights(spec, zones, zone_weights, source)
    result = apportion_table(values, zones, lookup=lookup, areas=areas, zone_weights=zone_w,
                             area_weights=area_w, source=source)
    report = {**result.report, "source": source, "code_column": code, "columns": columns,
              "weight": spec.weight}
    return Apportioned(result.values, report, (*warnings, *result.warnings))


def _weights(spec: AreaInput, zones: gpd.GeoDataFrame, zone_weights: pd.Series | None,
             source: str) -> tuple[pd.Series | None, pd.Series | None]:
    """Zone weights and area weights for ``spec.weight`` (module docstring)."""
    if spec.weight == "area":
        return None, None
    if spec.weight == "even":
        return even(zones), None
    if spec.weights is None:
        if zone_weights is None:
            raise schema_error(source, f"weight {spec.weight!r} has no values: no weights "
                               f"table and no {spec.weight} per zone", f"give weights: a table "
                               f"of {spec.weight} per area or zone, or weight: area")
        return zone_weights.astype(float), None
    table = read_weights(spec.weights, spec.weight)
    zone_ids = zones["zone_id"].astype(str)
    if table.index.isin(zone_ids).sum() >= len(table) / 2:
        return pd.Series(zone_ids.map(table).to_numpy(dtype=float), index=zones.index), None
    return (zone_weights.astype(float) if zone_weights is not None else None), table
