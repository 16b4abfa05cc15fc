"""District emissions tables: the baseline that sequestration offsets are set against.

:func:`read_district_emissions` reads one table of emissions per district and year into a tidy
frame with ``district_id``, ``district_name``, ``year`` and ``tco2e``, then one
``<sector>_tco2e`` column per sector when the file has sectors. Three layouts are recognised
by their column names (case and spacing ignored):

* **wide** (BEIS/DESNZ local authority CO2 statistics as republished by mySociety, and the
  sample's ``emissions/district_emissions.csv``): ``Year``, ``gss_code`` (or
  ``local-authority-code``), ``official-name``, one column per sector and fuel named
  ``<name>:kt CO2``, sector totals ``<Sector> Total:kt CO2`` and ``Total Emissions:kt CO2``;
* **long** (DESNZ UK local authority greenhouse gas emissions, one row per authority, year
  and sub-sector): ``Local Authority Code``, ``Local Authority``, ``Calendar Year``,
  ``LA GHG Sector`` and ``Territorial emissions (kt CO2e)``, summed per sector;
* **canonical**: ``district_id``, ``district_name`` (optional), ``year``, ``tco2e`` and any
  ``<sector>_tco2e`` columns.

Units follow the header: ``kt`` columns are multiplied by 1,000, ``t``/``tco2e`` columns are
taken as tonnes. The value columns keep the name ``tco2e`` whatever the gases;
``attrs["report"]["gases"]`` says which: ``"CO2"`` when the header says CO2 (the mySociety
table counts CO2 only, so other greenhouse gases, mostly agricultural methane and nitrous
oxide, are missing: :mod:`geoplan.planning.baseline` labels its baseline tCO2), else
``"CO2e"``.

Rows of areas that contain districts (GSS codes of counties ``E10``, metropolitan counties
``E11``, regions ``E12``, countries ``E92``/``W92``/``S92``/``N92`` and ``K0x`` unions) are left
out so that districts are not counted twice; ``attrs["report"]`` counts them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.errors import Problems, SourceFormatError, SourceNotFoundError
from geoplan.sources.cells import (
    cell_text,
    is_blank,
    normalise_header,
    read_csv_text,
)
from geoplan.sources.numbers import parse_column

__all__ = ["AGGREGATE_CODE_PREFIXES", "latest_emissions", "read_district_emissions"]

AGGREGATE_CODE_PREFIXES = ("E10", "E11", "E12", "E13", "E92", "W92", "S92", "N92", "K02",
                           "K03", "K04")
"""GSS code prefixes of areas made of districts (left out of district tables)."""

_WIDE_TOTAL = "total emissions:kt co2"
_SECTOR_TOTAL = re.compile(r"^(.*) total:\s*(kt|t) co2e?$")
_ID_NAMES = ("district_id", "gss_code", "local authority code", "la code", "lad code",
             "local-authority-code")
_NAME_NAMES = ("district_name", "official-name", "local authority", "la name", "lad name",
               "name")
_YEAR_NAMES = ("year", "calendar year")
_LONG_VALUE = re.compile(r"^territorial emissions \((kt|t) co2e?\)$")


def read_district_emissions(path: str | Path) -> pd.DataFrame:
    """Read emissions per district and year (layouts in the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        A CSV file.

    Returns
    -------
    pandas.DataFrame
        ``district_id`` (str), ``district_name`` (str), ``year`` (int64), ``tco2e`` (float),
        then ``<sector>_tco2e`` columns (snake case, e.g. ``domestic_tco2e``) when the file
        has sectors; sorted by district and year. ``attrs["report"]`` records the layout,
        the rows read and the aggregate rows left out; ``attrs["path"]`` the file.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If no layout matches (the columns found are listed), or listing every row with a
        blank district code, a year or value that is not a number, a negative total, or a
        district and year given twice (file, row and column named).
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file (fix: give the district emissions CSV, "
                                  "e.g. the DESNZ local authority emissions table)")
    raw = read_csv_text(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    blank = [all(is_blank(v) for v in row) for row in raw.itertuples(index=False)]
    raw = raw[~np.asarray(blank, dtype=bool)] if len(raw) else raw
    headers = {normalise_header(c): c for c in raw.columns}
    problems = Problems(path)
    if _WIDE_TOTAL in headers:
        layout, frame = "wide", _wide(raw, headers, problems)
    elif any(_LONG_VALUE.match(h) for h in headers) and "la ghg sector" in headers:
        layout, frame = "long", _long(raw, headers, problems)
    elif "tco2e" in headers:
        layout, frame = "canonical", _canonical(raw, headers, problems)
    else:
        raise SourceFormatError(
            f"{path.name}: no emissions layout recognised; columns found: {list(raw.columns)} "
            "(fix: give 'Total Emissions:kt CO2' (mySociety wide table), 'Territorial "
            "emissions (kt CO2e)' with 'LA GHG Sector' (DESNZ long table), or columns "
            "district_id, year, tco2e)")
    problems.raise_if_any(SourceFormatError)
    out = _finish(frame, layout, path, problems)
    out.attrs["report"]["gases"] = _gases(layout, headers)
    return out


def _gases(layout: str, headers: dict[str, str]) -> str:
    """``"CO2"`` when the value header counts CO2 only, else ``"CO2e"``."""
    if layout == "wide":
        return "CO2"  # 'Total Emissions:kt CO2'
    if layout == "long":
        value = next(h for h in headers if _LONG_VALUE.match(h))
        return "CO2e" if "co2e" in value else "CO2"
    return "CO2e"


def latest_emissions(table: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Each district's emissions in ``year``, or in its latest year when ``year`` is None.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_district_emissions`.
    year : int, optional
        The year wanted; districts without that year are left out.

    Returns
    -------
    pandas.DataFrame
        One row per district, same columns as ``table``.

    Raises
    ------
    SourceFormatError
        If no district has the year asked for (the years present are listed).
    """
    if year is not None:
        chosen = table[table["year"] == int(year)]
        if chosen.empty:
            years = sorted(set(table["year"].astype(int)))
            raise SourceFormatError(f"district emissions: no row for year {year}; the table "
                                    f"has years {years} (fix: choose one of them)")
        return chosen.reset_index(drop=True)
    ordered = table.sort_values(["district_id", "year"], kind="stable")
    return ordered.groupby("district_id", sort=True).tail(1).reset_index(drop=True)


def _column(headers: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((headers[n] for n in names if n in headers), None)


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def _numbers(raw: pd.DataFrame, column: str, scale: float, problems: Problems, *,
             least: float | None = None) -> np.ndarray:
    """Parse a column as numbers x scale by the shared rules, recording every bad cell."""
    parsed, bad = parse_column(raw[column])
    for item in bad:
        problems.add(item.message, row=item.int_label + 2, column=column, fix=item.fix)
    values = parsed.to_numpy(dtype=float)
    if least is not None:
        for i in np.flatnonzero(values < least):
            problems.add(f"{values[i]:g} is below {least:g}", row=int(raw.index[i]) + 2,
                         column=column, fix="emissions totals cannot be negative")
    return values * scale


def _scale(unit: str) -> float:
    return 1000.0 if unit == "kt" else 1.0


def _keys(raw: pd.DataFrame, headers: dict[str, str], problems: Problems) -> pd.DataFrame:
    """district_id, district_name and year of every row."""
    id_col = _column(headers, _ID_NAMES)
    year_col = _column(headers, _YEAR_NAMES)
    for role, found, names in (("district code", id_col, _ID_NAMES),
                               ("year", year_col, _YEAR_NAMES)):
        if found is None:
            problems.add(f"no {role} column", fix=f"add one of the columns {list(names)}")
    problems.raise_if_any(SourceFormatError)
    name_col = _column(headers, _NAME_NAMES)
    ids = raw[id_col].map(cell_text)
    for label in raw.index[ids.isna()]:
        problems.add("district code is blank", row=int(label) + 2, column=id_col,
                     fix="give every row a district code or delete the row")
    years = _numbers(raw, year_col, 1.0, problems)  # type: ignore[arg-type]
    for i in np.flatnonzero(np.isnan(years) | (years != np.round(years))):
        problems.add(f"year {raw[year_col].iloc[i]!r} is not a whole number",
                     row=int(raw.index[i]) + 2, column=year_col, fix="give a year such as 2020")
    names = raw[name_col].map(cell_text) if name_col else ids
    return pd.DataFrame({"district_id": ids.fillna("").astype(str).to_numpy(),
                         "district_name": names.fillna("").astype(str).to_numpy(),
                         "year": np.nan_to_num(years).astype("int64")}, index=raw.index)


def _wide(raw: pd.DataFrame, headers: dict[str, str], problems: Problems) -> pd.DataFrame:
    frame = _keys(raw, headers, problems)
    total = headers[_WIDE_TOTAL]
    frame["tco2e"] = _numbers(raw, total, 1000.0, problems, least=0.0)
    for header, column in headers.items():
        match = _SECTOR_TOTAL.match(header)
        if match and header != _WIDE_TOTAL:
            frame[f"{_snake(match[1])}_tco2e"] = _numbers(raw, column, _scale(match[2]),
                                                          problems)
    return frame


def _long(raw: pd.DataFrame, headers: dict[str, str], problems: Problems) -> pd.DataFrame:
    keys = _keys(raw, headers, problems)
    value_header = next(h for h in headers if _LONG_VALUE.match(h))
    unit = _LONG_VALUE.match(value_header)[1]  # type: ignore[index]
    keys["value"] = _numbers(raw, headers[value_header], _scale(unit), problems)
    keys["sector"] = raw[headers["la ghg sector"]].map(cell_text).fillna("other").map(_snake)
    problems.raise_if_any(SourceFormatError)
    index = ["district_id", "district_name", "year"]
    wide = keys.pivot_table(index=index, columns="sector", values="value", aggfunc="sum",
                            fill_value=0.0)
    wide.columns = [f"{c}_tco2e" for c in wide.columns]
    wide.insert(0, "tco2e", wide.sum(axis=1))
    return wide.reset_index()


def _canonical(raw: pd.DataFrame, headers: dict[str, str], problems: Problems) -> pd.DataFrame:
    frame = _keys(raw, headers, problems)
    frame["tco2e"] = _numbers(raw, headers["tco2e"], 1.0, problems, least=0.0)
    for header, column in headers.items():
        if header.endswith("_tco2e") and header != "tco2e":
            frame[_snake(header)] = _numbers(raw, column, 1.0, problems)
    return frame


def _finish(frame: pd.DataFrame, layout: str, path: Path, problems: Problems) -> pd.DataFrame:
    rows = len(frame)
    aggregate = frame["district_id"].str.upper().str.startswith(AGGREGATE_CODE_PREFIXES)
    frame = frame[~aggregate.to_numpy()]
    repeated = frame.duplicated(["district_id", "year"], keep="first")
    for label in frame.index[repeated.to_numpy()]:
        row = frame.loc[label]
        problems.add(f"district {row['district_id']!r} and year {row['year']} appear more "
                     "than once", row=int(label) + 2 if layout != "long" else None,
                     column="district_id", fix="keep one row per district and year")
    problems.raise_if_any(SourceFormatError)
    if frame.empty:
        raise SourceFormatError(f"{path.name}: no district rows (fix: give emissions per "
                                "district, not only county or regional totals)")
    frame = frame.sort_values(["district_id", "year"], kind="stable").reset_index(drop=True)
    frame["tco2e"] = frame["tco2e"].astype(float)
    frame.attrs["report"] = {"layout": layout, "rows": rows,
                             "aggregate_rows_left_out": int(aggregate.sum()),
                             "districts": int(frame["district_id"].nunique()),
                             "years": sorted({int(y) for y in frame["year"]})}
    frame.attrs["path"] = str(path)
    return frame
