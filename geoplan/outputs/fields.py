"""Field tables for plan exports: short DBF field names, column descriptions and dtype restore.

An export records, for every layer, one row per column (see :data:`FIELD_COLUMNS`):
the name as written in the file, the full name, the pandas dtype and, for formats that cannot
tell missing from empty text, what a blank cell means. :func:`short_field_names` maps column
names to the 10-character names a DBF file holds; :func:`restore` uses the field table to
turn a layer read back from any format into the columns, dtypes and geometry it was
exported with. :mod:`geoplan.outputs.export` writes and reads the files.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from typing import TypedDict

import geopandas as gpd
import pandas as pd
import shapely

__all__ = [
    "ABBREVIATIONS",
    "FIELD_COLUMNS",
    "TEXT_DTYPES",
    "LayerDescription",
    "blank_rule",
    "describe",
    "field_table",
    "geometry_name",
    "restore",
    "short_field_names",
    "unique_name",
]

logger = logging.getLogger(__name__)



class LayerDescription(TypedDict):
    """What :func:`describe` returns (stored as JSON in GeoPackage metadata)."""

    fields: list[list[str]]
    geometry_types: list[str]


FIELD_COLUMNS = ["short_name", "full_name", "dtype", "blank", "truncated"]
"""Columns of a ``<file>_fields.csv`` field table, in order."""
TEXT_DTYPES = ("str", "string", "object")
"""Dtypes treated as text (blank cells follow the ``blank`` rule)."""


ABBREVIATIONS: dict[str, str] = {
    "candidate": "cand", "substation": "subst", "district": "distr", "distance": "dist",
    "sequestered": "seq", "sequestration": "seq", "selected": "sel", "marginal": "marg",
    "value": "val", "tco2e": "co2", "target": "tgt", "capacity": "cap", "demand": "dem",
    "covered": "cov", "headroom": "hdrm", "reinforcement": "reinf", "lifetime": "life",
    "saving": "save", "change": "chg", "number": "num", "density": "dens",
    "projected": "proj", "households": "hh", "offstreet": "offst", "flexibility": "flex",
    "serving": "serv", "existing": "exist", "chargers": "chgr", "charger": "chgr",
    "connectors": "conn", "remaining": "rem", "peak": "pk", "blocked": "blk",
    "workstream": "wstrm", "source": "src", "option": "opt", "group": "grp", "added": "add",
    "saved": "svd", "coverage": "cov",
}
"""Standard abbreviations :func:`short_field_names` uses first (lower-case words)."""
_FILLERS = ("per", "to", "of", "the", "and", "in", "for", "a")
_UNITS = ("gbp", "kwh", "mwh", "gwh", "km2", "km", "kw", "mw", "mva", "ha", "yr", "pct")


def short_field_names(columns: Sequence[str], limit: int = 10) -> dict[str, str]:
    """Map column names to unique, readable DBF field names of at most ``limit`` characters.

    Deterministic for a given column list: names that already fit keep their name (made
    ASCII: other characters become ``_``; a name not starting with a letter gets an ``f``).
    A longer name is shortened word by word (words are split on ``_``; words with digits,
    such as years, are kept whole), each step only while the name is too long, longest words
    first (ties: leftmost): words are replaced by their :data:`ABBREVIATIONS`; filler words
    (``per``, ``to``, ``of``...) after the first are dropped, last first; vowels after a
    word's first letter are dropped (doubled letters kept once); words are cut to three
    letters; unit words (``gbp``, ``mwh``, ``yr``...) after the first are dropped, leftmost
    first (the field table and the GeoPackage's aliases keep the units); numbers are joined
    to the word before; words are cut to two letters; finally the underscores go, then the
    name is truncated. A name already taken (ignoring case) gets
    ``_1``, ``_2``... in place of its last characters.

    Parameters
    ----------
    columns : sequence of str
        Column names, in order.
    limit : int
        Longest field name, in characters (10 for a DBF file).

    Returns
    -------
    dict
        Column name -> short field name, in the order of ``columns``.

    Examples
    --------
    >>> short_field_names(["tco2e_per_yr", "substation_id", "rank", "score_tco2e_per_yr"])
    {'tco2e_per_yr': 'co2_per_yr', 'substation_id': 'subst_id', 'rank': 'rank', \
'score_tco2e_per_yr': 'scr_co2_yr'}
    """
    clean = {column: _ascii_name(column) for column in columns}
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:  # names that fit keep them, whatever comes later
        name = clean[column]
        if len(name) <= limit and name.lower() not in taken:
            names[column] = name
            taken.add(name.lower())
    for column in columns:
        if column not in names:
            names[column] = unique_name(_abbreviate(clean[column], limit), taken, limit)
            taken.add(names[column].lower())
    return {column: names[column] for column in columns}


def _ascii_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9_]", "_", text) or "field"
    return text if text[0].isalpha() else f"f{text}"


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _cut(words: list[str], limit: int, shortest: int) -> None:
    """Cut the longest word without digits (ties: leftmost) until the name fits."""
    while len("_".join(words)) > limit:
        open_ = [i for i in range(len(words))
                 if len(words[i]) > shortest and not _has_digit(words[i])]
        if not open_:
            return
        i = min(open_, key=lambda i: (-len(words[i]), i))
        words[i] = words[i][:-1]


def _abbreviate(name: str, limit: int) -> str:
    words = [part for part in name.split("_") if part] or [name]

    def long() -> bool:
        return len("_".join(words)) > limit

    def by_length() -> list[int]:
        return sorted(range(len(words)), key=lambda i: (-len(words[i]), i))

    for i in by_length():  # standard abbreviations
        if long():
            words[i] = ABBREVIATIONS.get(words[i].lower(), words[i])
    for i in reversed(range(1, len(words))):  # filler words, last first
        if long() and words[i].lower() in _FILLERS:
            del words[i]
    for i in by_length():  # vowels after the first letter
        if long() and not _has_digit(words[i]):
            rest = re.sub(r"[aeiouAEIOU]", "", words[i][1:])
            words[i] = re.sub(r"(.)\1+", r"\1", words[i][0] + rest)  # no doubled letters
    _cut(words, limit, 3)
    for word in [w for w in words[1:] if w.lower() in _UNITS]:  # units, leftmost first
        if long():
            words.remove(word)
    for i in reversed(range(1, len(words))):  # numbers joined to the word before
        if long() and words[i].isdigit():
            words[i - 1] += words.pop(i)
    _cut(words, limit, 2)
    text = "_".join(words)
    return (text if len(text) <= limit else text.replace("_", ""))[:limit]


def unique_name(name: str, taken: set[str], limit: int) -> str:
    """Return ``name``, or ``name`` ending ``_1``, ``_2``... if taken, in ``limit`` characters.

    Parameters
    ----------
    name : str
        The wanted name.
    taken : set of str
        Names already used, lower case (compared ignoring case); not changed.
    limit : int
        Longest name, in characters.

    Returns
    -------
    str
        A name whose lower-case form is not in ``taken``.
    """
    number = 0
    candidate = name
    while candidate.lower() in taken:
        number += 1
        suffix = f"_{number}"
        candidate = name[: limit - len(suffix)].rstrip("_") + suffix
    return candidate


def geometry_name(frame: pd.DataFrame) -> str | None:
    """Return the name of ``frame``'s active geometry column, or None for a plain table.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table or GeoDataFrame.

    Returns
    -------
    str or None
        The geometry column's name when ``frame`` is a GeoDataFrame that has one.
    """
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        return str(frame._geometry_column_name)
    return None


def describe(frame: pd.DataFrame) -> LayerDescription:
    """Describe column names and dtypes in order (the geometry as ``geometry``), geometry types.

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer.

    Returns
    -------
    dict
        ``fields``: list of ``[name, dtype]``; ``geometry_types``: sorted geometry type
        names (empty for a table).
    """
    geometry = geometry_name(frame)
    fields = [[str(column), "geometry" if column == geometry else str(dtype)]
              for column, dtype in zip(frame.columns, frame.dtypes, strict=True)]
    kinds = sorted(set(frame.geometry.dropna().geom_type)) if geometry else []
    return {"fields": fields, "geometry_types": kinds}


def field_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the field table of ``frame``: full names as short names, no blank rule.

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer.

    Returns
    -------
    pandas.DataFrame
        One row per column, with the columns :data:`FIELD_COLUMNS`.
    """
    described = describe(frame)["fields"]
    return pd.DataFrame([[name, name, dtype, "", 0] for name, dtype in described],
                        columns=FIELD_COLUMNS)


def blank_rule(table: pd.DataFrame, fields: pd.DataFrame) -> pd.DataFrame:
    """Record per text column what a blank cell means, for formats that cannot tell.

    Parameters
    ----------
    table : pandas.DataFrame
        The layer's attribute columns.
    fields : pandas.DataFrame
        Its field table (see :func:`field_table`); its ``blank`` column is set in place.

    Returns
    -------
    pandas.DataFrame
        ``fields``, with ``blank`` set to ``missing`` for a text column that had missing
        values and no empty text, else ``empty``.
    """
    for column in table.columns:
        values = table[column]
        if str(values.dtype) not in TEXT_DTYPES:
            continue
        missing, empty = bool(values.isna().any()), bool((values == "").any())
        if missing and empty:
            logger.warning("column %r holds both missing values and empty text; both will read "
                           "back as empty text", column)
        fields.loc[fields["full_name"] == column, "blank"] = (
            "missing" if missing and not empty else "empty")
    return fields


def restore(frame: pd.DataFrame, fields: pd.DataFrame, kinds: list[str],
            crs: str | None) -> pd.DataFrame:
    """Rename columns back, restore dtypes, column order, geometry name, types and CRS.

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer as read from an export file.
    fields : pandas.DataFrame
        Its field table (:data:`FIELD_COLUMNS`).
    kinds : list of str
        Geometry types the layer had when exported (one-part multi-geometries of a layer
        that had single ones are made single again).
    crs : str or None
        CRS to set; None keeps ``frame``'s.

    Returns
    -------
    pandas.DataFrame
        The layer as exported (a GeoDataFrame when it had a geometry column).
    """
    geometry_column = geometry_name(frame)
    out: dict[str, object] = {}
    restored_geometry = None
    for field in fields.itertuples():
        if field.dtype == "geometry":
            restored_geometry = field.full_name
            out[field.full_name] = _restore_geometry(frame.geometry, kinds).to_numpy()
            continue
        name = field.short_name or field.full_name
        if name not in frame.columns and frame.empty:  # GeoJSON keeps no schema without rows
            frame[name] = pd.Series(dtype=object)
        values = frame[name].reset_index(drop=True)
        out[field.full_name] = _restore_values(values, field.dtype, field.blank)
    table = pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
    if restored_geometry is None:
        return table
    source_crs = crs if crs else (frame.crs if geometry_column else None)
    return gpd.GeoDataFrame(table, geometry=restored_geometry, crs=source_crs)


def _restore_geometry(series: gpd.GeoSeries, kinds: list[str]) -> gpd.GeoSeries:
    """Give back the single or multi geometries the layer had.

    One-part multi-geometries become single where the layer had singles; single geometries
    become one-part multi-geometries where the layer had only multis (a shapefile reads a
    one-part multipolygon as a polygon).
    """
    values = series.reset_index(drop=True)
    multi = {f"Multi{kind}" for kind in kinds if not kind.startswith("Multi")}
    single = (values.geom_type.isin(multi).to_numpy()
              & (shapely.get_num_geometries(values.to_numpy()) == 1))
    if single.any():
        values[single] = shapely.get_geometry(values[single].to_numpy(), 0)
    for kind in ("Point", "LineString", "Polygon"):
        if f"Multi{kind}" in kinds and kind not in kinds:
            alone = (values.geom_type == kind).to_numpy()
            if alone.any():
                maker = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings,
                         "Polygon": shapely.multipolygons}[kind]
                values[alone] = [maker([shape]) for shape in values[alone].to_numpy()]
    return values


def _restore_values(values: pd.Series, dtype: str, blank: str) -> pd.Series:
    if dtype in TEXT_DTYPES:
        if blank == "missing":
            values = values.replace("", None)
        elif blank == "empty":
            values = values.fillna("")
        return values.astype(dtype)
    if dtype in ("", "nan"):
        return values
    if values.dtype.kind in "OUT" or str(values.dtype) == "str":
        values = values.replace("", None)
    if dtype in ("bool", "boolean"):
        truth = {"True": True, "False": False, "true": True, "false": False, "1": True,
                 "0": False, True: True, False: False}  # 1 and 0 hash as True and False
        return values.map(truth.get, na_action="ignore").astype("boolean").astype(dtype)
    if dtype.startswith("datetime"):
        return pd.to_datetime(values).astype(dtype)
    target = pd.api.types.pandas_dtype(dtype)
    if pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_numeric_dtype(values):
        values = pd.to_numeric(values)
    return values.astype(target)
