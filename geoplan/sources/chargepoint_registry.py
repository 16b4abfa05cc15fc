"""Existing public chargers from the National Chargepoint Registry (NCR), as a ``chargers`` layer.

The registry (DfT/OZEV, OGL v3) is published as a 158-column CSV, one row per charge device
with up to eight connectors side by side, and republished as GeoJSON with the same property
names (sometimes lower-cased). :func:`read_chargepoints` reads either and returns a
:class:`ChargerRecords`: the canonical :data:`~geoplan.schemas.CHARGERS` layer plus a report
of what was read and what was left out, and why.

Rules
-----
* Columns are found by header text, ignoring case and spaces, so both the CSV header
  (``chargeDeviceID``) and lower-cased GeoJSON properties (``chargedeviceid``) work. A header
  name that appears twice (the published CSV names the second connector's "validated" column
  ``connector3Validated``, like the third's) is read from its first occurrence.
* A CSV record whose field count differs from the header's (a value broken over two lines by
  an unquoted line break, or shifted by an unquoted comma) is left out, with the line it
  starts on; the good rows are kept.
* Locations come from ``latitude``/``longitude`` (CSV) or the point geometry (vector files),
  and must lie within :data:`~geoplan.sources.base.GB_LON_RANGE` and
  :data:`~geoplan.sources.base.GB_LAT_RANGE`; they are projected to EPSG:27700.
* A device id seen again is left out (the first row is kept).
* ``kw`` is the highest rated output over the device's connectors (NaN when none is given);
  ``connectors`` counts the connectors with an id, a type or a rating.
* ``date_created`` is a datetime; ``0000-00-00`` and other impossible dates become NaT.
* ``operator`` is ``deviceOwnerName``, else ``deviceControllerName`` (the registry's
  ``*No Owner`` and ``*No Controller`` count as none).

Each left-out row is listed in :attr:`ChargerRecords.rejected` as ``(line, reason)``: for a CSV
the line of the file where the record starts (header = line 1), for a vector file the
1-based feature number. Reasons start with one of :data:`REASONS` followed by ``": "`` and
details.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import SourceFormatError
from geoplan.schemas import CHARGERS, CRS, validate_layer
from geoplan.sources.base import GB_LAT_RANGE, GB_LON_RANGE, lonlat_to_bng
from geoplan.sources.cells import (
    decode_text,
    is_blank,
    normalise_header,
    parse_numbers,
    refuse_other_delimiter,
    text_cells,
)
from geoplan.sources.numbers import CHARGER_KW, parse_column
from geoplan.sources.sniff import check_file
from geoplan.sources.vector import read_vector, to_bng

__all__ = ["EXTRA_COLUMNS", "NCR_COLUMNS", "REASONS", "ChargerRecords", "read_chargepoints"]

logger = logging.getLogger(__name__)

_DEVICE_COLUMNS = (
    "chargeDeviceID", "reference", "name", "latitude", "longitude", "subBuildingName",
    "buildingName", "buildingNumber", "thoroughfare", "street", "doubleDependantLocality",
    "dependantLocality", "town", "county", "postcode", "countryCode", "uprn",
    "deviceDescription", "locationShortDescription", "locationLongDescription",
    "deviceManufacturer", "deviceModel", "deviceOwnerName", "deviceOwnerWebsite",
    "deviceOwnerTelephoneNo", "deviceOwnerContactName", "deviceControllerName",
    "deviceControllerWebsite", "deviceControllerTelephoneNo", "deviceControllerContactName",
    "deviceNetworks", "chargeDeviceStatus", "publishStatus", "deviceValidated", "dateCreated",
    "dateUpdated", "moderated", "lastUpdated", "lastUpdatedBy", "attribution", "dateDeleted",
    "paymentRequired", "paymentRequiredDetails", "subscriptionRequired",
    "subscriptionRequiredDetails", "parkingFeesFlag", "parkingFeesDetails", "parkingFeesUrl",
    "accessRestrictionFlag", "accessRestrictionDetails", "physicalRestrictionFlag",
    "physicalRestrictionText", "onStreetFlag", "locationType", "bearing", "access24Hours",
    "accessMondayFrom", "accessMondayTo", "accessTuesdayFrom", "accessTuesdayTo",
    "accessWednesdayFrom", "accessWednesdayTo", "accessThursdayFrom", "accessThursdayTo",
    "accessFridayFrom", "accessFridayTo", "accessSaturdayFrom", "accessSaturdayTo",
    "accessSundayFrom", "accessSundayTo",
)
_CONNECTOR_FIELDS = ("ID", "Type", "RatedOutputKW", "OutputCurrent", "RatedVoltage",
                     "ChargeMethod", "ChargeMode", "TetheredCable", "Status", "Description",
                     "Validated")
_CONNECTORS = 8


def _connector_columns() -> tuple[str, ...]:
    names: list[str] = []
    for number in range(1, _CONNECTORS + 1):
        fields = [f"connector{number}{name}" for name in _CONNECTOR_FIELDS]
        if number == 2:
            fields[-1] = "connector3Validated"  # as published: the registry's duplicated name
        names.extend(fields)
    return tuple(names)


NCR_COLUMNS: tuple[str, ...] = _DEVICE_COLUMNS + _connector_columns()
"""The 158 header names of the registry CSV in file order, including the duplicated
``connector3Validated`` (position 92 holds the second connector's flag)."""

EXTRA_COLUMNS = ("reference", "name", "operator", "town", "postcode", "status", "date_created",
                 "connector_types", "source_row")
"""Columns after the canonical ones, in order."""

REASONS = ("wrong number of fields", "no device id", "no location", "location is not a number",
           "location outside Great Britain", "no geometry", "not a point",
           "duplicate device id")
"""Why a row can be left out (the start of each reason in :attr:`ChargerRecords.rejected`)."""

_ROLES = {
    "device_id": "chargeDeviceID", "latitude": "latitude", "longitude": "longitude",
    "reference": "reference", "name": "name", "town": "town", "postcode": "postcode",
    "status": "chargeDeviceStatus", "date_created": "dateCreated",
    "operator": "deviceOwnerName", "controller": "deviceControllerName",
}
_VECTOR_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet",
                              ".geoparquet"})


@dataclass(frozen=True)
class ChargerRecords:
    """Chargers read from one registry file, with what was left out.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        The :data:`~geoplan.schemas.CHARGERS` layer (EPSG:27700), then :data:`EXTRA_COLUMNS`,
        in file order.
    source : pathlib.Path
        The file read.
    rows_read : int
        Data rows (CSV records, or features) found, blank lines excluded.
    rejected : tuple of (int, str)
        ``(line, reason)`` of every row left out, in file order (see the module docstring).
    notes : tuple of str
        Other things repaired or worth knowing (duplicated header names, unreadable values).
    """

    frame: gpd.GeoDataFrame
    source: Path
    rows_read: int
    rejected: tuple[tuple[int, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def rows_kept(self) -> int:
        """Number of chargers in :attr:`frame`."""
        return len(self.frame)

    def rejected_by_reason(self) -> dict[str, list[int]]:
        """Lines of the rows left out, grouped by reason (the part before ``": "``)."""
        grouped: dict[str, list[int]] = {}
        for line, reason in self.rejected:
            grouped.setdefault(reason.split(": ", 1)[0], []).append(line)
        return grouped

    def describe(self) -> dict[str, object]:
        """Summarise the read: file, rows read, kept, left out by reason, notes."""
        return {
            "source": self.source.name,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rejected": {reason: len(lines) for reason, lines in
                         self.rejected_by_reason().items()},
            "notes": list(self.notes),
        }


def read_chargepoints(path: str | Path, *, layer: str | None = None,
                      crs: str | None = None) -> ChargerRecords:
    """Read registry chargers from the NCR CSV or from a vector file (GeoJSON, GeoPackage...).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` in the registry layout (see :data:`NCR_COLUMNS`), or a vector file of
        points whose attributes use the registry's names.
    layer : str, optional
        Layer to read from a multi-layer vector file.
    crs : str, optional
        CRS of a vector file that declares none (never overrides a declared one).

    Returns
    -------
    ChargerRecords

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If the CSV is not comma-separated, lacks the device id or location columns, the
        vector file has no geometry, or no row at all is usable.
    MissingCRSError
        If a vector file has no CRS and ``crs`` is not given.
    """
    path = check_file(path, "a chargepoint registry CSV or GeoJSON")
    if path.suffix.lower() in _VECTOR_SUFFIXES:
        return _read_vector(path, layer, crs)
    return _read_csv(path)


# --- CSV ------------------------------------------------------------------------------------

def _read_csv(path: Path) -> ChargerRecords:
    header, records, read, rejected = _csv_records(path)
    notes = _duplicated_names(header)
    table = pd.DataFrame([row for _, row in records], columns=_unique(header), dtype=object)
    lines = np.array([line for line, _ in records], dtype=int)
    columns = _resolve(list(table.columns), path, header)
    lat, lat_bad = parse_numbers(table[columns["latitude"]])
    lon, lon_bad = parse_numbers(table[columns["longitude"]])
    text_bad = {label for label, _ in lat_bad} | {label for label, _ in lon_bad}
    return _finish(path, table, columns, lines, (lon.to_numpy(), lat.to_numpy(), None),
                   text_bad, (read, rejected, notes))


def _csv_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], int,
                                      list[tuple[int, str]]]:
    """Header, well-formed records with their start lines, rows read, and misshapen rows."""
    text = decode_text(path)
    skipped = int(text.split("\n", 1)[0].strip().casefold() == "sep=,")
    if skipped:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    header_line = reader.line_num + skipped
    _check_delimiter(path, header)
    records: list[tuple[int, list[str]]] = []
    rejected: list[tuple[int, str]] = []
    read, start = 0, header_line + 1
    for row in reader:
        line, start = start, reader.line_num + skipped + 1
        if not row or all(not cell.strip() for cell in row):
            continue
        read += 1
        if len(row) != len(header):
            rejected.append((line, f"{REASONS[0]}: {len(row)} fields, expected {len(header)} "
                                   "(a value broken over lines or shifted by an unquoted "
                                   "comma)"))
        else:
            records.append((line, row))
    return header, records, read, rejected


def _check_delimiter(path: Path, header: list[str]) -> None:
    if len(header) > 1:
        return
    text = header[0] if header else ""
    fix = "save the file as comma-separated CSV, as the registry publishes it"
    refuse_other_delimiter(path, text, fix)
    raise SourceFormatError(f"{path.name}: line 1: the header is one field ({text[:60]!r}); "
                            f"it has a single column (fix: {fix})")


def _duplicated_names(header: Sequence[str]) -> list[str]:
    counts = Counter(normalise_header(h) for h in header)
    notes = []
    for name, count in counts.items():
        if count > 1:
            places = [i + 1 for i, h in enumerate(header) if normalise_header(h) == name]
            shown = header[places[0] - 1].strip()
            notes.append(f"header name {shown!r} appears {count} times (columns {places}); "
                         "the first is used")
    return notes


def _unique(header: Sequence[str]) -> list[str]:
    seen: Counter[str] = Counter()
    names = []
    for name in header:
        names.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    return names


# --- vector ---------------------------------------------------------------------------------

def _read_vector(path: Path, layer: str | None, crs: str | None) -> ChargerRecords:
    raw = read_vector(path, layer)
    if not isinstance(raw, gpd.GeoDataFrame) or raw.active_geometry_name is None:
        raise SourceFormatError(f"{path.name}: has no geometry column (fix: give point "
                                "features, or the registry CSV with latitude/longitude)")
    frame = to_bng(raw, path, crs)
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if len(frame) and missing.all():
        raise SourceFormatError(f"{path.name}: none of the {len(frame)} features has a "
                                "geometry (fix: give point features, or the registry CSV with "
                                "latitude/longitude columns)")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    table.columns = [str(c) for c in table.columns]
    columns = _resolve(list(table.columns), path, list(table.columns), location=False)
    lines = np.arange(1, len(frame) + 1)
    lon, lat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    points = ~missing & (shapely.get_type_id(geoms) == 0)
    xy = np.full((len(frame), 2), np.nan)
    if points.any():
        wgs = gpd.GeoSeries(geoms[points], crs=CRS).to_crs("EPSG:4326")
        lon[points], lat[points] = wgs.x.to_numpy(), wgs.y.to_numpy()
        xy[points] = shapely.get_coordinates(geoms[points])
    early = [(int(n), f"{REASONS[5]}: the feature has no geometry")
             for n in lines[missing]]
    other = ~missing & ~points
    early += [(int(n), f"{REASONS[6]}: the geometry is a {g.geom_type}, expected a Point")
              for n, g in zip(lines[other], geoms[other], strict=True)]
    keep = ~missing & points
    return _finish(path, table[keep].reset_index(drop=True), columns, lines[keep],
                   (lon[keep], lat[keep], xy[keep]), set(), (len(frame), early, []))


# --- shared ---------------------------------------------------------------------------------

def _resolve(columns: list[str], path: Path, header: Sequence[str], *,
             location: bool = True) -> dict[str, str]:
    """Map roles (device id, location, connector fields...) to column names, by header text."""
    index: dict[str, str] = {}
    for column in columns:
        index.setdefault(normalise_header(column), column)
    wanted = dict(_ROLES)
    for number in range(1, _CONNECTORS + 1):
        for name in ("ID", "Type", "RatedOutputKW"):
            wanted[f"c{number}_{name}"] = f"connector{number}{name}"
    found = {role: index[normalise_header(name)] for role, name in wanted.items()
             if normalise_header(name) in index}
    needed = ["device_id", *(["latitude", "longitude"] if location else [])]
    missing = [_ROLES[role] for role in needed if role not in found]
    if missing:
        shown = [str(h).strip() for h in header][:20]
        raise SourceFormatError(
            f"{path.name}: line 1: column(s) {missing} not found; the header starts {shown} "
            f"(fix: give the registry file with its published header, e.g. "
            f"{list(NCR_COLUMNS[:5])})"
        )
    return found


def _finish(path: Path, table: pd.DataFrame, columns: dict[str, str], lines: np.ndarray,
            where: tuple[np.ndarray, np.ndarray, np.ndarray | None], text_bad: set[object],
            so_far: tuple[int, list[tuple[int, str]], list[str]]) -> ChargerRecords:
    """Check ids and locations, drop repeats, and build the canonical layer.

    ``where`` is (longitude, latitude, EPSG:27700 coordinates or None to project them);
    ``so_far`` is (rows read, rows already left out, notes).
    """
    lon, lat, xy = where
    read, early, notes = so_far
    ids = text_cells(table[columns["device_id"]]).to_numpy(dtype=object)
    reasons = _row_reasons(table, columns, ids, lon, lat, text_bad)
    rejected = list(early) + [(int(lines[i]), r) for i, r in enumerate(reasons) if r]
    good = np.array([r is None for r in reasons], dtype=bool)
    first_line: dict[str, int] = {}
    for i in np.flatnonzero(good):
        if ids[i] in first_line:
            good[i] = False
            rejected.append((int(lines[i]), f"{REASONS[7]}: {ids[i]!r} (first on line "
                                            f"{first_line[ids[i]]})"))
        else:
            first_line[ids[i]] = int(lines[i])
    rejected.sort(key=lambda item: item[0])
    if read and not good.any():
        shown = "; ".join(f"line {line}: {reason}" for line, reason in rejected[:5])
        raise SourceFormatError(f"{path.name}: no usable rows among {read} ({shown}) (fix: "
                                "check the file is the registry export, comma-separated)")
    if xy is None:
        xy = np.column_stack(lonlat_to_bng(lon, lat))
    frame = _layer(table[good].reset_index(drop=True), columns, lines[good], xy[good], notes)
    validate_layer(frame, CHARGERS, path.name)
    records = ChargerRecords(frame, path, read, tuple(rejected), tuple(notes))
    if rejected or notes:
        logger.warning("%s: kept %d of %d rows; left out %s; %s", path.name, len(frame), read,
                       records.describe()["rejected"], "; ".join(notes) or "no notes")
    return records


def _row_reasons(table: pd.DataFrame, columns: dict[str, str], ids: np.ndarray,
                 lon: np.ndarray, lat: np.ndarray, text_bad: set[object]) -> list[str | None]:
    """First reason to leave out each row (None: keep), in the order of :data:`REASONS`."""
    reasons: list[str | None] = []
    lat_text = table[columns["latitude"]] if "latitude" in columns else None
    lon_text = table[columns["longitude"]] if "longitude" in columns else None
    for i, device in enumerate(ids):
        where = (f"latitude {_shown(lat_text, i, lat[i])}, longitude "
                 f"{_shown(lon_text, i, lon[i])}")
        if device is None:
            reasons.append(f"{REASONS[1]}: the {_ROLES['device_id']} cell is blank")
        elif table.index[i] in text_bad:
            reasons.append(f"{REASONS[3]}: {where}")
        elif np.isnan(lon[i]) or np.isnan(lat[i]):
            reasons.append(f"{REASONS[2]}: {where}")
        elif not (GB_LON_RANGE[0] <= lon[i] <= GB_LON_RANGE[1]
                  and GB_LAT_RANGE[0] <= lat[i] <= GB_LAT_RANGE[1]):
            reasons.append(f"{REASONS[4]}: {where} (allowed longitude {GB_LON_RANGE}, "
                           f"latitude {GB_LAT_RANGE}; check they are not swapped)")
        else:
            reasons.append(None)
    return reasons


def _shown(cells: pd.Series | None, i: int, value: float) -> str:
    if cells is None:
        return f"{value:g}"
    cell = cells.iloc[i]
    return repr(cell) if isinstance(cell, str) else f"{value:g}"


def _layer(table: pd.DataFrame, columns: dict[str, str], lines: np.ndarray, xy: np.ndarray,
           notes: list[str]) -> gpd.GeoDataFrame:
    kw, count, types = _connectors(table, columns, lines, notes)
    data = {
        "device_id": text_cells(table[columns["device_id"]]).astype(str),
        "kw": kw,
        "connectors": pd.array(count, dtype="Int64"),
    }
    for role in ("reference", "name", "operator", "town", "postcode", "status", "controller"):
        data[role] = (text_cells(table[columns[role]]) if role in columns
                      else pd.Series(None, index=table.index, dtype=object))
    # the operator is the device's owner, else its controller (the network that runs it);
    # the registry writes "*No Owner" / "*No Controller" for none
    owner, controller = (_no_placeholder(data.pop(role)) for role in ("operator", "controller"))
    data["operator"] = owner.where(owner.notna(), controller)
    data["date_created"] = _dates(table, columns, lines, notes)
    data["connector_types"] = types
    data["source_row"] = pd.array(lines, dtype="Int64")
    frame = pd.DataFrame(data, index=table.index)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)[
        [*CHARGERS.columns, *EXTRA_COLUMNS]]


def _no_placeholder(values: pd.Series) -> pd.Series:
    """``None`` for the registry's "*No Owner"-style placeholders."""
    placeholder = values.map(lambda v: isinstance(v, str) and v.startswith("*No "))
    return values.where(~placeholder.astype(bool), None)


def _connectors(table: pd.DataFrame, columns: dict[str, str], lines: np.ndarray,
                notes: list[str]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Highest rating, connector count and distinct connector types of each device."""
    n = len(table)
    ratings = np.full((n, _CONNECTORS), np.nan)
    present = np.zeros((n, _CONNECTORS), dtype=bool)
    kinds = np.full((n, _CONNECTORS), None, dtype=object)
    bad_lines: list[int] = []
    for k in range(_CONNECTORS):
        for name in ("ID", "Type", "RatedOutputKW"):
            column = columns.get(f"c{k + 1}_{name}")
            if column is not None:
                present[:, k] |= ~table[column].map(is_blank).to_numpy(dtype=bool)
        rating = columns.get(f"c{k + 1}_RatedOutputKW")
        if rating is not None:
            values, bad = parse_column(table[rating], CHARGER_KW)
            ratings[:, k] = values.to_numpy()
            bad_lines += [int(lines[table.index.get_loc(item.label)]) for item in bad]
        kind = columns.get(f"c{k + 1}_Type")
        if kind is not None:
            kinds[:, k] = text_cells(table[kind]).to_numpy(dtype=object)
    if bad_lines:
        notes.append(f"{len(bad_lines)} connector ratings are not plausible numbers of kW "
                     f"({CHARGER_KW.range_text()}) and were ignored "
                     f"(lines {sorted(set(bad_lines))[:10]})")
    best = np.where(np.isnan(ratings), -np.inf, ratings).max(axis=1, initial=-np.inf)
    kw = np.where(np.isinf(best), np.nan, best)
    types = ["; ".join(dict.fromkeys(t for t in row if t)) or None for row in kinds]
    return kw.astype(float), present.sum(axis=1), types


def _dates(table: pd.DataFrame, columns: dict[str, str], lines: np.ndarray,
           notes: list[str]) -> pd.Series:
    if "date_created" not in columns:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[us]")
    text = text_cells(table[columns["date_created"]])
    dates = pd.to_datetime(text, errors="coerce", format="ISO8601")
    odd = dates.isna() & text.notna() & ~text.fillna("").str.startswith("0000-00-00")
    if odd.any():
        notes.append(f"{int(odd.sum())} {columns['date_created']} values are not dates and "
                     f"were left empty (lines {[int(v) for v in lines[odd.to_numpy()][:10]]})")
    return dates.astype("datetime64[us]")
