r"""Aggregated building-stock tables per area (Census 2021 and EPC summaries), any geography.

Each reader takes a CSV path (or a DataFrame) with one row per area and returns an
:class:`AreaTable`: canonical count columns per area code. Nothing is apportioned here (see
:mod:`geoplan.layers.apportion`).

Area codes
----------
The code column is found **by its values**, not its header: every column where at least 90%
of the non-blank cells are ONS/GSS codes (``E00``... OA, ``E01`` LSOA, ``E02`` MSOA, ``E06``-
``E09`` and ``W06`` districts, ``S00``-``S02`` Scottish areas; 2011 and 2021 codes share the
pattern). Only the finest geography found is kept (an OA table's ``LA Code`` column is not an
area code of the rows). When a row has several code columns of that geography (the GB
primaries' ``NearestZone0`` and ``NearestZone1`` MSOAs), its counts are **split evenly**
between them, and rows sharing a code are **added** (several primaries near one MSOA); both
are counted in :attr:`AreaTable.warnings`.

Columns by kind (headers folded to lower case; Census 2021 table names for reference)
----------------------------------------------------------------------------------------
``households``
    The first header among ``households``, ``household no``, ``number of households``,
    ``observation``, ``count``, ``total`` (TS041, or an ONS custom download).
``heating`` (TS046 central heating)
    One column per category of :data:`HEATING_CATEGORIES`, matched by words of the header
    (``mains gas``/``gas central heating``, ``tank or bottled gas``, ``electric``, ``oil``,
    ``wood``, ``solid fuel``, ``renewable``, ``district or communal``, ``other``,
    ``two or more`` with or without ``renewable``, ``no central heating``). Blank cells count 0
    (counted).
``dwelling_types`` (TS044 accommodation type)
    ``detached``, ``semi_detached``, ``terraced``, ``flat`` (purpose-built, converted and
    commercial flats, maisonettes and apartments added), ``park_home`` (caravans and other
    mobile or temporary structures) and ``house`` (houses of unstated form, e.g. the EPC
    summary's ``Houses`` less its ``Terraces``).
``tenure`` (TS054)
    ``owner-occupied`` (owned outright, with a mortgage, shared ownership), ``social rented``,
    ``private rented`` (including living rent free).
``epc_bands``
    Exact band counts ``band_a`` ... ``band_g`` from headers like ``Rating C``, ``Band C``,
    ``EPC C``, ``current energy rating C``; or, in the layout of the private-rented EPC
    summary of Robinson et al. (2025, *Environment and Planning B*, doi
    10.1177/23998083251377128) whose only band columns are ``Rating D`` and ``Rating F``,
    **cumulative** counts read as ``d_or_below`` (D-G) and ``f_or_below`` (F-G), with
    ``homes`` from ``Properties``. That summary covers private rented homes only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError, Problem, Problems, SourceFormatError
from geoplan.sources.cells import is_blank, normalise_header
from geoplan.sources.numbers import COUNT, parse_column
from geoplan.sources.zone_tables import Table, read_table

__all__ = [
    "DWELLING_TYPES",
    "HEATING_CATEGORIES",
    "LEVELS",
    "STOCK_TABLES",
    "AreaTable",
    "code_level",
    "find_code_columns",
    "read_stock_table",
]

LEVELS = ("oa", "lsoa", "msoa", "ward", "district", "county", "region", "country")
"""Geographies, finest first."""

_PREFIX_LEVEL = {"00": "oa", "01": "lsoa", "02": "msoa", "05": "ward", "06": "district",
                 "07": "district", "08": "district", "09": "district", "10": "county",
                 "12": "region", "92": "country"}
_SCOTTISH = {"00": "oa", "01": "lsoa", "02": "msoa", "12": "district"}
_CODE = re.compile(r"^[EWSN]\d{8}$")

HEATING_CATEGORIES = ("no_central_heating", "mains_gas", "bottled_gas", "electric", "oil", "wood",
                      "solid_fuel", "renewable", "district", "other", "two_or_more",
                      "two_or_more_renewable")
"""Census 2021 TS046 central heating categories (keys of ``stock_heating.csv``)."""

DWELLING_TYPES = ("detached", "semi_detached", "terraced", "flat", "park_home", "house")
"""Dwelling types of the stock (``house``: a house of unstated built form)."""

STOCK_TABLES = ("households", "heating", "dwelling_types", "tenure", "epc_bands")
"""Kinds of table :func:`read_stock_table` reads."""


@dataclass(frozen=True)
class AreaTable:
    """Counts per area of one stock table.

    Attributes
    ----------
    values : pandas.DataFrame
        Index: area codes (str, unique); canonical count columns of the kind.
    level : str
        Geography of the codes (:data:`LEVELS`).
    code_columns : tuple of str
        Header(s) the codes came from.
    source : str
    kind : str
    warnings : tuple of str
    """

    values: pd.DataFrame
    level: str
    code_columns: tuple[str, ...]
    source: str
    kind: str
    warnings: tuple[str, ...] = ()


def code_level(code: str) -> str | None:
    """Geography of an ONS/GSS code (``"E01028422"`` -> ``"lsoa"``), None if not one."""
    text = str(code).strip()
    if not _CODE.match(text):
        return None
    table = _SCOTTISH if text[0] == "S" else _PREFIX_LEVEL
    return table.get(text[1:3])


def find_code_columns(frame: pd.DataFrame, source: str = "table") -> tuple[list[str], str]:
    """Columns holding area codes of the finest geography found, and that geography.

    Raises
    ------
    LayerSchemaError
        If no column holds ONS codes (the message lists the columns and a sample cell).
    """
    found: dict[str, str] = {}
    for column in frame.columns:
        cells = [str(v).strip() for v in frame[column] if not is_blank(v)]
        if not cells:
            continue
        levels = [code_level(c) for c in cells]
        known = [lv for lv in levels if lv is not None]
        if len(known) >= 0.9 * len(cells):
            found[column] = pd.Series(known).mode().iloc[0]
    if not found:
        sample = {c: str(frame[c].iloc[0]) for c in list(frame.columns)[:6]} if len(frame) else {}
        message = f"no column of ONS area codes (like E01028422) found; first cells: {sample}"
        raise LayerSchemaError(f"{source}: {message}", [Problem(
            message, file=source, fix="add a column of OA, LSOA or MSOA codes")])
    finest = min(found.values(), key=LEVELS.index)
    return [c for c, level in found.items() if level == finest], finest


def read_stock_table(data: Table, kind: str) -> AreaTable:
    """Read one stock table of ``kind`` (:data:`STOCK_TABLES`; module docstring).

    Raises
    ------
    LayerSchemaError
        For an unknown kind, no code column, or no column the kind needs.
    SourceFormatError
        For count cells that are not plausible numbers (every one listed with its row).
    """
    if kind not in _READERS:
        raise LayerSchemaError(f"unknown stock table {kind!r} (fix: use one of "
                               f"{list(STOCK_TABLES)})")
    frame, source = read_table(data, kind)
    codes, level = find_code_columns(frame, source)
    mapping = _READERS[kind](list(frame.columns))
    if not mapping:
        message = f"no {kind} columns recognised; columns found: {list(frame.columns)}"
        raise LayerSchemaError(f"{source}: {message}",
                               [Problem(message, file=source, fix=_FIXES[kind])])
    counts, blanks = _counts(frame, mapping, source)
    warnings = []
    if blanks:
        warnings.append(f"{source}: {blanks} blank count cells read as 0")
    values = _by_code(frame, codes, counts, source, warnings)
    if kind == "epc_bands":
        values = _robinson_layout(values, warnings, source)
    return AreaTable(values, level, tuple(codes), source, kind, tuple(warnings))


def _counts(frame: pd.DataFrame, mapping: dict[str, list[str]], source: str
            ) -> tuple[pd.DataFrame, int]:
    problems = Problems(source)
    out = pd.DataFrame(0.0, index=frame.index, columns=list(mapping))
    blanks = 0
    for name, columns in mapping.items():
        for column in columns:
            values, bad = parse_column(frame[column], COUNT)
            for item in bad:
                problems.add(item.message, row=frame.index.get_loc(item.label) + 2,
                             column=column, fix=item.fix)
            blanks += int(values.isna().sum())
            out[name] += values.fillna(0.0)
    problems.raise_if_any(SourceFormatError)
    return out, blanks


def _by_code(frame: pd.DataFrame, codes: list[str], counts: pd.DataFrame, source: str,
             warnings: list[str]) -> pd.DataFrame:
    parts = []
    for column in codes:
        code = frame[column].map(lambda v: None if is_blank(v) else str(v).strip())
        parts.append(counts.assign(_code=code.to_numpy()))
    long = pd.concat(parts, ignore_index=True)
    given = long["_code"].notna()
    per_row = pd.concat([frame[c].map(lambda v: not is_blank(v)) for c in codes], axis=1).sum(
        axis=1).to_numpy()
    share = np.tile(1.0 / np.maximum(per_row, 1), len(codes))
    long[list(counts.columns)] = long[list(counts.columns)].mul(share, axis=0)
    long = long[given]
    if len(codes) > 1:
        warnings.append(f"{source}: each row's counts split evenly between its {len(codes)} "
                        f"area code columns {codes}")
    repeated = int(long["_code"].duplicated().sum())
    if repeated:
        warnings.append(f"{source}: {repeated} rows share an area code with another row; "
                        "their counts are added")
    if (per_row == 0).any():
        warnings.append(f"{source}: {int((per_row == 0).sum())} rows without an area code "
                        "left out")
    values = long.groupby("_code", sort=True)[list(counts.columns)].sum()
    values.index = values.index.rename("area")
    return values


def _match(columns: list[str], rules: tuple[tuple[str, str], ...],
           exclude: str | None = None) -> dict[str, list[str]]:
    """Map headers to canonical names: the first rule (name, regex) matching a header wins."""
    out: dict[str, list[str]] = {}
    for column in columns:
        text = normalise_header(column)
        if exclude and re.search(exclude, text):
            continue
        for name, pattern in rules:
            if re.search(pattern, text):
                out.setdefault(name, []).append(column)
                break
    return out


def _households(columns: list[str]) -> dict[str, list[str]]:
    pattern = re.compile(r"^(households?|households? (no|number|count|total)|number of "
                         r"households|observation|count|total|value)$")
    hit = next((c for c in columns if pattern.match(normalise_header(c))), None)
    return {"households": [hit]} if hit else {}


_HEATING = (
    ("two_or_more_renewable", r"two or more(?!.*not including).*(including|with) renewable"),
    ("two_or_more", r"two or more"),
    ("no_central_heating", r"^no central heating"),
    ("bottled_gas", r"tank or bottled gas|bottled gas|lpg"),
    ("mains_gas", r"mains gas|^gas( central heating)?( only)?$|^gas central heating"),
    ("electric", r"electric"),
    ("oil", r"\boil\b"),
    ("wood", r"^wood"),
    ("solid_fuel", r"solid fuel"),
    ("renewable", r"renewable"),
    ("district", r"district|communal|heat network"),
    ("other", r"^other"),
)


def _heating(columns: list[str]) -> dict[str, list[str]]:
    return _match(columns, _HEATING)


_TYPES = (
    ("semi_detached", r"semi.?detached"),
    ("detached", r"detached"),
    ("terraced", r"terrace"),
    ("flat", r"flat|maisonette|apartment"),
    ("park_home", r"caravan|mobile|temporary|park home"),
    ("house", r"^houses?$"),
)


def _types(columns: list[str]) -> dict[str, list[str]]:
    return _match(columns, _TYPES, exclude=r"^total|all (households|dwellings)")


_TENURE = (
    ("social rented", r"social"),
    ("private rented", r"private|rent free|other rented"),
    ("owner-occupied", r"own|mortgage|shared ownership"),
)


def _tenure(columns: list[str]) -> dict[str, list[str]]:
    return _match(columns, _TENURE, exclude=r"^total|all (households|dwellings)")


_BAND = re.compile(r"^(?:current )?(?:epc |energy )?(?:rating|band|epc)[ _:]*([a-g])$")
_TOTAL = re.compile(r"^(properties|homes|dwellings|certificates|total)$")


def _bands(columns: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for column in columns:
        text = normalise_header(column)
        match = _BAND.match(text)
        if match:
            out.setdefault(f"band_{match.group(1)}", []).append(column)
        elif _TOTAL.match(text) and "homes" not in out:
            out["homes"] = [column]
    types = _types([c for c in columns if normalise_header(c) in ("houses", "flats",
                                                                 "terraces")])
    return out | {f"type_{k}": v for k, v in types.items()} if any(
        k.startswith("band_") for k in out) else {}


def _robinson_layout(values: pd.DataFrame, warnings: list[str], source: str) -> pd.DataFrame:
    bands = [c for c in values.columns if c.startswith("band_")]
    if sorted(bands) != ["band_d", "band_f"]:
        return values
    if "homes" not in values.columns:
        raise LayerSchemaError(f"{source}: the cumulative 'Rating D'/'Rating F' layout needs a "
                               "'Properties' column of homes per area (fix: add it)")
    warnings.append(f"{source}: 'Rating D' and 'Rating F' read as homes rated D or below and F "
                    "or below (the private-rented EPC summary layout of Robinson et al. 2025)")
    return values.rename(columns={"band_d": "d_or_below", "band_f": "f_or_below"})


_READERS: dict[str, Callable[[list[str]], dict[str, list[str]]]] = {
    "households": _households, "heating": _heating, "dwelling_types": _types,
    "tenure": _tenure, "epc_bands": _bands}

_FIXES = {
    "households": "name the household count column 'households' (or 'Observation')",
    "heating": "give Census TS046 columns such as 'Mains gas only', 'Electric only', 'Oil only'",
    "dwelling_types": "give Census TS044 columns such as 'Detached', 'Semi-detached', "
                      "'Terraced', 'Flat'",
    "tenure": "give Census TS054 columns such as 'Owned', 'Social rented', 'Private rented'",
    "epc_bands": "give band count columns such as 'Rating A' ... 'Rating G'",
}
