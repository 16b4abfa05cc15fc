"""SSEN Network Headroom Report workbooks (``*-network-headroom-report.xlsx``).

SSEN publishes one workbook per licence area (SEPD for southern England, including most of
Oxfordshire; SHEPD for the north of Scotland). The demand sheets ("Primary Headroom Dem" and,
where present, "BSP Headroom Dem") are laid out as:

* two header rows: a band row naming the season ("Demand Headroom Winter MVA", "... Summer
  MVA", "... Spring/Autumn MVA") over the first year column of each band, then a row of years;
* one block of rows per substation, one row per scenario (MINIMUM HEADROOM and the DFES
  scenarios CT, LW, ST, SP); the Grid Supply Point, Bulk Supply Point (SEPD only), grid
  reference and upstream-constraint flag are written on the block's first row only. The
  primary sheet repeats the substation's name on every row; the SEPD BSP sheet writes it on
  the first row only.

Columns are found by header text, never by position, because the licence areas differ. A row
without a name belongs to the block above only by its shape: it directly follows that block's
last row, leaves the GSP (and BSP) cells blank and carries a scenario label that comes later
in the order MINIMUM HEADROOM, CT, LW, ST, SP than every label the block already has. Any
other row that carries values but no name (such as the unlabelled rows under the last block
of SEPD's primary sheet) is skipped with a counted warning: it is never given the previous
block's name. The reference sheet ("LEP Reference" in SEPD, "Local
Authority Reference" in SHEPD) lists which areas each primary serves: SEPD names a LEP and a
local authority per row, SHEPD a local authority. Every name is kept in the ``areas``
attribute (``"; "``-separated) so users can select their area by either.

Scenario names in the ``headroom`` table: ``minimum`` (the report's MINIMUM HEADROOM row, the
lowest of the scenarios), and the DFES codes ``CT`` (Consumer Transformation), ``LW`` (Leading
the Way), ``ST`` (System Transformation) and ``SP`` (Steady Progression).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from geoplan.errors import Problems
from geoplan.sources.base import GridTables, finish_grid
from geoplan.sources.cells import (
    cell_text,
    excel_column,
    find_columns,
    is_blank,
    normalise_header,
    open_workbook,
    parse_number,
    sheet_rows,
)
from geoplan.sources.names import name_key
from geoplan.sources.numbers import HEADROOM_MVA, parse_column
from geoplan.sources.osgb import grid_ref_to_xy

__all__ = ["FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "ssen-headroom-report"
LABEL = "SSEN Network Headroom Report workbook (SEPD / SHEPD)"
SHAPE = "workbook"
UNITS = "MVA"

SCENARIOS = {
    "minimum": "Minimum headroom across the scenarios",
    "CT": "Consumer Transformation",
    "LW": "Leading the Way",
    "ST": "System Transformation",
    "SP": "Steady Progression",
}
"""Scenario codes written to the ``headroom`` table and what they mean, in sheet order."""

_ORDER = tuple(SCENARIOS)

_SHEETS = {"primary": "Primary Headroom Dem", "bsp": "BSP Headroom Dem"}
_REFERENCE_SHEETS = ("LEP Reference", "Local Authority Reference")
_AREA_HEADERS = ("lep", "local authority", "local enterprise partnership")
_SEASONS = {"winter": "winter", "summer": "summer", "spring/autumn": "spring_autumn",
            "spring autumn": "spring_autumn", "autumn/spring": "spring_autumn"}
_COMMON = {
    "gsp": ("Grid Supply Point", "GSP", "Grid Supply Point Name"),
    "scenario": ("Scenario",),
    "grid_ref": ("Grid Reference", "Grid Ref", "OS Grid Reference"),
    "upstream": ("Upstream Constraint (YES / NO)", "Upstream Constraint (YES/NO)",
                 "Upstream Constraint"),
}
_NAME = {
    "primary": {"name": ("Primary Substation", "Primary Substation Name", "Primary"),
                "bsp": ("Bulk Supply Point", "BSP", "Bulk Supply Point Name")},
    "bsp": {"name": ("Bulk Supply Point", "BSP", "Bulk Supply Point Name")},
}


def sniff(signature: list[str]) -> bool:
    """Whether a workbook's sheet names are those of a Network Headroom Report."""
    return normalise_header(_SHEETS["primary"]) in {normalise_header(s) for s in signature}


@dataclass
class _Block:
    """One substation's block of scenario rows."""

    name: str
    first_row: int
    gsp: str | None = None
    bsp: str | None = None
    grid_ref: str | None = None
    upstream: str | None = None
    scenarios: dict[str, int] = field(default_factory=dict)


@dataclass
class _Layout:
    """Where things are on a demand sheet."""

    header_row: int
    columns: dict[str, int]
    bands: list[tuple[int, str, int]]  # (column, season, year)


def read(path: str | Path, *, year: int | None = None) -> GridTables:
    """Read the demand headroom sheets of an SSEN Network Headroom Report.

    Parameters
    ----------
    path : str or pathlib.Path
        The workbook as downloaded from SSEN.
    year : int, optional
        Ignored (the report gives a year per column); accepted so that every reader takes
        the same options.

    Returns
    -------
    GridTables
        Primaries (and BSPs where the workbook has a BSP sheet) with their upstream GSPs and
        BSPs, and demand headroom per scenario, year and season in MVA.

    Raises
    ------
    SourceNotFoundError
        If the file or its "Primary Headroom Dem" sheet is missing.
    SourceFormatError
        Listing every bad header, scenario or number cell with its row and column.
    """
    path = Path(path)
    workbook = open_workbook(path)
    present = {normalise_header(s) for s in workbook.sheet_names}
    problems = Problems(path)
    notes: list[str] = []
    records: list[dict[str, object]] = []
    values: list[tuple[int, str, int, str, float]] = []
    for level, sheet in _SHEETS.items():
        if level != "primary" and normalise_header(sheet) not in present:
            continue
        rows = sheet_rows(workbook, path, sheet)
        _read_sheet(rows, level, sheet, problems, notes, records, values)
    problems.raise_if_any()
    _attach_areas(workbook, path, records, notes)
    frame = pd.DataFrame(records)
    headroom = pd.DataFrame(values, columns=["record", "scenario", "year", "season",
                                             "headroom_mva"])
    return finish_grid(frame, headroom, source=path, fmt=FORMAT, warnings=notes)


def _read_sheet(
    rows: list[list[object]],
    level: str,
    sheet: str,
    problems: Problems,
    notes: list[str],
    records: list[dict[str, object]],
    values: list[tuple[int, str, int, str, float]],
) -> None:
    sheet_problems = Problems(problems.file, sheet=sheet)
    layout = _find_layout(rows, level, sheet_problems)
    if layout is None:
        problems.extend(sheet_problems)
        return
    blocks, nameless = _blocks(rows, layout, sheet_problems)
    if nameless:
        notes.append(f"sheet {sheet!r}: skipped {nameless} rows that have values but no "
                     "substation name (they are not given the previous block's name)")
    parsed = _numbers(rows, layout, blocks, sheet_problems)  # one index: the data rows
    position = {row: i for i, row in enumerate(next(iter(parsed.values())).index)} \
        if parsed else {}
    numbers = {column: series.to_numpy() for column, series in parsed.items()}
    for block in blocks:
        _check_block(block, sheet_problems)
        record = len(records)
        records.append(_record(block, level, sheet_problems))
        for scenario, row in block.scenarios.items():
            for column, season, year in layout.bands:
                number = numbers[column][position[row]]
                if not np.isnan(number):
                    values.append((record, scenario, year, season, float(number)))
    problems.extend(sheet_problems)


def _find_layout(rows: list[list[object]], level: str, problems: Problems) -> _Layout | None:
    """Locate the header row (the one with a "Scenario" cell) and the season/year bands."""
    index = next((i for i, row in enumerate(rows[:20])
                  if any(normalise_header(cell) == "scenario" for cell in row)), None)
    if index is None:
        problems.add("no header row with a 'Scenario' column in the first 20 rows",
                     fix="use the sheet as published, with its two header rows")
        return None
    header_row = index + 1
    optional = ("grid_ref", "upstream", "bsp") if level == "primary" else ("grid_ref", "upstream")
    columns = find_columns(rows[index], {**_COMMON, **_NAME[level]}, problems,
                           optional=optional, row=header_row)
    if len(rows) <= index + 1:
        problems.add("the year row under the header is missing", row=header_row + 1)
        return None
    bands = _bands(rows[index], rows[index + 1], header_row, problems)
    if not bands:
        problems.add("no 'Demand Headroom <season> MVA' band with years found", row=header_row,
                     fix="keep the band row and the year row as published")
    if len(problems):
        return None
    return _Layout(header_row, columns, bands)


def _bands(
    band_row: list[object], year_row: list[object], header_row: int, problems: Problems
) -> list[tuple[int, str, int]]:
    """(column, season, year) for every year cell under a season band."""
    bands, season = [], None
    for column, cell in enumerate(band_row):
        text = normalise_header(cell)
        if "headroom" in text:
            match = next((s for s in _SEASONS if s in text), None)
            season = _SEASONS[match] if match else None
            if match is None:
                problems.add(f"band {str(cell).strip()!r} names no season", row=header_row,
                             column=excel_column(column),
                             fix="expected Winter, Summer or Spring/Autumn in the band title")
        elif text:
            season = None  # a non-band header ends the current band
        if season is None or is_blank(_cell(year_row, column)):
            continue
        year = _year(_cell(year_row, column))
        if year is None:
            problems.add(f"{_cell(year_row, column)!r} is not a year", row=header_row + 1,
                         column=excel_column(column), fix="years are whole numbers like 2030")
            continue
        bands.append((column, season, year))
    return bands


def _year(value: object) -> int | None:
    try:
        number = parse_number(value)
    except ValueError:
        return None
    if number is None or number != int(number) or not 2000 <= number <= 2100:
        return None
    return int(number)


def _cell(row: list[object], column: int) -> object:
    return row[column] if column < len(row) else None


def _text(row: list[object], column: int | None) -> str | None:
    if column is None:
        return None
    return cell_text(_cell(row, column))


def _blocks(
    rows: list[list[object]], layout: _Layout, problems: Problems
) -> tuple[list[_Block], int]:
    """Group data rows into one block per substation; count rows that belong to none.

    A named row starts a block (or continues the block above when it repeats its name and
    leaves the GSP blank); a nameless row continues the block above only when
    :func:`_continues` says it has a continuation row's shape.
    """
    col = layout.columns
    blocks: list[_Block] = []
    nameless = 0
    open_block: _Block | None = None  # the block the previous row belongs to, if any
    for index in range(layout.header_row + 1, len(rows)):
        row = rows[index]
        name = _text(row, col["name"])
        if name is None:
            if open_block is not None and _continues(open_block, row, col):
                _add_scenario(open_block, row, index, col["scenario"], problems)
            else:
                nameless += any(not is_blank(c) for c in row)
                open_block = None
            continue
        gsp = _text(row, col["gsp"])
        current = blocks[-1] if blocks else None
        if current is None or gsp is not None or name_key(name) != name_key(current.name):
            current = _Block(name, index + 1, gsp, _text(row, col.get("bsp")),
                             _text(row, col.get("grid_ref")), _text(row, col.get("upstream")))
            blocks.append(current)
        _add_scenario(current, row, index, col["scenario"], problems)
        open_block = current
    return blocks, nameless


def _continues(block: _Block, row: list[object], col: dict[str, int]) -> bool:
    """Whether a nameless row is the next scenario row of ``block`` (the row above it).

    Its GSP and BSP cells are blank and its scenario label comes later in
    :data:`SCENARIOS` order than every scenario the block already has.
    """
    if _text(row, col["gsp"]) is not None or _text(row, col.get("bsp")) is not None:
        return False
    scenario = _scenario_code(_text(row, col["scenario"]))
    if scenario not in _ORDER:
        return False
    reached = max((_ORDER.index(s) for s in block.scenarios if s in _ORDER), default=-1)
    return _ORDER.index(scenario) > reached


def _scenario_code(raw: str | None) -> str | None:
    """Return the ``headroom`` table's code for a scenario label (``None`` for a blank)."""
    if raw is None:
        return None
    return "minimum" if "minimum" in raw.casefold() else raw.strip().upper()


def _add_scenario(block: _Block, row: list[object], index: int, column: int,
                  problems: Problems) -> None:
    raw = _text(row, column)
    scenario = _scenario_code(raw)
    if scenario is None:
        problems.add(f"substation {block.name!r} has a row with no scenario", row=index + 1,
                     column="Scenario", fix=f"write one of {list(SCENARIOS)}")
        return
    if scenario in block.scenarios:
        problems.add(f"substation {block.name!r} lists scenario {raw!r} twice "
                     f"(rows {block.scenarios[scenario] + 1} and {index + 1})",
                     row=index + 1, column="Scenario", fix="remove the repeated row")
        return
    block.scenarios[scenario] = index


def _check_block(block: _Block, problems: Problems) -> None:
    if block.gsp is None:
        problems.add(f"substation {block.name!r} starts without a Grid Supply Point",
                     row=block.first_row, column="Grid Supply Point",
                     fix="write the GSP on the first row of each substation's block")


def _record(block: _Block, level: str, problems: Problems) -> dict[str, object]:
    x = y = np.nan
    if block.grid_ref is not None:
        try:
            x, y = grid_ref_to_xy(block.grid_ref)
        except ValueError as exc:
            problems.add(str(exc), row=block.first_row, column="Grid Reference",
                         fix="write an OS grid reference like 'SP 51259 05741'")
    upstream = None if block.upstream is None else block.upstream.strip().upper() == "YES"
    return {"name": block.name, "level": level, "gsp_name": block.gsp,
            "bsp_name": block.bsp, "x": x, "y": y, "grid_ref": block.grid_ref,
            "upstream_constraint": upstream}


def _numbers(rows: list[list[object]], layout: _Layout, blocks: list[_Block],
             problems: Problems) -> dict[int, pd.Series]:
    """Headroom of every scenario row, per band column (NaN for blank and bad cells).

    Each column is parsed as a whole (:func:`geoplan.sources.numbers.parse_column`), so a
    thousands separator is accepted only where the column uses it consistently; every bad
    cell is a problem.
    """
    data_rows = sorted(row for block in blocks for row in block.scenarios.values())
    out = {}
    for column, season, year in layout.bands:
        cells = pd.Series([_cell(rows[r], column) for r in data_rows], index=data_rows,
                          dtype=object)
        out[column], bad = parse_column(cells, HEADROOM_MVA)
        for item in bad:
            problems.add(f"{item.message} ({season} {year})", row=item.int_label + 1,
                         column=excel_column(column), fix=item.fix)
    return out


def _attach_areas(workbook: CalamineWorkbook, path: Path, records: list[dict[str, object]],
                  notes: list[str]) -> None:
    """Add an ``areas`` attribute from the LEP / Local Authority reference sheet."""
    present = {normalise_header(s): s for s in workbook.sheet_names}
    sheet = next((present[normalise_header(s)] for s in _REFERENCE_SHEETS
                  if normalise_header(s) in present), None)
    for record in records:
        record["areas"] = None
    if sheet is None:
        notes.append(f"no reference sheet ({' or '.join(_REFERENCE_SHEETS)}); "
                     "substations have no areas")
        return
    areas = _reference_areas(sheet_rows(workbook, path, sheet))
    missing = 0
    for record in records:
        found = areas.get((name_key(record["gsp_name"] or ""), name_key(record["name"])))
        found = found or areas.get(("", name_key(record["name"])))
        record["areas"] = "; ".join(sorted(found)) if found else None
        missing += record["level"] == "primary" and not found
    if missing:
        notes.append(f"{missing} primaries are not listed on sheet {sheet!r}; "
                     "they have no areas")


def _reference_areas(rows: list[list[object]]) -> dict[tuple[str, str], set[str]]:
    """Map (GSP key, primary key) and ("", primary key) to the areas listing them.

    Every area column of the sheet counts: SEPD's "LEP Reference" names a LEP and a local
    authority on each row, SHEPD's "Local Authority Reference" a local authority.
    """
    if not rows:
        return {}
    header = [normalise_header(c) for c in rows[0]]
    area_cols = [i for i, h in enumerate(header) if h in _AREA_HEADERS] or [0]
    gsp_col = next((i for i, h in enumerate(header) if h.startswith("grid supply point")), None)
    name_col = next((i for i, h in enumerate(header) if h.startswith("primary")), None)
    if name_col is None:
        return {}
    areas: dict[tuple[str, str], set[str]] = {}
    for row in rows[1:]:
        name = _text(row, name_col)
        found = {area for col in area_cols if (area := _text(row, col)) is not None}
        if name is None or not found:
            continue
        gsp = name_key(_text(row, gsp_col) or "") if gsp_col is not None else ""
        areas.setdefault((gsp, name_key(name)), set()).update(found)
        areas.setdefault(("", name_key(name)), set()).update(found)
    return areas
