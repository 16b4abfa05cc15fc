"""Files that say how area codes relate: ONS code lookups, area polygons, weights per code.

Read for :mod:`geoplan.layers.apportion` (which re-exports these functions):
:func:`read_lookup` (an ONS-style lookup with a ``CHNGIND`` change indicator),
:func:`read_areas` (polygons indexed by area code, from a file or a folder of them) and
:func:`read_weights` (a count per code, e.g. Census households per MSOA).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import SourceFormatError
from geoplan.schemas import CRS
from geoplan.sources.cells import normalise_header
from geoplan.sources.numbers import COUNT, parse_column
from geoplan.sources.vector import read_vector, to_bng
from geoplan.sources.zone_tables import (
    Table,
    area_codes,
    count_columns,
    find_code_column,
    read_table,
    schema_error,
)

__all__ = ["CHANGES", "VECTOR_SUFFIXES", "ColumnPicker", "read_areas", "read_lookup",
           "read_weights", "value_columns"]

CHANGES = ("U", "S", "M", "X")
"""ONS change indicators: unchanged, split, merged, complex."""

VECTOR_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".parquet", ".geoparquet", ".fgb"})
"""Suffixes of the polygon files read from a folder of areas."""

ColumnPicker = Callable[[pd.DataFrame, str, str], list[str]]
"""``(table, code_column, source) -> value columns``, when a table's columns are not named."""


def read_lookup(lookup: Table, codes: Sequence[str],
                columns: tuple[str, str] | None = None) -> pd.DataFrame:
    """Read an ONS-style code lookup as pairs ``source``, ``target``, ``change``.

    ``change`` is the ``CHNGIND`` column (U/S/M/X) where there is one, else inferred: a code
    with several targets is split (S), a target with several codes is merged (M), both is X.

    Raises
    ------
    LayerSchemaError
        No code columns holding ``codes`` (the columns found are listed), or a ``CHNGIND``
        value other than U, S, M, X.
    """
    table, source = read_table(lookup, "lookup")
    old, new = columns or _lookup_columns(table, set(codes), source)
    for name in (old, new):
        if name not in table.columns:
            raise schema_error(source, f"lookup column {name!r} not found; columns found: "
                               f"{list(table.columns)}", "name its old and new code columns")
    pairs = pd.DataFrame({"source": table[old].astype(str).str.strip(),
                          "target": table[new].astype(str).str.strip()}).drop_duplicates()
    indicator = next((c for c in table.columns if normalise_header(c) in ("chngind",
                                                                          "change_indicator")),
                     None)
    inferred = _inferred_changes(pairs)
    if indicator is None:
        pairs["change"] = inferred
        return pairs.reset_index(drop=True)
    given = table.loc[pairs.index, indicator].astype(str).str.strip().str.upper()
    bad = ~given.isin(CHANGES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise schema_error(source, f"row {row}: change indicator {given[bad].iloc[0]!r} is not "
                           f"one of {list(CHANGES)}", "give U, S, M or X", column=indicator)
    pairs["change"] = given.to_numpy()
    return pairs.reset_index(drop=True)


def _lookup_columns(table: pd.DataFrame, codes: set[str], source: str) -> tuple[str, str]:
    """Find the column holding most of ``codes``, and another code column of its level."""
    held = {c: int(table[c].astype(str).str.strip().isin(codes).sum()) for c in table.columns}
    old = max(held, key=lambda c: (held[c], -list(table.columns).index(c)))
    if held[old] == 0:
        raise schema_error(source, f"no column holds the table's codes (e.g. "
                           f"{sorted(codes)[:3]}); columns found: {list(table.columns)}",
                           "give the lookup from these codes, or lookup_columns: [old, new]")
    stem = normalise_header(old).rstrip("cd").rstrip("0123456789")
    same = [c for c in table.columns if c != old and normalise_header(c).startswith(stem)
            and normalise_header(c).endswith("cd")]
    if not same:
        raise schema_error(source, f"no column of new codes beside {old!r}; columns found: "
                           f"{list(table.columns)}", "give lookup_columns: [old, new]")
    return old, max(same, key=lambda c: (normalise_header(c), -list(table.columns).index(c)))


def _inferred_changes(pairs: pd.DataFrame) -> np.ndarray:
    targets = pairs.groupby("source")["target"].transform("size").to_numpy() > 1
    sources = pairs.groupby("target")["source"].transform("size").to_numpy() > 1
    return np.select([targets & sources, targets, sources], ["X", "S", "M"], "U")


def read_areas(areas: gpd.GeoDataFrame | str | os.PathLike[str],
               codes: Sequence[str]) -> gpd.GeoSeries:
    """Polygons in EPSG:27700 indexed by area code (several features of a code: one union).

    ``areas`` is a GeoDataFrame, a vector file or a folder of them; its code column is the
    column holding most of ``codes``.

    Raises
    ------
    SourceFormatError
        A file without geometry, or no column holding any of ``codes``.
    """
    if isinstance(areas, gpd.GeoDataFrame):
        frame, source = to_bng(areas, "areas"), "areas"
    else:
        path = Path(areas)
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES) \
            if path.is_dir() else [path]
        parts = [_polygons(f) for f in files]
        if not parts:
            raise SourceFormatError(f"{path.name}: no vector files in the folder (fix: give "
                                    "the area polygons, e.g. msoa21/*.geojson)")
        frame, source = pd.concat(parts, ignore_index=True), path.name
    wanted = set(map(str, codes))
    columns = [c for c in frame.columns if c != frame.geometry.name]
    held = {c: int(frame[c].astype(str).str.strip().isin(wanted).sum()) for c in columns}
    column = max(held, key=lambda c: (held[c], -columns.index(c)), default=None)
    if column is None or held[column] == 0:
        raise SourceFormatError(f"{source}: no column holds the area codes (e.g. "
                                f"{sorted(wanted)[:3]}); columns: {columns} (fix: give the "
                                "polygons of the table's areas, after any lookup)")
    geoms = gpd.GeoSeries(shapely.make_valid(frame.geometry.values),
                          index=pd.Index(frame[column].astype(str).str.strip()), crs=CRS)
    if not geoms.index.is_unique:
        geoms = gpd.GeoSeries(geoms.groupby(level=0, sort=False).agg(shapely.union_all),
                              crs=CRS)
    return geoms


def _polygons(path: Path) -> gpd.GeoDataFrame:
    frame = read_vector(path)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise SourceFormatError(f"{path.name}: has no geometry (fix: give area polygons)")
    return to_bng(frame, path.name)


def read_weights(weights: Table, weight: str) -> pd.Series:
    """Weight per code from a table: a column named like ``weight``, else its one count column.

    Raises
    ------
    LayerSchemaError
        No such column, or several count columns and none named like ``weight``.
    """
    table, source = read_table(weights, "weights")
    code = find_code_column(list(table.columns), source=source)
    others = [c for c in table.columns if c != code]
    named = [c for c in others if weight.rstrip("s") in normalise_header(c)]
    parsed = {c: parse_column(table[c], COUNT) for c in others}
    counts = [c for c, (cells, bad) in parsed.items() if not bad and cells.notna().any()]
    chosen = named[:1] or (counts if len(counts) == 1 else [])
    if not chosen:
        raise schema_error(source, f"no column of {weight} (columns found: {list(table.columns)})",
                           f"name the column of {weight} after it, or keep one count column")
    values = count_columns(table, chosen, source, [])[chosen[0]]
    return pd.Series(values.to_numpy(dtype=float),
                     index=area_codes(table, code, source).to_numpy())


def value_columns(table: pd.DataFrame, code: str, given: Sequence[str] | None, source: str,
                  pick: ColumnPicker | None = None) -> list[str]:
    """Choose a table's value columns: ``given`` (ignoring case), else ``pick``'s.

    Without either: every column but ``code`` whose cells are all counts.

    Raises
    ------
    LayerSchemaError
        A given column missing, or no column of counts.
    """
    if given is not None:
        lookup = {normalise_header(c): c for c in table.columns}
        missing = [g for g in given if normalise_header(g) not in lookup]
        if missing or not given:
            raise schema_error(source, f"columns {missing or list(given)} not found; columns "
                               f"found: {list(table.columns)}", "name existing value columns")
        return [lookup[normalise_header(g)] for g in given]
    if pick is not None:
        return pick(table, code, source)
    counts = [c for c in table.columns if c != code and not parse_column(table[c], COUNT)[1]]
    if not counts:
        raise schema_error(source, f"no column of counts; columns found: {list(table.columns)}",
                           "name the value columns (columns: [...])")
    return counts
