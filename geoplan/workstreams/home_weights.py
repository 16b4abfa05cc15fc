r"""Rows that stand for several homes: archetypes of the building stock, reweighted certificates.

A buildings row may carry ``dwellings``: the number of homes it stands for (an archetype of
:mod:`geoplan.layers.stock`, or a certificate reweighted to the Census counts of its zone);
without the column every row is one home. Per-home results that add up (cost, carbon, bills,
peak load, heat) are multiplied by it.

Rows built from aggregated data also carry ``heat_demand_kwh_low`` and ``_high``: carbon and
bill changes are linear in the heat demand :math:`Q` for a given package (see
:mod:`~geoplan.workstreams.savings`), so the same package's carbon saving at the low and high
heat demand is the central saving times :math:`Q_{low}/Q` and :math:`Q_{high}/Q`
(``tco2e_per_yr_low``, ``tco2e_per_yr_high``). Certificate rows keep ratio 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ADDITIVE", "aggregated", "heat_ratios", "home_weights", "stock_uncertainty", "weigh"]

ADDITIVE = ("cost_gbp", "bill_change_gbp_per_yr", "standing_change_gbp_per_yr",
            "peak_kw_added", "heat_saved_kwh", "heat_kwh", "heat_mwh_per_yr", "tco2e_per_yr",
            "tco2e_change_per_yr")
"""Per-home columns that are multiplied by the row's homes (plus ``tco2e_per_yr_<year>``)."""


def home_weights(homes: pd.DataFrame) -> np.ndarray:
    """Homes each row stands for: ``dwellings`` (missing or absent: 1)."""
    if "dwellings" not in homes.columns:
        return np.ones(len(homes))
    values = pd.to_numeric(homes["dwellings"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(values), values, 1.0)


def aggregated(homes: pd.DataFrame) -> np.ndarray:
    """Whether each row comes from aggregated tables (``stock_source == "aggregated"``)."""
    if "stock_source" not in homes.columns:
        return np.zeros(len(homes), dtype=bool)
    return homes["stock_source"].astype(object).eq("aggregated").to_numpy()


def heat_ratios(homes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Low and high heat demand over the central one per row (1 where not given)."""
    heat = pd.to_numeric(homes["heat_demand_kwh"], errors="coerce").to_numpy(float) \
        if "heat_demand_kwh" in homes.columns else np.full(len(homes), np.nan)
    out = []
    for suffix in ("_low", "_high"):
        column = f"heat_demand_kwh{suffix}"
        bound = pd.to_numeric(homes[column], errors="coerce").to_numpy(float) \
            if column in homes.columns else np.full(len(homes), np.nan)
        ok = np.isfinite(bound) & np.isfinite(heat) & (heat > 0)
        out.append(np.where(ok, bound / np.where(ok, heat, 1.0), 1.0))
    return out[0], out[1]


def weigh(frame: pd.DataFrame, rows: Sequence[int] | np.ndarray, homes: pd.DataFrame
          ) -> pd.DataFrame:
    """Scale per-home options by the homes each row stands for.

    ``frame`` has one row per entry of ``rows`` (positions in ``homes``). Adds ``homes``,
    ``aggregated_homes``, ``tco2e_per_yr_low`` and ``tco2e_per_yr_high``.
    """
    at = np.asarray(rows, dtype=int)
    w = home_weights(homes)[at]
    low, high = (r[at] for r in heat_ratios(homes))
    out = frame.copy(deep=False)  # scaled columns are new arrays; the others are shared
    for column in out.columns:
        if column in ADDITIVE or column.startswith("tco2e_per_yr_"):
            out[column] = out[column].to_numpy(float) * w
    out["homes"] = w * (out["homes"].to_numpy(float) if "homes" in out.columns else 1.0)
    out["aggregated_homes"] = np.where(aggregated(homes)[at], out["homes"], 0.0)
    out["tco2e_per_yr_low"] = out["tco2e_per_yr"].to_numpy(float) * low
    out["tco2e_per_yr_high"] = out["tco2e_per_yr"].to_numpy(float) * high
    return out


def stock_uncertainty(chosen: pd.DataFrame) -> tuple[dict[str, float], list[str]]:
    """Headline figures and a note on how much of a plan rests on aggregated stock data.

    ``chosen`` holds selected candidates (any workstreams); only rows with
    ``aggregated_homes`` > 0 count. Returns ``({}, [])`` when none do.

    The figures: ``homes_from_aggregated_data``, and ``tco2e_per_yr_low`` /
    ``tco2e_per_yr_high``: the plan's carbon saving with the low and high heat demand of
    ``stock_bands.csv`` for the archetype homes (certificate homes unchanged), i.e. the range
    within which certificate-level data could move it if the homes' heat demand lies within
    the assumed bounds.
    """
    if "aggregated_homes" not in chosen.columns:
        return {}, []
    aggregated_homes = pd.to_numeric(chosen["aggregated_homes"], errors="coerce").fillna(0.0)
    if not aggregated_homes.sum() > 0:
        return {}, []
    central = pd.to_numeric(chosen["tco2e_per_yr"], errors="coerce").fillna(0.0)
    bounds = {}
    for side in ("low", "high"):
        column = f"tco2e_per_yr_{side}"
        values = pd.to_numeric(chosen[column], errors="coerce") if column in chosen else central
        bounds[side] = float(values.fillna(central).sum())
    homes = float(pd.to_numeric(chosen.get("homes", aggregated_homes), errors="coerce")
                  .fillna(0.0).sum())
    total = float(central.sum())
    kpis = {"homes_from_aggregated_data": float(aggregated_homes.sum()),
            "tco2e_per_yr_low": bounds["low"], "tco2e_per_yr_high": bounds["high"]}
    def pct(value: float) -> str:
        return f"{100 * (value / total - 1):+.0f}%" if total > 0 else "n/a"

    note = (f"building stock: {aggregated_homes.sum():,.0f} of {homes:,.0f} homes in the chosen "
            "retrofit/LAEP measures are archetypes built from aggregated tables (Census "
            "households and heating, EPC band summaries), not EPC certificates; with the "
            "low/high heat demand of stock_bands.csv their carbon saving would put the plan's "
            f"{total:,.0f} tCO2e/yr between {bounds['low']:,.0f} ({pct(bounds['low'])}) and "
            f"{bounds['high']:,.0f} ({pct(bounds['high'])}); certificates for these homes "
            "would replace the archetype figures (zones column epc_coverage shows the share "
            "each zone has)")
    return kpis, [note]
