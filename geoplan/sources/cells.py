"""Shared helpers for reading published spreadsheets and CSVs cell by cell.

Published DNO files move columns around, break header text over lines and pad it with spaces,
and write numbers as text. Readers therefore find columns by normalised header text and parse
numbers through :func:`parse_number`, recording every bad cell in a :class:`Problems` list.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineError, CalamineWorkbook

from geoplan.errors import Problems, SourceFormatError, SourceNotFoundError
from geoplan.sources.numbers import (
    ANY,
    BLANKS,
    ExcelError,
    Quantity,
    parse_cell,
    parse_column,
)
from geoplan.sources.sniff import sniff_text
from geoplan.sources.workbook_errors import error_cells

__all__ = [
    "BLANKS",
    "arrow_text_columns",
    "cell_text",
    "decode_text",
    "excel_column",
    "find_columns",
    "is_blank",
    "normalise_header",
    "open_workbook",
    "parse_number",
    "parse_numbers",
    "raise_malformed_rows",
    "read_csv_text",
    "refuse_other_delimiter",
    "sheet_rows",
    "text_cells",
]



def normalise_header(text: object) -> str:
    r"""Header text folded for matching: whitespace runs (incl. line breaks) become one space.

    Examples
    --------
    >>> normalise_header(" Upstream   Constraint (YES / NO) ")
    'upstream constraint (yes / no)'
    """
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def is_blank(value: object) -> bool:
    """Whether a cell holds no value (None, NaN, empty or a blank marker like ``"N/A"``)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().casefold() in BLANKS


def parse_number(value: object, quantity: Quantity = ANY) -> float | None:
    """Parse one cell as a number of ``quantity``; ``None`` for blanks.

    The rules are those of :mod:`geoplan.sources.numbers` for a cell with no column around
    it: no thousands separators, no decimal comma, only the quantity's own unit, finite and
    within the quantity's plausible range.

    Raises
    ------
    geoplan.sources.numbers.CellError
        A ``ValueError`` (with a ``fix`` attribute) for anything else.

    Examples
    --------
    >>> parse_number(" 1234.5 ")
    1234.5
    >>> parse_number("N/A") is None
    True
    """
    return parse_cell(value, quantity)


def cell_text(value: object) -> str | None:
    """Return a cell as text: None for blanks, whole floats without ``.0``, spaces folded.

    A spreadsheet error cell (:class:`~geoplan.sources.numbers.ExcelError`) has no text:
    None. Number columns refuse it instead (:func:`parse_number`).

    Examples
    --------
    >>> cell_text("  Osney  Mead "), cell_text(1234.0), cell_text("N/A")
    ('Osney Mead', '1234', None)
    """
    if is_blank(value) or isinstance(value, ExcelError):  # an error is no text
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def text_cells(cells: pd.Series) -> pd.Series:
    """Apply :func:`cell_text` to a column, keeping ``None`` (not NaN) in an object Series."""
    text = cells.astype(object).map(cell_text).astype(object)
    return text.where(text.notna(), None)


def parse_numbers(cells: pd.Series, quantity: Quantity = ANY
                  ) -> tuple[pd.Series, list[tuple[object, str]]]:
    """Parse a column of cells as floats (see :func:`geoplan.sources.numbers.parse_column`).

    Returns
    -------
    values : pandas.Series
        Floats, NaN for blanks and for bad cells.
    bad : list of (index label, message)
        Every cell that is not a plausible number; the message ends with its fix.
    """
    values, bad = parse_column(cells, quantity)
    return values, [(b.label, f"{b.message}; {b.fix}") for b in bad]


def excel_column(index: int) -> str:
    """Spreadsheet letter(s) of a 0-based column index (0 -> ``"A"``, 27 -> ``"AB"``)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def find_columns(
    headers: Sequence[object],
    wanted: Mapping[str, Sequence[str]],
    problems: Problems,
    *,
    optional: Sequence[str] = (),
    row: int | None = None,
) -> dict[str, int]:
    """Locate columns by header text.

    Parameters
    ----------
    headers : sequence
        Header cells in file order.
    wanted : mapping
        Key -> accepted header texts (compared with :func:`normalise_header`; the first is
        the name shown to users).
    problems : Problems
        Where missing required columns are recorded.
    optional : sequence of str
        Keys that may be absent.
    row : int, optional
        1-based row number of the header, for messages.

    Returns
    -------
    dict
        Key -> 0-based column index, for the keys found.
    """
    index: dict[str, int] = {}
    for i, header in enumerate(headers):
        index.setdefault(normalise_header(header), i)
    found: dict[str, int] = {}
    for key, aliases in wanted.items():
        hits = [index[normalise_header(a)] for a in aliases if normalise_header(a) in index]
        if hits:
            found[key] = hits[0]
        elif key not in optional:
            shown = [str(h).strip() for h in headers if str(h).strip()]
            problems.add(
                f"column {aliases[0]!r} not found; the header has {shown}",
                row=row,
                fix=f"restore the column {aliases[0]!r} (accepted names: {list(aliases)})",
            )
    return found


def open_workbook(path: Path) -> CalamineWorkbook:
    """Open an Excel or OpenDocument workbook, with a clear error if it is not one.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If the file is empty or not a spreadsheet.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceFormatError(f"{path.name}: the file is empty; download it again")
    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, ValueError, OSError) as exc:
        raise SourceFormatError(
            f"{path.name}: not a readable spreadsheet ({exc}); "
            "save it as .xlsx from Excel or check the download is complete"
        ) from exc


def sheet_rows(workbook: CalamineWorkbook, path: Path, sheet: str) -> list[list[object]]:
    """All rows of a sheet as Python values, found by name ignoring case and spaces.

    A cell holding a spreadsheet error (``#DIV/0!``, ``#N/A`` ...) comes back as an
    :class:`~geoplan.sources.numbers.ExcelError` (``.xlsx`` and ``.xlsm`` files; see
    :mod:`geoplan.sources.workbook_errors`), never as a blank.

    Raises
    ------
    SourceNotFoundError
        If no sheet has that name; the message lists the sheets that exist.
    """
    names = {normalise_header(n): n for n in workbook.sheet_names}
    actual = names.get(normalise_header(sheet))
    if actual is None:
        raise SourceNotFoundError(
            f"{Path(path).name}: sheet {sheet!r} not found; the workbook has sheets "
            f"{workbook.sheet_names} (fix: use the DNO's published workbook unchanged, or "
            "rename the sheet back)"
        )
    rows = cast(list[list[object]],
                workbook.get_sheet_by_name(actual).to_python(skip_empty_area=False))
    for (row, column), code in error_cells(Path(path), actual).items():
        if row < len(rows) and column < len(rows[row]):
            rows[row][column] = ExcelError(code)
    return rows


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as text (no NA guessing), trying UTF-8 then Windows-1252.

    Blank lines are kept as empty rows so that data row ``i`` (0-based) is line ``i + 2`` of
    the file, as a spreadsheet numbers it. A ``sep=,`` first line, which Excel writes, is
    skipped.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If the file is empty, has no header or cannot be parsed as CSV.
    """
    path = sniff_text(path)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with path.open(encoding=encoding) as handle:
                skip = 1 if handle.readline().strip().casefold() == "sep=," else 0
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding,
                               skiprows=skip, skip_blank_lines=False)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceFormatError(f"{path.name}: not a readable CSV ({exc})") from exc
    raise SourceFormatError(f"{path.name}: text is neither UTF-8 nor Windows-1252")


OTHER_DELIMITERS = (("semicolon", ";"), ("tab", "\t"), ("bar", "|"))
"""Separators people save CSVs with by mistake, refused by :func:`refuse_other_delimiter`."""

_SHOWN = 20  # malformed rows listed one by one; more are counted


def decode_text(path: Path) -> str:
    """Read a whole text file as UTF-8 (a byte-order mark is dropped), else Windows-1252.

    Raises
    ------
    SourceFormatError
        If the file is empty or is neither encoding.
    """
    data = sniff_text(path).read_bytes()
    if not data.strip():
        raise SourceFormatError(f"{Path(path).name}: the file is empty; download it again")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceFormatError(f"{Path(path).name}: text is neither UTF-8 nor Windows-1252")


def refuse_other_delimiter(path: Path, header: str, fix: str) -> None:
    """Refuse a CSV whose header line is split by semicolons, tabs or bars, not commas.

    Examples
    --------
    >>> refuse_other_delimiter(Path("a.csv"), "UPRN;X;Y", "save it as CSV")
    Traceback (most recent call last):
    ...
    geoplan.errors.SourceFormatError: a.csv: line 1 is semicolon-separated (3 fields split by \
semicolons), but a comma-separated file is expected (fix: save it as CSV)
    """
    name, mark = max(OTHER_DELIMITERS, key=lambda item: header.count(item[1]))
    count = header.count(mark)
    if count > header.count(","):
        raise SourceFormatError(
            f"{Path(path).name}: line 1 is {name}-separated ({count + 1} fields split by "
            f"{name}s), but a comma-separated file is expected (fix: {fix})")


def raise_malformed_rows(path: Path, encoding: str, expected: int, bad: list[str]) -> None:
    """Raise an error naming the lines of rows without ``expected`` fields.

    Only called once a fast reader has found malformed rows (``bad``, their raw text); the
    file is then re-read with the csv module to find their line numbers.

    Raises
    ------
    SourceFormatError
        Always: one problem per malformed row (the first 20, then a count).
    """
    problems = Problems(path)
    fix = (f"every row needs {expected} comma-separated values; if the file was cut short "
           "or edited, download it again")
    bad_rows, start = [], 0
    with Path(path).open(encoding="utf-8-sig" if encoding == "utf-8" else encoding,
                         newline="") as handle:
        reader = csv.reader(handle, strict=True)
        end = 0
        try:
            for fields in reader:
                start, end = end + 1, reader.line_num
                if start > 1 and fields and len(fields) != expected:
                    bad_rows.append((start, len(fields)))
        except csv.Error as exc:
            problems.add(f"a quoted value is never closed ({exc}); the file looks truncated or "
                         "a quote is stray", row=end + 1, fix=fix)
    for row, count in bad_rows[:_SHOWN]:
        cut = "; it is the last row: the file looks truncated" if row == start else ""
        problems.add(f"has {count} values, expected {expected}{cut}", row=row, fix=fix)
    if len(bad_rows) > _SHOWN:
        problems.add(f"and {len(bad_rows) - _SHOWN} more rows with the wrong number of values",
                     fix=fix)
    if not len(problems):
        problems.add(f"{len(bad)} malformed rows, e.g. {bad[0][:80]!r}", fix=fix)
    problems.raise_if_any(SourceFormatError)


def arrow_text_columns(path: Path, names: list[str], include: list[str], *, skip_rows: int = 1,
                       encoding: str = "utf8", newlines_in_values: bool = False) -> pd.DataFrame:
    """Read some columns of a large CSV as text with pyarrow (fast, no NA guessing).

    Parameters
    ----------
    path : pathlib.Path
    names : list of str
        Every column of the file, in order (the header row is skipped by ``skip_rows``).
    include : list of str
        The columns to keep.
    skip_rows, encoding, newlines_in_values
        Passed to pyarrow.

    Raises
    ------
    SourceFormatError
        Naming the lines of rows with the wrong number of fields (see
        :func:`raise_malformed_rows`).
    """
    bad: list[str] = []

    def skip(row: object) -> str:
        bad.append(str(getattr(row, "text", "")))
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip_rows,
                                       encoding=encoding, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values,
                                         invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(include, pa.string()), include_columns=include,
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    if bad:
        raise_malformed_rows(path, "utf-8" if encoding in ("utf8", "utf-8") else encoding,
                             len(names), bad)
    return table.to_pandas()
