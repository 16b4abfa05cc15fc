r"""Certificates corrected by the Census stock: reweighting, gap filling and coverage per zone.

EPC certificates cover the homes that were sold, let or built since 2008: rented and recently
sold homes are over-represented, and a zone's certificates are not its stock.
:func:`reweight_certificates` makes them stand for the zone's homes:

1. Each certificate gets a dwelling type (flat or maisonette -> ``flat``; house or bungalow
   by built form -> ``detached``, ``semi_detached``, ``terraced``; park home).
2. For every zone :math:`z` and type :math:`d` with certificates, each certificate's
   ``dwellings`` = :math:`N_{zd} / c_{zd}`: the stock's homes of that type (Census households
   x type shares, :mod:`geoplan.layers.stock`) over the certificates of that type.
3. With a tenure table, the weights are then raked (10 sweeps of iterative proportional
   fitting) to the zone's tenure shares as well, keeping the zone's total; certificates of
   unknown tenure keep their weight.
4. Cells the certificates miss (a zone with no certificate for a type) are filled with the
   stock's archetypes of that cell, so each zone adds up to its Census households.

Certificates of unknown type, and those outside every zone, keep weight 1 (counted).
:func:`stock_coverage` gives per zone ``households_census``, ``epc_certificates``,
``epc_coverage`` (certificates / households) and ``homes_from_archetypes``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.layers.stock import Stock
from geoplan.schemas import CRS

__all__ = ["COVERAGE_COLUMNS", "certificate_types", "reweight_certificates", "stock_coverage"]

COVERAGE_COLUMNS = ("households_census", "epc_certificates", "epc_coverage",
                    "homes_from_archetypes")
"""Columns :func:`stock_coverage` adds to the zones layer."""

_TENURES = ("owner-occupied", "private rented", "social rented")


def certificate_types(buildings: pd.DataFrame) -> pd.Series:
    """Dwelling type (:data:`~geoplan.layers.stock.STOCK_TYPES`) of each certificate, or NaN."""
    kind = buildings["property_type"].astype(object).fillna("").str.lower()
    form = buildings.get("built_form", pd.Series("", index=buildings.index)).astype(
        object).fillna("").str.lower()
    out = pd.Series(np.nan, index=buildings.index, dtype=object)
    housey = kind.isin(("house", "bungalow"))
    out[housey & form.str.contains("semi")] = "semi_detached"
    out[housey & form.str.contains("detached") & ~form.str.contains("semi")] = "detached"
    out[housey & form.str.contains("terrace|enclosed")] = "terraced"
    out[kind.isin(("flat", "maisonette"))] = "flat"
    out[kind.eq("park home")] = "park_home"
    return out


def reweight_certificates(buildings: gpd.GeoDataFrame, stock: Stock
                          ) -> tuple[gpd.GeoDataFrame, tuple[str, ...]]:
    """Certificates weighted to the stock, plus archetypes for cells they miss (module doc).

    Returns
    -------
    buildings : geopandas.GeoDataFrame
        The certificates with ``dwellings`` and ``stock_source`` (``certificate``), then the
        archetype rows that fill the gaps (``stock_source`` ``aggregated``).
    warnings : tuple of str
    """
    homes = buildings.copy()
    homes["dwelling_type"] = certificate_types(homes)
    homes["stock_source"] = "certificate"
    zone = homes["zone_id"].astype(object)
    census = stock.archetypes.groupby(["zone_id", "dwelling_type"])["dwellings"].sum()
    typed = zone.notna() & homes["dwelling_type"].notna()
    keys = pd.MultiIndex.from_arrays([zone[typed], homes.loc[typed, "dwelling_type"]])
    certs = pd.Series(1, index=keys).groupby(level=[0, 1]).sum()
    target = census.reindex(keys).fillna(0.0).to_numpy()
    weights = np.ones(len(homes))
    weights[typed.to_numpy()] = target / certs.reindex(keys).to_numpy()
    if "tenure" in stock.tables:
        weights = _rake_tenure(homes, weights, stock.tables["tenure"], typed.to_numpy())
    homes["dwellings"] = weights
    covered = set(certs.index)
    arche = stock.archetypes
    cell = list(zip(arche["zone_id"], arche["dwelling_type"], strict=True))
    fill = arche[[c not in covered for c in cell]]
    warnings = []
    loose = int((~typed).sum())
    if loose:
        warnings.append(f"{loose} certificates of unknown type or outside every zone keep "
                        "weight 1")
    empty = int((typed.to_numpy() & (weights == 0)).sum())
    if empty:
        warnings.append(f"{empty} certificates fall in cells the Census gives no homes and "
                        "get weight 0")
    out = pd.concat([homes, fill], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS), tuple(warnings)


def _rake_tenure(homes: pd.DataFrame, weights: np.ndarray, tenure: pd.DataFrame,
                 typed: np.ndarray) -> np.ndarray:
    zone = homes["zone_id"].astype(str).to_numpy()
    kind = homes["dwelling_type"].astype(str).to_numpy()
    held = homes["tenure"].astype(object).fillna("unknown").to_numpy()
    known = typed & np.isin(held, _TENURES)
    table = tenure.reindex(columns=list(_TENURES)).fillna(0.0)
    table = table.div(table.sum(axis=1).where(table.sum(axis=1) > 0), axis=0)
    share = table.stack().reindex(pd.MultiIndex.from_arrays([zone, held])).to_numpy(float)
    type_target = _group_sum(weights, zone, kind)
    w = weights.copy()
    for _ in range(10):
        counted = np.where(known, w, 0.0)
        total, now = _group_sum(counted, zone), _group_sum(counted, zone, held)
        ok = known & np.isfinite(share) & (now > 0)
        w = np.where(ok, w * share * total / np.where(ok, now, 1.0), w)
        current = _group_sum(w, zone, kind)
        fit = typed & (current > 0)
        w = np.where(fit, w * type_target / np.where(fit, current, 1.0), w)
    return w


def _group_sum(values: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    return pd.Series(values).groupby(list(keys)).transform("sum").to_numpy(float)


def stock_coverage(zone_ids: pd.Index, stock: Stock,
                   buildings: pd.DataFrame | None) -> pd.DataFrame:
    """Certificates and Census households per zone (module docstring), indexed by zone id."""
    households = stock.zones.set_index("zone_id")["households"].reindex(zone_ids).fillna(0.0)
    certs = pd.Series(0.0, index=zone_ids)
    from_archetypes = households.copy()
    if buildings is not None:
        source = buildings.get("stock_source", pd.Series("certificate", index=buildings.index))
        is_cert = source.eq("certificate").to_numpy()
        certs = pd.Series(1.0, index=buildings.index[is_cert]).groupby(
            buildings.loc[is_cert, "zone_id"].astype(str).to_numpy()).sum().reindex(
            zone_ids).fillna(0.0)
        weights = pd.to_numeric(buildings.get("dwellings"), errors="coerce")
        from_archetypes = weights[~is_cert].groupby(
            buildings.loc[~is_cert, "zone_id"].astype(str).to_numpy()).sum().reindex(
            zone_ids).fillna(0.0)
    coverage = certs / households.where(households > 0)
    return pd.DataFrame({"households_census": households.to_numpy(),
                         "epc_certificates": certs.to_numpy().astype("int64"),
                         "epc_coverage": coverage.to_numpy(),
                         "homes_from_archetypes": from_archetypes.to_numpy()},
                        index=zone_ids)
