"""NGED (formerly WPD) network capacity map CSV.

One row per substation (GSPs, BSPs and primaries) with columns including ``Network Reference
ID``, ``Parent Network Reference ID``, ``Substation Name``, ``Asset Type``, ``Latitude``,
``Longitude``, ``Firm Capacity of Substation (MVA)``, ``Measured Peak Demand (MVA)``, ``Demand
Headroom (MVA)`` and ``Demand Headroom RAG``. Columns are found by header text; columns the
reader does not use are ignored.

How the rows become canonical layers:

* ``Network Reference ID`` is the substation identifier (``source_id``) and ``Parent Network
  Reference ID`` names its parent (``parent_source_id``; blank or ``N/A`` means none). Numeric
  identifiers written as ``"1234.0"`` (a spreadsheet round trip) are read as ``"1234"``.
* ``Asset Type`` gives the level (``GSP`` / ``Grid Supply Point``, ``BSP`` / ``Bulk Supply
  Point``, ``Primary`` / ``Primary Substation``, any case; other text is a problem).
* ``firm_capacity_mva`` and ``peak_demand_mva`` are the published firm capacity and measured
  peak demand. The ``headroom`` table holds the published ``Demand Headroom (MVA)``: scenario
  ``published``, season ``peak``, year = ``year`` if given, else the 4-digit year in the file
  name, else missing.
* Latitude/longitude are projected to British National Grid; rows without them are
  unlocated (the file has no grid reference to fall back on), counted in a warning.
* Extra attributes, when the columns exist: ``demand_rag``, ``substation_number``, ``group``,
  ``upstream_voltage``, ``downstream_voltage``, ``reverse_power_mva``,
  ``generation_headroom_mva``.

Rows without a substation name are skipped with a counted warning. Every bad cell is
reported at once in a :class:`~geoplan.errors.SourceFormatError`, with its row as a
spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.sources.base import GridTables, finish_grid
from geoplan.sources.cells import normalise_header
from geoplan.sources.numbers import CAPACITY_MVA, DEMAND_MVA, HEADROOM_MVA
from geoplan.sources.snapshot import (
    CellTable,
    csv_table,
    in_file_order,
    lonlat_columns,
    place_points,
    published_headroom,
    snapshot_year,
)

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "nged-capacity"
LABEL = "NGED network capacity map CSV (substations with firm capacity and demand headroom)"
SHAPE = "table"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ("published",)
"""Scenario names this format gives (one published snapshot)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "source_id": ("Network Reference ID",),
    "parent_source_id": ("Parent Network Reference ID",),
    "name": ("Substation Name",),
    "level": ("Asset Type",),
    "lat": ("Latitude",),
    "lon": ("Longitude",),
    "firm": ("Firm Capacity of Substation (MVA)", "Firm Capacity (MVA)"),
    "peak": ("Measured Peak Demand (MVA)",),
    "headroom": ("Demand Headroom (MVA)",),
    "demand_rag": ("Demand Headroom RAG",),
    "substation_number": ("Substation Number",),
    "group": ("Group",),
    "upstream_voltage": ("Upstream Voltage",),
    "downstream_voltage": ("Downstream Voltage",),
    "reverse_power": ("Reverse Power Capability (MVA)",),
    "generation_headroom": ("Generation Headroom (MVA)",),
}
"""Key -> accepted header texts (matched ignoring case and spacing; the first is NGED's)."""

_REQUIRED = ("source_id", "parent_source_id", "name", "level", "lat", "lon", "firm", "peak",
             "headroom")
_OPTIONAL = tuple(key for key in COLUMNS if key not in _REQUIRED)
_MVA_FIX = "enter a number of MVA, or leave the cell blank"
_WHOLE = re.compile(r"^(\d+)\.0+$")


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of the NGED network capacity map.

    Parameters
    ----------
    signature : list of str
        Header cells folded by :func:`geoplan.sources.cells.normalise_header`.

    Returns
    -------
    bool
        True when the network reference, parent reference, asset type and demand headroom
        columns are all present.

    Examples
    --------
    >>> sniff(["network reference id", "parent network reference id", "substation name",
    ...        "asset type", "demand headroom (mva)"])
    True
    >>> sniff(["assetid", "substation type", "estimated demand headroom (mva)"])
    False
    """
    present = set(signature)
    return all(any(normalise_header(a) in present for a in COLUMNS[key])
               for key in ("source_id", "parent_source_id", "level", "headroom"))


def read(path: str | Path, *, year: int | None = None) -> GridTables:
    """Read an NGED network capacity map CSV into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The published CSV.
    year : int, optional
        Year of the headroom snapshot; by default the 4-digit year in the file name, else
        missing.

    Returns
    -------
    GridTables
        Substations identified by their network reference, linked to their parents by the
        parent reference, and one ``published`` / ``peak`` headroom row per substation that
        states its demand headroom.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If the file is empty or not CSV, a required column is missing, or cells hold values
        that cannot be read; every problem is listed at once.
    """
    path = Path(path)
    notes: list[str] = []
    table, problems = csv_table(path, COLUMNS, _OPTIONAL, notes,
                                "download the capacity map CSV again")
    records = _records(table)
    headroom = table.numbers("headroom", _MVA_FIX, HEADROOM_MVA)
    in_file_order(problems).raise_if_any()
    nowhere = np.full(len(records), np.nan)
    records["x"], records["y"] = place_points(
        records.pop("_lat").to_numpy(), records.pop("_lon").to_numpy(), nowhere, nowhere,
        records["name"].tolist(), notes)
    heads = published_headroom(headroom, snapshot_year(path, year, notes))
    return finish_grid(records, heads, source=path, fmt=FORMAT, warnings=notes)


def _records(table: CellTable) -> pd.DataFrame:
    """Raw records in table order, with ``_lat``/``_lon`` still to be projected."""
    lat, lon = lonlat_columns(table)
    return pd.DataFrame({
        "source_id": _identifiers(table.texts("source_id")),
        "parent_source_id": _identifiers(table.texts("parent_source_id")),
        "name": table.texts("name"),
        "level": table.levels("level"),
        "_lat": lat, "_lon": lon,
        "firm_capacity_mva": table.numbers("firm", _MVA_FIX, CAPACITY_MVA),
        "peak_demand_mva": table.numbers("peak", _MVA_FIX, DEMAND_MVA),
        "demand_rag": table.texts("demand_rag"),
        "substation_number": table.texts("substation_number"),
        "group": table.texts("group"),
        "upstream_voltage": table.texts("upstream_voltage"),
        "downstream_voltage": table.texts("downstream_voltage"),
        "reverse_power_mva": table.numbers("reverse_power", _MVA_FIX, DEMAND_MVA),
        "generation_headroom_mva": table.numbers("generation_headroom", _MVA_FIX, DEMAND_MVA),
    })


def _identifiers(texts: list[str | None]) -> list[str | None]:
    """Drop the ``".0"`` a spreadsheet adds to whole-number identifiers."""
    return [_WHOLE.sub(r"\1", text) if text is not None else None for text in texts]
