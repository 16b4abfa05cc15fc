"""Any CSV or vector file of substations, read through a column mapping.

For grid data in a layout geoplan has no reader for: a CSV, or a vector file GDAL can read
(GeoPackage, Shapefile, GeoJSON, FlatGeobuf, ...) or a GeoParquet file. The caller names the
file's columns with a mapping from canonical keys (:data:`KEYS`) to column names, e.g.
``{"name": "Substation", "firm_capacity_mva": "Firm (MVA)", "lon": "Long", "lat": "Lat"}``.
Column names match exactly, else ignoring case and spacing. The format is never detected
automatically: ask for it with ``fmt="generic"`` (``--format generic`` on the command line).

Rules:

* **Location.** A vector file is located by its geometry: points as they are, other shapes at
  a representative point inside them (with a warning). A vector file without a CRS raises
  :class:`~geoplan.errors.MissingCRSError` unless ``crs=`` says what it is; ``crs=`` never
  overrides a CRS the file declares. A CSV is located by ``x`` + ``y`` (eastings/northings in
  ``crs``, default EPSG:27700), ``lon`` + ``lat`` (WGS84) or ``grid_ref`` (OSGB text such as
  ``"SP 51259 05741"``); blank cells leave a substation unlocated. Locations outside the
  British National Grid are problems.
* **Constants.** ``level=``, ``year=``, ``scenario=`` and ``season=`` are used when the
  matching column is not mapped, and for blank cells of a mapped one. ``level`` defaults to
  ``"primary"``. Levels and seasons accept common spellings ("Grid Supply Point",
  "spring/autumn"), case-insensitively.
* **Long tables** (one row per substation and year, scenario or season): map ``year``,
  ``scenario`` and ``season`` to their columns and ``headroom_mva`` to the value column, e.g.
  ``--map name=Substation --map year=Year --map scenario=Scenario --map
  headroom_mva='Headroom (MVA)'``.
* **Wide tables** (one row per substation, the years, scenarios or seasons across): map
  ``headroom_mva`` to a *header template* in which ``{year}``, ``{scenario}`` and
  ``{season}`` stand for the parts that differ between the headroom columns; every column
  whose header matches (ignoring case and spacing) gives one headroom value per row, with the
  year, scenario and season its header names. ``--map headroom_mva='Headroom {year} (MVA)'``
  reads columns ``Headroom 2025 (MVA)``, ``Headroom 2030 (MVA)``, ...; ``--map
  headroom_mva='{scenario} {year}'`` reads ``CT 2030``, ``LW 2030``, .... A part read from
  the headers cannot also be mapped to a column; parts not in the template come from their
  mapped column or the constants below. Each headroom column's cells follow the number rules
  with that column named in messages. A template that matches no column is a problem.
* **Several rows per substation** (e.g. headroom by year, long format): rows belong to one
  substation when they share ``substation_id``, or, if it is not mapped, the same level and
  folded name (:func:`geoplan.sources.names.name_key`). The substation's attributes come from its
  first
  row (a warning counts substations whose rows disagree on name, level, parent or location);
  every row gives one headroom value.
* **Headroom.** From ``headroom_mva`` if mapped, else derived as ``firm_capacity_mva -
  peak_demand_mva`` (with a warning) when both are mapped, else the ``headroom`` table is
  empty. Two rows giving headroom for the same substation, scenario, year and season are a
  problem.
* **Parents.** ``parent_id`` names the parent's ``substation_id`` in the same file (so it
  needs ``substation_id``); ``gsp_name`` / ``bsp_name`` name upstream substations, matched by
  folded name or added unlocated (see :func:`geoplan.sources.base.finish_grid`).

Every problem with the mapping or the values (unknown keys, columns not in the file, text in
number columns, unknown levels or seasons, bad locations) is collected and raised once as a
:class:`~geoplan.errors.SourceFormatError`: the file cannot be read the way the mapping says.
Rows are numbered as a text editor shows them for CSV (the header is row 1) and from 1 for
vector features.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geoplan.errors import Problems, SourceNotFoundError
from geoplan.schemas import CRS, LEVELS, SEASONS
from geoplan.sources import numbers as rules
from geoplan.sources.base import GridTables, finish_grid, lonlat_to_bng
from geoplan.sources.cells import (
    cell_text,
    is_blank,
    normalise_header,
    read_csv_text,
    text_cells,
)
from geoplan.sources.names import name_key
from geoplan.sources.osgb import grid_refs_to_xy, inside_gb
from geoplan.sources.sniff import refuse_incomplete
from geoplan.sources.vector import parse_crs, read_vector, to_bng
from geoplan.sources.wide_tables import WIDE_MARK, melt, wide_columns

__all__ = ["FORMAT", "KEYS", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "generic"
LABEL = "Any CSV or vector file, with a column mapping"
SHAPE = "any"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ()
"""Scenario names come from the mapped ``scenario`` column, a ``{scenario}`` part of a wide
header template, or ``scenario=`` (default ``published``)."""

KEYS: dict[str, str] = {
    "name": "substation name (required)",
    "substation_id": "the file's identifier of the substation",
    "level": "gsp, bsp, primary or secondary",
    "parent_id": "substation_id of the parent substation in the same file",
    "gsp_name": "name of the upstream Grid Supply Point",
    "bsp_name": "name of the upstream Bulk Supply Point",
    "firm_capacity_mva": "firm capacity in MVA",
    "peak_demand_mva": "peak demand in MVA",
    "headroom_mva": "demand headroom in MVA (negative = constrained)",
    "year": "year the headroom applies to",
    "scenario": "scenario name",
    "season": "winter, summer, spring_autumn or peak",
    "x": "easting in crs (default EPSG:27700)",
    "y": "northing in crs (default EPSG:27700)",
    "lon": "longitude, WGS84 degrees",
    "lat": "latitude, WGS84 degrees",
    "grid_ref": "OS grid reference such as 'SP 51259 05741'",
}
"""Canonical mapping keys and what the mapped column must hold."""

TABLE_SUFFIXES = frozenset({".csv", ".txt"})
LEVEL_NAMES = {**{lv: lv for lv in LEVELS}, "grid supply point": "gsp",
               "bulk supply point": "bsp", "primary substation": "primary",
               "secondary substation": "secondary"}
SEASON_NAMES = {**{s: s for s in SEASONS}, "spring autumn": "spring_autumn",
                "spring/autumn": "spring_autumn", "spring-autumn": "spring_autumn",
                "autumn/spring": "spring_autumn", "annual peak": "peak"}

_LOCATIONS = (("x", "y"), ("lon", "lat"), ("grid_ref",))
_TEXT_KEYS = ("name", "substation_id", "parent_id", "gsp_name", "bsp_name", "scenario")
_NUMBER_KEYS = ("firm_capacity_mva", "peak_demand_mva", "headroom_mva")
_QUANTITIES = {"firm_capacity_mva": rules.CAPACITY_MVA, "peak_demand_mva": rules.DEMAND_MVA,
               "headroom_mva": rules.GRID_HEADROOM_MVA}
_IDENTITY = ("name", "level", "parent_source_id", "gsp_name", "bsp_name", "x", "y")
_MAX_LISTED = 10  # cells listed per column before the rest are summarised


@dataclass(frozen=True)
class _Defaults:
    """Constant values for unmapped columns and blank cells."""

    level: str
    year: int | None
    scenario: str
    season: str


def sniff(signature: list[str]) -> bool:
    """Never claim a file: the generic reader is only used when asked for.

    Parameters
    ----------
    signature : list of str
        Ignored.

    Returns
    -------
    bool
        Always False.
    """
    return False


def read(
    path: str | Path,
    *,
    columns: Mapping[str, str],
    crs: str | None = None,
    layer: str | None = None,
    level: str | None = None,
    year: int | None = None,
    scenario: str = "published",
    season: str = "peak",
) -> GridTables:
    """Read substations (and headroom) from any CSV or vector file through a column mapping.

    Parameters
    ----------
    path : str or pathlib.Path
        A CSV, a vector file GDAL can read, or a GeoParquet file.
    columns : Mapping[str, str]
        Canonical key (see :data:`KEYS`) -> column name in the file; ``name`` is required.
    crs : str, optional
        CRS of ``x``/``y`` columns (default EPSG:27700), or of a vector file that declares
        none. Never overrides a CRS the file declares.
    layer : str, optional
        Layer of a multi-layer vector file (required when it has several).
    level : str, optional
        Level of every substation when ``level`` is not mapped, and of blank cells (default
        ``"primary"``).
    year : int, optional
        Headroom year when ``year`` is not mapped, and for blank cells (default missing).
    scenario, season : str
        Headroom scenario and season when not mapped, and for blank cells.

    Returns
    -------
    GridTables

    Raises
    ------
    SourceNotFoundError
        If the file or the layer does not exist.
    MissingCRSError
        If a vector file has no CRS and ``crs`` is not given.
    SourceFormatError
        If the mapping, the options or the values are wrong; every problem is listed.
    """
    path = Path(path)
    problems = Problems(path)
    frame, geometry = _load(path, layer, crs, problems)
    table = path.suffix.lower() in TABLE_SUFFIXES
    problems.sheet = None if table else layer
    columns, wide = wide_columns(columns, list(frame.columns), problems)
    mapped = _resolve(columns, list(frame.columns), geometry is not None, problems)
    _check_options(mapped, crs, layer if table else None, geometry is not None, problems)
    defaults = _defaults(level, year, scenario, season, problems)
    rows = _parse(frame, mapped, defaults, problems)
    rows["x"], rows["y"] = _xy(frame, mapped, geometry, crs, problems)
    if wide:
        rows = melt(rows, frame, wide, problems, SEASON_NAMES,
                    lambda cells, column: _numbers(cells, problems, column,
                                                   _QUANTITIES["headroom_mva"]))
        mapped["headroom_mva"] = WIDE_MARK
    problems.raise_if_any()
    notes = _location_notes(mapped, geometry)
    rows["headroom_mva"] = _headroom(rows, mapped, notes)
    codes = _group(rows, "substation_id" in mapped)
    _check_repeats(rows, codes, problems)
    problems.raise_if_any()
    records, headroom = _tables(rows, codes)
    _note_disagreements(rows, codes, notes)
    unlocated = int(records["x"].isna().sum())
    if unlocated and (geometry is not None or any(k in mapped for k in ("x", "lon", "grid_ref"))):
        notes.append(f"{unlocated} substations have no location; they have no geometry")
    return finish_grid(records, headroom, source=path, fmt=FORMAT, warnings=notes)


# --- loading --------------------------------------------------------------------------------


def _load(
    path: Path, layer: str | None, crs: str | None, problems: Problems
) -> tuple[pd.DataFrame, gpd.GeoSeries | None]:
    """Attribute table indexed by row number, and the geometry in EPSG:27700 (vector only)."""
    if not path.exists():
        raise SourceNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in TABLE_SUFFIXES:
        refuse_incomplete(path, "substations")  # before a parser meets a cut-off row
        frame = read_csv_text(path)
        frame.index = pd.RangeIndex(2, 2 + len(frame))
        return frame[~frame.map(is_blank).all(axis=1)], None  # blank lines keep row numbers
    data = read_vector(path, layer)
    data.index = pd.RangeIndex(1, 1 + len(data))
    if not isinstance(data, gpd.GeoDataFrame) or data.active_geometry_name is None:
        return pd.DataFrame(data), None  # an attribute table: located like a CSV
    geometry = to_bng(data.geometry, path, crs)
    return pd.DataFrame(data.drop(columns=data.geometry.name)), geometry


# --- the mapping and options ----------------------------------------------------------------


def _resolve(
    columns: Mapping[str, str], available: list[str], vector: bool, problems: Problems
) -> dict[str, str]:
    """Canonical key -> the file's column name, for every valid mapped key found."""
    if not isinstance(columns, Mapping):
        problems.add(f"columns must map canonical keys to column names, not {columns!r}",
                     fix=f"e.g. columns={{'name': 'Substation'}}; keys are {list(KEYS)}")
        return {}
    unknown = [str(k) for k in columns if k not in KEYS]
    if unknown:
        problems.add(f"unknown mapping keys {unknown}", fix=f"use keys from {list(KEYS)}")
    if "name" not in columns:
        problems.add("the mapping has no 'name'", fix="map name= to the column of names")
    folded: dict[str, str] = {}
    for column in available:
        folded.setdefault(normalise_header(column), column)
    mapped = {}
    for key, column in columns.items():
        found = column if column in available else folded.get(normalise_header(column))
        if key in KEYS and found is None:
            problems.add(f"mapped column {column!r} (for {key}) is not in the file",
                         column=str(column), fix=f"map {key} to one of the file's columns "
                         f"{[str(c) for c in available]}")
        elif key in KEYS:
            mapped[key] = str(found)
    _check_locations(columns, vector, problems)
    return mapped


def _check_locations(columns: Mapping[str, str], vector: bool, problems: Problems) -> None:
    given = [group for group in _LOCATIONS if any(k in columns for k in group)]
    keys = [k for group in given for k in group if k in columns]
    if vector and given:
        problems.add(f"location keys {keys} are mapped, but a vector file is located by its "
                     "geometry", fix="remove them from the mapping")
    elif len(given) > 1:
        problems.add(f"several locations are mapped ({keys})",
                     fix="map only one of x+y, lon+lat or grid_ref")
    for group in given:
        missing = [k for k in group if k not in columns]
        if missing and not vector:
            problems.add(f"{'+'.join(group)} is only partly mapped ({missing} missing)",
                         fix=f"map both {' and '.join(group)}")


def _check_options(
    mapped: dict[str, str], crs: str | None, csv_layer: str | None, vector: bool,
    problems: Problems,
) -> None:
    """Record options that do not apply (``csv_layer``: a layer asked of a CSV)."""
    if csv_layer is not None:
        problems.add(f"layer={csv_layer!r} was given for a CSV",
                     fix="drop layer=: it selects a layer of a GeoPackage or similar file")
    if not vector and crs is not None and "x" not in mapped:
        problems.add(f"crs={crs!r} was given but no x/y columns are mapped",
                     fix="drop crs=: lon/lat are always WGS84 and grid_ref is always OSGB")
    if "parent_id" in mapped and "substation_id" not in mapped:
        problems.add("parent_id is mapped but substation_id is not",
                     fix="map substation_id to the column parent_id refers to")


def _defaults(
    level: str | None, year: int | None, scenario: str, season: str, problems: Problems
) -> _Defaults:
    folded_level = LEVEL_NAMES.get(normalise_header(level or "primary"))
    if folded_level is None:
        problems.add(f"level={level!r} is not a substation level", fix=f"use one of {LEVELS}")
    folded_season = SEASON_NAMES.get(normalise_header(season))
    if folded_season is None:
        problems.add(f"season={season!r} is not a season", fix=f"use one of {SEASONS}")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int | np.integer)):
        problems.add(f"year={year!r} is not a year", fix="give a whole number such as 2030")
        year = None
    if not str(scenario).strip():
        problems.add("scenario= is empty", fix="give a scenario name such as 'published'")
    return _Defaults(folded_level or "primary", None if year is None else int(year),
                     str(scenario).strip(), folded_season or "peak")


# --- values ---------------------------------------------------------------------------------


def _parse(
    frame: pd.DataFrame, mapped: dict[str, str], defaults: _Defaults, problems: Problems
) -> pd.DataFrame:
    """One row per file row with canonical values (bad cells are problems and left blank)."""
    if frame.empty:
        problems.add("the file has no data rows", fix="check this is the right file or layer")
    rows = pd.DataFrame(index=frame.index)
    for key in _TEXT_KEYS:
        rows[key] = _text(frame[mapped[key]]) if key in mapped else None
    for key in _NUMBER_KEYS:
        rows[key] = (_numbers(frame[mapped[key]], problems, mapped[key], _QUANTITIES[key])
                     if key in mapped
                     else np.nan)
    rows["level"] = _choices(frame, mapped, "level", LEVEL_NAMES, defaults.level, problems)
    rows["season"] = _choices(frame, mapped, "season", SEASON_NAMES, defaults.season, problems)
    rows["scenario"] = rows["scenario"].fillna(defaults.scenario)
    rows["year"] = _years(frame, mapped, defaults.year, problems)
    _require(rows, mapped, "name", problems)
    _require(rows, mapped, "substation_id", problems)
    return rows.rename(columns={"substation_id": "source_id", "parent_id": "parent_source_id"})


def _require(rows: pd.DataFrame, mapped: dict[str, str], key: str, problems: Problems) -> None:
    if key in mapped:
        _report(problems, rows.index[rows[key].isna()], None, mapped[key],
                lambda _: f"the row has no {key}", f"fill in the {key} or delete the row")


def _text(values: pd.Series) -> pd.Series:
    """Cells as text in an object column, ``None`` for blanks."""
    return text_cells(values)


def _numbers(values: pd.Series, problems: Problems, column: str,
             quantity: rules.Quantity = rules.ANY) -> pd.Series:
    """Cells as floats of ``quantity``; blanks give NaN, bad cells are problems (and NaN)."""
    out, bad = rules.parse_column(values, quantity)
    for item in bad[:_MAX_LISTED]:
        problems.add(item.message, row=item.int_label, column=column, fix=item.fix)
    if len(bad) > _MAX_LISTED:
        problems.add(f"... and {len(bad) - _MAX_LISTED} more such cells", column=column,
                     fix=bad[0].fix)
    return out


def _choices(
    frame: pd.DataFrame, mapped: dict[str, str], key: str, names: dict[str, str],
    default: str, problems: Problems,
) -> pd.Series:
    """Level or season cells folded to their canonical spelling; blanks take the default."""
    if key not in mapped:
        return pd.Series(default, index=frame.index, dtype=object)
    text = _text(frame[mapped[key]])
    folded = text.map(lambda v: names.get(normalise_header(v), ""), na_action="ignore")
    allowed = sorted(set(names.values()), key=list(names.values()).index)
    _report(problems, frame.index[folded == ""], text, mapped[key],
            lambda v: f"{v!r} is not a {key}", f"use one of {allowed}")
    return folded.where(folded.notna(), default).astype(object)


def _years(
    frame: pd.DataFrame, mapped: dict[str, str], default: int | None, problems: Problems
) -> pd.Series:
    if "year" not in mapped:
        return pd.Series(pd.array([default] * len(frame), dtype="Int64"), index=frame.index)
    column = mapped["year"]
    values = _numbers(frame[column], problems, column)
    fractional = values.notna() & (values % 1 != 0)
    _report(problems, values.index[fractional], values, column,
            lambda v: f"{v:g} is not a year", "enter a whole year such as 2030")
    values = values.where(~fractional).fillna(np.nan if default is None else default)
    return values.round().astype("Int64")


def _report(
    problems: Problems, rows: Iterable[int], values: pd.Series | None, column: str | None,
    describe: Callable[[object], str], fix: str,
) -> None:
    """Record one problem per bad cell, listing at most ``_MAX_LISTED`` per column."""
    listed = list(dict.fromkeys(rows))  # a wide table repeats each file row once per column
    for row in listed[:_MAX_LISTED]:
        value = None if values is None else values[row]
        if isinstance(value, pd.Series):
            value = value.iloc[0]
        problems.add(describe(value), row=int(row), column=column, fix=fix)
    if len(listed) > _MAX_LISTED:
        problems.add(f"... and {len(listed) - _MAX_LISTED} more such cells", column=column,
                     fix=fix)


# --- locations ------------------------------------------------------------------------------


def _xy(
    frame: pd.DataFrame, mapped: dict[str, str], geometry: gpd.GeoSeries | None,
    crs: str | None, problems: Problems,
) -> tuple[np.ndarray, np.ndarray]:
    """Eastings and northings per row (NaN where unlocated); bad locations are problems."""
    nan = np.full(len(frame), np.nan)
    if geometry is not None:
        x, y = _points(geometry)
        return _checked(frame.index, (x, y), (x, y), "geometry", problems)
    if "x" in mapped and "y" in mapped:
        a, b = (_numbers(frame[mapped[k]], problems, mapped[k]).to_numpy() for k in ("x", "y"))
        given = parse_crs(crs)
        x, y = (a, b) if given is None else pyproj.Transformer.from_crs(
            given, CRS, always_xy=True).transform(a, b)
        hint = np.where(_degrees(a, b), "; the values look like degrees: map them as lon and "
                        "lat", "")
        return _checked(frame.index, (a, b), (x, y), f"{mapped['x']}, {mapped['y']}",
                        problems, hint)
    if "lon" in mapped and "lat" in mapped:
        a, b = (_numbers(frame[mapped[k]], problems, mapped[k]).to_numpy()
                for k in ("lon", "lat"))
        hint = np.where(_degrees(a, b), "", "; the values look like eastings/northings: map "
                        "them as x and y")
        return _checked(frame.index, (a, b), lonlat_to_bng(a, b),
                        f"{mapped['lon']}, {mapped['lat']}", problems, hint)
    if "grid_ref" in mapped:
        return _grid_refs(frame[mapped["grid_ref"]], mapped["grid_ref"], problems)
    return nan, nan.copy()


def _points(geometry: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of points, and of a representative point inside any other shape."""
    shapes = geometry.to_numpy()
    other = (shapely.get_type_id(shapes) > 0) & ~shapely.is_empty(shapes)
    shapes = np.where(other, shapely.point_on_surface(shapes), shapes)
    return shapely.get_x(shapes), shapely.get_y(shapes)


def _grid_refs(
    values: pd.Series, column: str, problems: Problems
) -> tuple[np.ndarray, np.ndarray]:
    x, y, bad = grid_refs_to_xy(values.map(cell_text))
    _report(problems, values.index[bad], values, column,
            lambda v: f"{v!r} is not an OS grid reference",
            "write references like 'SP 51259 05741', or leave the cell blank")
    return x, y


def _degrees(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether coordinate pairs could be longitude and latitude."""
    return (np.abs(a) <= 180) & (np.abs(b) <= 90)


def _checked(
    index: pd.Index, written: tuple[np.ndarray, np.ndarray], bng: tuple[np.ndarray, np.ndarray],
    column: str, problems: Problems, hint: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Record locations outside the British National Grid, showing them as written.

    ``hint`` (per row) is appended to the message, e.g. when x/y columns hold degrees.
    """
    a, b = written
    x, y = np.asarray(bng[0], dtype=float), np.asarray(bng[1], dtype=float)
    inside = inside_gb(x, y)
    outside = np.isfinite(a) & np.isfinite(b) & ~inside
    hints = np.full(len(a), "") if hint is None else hint
    shown = pd.Series([f"({p:g}, {q:g}) is outside the British National Grid (eastings "
                       f"0-700000, northings 0-1300000){h}" for p, q, h in
                       zip(a[outside], b[outside], hints[outside], strict=True)],
                      index=index[outside], dtype=object)
    _report(problems, shown.index, shown, column, str, "check the location columns and crs=")
    return np.where(inside, x, np.nan), np.where(inside, y, np.nan)


# --- substations and headroom ---------------------------------------------------------------


def _location_notes(mapped: dict[str, str], geometry: gpd.GeoSeries | None) -> list[str]:
    if geometry is not None:
        kinds = geometry.geom_type
        other = kinds.notna() & (kinds != "Point") & ~geometry.is_empty
        if other.any():
            return [f"{int(other.sum())} features are {sorted(set(kinds[other]))}, not "
                    "points; each was placed at a representative point inside it"]
    elif not any(k in mapped for k in ("x", "lon", "grid_ref")):
        return ["no location is mapped (x+y, lon+lat or grid_ref): the substations have no "
                "geometry"]
    return []


def _headroom(rows: pd.DataFrame, mapped: dict[str, str], notes: list[str]) -> pd.Series:
    if "headroom_mva" in mapped:
        return rows["headroom_mva"]
    if "firm_capacity_mva" in mapped and "peak_demand_mva" in mapped:
        notes.append("headroom_mva is not mapped: headroom was derived as "
                     "firm_capacity_mva - peak_demand_mva")
        return rows["firm_capacity_mva"] - rows["peak_demand_mva"]
    notes.append("no headroom is mapped (headroom_mva, or firm_capacity_mva and "
                 "peak_demand_mva): the headroom table is empty")
    return pd.Series(np.nan, index=rows.index)


def _group(rows: pd.DataFrame, by_id: bool) -> np.ndarray:
    """Substation number of each row, in order of first appearance."""
    if by_id:
        key = rows["source_id"]
    else:
        key = rows["level"].astype(str) + "\x00" + rows["name"].map(name_key)
    codes, _ = pd.factorize(key)
    return codes


def _check_repeats(rows: pd.DataFrame, codes: np.ndarray, problems: Problems) -> None:
    keys = pd.DataFrame({"code": codes, "scenario": rows["scenario"].to_numpy(),
                         "year": rows["year"].array, "season": rows["season"].to_numpy(),
                         "row": rows.index}, index=rows.index)
    keys = keys[rows["headroom_mva"].notna()]
    first = keys.groupby(["code", "scenario", "year", "season"], dropna=False)["row"]
    first_row = first.transform("first")
    _report(problems, keys.index[keys["row"] != first_row], first_row, None,
            lambda r: f"gives headroom for the same substation, scenario, year and season as "
                      f"row {r}",
            "map the column that tells these rows apart (year, scenario, season, or "
            "substation_id when different substations share a name), or delete the row")


def _tables(rows: pd.DataFrame, codes: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw ``records`` (first row per substation) and long ``headroom`` for finish_grid."""
    first = ~pd.Series(codes).duplicated().to_numpy()
    columns = ["name", "level", "x", "y", "firm_capacity_mva", "peak_demand_mva", "gsp_name",
               "bsp_name", "source_id", "parent_source_id"]
    records = rows.loc[first, columns].reset_index(drop=True)
    headroom = pd.DataFrame({
        "record": codes, "scenario": rows["scenario"].to_numpy(), "year": rows["year"].array,
        "season": rows["season"].to_numpy(), "headroom_mva": rows["headroom_mva"].to_numpy(),
    })
    return records, headroom


def _note_disagreements(rows: pd.DataFrame, codes: np.ndarray, notes: list[str]) -> None:
    counts = rows[list(_IDENTITY)].groupby(codes).nunique(dropna=False)
    differ = counts.gt(1)
    if differ.to_numpy().any():
        keys = {"parent_source_id": "parent_id", "x": "location", "y": "location"}
        which = [keys.get(c, c) for c in counts.columns[differ.any()]]
        names = rows.groupby(codes)["name"].first()[differ.any(axis=1)].head(3).tolist()
        notes.append(f"{int(differ.any(axis=1).sum())} substations have rows that disagree on "
                     f"{sorted(set(which))} (e.g. {names}); the first row's values were used")
