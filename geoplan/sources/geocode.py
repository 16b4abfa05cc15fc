"""Locate homes: by UPRN where a UPRN-coordinates file is given, else by postcode centroid.

Two lookups are supported, both in British National Grid (EPSG:27700):

* **UPRN coordinates** in the OS Open UPRN CSV layout (header ``UPRN, X_COORDINATE,
  Y_COORDINATE, LATITUDE, LONGITUDE``). The national file has about 40 million rows, so it is
  streamed in blocks with :mod:`pyarrow.csv` and only the UPRNs asked for are kept.
* **Postcode centroids** in the OS Code-Point Open layout: the published CSVs (one per postcode
  area) have no header and 10 columns, ``Postcode, Positional_quality_indicator, Eastings,
  Northings, Country_code, NHS_regional_HA_code, NHS_HA_code, Admin_county_code,
  Admin_district_code, Admin_ward_code``; extracts with a header row (``Postcode, ...,
  Eastings, Northings, ...``) are read by column name. A folder means every ``.csv`` in it.
  Postcodes are compared without spaces, upper-cased; postcodes without coordinates (0, 0)
  are left out.

Both files are refused, naming the row, column and value, when a coordinate is not a number
or lies outside Great Britain (eastings 0-700,000, northings 0-1,300,000: the one check of
:func:`geoplan.sources.osgb.inside_gb`), and when they hold a header but no rows. Before reading,
each
file is sniffed (:func:`geoplan.sources.sniff.sniff_text`): a folder, a device, a symlink
loop, UTF-16 text, NUL bytes or a semicolon-separated file is named as such.

:func:`geocode_homes` never drops a home: one that neither lookup places keeps an empty
(``None``) geometry and ``geocode_method`` missing, and a warning gives the counts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from geoplan.distinct import each_distinct
from geoplan.errors import Problems, SourceFormatError, SourceNotFoundError
from geoplan.files.memory import no_collection
from geoplan.schemas import CRS
from geoplan.sources.cells import arrow_text_columns, raise_malformed_rows
from geoplan.sources.osgb import inside_gb
from geoplan.sources.sniff import check_folder, sniff_text

__all__ = [
    "CODEPOINT_COLUMNS",
    "GEOCODE_METHODS",
    "UPRN_COLUMNS",
    "GeocodeReport",
    "geocode_homes",
    "normalise_postcodes",
    "read_postcode_centroids",
    "read_uprn_coordinates",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

UPRN_COLUMNS = ("UPRN", "X_COORDINATE", "Y_COORDINATE", "LATITUDE", "LONGITUDE")
"""Header of the OS Open UPRN CSV."""

CODEPOINT_COLUMNS = ("Postcode", "Positional_quality_indicator", "Eastings", "Northings",
                     "Country_code", "NHS_regional_HA_code", "NHS_HA_code",
                     "Admin_county_code", "Admin_district_code", "Admin_ward_code")
"""The 10 columns of a Code-Point Open CSV, which has no header row."""

GEOCODE_METHODS = ("uprn", "postcode")
"""Values of ``geocode_method`` (missing: not located)."""


@dataclass(frozen=True)
class GeocodeReport:
    """How the homes were located.

    Parameters
    ----------
    homes : int
        Homes given.
    by_uprn : int
        Located by UPRN.
    by_postcode : int
        Located by postcode centroid (among those not located by UPRN).
    unmatched : int
        Not located (kept, with no geometry).
    no_postcode : int
        Unmatched homes that have no usable postcode at all.
    """

    homes: int
    by_uprn: int
    by_postcode: int
    unmatched: int
    no_postcode: int


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Postcodes without spaces, upper-cased; blanks become missing.

    Examples
    --------
    >>> normalise_postcodes(pd.Series([" ox1 1aa", "OX2  6GG", ""])).tolist()
    ['OX11AA', 'OX26GG', nan]
    """
    return each_distinct(values, _compact)  # a county's homes share a few thousand postcodes


def _compact(values: pd.Series) -> pd.Series:
    compact = values.astype("str").str.replace(r"[ \t\r\n]+", "", regex=True).str.upper()
    return compact.where(compact.str.len().gt(0))


def read_postcode_centroids(path: PathLike) -> pd.DataFrame:
    """Read Code-Point Open style postcode centroids (see the module docstring).

    Parameters
    ----------
    path : path
        One CSV, with or without a header row, or a folder of them.

    Returns
    -------
    pandas.DataFrame
        ``postcode`` (normalised), ``easting``, ``northing`` (metres, EPSG:27700), one row per
        postcode (the first wins). ``attrs`` holds ``files``, ``no_coordinates`` (rows at 0, 0,
        left out) and ``duplicates`` (repeated postcodes left out).

    Raises
    ------
    SourceNotFoundError
        If the path does not exist or a folder has no CSV.
    SourceFormatError
        If a file is empty, not comma-separated, misses the postcode/eastings/northings columns,
        has malformed rows, or a coordinate that is not a number (every bad row is named).
    """
    files = _csv_files(Path(path))
    parts = [_read_codepoint(p) for p in files]
    table = pd.concat(parts, ignore_index=True)
    zero = table["easting"].eq(0) & table["northing"].eq(0)
    table = table[~zero]
    duplicated = table["postcode"].duplicated()
    table = table[~duplicated].reset_index(drop=True)
    table.attrs.update(files=[p.name for p in files], no_coordinates=int(zero.sum()),
                       duplicates=int(duplicated.sum()))
    return table


def _csv_files(path: Path) -> list[Path]:
    if path.is_dir():
        found = [p for p in check_folder(path) if p.suffix.lower() == ".csv"]
        if found:
            return found
        raise SourceNotFoundError(f"{path}: no .csv files in this folder (fix: point at the "
                                  "Data/CSV folder of Code-Point Open, or at one CSV)")
    return [sniff_text(path, what="a postcode CSV")]


def _read_codepoint(path: Path) -> pd.DataFrame:
    header = _header(path)
    fields = [f.strip() for f in header.split(",")]
    named = any("postcode" in f.casefold() for f in fields)
    if named:
        lookup = {f.casefold(): f for f in fields}
        wanted = {"postcode": "postcode", "easting": "eastings", "northing": "northings"}
        columns = {}
        for key, name in wanted.items():
            hit = lookup.get(name) or lookup.get(name.rstrip("s"))
            if hit is None:
                raise SourceFormatError(
                    f"{path.name}: row 1: no {name!r} column; the header has {fields} (fix: use "
                    f"Code-Point Open columns {list(CODEPOINT_COLUMNS[:4])})")
            columns[key] = hit
        names, skip, first_row = fields, 1, 2
    else:
        if len(fields) < 4:
            raise SourceFormatError(
                f"{path.name}: row 1 has {len(fields)} values; a Code-Point Open CSV has "
                f"{len(CODEPOINT_COLUMNS)} ({list(CODEPOINT_COLUMNS)}) (fix: give the published "
                "file, or add a header row naming Postcode, Eastings and Northings)")
        names = [f"f{i}" for i in range(len(fields))]
        columns, skip, first_row = {"postcode": "f0", "easting": "f2", "northing": "f3"}, 0, 1
    raw = _read_text(path, names, skip, list(columns.values()))
    if raw.empty:
        raise SourceFormatError(f"{path.name}: no rows: the file has a header but no postcodes "
                                "(fix: give the full Code-Point Open CSV; download it again if "
                                "it was cut short)")
    return _coordinates(raw.rename(columns={v: k for k, v in columns.items()}), path, first_row)


def _header(path: Path) -> str:
    with sniff_text(path).open("rb") as handle:
        head = handle.read(1 << 16)
    return head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig", errors="replace")


def _read_text(path: Path, names: list[str], skip: int, include: list[str]) -> pd.DataFrame:
    return arrow_text_columns(path, names, include, skip_rows=skip)


def _coordinates(raw: pd.DataFrame, path: Path, first_row: int) -> pd.DataFrame:
    """Parse eastings/northings, naming every row that holds something else."""
    problems = Problems(path)
    out = pd.DataFrame({"postcode": normalise_postcodes(raw["postcode"])})
    for column in ("easting", "northing"):
        text = raw[column].str.strip()
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        for index in np.flatnonzero(values.isna().to_numpy())[:10]:
            problems.add(f"{text.iloc[index]!r} is not a number", row=int(index) + first_row,
                         column=column, fix="every postcode needs numeric eastings and northings")
        out[column] = values
    _outside_gb(out, problems, lambda i: int(i) + first_row, ("easting", "northing"),
                zero_ok=True)
    if out["postcode"].isna().any():
        index = int(np.flatnonzero(out["postcode"].isna().to_numpy())[0])
        problems.add("postcode is blank", row=index + first_row, column="postcode",
                     fix="remove the row or fill in the postcode")
    problems.raise_if_any(SourceFormatError)
    return out


def read_uprn_coordinates(path: PathLike, uprns: pd.Series | None = None) -> pd.DataFrame:
    """Read OS Open UPRN coordinates, keeping only ``uprns`` when given.

    Parameters
    ----------
    path : path
        The OS Open UPRN CSV (or an extract with the same header).
    uprns : pandas.Series of str, optional
        UPRNs to keep (digits, no leading zeros); all rows when None.

    Returns
    -------
    pandas.DataFrame
        ``uprn`` (str), ``easting``, ``northing`` (EPSG:27700), one row per UPRN.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If the file is empty, misses UPRN/X_COORDINATE/Y_COORDINATE, or a kept row has a
        coordinate that is not a number (the row is named).
    """
    path = Path(path)
    fields = [f.strip().upper() for f in _header(path).split(",")]
    missing = [c for c in UPRN_COLUMNS[:3] if c not in fields]
    if missing:
        raise SourceFormatError(f"{path.name}: row 1: columns {missing} are missing; the header "
                                f"has {fields} (fix: use OS Open UPRN, columns "
                                f"{list(UPRN_COLUMNS)})")
    keep = None if uprns is None else _UprnSet(uprns)
    try:
        parts, offset = _uprn_batches(path, fields, keep)
    except pa.ArrowInvalid as exc:  # a row with the wrong number of values, or bad text
        raise_malformed_rows(path, "utf-8", len(fields), [str(exc)])
    if offset == 0:
        raise SourceFormatError(f"{path.name}: no rows: the file has a header but no UPRNs "
                                "(fix: give the full OS Open UPRN CSV; download it again if it "
                                "was cut short)")
    raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: pd.Series(dtype="str") for c in (*UPRN_COLUMNS[:3], "_row")})
    return _uprn_table(raw, path)


_NUMBER = r"^[1-9][0-9]{0,17}$"
"""A UPRN as the homes write it (digits, no leading zero) that fits a 64-bit integer."""


class _UprnSet:
    """The UPRNs to keep, hashed once for every block of the file.

    As integers when each fits in 64 bits (always, for real UPRNs of up to 12 digits): a
    block's UPRN text is kept when it is such a number and in the set, exactly as the text
    would match. Otherwise as text, in Arrow (which hashes the set again for each block).
    """

    def __init__(self, uprns: pd.Series) -> None:
        text = pa.array(pd.Series(uprns).dropna(), type=pa.string()).unique()
        self._numbers: pd.Index | None = None
        self._text = text
        if pc.all(pc.match_substring_regex(text, _NUMBER)).as_py() is not False:
            self._numbers = pd.Index(pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False))

    def kept(self, column: pa.Array) -> np.ndarray:
        """Whether each UPRN text of ``column`` (stripped) is in the set."""
        text = pc.utf8_trim_whitespace(column)
        if self._numbers is None:
            return np.asarray(pc.is_in(text, value_set=self._text), dtype=bool)
        number = pc.if_else(pc.match_substring_regex(text, _NUMBER), text,
                            pa.scalar(None, pa.string()))
        values = pc.cast(number, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return self._numbers.get_indexer(values) >= 0


def _uprn_batches(path: Path, fields: list[str], keep: _UprnSet | None
                  ) -> tuple[list[pd.DataFrame], int]:
    """Stream the UPRN file in blocks, keeping the rows in ``keep``; also count every row."""
    parts: list[pd.DataFrame] = []
    offset = 0
    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(column_names=fields, skip_rows=1,
                                             block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(UPRN_COLUMNS[:3], pa.string()),
            include_columns=list(UPRN_COLUMNS[:3])))
    for batch in reader:
        rows = np.arange(offset, offset + batch.num_rows) + 2
        offset += batch.num_rows
        if keep is not None:
            mask = keep.kept(batch.column(0))
            batch, rows = batch.filter(pa.array(mask)), rows[mask]
        parts.append(batch.to_pandas().assign(_row=rows))
    return parts, offset


def _uprn_table(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    problems = Problems(path)
    out = pd.DataFrame({"uprn": raw["UPRN"].astype("str").str.strip()})
    for source, column in (("X_COORDINATE", "easting"), ("Y_COORDINATE", "northing")):
        values = pd.to_numeric(raw[source], errors="coerce").astype("float64")
        for index in np.flatnonzero(values.isna().to_numpy())[:10]:
            problems.add(f"{raw[source].iloc[index]!r} is not a number",
                         row=int(raw["_row"].iloc[index]), column=source,
                         fix="every UPRN needs numeric coordinates")
        out[column] = values
    _outside_gb(out, problems, lambda i: int(raw["_row"].iloc[i]),
                ("X_COORDINATE", "Y_COORDINATE"))
    problems.raise_if_any(SourceFormatError)
    return out.drop_duplicates("uprn").reset_index(drop=True)


def _outside_gb(table: pd.DataFrame, problems: Problems, row_of: Callable[[int], int],
                columns: tuple[str, str], zero_ok: bool = False) -> None:
    """Record rows whose eastings/northings lie outside Great Britain (NaN rows are skipped).

    ``zero_ok`` lets (0, 0) through: Code-Point Open writes it for postcodes without a
    location, and they are left out afterwards.
    """
    x, y = table["easting"].to_numpy(), table["northing"].to_numpy()
    bad = np.isfinite(x) & np.isfinite(y) & ~inside_gb(x, y)
    if zero_ok:
        bad &= ~((x == 0) & (y == 0))
    for index in np.flatnonzero(bad)[:10]:
        problems.add(f"({x[index]:g}, {y[index]:g}) is outside Great Britain (eastings "
                     "0-700000, northings 0-1300000)", row=row_of(int(index)),
                     column=f"{columns[0]}/{columns[1]}",
                     fix="give British National Grid eastings and northings in metres "
                         "(EPSG:27700); check the columns are not swapped or in degrees")
    if bad.sum() > 10:
        problems.add(f"and {int(bad.sum()) - 10} more rows outside Great Britain",
                     fix="check the file is OS data in EPSG:27700")


def geocode_homes(
    frame: pd.DataFrame,
    *,
    uprn_coordinates: PathLike | pd.DataFrame | None = None,
    postcodes: PathLike | pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, GeocodeReport]:
    """Give each home a point: its UPRN's coordinates, else its postcode's centroid.

    Parameters
    ----------
    frame : pandas.DataFrame
        Homes with ``uprn`` and ``postcode`` columns (e.g. ``read_epc_certificates().frame``).
    uprn_coordinates : path or pandas.DataFrame, optional
        OS Open UPRN file, or the table :func:`read_uprn_coordinates` returns.
    postcodes : path or pandas.DataFrame, optional
        Code-Point Open file or folder, or the table :func:`read_postcode_centroids` returns.

    Returns
    -------
    geopandas.GeoDataFrame
        ``frame`` (same rows and order) with ``geocode_method`` (``"uprn"``, ``"postcode"`` or
        missing) and a point geometry in EPSG:27700 (``None`` when not located).
    GeocodeReport
        The counts; a warning is logged when homes are left unlocated.
    """
    n = len(frame)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    method = np.full(n, None, dtype=object)
    if uprn_coordinates is not None:
        table = uprn_coordinates if isinstance(uprn_coordinates, pd.DataFrame) else \
            read_uprn_coordinates(uprn_coordinates, frame["uprn"])
        _match(frame["uprn"].astype("str"), table, "uprn", "uprn", x, y, method)
    postcode = normalise_postcodes(frame["postcode"])
    if postcodes is not None:
        table = postcodes if isinstance(postcodes, pd.DataFrame) else \
            read_postcode_centroids(postcodes)
        _match(postcode, table, "postcode", "postcode", x, y, method)
    located = method != None  # noqa: E711 - elementwise on an object array
    geometry = np.full(n, None, dtype=object)
    with no_collection():  # points hold no references: nothing for it to find
        geometry[located] = shapely.points(x[located], y[located])
    out = gpd.GeoDataFrame(frame.assign(geocode_method=pd.Series(method, index=frame.index,
                                                                 dtype="str")),
                           geometry=gpd.GeoSeries(geometry, index=frame.index, crs=CRS),
                           copy=False)  # a new frame already (1.2M homes: a 0.24 s copy)
    report = GeocodeReport(n, int((method == "uprn").sum()), int((method == "postcode").sum()),
                           int((~located).sum()),
                           int((~located & postcode.isna().to_numpy()).sum()))
    if report.unmatched:
        logger.warning("%d of %d homes could not be located (%d by UPRN, %d by postcode; %d have "
                       "no postcode); they are kept without geometry", report.unmatched, n,
                       report.by_uprn, report.by_postcode, report.no_postcode)
    return out, report


def _match(keys: pd.Series, table: pd.DataFrame, key: str, label: str, x: np.ndarray,
           y: np.ndarray, method: np.ndarray) -> None:
    """Fill ``x``/``y``/``method`` for rows not located yet whose key is in ``table``."""
    lookup = table.drop_duplicates(key)
    found = pc.index_in(pa.array(keys, type=pa.string(), from_pandas=True),  # hashed in Arrow
                        value_set=pa.array(lookup[key].astype("str"), type=pa.string(),
                                           from_pandas=True))
    index = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
    hit = (index >= 0) & (method == None) & keys.notna().to_numpy()  # noqa: E711
    x[hit] = lookup["easting"].to_numpy(float)[index[hit]]
    y[hit] = lookup["northing"].to_numpy(float)[index[hit]]
    method[hit] = label
