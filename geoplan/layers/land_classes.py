"""The class and sequestration tables that turn land-cover codes into priced land uses.

:func:`read_land_classes` maps raster codes to a class name, an eligibility flag and a land
use (by default the 21 UKCEH Land Cover Map classes in
``layers/assumptions/land_cover_classes.csv``); :func:`read_sequestration` gives each land use
its rate, cost and permanence buffer (``layers/assumptions/sequestration.csv``).
:func:`class_table` and :func:`sequestration_table` accept either a path or an already-read
DataFrame and check it. Used by :func:`geoplan.layers.land.land_parcels_from_raster`.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError
from geoplan.sources.numbers import ANY, CellError, Quantity, parse_cell, parse_column

__all__ = [
    "LAND_CLASSES",
    "LAND_COVER_CODE",
    "NO_LAND_USE",
    "SEQUESTRATION",
    "SEQUESTRATION_OPTIONAL",
    "SHARES",
    "class_table",
    "read_land_classes",
    "read_sequestration",
    "sequestration_table",
]

PathLike = str | os.PathLike[str]

NO_LAND_USE = "none"
"""Land use of classes that offer no sequestration option."""

LAND_CLASSES = AssumptionTable("land_cover_classes", key=("lcm_code",),
                               numbers={"eligible": 0.0}, text=("name", "land_use"))
"""Class table: raster code -> class name, eligibility (0/1) and land use."""

SEQUESTRATION = AssumptionTable(
    "sequestration", key=("land_use",),
    numbers={"seq_tco2e_per_ha_yr": 0.0, "cost_gbp_per_ha": 0.0, "buffer_share": 0.0,
             "lifetime_years": 1.0},
    text=("note",),
)
"""Per land use: tCO2e/ha/yr, £/ha of planting or restoration, the share withheld as a
permanence buffer and the years a planting or restoration is counted for (finance and lifetime
carbon); optional columns (:data:`SEQUESTRATION_OPTIONAL`) add the shares deducted for
leakage and for the baseline and the land's cost per ha with its low/high range."""

SEQUESTRATION_OPTIONAL = ("leakage_share", "baseline_share", "land_cost_gbp_per_ha",
                          "land_cost_gbp_per_ha_low", "land_cost_gbp_per_ha_high")
"""Columns a sequestration table may have (absent or blank: 0), each a number >= 0."""

SHARES = ("buffer_share", "leakage_share", "baseline_share")
"""Columns that are shares of the gross removal (each between 0 and 1)."""

LAND_COVER_CODE = Quantity("land-cover code", "", 0.0, 65535.0)
"""A class code of a land-cover raster: a whole number a 16-bit raster can hold."""
_CODE_FIX = "give the raster value of the class, a whole number from 0 to 65535"


def read_sequestration(path: PathLike | None = None) -> pd.DataFrame:
    """Read the sequestration table (rate, cost and permanence buffer per land use).

    Parameters
    ----------
    path : path, optional
        A CSV to read instead of ``layers/assumptions/sequestration.csv``.

    Returns
    -------
    pandas.DataFrame
        ``land_use``, ``seq_tco2e_per_ha_yr``, ``cost_gbp_per_ha``, ``buffer_share``,
        ``lifetime_years``, ``note``, ``leakage_share``, ``baseline_share``,
        ``land_cost_gbp_per_ha`` (and its ``_low``/``_high``; blank: NaN), ``source``.

    Raises
    ------
    SourceFormatError
        Listing every missing column, bad number, missing source, share above 1, or
        leakage and baseline shares adding up to more than 1.
    """
    table = read_assumptions(SEQUESTRATION, path)
    problems = Problems(table.attrs["path"], sheet=SEQUESTRATION.name)
    for column in SEQUESTRATION_OPTIONAL:
        table[column] = _optional_numbers(table, column, problems)
    for column in SHARES:
        for index, share in table[column].items():
            if share > 1:
                problems.add(f"{share:g} is above 1", row=int(index) + 2, column=column,
                             fix="give the share withheld as a fraction, e.g. 0.2 for 20%")
    deducted = table["leakage_share"].fillna(0.0) + table["baseline_share"].fillna(0.0)
    for index in table.index[deducted > 1]:
        problems.add(f"leakage_share + baseline_share = {deducted[index]:g} is above 1",
                     row=int(index) + 2, column="leakage_share",
                     fix="the deductions are shares of the gross removal: together at most 1")
    problems.raise_if_any(SourceFormatError)
    return table


def _optional_numbers(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    """Return an optional numeric column (NaN when absent or blank), noting bad cells."""
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index)
    values, bad = parse_column(table[column], decimal=".")  # geoplan's own tables use '.'
    for item in bad:
        problems.add(item.message, row=int(str(item.label)) + 2, column=column, fix=item.fix)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    for index in numbers.index[numbers < 0]:
        problems.add(f"{numbers[index]:g} is below 0", row=int(index) + 2, column=column,
                     fix="give a number of at least 0 (blank: 0)")
    return numbers


def read_land_classes(path: PathLike | None = None, *,
                      sequestration: PathLike | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read a class table mapping raster codes to eligibility and land use.

    Parameters
    ----------
    path : path, optional
        A CSV to read instead of ``layers/assumptions/land_cover_classes.csv`` (the 21 UKCEH
        Land Cover Map classes). Columns: ``lcm_code``, ``name``, ``eligible`` (0 or 1),
        ``land_use``, ``source``.
    sequestration : path or pandas.DataFrame, optional
        The sequestration table whose land uses are allowed (default: the shipped one).

    Returns
    -------
    pandas.DataFrame
        ``lcm_code`` (int64), ``name``, ``eligible`` (bool), ``land_use``, ``source``,
        sorted by code.

    Raises
    ------
    SourceFormatError
        Listing every code that is not a whole number or is repeated, eligibility that is not
        0 or 1, unknown land use, and eligible class with land use ``none``.
    """
    table = read_assumptions(LAND_CLASSES, path)
    return _check_classes(table, _land_uses(sequestration), table.attrs["path"])


def sequestration_table(source: PathLike | pd.DataFrame | None) -> pd.DataFrame:
    """Read the sequestration table from a path (or the shipped one), or check a frame."""
    if not isinstance(source, pd.DataFrame):
        return read_sequestration(source)
    needed = [*SEQUESTRATION.key, *SEQUESTRATION.numbers, "source"]
    missing = [c for c in needed if c not in source.columns]
    if missing:
        raise SourceFormatError(f"sequestration table: columns {missing} are missing (fix: "
                                f"read it with read_sequestration)")
    for column in SHARES:
        shares = source[column].astype(float) if column in source.columns else pd.Series(0.0)
        if ((shares < 0) | (shares > 1)).any():
            raise SourceFormatError(f"sequestration table: {column} must be between 0 and 1 "
                                    "(fix: give the share as a fraction, e.g. 0.2)")
    return source


def _land_uses(sequestration: PathLike | pd.DataFrame | None) -> list[str]:
    table = sequestration_table(sequestration)
    return sorted({*table["land_use"].astype(str), NO_LAND_USE})


def class_table(classes: PathLike | pd.DataFrame | None, rates: pd.DataFrame) -> pd.DataFrame:
    """Read the class table from a path (or the shipped one), or check a frame.

    Land uses must be those of ``rates`` (or ``none``).
    """
    if not isinstance(classes, pd.DataFrame):
        return read_land_classes(classes, sequestration=rates)
    needed = ["lcm_code", "name", "eligible", "land_use"]
    missing = [c for c in needed if c not in classes.columns]
    if missing:
        raise SourceFormatError(f"class table: columns {missing} are missing (fix: the table "
                                f"needs columns {needed})")
    return _check_classes(classes.reset_index(drop=True), _land_uses(rates), "class table")


def _check_classes(table: pd.DataFrame, land_uses: list[str], source: str) -> pd.DataFrame:
    problems = Problems(source, sheet=LAND_CLASSES.name)
    codes = [_code(v, i + 2, problems) for i, v in enumerate(table["lcm_code"])]
    flags = [_flag(v) for v in table["eligible"]]
    uses = table["land_use"].astype(str).str.strip().str.lower()
    seen: set[int] = set()
    for i, (code, flag, use) in enumerate(zip(codes, flags, uses, strict=True)):
        row = i + 2
        if code is not None and code in seen:
            problems.add(f"code {code} appears more than once", row=row, column="lcm_code",
                         fix="keep one row per code")
        seen.add(code if code is not None else -1)
        if flag not in (0, 1):
            problems.add(f"{_shown(table['eligible'].iloc[i])} is not 0 or 1", row=row,
                         column="eligible", fix="write 1 for eligible land, 0 otherwise")
        if use not in land_uses:
            problems.add(f"land use {use!r} is unknown", row=row, column="land_use",
                         fix=f"use one of {land_uses} (add new land uses to sequestration.csv)")
        elif flag == 1 and use == NO_LAND_USE:
            problems.add("an eligible class needs a land use", row=row, column="land_use",
                         fix=f"set eligible to 0 or a land use from {land_uses}")
    problems.raise_if_any(SourceFormatError)
    out = table.assign(lcm_code=np.array(codes, dtype=np.int64), name=table["name"].astype(str),
                       eligible=np.array(flags) == 1, land_use=uses.to_numpy())
    return out.sort_values("lcm_code", kind="stable").reset_index(drop=True)


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float | np.floating) else repr(value)


def _whole(value: object, quantity: Quantity) -> int | None:
    """Read a cell as a whole number by the shared rules; None for a blank.

    Raises
    ------
    CellError
        If the cell is not a plausible number of ``quantity``, or not whole.
    """
    if isinstance(value, bool | np.bool_):
        value = int(value)
    number = parse_cell(value, quantity, decimal=".")  # geoplan's own tables use '.'
    if number is not None and not number.is_integer():
        raise CellError(f"{_shown(value)} is not a whole number", _CODE_FIX)
    return None if number is None else int(number)


def _code(value: object, row: int, problems: Problems) -> int | None:
    """Return the class code of one row; a problem (and None) if blank or not a code."""
    try:
        code = _whole(value, LAND_COVER_CODE)
    except CellError as exc:
        fix = _CODE_FIX if exc.fix.startswith("correct the cell") else exc.fix
        problems.add(str(exc), row=row, column="lcm_code", fix=fix)
        return None
    if code is None:
        problems.add("the code is blank", row=row, column="lcm_code", fix=_CODE_FIX)
    return code


def _flag(value: object) -> int | None:
    try:
        return _whole(value, ANY)
    except CellError:
        return None
