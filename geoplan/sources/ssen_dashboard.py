"""SSEN headroom dashboard CSV ("Headroom Dashboard Data - <Month> <Year>").

One row per GSP, BSP and primary substation of both SSEN licence areas, with 35 columns
(``AssetID``, ``Substation``, ``Upstream GSP``, ``Upstream BSP``, ``Substation Type``,
``Location Latitude``, ``Location Longitude``, ``Grid Reference``, ``Transformer Nameplate
Ratings``, ``Maximum Observed Gross Demand (MVA)``, ``Estimated Demand Headroom (MVA)``,
``Substation Demand RAG Status``, generation columns, reinforcement works, ...). Columns are
found by header text; columns the reader does not use are ignored, so added or reordered
columns do no harm.

How the rows become canonical layers:

* ``AssetID`` is the substation identifier (``source_id``); ``Substation Type`` gives the
  level (``GSP`` / ``Grid Supply Point``, ``BSP`` / ``Bulk Supply Point``, ``Primary`` /
  ``Primary Substation``, any case; other text is a problem). Parents are the names in
  ``Upstream BSP``, else ``Upstream GSP``; ``N/A`` or blank means none.
* ``peak_demand_mva`` = ``Maximum Observed Gross Demand (MVA)``. ``firm_capacity_mva`` =
  ``Firm Capacity (MVA)`` where the file has such a column, else N-1 of the ``Transformer
  Nameplate Ratings`` when they list two or more units (``"2 x 20MVA"`` -> 20 MVA); a single
  unit, a site marked ``Single Transformer Site = Yes`` or free text gives no firm capacity
  (free text is counted in a warning, not refused: the column is descriptive).
* The ``headroom`` table holds the published ``Estimated Demand Headroom (MVA)``: scenario
  ``published``, season ``peak``, year = ``year`` if given, else the 4-digit year in the file
  name (``...-march-2026.csv`` -> 2026), else missing.
* Location: latitude/longitude, else the grid reference, else unlocated (counted warning).
* Extra attributes: ``licence_area``, ``voltage_kv``, ``nameplate``, ``min_demand_mva``,
  ``contracted_demand_mva``, ``demand_rag``, ``demand_constraint``,
  ``generation_headroom_mw``, ``grid_ref``, ``reinforcement``, ``reinforcement_date``.

Rows without a substation name are skipped with a counted warning. Every bad cell is
reported at once in a :class:`~geoplan.errors.SourceFormatError`, with its row as a
spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.sources.base import GridTables, finish_grid
from geoplan.sources.cells import is_blank, normalise_header
from geoplan.sources.numbers import CAPACITY_MVA, DEMAND_MVA, HEADROOM_MVA
from geoplan.sources.snapshot import (
    CellTable,
    csv_table,
    date_text,
    grid_ref_columns,
    in_file_order,
    lonlat_columns,
    nameplate_capacity,
    place_points,
    published_headroom,
    snapshot_year,
)

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "ssen-dashboard"
LABEL = "SSEN headroom dashboard CSV (GSPs, BSPs and primaries with demand headroom)"
SHAPE = "table"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ("published",)
"""Scenario names this format gives (one published snapshot)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "source_id": ("AssetID", "Asset ID"),
    "name": ("Substation", "Substation Name"),
    "level": ("Substation Type",),
    "gsp_name": ("Upstream GSP",),
    "bsp_name": ("Upstream BSP",),
    "lat": ("Location Latitude", "Latitude"),
    "lon": ("Location Longitude", "Longitude"),
    "grid_ref": ("Grid Reference", "Location Grid Ref"),
    "peak": ("Maximum Observed Gross Demand (MVA)",),
    "headroom": ("Estimated Demand Headroom (MVA)",),
    "firm": ("Firm Capacity (MVA)",),
    "nameplate": ("Transformer Nameplate Ratings", "Transformer Nameplate Rating"),
    "single": ("Single Transformer Site",),
    "licence_area": ("Map / License Area", "Map / Licence Area"),
    "voltage": ("Voltage (kV)",),
    "min_demand": ("Minimum Observed Gross Demand (MVA)",),
    "contracted_demand": ("Contracted Demand Excl BESS (MVA)",),
    "demand_rag": ("Substation Demand RAG Status",),
    "demand_constraint": ("Demand Constraint",),
    "generation_headroom": ("Estimated Generation Headroom (MW)",),
    "works": ("Substation Reinforcement Works",),
    "works_date": ("Substation Reinforcement Completion Date",),
}
"""Key -> accepted header texts (matched ignoring case and spacing; the first is SSEN's)."""

_REQUIRED = ("source_id", "name", "level", "gsp_name", "bsp_name", "lat", "lon", "peak",
             "headroom")
_OPTIONAL = tuple(key for key in COLUMNS if key not in _REQUIRED)
_MVA_FIX = "enter a number of MVA, or leave the cell blank"


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of the SSEN headroom dashboard.

    Parameters
    ----------
    signature : list of str
        Header cells folded by :func:`geoplan.sources.cells.normalise_header`.

    Returns
    -------
    bool
        True when the asset id, substation type and estimated demand headroom columns are
        all present.

    Examples
    --------
    >>> sniff(["assetid", "substation", "substation type", "estimated demand headroom (mva)"])
    True
    >>> sniff(["ps name", "geo(long,lat)", "demand (mva)"])
    False
    """
    present = set(signature)
    return all(any(normalise_header(a) in present for a in COLUMNS[key])
               for key in ("source_id", "level", "headroom"))


def read(path: str | Path, *, year: int | None = None) -> GridTables:
    """Read an SSEN headroom dashboard CSV into canonical grid layers.

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
        Substations identified by ``AssetID`` and one ``published`` / ``peak`` headroom row
        per substation that states its estimated demand headroom.

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
    table, problems = csv_table(path, COLUMNS, _OPTIONAL, notes, "download the dashboard CSV again")
    records, headroom = _records(table, notes)
    in_file_order(problems).raise_if_any()
    records["x"], records["y"] = place_points(
        records.pop("_lat").to_numpy(), records.pop("_lon").to_numpy(),
        records.pop("_ref_x").to_numpy(), records.pop("_ref_y").to_numpy(),
        records["name"].tolist(), notes)
    heads = published_headroom(headroom, snapshot_year(path, year, notes))
    return finish_grid(records, heads, source=path, fmt=FORMAT, warnings=notes)


def _records(table: CellTable, notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Raw records and the published demand headroom of each, in table order."""
    lat, lon = lonlat_columns(table)
    ref_x, ref_y = grid_ref_columns(table, "grid_ref", ~(np.isfinite(lat) & np.isfinite(lon)))
    records = pd.DataFrame({
        "source_id": table.texts("source_id"),
        "name": table.texts("name"),
        "level": table.levels("level"),
        "gsp_name": table.texts("gsp_name"),
        "bsp_name": table.texts("bsp_name"),
        "_lat": lat, "_lon": lon, "_ref_x": ref_x, "_ref_y": ref_y,
        "firm_capacity_mva": _firm_capacity(table, notes),
        "peak_demand_mva": table.numbers("peak", _MVA_FIX, DEMAND_MVA),
        "licence_area": table.texts("licence_area"),
        "voltage_kv": table.texts("voltage"),
        "nameplate": table.texts("nameplate"),
        "min_demand_mva": table.numbers("min_demand", _MVA_FIX, DEMAND_MVA),
        "contracted_demand_mva": table.numbers("contracted_demand", _MVA_FIX, DEMAND_MVA),
        "demand_rag": table.texts("demand_rag"),
        "demand_constraint": table.texts("demand_constraint"),
        "generation_headroom_mw": table.numbers("generation_headroom", "enter a number of MW"),
        "grid_ref": table.texts("grid_ref"),
        "reinforcement": table.texts("works"),
        "reinforcement_date": table.parse("works_date", date_text, "enter a date", None),
    })
    return records, table.numbers("headroom", _MVA_FIX, HEADROOM_MVA)


def _firm_capacity(table: CellTable, notes: list[str]) -> np.ndarray:
    """Firm capacity from its own column if present, else N-1 of the nameplate units."""
    if "firm" in table.columns:
        return table.numbers("firm", _MVA_FIX, CAPACITY_MVA)
    single = [(text or "").casefold() in ("yes", "y", "true") for text in table.texts("single")]
    firm = np.full(len(table), np.nan)
    unread = []
    for i, text in enumerate(table.texts("nameplate")):
        try:
            value = None if is_blank(text) or single[i] else nameplate_capacity(text)[1]
        except ValueError:
            unread.append(text)
            continue
        firm[i] = np.nan if value is None else value
    if unread:
        notes.append(f"{len(unread)} transformer nameplate texts do not list units like "
                     f"'2 x 20MVA' (e.g. {unread[:3]}); those substations have no firm capacity")
    return firm
