"""Domestic Energy Performance Certificates (England and Wales bulk data), one row per home.

The legacy bulk download (upper-case header, ``LMK_KEY``) and the 2025+ register download
(lower-case header with ``certificate_number`` and ``report_type``) are told apart by their
header: the latter's renamed columns are mapped by :data:`REGISTER_NAMES`.

The bulk download from the EPC register has one folder per local authority, e.g.
``domestic-E07000177-Cherwell/certificates.csv``, holding every certificate lodged there with
the 93 columns of :data:`CERTIFICATE_COLUMNS`. :func:`read_epc_certificates` reads one such
file, a folder (searched recursively for ``certificates.csv``) or a list of either, and returns
one row per home with its latest certificate.

Reading is vectorised: :mod:`pyarrow.csv` reads every needed column as text (UTF-8, else
Windows-1252, else Latin-1), then each column is normalised with pandas string methods; no
Python code runs per row. Files are read and normalised one at a time (only one file's text
is held; freed Arrow memory is handed back), and choosing the latest certificate sorts the key
columns only, taking the kept rows once, so memory stays near the size of the result.

Normalisation rules (every output column is listed in :data:`EPC_COLUMNS`):

* **Missing values.** Empty cells and the markers in :data:`SENTINELS` (``NO DATA!``,
  ``INVALID!``, ``not defined``, ...) become missing; :attr:`EpcRecords.sentinels` counts the
  markers per source column, :attr:`EpcRecords.invalid` the cells that were neither blank nor
  readable (text in a number column, a floor area of zero).
* **Numbers** are read by the rules every reader follows (:mod:`geoplan.sources.numbers`):
  floats for integers (``"2.0"``) are fine; thousands separators only where the column uses
  them consistently; a decimal comma, dots grouping thousands (``"5.510.171"``) or another
  unit, or a value that is not finite make a cell unreadable: it is left empty and counted in
  :attr:`EpcRecords.invalid`.
* **Implausible certificates are dropped**: a readable value (other than a floor area of 0,
  which the register writes for "not recorded": it is left empty and counted as unreadable)
  outside its plausible range
  (:data:`RANGES`: SAP ratings 1-150, floor area 5-5,000 m², ...) or an energy rating other
  than A-G drops the whole certificate (its other values are not
  trusted either), counted per column in :attr:`EpcRecords.implausible`; an older certificate
  of the same home, if any, is then the latest.
* **Bands** ``epc_band``/``potential_band``: A-G; blank and "no value" markers are missing.
* **Age band**: the ``"England and Wales: "`` prefix is dropped and the band's first year (a
  bare year such as ``"2015"`` is its own first year; ``"before 1900"`` counts as 1899) is placed
  in one of :data:`AGE_BANDS`; RdSAP 10's ``"2012-2021"`` and ``"2022 onwards"`` both become
  ``"2012 onwards"``.
* **Tenure**: one of :data:`TENURES`, from the words owner / rent + private / rent + social.
* **Main fuel**: one of :data:`FUELS` (see :func:`fuel_from_text`); ``heating_system`` is
  ``"heat pump"`` when the main heating description names one, else the main fuel.
  ``storage_heaters`` is True when the main heating description names electric storage
  heating (``storage heater``, ``electric storage``, ``Electricaire``: charged off-peak), False
  for any other description, missing without one.
* **Walls**: ``wall_type`` one of :data:`WALL_TYPES`; ``wall_insulated`` True for filled
  cavities and insulated walls, False for "no insulation" or "partial insulation", missing when
  the description does not say (e.g. "Average thermal transmittance 0.28 W/m²K").
* **Roof**: ``roof_insulation_mm`` from "Pitched, 100 mm loft insulation" (``400+ mm`` reads as
  400), 0 for "no insulation", missing otherwise.
* **Glazing**: one of :data:`GLAZING` from the windows description (partial double glazing
  counts as double; ``multi_glaze_pct`` keeps the share).
* **Several certificates per home**: the UPRN of a certificate without one is taken from
  another certificate with the same building reference number; then the latest
  ``LODGEMENT_DATETIME`` (else ``LODGEMENT_DATE``) is kept per UPRN, else per building
  reference number, else per certificate (ties: the largest ``LMK_KEY``).
  ``building_id`` is ``"uprn:<UPRN>"``, ``"brn:<BUILDING_REFERENCE_NUMBER>"`` or
  ``"lmk:<LMK_KEY>"``; ``certificates`` counts the certificates found for the home. A latest
  certificate without a postcode takes the postcode of the latest earlier certificate of the
  home that has one.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geoplan.distinct import each_distinct
from geoplan.errors import GeoplanError, Problems, SourceFormatError, SourceNotFoundError
from geoplan.forked import on_two_threads, start
from geoplan.schemas import TENURES
from geoplan.sources.cells import arrow_text_columns, refuse_other_delimiter
from geoplan.sources.epc_numbers import RANGES, band, number
from geoplan.sources.geocode import read_uprn_coordinates
from geoplan.sources.sniff import sniff_text, with_full_path

__all__ = [
    "AGE_BANDS",
    "CERTIFICATE_COLUMNS",
    "EPC_COLUMNS",
    "FUELS",
    "GLAZING",
    "RANGES",
    "REGISTER_NAMES",
    "SENTINELS",
    "TENURES",
    "WALL_TYPES",
    "EpcRecords",
    "certificate_files",
    "fuel_from_text",
    "read_epc_certificates",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

CERTIFICATE_COLUMNS: tuple[str, ...] = (
    "LMK_KEY", "ADDRESS1", "ADDRESS2", "ADDRESS3", "POSTCODE", "BUILDING_REFERENCE_NUMBER",
    "CURRENT_ENERGY_RATING", "POTENTIAL_ENERGY_RATING", "CURRENT_ENERGY_EFFICIENCY",
    "POTENTIAL_ENERGY_EFFICIENCY", "PROPERTY_TYPE", "BUILT_FORM", "INSPECTION_DATE",
    "LOCAL_AUTHORITY", "CONSTITUENCY", "COUNTY", "LODGEMENT_DATE", "TRANSACTION_TYPE",
    "ENVIRONMENT_IMPACT_CURRENT", "ENVIRONMENT_IMPACT_POTENTIAL", "ENERGY_CONSUMPTION_CURRENT",
    "ENERGY_CONSUMPTION_POTENTIAL", "CO2_EMISSIONS_CURRENT", "CO2_EMISS_CURR_PER_FLOOR_AREA",
    "CO2_EMISSIONS_POTENTIAL", "LIGHTING_COST_CURRENT", "LIGHTING_COST_POTENTIAL",
    "HEATING_COST_CURRENT", "HEATING_COST_POTENTIAL", "HOT_WATER_COST_CURRENT",
    "HOT_WATER_COST_POTENTIAL", "TOTAL_FLOOR_AREA", "ENERGY_TARIFF", "MAINS_GAS_FLAG",
    "FLOOR_LEVEL", "FLAT_TOP_STOREY", "FLAT_STOREY_COUNT", "MAIN_HEATING_CONTROLS",
    "MULTI_GLAZE_PROPORTION", "GLAZED_TYPE", "GLAZED_AREA", "EXTENSION_COUNT",
    "NUMBER_HABITABLE_ROOMS", "NUMBER_HEATED_ROOMS", "LOW_ENERGY_LIGHTING",
    "NUMBER_OPEN_FIREPLACES", "HOTWATER_DESCRIPTION", "HOT_WATER_ENERGY_EFF",
    "HOT_WATER_ENV_EFF", "FLOOR_DESCRIPTION", "FLOOR_ENERGY_EFF", "FLOOR_ENV_EFF",
    "WINDOWS_DESCRIPTION", "WINDOWS_ENERGY_EFF", "WINDOWS_ENV_EFF", "WALLS_DESCRIPTION",
    "WALLS_ENERGY_EFF", "WALLS_ENV_EFF", "SECONDHEAT_DESCRIPTION", "SHEATING_ENERGY_EFF",
    "SHEATING_ENV_EFF", "ROOF_DESCRIPTION", "ROOF_ENERGY_EFF", "ROOF_ENV_EFF",
    "MAINHEAT_DESCRIPTION", "MAINHEAT_ENERGY_EFF", "MAINHEAT_ENV_EFF",
    "MAINHEATCONT_DESCRIPTION", "MAINHEATC_ENERGY_EFF", "MAINHEATC_ENV_EFF",
    "LIGHTING_DESCRIPTION", "LIGHTING_ENERGY_EFF", "LIGHTING_ENV_EFF", "MAIN_FUEL",
    "WIND_TURBINE_COUNT", "HEAT_LOSS_CORRIDOR", "UNHEATED_CORRIDOR_LENGTH", "FLOOR_HEIGHT",
    "PHOTO_SUPPLY", "SOLAR_WATER_HEATING_FLAG", "MECHANICAL_VENTILATION", "ADDRESS",
    "LOCAL_AUTHORITY_LABEL", "CONSTITUENCY_LABEL", "POSTTOWN", "CONSTRUCTION_AGE_BAND",
    "LODGEMENT_DATETIME", "TENURE", "FIXED_LIGHTING_OUTLETS_COUNT",
    "LOW_ENERGY_FIXED_LIGHT_COUNT", "UPRN", "UPRN_SOURCE", "REPORT_TYPE",
)
"""The 93 columns of a domestic ``certificates.csv``, in file order (releases before 2021 stop
before ``UPRN``; ``REPORT_TYPE``, the last, is absent from some releases). Only the columns the
reader needs must be present."""

_REQUIRED = (
    "LMK_KEY", "POSTCODE", "BUILDING_REFERENCE_NUMBER", "CURRENT_ENERGY_RATING",
    "POTENTIAL_ENERGY_RATING", "CURRENT_ENERGY_EFFICIENCY", "POTENTIAL_ENERGY_EFFICIENCY",
    "PROPERTY_TYPE", "BUILT_FORM", "LOCAL_AUTHORITY", "LODGEMENT_DATE",
    "ENERGY_CONSUMPTION_CURRENT", "CO2_EMISSIONS_CURRENT", "TOTAL_FLOOR_AREA", "MAINS_GAS_FLAG",
    "LOW_ENERGY_LIGHTING", "WINDOWS_DESCRIPTION", "WALLS_DESCRIPTION", "ROOF_DESCRIPTION",
    "MAINHEAT_DESCRIPTION", "MAIN_FUEL", "CONSTRUCTION_AGE_BAND", "TENURE",
)
REGISTER_NAMES = {
    "CERTIFICATE_NUMBER": "LMK_KEY",
    "CURRENT_ENERGY_EFFICIENCY_BAND": "CURRENT_ENERGY_RATING",
    "POTENTIAL_ENERGY_EFFICIENCY_BAND": "POTENTIAL_ENERGY_RATING",
    "CURRENT_ENERGY_EFFICIENCY_RATING": "CURRENT_ENERGY_EFFICIENCY",
    "POTENTIAL_ENERGY_EFFICIENCY_RATING": "POTENTIAL_ENERGY_EFFICIENCY",
    "REGISTRATION_DATE": "LODGEMENT_DATE",
    "REGISTRATION_DATETIME": "LODGEMENT_DATETIME",
}
"""Columns of the 2025+ register download (lower-case header with ``certificate_number`` and
``report_type``) that the bulk ``certificates.csv`` names otherwise; its other columns carry
the bulk names in lower case. A header with ``certificate_number`` and no ``LMK_KEY`` is read
as the register layout and renamed by this table (a bulk column already present wins)."""

# Older bulk releases have no UPRN or LODGEMENT_DATETIME; these are read when present.
_OPTIONAL = ("ADDRESS", "MULTI_GLAZE_PROPORTION", "PHOTO_SUPPLY", "LODGEMENT_DATETIME", "UPRN")

SENTINELS = frozenset({"no data!", "no data", "invalid", "invalid!", "not defined",
                       "not recorded", "n/a"})
"""Cell texts (compared stripped and lower-cased) that the register writes for "no value"."""

AGE_BANDS = ("before 1900", "1900-1929", "1930-1949", "1950-1966", "1967-1975", "1976-1982",
             "1983-1990", "1991-1995", "1996-2002", "2003-2006", "2007-2011", "2012 onwards")
"""Construction age bands (RdSAP England and Wales bands A-L), oldest first."""
_AGE_STARTS = np.array([1900, 1930, 1950, 1967, 1976, 1983, 1991, 1996, 2003, 2007, 2012])

FUELS = ("mains gas", "electricity", "oil", "LPG", "solid fuel", "biomass", "district heating",
         "other", "unknown")
"""Normalised main heating fuels."""

WALL_TYPES = ("cavity", "solid", "timber frame", "system built", "other", "unknown")
"""Normalised wall constructions (``other``: described but none of these; ``unknown``: blank)."""

GLAZING = ("single", "double", "triple", "secondary", "unknown")
"""Normalised glazing types."""

EPC_COLUMNS = (
    "building_id", "uprn", "epc_band", "sap_score", "property_type", "built_form", "age_band",
    "floor_area_m2", "main_fuel", "co2_t", "tenure", "wall_type", "wall_insulated",
    "roof_insulation_mm", "glazing", "mains_gas", "potential_band", "potential_sap",
    "lodgement_date", "postcode", "heating_system", "storage_heaters",
    "energy_consumption_kwh_m2", "low_energy_lighting_pct", "multi_glaze_pct",
    "photo_supply_pct", "address", "local_authority", "lmk_key", "source_file", "certificates",
)
"""Columns of :attr:`EpcRecords.frame`, in order."""

# (label, regex on the lower-cased text); the first match wins.
_FUEL_RULES = (
    ("district heating", r"community|district|heat network"),
    ("LPG", r"lpg|bottled gas|propane|butane"),
    ("solid fuel", r"coal|anthracite|smokeless|dual fuel|peat|coke"),
    ("biomass", r"wood|biomass|pellet|chips|logs|straw|biogas"),
    ("mains gas", r"gas"),
    ("electricity", r"electric"),
    ("oil", r"\boil\b|b30k|biodiesel|bioethanol|bio-liquid"),
)
_STORAGE = r"storage heater|electric storage|electricaire"
"""Main heating descriptions of electric storage heating (charged overnight, off-peak)."""
_WALL_RULES = (
    ("cavity", r"cavity"),
    ("timber frame", r"timber"),
    ("system built", r"system[ -]built"),
    ("solid", r"solid|stone|granite|whinstone|cob\b|brick"),
)
_GLAZING_RULES = (
    ("triple", r"triple"),
    ("secondary", r"secondary"),
    ("double", r"double|multiple|high performance"),
    ("single", r"single"),
)


@dataclass(frozen=True)
class EpcRecords:
    """Homes read from EPC certificate files, with what reading them found.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per home (latest certificate), columns :data:`EPC_COLUMNS`, sorted by
        ``building_id``.
    files : tuple of str
        The files read, in reading order.
    rows_read : int
        Certificates read from all files.
    duplicates_dropped : int
        Older certificates of the same home that were dropped.
    sentinels : Mapping[str, int]
        Source column -> cells holding a "no value" marker (:data:`SENTINELS`).
    invalid : Mapping[str, int]
        Source column -> cells that were neither blank nor readable (left empty).
    encodings : Mapping[str, str]
        File -> text encoding it was read with.
    implausible : Mapping[str, int]
        Source column -> certificates dropped because that column's value was implausible
        (outside :data:`RANGES`, or a rating other than A-G).
    uprn_coordinates : pandas.DataFrame, optional
        The coordinates of the homes' UPRNs, when :func:`read_epc_certificates` was given an
        OS Open UPRN file (the table :func:`~geoplan.sources.geocode.read_uprn_coordinates`
        returns).
    """

    frame: pd.DataFrame
    files: tuple[str, ...]
    rows_read: int
    duplicates_dropped: int
    sentinels: Mapping[str, int]
    invalid: Mapping[str, int]
    encodings: Mapping[str, str]
    implausible: Mapping[str, int] = field(default_factory=dict)
    uprn_coordinates: pd.DataFrame | None = None


def read_epc_certificates(source: PathLike | Sequence[PathLike], *,
                          uprn_coordinates: PathLike | None = None) -> EpcRecords:
    """Read domestic EPC ``certificates.csv`` files into one row per home.

    Parameters
    ----------
    source : path, directory, or list of them
        A ``certificates.csv`` (any name), a folder searched recursively for files named
        ``certificates.csv``, or a list of files and folders.
    uprn_coordinates : path, optional
        An OS Open UPRN file: the coordinates of the homes' UPRNs are read from it too
        (:func:`~geoplan.sources.geocode.read_uprn_coordinates`), in a forked child while the
        certificates are deduplicated (the homes' UPRNs are the certificates' UPRNs).

    Returns
    -------
    EpcRecords
        The homes and the reading counts (see the module docstring for the rules).

    Raises
    ------
    SourceNotFoundError
        If a path does not exist or a folder holds no ``certificates.csv``.
    SourceFormatError
        If a file is empty, not comma-separated, misses required columns, is cut short or has
        rows with the wrong number of values (the message names every bad line); or as
        :func:`~geoplan.sources.geocode.read_uprn_coordinates` raises for ``uprn_coordinates``.
    """
    files = certificate_files(source)
    labels = [_label(p) for p in files]
    half = _halfway(files)
    rest = partial(_read_each, files[half:], labels[half:])
    with start(rest, fork=half < len(files)) as later:  # read in a forked child meanwhile
        reads = _read_each(files[:half], labels[:half]) + later.result()
    parts, encodings = [], {}
    sentinels: dict[str, int] = {}
    invalid: dict[str, int] = {}
    counts: dict[str, int] = {}
    rows = dropped = 0
    for label, read in zip(labels, reads, strict=True):  # row labels count across files
        read.part.index = read.part.index + rows
        parts.append(read.part)
        rows += read.rows
        dropped += read.dropped
        encodings[label] = read.encoding
        for total, found in ((sentinels, read.sentinels), (invalid, read.invalid),
                             (counts, read.counts)):
            for column, count in found.items():
                total[column] = total.get(column, 0) + count
    reads.clear()
    frame = pd.concat(parts) if len(parts) > 1 else parts[0]
    parts.clear()  # the files' frames are now copied into ``frame``
    located = None
    if uprn_coordinates is None:
        frame = _deduplicate(frame)
    else:  # deduplication keeps each certificate's UPRN: the set is the homes' already
        with start(partial(read_uprn_coordinates, uprn_coordinates, frame["uprn"])) as uprns:
            frame = _deduplicate(frame)
            located = uprns.result()
    pa.default_memory_pool().release_unused()
    if rows == 0:
        logger.warning("EPC files %s hold no certificates", labels)
    if counts:
        logger.warning("EPC: dropped %d certificates with implausible values %s", dropped,
                       counts)
    return EpcRecords(frame, tuple(labels), rows, rows - dropped - len(frame), sentinels,
                      {k: v for k, v in invalid.items() if v}, encodings, counts, located)


@dataclass(frozen=True)
class _FileRead:
    """One file's kept certificates (rows labelled from 0) and what reading it counted."""

    part: pd.DataFrame
    encoding: str
    rows: int
    dropped: int
    sentinels: dict[str, int]
    invalid: dict[str, int]
    counts: dict[str, int]


def _halfway(files: Sequence[Path]) -> int:
    """Return how many of ``files`` come first to split their bytes most evenly in two."""
    sizes = np.cumsum([_size(path) for path in files])
    if len(files) < 2:
        return len(files)
    return 1 + int(np.argmin(np.abs(2 * sizes[:-1] - sizes[-1])))


def _size(path: Path) -> int:
    """Return the file's size in bytes; 0 when it cannot be read (its reading says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_each(files: Sequence[Path], labels: Sequence[str]) -> list[_FileRead]:
    """Read and normalise each file in turn (:func:`_read_normalised`)."""
    return [_read_normalised(path, label) for path, label in zip(files, labels, strict=True)]


def _read_normalised(path: Path, label: str) -> _FileRead:
    """Read and normalise one file; drop its implausible certificates.

    Rows are labelled 0, 1, ... (:func:`read_epc_certificates` numbers them across every
    file read); the counts are the file's own.
    """
    try:
        raw, encoding = _read_file(sniff_text(path, what="an EPC certificates CSV",
                                              delimited=False))
        if raw.empty:
            raise SourceFormatError(f"{path.name}: no rows: the file has a header but no "
                                    "certificates (fix: download it again)")
    except GeoplanError as exc:  # one certificates.csv per folder: name the full path
        raise with_full_path(exc, path) from exc
    implausible: dict[str, np.ndarray] = {}
    sentinels: dict[str, int] = {}
    invalid: dict[str, int] = {}
    raw.index = pd.RangeIndex(len(raw))
    frame = _normalise(raw, label, sentinels, invalid, implausible)
    del raw
    pa.default_memory_pool().release_unused()  # Arrow keeps freed blocks otherwise
    drop = np.logical_or.reduce([*implausible.values(), np.zeros(len(frame), dtype=bool)])
    counts = {column: int(marked.sum()) for column, marked in implausible.items()
              if marked.any()}
    return _FileRead(frame[~drop] if drop.any() else frame, encoding, len(frame),
                     int(drop.sum()), sentinels, invalid, counts)


def certificate_files(source: PathLike | Sequence[PathLike]) -> list[Path]:
    """List the certificate files named by ``source`` (see :func:`read_epc_certificates`).

    Raises
    ------
    SourceNotFoundError
        If ``source`` is empty, a path does not exist, or a folder holds no
        ``certificates.csv``.
    """
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not items:
        raise SourceNotFoundError("no EPC files given (fix: pass a certificates.csv or a "
                                  "folder of the EPC bulk download)")
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_file():
            files.append(item)
        elif item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.name.casefold() == "certificates.csv")
            if not found:
                seen = sorted(p.name for p in item.iterdir())[:10]
                raise SourceNotFoundError(
                    f"{item}: no certificates.csv in this folder or below; it holds {seen} "
                    "(fix: unzip the EPC bulk download, e.g. domestic-E07000177-Cherwell/)")
            files.extend(found)
        else:
            raise SourceNotFoundError(f"{item}: no such file or folder")
    return files


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


# --- reading ------------------------------------------------------------------------------


def _read_file(path: Path) -> tuple[pd.DataFrame, str]:
    """Read the needed columns of one file as text, trying UTF-8, Windows-1252, Latin-1."""
    first = _first_line(path)
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            header = first.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError:
            continue
        names = _header_names(path, header)
        try:
            return _arrow_read(path, names, encoding), encoding
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if not _is_encoding_error(exc):
                raise SourceFormatError(f"{path.name}: not a readable CSV ({exc}) (fix: use "
                                        "the certificates.csv of the bulk download)") from exc
    raise SourceFormatError(f"{path.name}: text is not UTF-8, Windows-1252 or Latin-1")


def _is_encoding_error(exc: Exception) -> bool:
    text = str(exc).casefold()
    return isinstance(exc, UnicodeDecodeError) or "utf8" in text or "decode" in text


def _first_line(path: Path) -> bytes:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise SourceFormatError(f"{path.name}: the file is empty (fix: download it again from "
                                "the EPC register)")
    return head.split(b"\n", 1)[0].rstrip(b"\r")


def _header_names(path: Path, header: str) -> list[str]:
    """Normalised header names; refuse other delimiters and missing required columns."""
    refuse_other_delimiter(path, header, "use the file from the bulk download unchanged, or "
                                         "save it again as 'CSV (comma delimited)'")
    names = [c.strip().upper().replace("-", "_") for c in next(csv.reader([header]))]
    if "CERTIFICATE_NUMBER" in names and "LMK_KEY" not in names:  # the 2025+ register
        names = [REGISTER_NAMES[n] if n in REGISTER_NAMES and REGISTER_NAMES[n] not in names
                 else n for n in names]
        logger.info("%s: EPC register download layout (certificate_number, report_type)",
                    path.name)
    missing = [c for c in _REQUIRED if c not in names]
    if missing:
        problems = Problems(path)
        problems.add(f"required columns are missing: {missing}", row=1,
                     fix="use the domestic certificates.csv of the EPC bulk download (not "
                         "recommendations.csv or non-domestic data)")
        problems.raise_if_any(SourceFormatError)
    return names


def _arrow_read(path: Path, names: list[str], encoding: str) -> pd.DataFrame:
    wanted = [c for c in (*_REQUIRED, *_OPTIONAL) if c in names]
    frame = arrow_text_columns(path, names, wanted, encoding=encoding,
                               newlines_in_values=True)
    for column in _OPTIONAL:
        if column not in frame.columns:
            frame[column] = pd.Series("", index=frame.index, dtype="str")
    return frame


# --- normalisation ------------------------------------------------------------------------


_SENTINEL_TEXTS = pa.array(sorted(SENTINELS), type=pa.large_string())


def _clean(values: pd.Series, sentinels: dict[str, int] | None = None) -> pd.Series:
    """Strip text; blanks and sentinels become missing (counted in ``sentinels``).

    In Arrow kernels from start to end (the pandas string methods wrap the same kernels,
    with a copy of the column between each).
    """
    text = pc.utf8_trim_whitespace(pa.array(values.astype("str").array, type=pa.large_string()))
    marker = pc.is_in(pc.utf8_lower(text), value_set=_SENTINEL_TEXTS)
    found = int(pc.sum(marker).as_py() or 0)
    if sentinels is not None and found:
        sentinels[str(values.name)] = sentinels.get(str(values.name), 0) + found
    blank = pc.or_(marker, pc.equal(text, ""))
    cleaned = pc.if_else(blank, pa.scalar(None, pa.large_string()), text)
    return pd.Series(cleaned.to_pandas().array, index=values.index, name=values.name)


def _to_float(text: pd.Series) -> pd.Series:
    """Parse decimal numbers in Arrow; anything else (and missing) becomes NaN."""
    values = pa.array(text, type=pa.string(), from_pandas=True)
    numeric = pc.match_substring_regex(values, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    parsed = pc.cast(pc.if_else(numeric, values, pa.scalar(None, pa.string())), pa.float64())
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def _classify(text: pd.Series, rules: tuple[tuple[str, str], ...], other: str,
              missing: str) -> pd.Series:
    folded = text.str.lower().fillna("")
    conditions = [folded.str.contains(pattern, regex=True).to_numpy(bool) for _, pattern in rules]
    labels = np.select(conditions, [label for label, _ in rules], other)
    return pd.Series(labels, index=text.index, dtype="str").where(text.notna(), missing)


def fuel_from_text(text: pd.Series) -> pd.Series:
    """Normalise ``MAIN_FUEL`` texts into :data:`FUELS`.

    Community schemes become ``district heating``; then LPG, solid fuel (coal, anthracite,
    smokeless, dual fuel), biomass (wood, pellets, chips), mains gas, electricity and oil are
    recognised by keyword; other text is ``other`` and blanks ``unknown``.

    Examples
    --------
    >>> fuel_from_text(pd.Series(["mains gas (not community)", "Oil: heating oil",
    ...                           "bulk LPG", "NO DATA!"])).tolist()
    ['mains gas', 'oil', 'LPG', 'unknown']
    """
    cleaned = _clean(text).str.lower().str.replace("not community", "", regex=False)
    return _classify(cleaned, _FUEL_RULES, "other", "unknown")


def _age_band(text: pd.Series) -> pd.Series:
    folded = text.str.lower().str.replace(r"^[^:]*:", "", regex=True).str.strip()
    year = _to_float(_extract(folded, r"(?P<year>\d{4})"))
    year = year.where(~folded.str.contains("before", regex=False).fillna(False), year - 1)
    known = year.between(1000, 2100)
    index = np.searchsorted(_AGE_STARTS, year.fillna(0).to_numpy(), side="right")
    bands = pd.Series(np.asarray(AGE_BANDS, dtype=object)[index], index=text.index)
    return bands.where(known).astype("str")


def _tenure(text: pd.Series) -> pd.Series:
    folded = text.str.lower().fillna("")
    rented = folded.str.contains("rent", regex=False)
    conditions = [folded.str.contains("owner", regex=False).to_numpy(bool),
                  (rented & folded.str.contains("private", regex=False)).to_numpy(bool),
                  (rented & folded.str.contains("social", regex=False)).to_numpy(bool)]
    return pd.Series(np.select(conditions, list(TENURES[:3]), "unknown"), index=text.index,
                     dtype="str")


def _flag(text: pd.Series, yes: str, no: str) -> pd.Series:
    """Turn text into nullable booleans.

    True where ``yes`` matches, False where ``no`` matches (it wins), missing otherwise.
    """
    folded = text.str.lower()
    result = pd.Series(pd.NA, index=text.index, dtype="boolean")
    result[folded.str.contains(yes, regex=True).fillna(False).to_numpy(bool)] = True
    result[folded.str.contains(no, regex=True).fillna(False).to_numpy(bool)] = False
    return result


def _extract(text: pd.Series, pattern: str) -> pd.Series:
    """First match of the one named group of ``pattern`` (missing where none), in Arrow."""
    found = pc.extract_regex(pa.array(text, type=pa.string(), from_pandas=True), pattern)
    values = pc.struct_field(found, [0]).to_pandas()
    return pd.Series(values.to_numpy(object), index=text.index, dtype="str")


def _roof_mm(text: pd.Series) -> pd.Series:
    folded = text.str.lower()
    mm = _to_float(_extract(folded, r"(?P<mm>\d+)\s*\+?\s*mm"))
    none = folded.str.contains("no insulation", regex=False).fillna(False)
    return mm.where(~(mm.isna() & none), 0.0).astype("float64")


def _storage(text: pd.Series) -> pd.Series:
    """Whether the main heating is electric storage heating (missing without a description)."""
    found = text.str.lower().str.contains(_STORAGE, regex=True).fillna(False)
    result = pd.Series(found.to_numpy(bool), index=text.index, dtype="boolean")
    result[text.isna().to_numpy()] = pd.NA
    return result


def _uprn(text: pd.Series) -> pd.Series:
    digits = text.str.replace(r"\.0+$", "", regex=True).str.lstrip("0")
    return digits.where(digits.str.fullmatch(r"\d+").fillna(False))


def _iso_dates(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, errors="coerce", format="ISO8601")


def _postcode(text: pd.Series) -> pd.Series:
    compact = text.str.replace(r"[ \t\r\n]+", "", regex=True).str.upper()
    return (compact.str[:-3] + " " + compact.str[-3:]).where(compact.str.len().ge(5))


def _normalise(raw: pd.DataFrame, label: str, sentinels: dict[str, int],
               invalid: dict[str, int], implausible: dict[str, np.ndarray]) -> pd.DataFrame:
    """Normalise one file's text columns; ``raw``'s columns are dropped as they are read."""
    fuel = each_distinct(raw["MAIN_FUEL"], fuel_from_text)
    c = {column: _clean(raw.pop(column), sentinels) for column in (*_REQUIRED, *_OPTIONAL)}
    heat_pump = c["MAINHEAT_DESCRIPTION"].str.lower().str.contains("heat pump").fillna(False)
    lodged = pd.to_datetime(c["LODGEMENT_DATETIME"], errors="coerce", format="ISO8601")
    lodged = lodged.fillna(each_distinct(c["LODGEMENT_DATE"], _iso_dates))  # a few thousand
    return pd.DataFrame({
        "uprn": _uprn(c["UPRN"]),
        "epc_band": band(c["CURRENT_ENERGY_RATING"], implausible),
        "sap_score": number(c["CURRENT_ENERGY_EFFICIENCY"], invalid, implausible),
        "property_type": c["PROPERTY_TYPE"].str.lower(),
        "built_form": c["BUILT_FORM"].str.lower(),
        "age_band": each_distinct(c["CONSTRUCTION_AGE_BAND"], _age_band),
        "floor_area_m2": number(c["TOTAL_FLOOR_AREA"], invalid, implausible),
        "main_fuel": fuel,
        "co2_t": number(c["CO2_EMISSIONS_CURRENT"], invalid, implausible),
        "tenure": each_distinct(c["TENURE"], _tenure),
        "wall_type": each_distinct(c["WALLS_DESCRIPTION"], _classify, _WALL_RULES, "other",
                                   "unknown"),
        "wall_insulated": each_distinct(
            c["WALLS_DESCRIPTION"], _flag, r"insulat|filled cavity",
            r"no insulation|uninsulated|not insulated|partial insulation"),
        "roof_insulation_mm": each_distinct(c["ROOF_DESCRIPTION"], _roof_mm),
        "glazing": each_distinct(c["WINDOWS_DESCRIPTION"], _classify, _GLAZING_RULES,
                                 "unknown", "unknown"),
        "mains_gas": each_distinct(c["MAINS_GAS_FLAG"], _flag, r"^y", r"^n"),
        "potential_band": band(c["POTENTIAL_ENERGY_RATING"], implausible),
        "potential_sap": number(c["POTENTIAL_ENERGY_EFFICIENCY"], invalid, implausible),
        "lodgement_date": lodged,
        "postcode": each_distinct(c["POSTCODE"], _postcode),
        "heating_system": fuel.where(~heat_pump, "heat pump"),
        "storage_heaters": each_distinct(c["MAINHEAT_DESCRIPTION"], _storage),
        "energy_consumption_kwh_m2": number(c["ENERGY_CONSUMPTION_CURRENT"], invalid,
                                             implausible),
        "low_energy_lighting_pct": number(c["LOW_ENERGY_LIGHTING"], invalid, implausible),
        "multi_glaze_pct": number(c["MULTI_GLAZE_PROPORTION"], invalid, implausible),
        "photo_supply_pct": number(c["PHOTO_SUPPLY"], invalid, implausible),
        "address": c["ADDRESS"],
        "local_authority": c["LOCAL_AUTHORITY"],
        "lmk_key": c["LMK_KEY"],
        "source_file": pd.Series(label, index=raw.index, dtype="str"),
        "_brn": c["BUILDING_REFERENCE_NUMBER"],
    })


def _deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the latest certificate per home (see the module docstring).

    The rows are sorted once, in Arrow (:func:`_by_home_then_date`); the homes are the runs
    of equal ``building_id`` in that order. The kept rows are taken once, column by column, and
    each column taken is dropped from ``frame`` (which is left incomplete).
    """
    brn, uprn = frame["_brn"], frame["uprn"]
    lacking = brn[uprn.isna() & brn.notna()]  # references that may lend their UPRN
    if len(lacking):
        known = pd.DataFrame({"_brn": brn, "uprn": uprn}).dropna()
        known = known[pc.is_in(pa.array(known["_brn"].array), value_set=pa.array(
            lacking.array)).to_numpy(zero_copy_only=False)]  # hashed in Arrow
        by_brn = known.groupby("_brn", sort=False)["uprn"].min()  # a reference's first UPRN
        # in the column's own dtype: astype("str") wrote a missing UPRN as "nan" in pandas 2
        uprn = uprn.fillna(lacking.map(by_brn).astype(uprn.dtype))
    building_id = ("uprn:" + uprn).fillna("brn:" + brn).fillna("lmk:" + frame["lmk_key"])
    unnamed = frame.index[building_id.isna().to_numpy()]  # no UPRN, reference or LMK key
    if len(unnamed):
        building_id = building_id.fillna("row:" + pd.Series(unnamed.astype(str), index=unnamed))
    order, starts = _by_home_then_date(building_id, frame["lodgement_date"], frame["lmk_key"])
    ends = np.append(starts[1:], len(order))[:len(starts)]
    taken = order[ends - 1]  # the latest certificate of each home
    # the latest certificate that gives a postcode, when the latest one does not
    given = np.where(frame["postcode"].notna().to_numpy()[order], np.arange(len(order)), -1)
    with_postcode = np.maximum.reduceat(given, starts) if len(starts) else given
    postcode = frame["postcode"].array.take(np.where(with_postcode < 0, -1, order[with_postcode]),
                                            allow_fill=True)
    found = {"building_id": building_id.array.take(taken), "uprn": uprn.array.take(taken),
             "postcode": postcode, "certificates": (ends - starts).astype("int64")}
    # column by column, each dropped once taken: no second whole frame; two at a time, on
    # threads (Arrow's and NumPy's takes let the other thread run)
    rest = {name: frame.pop(name).array for name in EPC_COLUMNS if name not in found}

    def take(name: str) -> Any:
        return rest.pop(name).take(taken)

    names = list(rest)
    found.update(zip(names, on_two_threads(take, names), strict=True))
    columns = {name: found[name] for name in EPC_COLUMNS}
    return pd.DataFrame(columns, copy=False)  # the taken arrays are its own: no second copy


def _by_home_then_date(home: pd.Series, lodged: pd.Series, lmk_key: pd.Series
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Row order by home, then lodgement date, then LMK key; where each home's rows begin.

    One stable multi-key sort in Arrow (a missing date or key before every other; rows equal
    in all three keep their order), then the homes' runs from neighbouring ids that differ.
    ``home`` has no missing value.
    """
    keys = pa.Table.from_pandas(pd.DataFrame({"home": home, "lodged": lodged, "lmk": lmk_key}),
                                preserve_index=False)
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending", "at_start")
                                             for name in keys.column_names]).to_numpy()
    homes = keys["home"].take(order)
    differs = pc.not_equal(homes[1:], homes[:-1]).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate([[len(order) > 0], differs]))
    return order.astype(np.intp), starts
