"""Class mappings: the classes of a polygon land-cover layer -> geoplan's land classes.

A polygon land-cover or habitat layer (Natural England's Living England habitat map, CORINE
Land Cover, OpenStreetMap land use) names its classes in its own words. A **mapping table**
turns each of them into one of geoplan's land classes, the UKCEH Land Cover Map codes of
``layers/assumptions/land_cover_classes.csv`` (whose ``eligible`` and ``land_use`` columns then
decide what the land may offer), so a polygon layer and the UKCEH raster are priced by the
same rules. Mapping tables are CSVs with columns ``column`` (the layer's attribute the value is
read from), ``value`` (the class as the layer writes it), ``lcm_code``, ``note`` and
``source``. Shipped (:data:`MAPPINGS`): ``living-england`` (``A_pred``, the Phase 4 primary
habitat), ``corine`` (``Code_18`` level-3 codes and ``LABEL3`` labels) and ``osm``
(``landuse`` and ``natural`` tags, and ``fclass`` of Geofabrik's land-use layer).

Rules, stated once:

* **Matching.** Values match after trimming, ignoring case, and with whole numbers written
  without decimals (``211.0`` matches ``211``). Column names match ignoring case.
* **Several columns** (OSM ``landuse`` and ``natural``): the columns are tried in the order
  they first appear in the table; the first whose value is mapped gives the class.
* **Column override.** ``column=`` reads every row's value from that one column instead.
* **Detection.** Without a named mapping, each shipped mapping whose columns the layer has
  and which maps at least one of its values is a candidate; exactly one must be.
* **Unmapped.** A feature none of whose columns holds a mapped value is *unmapped*: it is
  left out of the land (neither eligible nor ineligible) and counted, by value, with the
  area it covers (:class:`ClassMatch`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError
from geoplan.schemas import LAND_COVER_MAPPINGS

__all__ = ["MAPPINGS", "ClassMatch", "class_keys", "match_classes", "read_class_mapping"]

PathLike = str | os.PathLike[str]

MAPPINGS = {name: AssumptionTable(f"land_cover_{name.replace('-', '_')}", key=("column", "value"),
                                  numbers={"lcm_code": 0.0}, text=("note",))
            for name in LAND_COVER_MAPPINGS}
"""Shipped mapping tables by name (``layers/assumptions/land_cover_<name>.csv``)."""

_CUSTOM = AssumptionTable("land_cover_mapping", key=("column", "value"),
                          numbers={"lcm_code": 0.0}, text=("note",))
_BLANK = "(blank)"
_ADD_ROWS = ("add a row per value (column, value, lcm_code of land_cover_classes.csv, note, "
             "source) to a copy of the mapping table and name it with "
             "inputs.land_cover_classes: my_mapping.csv")


@dataclass(frozen=True)
class ClassMatch:
    """The class of every feature of a layer, as one mapping reads it.

    ``lcm_code`` is -1 for unmapped features; ``label`` is ``column=value`` as read (the
    first non-blank column, ``(blank)`` if none); ``mapping`` names the table used.
    """

    mapping: str
    columns: tuple[str, ...]
    lcm_code: np.ndarray
    label: np.ndarray


def read_class_mapping(mapping: str | PathLike, classes: pd.DataFrame) -> pd.DataFrame:
    """Read a mapping table (a shipped name or a CSV path) and check its codes.

    Parameters
    ----------
    mapping : str or path
        ``"living-england"``, ``"corine"``, ``"osm"`` or a CSV path.
    classes : pandas.DataFrame
        The checked class table (:func:`geoplan.layers.land_classes.class_table`).

    Returns
    -------
    pandas.DataFrame
        ``column``, ``value``, ``lcm_code`` (int64), ``note``, ``source`` and ``key`` (the
        matching form of ``value``); ``attrs["name"]`` the mapping's name or file name.

    Raises
    ------
    SourceFormatError
        Bad table (missing columns, blank or repeated keys, no source), or codes that are
        not whole or not in the class table (every one listed).
    """
    named = str(mapping) in MAPPINGS
    spec = MAPPINGS[str(mapping)] if named else _CUSTOM
    table = read_assumptions(spec, None if named else Path(mapping))
    name = str(mapping) if named else Path(mapping).name
    known = set(classes["lcm_code"].astype(int))
    problems = Problems(table.attrs["path"], sheet=spec.name)
    for index, code in table["lcm_code"].items():
        if not float(code).is_integer() or int(code) not in known:
            problems.add(f"{code:g} is not a class of land_cover_classes.csv", row=int(index) + 2,
                         column="lcm_code", fix=f"use one of the codes {sorted(known)}")
    problems.raise_if_any(SourceFormatError)
    out = table.assign(lcm_code=table["lcm_code"].astype(np.int64),
                       key=class_keys(table["value"]))
    out.attrs["name"] = name
    return out


def match_classes(frame: pd.DataFrame, source: str, classes: pd.DataFrame, *,
                  mapping: str | PathLike | None = None,
                  column: str | None = None) -> ClassMatch:
    """Give every feature of ``frame`` a land class (module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        The layer's attributes.
    source : str
        File name for messages.
    classes : pandas.DataFrame
        The checked class table.
    mapping : str or path, optional
        A shipped mapping's name or a CSV; ``None``: detect among the shipped ones.
    column : str, optional
        Read every value from this column instead of the table's ``column``.

    Raises
    ------
    SourceFormatError
        Unknown column, no shipped mapping fitting the layer or several fitting it (each
        listing the values found and how to map them), or a bad mapping table.
    """
    if column is not None and _find(frame, column) is None:
        raise SourceFormatError(f"{source}: no class column {column!r} among "
                                f"{list(map(str, frame.columns))} (fix: set "
                                "inputs.land_cover_column to one of them)")
    if mapping is None:
        mapping = _detect(frame, source, classes, column)
    table = read_class_mapping(mapping, classes)
    return _match(frame, table, column)


def class_keys(values: pd.Series) -> pd.Series:
    """Return the matching form of values: trimmed, case-folded, whole numbers without decimals.

    Blank and missing values give ``""``. Used for classes and for exclusion filters.
    """
    def one(value: object) -> str:
        if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
            return ""
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value).strip().casefold()
    return pd.Series([one(v) for v in values.to_numpy(dtype=object)], index=values.index,
                     dtype=object)


def _find(frame: pd.DataFrame, column: str) -> str | None:
    """Return the frame's column named ``column`` ignoring case (an exact match first)."""
    if column in frame.columns:
        return column
    folded = {str(c).casefold(): str(c) for c in frame.columns}
    return folded.get(column.casefold())


def _columns(table: pd.DataFrame, frame: pd.DataFrame, column: str | None) -> list[str]:
    wanted = [column] if column is not None else list(dict.fromkeys(table["column"]))
    return [found for c in wanted if (found := _find(frame, c)) is not None]


def _match(frame: pd.DataFrame, table: pd.DataFrame, column: str | None) -> ClassMatch:
    columns = _columns(table, frame, column)
    codes = np.full(len(frame), -1, dtype=np.int64)
    label = np.full(len(frame), _BLANK, dtype=object)
    labelled = np.zeros(len(frame), dtype=bool)
    for name in columns:
        rows = table if column is not None else table[table["column"].str.casefold()
                                                      == name.casefold()]
        lookup = dict(zip(rows["key"], rows["lcm_code"], strict=True))
        keys = class_keys(frame[name])
        found = keys.map(lookup).fillna(-1).to_numpy(dtype=np.int64)
        take = (codes < 0) & (found >= 0)
        codes[take] = found[take]
        shown = (~labelled) & (keys.to_numpy() != "")
        label[shown] = (name + "=" + frame[name].astype(str).str.strip()).to_numpy()[shown]
        labelled |= shown
    return ClassMatch(str(table.attrs["name"]), tuple(columns), codes, label)


def _detect(frame: pd.DataFrame, source: str, classes: pd.DataFrame,
            column: str | None) -> str:
    fits, shown = [], []
    for name in MAPPINGS:
        table = read_class_mapping(name, classes)
        match = _match(frame, table, column)
        if match.columns and (match.lcm_code >= 0).any():
            fits.append(name)
        shown.append(f"{name} ({', '.join(dict.fromkeys(table['column']))})")
    if len(fits) == 1:
        return fits[0]
    values = _values(frame, column)
    if fits:
        raise SourceFormatError(
            f"{source}: the class values fit several shipped mappings ({', '.join(fits)}) "
            f"(fix: name one with inputs.land_cover_classes, e.g. {fits[0]}, and the column "
            "with inputs.land_cover_column if needed)")
    raise SourceFormatError(
        f"{source}: no shipped land-cover mapping fits the layer: its columns are "
        f"{list(map(str, frame.columns))}, values found: {values}; the shipped mappings read "
        f"{'; '.join(shown)} (fix: set inputs.land_cover_column to the class column and "
        f"inputs.land_cover_classes to a mapping; for classes of your own, {_ADD_ROWS})")


def _values(frame: pd.DataFrame, column: str | None, limit: int = 12) -> str:
    """List the distinct values of the likely class columns, for messages."""
    names = [column] if column is not None else [
        c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    parts = []
    for name in names[:3]:
        found = sorted({str(v) for v in frame[str(name)].dropna().unique()})
        more = f", ... ({len(found)} in all)" if len(found) > limit else ""
        parts.append(f"{name}: {', '.join(found[:limit])}{more}")
    return "; ".join(parts) or "none"
