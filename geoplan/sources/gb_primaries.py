"""The GB primary substations CSV of Zhou, Essayeh and Morstyn (Data in Brief 54, 2024, 110483).

One row per primary substation of Great Britain, gathered from the six DNO groups, with columns
``PS Name``, ``Firm Capacity (MVA)``, ``Demand (MVA)``, ``PF`` (power factor, often blank),
``Geo(Long,Lat)`` (one text cell ``"longitude,latitude"`` in WGS84), ``GSP`` and ``DNO``.
Columns are found by header text, never by position.

How the rows become canonical layers:

* every row is a ``primary``; its identifier is made from the DNO, the level and the folded
  name (``"SSEN-primary-ARNCOTT"``) and its parent is the GSP of the same name *within the
  same DNO* (added as an unlocated ``gsp`` row, since the file only names GSPs). Rows without
  a GSP have no parent; they are counted in a warning. GSP rows carry the ``dno`` attribute.
* the location cell is projected to British National Grid. A blank cell leaves the substation
  unlocated (counted in a warning); text that is not two numbers, or a point outside Great
  Britain, is a problem and the file is refused, listing every such cell at once.
* ``Firm Capacity (MVA)`` and ``Demand (MVA)`` give ``firm_capacity_mva`` and
  ``peak_demand_mva``; ``dno`` and ``power_factor`` are kept as extra attributes. Values are
  kept as published, including negative firm capacities (counted in a warning).
* the ``headroom`` table has one row per substation: scenario ``published``, season ``peak``,
  year as given to :func:`read` (else missing) and ``headroom_mva`` = firm capacity - demand,
  negative where demand exceeds firm capacity.
* a file with a header but no rows, and a row with fewer values than the header (a file
  cut short, or a row broken by hand), are refused, naming the line; rows are never guessed.
* rows that repeat an earlier row exactly (every column the reader uses, after trimming
  spaces) are dropped (counted in a warning). Rows that repeat the name and GSP of an earlier
  row of the same DNO but differ elsewhere (in the published file: the same capacity and
  demand at two different locations) are kept as separate substations;
  :func:`geoplan.sources.base.finish_grid` suffixes their identifiers (``-2``) and both facts
  are reported as warnings so the user can check them against the DNO's data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.errors import Problems
from geoplan.sources.base import (
    GB_LAT_RANGE,
    GB_LON_RANGE,
    GridTables,
    finish_grid,
    lonlat_to_bng,
)
from geoplan.sources.cells import (
    find_columns,
    is_blank,
    normalise_header,
    read_csv_text,
    text_cells,
)
from geoplan.sources.names import name_key
from geoplan.sources.numbers import (
    CAPACITY_MVA,
    DEMAND_MVA,
    POWER_FACTOR,
    Quantity,
    parse_column,
)
from geoplan.sources.sniff import refuse_incomplete

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "gb-primaries"
LABEL = "GB primary substations CSV (Zhou, Essayeh & Morstyn, Data in Brief 2024)"
SHAPE = "table"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ("published",)
"""Scenario names this format gives (firm capacity minus demand, one snapshot)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("PS Name", "Primary Substation Name"),
    "firm_capacity_mva": ("Firm Capacity (MVA)", "Firm Capacity"),
    "peak_demand_mva": ("Demand (MVA)", "Demand"),
    "power_factor": ("PF", "Power Factor"),
    "lonlat": ("Geo(Long,Lat)", "Geo (Long,Lat)", "Geo(Long, Lat)", "Geo (Long, Lat)"),
    "gsp_name": ("GSP", "Grid Supply Point"),
    "dno": ("DNO",),
}
"""Canonical key -> accepted header texts (the first is the published one)."""

_OPTIONAL = ("power_factor",)
_FIRST_ROW = 2  # file row of the first data row (row 1 is the header)
_PAIR = r"^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*,\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*$"


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of the GB primaries file.

    Parameters
    ----------
    signature : list of str
        Header cells folded by :func:`geoplan.sources.cells.normalise_header`.

    Returns
    -------
    bool
        True when every required column of :data:`COLUMNS` is present.

    Examples
    --------
    >>> sniff(["ps name", "firm capacity (mva)", "demand (mva)", "pf", "geo(long,lat)",
    ...        "gsp", "dno"])
    True
    >>> sniff(["ps name", "demand (mva)"])
    False
    """
    present = set(signature)
    return all(
        any(normalise_header(alias) in present for alias in aliases)
        for key, aliases in COLUMNS.items()
        if key not in _OPTIONAL
    )


def read(path: str | Path, *, year: int | None = None) -> GridTables:
    """Read the GB primary substations CSV into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The published CSV.
    year : int, optional
        Year the demand figures describe, written to the ``headroom`` table (missing if not
        given: the file states none).

    Returns
    -------
    GridTables
        ``primary`` substations with their GSPs (unlocated), and one ``published`` / ``peak``
        headroom row per substation.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If a required column is missing, or cells hold text where numbers or a
        ``"longitude,latitude"`` pair belong; every problem is listed at once.
    """
    path = Path(path)
    cells, headers = _cells(path)
    notes: list[str] = []
    cells = _drop_exact_duplicates(cells, notes)
    problems = Problems(path)
    records = _records(cells, headers, problems, notes)
    problems.raise_if_any()
    _note_repeats(cells, notes)
    records = pd.concat([records, _gsp_records(records)], ignore_index=True)
    primaries = records[records["level"] == "primary"]
    headroom = pd.DataFrame({
        "record": primaries.index,
        "scenario": "published",
        "year": pd.array([year] * len(primaries), dtype="Int64"),
        "season": "peak",
        "headroom_mva": primaries["firm_capacity_mva"] - primaries["peak_demand_mva"],
    })
    return finish_grid(records, headroom, source=path, fmt=FORMAT, warnings=notes)


def _cells(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read the used columns as stripped text, keyed canonically, indexed by file row.

    Also returns canonical key -> header as written, for messages.
    """
    refuse_incomplete(path, "primary substations")  # before a parser meets a cut-off row
    frame = read_csv_text(path)
    problems = Problems(path)
    found = find_columns(list(frame.columns), COLUMNS, problems, optional=_OPTIONAL, row=1)
    problems.raise_if_any()
    cells = pd.DataFrame(
        {key: frame.iloc[:, i].astype(object).str.strip() for key, i in found.items()}
    )
    if "power_factor" not in cells:
        cells["power_factor"] = ""
    cells.index = pd.RangeIndex(_FIRST_ROW, _FIRST_ROW + len(cells))
    cells = cells[~cells.map(is_blank).all(axis=1)]  # blank lines keep their row numbers
    return cells, {key: str(frame.columns[i]).strip() for key, i in found.items()}


def _drop_exact_duplicates(cells: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    repeated = cells.duplicated(keep="first")
    if repeated.any():
        rows = cells.index[repeated].tolist()
        notes.append(f"{len(rows)} rows repeat an earlier row exactly (rows {rows[:5]}"
                     f"{' ...' if len(rows) > 5 else ''}); they were dropped")
    return cells[~repeated]


def _records(
    cells: pd.DataFrame, headers: dict[str, str], problems: Problems, notes: list[str]
) -> pd.DataFrame:
    for row in cells.index[cells["name"].map(is_blank)]:
        problems.add("the substation has no name", row=row, column=headers["name"],
                     fix="fill in the name or delete the row")
    x, y = _locations(cells["lonlat"], problems, headers["lonlat"], notes)
    numbers = {key: _numbers(cells[key], problems, headers.get(key, "PF"), quantity)
               for key, quantity in (("firm_capacity_mva", CAPACITY_MVA),
                                     ("peak_demand_mva", DEMAND_MVA),
                                     ("power_factor", POWER_FACTOR))}
    gsp = text_cells(cells["gsp_name"])
    dno = text_cells(cells["dno"])
    if gsp.isna().any():
        notes.append(f"{int(gsp.isna().sum())} primaries name no GSP; they have no parent")
    _note_negative_firm(cells, numbers["firm_capacity_mva"], notes)
    records = pd.DataFrame({
        "name": cells["name"], "level": "primary", "x": x, "y": y,
        "firm_capacity_mva": numbers["firm_capacity_mva"],
        "peak_demand_mva": numbers["peak_demand_mva"],
        "gsp_name": gsp, "scope": dno, "dno": dno,
        "power_factor": numbers["power_factor"],
    }, index=cells.index)
    return records.reset_index(drop=True)


def _gsp_records(records: pd.DataFrame) -> pd.DataFrame:
    """One unlocated ``gsp`` row per GSP named within each DNO, so that it carries the DNO.

    GSPs are matched by :func:`geoplan.sources.names.name_key` within a DNO, as
    :func:`geoplan.sources.base.finish_grid` matches parents; the first spelling is kept.
    """
    named = records[records["gsp_name"].notna()]
    keys = pd.DataFrame({"dno": named["scope"].fillna(""),
                         "key": named["gsp_name"].map(name_key)})
    first = named[~keys.duplicated().to_numpy()]
    return pd.DataFrame({"name": first["gsp_name"], "level": "gsp", "scope": first["scope"],
                         "dno": first["dno"]}).reset_index(drop=True)


def _numbers(cells: pd.Series, problems: Problems, column: str,
             quantity: Quantity) -> pd.Series:
    """Parse text cells as floats of ``quantity``; blanks give NaN, bad cells are problems."""
    values, bad = parse_column(cells, quantity)
    for item in bad:
        problems.add(item.message, row=item.int_label, column=column, fix=item.fix)
    return values


def _locations(
    cells: pd.Series, problems: Problems, column: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Eastings and northings of ``"longitude,latitude"`` cells (NaN where blank or bad)."""
    pairs = cells.astype(str).str.extract(_PAIR)
    lon = np.array(pd.to_numeric(pairs[0], errors="coerce"), dtype=float)
    lat = np.array(pd.to_numeric(pairs[1], errors="coerce"), dtype=float)
    blank = cells.map(is_blank).to_numpy()
    inside = ((lon >= GB_LON_RANGE[0]) & (lon <= GB_LON_RANGE[1])
              & (lat >= GB_LAT_RANGE[0]) & (lat <= GB_LAT_RANGE[1]))
    for row, value, lo, la in zip(cells.index[~blank & ~inside], cells[~blank & ~inside],
                                  lon[~blank & ~inside], lat[~blank & ~inside], strict=True):
        problems.add(_location_message(value, lo, la), row=row, column=column,
                     fix="write the location as 'longitude,latitude' in decimal degrees, "
                         "e.g. '-1.2356,51.7488', or leave the cell blank")
    if blank.any():
        notes.append(f"{int(blank.sum())} substations have no location; they have no geometry")
    lon[~inside], lat[~inside] = np.nan, np.nan
    x, y = lonlat_to_bng(lon, lat)
    x[~inside], y[~inside] = np.nan, np.nan
    return x, y


def _location_message(value: object, lon: float, lat: float) -> str:
    if np.isnan(lon) or np.isnan(lat):
        return f"{value!r} is not a 'longitude,latitude' pair"
    swapped = (GB_LAT_RANGE[0] <= lon <= GB_LAT_RANGE[1]
               and GB_LON_RANGE[0] <= lat <= GB_LON_RANGE[1])
    hint = "; the two numbers look swapped" if swapped else ""
    return (f"{value!r} is outside Great Britain (longitude {GB_LON_RANGE}, latitude "
            f"{GB_LAT_RANGE}){hint}")


def _note_negative_firm(cells: pd.DataFrame, firm: pd.Series, notes: list[str]) -> None:
    negative = firm < 0
    if negative.any():
        examples = [f"{cells.at[r, 'name']!r} ({cells.at[r, 'dno']}) {firm[r]:.2f} MVA"
                    for r in firm.index[negative][:3]]
        notes.append(f"{int(negative.sum())} rows give a negative firm capacity (e.g. "
                     f"{', '.join(examples)}); kept as published")


def _note_repeats(cells: pd.DataFrame, notes: list[str]) -> None:
    """Warn about rows sharing DNO, name and GSP with an earlier row but differing elsewhere."""
    key = ["dno", "name", "gsp_name"]
    repeated = cells.duplicated(subset=key, keep="first")
    if not repeated.any():
        return
    first = cells.reset_index().groupby(key, sort=False)["index"].first()
    examples = [
        f"{name!r} ({dno}, GSP {gsp!r}) rows {first[(dno, name, gsp)]} and {row}"
        for row, (dno, name, gsp) in zip(cells.index[repeated][:3],
                                         cells.loc[repeated, key].itertuples(index=False),
                                         strict=False)
    ]
    notes.append(f"{int(repeated.sum())} rows repeat the DNO, name and GSP of an earlier row "
                 f"with different values (e.g. {'; '.join(examples)}); they are kept as "
                 "separate substations: check them against the DNO's own data")
