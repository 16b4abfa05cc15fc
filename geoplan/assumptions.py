"""Assumption tables: the numbers that drive decisions, each with its source.

Every cost, carbon factor, load, rate or eligibility rule geoplan uses lives in a CSV table
under ``layers/assumptions/`` (installed with the package as ``geoplan.assumptions_data``),
one row per item, with a ``source`` column that cites where each number comes from. A
scenario may point at its own copy of any table.

A table is described by an :class:`AssumptionTable`: its key columns, its numeric columns
and the least value each may take. :func:`read_assumptions` checks a file against that
description and lists every problem at once, naming the file, the spreadsheet row (the
header is row 1) and the column.

Examples
--------
>>> spec = AssumptionTable("example", key=("item",), numbers={"cost_gbp": 0.0})
>>> spec.columns
('item', 'cost_gbp', 'source')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from geoplan.errors import Problems, SourceFormatError, SourceNotFoundError
from geoplan.sources._cells import is_blank, parse_number, read_csv_text

__all__ = ["AssumptionTable", "default_path", "read_assumptions", "tables_folder"]

_PACKAGE = "geoplan.assumptions_data"


@dataclass(frozen=True)
class AssumptionTable:
    """Description of one assumption table.

    Parameters
    ----------
    name : str
        Table name; the default file is ``layers/assumptions/<name>.csv``.
    key : tuple of str
        Columns that identify a row; their combination must be unique and non-blank.
    numbers : Mapping[str, float or None]
        Numeric column -> least allowed value (``None``: any number).
    text : tuple of str
        Other required text columns (may be blank).
    optional_numbers : Mapping[str, float or None]
        Numeric columns that may be left blank (read as NaN).
    """

    name: str
    key: tuple[str, ...]
    numbers: Mapping[str, float | None] = field(default_factory=dict)
    text: tuple[str, ...] = ()
    optional_numbers: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every required column, ``source`` last."""
        return (*self.key, *self.numbers, *self.text, *self.optional_numbers, "source")


def tables_folder() -> Path:
    """Return the folder of the default tables.

    The installed data package, else the source tree's ``layers/assumptions`` (when geoplan
    is imported from a checkout, e.g. by the tests run from the repository root).
    """
    try:
        return Path(str(resources.files(_PACKAGE)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "layers" / "assumptions"


def default_path(name: str) -> Path:
    """Path of the default table ``name`` shipped with geoplan.

    Raises
    ------
    SourceNotFoundError
        If geoplan ships no table of that name (the message lists those it does).
    """
    folder = tables_folder()
    path = folder / f"{name}.csv"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".csv") for p in folder.glob("*.csv"))
        raise SourceNotFoundError(f"no assumption table {name!r}; geoplan ships {known}")
    return path


def read_assumptions(spec: AssumptionTable, path: str | Path | None = None) -> pd.DataFrame:
    """Read and check an assumption table.

    Parameters
    ----------
    spec : AssumptionTable
        What the table must hold.
    path : str or pathlib.Path, optional
        A CSV to read instead of the default ``layers/assumptions/<spec.name>.csv``.

    Returns
    -------
    pandas.DataFrame
        Key and text columns as strings (stripped), numeric columns as float64, ``source``
        last; any extra columns are kept as text. ``attrs["path"]`` records the file read.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        Listing every missing column, blank or duplicated key, non-numeric or too small
        value and row without a source.
    """
    path = Path(path) if path is not None else default_path(spec.name)
    raw = read_csv_text(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    problems = Problems(path, sheet=spec.name)
    missing = [c for c in spec.columns if c not in raw.columns]
    for column in missing:
        problems.add("column is missing", column=column,
                     fix=f"the table needs columns {list(spec.columns)}")
    problems.raise_if_any(SourceFormatError)
    raw = raw[[not all(is_blank(v) for v in row) for row in raw.itertuples(index=False)]]
    table = raw.copy()
    for column in (*spec.key, *spec.text, "source"):
        table[column] = raw[column].astype(str).str.strip()
    _check_keys(table, spec, problems)
    _check_sources(table, problems)
    for column, least in spec.numbers.items():
        table[column] = _numbers(raw, column, least, problems, required=True)
    for column, least in spec.optional_numbers.items():
        table[column] = _numbers(raw, column, least, problems, required=False)
    problems.raise_if_any(SourceFormatError)
    ordered = [*spec.columns[:-1], *[c for c in table.columns if c not in spec.columns], "source"]
    table = table[ordered].reset_index(drop=True)
    table.attrs["path"] = str(path)
    return table


def _row(index: object) -> int:
    return int(index) + 2  # type: ignore[call-overload]


def _check_keys(table: pd.DataFrame, spec: AssumptionTable, problems: Problems) -> None:
    for column in spec.key:
        for index in table.index[table[column].map(is_blank)]:
            problems.add("key is blank", row=_row(index), column=column,
                         fix="give every row a key")
    duplicated = table.duplicated(subset=list(spec.key), keep="first")
    for index in table.index[duplicated]:
        value = tuple(table.loc[index, list(spec.key)])
        problems.add(f"key {value} appears more than once", row=_row(index),
                     column=", ".join(spec.key), fix="keep one row per key")


def _check_sources(table: pd.DataFrame, problems: Problems) -> None:
    for index in table.index[table["source"].map(is_blank)]:
        problems.add("no source is given", row=_row(index), column="source",
                     fix="cite the publication every number comes from")


def _numbers(raw: pd.DataFrame, column: str, least: float | None, problems: Problems,
             *, required: bool) -> pd.Series:
    values = []
    for index, cell in raw[column].items():
        required_here = required
        try:
            value = parse_number(cell)
        except ValueError:
            value, required_here = None, True
        if value is None:
            if required_here:
                shown = "blank" if is_blank(cell) else f"{cell!r} is not a number"
                problems.add(shown, row=_row(index), column=column, fix="enter a number")
            values.append(float("nan"))
            continue
        if least is not None and value < least:
            problems.add(f"{value:g} is below the least allowed value {least:g}",
                         row=_row(index), column=column, fix=f"enter a number >= {least:g}")
        values.append(value)
    return pd.Series(values, index=raw.index, dtype="float64")
