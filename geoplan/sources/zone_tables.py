"""Tables keyed by area code (vehicles, households, dwelling mixes): reading and checking.

Shared by :mod:`geoplan.layers.ev` and :mod:`geoplan.layers.households`: a table is a CSV path
(read as
text cells) or a DataFrame; its area code column is found by name (:func:`find_code_column`);
numbers are parsed listing every bad cell with its spreadsheet row; blank or repeated codes
are refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError, Problem, Problems, SourceFormatError
from geoplan.sources.cells import is_blank, normalise_header, read_csv_text
from geoplan.sources.numbers import COUNT, parse_column

__all__ = [
    "Table",
    "area_codes",
    "count_columns",
    "find_code_column",
    "number_columns",
    "read_table",
    "record_warning",
    "schema_error",
]

logger = logging.getLogger("geoplan.layers.ev")

Table: TypeAlias = pd.DataFrame | str | Path


_CODE_PATTERNS = (
    re.compile(r"zone[ _]?id"),
    re.compile(r"(oa|lsoa|msoa|dz|iz|lad|ltla|utla)(\d\d)?[ _]?(cd|code)"),
    re.compile(r"(geography|area|zone)[ _]?code"),
    re.compile(r"((lower|middle)[ _]layer[ _])?(super[ _])?output[ _]areas?[ _]code"),
)


_LEVELS = ("oa", "lsoa", "dz", "msoa", "iz", "lad", "ltla", "utla")
_ONS_LEVELS = {"output areas code": "oa", "output area code": "oa",
               "lower layer super output areas code": "lsoa",
               "middle layer super output areas code": "msoa"}
_SUPPRESSED = re.compile(r"\[?[cxz]\]?|\.\.|:|\[low\]")


def record_warning(warnings: list[str], message: str) -> None:
    """Log ``message`` as a warning and append it to ``warnings``."""
    logger.warning("%s", message)
    warnings.append(message)


def schema_error(source: str, message: str, fix: str, column: str | None = None
                 ) -> LayerSchemaError:
    """Return a :class:`LayerSchemaError` about ``source`` with one located problem."""
    return LayerSchemaError(f"{source}: {message}",
                            [Problem(message, file=source, column=column, fix=fix)])


def read_table(data: Table, what: str) -> tuple[pd.DataFrame, str]:
    """Read a table as text cells (CSV path) or take it as given (frame), minus blank rows."""
    if isinstance(data, pd.DataFrame):
        frame, source = data.copy(), f"{what} table"
    else:
        frame, source = read_csv_text(Path(data)), Path(data).name
    frame.columns = [str(c).strip() for c in frame.columns]
    blank = frame.apply(lambda row: all(is_blank(v) for v in row), axis=1) if len(frame) else []
    frame = frame[~np.asarray(blank, dtype=bool)]
    if frame.empty and not isinstance(data, pd.DataFrame):
        raise schema_error(source, f"no rows: the file has a header but no {what} rows",
                           "give the full table; download it again if it was cut short")
    return frame, source


def find_code_column(columns: Sequence[str], given: str | None = None, *,
                     source: str = "table") -> str:
    """Name of the area code column among ``columns``.

    ``given`` is matched ignoring case; otherwise the first rule that matches wins:
    ``zone_id``; an ONS/DfT code header (``LSOA21CD``, ``MSOA11CD``, ``LSOA code``, ``LAD22CD``,
    ...; finest geography first); ``geography code``, ``area code``.

    Raises
    ------
    LayerSchemaError
        If no column matches; the message lists the columns found.

    Examples
    --------
    >>> find_code_column(["MSOA11CD", "MSOA11NM", "LAD21CD", "ulevs"])
    'MSOA11CD'
    """
    if given is not None:
        found = next((c for c in columns if normalise_header(c) == normalise_header(given)),
                     None)
        if found is None:
            raise schema_error(source, f"code_column={given!r} is not a column; columns found: "
                               f"{list(columns)}", "pass one of those columns as code_column=")
        return found
    for pattern in _CODE_PATTERNS:
        hits = [c for c in columns if pattern.fullmatch(normalise_header(c))]
        if hits:
            return min(hits, key=lambda c: (_level(c), list(columns).index(c)))
    raise schema_error(source, f"no area code column found; columns found: {list(columns)}",
                       "add a column of area codes (e.g. LSOA21CD) or pass code_column=")


def _level(column: str) -> int:
    name = normalise_header(column)
    name = _ONS_LEVELS.get(name.replace("_", " "), name)
    return next((i for i, level in enumerate(_LEVELS) if name.startswith(level)), len(_LEVELS))


def number_columns(frame: pd.DataFrame, columns: Sequence[str], source: str) -> pd.DataFrame:
    """Parse ``columns`` as counts, listing every bad cell with its spreadsheet row.

    Counts (vehicles, households) follow :mod:`geoplan.sources.numbers`: never negative, a
    thousands separator only where the column uses it consistently, no decimal comma.
    """
    problems = Problems(source)
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values, bad = parse_column(frame[column], COUNT)
        for item in bad:
            problems.add(item.message, row=frame.index.get_loc(item.label) + 2, column=column,
                         fix=item.fix)
        out[column] = values
    problems.raise_if_any(SourceFormatError)
    return out


def area_codes(frame: pd.DataFrame, code: str, source: str) -> pd.Series:
    """Codes as text; refuse blank or repeated codes."""
    codes = frame[code].map(lambda v: None if is_blank(v) else str(v).strip())
    problems = Problems(source)
    repeated = (codes.notna() & codes.duplicated(keep="first")).to_numpy()
    for position in np.flatnonzero(codes.isna().to_numpy() | repeated):
        if repeated[position]:
            problems.add(f"area code {codes.iloc[position]!r} repeats an earlier row",
                         row=int(position) + 2, column=code,
                         fix="keep one row per area (e.g. filter a keepership or fuel column)")
        else:
            problems.add("area code is blank", row=int(position) + 2, column=code,
                         fix="give every row an area code or delete the row")
    problems.raise_if_any(LayerSchemaError)
    return codes


def count_columns(table: pd.DataFrame, columns: Sequence[str], source: str,
                  warnings: list[str]) -> pd.DataFrame:
    """Parse ``columns`` as counts (:func:`number_columns`), suppressed cells counted as 0.

    Statistical suppression marks (``[c]``, ``[x]``, ``[z]``, ``..``, ``:``, ``[low]``, as the
    DfT and ONS publish them) become 0, with one warning in ``warnings`` giving their number.
    """
    cells = table[list(columns)].astype(object)
    suppressed = cells.map(lambda v: isinstance(v, str) and bool(_SUPPRESSED.fullmatch(
        v.strip().casefold())))
    if suppressed.to_numpy().any():
        record_warning(warnings, f"{source}: {int(suppressed.to_numpy().sum())} suppressed "
                       "cells (such as '[c]') were counted as 0")
    counts = number_columns(cells.mask(suppressed, ""), list(columns), source)
    return counts.mask(suppressed.to_numpy(), 0.0)
