"""Shared reading of DNO scenario headroom tables (Network Development Plan / DFES exports).

Northern Powergrid, UK Power Networks and SP Energy Networks publish their scenario headroom
as open-data CSV exports with one row per substation and scenario (years across, *wide*) or
per substation, scenario and year (*long*). The readers of those formats describe their
columns in a ``COLUMNS`` table and call :func:`read_scenario_table`, which:

* finds the columns by header text (case and spacing ignored), skipping rows without a name;
* keeps only the demand headroom rows when the file mixes demand and generation headroom in
  a ``category`` column (the others are counted in a warning);
* groups rows into substations by the file's identifier, else by licence area, level and
  folded name (:func:`geoplan.sources.names.name_key`);
* reads every number through :mod:`geoplan.sources.numbers` (a bad cell is a problem naming
  its row and column; all are raised at once), years from ``2030``, ``2030.0``,
  ``2030-01-01`` or ``2030/31`` (the first year), and locations from latitude/longitude
  text such as ``"54.97, -1.61"`` (the Opendatasoft ``geo_point_2d`` export);
* converts MW to MVA in one place: ``headroom_mva = MW / power_factor`` (default 1.0, stated
  in a warning), so the canonical ``headroom`` table is always MVA;
* refuses two values for the same substation, scenario and year.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.errors import SourceFormatError
from geoplan.sources.base import GridTables, finish_grid, lonlat_to_bng
from geoplan.sources.cells import is_blank, normalise_header, parse_number
from geoplan.sources.names import name_key
from geoplan.sources.numbers import Quantity
from geoplan.sources.osgb import GB_LAT_RANGE, GB_LON_RANGE
from geoplan.sources.snapshot import CellTable, csv_table, in_file_order

__all__ = ["HEADROOM_MW", "Layout", "parse_year", "read_scenario_table", "wide_years"]

HEADROOM_MW = Quantity("demand headroom", "MW", -5000.0, 5000.0)
"""Sanity bounds of a published headroom in MW (as for MVA: far outside real values)."""

_YEAR = re.compile(r"^\s*((?:19|20)\d{2})(?:\.0+)?(?:\s*[-/]\s*\d{1,4}.*)?\s*$")
_MW_FIX = "enter a number of MW, or leave the cell blank"
_YEAR_FIX = "enter a year such as 2030 (or a date such as 2030-01-01)"


@dataclass(frozen=True)
class Layout:
    """How one DNO's table is laid out.

    Parameters
    ----------
    fmt : str
        The reader's format name.
    columns : dict
        Key -> accepted header texts. Keys used here: ``name`` (required), ``source_id``,
        ``scope``, ``level``, ``voltage``, ``gsp_name``, ``bsp_name``, ``scenario``,
        ``year``, ``headroom``, ``category``, ``location``.
    optional : sequence of str
        Keys that may be absent.
    level : callable
        ``(level text or None, voltage in kV or NaN) -> level or None``; None is a problem.
    level_fix : str
        The fix shown for a row whose level cannot be told.
    demand : callable
        ``category text -> bool``: whether a row holds demand headroom.
    wide : callable, optional
        ``headers -> {year: column index}`` for a wide table (years across).
    empty_fix : str
        The fix shown for a file without rows.
    """

    fmt: str
    columns: dict[str, tuple[str, ...]]
    optional: Sequence[str]
    level: Callable[[str | None, float], str | None]
    level_fix: str
    demand: Callable[[str], bool] = lambda _: True
    wide: Callable[[list[str]], dict[int, int]] | None = None
    empty_fix: str = "download the dataset's CSV export again"


def wide_years(pattern: re.Pattern[str]) -> Callable[[list[str]], dict[int, int]]:
    """Make a ``Layout.wide`` finder: headers matching ``pattern`` (group 1 is the year)."""
    def find(headers: list[str]) -> dict[int, int]:
        found: dict[int, int] = {}
        for index, header in enumerate(headers):
            match = pattern.match(normalise_header(header))
            if match:
                found.setdefault(int(match.group(1)), index)
        return found
    return find


def parse_year(value: object) -> int | None:
    """Read a year from ``2030``, ``2030.0``, ``"2030-01-01"`` or ``"2030/31"``; None if blank.

    Examples
    --------
    >>> parse_year("2030-01-01"), parse_year(2031.0), parse_year("2032/33"), parse_year("")
    (2030, 2031, 2032, None)
    """
    if is_blank(value):
        return None
    text = str(value.year) if hasattr(value, "year") else str(value)
    match = _YEAR.match(text)
    if match is None:
        raise ValueError(f"{value!r} is not a year")
    return int(match.group(1))


def read_scenario_table(path: str | Path, layout: Layout, *, power_factor: float = 1.0,
                        year: int | None = None, notes: list[str] | None = None) -> GridTables:
    """Read a DNO scenario headroom CSV laid out as ``layout`` into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The published CSV export.
    layout : Layout
        The DNO's columns and rules.
    power_factor : float
        Converts the published MW to MVA (``MVA = MW / power_factor``); in (0, 1].
    year : int, optional
        Ignored, with a warning: the file states the year of every value.
    notes : list of str, optional
        Warnings already collected by the reader.

    Returns
    -------
    GridTables

    Raises
    ------
    SourceFormatError
        If a required column is missing, the file has no rows, or cells cannot be read;
        every problem is listed at once.
    """
    path = Path(path)
    notes = [] if notes is None else notes
    if isinstance(power_factor, bool) or not 0 < float(power_factor) <= 1:
        raise SourceFormatError(f"{path.name}: power_factor={power_factor!r} is not a power "
                                "factor (fix: give a number above 0 and at most 1, e.g. 0.95)")
    if year is not None:
        notes.append(f"year={year} was ignored: the file gives the year of every value")
    table, problems = csv_table(path, layout.columns, layout.optional, notes, layout.empty_fix)
    table = _demand_rows(table, layout, notes)
    years = layout.wide(table.headers) if layout.wide else {}
    if layout.wide and not years:
        problems.add("the file has no yearly demand headroom columns",
                     fix="download the demand headroom dataset (not the generation one)")
    records, codes = _records(table, layout)
    headroom = _headroom(table, codes, years)
    _check_repeats(headroom, table)
    in_file_order(problems).raise_if_any()
    notes.append(f"headroom is published in MW; read as MVA at power factor "
                 f"{float(power_factor):g} (MVA = MW / power factor)")
    headroom["headroom_mva"] = headroom["headroom_mva"] / float(power_factor)
    unlocated = int(records["x"].isna().sum())
    if unlocated:
        notes.append(f"{unlocated} substations have no location; they have no geometry")
    return finish_grid(records, headroom.drop(columns="_row"), source=path, fmt=layout.fmt,
                       warnings=notes)


def _demand_rows(table: CellTable, layout: Layout, notes: list[str]) -> CellTable:
    if "category" not in table.columns:
        return table
    categories = table.texts("category")
    keep = [text is not None and layout.demand(text) for text in categories]
    dropped = sorted({c or "(blank)" for c, k in zip(categories, keep, strict=True) if not k})
    if dropped:
        notes.append(f"{keep.count(False)} rows of other headroom types skipped ({dropped}); "
                     "only demand headroom is read")
    return table.subset(keep)


def _records(table: CellTable, layout: Layout) -> tuple[pd.DataFrame, np.ndarray]:
    """One record per substation (its first row) and each row's record number."""
    voltage = table.numbers("voltage", "enter the voltage in kV") if "voltage" in table.columns \
        else np.full(len(table), np.nan)
    level_texts = table.texts("level")
    levels = []
    for text, kv, row in zip(level_texts, voltage, table.rows, strict=True):
        level = layout.level(text, float(kv))
        if level is None:
            given = (f"level {text!r}" if text else "no level",
                     f"voltage {kv:g} kV" if np.isfinite(kv) else "no voltage")
            key = "level" if text or "voltage" not in table.columns else "voltage"
            message = f"the substation level cannot be told ({', '.join(given)})"
            if key in table.columns:
                table.problem(key, row, message, layout.level_fix)
            else:
                table.problems.add(message, row=row, fix=layout.level_fix)
        levels.append(level)
    rows = pd.DataFrame({
        "name": table.texts("name"), "level": levels,
        "source_id": table.texts("source_id"), "scope": table.texts("scope"),
        "gsp_name": table.texts("gsp_name"), "bsp_name": table.texts("bsp_name"),
        "voltage_kv": voltage,
    })
    rows["x"], rows["y"] = _locations(table)
    if rows["source_id"].notna().all():  # a site may host two levels under one identifier
        key = (rows["scope"].fillna("") + "\x00" + rows["level"].fillna("") + "\x00"
               + rows["source_id"])
    else:
        key = (rows["scope"].fillna("") + "\x00" + rows["level"].fillna("") + "\x00"
               + rows["name"].map(name_key))
    codes, _ = pd.factorize(key)
    first = ~pd.Series(codes).duplicated().to_numpy()
    return rows.loc[first].reset_index(drop=True), codes


def _locations(table: CellTable) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid x/y from ``"lat, lon"`` text (NaN where blank or bad)."""
    lat, lon = np.full(len(table), np.nan), np.full(len(table), np.nan)
    if "location" not in table.columns:
        return lat, lon
    fix = "give 'latitude, longitude' in WGS84 decimal degrees, e.g. '54.97, -1.61'"
    for i, (text, row) in enumerate(zip(table.texts("location"), table.rows, strict=True)):
        if text is None:
            continue
        parts = [parse_number(p) for p in text.replace(";", ",").split(",")] \
            if text.count(",") == 1 else []
        if len(parts) != 2 or None in parts:
            table.problem("location", row, f"{text!r} is not 'latitude, longitude'", fix)
            continue
        a, b = float(parts[0]), float(parts[1])  # type: ignore[arg-type]
        inside = GB_LAT_RANGE[0] <= a <= GB_LAT_RANGE[1] and GB_LON_RANGE[0] <= b <= GB_LON_RANGE[1]
        if not inside:
            table.problem("location", row, f"{text!r} is outside Great Britain", fix)
            continue
        lat[i], lon[i] = a, b
    x, y = np.full(len(table), np.nan), np.full(len(table), np.nan)
    ok = np.isfinite(lat)
    if ok.any():
        x[ok], y[ok] = lonlat_to_bng(lon[ok], lat[ok])
    return x, y


def _headroom(table: CellTable, codes: np.ndarray, years: dict[int, int]) -> pd.DataFrame:
    """Long headroom rows (still MW) with the file row of each."""
    scenarios = [text or "" for text in table.texts("scenario")]
    if not years:
        frames = [(table.parse("year", parse_year, _YEAR_FIX, None),
                   table.numbers("headroom", _MW_FIX, HEADROOM_MW))]
    else:
        frames = []
        for year, index in sorted(years.items()):
            column = replace(table, columns={**table.columns, f"_y{year}": index})
            frames.append(([year] * len(table), column.numbers(f"_y{year}", _MW_FIX, HEADROOM_MW)))
    parts = [pd.DataFrame({"record": codes, "scenario": scenarios,
                           "year": pd.array(year_list, dtype="Int64"), "season": "peak",
                           "headroom_mva": values, "_row": table.rows})
             for year_list, values in frames]
    long = pd.concat(parts, ignore_index=True)
    blank_scenario = long["scenario"] == ""
    for row in sorted(set(long.loc[blank_scenario, "_row"])):
        table.problem("scenario", int(row), "the row names no scenario",
                      "fill in the scenario or delete the row")
    return long[np.isfinite(long["headroom_mva"].to_numpy(dtype=float))].reset_index(drop=True)


def _check_repeats(headroom: pd.DataFrame, table: CellTable) -> None:
    keys = ["record", "scenario", "year", "season"]
    first = headroom.groupby(keys, dropna=False)["_row"].transform("first")
    repeats = pd.DataFrame({"row": headroom["_row"], "earlier": first})
    repeats = repeats[repeats["row"] != repeats["earlier"]].drop_duplicates("row")
    for row, earlier in zip(repeats["row"], repeats["earlier"], strict=True):
        table.problems.add(f"gives headroom for the same substation, scenario and year as row "
                           f"{earlier}", row=int(row),
                           fix="delete one of the two rows (or check it is the right file)")
