"""Shared parsing for snapshot tables (one row per substation: SSEN GAM sheets, dashboards).

The readers of those formats find columns by header in a :class:`CellTable`, turn cells into
numbers, levels, dates and locations here, recording every bad cell with its row and column,
and emit the single published headroom value per substation with :func:`published_headroom`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from geoplan.errors import Problems
from geoplan.sources.base import GB_LAT_RANGE, GB_LON_RANGE, lonlat_to_bng
from geoplan.sources.cells import (
    cell_text,
    find_columns,
    is_blank,
    normalise_header,
    parse_number,
    read_csv_text,
)
from geoplan.sources.numbers import ANY, ExcelError, Quantity, parse_cell, parse_column
from geoplan.sources.osgb import grid_refs_to_xy

__all__ = [
    "LEVEL_NAMES",
    "CellTable",
    "csv_table",
    "date_text",
    "grid_ref_columns",
    "in_file_order",
    "lonlat_columns",
    "nameplate_capacity",
    "number_and_note",
    "place_points",
    "published_headroom",
    "skip_nameless",
    "snapshot_year",
]

LEVEL_NAMES: dict[str, str] = {
    "grid supply point": "gsp", "gsp": "gsp",
    "bulk supply point": "bsp", "bsp": "bsp",
    "primary substation": "primary", "primary": "primary", "ps": "primary",
    "secondary substation": "secondary", "secondary": "secondary",
}


"""Level texts the table readers accept (folded) -> canonical level."""


_AGREE_M = 1_000.0  # lat/lon and grid reference further apart than this are reported






_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


_UNIT = r"(\d+)\s*[x×]\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:mva)?"


_UNITS = re.compile(rf"^\s*{_UNIT}(?:\s*(?:[,;+&]|and)?\s*{_UNIT})*\s*$", re.IGNORECASE)


_NOTED = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:mva)?\b(.*)$",
                    re.IGNORECASE | re.DOTALL)


_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.\d+)?$")


_EXCEL_EPOCH = datetime(1899, 12, 30)


_LAST_SERIAL = 2_958_465  # 9999-12-31


_T = TypeVar("_T")


@dataclass(frozen=True)
class CellTable:
    """The data rows of one sheet or CSV, with their header and 1-based row numbers.

    Parameters
    ----------
    cells : list of list
        Raw cell values, one list per data row (short rows are padded with blanks on read).
    headers : list of str
        Header cells as written, line breaks folded (for messages).
    columns : dict of str to int
        Key -> 0-based column index, for the columns found.
    rows : list of int
        Row number of each data row as a spreadsheet shows it.
    problems : Problems
        Where every bad cell is recorded.
    """

    cells: list[list[object]]
    headers: list[str]
    columns: dict[str, int]
    rows: list[int]
    problems: Problems

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[object]], header_at: int,
                  wanted: dict[str, tuple[str, ...]], problems: Problems,
                  optional: Sequence[str] = ()) -> CellTable | None:
        """Find ``wanted`` columns in row ``header_at`` (0-based) and keep the rows below.

        Entirely blank rows are dropped. Returns None (after recording the problem) when a
        required column is missing.
        """
        headers = [" ".join(str(h).split()) if h is not None else "" for h in rows[header_at]]
        columns = find_columns(headers, wanted, problems, optional=optional, row=header_at + 1)
        if any(key not in columns for key in wanted if key not in optional):
            return None
        body = [list(r) for r in rows[header_at + 1:]]
        numbers = list(range(header_at + 2, header_at + 2 + len(body)))
        table = cls(body, headers, columns, numbers, problems)
        return table.subset([any(not is_blank(c) for c in row) for row in body])

    def __len__(self) -> int:
        return len(self.cells)

    def subset(self, keep: Sequence[bool]) -> CellTable:
        """Keep the rows where ``keep`` is true."""
        kept = [(c, r) for c, r, k in zip(self.cells, self.rows, keep, strict=True) if k]
        return replace(self, cells=[c for c, _ in kept], rows=[r for _, r in kept])

    def values(self, key: str) -> list[object]:
        """Raw cells of one column (all None when an optional column is absent)."""
        index = self.columns.get(key)
        if index is None:
            return [None] * len(self.cells)
        return [row[index] if index < len(row) else None for row in self.cells]

    def texts(self, key: str) -> list[str | None]:
        """Cells as stripped text with inner whitespace folded; None for blanks."""
        return [cell_text(value) for value in self.values(key)]

    def parse(self, key: str, parser: Callable[[object], _T], fix: str, default: _T) -> list[_T]:
        """Apply ``parser`` to every cell; a ``ValueError`` is recorded and gives ``default``."""
        out: list[_T] = []
        for value, row in zip(self.values(key), self.rows, strict=True):
            try:
                out.append(parser(value))
            except ValueError as exc:
                self.problem(key, row, str(exc), fix)
                out.append(default)
        return out

    def numbers(self, key: str, fix: str | None = None, quantity: Quantity = ANY) -> np.ndarray:
        """Cells as floats of ``quantity``: NaN for blanks; bad cells are recorded as problems.

        The column is parsed as a whole (:func:`geoplan.sources.numbers.parse_column`); a
        problem's fix is the parser's, or ``fix`` for cells that hold no number at all.
        """
        values, bad = parse_column(pd.Series(self.values(key), dtype=object), quantity)
        for item in bad:
            plain = item.message.endswith("is not a number")
            self.problem(key, self.rows[item.int_label], item.message,
                         fix if fix and plain else item.fix)
        return values.to_numpy(dtype=float)

    def levels(self, key: str) -> list[str | None]:
        """Cells as canonical levels through :data:`LEVEL_NAMES`; unknown text is a problem."""
        return self.parse(key, _level, f"use one of {sorted(LEVEL_NAMES)} (any case)", None)

    def problem(self, key: str, row: int, message: str, fix: str) -> None:
        """Record a problem in the cell of column ``key`` on file row ``row``."""
        self.problems.add(message, row=row, column=self.headers[self.columns[key]], fix=fix)


def _level(value: object) -> str:
    if is_blank(value):
        raise ValueError("no substation level is given")
    level = LEVEL_NAMES.get(normalise_header(value))
    if level is None:
        raise ValueError(f"{value!r} is not a substation level geoplan knows")
    return level


_NAMEPLATE_FIX = ("enter the rating in MVA, or the transformer units as written by SSEN, "
                  "e.g. '1 x 12.5 2 x 11.5'")


_DATE_FIX = "enter a date, a month such as 'March 2023', or leave the cell blank"


def _floats(values: Iterable[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def csv_table(path: Path, wanted: dict[str, tuple[str, ...]], optional: Sequence[str],
              notes: list[str], empty_fix: str) -> tuple[CellTable, Problems]:
    """Read a one-row-per-substation CSV into a :class:`CellTable`, nameless rows skipped.

    Raises at once when a required column is missing; an empty table is recorded in the
    returned problems (with ``empty_fix``), so readers can add cell problems before raising.
    """
    frame = read_csv_text(path)
    problems = Problems(path)
    rows = [list(frame.columns), *frame.to_numpy().tolist()]
    table = CellTable.from_rows(rows, 0, wanted, problems, optional=optional)
    problems.raise_if_any()
    assert table is not None  # a missing column was recorded and raised above
    table = skip_nameless(table, notes, where="file")
    if not len(table):
        problems.add("the file has no substation rows", fix=empty_fix)
    return table, problems


def in_file_order(problems: Problems) -> Problems:
    """Copy ``problems`` sorted by row (stably), so that messages read top to bottom."""
    ordered = Problems(problems.file, problems.sheet)
    for item in sorted(problems, key=lambda item: item.row or 0):
        ordered.add(item.message, row=item.row, column=item.column, fix=item.fix,
                    sheet=item.sheet)
    return ordered


def skip_nameless(table: CellTable, notes: list[str], where: str) -> CellTable:
    """Drop rows without a substation name (key ``"name"``), counting them in ``notes``."""
    names = table.texts("name")
    missing = [row for row, name in zip(table.rows, names, strict=True) if name is None]
    if missing:
        more = " ..." if len(missing) > 5 else ""
        notes.append(f"{_count(len(missing), 'row')} without a substation name skipped "
                     f"({where} rows {missing[:5]}{more})")
    return table.subset([name is not None for name in names])


def nameplate_capacity(value: object) -> tuple[float | None, float | None]:
    """Total nameplate and firm (N-1) capacity in MVA from a nameplate rating cell.

    Text that lists transformer units (``"<count> x <MVA>"``, repeated) gives the total and
    the firm capacity, which is the total without the largest unit; a single unit or a plain
    number gives the total only (firm capacity then depends on backfeed, which is not known).

    Parameters
    ----------
    value : object
        The cell: a number, text such as ``"90"`` or ``"1 x 12.5 2 x 11.5"``, or blank.

    Returns
    -------
    tuple of (float or None, float or None)
        Nameplate total and firm capacity.

    Raises
    ------
    ValueError
        If the cell is neither a number nor a list of units.

    Examples
    --------
    >>> nameplate_capacity("1 x 12.5 2 x 11.5")
    (35.5, 23.0)
    >>> nameplate_capacity("2 x 20MVA")
    (40.0, 20.0)
    >>> nameplate_capacity("1 x 24"), nameplate_capacity(15.0)
    ((24.0, None), (15.0, None))
    """
    if isinstance(value, str) and _UNITS.match(value):
        pairs = re.findall(_UNIT, value, flags=re.IGNORECASE)
        units = [float(size) for count, size in pairs for _ in range(int(count))]
        if not units:
            raise ValueError(f"{value!r} lists no transformer")
        total = round(sum(units), 6)
        return total, (round(total - max(units), 6) if len(units) > 1 else None)
    try:
        return parse_number(value), None
    except ValueError:
        raise ValueError(f"{value!r} is not a nameplate rating") from None


def number_and_note(value: object,
                    quantity: Quantity = ANY) -> tuple[float | None, str | None]:
    """Split a number from the note after it, as in ``"2.5 (subject to transmission works)"``.

    Raises
    ------
    ValueError
        If the cell does not start with a number, or the note starts with one (a range).

    Examples
    --------
    >>> number_and_note("2.5 (subject to transmission works)")
    (2.5, 'subject to transmission works')
    >>> number_and_note(4.0), number_and_note("")
    ((4.0, None), (None, None))
    """
    if is_blank(value):
        return None, None
    if isinstance(value, int | float | ExcelError) and not isinstance(value, bool):
        return parse_cell(value, quantity), None  # an ExcelError is refused
    match = _NOTED.match(str(value))
    note = match.group(2).strip().strip("()[]-–:;, ").strip() if match else ""
    if match is None or note[:1].isdigit() or match.group(2)[:1] in ",.":
        raise ValueError(f"{value!r} is not a number (optionally followed by a note; "
                         "write it with '.' decimals and no thousands separators)")
    return parse_cell(match.group(1), quantity), " ".join(note.split()) or None


def date_text(value: object) -> str | None:
    """Write a date cell as text: Excel dates and serial numbers become ISO dates.

    Text such as ``"March 2023"`` is kept as written; a whole number from 1900 to 2100 is a
    year.

    Raises
    ------
    ValueError
        For a number that is neither a year nor an Excel date serial.

    Examples
    --------
    >>> date_text(45000), date_text("December 2022 "), date_text(2024)
    ('2023-03-15', 'December 2022', '2024')
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric and not _SERIAL_TEXT.match(str(value).strip()):
        return " ".join(str(value).split())
    serial = float(str(value))
    if serial.is_integer() and 1900 <= serial <= 2100:
        return str(int(serial))
    if 2100 < serial <= _LAST_SERIAL:
        return (_EXCEL_EPOCH + timedelta(days=serial)).date().isoformat()
    raise ValueError(f"{value!r} is not a date")


def lonlat_columns(table: CellTable, lat: str = "lat",
                   lon: str = "lon") -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude columns as floats (NaN where blank or bad).

    A value outside Great Britain is recorded as a problem.
    """
    fix = "give WGS84 decimal degrees and check latitude and longitude are not swapped"
    lats = table.parse(lat, _in_range("latitude", GB_LAT_RANGE), fix, None)
    lons = table.parse(lon, _in_range("longitude", GB_LON_RANGE), fix, None)
    return _floats(lats), _floats(lons)


def _in_range(what: str, bounds: tuple[float, float]) -> Callable[[object], float | None]:
    def parse(value: object) -> float | None:
        number = parse_number(value)
        if number is not None and not bounds[0] <= number <= bounds[1]:
            raise ValueError(f"{what} {value!r} is outside Great Britain {bounds}")
        return number
    return parse


def grid_ref_columns(table: CellTable, key: str,
                     needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eastings and northings of an OS grid reference column (NaN where blank or bad).

    A reference that is not readable is a problem only on rows where it is ``needed`` (rows
    without latitude/longitude); elsewhere it is ignored.
    """
    refs = table.texts(key)
    x, y, bad = grid_refs_to_xy(refs)
    for i in bad:
        if needed[i]:
            table.problem(key, table.rows[i], f"{refs[i]!r} is not an OS grid reference",
                          "write it like 'SP 51259 05741', or give latitude and longitude")
    return x, y


def place_points(
    lat: np.ndarray, lon: np.ndarray, ref_x: np.ndarray, ref_y: np.ndarray,
    names: Sequence[str], notes: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid x/y from latitude/longitude, else from the grid reference.

    Counts, in ``notes``, the points taken from grid references, the substations left
    unlocated, and those whose latitude/longitude and grid reference disagree by more than
    1 km (latitude/longitude are used).
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    has_ll = np.isfinite(lat) & np.isfinite(lon)
    x, y = np.full(len(lat), np.nan), np.full(len(lat), np.nan)
    if has_ll.any():
        x[has_ll], y[has_ll] = lonlat_to_bng(lon[has_ll], lat[has_ll])
    has_ref = np.isfinite(ref_x) & np.isfinite(ref_y)
    gap = np.where(has_ll & has_ref, np.hypot(x - ref_x, y - ref_y), 0.0)
    far = np.flatnonzero(gap > _AGREE_M)
    if far.size:
        shown = ", ".join(f"{names[i]!r} {gap[i] / 1000:.0f} km" for i in far[:5])
        notes.append(f"{_count(far.size, 'substation')} with a grid reference more than "
                     f"{_AGREE_M / 1000:.0f} km from their latitude/longitude ({shown}); "
                     "latitude/longitude were used")
    use_ref = ~has_ll & has_ref
    x[use_ref], y[use_ref] = ref_x[use_ref], ref_y[use_ref]
    if use_ref.any():
        notes.append(f"{_count(int(use_ref.sum()), 'substation')} without latitude/longitude "
                     "placed at the grid reference")
    _note_unlocated(np.flatnonzero(~np.isfinite(x)), names, notes)
    return x, y


def _note_unlocated(lost: np.ndarray, names: Sequence[str], notes: list[str]) -> None:
    if lost.size:
        shown = [names[i] for i in lost[:5]]
        notes.append(f"{_count(lost.size, 'substation')} without any location (e.g. {shown}) "
                     "left without geometry")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def snapshot_year(path: str | Path, year: int | None, notes: list[str]) -> int | None:
    """Give the year of a snapshot file: ``year``, else the one 4-digit year in its name.

    Examples
    --------
    >>> snapshot_year("ScotlandMapLocation_January_2023.xlsx", None, [])
    2023
    >>> snapshot_year("headroom.csv", None, []) is None
    True
    """
    if year is not None:
        return int(year)
    found = sorted(set(_YEAR.findall(Path(path).stem)))
    if len(found) > 1:
        notes.append(f"the file name holds several years {found}; the headroom has no year "
                     "and applies unchanged to every plan year")
    return int(found[0]) if len(found) == 1 else None


def published_headroom(values: np.ndarray, year: int | None) -> pd.DataFrame:
    """Long headroom rows (scenario ``published``, season ``peak``) for non-missing values.

    ``values`` is aligned with the records passed to
    :func:`geoplan.sources.base.finish_grid`, whose index must be a ``RangeIndex``.
    """
    values = np.asarray(values, dtype=float)
    keep = np.flatnonzero(np.isfinite(values))
    return pd.DataFrame({"record": keep, "scenario": "published",
                         "year": pd.array([year] * keep.size, dtype="Int64"),
                         "season": "peak", "headroom_mva": values[keep]})

