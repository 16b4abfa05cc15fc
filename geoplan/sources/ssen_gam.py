"""SSEN Generation Availability Map workbooks (``ScotlandMapLocation_<Month>_<Year>.xlsx``).

The workbook has one sheet per substation level, ``GSP``, ``BSP`` and ``PS`` (primaries), each
with one header row (found by its name column, e.g. "Primary Substation Name") and one row per
substation, plus sheets this reader does not use ("Contracted Generation", "Quoted Jobs", ...).
The BSP sheet may hold only its header. Columns are found by header text, never by position.

What the numbers mean, and what this reader does with them:

* **"Available Headroom Capacity (MVA)" is generation headroom, not demand headroom.** It
  sits beside "Contracted Generation" and "Reverse Powerflow Capability"; "Site
  Classification" is its RAG band (primaries: red below 1 MVA, amber 1-5, green above 5); and
  in the January 2023 Scotland file it equals nameplate + minimum load - contracted generation
  on every row. As demand headroom it would overstate room for heat pumps and chargers, so it
  is kept as the attribute ``generation_headroom_mva`` (a note after the figure, as in
  ``"2.5 (subject to transmission works)"``, goes to ``headroom_note``), and "Site
  Classification" as ``generation_rag``.
* **Demand headroom is derived** as firm capacity minus maximum load, only where the firm
  capacity is known, and written to the ``headroom`` table with scenario ``published``, season
  ``peak`` and year = ``year`` if given, else the 4-digit year in the file name (``2023`` in
  ``..._January_2023.xlsx``), else missing.
* **Firm capacity** comes from the nameplate cell only when it lists transformer units:
  ``"1 x 12.5 2 x 11.5"`` is one 12.5 MVA and two 11.5 MVA transformers, 35.5 MVA of nameplate
  and 23.0 MVA firm (N-1: the total without the largest unit). A single unit, or a plain
  number (a site total), gives no firm capacity: it depends on backfeed the file does not
  state. The Scotland 2023 file writes plain numbers only, so it yields **no demand headroom
  rows**; the reader says so in a warning rather than inventing a figure.
* **"Maximum Load (MW)" becomes** ``peak_demand_mva`` = MW / ``power_factor`` (the plan's
  ``grid_units`` factor when read through :func:`geoplan.sources.read_grid` by a run or
  ``geoplan layers``; 1 when this reader is called alone); "Minimum Load (MW)" is kept as
  ``min_load_mw``.
* **Location**: latitude/longitude, else the "Location Grid Ref", else unlocated (counted in a
  warning). Where both disagree by more than 1 km (five primaries in the Scotland 2023 file,
  where the grid reference is wrong), latitude/longitude win and the rows are named.
* Parents come from "GSP Parent" / "BSP Parent" (names, matched by
  :func:`geoplan.sources.base.finish_grid`). Other attributes: ``nameplate_mva``,
  ``contracted_generation_mva``, ``upstream_status``, ``downstream_status``, ``voltage_kv``
  (text such as ``"33 / 11"``), ``grid_ref``, ``reinforcement`` ("Distribution Works") and
  ``reinforcement_date`` (text as written; Excel dates and serial numbers become ISO dates).

Rows without a substation name are skipped with a counted warning, never given the previous
row's name.

**Columns the grid layer needs, and the others.** The layer needs the names, the parents, the
location (latitude/longitude, grid reference), "Nameplate Rating (MVA)" (firm capacity) and
"Maximum Load (MW)" (peak demand): every bad cell in those (text in a number column, an
unreadable nameplate, a point outside Great Britain, ...) is collected and reported at once in
a :class:`SourceFormatError`, by the shared number rules of :mod:`geoplan.sources.numbers`.
The other columns read here ("Minimum Load (MW)", "Available Headroom Capacity (MVA)",
"Contracted Generation (MVA)", "Distribution reinforcement date") are attributes only and
are never a reason to refuse a file: a number cell that does not read (as ``'5.510.171'`` in
'Contracted Generation (MVA)' of a published England workbook) is left blank and a date cell
that does not read is kept as published text, each counted in a warning that names the sheet,
column, rows and values.

This module also holds the row helpers (:class:`CellTable`, :func:`place_points`, ...) that
:mod:`~geoplan.sources.ssen_dashboard` and :mod:`~geoplan.sources.nged_capacity` import, until
they move to :mod:`geoplan.sources.cells`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.errors import Problems, SourceFormatError
from geoplan.sources.base import GridTables, finish_grid
from geoplan.sources.cells import (
    cell_text,
    normalise_header,
    open_workbook,
    sheet_rows,
)
from geoplan.sources.numbers import (
    ANY,
    DEMAND_MVA,
    GRID_HEADROOM_MVA,
    Quantity,
    parse_column,
)
from geoplan.sources.snapshot import (
    _NAMEPLATE_FIX,
    CellTable,
    _floats,
    date_text,
    grid_ref_columns,
    in_file_order,
    lonlat_columns,
    nameplate_capacity,
    number_and_note,
    place_points,
    published_headroom,
    skip_nameless,
    snapshot_year,
)

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "ssen-gam"


LABEL = "SSEN Generation Availability Map workbook (sheets GSP, BSP, PS)"


SHAPE = "workbook"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ("published",)
"""Scenario names this format gives (one published snapshot)."""


COLUMNS: dict[str, tuple[str, ...]] = {
    "gsp_name": ("GSP Parent",),
    "bsp_name": ("BSP Parent",),
    "lat": ("Location Latitude", "Latitude"),
    "lon": ("Location Longitude", "Longitude"),
    "grid_ref": ("Location Grid Ref", "Location Grid Reference", "Grid Reference"),
    "nameplate": ("Nameplate Rating (MVA)",),
    "min_load": ("Minimum Load (MW)",),
    "max_load": ("Maximum Load (MW)",),
    "headroom": ("Available Headroom Capacity (MVA)",),
    "contracted": ("Contracted Generation (MVA)",),
    "upstream_status": ("Upstream status",),
    "downstream_status": ("Downstream status",),
    "voltage": ("Voltage (kV)",),
    "rag": ("Site Classification",),
    "works": ("Distribution Works",),
    "works_date": ("Distribution reinforcement date",),
}


"""Key -> accepted header texts on every sheet (matched ignoring case and spacing)."""


_OPTIONAL = ("grid_ref", "contracted", "upstream_status", "downstream_status", "voltage", "rag",
             "works", "works_date")


_HEADER_SCAN = 10  # rows searched for the header row



@dataclass(frozen=True)
class _Sheet:
    name: str
    level: str
    name_header: str
    parents: tuple[str, ...]


_SHEETS = (
    _Sheet("GSP", "gsp", "Grid Supply Point Name", ()),
    _Sheet("BSP", "bsp", "Bulk Supply Point Name", ("gsp_name",)),
    _Sheet("PS", "primary", "Primary Substation Name", ("gsp_name", "bsp_name")),
)


def sniff(signature: list[str]) -> bool:
    """Whether a workbook's sheet names are those of an SSEN Generation Availability Map.

    Parameters
    ----------
    signature : list of str
        Sheet names of the workbook.

    Returns
    -------
    bool
        True when it has sheets ``GSP``, ``BSP`` and ``PS`` (ignoring case and spacing).

    Examples
    --------
    >>> sniff(["GSP", "BSP", "PS", "Contracted Generation"])
    True
    >>> sniff(["Primary Headroom Dem", "LEP Reference"])
    False
    """
    names = {normalise_header(name) for name in signature}
    return {"gsp", "bsp", "ps"} <= names


def read(path: str | Path, *, year: int | None = None, power_factor: float = 1.0
         ) -> GridTables:
    """Read an SSEN Generation Availability Map workbook into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The published workbook.
    year : int, optional
        Year of the derived demand headroom; by default the 4-digit year in the file name,
        else missing.
    power_factor : float
        Turns "Maximum Load (MW)" into MVA (``MW / power_factor``) before it is taken from the
        firm capacity in MVA; in (0, 1]. :func:`geoplan.sources.read_grid` passes the one the
        plan uses (the ``grid_units`` table), so load and capacity meet in one unit.

    Returns
    -------
    GridTables
        GSPs, BSPs and primaries; demand headroom only where firm capacity is known (see the
        module docstring: the published headroom is generation headroom and is kept as the
        ``generation_headroom_mva`` attribute).

    Raises
    ------
    SourceNotFoundError
        If the file or one of the sheets GSP, BSP, PS does not exist.
    SourceFormatError
        If the file is not a workbook, a column is missing, or cells hold values that cannot
        be read; every problem is listed at once.
    """
    path = Path(path)
    if isinstance(power_factor, bool) or not 0 < float(power_factor) <= 1:
        raise SourceFormatError(f"{path.name}: power_factor={power_factor!r} is not a power "
                                "factor (fix: give a value in (0, 1], e.g. 0.95)")
    workbook = open_workbook(path)
    problems = Problems(path)
    notes: list[str] = []
    parts = [_sheet_records(sheet_rows(workbook, path, sheet.name), path, sheet, problems, notes)
             for sheet in _SHEETS]
    parts = [part for part in parts if len(part)]
    if not parts and not len(problems):
        problems.add("no substation rows in sheets GSP, BSP and PS",
                     fix="use the workbook as SSEN publishes it")
    problems.raise_if_any()
    records = pd.concat(parts, ignore_index=True)
    records["x"], records["y"] = place_points(
        records.pop("_lat").to_numpy(), records.pop("_lon").to_numpy(),
        records.pop("_ref_x").to_numpy(), records.pop("_ref_y").to_numpy(),
        records["name"].tolist(), notes)
    records["peak_demand_mva"] = records["peak_demand_mva"] / float(power_factor)
    demand = records["firm_capacity_mva"] - records["peak_demand_mva"]
    notes.append(_headroom_note(int(demand.notna().sum()), len(records)))
    headroom = published_headroom(demand.to_numpy(), snapshot_year(path, year, notes))
    return finish_grid(records, headroom, source=path, fmt=FORMAT, warnings=notes)


def _headroom_note(derived: int, total: int) -> str:
    return (f"'Available Headroom Capacity (MVA)' is generation headroom: it is kept as the "
            f"attribute generation_headroom_mva, not as demand headroom. Demand headroom (firm "
            f"capacity - maximum load) was derived for {derived} of {total} substations; the "
            "others give a plain or single-unit nameplate rating, so their firm capacity is "
            "unknown")


def _sheet_records(
    rows: list[list[object]], path: Path, sheet: _Sheet, problems: Problems, notes: list[str]
) -> pd.DataFrame:
    """Read one level's sheet into records (none when it is unusable: problems say why)."""
    local = Problems(path, sheet=sheet.name)
    table = _sheet_table(rows, sheet, local)
    records = pd.DataFrame()
    if table is not None:
        records = _records(skip_nameless(table, notes, where=f"sheet {sheet.name!r}"), sheet,
                           notes)
    problems.extend(in_file_order(local))
    return pd.DataFrame() if len(local) else records


def _sheet_table(rows: list[list[object]], sheet: _Sheet, problems: Problems) -> CellTable | None:
    target = normalise_header(sheet.name_header)
    for at, row in enumerate(rows[:_HEADER_SCAN]):
        if any(normalise_header(cell) == target for cell in row if cell is not None):
            wanted = {"name": (sheet.name_header,),
                      **{k: v for k, v in COLUMNS.items() if k not in ("gsp_name", "bsp_name")},
                      **{k: COLUMNS[k] for k in sheet.parents}}
            return CellTable.from_rows(rows, at, wanted, problems, optional=_OPTIONAL)
    problems.add(f"no header row with a {sheet.name_header!r} column in the first "
                 f"{_HEADER_SCAN} rows", fix="use the sheet as SSEN publishes it")
    return None


def _records(table: CellTable, sheet: _Sheet, notes: list[str]) -> pd.DataFrame:
    unknown: tuple[float | None, float | None] = (None, None)
    units = table.parse("nameplate", nameplate_capacity, _NAMEPLATE_FIX, unknown)
    loose = _Lenient(table, sheet.name, notes)
    noted = loose.parse("headroom", lambda v: number_and_note(v, GRID_HEADROOM_MVA),
                        (None, None))
    lat, lon = lonlat_columns(table)
    ref_x, ref_y = grid_ref_columns(table, "grid_ref", ~(np.isfinite(lat) & np.isfinite(lon)))
    return pd.DataFrame({
        "name": table.texts("name"), "level": sheet.level,
        "gsp_name": table.texts("gsp_name"), "bsp_name": table.texts("bsp_name"),
        "_lat": lat, "_lon": lon, "_ref_x": ref_x, "_ref_y": ref_y,
        "firm_capacity_mva": _floats(u[1] for u in units),
        "peak_demand_mva": table.numbers("max_load", quantity=DEMAND_MVA),
        "nameplate_mva": _floats(u[0] for u in units),
        "min_load_mw": loose.numbers("min_load"),
        "generation_headroom_mva": _floats(n[0] for n in noted),
        "headroom_note": [n[1] for n in noted],
        "contracted_generation_mva": loose.numbers("contracted", DEMAND_MVA),
        "generation_rag": table.texts("rag"),
        "upstream_status": table.texts("upstream_status"),
        "downstream_status": table.texts("downstream_status"),
        "voltage_kv": table.texts("voltage"),
        "grid_ref": table.texts("grid_ref"),
        "reinforcement": table.texts("works"),
        "reinforcement_date": loose.parse("works_date", date_text, None, keep_text=True),
    })


@dataclass(frozen=True)
class _Lenient:
    """Reads the columns the grid layer does not need: a bad cell is a warning, not an error.

    Each column's bad cells are counted in one note (sheet, column, up to five rows and
    values), never recorded as problems, so they cannot make the file refused.
    """

    table: CellTable
    sheet: str
    notes: list[str]

    def numbers(self, key: str, quantity: Quantity = ANY) -> np.ndarray:
        """Floats by the shared number rules; a cell that does not read is left blank."""
        values, bad = parse_column(pd.Series(self.table.values(key), dtype=object), quantity)
        self._note(key, [(self.table.rows[item.int_label], item.value) for item in bad],
                   "left blank")
        return values.to_numpy(dtype=float)

    def parse(self, key: str, parser: Callable[[object], Any], default: Any, *,
              keep_text: bool = False) -> list[Any]:
        """``parser`` on every cell; a ``ValueError`` gives ``default`` (or the cell's text)."""
        out: list[Any] = []
        bad: list[tuple[int, object]] = []
        for value, row in zip(self.table.values(key), self.table.rows, strict=True):
            try:
                out.append(parser(value))
            except ValueError:
                bad.append((row, value))
                out.append(cell_text(value) if keep_text else default)
        self._note(key, bad, "kept as published text" if keep_text else "left blank")
        return out

    def _note(self, key: str, bad: list[tuple[int, object]], fate: str) -> None:
        if not bad:
            return
        column = self.table.headers[self.table.columns[key]]
        shown = ", ".join(f"row {row}: {value!r}" for row, value in bad[:5])
        more = ", ..." if len(bad) > 5 else ""
        cells = "1 cell does" if len(bad) == 1 else f"{len(bad)} cells do"
        self.notes.append(f"sheet {self.sheet!r}, column {column!r}: {cells} not read as "
                          f"a value and {'was' if len(bad) == 1 else 'were'} {fate} "
                          f"({shown}{more}); the grid layer does not use this column")
