"""NGED (formerly WPD) network capacity map CSV.

One row per substation with columns including ``Network Reference ID``, ``Parent Network
Reference ID``, ``Substation Name``, ``Asset Type``, ``Latitude``, ``Longitude``, ``Firm
Capacity of Substation (MVA)``, ``Measured Peak Demand (MVA)``, ``Demand Headroom (MVA)``,
``Demand Headroom RAG``, ``Bulk Supply Point Name``, ``Group`` and ``Upstream Demand
Headroom``. Columns are found by header text; columns the reader does not use are ignored.
The published map (e.g. the 28 February 2023 file) lists **primaries only**: its BSPs and
GSPs appear only as names and references on the primary rows, and become rows here.

How the rows become canonical layers:

* ``Network Reference ID`` is the substation identifier (``source_id``). Numeric identifiers
  written as ``"1234.0"`` (a spreadsheet round trip) are read as ``"1234"``.
* ``Asset Type`` gives the level (``GSP`` / ``Grid Supply Point``, ``BSP`` / ``Bulk Supply
  Point``, ``Primary`` / ``Primary Substation``, any case; other text is a problem).
* ``firm_capacity_mva`` and ``peak_demand_mva`` are the published firm capacity and measured
  peak demand. The ``headroom`` table holds the published ``Demand Headroom (MVA)``.
* Latitude/longitude are projected to British National Grid; rows without them are
  unlocated (the file has no grid reference to fall back on), counted in a warning.
* Extra attributes, when the columns exist: ``demand_rag``, ``substation_number``, ``group``,
  ``upstream_voltage``, ``downstream_voltage``, ``reverse_power_mva``,
  ``generation_headroom_mva``.

**Parents, and the BSP and GSP rows the file only names.** ``Parent Network Reference ID``
names a row's parent. When it is the reference of a row of the file, that row is the parent.
Otherwise, for a primary, it is the reference of the primary's BSP, which the file does not
list: the BSP becomes an unlocated row with that reference as its identifier (as the README
promises for upstream levels a file only names). A primary without a parent reference joins
the BSP its ``Bulk Supply Point Name`` names: the BSP row of that name when exactly one
exists, else a BSP row of its own, identified ``bsp-<NAME>``. A parent reference ``0`` is
NGED's placeholder for none (in the 2023 file it joins primaries 200 km apart) and is read as
blank, counted in a warning.

* A BSP row is named by the ``Bulk Supply Point Name`` its primaries write most often (the
  first in file order on a tie; primaries under one reference sometimes name different BSPs,
  counted in a warning), or ``unnamed BSP <reference>`` when none names one or when each
  names another (as the 66 kV primaries under reference 420014 in the 2023 file, which each
  write their own transformer, e.g. ``Bloxham 66 11``).
* ``Group`` is NGED's GSP group (a GSP, or several run as one, e.g. ``Alverdiscott_Indian
  Queens``): each group becomes an unlocated GSP row, the parent of the BSPs whose primaries
  name it most often (disagreements counted in a warning) and of primaries without a BSP.
* **BSP headroom is the primaries' ``Upstream Demand Headroom``.** NGED's capacity map
  glossary defines it as the demand headroom "available in voltage levels above the
  connection point": for a primary, what the network above it (its BSP and what feeds it) can
  still take. It is in MVA like the other headroom columns. In the 2023 file every primary
  under one parent reference states the same figure, so it is that BSP's figure. The
  primaries that reference a BSP set its figure; a primary joined to a referenced BSP by name
  only does not (in the 2023 file their figures often disagree with the referenced one; they
  are counted in a warning). A BSP joined by name only takes its figure from the primaries
  that name it. Where the primaries that set a BSP's figure state different figures, the BSP
  takes the **smallest**, the cautious reading, and a warning counts those BSPs with the
  range. The GSP rows have no headroom: the file gives no figure for a GSP alone, and the
  upstream figure already counts the levels above the BSP.

**One published snapshot.** The map has no scenarios and no years: its headroom rows have
scenario ``published``, season ``peak`` and **no year** unless ``year`` is given, so that
:func:`geoplan.years.value_in_year` applies them to every plan year (an undated row answers
any year for which no dated row exists); a warning says so, with the year the file name
gives.

Rows without a substation name are skipped with a counted warning. Every bad cell is
reported at once in a :class:`~geoplan.errors.SourceFormatError`, with its row as a
spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.sources.base import GridTables, finish_grid
from geoplan.sources.cells import normalise_header
from geoplan.sources.names import name_key
from geoplan.sources.numbers import CAPACITY_MVA, DEMAND_MVA, HEADROOM_MVA
from geoplan.sources.snapshot import (
    CellTable,
    csv_table,
    in_file_order,
    lonlat_columns,
    place_points,
    published_headroom,
    snapshot_year,
)

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "nged-capacity"
LABEL = "NGED network capacity map CSV (substations with firm capacity and demand headroom)"
SHAPE = "table"
UNITS = "MVA"
SCENARIOS: tuple[str, ...] = ("published",)
"""Scenario names this format gives (one published snapshot)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "source_id": ("Network Reference ID",),
    "parent_source_id": ("Parent Network Reference ID",),
    "name": ("Substation Name",),
    "level": ("Asset Type",),
    "lat": ("Latitude",),
    "lon": ("Longitude",),
    "firm": ("Firm Capacity of Substation (MVA)", "Firm Capacity (MVA)"),
    "peak": ("Measured Peak Demand (MVA)",),
    "headroom": ("Demand Headroom (MVA)",),
    "demand_rag": ("Demand Headroom RAG",),
    "substation_number": ("Substation Number",),
    "group": ("Group",),
    "upstream_voltage": ("Upstream Voltage",),
    "downstream_voltage": ("Downstream Voltage",),
    "reverse_power": ("Reverse Power Capability (MVA)",),
    "generation_headroom": ("Generation Headroom (MVA)",),
    "bsp_name": ("Bulk Supply Point Name",),
    "upstream_headroom": ("Upstream Demand Headroom",),
}
"""Key -> accepted header texts (matched ignoring case and spacing; the first is NGED's)."""

_REQUIRED = ("source_id", "parent_source_id", "name", "level", "lat", "lon", "firm", "peak",
             "headroom")
_OPTIONAL = tuple(key for key in COLUMNS if key not in _REQUIRED)
_MVA_FIX = "enter a number of MVA, or leave the cell blank"
_WHOLE = re.compile(r"^(\d+)\.0+$")


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of the NGED network capacity map.

    Parameters
    ----------
    signature : list of str
        Header cells folded by :func:`geoplan.sources.cells.normalise_header`.

    Returns
    -------
    bool
        True when the network reference, parent reference, asset type and demand headroom
        columns are all present.

    Examples
    --------
    >>> sniff(["network reference id", "parent network reference id", "substation name",
    ...        "asset type", "demand headroom (mva)"])
    True
    >>> sniff(["assetid", "substation type", "estimated demand headroom (mva)"])
    False
    """
    present = set(signature)
    return all(any(normalise_header(a) in present for a in COLUMNS[key])
               for key in ("source_id", "parent_source_id", "level", "headroom"))


def read(path: str | Path, *, year: int | None = None) -> GridTables:
    """Read an NGED network capacity map CSV into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The published CSV.
    year : int, optional
        Year of the headroom snapshot; by default none (the snapshot applies to every year).

    Returns
    -------
    GridTables
        Substations identified by their network reference, linked to their parents by the
        parent reference; unlocated BSP and GSP rows for those the file only names; one
        ``published`` / ``peak`` headroom row per substation that states its demand headroom
        (a BSP: its primaries' upstream demand headroom).

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If the file is empty or not CSV, a required column is missing, or cells hold values
        that cannot be read; every problem is listed at once.
    """
    path = Path(path)
    notes: list[str] = []
    table, problems = csv_table(path, COLUMNS, _OPTIONAL, notes,
                                "download the capacity map CSV again")
    records = _records(table)
    headroom = table.numbers("headroom", _MVA_FIX, HEADROOM_MVA)
    upstream = table.numbers("upstream_headroom", _MVA_FIX, HEADROOM_MVA)
    bsp_names = table.texts("bsp_name")
    in_file_order(problems).raise_if_any()
    nowhere = np.full(len(records), np.nan)
    records["x"], records["y"] = place_points(
        records.pop("_lat").to_numpy(), records.pop("_lon").to_numpy(), nowhere, nowhere,
        records["name"].tolist(), notes)
    records, headroom = _add_named_upstream(records, headroom, bsp_names, upstream, notes)
    heads = published_headroom(headroom, _snapshot(path, year, notes))
    return finish_grid(records, heads, source=path, fmt=FORMAT, warnings=notes)


def _snapshot(path: Path, year: int | None, notes: list[str]) -> int | None:
    """No year for the snapshot unless ``year`` is given; the note says what that means."""
    if year is not None:
        return int(year)
    named = snapshot_year(path, None, [])
    dated = f" (its file name dates it {named})" if named is not None else ""
    notes.append(f"the capacity map is one published snapshot{dated}: its headroom rows "
                 "(scenario 'published', season 'peak') have no year and apply unchanged "
                 "to every plan year (no growth to later years)")
    return None


def _records(table: CellTable) -> pd.DataFrame:
    """Raw records in table order, with ``_lat``/``_lon`` still to be projected."""
    lat, lon = lonlat_columns(table)
    return pd.DataFrame({
        "source_id": _identifiers(table.texts("source_id")),
        "parent_source_id": _identifiers(table.texts("parent_source_id")),
        "name": table.texts("name"),
        "level": table.levels("level"),
        "_lat": lat, "_lon": lon,
        "firm_capacity_mva": table.numbers("firm", _MVA_FIX, CAPACITY_MVA),
        "peak_demand_mva": table.numbers("peak", _MVA_FIX, DEMAND_MVA),
        "demand_rag": table.texts("demand_rag"),
        "substation_number": table.texts("substation_number"),
        "group": table.texts("group"),
        "upstream_voltage": table.texts("upstream_voltage"),
        "downstream_voltage": table.texts("downstream_voltage"),
        "reverse_power_mva": table.numbers("reverse_power", _MVA_FIX, DEMAND_MVA),
        "generation_headroom_mva": table.numbers("generation_headroom", _MVA_FIX, DEMAND_MVA),
    })


def _identifiers(texts: list[str | None]) -> list[str | None]:
    """Drop the ``".0"`` a spreadsheet adds to whole-number identifiers."""
    return [_WHOLE.sub(r"\1", text) if text is not None else None for text in texts]


# -- BSP and GSP rows the file only names -----------------------------------------------------


def _add_named_upstream(records: pd.DataFrame, headroom: np.ndarray, bsp_names: list[str | None],
                        upstream: np.ndarray, notes: list[str]
                        ) -> tuple[pd.DataFrame, np.ndarray]:
    """Append a BSP row for each BSP the primaries only name, and link the primaries to it.

    Returns the records with the BSP rows appended (``gsp_name`` set to their group, so that
    :func:`~geoplan.sources.base.finish_grid` adds and links the GSP rows) and the headroom
    values aligned with them (a BSP's: the smallest upstream demand headroom of its
    primaries). See the module docstring for the rules.
    """
    records = records.copy()
    parents = _parent_references(records, notes)
    keys = _bsp_keys(records, parents, bsp_names, notes)
    members = pd.DataFrame({"key": keys, "bsp_name": bsp_names, "group": records["group"],
                            "upstream": upstream,
                            "by_reference": records["parent_source_id"].notna() & (
                                records["parent_source_id"] != "0")}).dropna(subset=["key"])
    if members.empty:
        records["parent_source_id"] = parents
        records["gsp_name"] = _group_where(records, parents.isna())
        return records, headroom
    bsps = _bsp_rows(members, notes)
    records["parent_source_id"] = parents.where(parents.notna(), pd.Series(keys, dtype=object))
    records["gsp_name"] = _group_where(records, records["parent_source_id"].isna())
    out = pd.concat([records, bsps.drop(columns="headroom")], ignore_index=True)
    return out, np.concatenate([np.asarray(headroom, dtype=float), bsps["headroom"].to_numpy()])


def _group_where(records: pd.DataFrame, keep: pd.Series) -> pd.Series:
    """Give the ``group`` (GSP group) of the rows in ``keep`` other than GSPs, else None."""
    keep = keep.to_numpy() & (records["level"] != "gsp").to_numpy()
    return records["group"].where(keep, None).astype(object)


def _parent_references(records: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Parent references, with NGED's placeholder ``0`` read as blank (counted)."""
    parents = records["parent_source_id"].astype(object)
    zero = parents == "0"
    if zero.any():
        notes.append(f"{int(zero.sum())} rows give parent reference 0, NGED's placeholder for "
                     "none; read as blank (their BSP is then found by name)")
    return parents.where(~zero, None)


def _bsp_keys(records: pd.DataFrame, parent_refs: pd.Series, bsp_names: list[str | None],
              notes: list[str]) -> list[str | None]:
    """Each primary's BSP identifier: its parent reference, else one found by BSP name.

    A reference that is a row of the file is that row (no BSP is made); rows other than
    primaries keep their reference as it is.
    """
    listed = set(records["source_id"].dropna())
    primary = (records["level"] == "primary").to_numpy()
    parents = [None if pd.isna(p) else p for p in parent_refs]
    by_ref = [p if ok and p is not None and p not in listed else None
              for p, ok in zip(parents, primary, strict=True)]
    named = {_name_id(n) for n, r, p, ok in zip(bsp_names, by_ref, parents, primary, strict=True)
             if ok and r is None and p is None and n is not None}
    chosen = _bsp_names(pd.DataFrame({"key": by_ref, "bsp_name": bsp_names}))
    ref_of = _unique_reference_by_name(chosen, named, notes)
    keys: list[str | None] = []
    for ref, parent, name, ok in zip(by_ref, parents, bsp_names, primary, strict=True):
        if ref is not None or not ok or parent is not None or name is None:
            keys.append(ref)
        else:
            keys.append(ref_of.get(_name_id(name), _name_id(name)))
    return keys


def _name_id(name: str) -> str:
    """Make the identifier of a BSP known only by name: ``bsp-WARWICK`` for "Warwick 33"."""
    return "bsp-" + re.sub(r"[^A-Z0-9&]+", "_", name_key(name)).strip("_")


def _unique_reference_by_name(chosen: pd.Series, named: set[str],
                              notes: list[str]) -> dict[str, str]:
    """Name identifier -> the one referenced BSP of that name (names met more often: none)."""
    ids = chosen.map(_name_id)
    counts = ids.value_counts()
    ambiguous = sorted(set(counts[counts > 1].index) & named)
    if ambiguous:
        notes.append(f"{len(ambiguous)} BSP names written by primaries without a parent "
                     f"reference belong to several referenced BSPs (e.g. {ambiguous[:5]}); "
                     "those primaries were given a BSP row of that name of their own")
    return {i: ref for ref, i in ids.items() if counts[i] == 1}


def _most_written(members: pd.DataFrame, column: str) -> pd.Series:
    """BSP key -> the ``column`` text its primaries write most often (first on a tie)."""
    given = members.dropna(subset=["key", column])
    if given.empty:
        return pd.Series(dtype=object)
    counted = given.groupby(["key", column], sort=False).size().rename("n").reset_index()
    best = counted.sort_values("n", ascending=False, kind="stable").drop_duplicates("key")
    return best.set_index("key")[column]


def _bsp_rows(members: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """One unlocated BSP row per key, with its name, GSP group and headroom."""
    keys = pd.unique(members["key"])
    names = _bsp_names(members)
    groups = _most_written(members, "group")
    _note_disagreements(members, "bsp_name", "BSP names", notes,
                        " (it is left unnamed when each primary names another)")
    _note_disagreements(members, "group", "GSP groups ('Group')", notes)
    low = _bsp_headroom(members, names, notes)
    return pd.DataFrame({
        "source_id": keys,
        "name": [names.get(k, f"unnamed BSP {k}") for k in keys],
        "level": "bsp", "x": np.nan, "y": np.nan,
        "firm_capacity_mva": np.nan, "peak_demand_mva": np.nan,
        "gsp_name": [groups.get(k) for k in keys],
        "headroom": low.reindex(keys).to_numpy(dtype=float),
    })


def _note_disagreements(members: pd.DataFrame, column: str, what: str, notes: list[str],
                        unless: str = "") -> None:
    """Count BSPs whose primaries write more than one value of ``column`` (names folded)."""
    given = members.dropna(subset=[column])
    spread = given[column].map(name_key).groupby(given["key"], sort=False).nunique()
    several = spread[spread > 1]
    if len(several):
        notes.append(f"{len(several)} BSPs have primaries naming different {what} (e.g. "
                     f"references {list(several.index[:5])}); each takes the one its "
                     f"primaries write most often{unless}")


def _bsp_names(members: pd.DataFrame) -> pd.Series:
    """BSP key -> its name: the one most written, unless each primary writes another."""
    names = _most_written(members, "bsp_name")
    given = members.dropna(subset=["bsp_name"])
    counts = given.groupby([given["key"], given["bsp_name"].map(name_key)]).size()
    top, distinct = counts.groupby(level=0).max(), counts.groupby(level=0).size()
    return names.drop(top[(top == 1) & (distinct > 1)].index, errors="ignore")


def _bsp_headroom(members: pd.DataFrame, names: pd.Series, notes: list[str]) -> pd.Series:
    """BSP key -> its headroom: the smallest upstream figure of the primaries that count.

    The primaries that reference a BSP count; a BSP joined by name only takes its figure
    from the primaries that name it. Name-joined primaries of a referenced BSP that state
    another figure, and BSPs whose counted primaries disagree, are counted in warnings.
    """
    stated = members.dropna(subset=["upstream"])
    referenced = set(stated.loc[stated["by_reference"], "key"])
    counted = stated[stated["by_reference"] | ~stated["key"].isin(referenced)]
    low = counted.groupby("key", sort=False)["upstream"].min()
    _note_upstream_spread(counted, names, notes)
    joined = stated[~stated["by_reference"] & stated["key"].isin(referenced)]
    other = joined[joined["upstream"].to_numpy() != low.reindex(joined["key"]).to_numpy()]
    if len(other):
        notes.append(f"{len(other)} primaries without a parent reference name a referenced BSP "
                     f"but state another 'Upstream Demand Headroom' (e.g. BSPs "
                     f"{sorted(set(other['key']))[:5]}); the BSP keeps the figure of the "
                     "primaries that reference it")
    return low


def _note_upstream_spread(counted: pd.DataFrame, names: pd.Series, notes: list[str]) -> None:
    """Count BSPs whose primaries state different upstream demand headroom figures."""
    stats = counted.groupby("key", sort=False)["upstream"].agg(["min", "max", "size"])
    spread = stats[stats["min"] < stats["max"]]
    if len(spread):
        shown = [f"{names.get(k, k)!r}: {row['min']:g} to {row['max']:g} MVA from "
                 f"{int(row['size'])} primaries" for k, row in spread.head(3).iterrows()]
        notes.append(f"{len(spread)} BSPs get different 'Upstream Demand Headroom' figures from "
                     f"their primaries ({'; '.join(shown)}); each BSP takes the smallest, the "
                     "cautious reading")
