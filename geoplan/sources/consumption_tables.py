"""Metered domestic gas and electricity per area: DESNZ (formerly BEIS) sub-national statistics.

DESNZ publishes, per year, the domestic meters and their total, mean and median consumption
for every LSOA and MSOA ("Sub-national electricity consumption statistics", "Sub-national gas
consumption statistics", OGL v3; gas is weather corrected, electricity is not).
:func:`read_consumption_table` reads one such table (a CSV path or a DataFrame) and returns
the **domestic** meters and kWh per area code for one year (:class:`ConsumptionTable`).
Nothing is apportioned here (see :mod:`geoplan.layers.stock_calibration`).

Layouts (headers folded to lower case)
--------------------------------------
- **Area code**: found by its values (:func:`~geoplan.sources.stock_tables.find_code_columns`:
  the finest ONS geography among the columns, so an LSOA table's MSOA and district columns are
  not the rows' codes). 2011 and 2021 codes look alike: bring 2011 codes to 2021 with a lookup.
- **Meters**: ``n_meters``, ``meters``, ``number of meters``, ``number of consuming meters``,
  ``total number of domestic electricity meters``... (a header ending in ``meters``).
- **Consumption**: ``consumption_kwh``, ``kwh``, ``total consumption (kwh)``,
  ``consumption (kwh)``, ``total domestic gas consumption (kwh)``... (a header with ``kwh``
  that is not a mean or a median). Mean and median columns are not needed (the mean is the
  total over the meters).
- **Year** (optional): ``year``, ``period`` or ``calendar year``. With one, the latest year is
  kept unless ``year=`` names another; a year the file lacks is refused, naming the years
  present. Without one the file is one year's table (DESNZ publishes one file per year).
- **Sector** (optional): ``sector``; only ``domestic`` rows are kept (``non-domestic`` and
  other rows are counted and left out). Without one every row is taken as domestic (DESNZ's
  domestic files).

Rows whose code is blank (DESNZ's ``Unallocated`` meters) are left out and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError, Problem, Problems, SourceFormatError
from geoplan.sources.cells import is_blank, normalise_header
from geoplan.sources.numbers import COUNT, Quantity, parse_column
from geoplan.sources.stock_tables import find_code_columns
from geoplan.sources.zone_tables import Table, read_table

__all__ = ["FUELS", "ConsumptionTable", "read_consumption_table"]

FUELS = ("gas", "electricity")
"""Fuels of the consumption tables."""

_METERS = re.compile(r"^(n_)?meters$|meters?\b.*$|^number of .*meters?")
_KWH = re.compile(r"kwh")
_NOT_TOTAL = re.compile(r"mean|median|average|per meter")
_YEAR = ("year", "period", "calendar year")
_KWH_PER_AREA = Quantity("consumption", "kWh", 0.0, 1e12)


@dataclass(frozen=True)
class ConsumptionTable:
    """Domestic meters and consumption per area for one year.

    Attributes
    ----------
    values : pandas.DataFrame
        Index: area codes (str, unique); columns ``meters`` and ``consumption_kwh``.
    level : str
        Geography of the codes (``lsoa``, ``msoa``...).
    year : int or None
        The year kept (None when the file has no year column).
    years : tuple of int
        Every year the file holds.
    fuel : str
    source : str
    warnings : tuple of str
    """

    values: pd.DataFrame
    level: str
    year: int | None
    years: tuple[int, ...]
    fuel: str
    source: str
    warnings: tuple[str, ...] = ()


def read_consumption_table(data: Table, fuel: str, year: int | None = None
                           ) -> ConsumptionTable:
    """Read a DESNZ sub-national domestic consumption table (module docstring).

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        The CSV table.
    fuel : {"gas", "electricity"}
        What it meters (for messages).
    year : int, optional
        The year to keep (default: the latest).

    Raises
    ------
    LayerSchemaError
        No code, meters or kWh column; a year the file lacks; no domestic rows.
    SourceFormatError
        Cells that are not numbers (every one listed with its row).
    """
    if fuel not in FUELS:
        raise LayerSchemaError(f"unknown consumption fuel {fuel!r} (fix: use one of "
                               f"{list(FUELS)})")
    frame, source = read_table(data, f"{fuel} consumption")
    warnings: list[str] = []
    frame = _domestic(frame, source, warnings)
    frame, chosen, years = _one_year(frame, source, year, warnings)
    codes, level = find_code_columns(frame, source)
    meters, kwh = _value_columns(list(frame.columns), source)
    values = _parse(frame, {"meters": (meters, COUNT), "consumption_kwh": (kwh, _KWH_PER_AREA)},
                    source)
    code = frame[codes[0]].map(lambda v: None if is_blank(v) else str(v).strip())
    blank = int(code.isna().sum())
    if blank:
        warnings.append(f"{source}: {blank} rows without an area code (unallocated meters) "
                        f"left out ({values['consumption_kwh'][code.isna()].sum():,.0f} kWh)")
    values = values[code.notna().to_numpy()].groupby(code[code.notna()].to_numpy()).sum()
    repeated = int(code.notna().sum()) - len(values)
    if repeated:
        warnings.append(f"{source}: {repeated} rows share an area code with another row of "
                        "the same year; their meters and kWh are added")
    values.index = values.index.rename("area")
    return ConsumptionTable(values.sort_index(), level, chosen, years, fuel, source,
                            tuple(warnings))


def _column(columns: list[str], names: tuple[str, ...]) -> str | None:
    return next((c for c in columns if normalise_header(c) in names), None)


def _domestic(frame: pd.DataFrame, source: str, warnings: list[str]) -> pd.DataFrame:
    """Keep the domestic rows when the table has a sector column."""
    sector = _column(list(frame.columns), ("sector",))
    if sector is None:
        return frame
    text = frame[sector].astype(str).str.strip().str.lower()
    keep = text.str.contains("domestic") & ~text.str.contains("non")
    if not keep.any():
        message = (f"no domestic rows in column {sector!r}; values found: "
                   f"{sorted(set(text))[:6]}")
        raise LayerSchemaError(f"{source}: {message}", [Problem(
            message, file=source, column=sector,
            fix="give DESNZ's domestic consumption table (sector 'domestic')")])
    if (~keep).any():
        warnings.append(f"{source}: {int((~keep).sum())} rows of other sectors "
                        f"({', '.join(sorted(set(text[~keep])))}) left out")
    return frame[keep.to_numpy()]


def _one_year(frame: pd.DataFrame, source: str, year: int | None, warnings: list[str]
              ) -> tuple[pd.DataFrame, int | None, tuple[int, ...]]:
    """Keep the named (else the latest) year of a table with a year column."""
    column = _column(list(frame.columns), _YEAR)
    if column is None:
        if year is not None:
            warnings.append(f"{source}: no year column; its rows are taken as year {year}, "
                            "as named")
        return frame, year, ()
    parsed = pd.to_numeric(frame[column].astype(str).str.strip().str[:4], errors="coerce")
    years = tuple(sorted({int(y) for y in parsed.dropna()}))
    chosen = max(years) if year is None and years else year
    if chosen not in years:
        message = f"year {chosen} not in column {column!r}; years present: {list(years)}"
        raise LayerSchemaError(f"{source}: {message}", [Problem(
            message, file=source, column=column,
            fix=f"name one of the years present (year: {years[-1] if years else '...'}) "
                "or give the table of that year")])
    return frame[(parsed == chosen).to_numpy()], chosen, years


def _value_columns(columns: list[str], source: str) -> tuple[str, str]:
    meters = next((c for c in columns if _METERS.search(normalise_header(c))
                   and not _NOT_TOTAL.search(normalise_header(c))), None)
    kwh = next((c for c in columns if _KWH.search(normalise_header(c))
                and not _NOT_TOTAL.search(normalise_header(c))), None)
    if meters is None or kwh is None:
        lacking = " and ".join(n for n, c in (("meters", meters), ("total kWh", kwh))
                               if c is None)
        message = f"no {lacking} column recognised; columns found: {columns}"
        raise LayerSchemaError(f"{source}: {message}", [Problem(
            message, file=source, fix="give DESNZ's columns 'Number of meters' and 'Total "
            "consumption (kWh)' (or n_meters and consumption_kwh)")])
    return meters, kwh


def _parse(frame: pd.DataFrame, columns: dict[str, tuple[str, Quantity]], source: str
           ) -> pd.DataFrame:
    problems = Problems(source)
    out = pd.DataFrame(index=frame.index)
    for name, (column, quantity) in columns.items():
        values, bad = parse_column(frame[column], quantity)
        for item in bad:  # the frame keeps the file's row labels (0 = first data row)
            label = item.label
            row = int(label) + 2 if isinstance(label, int | np.integer) else None
            problems.add(item.message, row=row, column=column, fix=item.fix)
        out[name] = values.fillna(0.0)
    problems.raise_if_any(SourceFormatError)
    return out
