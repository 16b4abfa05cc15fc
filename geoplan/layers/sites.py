"""Candidate charger sites from any point, line or polygon layer, as a ``sites`` layer.

:func:`sites_from_layer` turns features such as OpenStreetMap car parks, supermarkets or
depots into the canonical :data:`~geoplan.schemas.SITES` layer. Every number comes from the
assumption table ``layers/assumptions/site_kinds.csv`` (:data:`SITE_KINDS`), one row per kind
(``car_park``, ``supermarket``, ``warehouse``, ``on_street``, ``hub``), each with its source.

Rules, applied to every feature in file order
--------------------------------------------
1. **Kind**: ``kind=`` for the whole layer, or ``kind_column=`` per feature; values match a
   table ``kind`` or one of its ``aliases`` (case and spacing ignored).
2. **Identifier**: ``source_id`` is ``id_column`` when given; else, for layers written by
   GDAL's OpenStreetMap driver (``osm_id`` and ``osm_way_id`` columns), the OSM object
   (``node/123`` for points, ``way/456``, ``relation/789``); else ``osm_id`` or ``id``; else
   none. ``site_id`` is ``"<kind>:<source_id>"``, or ``"<kind>:row<n>"`` (1-based feature
   number) without one, so identifiers are stable across runs.
3. **Left out**, each counted in ``attrs["report"]``: features without geometry; repeats of a
   source id (first kept; OSM extracts clipped per district repeat car parks on the border);
   features whose OSM ``access`` tag is in ``exclude_access`` (private, no: not public);
   features whose size is unknown or too small for one charger.
4. **Spaces**: a positive ``capacity`` value (a column, or a tag nested in an ``other``,
   ``other_tags`` or ``tags`` column as GDAL's OSM driver writes them), else polygon area /
   ``m2_per_space``, else ``default_spaces``, else unknown. ``spaces_from`` says which. A
   capacity that is not a plausible number of spaces (``"~50"``, ``"-5"``; 0 to 50,000) is
   ignored and listed in the warnings.
5. **Chargers**: ``max_chargers = min(cap, floor(spaces / spaces_per_charger))`` for kinds
   with ``spaces_per_charger``, else the kind's cap ``max_chargers``.
6. **Cost**: ``cost_gbp = enabling_cost_gbp + cost_per_charger_gbp * max_chargers``, the cost
   of building the site out to its capacity; both parts are kept as extra columns so a model
   can also buy fewer chargers.

Geometry is kept as given (polygons stay polygons) in EPSG:27700; ``area_m2`` is the area of
polygonal sites (NaN for points and lines).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import LayerSchemaError, Problem, SourceFormatError
from geoplan.schemas import CRS, SITES, validate_layer
from geoplan.sources.cells import cell_text, normalise_header, text_cells
from geoplan.sources.numbers import PARKING_SPACES, parse_column
from geoplan.sources.vector import check_in_gb, read_vector, to_bng

__all__ = ["EXTRA_COLUMNS", "SITE_KINDS", "kind_lookup", "sites_from_layer"]

logger = logging.getLogger(__name__)

SITE_KINDS = AssumptionTable(
    "site_kinds",
    key=("kind",),
    numbers={"max_chargers": 1.0, "enabling_cost_gbp": 0.0, "cost_per_charger_gbp": 0.0,
             "charger_kw": 0.0},
    text=("aliases",),
    optional_numbers={"m2_per_space": 1.0, "default_spaces": 0.0, "spaces_per_charger": 1.0},
)
"""The ``site_kinds`` assumption table: per kind, the cap on chargers, costs, charger power,
``aliases`` (``;``-separated), and how to size car parks."""

EXTRA_COLUMNS = ("name", "source_id", "spaces", "spaces_from", "area_m2", "charger_kw",
                 "enabling_cost_gbp", "cost_per_charger_gbp")
"""Columns after the canonical ones, in order."""

_TAG_COLUMNS = ("other", "other_tags", "tags")
_SHOWN_BAD = 10  # bad capacity cells listed one by one; more are counted
_DROPPED = ("no geometry", "repeated source id", "not public (access tag)", "size unknown",
            "too small for one charger")


def kind_lookup(table: pd.DataFrame) -> dict[str, str]:
    """Normalised kind names and aliases -> kind, from a ``site_kinds`` table.

    Examples
    --------
    >>> table = pd.DataFrame({"kind": ["car_park"], "aliases": ["parking; Car Park"]})
    >>> kind_lookup(table)["car park"]
    'car_park'
    """
    lookup: dict[str, str] = {}
    for kind, aliases in zip(table["kind"], table["aliases"], strict=True):
        for name in [kind, kind.replace("_", " "), *str(aliases).split(";")]:
            if name.strip():
                lookup.setdefault(normalise_header(name), kind)
    return lookup


def sites_from_layer(
    layer: str | Path | gpd.GeoDataFrame,
    *,
    kind: str | None = None,
    kind_column: str | None = None,
    id_column: str | None = None,
    capacity_column: str | None = None,
    table: str | Path | pd.DataFrame | None = None,
    exclude_access: Collection[str] = ("private", "no"),
    vector_layer: str | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Build candidate charger sites from a layer of places.

    Parameters
    ----------
    layer : path or geopandas.GeoDataFrame
        Vector file or frame of points, lines or polygons (e.g. OSM car parks).
    kind : str, optional
        Kind of every feature (a table kind or alias, e.g. ``"car_park"``).
    kind_column : str, optional
        Column holding each feature's kind instead.
    id_column : str, optional
        Column of stable source identifiers (default: see the module docstring).
    capacity_column : str, optional
        Column of parking spaces (default: ``capacity`` as a column or nested OSM tag).
    table : path or pandas.DataFrame, optional
        A ``site_kinds`` table instead of ``layers/assumptions/site_kinds.csv``.
    exclude_access : collection of str
        OSM ``access`` values that mean "not public"; ``()`` keeps everything.
    vector_layer : str, optional
        Layer to read from a multi-layer file.
    crs : str, optional
        CRS of data that declares none (never overrides a declared one).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~geoplan.schemas.SITES` then :data:`EXTRA_COLUMNS`, EPSG:27700, file order.
        ``attrs["report"]`` counts features read, kept and left out by reason;
        ``attrs["warnings"]`` lists the same in words.

    Raises
    ------
    LayerSchemaError
        No kind given, a kind not in the table (the message lists the known kinds), a
        missing named column, or a feature whose kind cell is blank.
    MissingCRSError
        If the layer has no CRS and ``crs`` is not given.
    SourceFormatError
        If the file cannot be read or has no geometry column.
    """
    source, frame = _load(layer, vector_layer, crs)
    kinds = table if isinstance(table, pd.DataFrame) else read_assumptions(SITE_KINDS, table)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    per_row = _kinds(frame, columns, kinds, kind, kind_column, source)
    ids = _source_ids(frame, columns, id_column, source)
    report = dict.fromkeys(_DROPPED, 0)
    keep = _keep(frame, columns, ids, exclude_access, report)
    sized = _size(frame, columns, per_row, kinds, capacity_column, source, keep, report)
    sites = _assemble(frame, columns, per_row, ids, sized, kinds)[keep & sized["fits"]]
    return _finish(sites.reset_index(drop=True), source, len(frame), report,
                   sized.attrs["warnings"])


def _load(layer: str | Path | gpd.GeoDataFrame, vector_layer: str | None,
          crs: str | None) -> tuple[str, gpd.GeoDataFrame]:
    if isinstance(layer, gpd.GeoDataFrame):
        source = "sites layer"
        frame = layer
    else:
        source = Path(layer).name
        frame = read_vector(layer, vector_layer)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.active_geometry_name is None:
        raise SourceFormatError(f"{source}: has no geometry column (fix: give points, lines "
                                "or polygons of candidate sites)")
    geoms = frame.geometry.values
    if len(frame) and (shapely.is_missing(geoms) | shapely.is_empty(geoms)).all():
        raise SourceFormatError(f"{source}: none of the {len(frame)} features has a geometry "
                                "(fix: give points, lines or polygons of candidate sites)")
    projected = to_bng(frame, source, crs)
    check_in_gb(frame, projected, source, "sites")
    return source, projected.reset_index(drop=True)


def _fail(source: str, message: str, fix: str, column: str | None = None) -> LayerSchemaError:
    return LayerSchemaError(f"{source}: {message}",
                            [Problem(message, file=source, column=column, fix=fix)])


def _column(columns: list[str], name: str, source: str, role: str) -> str:
    found = next((c for c in columns if normalise_header(c) == normalise_header(name)), None)
    if found is None:
        raise _fail(source, f"{role}={name!r} is not a column; columns: {columns}",
                    f"pass one of those columns as {role}=")
    return found


def _kinds(frame: gpd.GeoDataFrame, columns: list[str], table: pd.DataFrame, kind: str | None,
           kind_column: str | None, source: str) -> pd.Series:
    """Table kind of every feature."""
    lookup = kind_lookup(table)
    known = list(table["kind"])
    if (kind is None) == (kind_column is None):
        raise _fail(source, "give exactly one of kind= and kind_column=",
                    f"pass kind= with one of {known}, or kind_column= naming a column")
    if kind is not None:
        resolved = lookup.get(normalise_header(kind))
        if resolved is None:
            raise _fail(source, f"unknown site kind {kind!r}; the site_kinds table has "
                        f"{known}", f"use one of {known} or add a row to site_kinds.csv")
        return pd.Series(resolved, index=frame.index, dtype=object)
    column = _column(columns, kind_column, source, "kind_column")  # type: ignore[arg-type]
    text = text_cells(frame[column])
    resolved = text.map(lambda v: lookup.get(normalise_header(v)) if v else None)
    bad = resolved.isna()
    if bad.any():
        rows = [int(i) + 1 for i in np.flatnonzero(bad.to_numpy())]
        values = sorted({str(v) for v in text[bad] if isinstance(v, str)})
        raise _fail(source, f"{int(bad.sum())} features (feature numbers {rows[:10]}) have "
                    f"unknown or blank kinds {values[:10]}; the site_kinds table has {known}",
                    f"use one of {known} (or an alias in the table)", column=column)
    return resolved


def _source_ids(frame: gpd.GeoDataFrame, columns: list[str], id_column: str | None,
                source: str) -> pd.Series:
    """Stable source identifier of every feature (None where there is none)."""
    def text(name: str) -> pd.Series:
        return text_cells(frame[name])

    if id_column is not None:
        return text(_column(columns, id_column, source, "id_column"))
    lower = {c.lower(): c for c in columns}
    if "osm_id" in lower and "osm_way_id" in lower:
        osm, way = text(lower["osm_id"]), text(lower["osm_way_id"])
        point = shapely.get_type_id(frame.geometry.values) == 0
        kind = np.where(point, "node/", "relation/")
        ids = [f"way/{w}" if w else (f"{k}{o}" if o else None)
               for o, w, k in zip(osm, way, kind, strict=True)]
        return pd.Series(ids, index=frame.index, dtype=object)
    for name in ("osm_id", "id"):
        if name in lower:
            return text(lower[name])
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _tag(frame: gpd.GeoDataFrame, columns: list[str], key: str) -> pd.Series:
    """Value of tag ``key``: its own column, else nested in an OSM tags column."""
    for column in columns:
        if column.lower() == key:
            return text_cells(frame[column])
    nested = next((c for c in columns if c.lower() in _TAG_COLUMNS), None)
    if nested is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[nested].astype(object).map(lambda cell: _nested(cell, key))


def _nested(cell: object, key: str) -> str | None:
    if isinstance(cell, str):
        text = cell.strip()
        if text.startswith("{"):
            try:
                cell = json.loads(text)
            except json.JSONDecodeError:
                return None
        else:
            match = re.search(rf'"{re.escape(key)}"=>"((?:[^"\\]|\\.)*)"', text)
            return cell_text(match[1]) if match else None
    return cell_text(cell.get(key)) if isinstance(cell, dict) else None


def _keep(frame: gpd.GeoDataFrame, columns: list[str], ids: pd.Series,
          exclude_access: Collection[str], report: dict[str, int]) -> np.ndarray:
    """Features that have a geometry, a first-seen id and public access."""
    geoms = frame.geometry.values
    has_geometry = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    located = ids.where(has_geometry)
    repeated = (located.notna() & located.duplicated(keep="first")).to_numpy()
    barred = {normalise_header(v) for v in exclude_access}
    access = _tag(frame, columns, "access").map(lambda v: normalise_header(v) if v else "")
    private = access.isin(barred).to_numpy() & has_geometry & ~repeated
    report[_DROPPED[0]] = int((~has_geometry).sum())
    report[_DROPPED[1]] = int(repeated.sum())
    report[_DROPPED[2]] = int(private.sum())
    return has_geometry & ~repeated & ~private


def _size(frame: gpd.GeoDataFrame, columns: list[str], kinds: pd.Series, table: pd.DataFrame,
          capacity_column: str | None, source: str, keep: np.ndarray,
          report: dict[str, int]) -> pd.DataFrame:
    """Spaces, their origin, area and charger capacity of every feature.

    ``attrs["warnings"]`` lists the capacity values that were not plausible numbers.
    """
    spec = table.set_index("kind").loc[kinds.to_numpy()].reset_index(drop=True)
    spec.index = frame.index
    geoms = frame.geometry.values
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    area = np.where(polygonal, shapely.area(geoms), np.nan)
    notes: list[str] = []
    capacity = _capacity(frame, columns, capacity_column, source, notes)
    by_area = np.floor(area / spec["m2_per_space"].to_numpy())
    spaces = np.where(capacity > 0, capacity,
                      np.where(np.isfinite(by_area), by_area, spec["default_spaces"].to_numpy()))
    unknown = np.array(None, dtype=object)
    spaces_from = np.where(capacity > 0, "tag", np.where(
        np.isfinite(by_area), "area", np.where(np.isfinite(spaces), "default", unknown)))
    per_charger = spec["spaces_per_charger"].to_numpy()
    cap = spec["max_chargers"].to_numpy()
    with np.errstate(invalid="ignore"):
        chargers = np.where(np.isnan(per_charger), cap,
                            np.minimum(cap, np.floor(spaces / per_charger)))
    unknown = np.isnan(chargers) & keep
    small = ~np.isnan(chargers) & (chargers < 1) & keep
    report[_DROPPED[3]] = int(unknown.sum())
    report[_DROPPED[4]] = int(small.sum())
    sized = pd.DataFrame({"spaces": spaces, "spaces_from": spaces_from, "area_m2": area,
                          "chargers": chargers, "fits": ~np.isnan(chargers) & (chargers >= 1)},
                         index=frame.index)
    sized.attrs["warnings"] = notes
    return sized


def _capacity(frame: gpd.GeoDataFrame, columns: list[str], capacity_column: str | None,
              source: str, notes: list[str]) -> np.ndarray:
    """Parking spaces stated by the data (NaN where absent or not a plausible number).

    A value that is not a plausible number of spaces (``"~50"``, ``"-5"``, ``"1e6"``) is
    ignored, so the feature is sized from its area or its kind's default, and counted in
    ``notes`` (the layer's warnings) with its feature number, value and fix.
    """
    if capacity_column is not None:
        column = _column(columns, capacity_column, source, "capacity_column")
        cells = frame[column]
    else:
        column, cells = "capacity", _tag(frame, columns, "capacity")
    numbered = pd.Series(cells.to_numpy(), index=np.arange(1, len(cells) + 1), dtype=object)
    values, bad = parse_column(numbered, PARKING_SPACES)  # labels: 1-based feature numbers
    if bad:
        shown = "; ".join(f"feature {b.label}: {b.message} (fix: {b.fix})"
                          for b in bad[:_SHOWN_BAD])
        more = f"; and {len(bad) - _SHOWN_BAD} more" if len(bad) > _SHOWN_BAD else ""
        notes.append(f"{source}: {len(bad)} {column!r} values are not plausible numbers of "
                     "parking spaces, so those features are sized from their area or their "
                     f"kind's default instead: {shown}{more}")
    return values.to_numpy(dtype=float)


def _assemble(frame: gpd.GeoDataFrame, columns: list[str], kinds: pd.Series, ids: pd.Series,
              sized: pd.DataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    spec = table.set_index("kind").loc[kinds.to_numpy()].reset_index(drop=True)
    spec.index = frame.index
    rows = pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
    site_id = [f"{k}:{i}" if isinstance(i, str) and i else f"{k}:row{n}"
               for k, i, n in zip(kinds, ids, rows, strict=True)]
    chargers = sized["chargers"].fillna(0).astype(int)
    name = next((c for c in columns if c.lower() == "name"), None)
    data = {
        "site_id": pd.Series(site_id, index=frame.index, dtype=str),
        "kind": kinds.astype(str),
        "max_chargers": pd.array(chargers, dtype="Int64"),
        "cost_gbp": spec["enabling_cost_gbp"] + spec["cost_per_charger_gbp"] * chargers,
        "name": text_cells(frame[name]) if name else None,
        "source_id": ids,
        "spaces": sized["spaces"].astype(float),
        "spaces_from": sized["spaces_from"],
        "area_m2": sized["area_m2"].astype(float),
        "charger_kw": spec["charger_kw"].astype(float),
        "enabling_cost_gbp": spec["enabling_cost_gbp"].astype(float),
        "cost_per_charger_gbp": spec["cost_per_charger_gbp"].astype(float),
    }
    out = pd.DataFrame(data, index=frame.index)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=CRS)[
        [*SITES.columns, *EXTRA_COLUMNS]]


def _finish(sites: gpd.GeoDataFrame, source: str, read: int, report: dict[str, int],
            notes: list[str]) -> gpd.GeoDataFrame:
    validate_layer(sites, SITES, source)
    dropped = {reason: count for reason, count in report.items() if count}
    warnings = [f"{source}: left out {count} features: {reason}"
                for reason, count in dropped.items()] + notes
    for message in warnings:
        logger.warning("%s", message)
    sites.attrs["report"] = {"features": read, "kept": len(sites), "left_out": dropped}
    sites.attrs["warnings"] = warnings
    return sites
