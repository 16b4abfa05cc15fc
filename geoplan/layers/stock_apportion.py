r"""Apportion per-area counts (any geography) to planning zones by a documented weight.

A table keyed by one geography (e.g. MSOA 2021) is moved onto the zones (e.g. LSOA 2021) in
two steps:

1. **Links** say which zones each area covers: :func:`links_by_code` (the area codes are
   zone ids), :func:`links_by_lookup` (an ONS lookup table, area code -> zone id) or
   :func:`links_by_polygons` (the areas' own polygons overlaid on the zones). Each link has
   ``share``: the fraction of the *zone* lying in the area (1 for codes and lookups).
2. :func:`apportion` splits each area's value :math:`v_a` over its linked zones :math:`z`:

   .. math::

       v_{az} = v_a \, \frac{s_{az}\,w_z}{\sum_{z'} s_{az'}\,w_{z'}}

   with link share :math:`s_{az}` and zone weight :math:`w_z` (``weight="households"``: the
   zone's households; ``"area"``: the zone's area in m²; ``"even"``: 1). An area whose linked
   zones all have weight 0 or unknown is split evenly over them (:math:`w = 1`), and counted
   in :attr:`Apportioned.even_split`. Areas with no link are left out and counted in
   :attr:`Apportioned.unmatched`. A finer table (OA -> LSOA) is the same formula with one zone
   per area, so its values add up in the zone.

With ``whole=True`` each area's split is rounded to whole numbers by largest remainder
(Hamilton), so an integer area total is kept exactly.

The module knows nothing of what is counted: vehicles, households, heating counts and
dwelling types all go through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError
from geoplan.schemas import CRS

__all__ = ["WEIGHTS", "Apportioned", "apportion", "largest_remainder", "links_by_code",
           "links_by_lookup", "links_by_polygons"]

WEIGHTS = ("households", "area", "even")
"""Zone weights :func:`apportion` knows."""

Weight = Literal["households", "area", "even"]

LINK_COLUMNS = ("area", "zone_id", "share")

_MIN_SHARE = 0.05
"""Overlaps smaller than this share of both the zone and the area are sliver artefacts of
generalised boundaries and are dropped (:func:`links_by_polygons`)."""


@dataclass(frozen=True)
class Apportioned:
    """Values per zone and what happened on the way (:func:`apportion`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per zone (index ``zone_id``, every zone given), the value columns.
    unmatched : tuple of str
        Area codes linked to no zone (their values are left out).
    even_split : tuple of str
        Areas split evenly because their zones had no usable weight.
    totals_in, totals_out : Mapping[str, float]
        Per column, the total of the matched areas and of the zones.
    warnings : tuple of str
    """

    frame: pd.DataFrame
    unmatched: tuple[str, ...] = ()
    even_split: tuple[str, ...] = ()
    totals_in: Mapping[str, float] = field(default_factory=dict)
    totals_out: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def links_by_code(codes: Sequence[str], zone_ids: Sequence[str]) -> pd.DataFrame:
    """Link each area whose code is a zone id to that zone (share 1)."""
    known = set(map(str, zone_ids))
    hits = [str(c) for c in dict.fromkeys(codes) if str(c) in known]
    return pd.DataFrame({"area": hits, "zone_id": hits, "share": 1.0})


def links_by_lookup(lookup: pd.DataFrame, area_column: str, zone_column: str) -> pd.DataFrame:
    """Links from an ONS lookup table (one row per area and zone; e.g. LSOA21CD, MSOA21CD).

    Raises
    ------
    LayerSchemaError
        If a named column is missing (the message lists the columns).
    """
    for column in (area_column, zone_column):
        if column not in lookup.columns:
            raise LayerSchemaError(f"lookup table has no column {column!r}; columns found: "
                                   f"{list(lookup.columns)} (fix: name the code columns)")
    pairs = lookup[[area_column, zone_column]].dropna().astype(str).drop_duplicates()
    return pd.DataFrame({"area": pairs[area_column].to_numpy(),
                         "zone_id": pairs[zone_column].to_numpy(), "share": 1.0})


def links_by_polygons(areas: gpd.GeoDataFrame, code_column: str,
                      zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Links from the areas' polygons overlaid on the zones (module docstring).

    ``share`` is the fraction of the zone's area inside the area. Overlaps below 5% of both
    the zone and the area (slivers where generalised boundaries disagree) are dropped; a
    zone or area left with no link keeps its largest overlap.

    Raises
    ------
    LayerSchemaError
        If ``code_column`` is missing or either layer has no CRS.
    """
    if code_column not in areas.columns:
        raise LayerSchemaError(f"area polygons have no column {code_column!r}; columns found: "
                               f"{list(areas.columns)} (fix: give the code column)")
    for name, frame in (("area polygons", areas), ("zones", zones)):
        if frame.crs is None:
            raise LayerSchemaError(f"{name} have no CRS (fix: give a file with a CRS)")
    left = gpd.GeoDataFrame({"area": areas[code_column].astype(str).to_numpy()},
                            geometry=areas.geometry.to_crs(CRS).make_valid().to_numpy(),
                            crs=CRS)
    right = gpd.GeoDataFrame({"zone_id": zones["zone_id"].astype(str).to_numpy()},
                             geometry=zones.geometry.to_crs(CRS).to_numpy(), crs=CRS)
    left["area_m2"] = left.area
    right["zone_m2"] = right.area
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces["overlap"] = pieces.area
    pieces = pieces[pieces["overlap"] > 0]
    zone_share = pieces["overlap"] / pieces["zone_m2"]
    area_share = pieces["overlap"] / pieces["area_m2"]
    keep = (zone_share >= _MIN_SHARE) | (area_share >= _MIN_SHARE)
    best_zone = pieces.groupby("zone_id")["overlap"].transform("max") == pieces["overlap"]
    best_area = pieces.groupby("area")["overlap"].transform("max") == pieces["overlap"]
    kept = pieces[keep | best_zone | best_area]
    out = pd.DataFrame({"area": kept["area"].to_numpy(), "zone_id": kept["zone_id"].to_numpy(),
                        "share": (kept["overlap"] / kept["zone_m2"]).clip(upper=1.0).to_numpy()})
    return out.sort_values(["area", "zone_id"], ignore_index=True)


def apportion(values: pd.DataFrame, links: pd.DataFrame, zone_ids: Sequence[str], *,
              weight: Weight = "even", zone_weights: pd.Series | None = None,
              whole: bool = False, what: str = "table") -> Apportioned:
    """Split per-area ``values`` over the zones (module docstring).

    Parameters
    ----------
    values : pandas.DataFrame
        Index: area codes (unique); columns: numbers to apportion (NaN counts as 0).
    links : pandas.DataFrame
        ``area``, ``zone_id``, ``share`` (from a ``links_by_*`` function).
    zone_ids : sequence of str
        Every zone; zones without a value get 0.
    weight : {"households", "area", "even"}
        What ``zone_weights`` holds; ``"even"`` ignores it.
    zone_weights : pandas.Series, optional
        Per zone id (households or m²); required unless ``weight="even"``.
    whole : bool
        Round each area's split to whole numbers, keeping the area total (largest remainder).
    what : str
        Name of the table, for warnings.

    Returns
    -------
    Apportioned

    Raises
    ------
    LayerSchemaError
        For an unknown weight, a missing ``zone_weights`` or repeated area codes.
    """
    if weight not in WEIGHTS:
        raise LayerSchemaError(f"unknown apportionment weight {weight!r} (fix: use one of "
                               f"{list(WEIGHTS)})")
    if weight != "even" and zone_weights is None:
        raise LayerSchemaError(f"weight {weight!r} needs zone_weights (fix: give the "
                               f"{weight} per zone, or use weight 'even')")
    if values.index.duplicated().any():
        repeated = sorted(set(values.index[values.index.duplicated()].astype(str)))[:5]
        raise LayerSchemaError(f"{what}: area codes repeat ({repeated}) (fix: one row per area)")
    zones = pd.Index([str(z) for z in zone_ids], name="zone_id")
    data = values.copy()
    data.index = data.index.astype(str)
    data = data.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    usable = links[links["zone_id"].astype(str).isin(zones)
                   & links["area"].astype(str).isin(data.index)].copy()
    usable["area"] = usable["area"].astype(str)
    usable["zone_id"] = usable["zone_id"].astype(str)
    unmatched = tuple(sorted(set(data.index) - set(usable["area"])))
    w = pd.Series(1.0, index=zones) if weight == "even" else pd.to_numeric(
        pd.Series(zone_weights).rename(index=str).reindex(zones), errors="coerce")
    usable["w"] = usable["share"].astype(float) * usable["zone_id"].map(w).fillna(0.0)
    totals = usable.groupby("area")["w"].transform("sum")
    flat = ~(totals > 0)
    even = tuple(sorted(set(usable.loc[flat, "area"])))
    usable.loc[flat, "w"] = 1.0
    usable["fraction"] = usable["w"] / usable.groupby("area")["w"].transform("sum")
    matched = data.loc[sorted(set(usable["area"]))]
    out = pd.DataFrame(0.0, index=zones, columns=data.columns)
    for column in data.columns:
        amount = usable["area"].map(matched[column]).to_numpy(float) * usable["fraction"]
        if whole:
            amount = largest_remainder(amount.to_numpy(float), usable["area"].to_numpy())
        out[column] = pd.Series(np.asarray(amount, float)).groupby(
            usable["zone_id"].to_numpy()).sum().reindex(zones).fillna(0.0).to_numpy()
    warnings = []
    if unmatched:
        warnings.append(f"{what}: {len(unmatched)} of {len(data)} areas match no zone and are "
                        f"left out (e.g. {list(unmatched[:3])})")
    if even:
        warnings.append(f"{what}: {len(even)} areas split evenly over their zones because the "
                        f"zones have no {weight} (e.g. {list(even[:3])})")
    return Apportioned(out, unmatched, even,
                       {c: float(matched[c].sum()) for c in data.columns},
                       {c: float(out[c].sum()) for c in data.columns}, tuple(warnings))


def largest_remainder(amount: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Round ``amount`` to integers per group, keeping each group's rounded total.

    The shortfall of the floors goes one unit each to the largest remainders, ties to the
    earlier entry (Hamilton's method).
    """
    floor = np.floor(amount + 1e-9)
    frame = pd.DataFrame({"group": groups, "rest": amount - floor, "floor": floor,
                          "amount": amount, "order": np.arange(len(amount))})
    target = frame.groupby("group")["amount"].transform("sum").round()
    short = (target - frame.groupby("group")["floor"].transform("sum")).to_numpy()
    ranked = frame.sort_values(["group", "rest", "order"], ascending=[True, False, True])
    rank = ranked.groupby("group").cumcount().reindex(frame.index).to_numpy()
    return floor + (rank < short)
