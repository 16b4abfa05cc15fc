"""Households and households without off-street parking per zone, for EV demand.

A census-style table keyed by zone gives ``households`` (and optionally
``households_no_offstreet``); values it lacks are estimated from a dwelling mix (counts per
dwelling type and zone) with the shares of households without off-street parking per type in
``layers/assumptions/offstreet_parking.csv`` (:data:`OFFSTREET_PARKING`,
:func:`households_from_mix`). See :mod:`geoplan.layers.ev` for how they enter the
``ev_demand`` layer.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.sources.cells import normalise_header
from geoplan.sources.zone_tables import (
    Table,
    area_codes,
    find_code_column,
    number_columns,
    read_table,
    record_warning,
    schema_error,
)

__all__ = ["OFFSTREET_PARKING", "households_from_mix", "households_per_zone"]

logger = logging.getLogger("geoplan.layers.ev")

OFFSTREET_PARKING = AssumptionTable(
    "offstreet_parking",
    key=("dwelling_type",),
    numbers={"share_no_offstreet": 0.0},
    text=("aliases",),
)
"""Share of households without off-street parking per dwelling type, with ``;``-separated
``aliases`` that name the type in dwelling-mix tables."""


def _household_table(zones: gpd.GeoDataFrame, households: Table,
                     warnings: list[str]) -> pd.DataFrame:
    """``households`` and ``households_no_offstreet`` per zone (NaN where not given)."""
    table, source = read_table(households, "households")
    code = find_code_column(list(table.columns), source=source)
    lookup = {normalise_header(c).replace(" ", "_"): c for c in table.columns}
    if "households" not in lookup:
        raise schema_error(source, f"column 'households' not found; columns found: "
                           f"{list(table.columns)}", "name the household count column 'households'")
    wanted = [lookup["households"]] + ([lookup["households_no_offstreet"]]
                                       if "households_no_offstreet" in lookup else [])
    codes = area_codes(table, code, source).to_numpy()
    numbers = number_columns(table, wanted, source).set_axis(codes)
    numbers.columns = ["households", "households_no_offstreet"][: len(wanted)]
    zone_ids = zones["zone_id"].astype(str)
    extra = ~numbers.index.isin(zone_ids)
    if extra.any():
        record_warning(warnings, f"{source}: {int(extra.sum())} codes are not zone ids and were "
                       f"left out (e.g. {list(numbers.index[extra][:5])})")
    return numbers.reindex(zone_ids).reindex(columns=["households", "households_no_offstreet"])


def households_from_mix(dwelling_mix: Table, *, code_column: str | None = None,
                        table: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Households and households without off-street parking from a dwelling mix.

    ``dwelling_mix`` has a zone code column (``code_column``, default
    :func:`find_code_column`) and counts per dwelling type, matched to the types of the
    ``offstreet_parking`` table (``table``, default :data:`OFFSTREET_PARKING`) by name or
    alias (``"Terraced"``, ``"flats"``, ``"semi_detached"``...); other columns are ignored.
    Returns, per zone code, ``households`` (the sum of the counts) and
    ``households_no_offstreet`` (the counts times their type's share).

    Raises
    ------
    LayerSchemaError
        If no column names a dwelling type (the message lists the types and aliases).

    Examples
    --------
    >>> mix = pd.DataFrame({"zone_id": ["Z1"], "detached": [10], "flats": [10]})
    >>> households_from_mix(mix).round(2).to_dict("records")
    [{'households': 20.0, 'households_no_offstreet': 6.5}]
    """
    frame, source = read_table(dwelling_mix, "dwelling_mix")
    shares = table if isinstance(table, pd.DataFrame) else read_assumptions(OFFSTREET_PARKING,
                                                                            table)
    code = find_code_column(list(frame.columns), code_column, source=source)
    types = _type_lookup(shares)
    matched = {c: types[_fold(c)] for c in frame.columns if c != code and _fold(c) in types}
    if not matched:
        raise schema_error(source, f"no column names a dwelling type; columns found: "
                           f"{list(frame.columns)}", f"name count columns after the types "
                           f"{sorted(set(types.values()))} (aliases: {sorted(types)})")
    ignored = [c for c in frame.columns if c != code and c not in matched]
    if ignored:
        logger.info("%s: columns %s name no dwelling type and were ignored", source, ignored)
    counts = number_columns(frame, list(matched), source).fillna(0.0)
    share = shares.set_index("dwelling_type")["share_no_offstreet"]
    rates = np.array([share[matched[c]] for c in counts.columns])
    index = pd.Index(area_codes(frame, code, source).to_numpy(), name=None)
    return pd.DataFrame({"households": counts.sum(axis=1).to_numpy(),
                         "households_no_offstreet": counts.to_numpy() @ rates}, index=index)


def _fold(name: str) -> str:
    return normalise_header(name).replace("_", " ")


def _type_lookup(shares: pd.DataFrame) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for kind, aliases in zip(shares["dwelling_type"], shares["aliases"], strict=True):
        for name in [kind, *str(aliases).split(";")]:
            if name.strip():
                lookup.setdefault(_fold(name), kind)
    return lookup


def households_per_zone(zones: gpd.GeoDataFrame, households: Table | None,
                        dwelling_mix: Table | None,
                        parking_table: str | Path | pd.DataFrame | None,
                        warnings: list[str], *, offstreet: bool = True) -> pd.DataFrame:
    """Households and households without off-street parking per zone (module docstring).

    The table's values come first; the dwelling mix fills those it lacks; where households
    are known but those without off-street parking are not, the share of the table's
    ``other`` type (the national share, for homes of unknown type) estimates them, counted in
    ``warnings``. Columns unknown for every zone stay NaN, with a warning. With
    ``offstreet=False`` (a caller wanting households alone) those without off-street parking
    are neither estimated nor warned about.
    """
    zone_ids = zones["zone_id"].astype(str)
    out = pd.DataFrame(np.nan, index=zone_ids, columns=["households", "households_no_offstreet"])
    if households is not None:
        out = _household_table(zones, households, warnings)
    if dwelling_mix is not None:
        mix = households_from_mix(dwelling_mix, table=parking_table)
        mix = mix[mix.index.isin(zone_ids)].reindex(zone_ids)
        ratio = mix["households_no_offstreet"] / mix["households"].where(mix["households"] > 0)
        out["households"] = out["households"].fillna(mix["households"])
        out["households_no_offstreet"] = out["households_no_offstreet"].fillna(
            out["households"] * ratio)
    if offstreet:
        _national_share(out, parking_table, warnings)
    for column in out.columns if offstreet else ["households"]:
        if out[column].isna().all():
            record_warning(warnings, f"ev_demand: {column} is unknown for every zone (pass "
                           "households= or dwelling_mix=)")
    return out.astype(float)


def _national_share(out: pd.DataFrame, parking_table: str | Path | pd.DataFrame | None,
                    warnings: list[str]) -> None:
    """Fill ``households_no_offstreet`` where only ``households`` is known (docstring above)."""
    gap = out["households"].notna() & out["households_no_offstreet"].isna()
    if not gap.any():
        return
    shares = parking_table if isinstance(parking_table, pd.DataFrame) else read_assumptions(
        OFFSTREET_PARKING, parking_table)
    other = shares.loc[shares["dwelling_type"] == "other", "share_no_offstreet"]
    if other.empty:
        return
    share = float(other.iloc[0])
    out.loc[gap, "households_no_offstreet"] = out.loc[gap, "households"] * share
    record_warning(warnings, f"ev_demand: households_no_offstreet estimated for {int(gap.sum())} "
                   f"zones as households x {share:g}, the share of dwelling type 'other' in "
                   "offstreet_parking (no dwelling mix or column for them)")
